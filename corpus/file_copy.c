/* In-kernel copies against the host: sendfile(2), copy_file_range(2),
 * splice(2), tee(2) and vmsplice(2) between tmpfs files (/dev/shm), pipes
 * and a socket pair -- the bytes moved, which offsets move (the file's or
 * the caller's), and each argument check in Linux's order. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "corpus.h"

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif

static char dir[64];

static int make(const char *name, const char *content, int flags) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (content) write(fd, content, strlen(content));
  close(fd);
  return open(path, flags);
}

static void show_file(const char *name) {
  char path[128], buf[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDONLY);
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = 0;
  printf("  %s holds %ld: [%s]\n", name, n, buf);
}

static void drain(int fd, const char *what) {
  char buf[256];
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  long n = read(fd, buf, sizeof buf - 1);
  fcntl(fd, F_SETFL, fl);
  buf[n < 0 ? 0 : n] = 0;
  printf("  %s gives %ld: [%s]\n", what, n, buf);
}

static long pos(int fd) { return lseek(fd, 0, SEEK_CUR); }

static long cfr(int in, loff_t *oi, int out, loff_t *oo, size_t n, unsigned fl) {
  return syscall(SYS_copy_file_range, in, oi, out, oo, n, fl);
}

static void sendfile_cases(void) {
  printf("sendfile\n");
  int in = make("src", "0123456789abcdef", O_RDONLY);
  int out = make("dst", NULL, O_WRONLY);
  show("file to file, own offsets", sendfile(out, in, NULL, 5));
  printf("  offsets in %ld out %ld\n", pos(in), pos(out));
  off_t off = 10;
  show("from offset 10", sendfile(out, in, &off, 100));
  printf("  offset now %ld, in %ld out %ld\n", (long)off, pos(in), pos(out));
  show("at EOF", sendfile(out, in, &off, 10));
  show("count 0", sendfile(out, in, NULL, 0));
  show_file("dst");
  off = -1;
  show("negative offset", sendfile(out, in, &off, 1));
  show("bad offset pointer, bad fds", sendfile(-1, -1, (off_t *)8, 1));
  show("bad in fd", sendfile(out, -1, NULL, 1));
  show("bad out fd", sendfile(-1, in, NULL, 1));
  show("in not readable", sendfile(out, out, NULL, 1));
  show("out not writable", sendfile(in, in, NULL, 1));
  int app = make("app", "head:", O_WRONLY | O_APPEND);
  show("to O_APPEND file", sendfile(app, in, NULL, 3));
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  show("from a directory", sendfile(out, d, NULL, 3));
  close(d);

  int p[2];
  pipe(p);
  write(p[1], "piped", 5);
  off = 0;
  show("from a pipe with an offset", sendfile(out, p[0], &off, 5));
  show("from a pipe to a file", sendfile(out, p[0], NULL, 5));
  drain(p[0], "pipe");
  lseek(in, 0, SEEK_SET);
  show("file to pipe", sendfile(p[1], in, NULL, 4));
  printf("  in offset %ld\n", pos(in));
  drain(p[0], "pipe");
  int s[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, s);
  off = 2;
  show("file to socket", sendfile(s[0], in, &off, 6));
  drain(s[1], "socket");
  write(s[1], "sock", 4);
  show("socket to file", sendfile(out, s[0], NULL, 4));
  int null = open("/dev/null", O_WRONLY);
  show("file to /dev/null", sendfile(null, in, NULL, 3));
  printf("  in offset %ld\n", pos(in));
  close(null);
  printf("  to stdout: [");
  lseek(in, 0, SEEK_SET);
  long sent = sendfile(1, in, NULL, 7);
  printf("] = %ld\n", sent);
  close(s[0]), close(s[1]), close(p[0]), close(p[1]), close(app), close(in), close(out);
}

static void copy_file_range_cases(void) {
  printf("copy_file_range\n");
  int in = make("src", "ABCDEFGHIJKLMNOP", O_RDONLY);
  int out = make("dst", "................", O_RDWR);
  show("own offsets", cfr(in, NULL, out, NULL, 4, 0));
  printf("  offsets in %ld out %ld\n", pos(in), pos(out));
  loff_t oi = 8, oo = 12;
  show("given offsets", cfr(in, &oi, out, &oo, 3, 0));
  printf("  offsets now %ld %ld, in %ld out %ld\n", (long)oi, (long)oo, pos(in), pos(out));
  oi = 14, oo = 20;
  show("past the input's end", cfr(in, &oi, out, &oo, 10, 0));
  printf("  offsets now %ld %ld\n", (long)oi, (long)oo);
  oi = 40;
  show("input offset past EOF", cfr(in, &oi, out, NULL, 10, 0));
  show("length 0", cfr(in, NULL, out, NULL, 0, 0));
  show_file("dst");
  show("flags 1", cfr(in, NULL, out, NULL, 1, 1));
  show("bad in fd", cfr(-1, NULL, out, NULL, 1, 0));
  show("bad out fd", cfr(in, NULL, -1, NULL, 1, 0));
  show("bad offset pointer", cfr(in, (loff_t *)8, out, NULL, 1, 0));
  oi = -1;
  show("negative offset", cfr(in, &oi, out, NULL, 1, 0));
  show("in not readable", cfr(out, NULL, in, NULL, 1, 0));
  int wo = make("wo", "x", O_WRONLY);
  show("in write-only", cfr(wo, NULL, out, NULL, 1, 0));
  int app = make("app", "x", O_WRONLY | O_APPEND);
  show("out O_APPEND", cfr(in, NULL, app, NULL, 1, 0));
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  show("from a directory", cfr(d, NULL, out, NULL, 1, 0));
  show("to a directory", cfr(in, NULL, d, NULL, 1, 0));
  close(d);
  int p[2];
  pipe(p);
  show("to a pipe", cfr(in, NULL, p[1], NULL, 1, 0));
  oi = 0, oo = 2;
  show("same file, overlapping", cfr(out, &oi, out, &oo, 4, 0));
  oi = 0, oo = 8;
  show("same file, apart", cfr(out, &oi, out, &oo, 4, 0));
  show_file("dst");
  close(p[0]), close(p[1]), close(wo), close(app), close(in), close(out);
}

static void splice_cases(void) {
  printf("splice\n");
  int in = make("src", "splice-source-bytes", O_RDONLY);
  int out = make("dst", NULL, O_RDWR);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  loff_t off = 7;
  show("file to pipe at an offset", splice(in, &off, p[1], NULL, 6, 0));
  printf("  offset now %ld, in %ld\n", (long)off, pos(in));
  show("file to pipe, own offset", splice(in, NULL, p[1], NULL, 6, 0));
  printf("  in offset %ld\n", pos(in));
  show("pipe to file, part", splice(p[0], NULL, out, NULL, 4, 0));
  printf("  out offset %ld\n", pos(out));
  off = 20;
  show("pipe to file at an offset", splice(p[0], NULL, out, &off, 3, 0));
  printf("  offset now %ld, out %ld\n", (long)off, pos(out));
  show("pipe to pipe", splice(p[0], NULL, q[1], NULL, 100, 0));
  drain(q[0], "second pipe");
  drain(p[0], "first pipe");
  show_file("dst");
  show("length 0, bad fds", splice(-1, NULL, -1, NULL, 0, 0));
  show("length 0, bad flags", splice(p[0], NULL, out, NULL, 0, 0x100));
  show("bad flags", splice(p[0], NULL, out, NULL, 1, 0x100));
  show("bad in fd", splice(-1, NULL, p[1], NULL, 1, 0));
  show("bad out fd", splice(p[0], NULL, -1, NULL, 1, 0));
  show("no pipe", splice(in, NULL, out, NULL, 1, 0));
  off = 0;
  show("offset on the pipe side", splice(p[0], &off, out, NULL, 1, 0));
  show("offset on the output pipe", splice(in, NULL, p[1], &off, 1, 0));
  show("bad offset pointer", splice(in, (loff_t *)8, p[1], NULL, 1, 0));
  off = -1;
  show("negative offset", splice(in, &off, p[1], NULL, 1, 0));
  show("same pipe", splice(p[0], NULL, p[1], NULL, 1, 0));
  show("write end as input", splice(p[1], NULL, out, NULL, 1, 0));
  show("read end as output", splice(in, NULL, p[0], NULL, 1, 0));
  show("empty pipe, SPLICE_F_NONBLOCK", splice(p[0], NULL, out, NULL, 1, SPLICE_F_NONBLOCK));
  int app = make("app", "x", O_WRONLY | O_APPEND);
  write(p[1], "ab", 2);
  show("pipe to O_APPEND file", splice(p[0], NULL, app, NULL, 2, 0));
  int s[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, s);
  show("pipe to socket", splice(p[0], NULL, s[0], NULL, 2, 0));
  drain(s[1], "socket");
  write(s[1], "from-socket", 11);
  show("socket to pipe", splice(s[0], NULL, p[1], NULL, 64, 0));
  drain(p[0], "pipe");
  close(p[1]);
  show("empty pipe, no writers", splice(p[0], NULL, out, NULL, 5, 0));
  close(p[0]);
  pipe(p);
  close(p[0]);
  show("file to pipe without readers", splice(in, NULL, p[1], NULL, 1, 0));
  close(p[1]);
  pipe(p);
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  char page[4096];
  memset(page, 'z', sizeof page);
  long filled = 0, r;
  while ((r = write(p[1], page, sizeof page)) > 0) filled += r;
  printf("  pipe holds %ld\n", filled);
  show("file to full pipe, SPLICE_F_NONBLOCK", splice(in, NULL, p[1], NULL, 1, SPLICE_F_NONBLOCK));
  show("file to full O_NONBLOCK pipe", splice(in, NULL, p[1], NULL, 1, 0));
  /* One slot free: a splice from mid-page fills it with the rest of that page. */
  char big[10000];
  memset(big, 'b', sizeof big);
  int bigf = make("app", NULL, O_RDWR);
  write(bigf, big, sizeof big);
  char one[4096];
  read(p[0], one, sizeof one);
  off = 4000;
  show("10000 bytes from offset 4000 into one free slot", splice(bigf, &off, p[1], NULL, 10000, 0));
  read(p[0], one, sizeof one);
  read(p[0], one, sizeof one);
  off = 4000;
  show("into two free slots", splice(bigf, &off, p[1], NULL, 10000, 0));
  close(bigf);
  close(s[0]), close(s[1]), close(p[0]), close(p[1]), close(q[0]), close(q[1]), close(app), close(in), close(out);
}

