/* /proc/self/fd/N and /dev/fd/N against the host: reopening a pipe end (in
 * either direction, never waiting), a regular file (a new description at
 * offset 0), a deleted file (its link says " (deleted)"), and the kinds
 * that cannot be reopened (sockets, eventfd, epoll: ENXIO). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

static int reopen(const char *dir, int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "%s/%d", dir, fd);
  return open(path, flags);
}

int main(void) {
  int p[2];
  pipe(p);
  write(p[1], "pipe-bytes", 10);
  char buf[32] = {0};
  int r = reopen("/proc/self/fd", p[0], O_RDONLY);
  show("reopen the read end", r >= 0 ? 0 : -1);
  if (r >= 0) {
    long n = read(r, buf, 10);
    printf("  read %ld [%s]\n", n, buf);
  }
  int w = reopen("/proc/self/fd", p[0], O_WRONLY);
  show("reopen the read end for writing", w >= 0 ? 0 : -1);
  if (w >= 0) {
    write(w, "x", 1);
    char c = 0;
    long n = read(p[0], &c, 1);
    printf("  through the pipe: %ld %c\n", n, c);
  }
  char path[64];
  snprintf(path, sizeof path, "/tmp/ditto_fd_reopen_%d", (int)getpid());
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  write(f, "file-bytes", 10);
  int g = reopen("/dev/fd", f, O_RDONLY);
  show("reopen a file through /dev/fd", g >= 0 ? 0 : -1);
  if (g >= 0) {
    long at = lseek(g, 0, SEEK_CUR);
    memset(buf, 0, sizeof buf);
    long n = read(g, buf, 20);
    printf("  offset %ld, read %ld [%s], the first still at %ld\n", at, n, buf, (long)lseek(f, 0, SEEK_CUR));
  }
  unlink(path);
  int h = reopen("/proc/self/fd", f, O_RDONLY);
  show("reopen a deleted file", h >= 0 ? 0 : -1);
  char l[128] = {0}, want[128];
  snprintf(path, sizeof path, "/proc/self/fd/%d", f);
  readlink(path, l, sizeof l - 1);
  snprintf(want, sizeof want, "/tmp/ditto_fd_reopen_%d (deleted)", (int)getpid());
  printf("  its link says deleted: %d\n", strcmp(l, want) == 0);
  int sp[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  show("reopen a socket", reopen("/proc/self/fd", sp[0], O_RDONLY));
  show("reopen an eventfd", reopen("/proc/self/fd", eventfd(0, 0), O_RDONLY));
  show("reopen an epoll", reopen("/proc/self/fd", epoll_create1(0), O_RDONLY));
  struct stat st;
  show("/dev/fd is a symlink", lstat("/dev/fd", &st) == 0 && S_ISLNK(st.st_mode));
  memset(l, 0, sizeof l);
  readlink("/dev/stdin", l, sizeof l - 1);
  printf("/dev/stdin -> %s\n", l);
  return 0;
}