static void tee_cases(void) {
  printf("tee\n");
  int p[2], q[2];
  pipe(p);
  pipe(q);
  write(p[1], "teedata", 7);
  show("pipe to pipe", tee(p[0], q[1], 3, 0));
  drain(q[0], "copy");
  drain(p[0], "original");
  show("length 0, bad fds", tee(-1, -1, 0, 0));
  show("length 0, bad flags", tee(p[0], q[1], 0, 0x100));
  show("bad flags", tee(p[0], q[1], 1, 0x100));
  show("bad in fd", tee(-1, q[1], 1, 0));
  show("same pipe", tee(p[0], p[1], 1, 0));
  int f = make("src", "x", O_RDWR);
  show("file input", tee(f, q[1], 1, 0));
  show("file output", tee(p[0], f, 1, 0));
  show("write end as input", tee(p[1], q[1], 1, 0));
  show("empty, SPLICE_F_NONBLOCK", tee(p[0], q[1], 1, SPLICE_F_NONBLOCK));
  close(p[1]);
  show("empty, no writers", tee(p[0], q[1], 1, 0));
  close(f), close(p[0]), close(q[0]), close(q[1]);
}

static void vmsplice_cases(void) {
  printf("vmsplice\n");
  int p[2];
  pipe(p);
  char a[] = "vm", b[] = "splice";
  struct iovec v[2] = {{a, 2}, {b, 6}};
  show("to the write end", vmsplice(p[1], v, 2, 0));
  char x[4] = {0}, y[4] = {0};
  struct iovec r[2] = {{x, 3}, {y, 3}};
  show("from the read end", vmsplice(p[0], r, 2, 0));
  printf("  got [%s][%s]\n", x, y);
  drain(p[0], "rest");
  show("no segments", vmsplice(p[1], v, 0, 0));
  show("bad flags", vmsplice(p[1], v, 1, 0x100));
  show("bad fd", vmsplice(-1, v, 1, 0));
  int f = make("src", "x", O_RDWR);
  show("a file", vmsplice(f, v, 1, 0));
  show("too many segments", vmsplice(p[1], v, 1025, 0));
  show("bad iovec pointer", vmsplice(p[1], (struct iovec *)8, 1, 0));
  show("empty read end, SPLICE_F_NONBLOCK", vmsplice(p[0], r, 1, SPLICE_F_NONBLOCK));
  close(p[1]);
  show("empty read end, no writers", vmsplice(p[0], r, 1, 0));
  close(f), close(p[0]);
}

int main(void) {
  snprintf(dir, sizeof dir, "/dev/shm/ditto_copy_%d", (int)getpid());
  if (mkdir(dir, 0700) != 0) return 1;
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGPIPE, SIG_IGN);
  sendfile_cases();
  copy_file_range_cases();
  splice_cases();
  tee_cases();
  vmsplice_cases();
  const char *names[] = {"src", "dst", "app", "wo"};
  char path[128];
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  return 0;
}
