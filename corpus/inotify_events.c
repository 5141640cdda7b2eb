/* inotify against the host: the argument checks of inotify_init1,
 * inotify_add_watch and inotify_rm_watch, the events each file operation
 * queues (on a watched directory, named, and on a watched file itself),
 * their order, merging of a repeated event, IN_ONESHOT, IN_MASK_ADD,
 * IN_EXCL_UNLINK, IN_IGNORED, record padding, short reads, FIONREAD, poll,
 * blocking reads woken by another process, and the queue's overflow. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "corpus.h"

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif

static char dir[64];
static uint32_t last_cookie;

static const char *path(const char *name) {
  static char buf[4][128];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
  return buf[i];
}

static void print_mask(uint32_t m) {
  static const struct { uint32_t bit; const char *name; } names[] = {
      {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
      {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
      {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"}, {IN_CREATE, "CREATE"},
      {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
      {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"},
      {IN_ISDIR, "ISDIR"}};
  const char *sep = "";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (m & names[i].bit) {
      printf("%s%s", sep, names[i].name);
      sep = "|";
      m &= ~names[i].bit;
    }
  if (m) printf("%s0x%x", sep, m);
}

/* Reads and prints every queued event (the fd is non-blocking). */
static void drain(const char *what, int fd) {
  char buf[4096] __attribute__((aligned(8)));
  printf("%s:", what);
  int any = 0;
  for (;;) {
    long n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno != EAGAIN) printf(" read -1 %s", errname(errno));
      break;
    }
    for (long off = 0; off < n;) {
      struct inotify_event *e = (struct inotify_event *)(buf + off);
      printf(" [wd %d ", e->wd);
      print_mask(e->mask);
      if (e->len) printf(" '%s' len %u", e->name, e->len);
      if (e->cookie) {
        printf(" cookie %s", e->cookie == last_cookie ? "same" : "new");
        last_cookie = e->cookie;
      }
      printf("]");
      off += sizeof *e + e->len;
      any = 1;
    }
  }
  if (!any) printf(" none");
  printf("\n");
}

static int in_fd(void) { return inotify_init1(IN_NONBLOCK | IN_CLOEXEC); }

static void argument_checks(void) {
  show("init1(bad flag)", inotify_init1(1));
  show("init1(O_RDWR)", inotify_init1(O_RDWR));
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  printf("init1 flags: nonblock %d, cloexec %d, accmode %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
         fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & O_ACCMODE);
  int plain = open(path("plain"), O_CREAT | O_WRONLY, 0644);
  show("add_watch(bad fd)", inotify_add_watch(999, dir, IN_MODIFY));
  show("add_watch(not inotify)", inotify_add_watch(plain, dir, IN_MODIFY));
  show("add_watch(mask 0)", inotify_add_watch(fd, dir, 0));
  show("add_watch(mask 0, bad fd)", inotify_add_watch(999, dir, 0));
  show("add_watch(only flags)", inotify_add_watch(fd, dir, IN_ONLYDIR | IN_DONT_FOLLOW));
  show("add_watch(ADD|CREATE)", inotify_add_watch(fd, dir, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
  show("add_watch(unknown bit only)", inotify_add_watch(fd, dir, 0x00004000));
  show("add_watch(missing)", inotify_add_watch(fd, path("missing"), IN_MODIFY));
  show("add_watch(ONLYDIR file)", inotify_add_watch(fd, path("plain"), IN_MODIFY | IN_ONLYDIR));
  show("add_watch(file/x)", inotify_add_watch(fd, path("plain/x"), IN_MODIFY));
  show("add_watch(NULL)", inotify_add_watch(fd, NULL, IN_MODIFY));
  show("add_watch(\"\")", inotify_add_watch(fd, "", IN_MODIFY));
  symlink("plain", path("link"));
  symlink("missing", path("dangling"));
  show("add_watch(dangling)", inotify_add_watch(fd, path("dangling"), IN_MODIFY));
  show("add_watch(dangling, DONT_FOLLOW)", inotify_add_watch(fd, path("dangling"), IN_MODIFY | IN_DONT_FOLLOW));
  show("add_watch(dir)", inotify_add_watch(fd, dir, IN_MODIFY));
  show("add_watch(dir again)", inotify_add_watch(fd, dir, IN_CREATE));
  show("add_watch(dir, MASK_CREATE)", inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_CREATE));
  show("add_watch(plain)", inotify_add_watch(fd, path("plain"), IN_MODIFY));
  show("add_watch(link -> plain)", inotify_add_watch(fd, path("link"), IN_ATTRIB));
  show("add_watch(link, DONT_FOLLOW)", inotify_add_watch(fd, path("link"), IN_ATTRIB | IN_DONT_FOLLOW));
  show("rm_watch(bad fd)", inotify_rm_watch(999, 1));
  show("rm_watch(not inotify)", inotify_rm_watch(plain, 1));
  show("rm_watch(0)", inotify_rm_watch(fd, 0));
  show("rm_watch(-1)", inotify_rm_watch(fd, -1));
  show("rm_watch(77)", inotify_rm_watch(fd, 77));
  show("rm_watch(2)", inotify_rm_watch(fd, 2));
  show("rm_watch(2 again)", inotify_rm_watch(fd, 2));
  drain("after rm_watch", fd);
  show("add_watch(plain) after rm", inotify_add_watch(fd, path("plain"), IN_MODIFY));
  char small[8];
  show("read(no events)", read(fd, small, sizeof small));
  show("write(inotify)", write(fd, "x", 1));
  show("lseek(inotify)", lseek(fd, 0, SEEK_SET));
  show("pread(inotify)", pread(fd, small, sizeof small, 0));
  close(plain);
  close(fd);
  unlink(path("plain"));
  unlink(path("link"));
  unlink(path("dangling"));
}

/* The events of each file operation on a directory watched for all of them. */
static void directory_events(void) {
  int fd = in_fd();
  int wd = inotify_add_watch(fd, dir, IN_ALL_EVENTS);
  printf("dir wd %d\n", wd);
  int f = open(path("f"), O_CREAT | O_WRONLY, 0644);
  drain("creat", fd);
  write(f, "hello", 5);
  write(f, "hello", 5);
  drain("two writes", fd);
  write(f, "", 0);
  drain("empty write", fd);
  pwrite(f, "x", 1, 100);
  drain("pwrite", fd);
  ftruncate(f, 3);
  drain("ftruncate", fd);
  fchmod(f, 0600);
  drain("fchmod", fd);
  fallocate(f, 0, 0, 4096);
  drain("fallocate", fd);
  close(f);
  drain("close written", fd);
  f = open(path("f"), O_RDONLY);
  char buf[16];
  read(f, buf, 2);
  drain("open+read", fd);
  lseek(f, 0, SEEK_END);
  read(f, buf, 2);
  drain("read at eof", fd);
  pread(f, buf, 2, 0);
  drain("pread", fd);
  close(f);
  drain("close read-only", fd);
  f = open(path("f"), O_RDWR);
  close(f);
  drain("open O_RDWR + close", fd);
  f = open(path("f"), O_WRONLY | O_TRUNC);
  close(f);
  drain("O_TRUNC", fd);
  f = open(path("f"), O_PATH);
  close(f);
  drain("O_PATH", fd);
  struct stat st;
  stat(path("f"), &st);
  access(path("f"), R_OK);
  drain("stat+access", fd);
  chmod(path("f"), 0644);
  drain("chmod", fd);
  chown(path("f"), getuid(), getgid());
  drain("chown", fd);
  utimensat(AT_FDCWD, path("f"), NULL, 0);
  drain("utimensat", fd);
  truncate(path("f"), 10);
  drain("truncate", fd);
  link(path("f"), path("g"));
  drain("link", fd);
  rename(path("g"), path("h"));
  drain("rename", fd);
  rename(path("h"), path("f"));
  drain("rename over", fd);
  unlink(path("f"));
  drain("unlink", fd);
  mkdir(path("sub"), 0755);
  drain("mkdir", fd);
  DIR *d = opendir(path("sub"));
  while (readdir(d)) {
  }
  closedir(d);
  drain("list sub", fd);
  int self = open(dir, O_RDONLY | O_DIRECTORY);
  close(self);
  drain("open+close the watched dir", fd);
  rename(path("sub"), path("sub2"));
  drain("rename dir", fd);
  rmdir(path("sub2"));
  drain("rmdir", fd);
  symlink("target", path("sym"));
  drain("symlink", fd);
  unlink(path("sym"));
  mkfifo(path("fifo"), 0644);
  drain("unlink sym, mkfifo", fd);
  unlink(path("fifo"));
  mknod(path("node"), S_IFREG | 0644, 0);
  drain("unlink fifo, mknod", fd);
  unlink(path("node"));
  /* A name as long as a record: padded to the next 16 bytes. */
  close(open(path("name-of-16-chars"), O_CREAT | O_WRONLY, 0644));
  drain("16-char name", fd);
  unlink(path("name-of-16-chars"));
  drain("unlink it", fd);
  close(fd);
}

/* A file watched itself and through its directory: each gets the event. */
static void file_and_parent(void) {
  int fd = in_fd();
  int f = open(path("w"), O_CREAT | O_WRONLY, 0644);
  int dwd = inotify_add_watch(fd, dir, IN_ALL_EVENTS);
  int fwd = inotify_add_watch(fd, path("w"), IN_ALL_EVENTS);
  printf("wds %d %d\n", dwd, fwd);
  write(f, "a", 1);
  drain("write (both watched)", fd);
  link(path("w"), path("w2"));
  drain("link (file watched)", fd);
  unlink(path("w2"));
  drain("unlink one link", fd);
  rename(path("w"), path("w3"));
  drain("rename the file", fd);
  write(f, "b", 1);
  drain("write after rename", fd);
  unlink(path("w3"));
  drain("unlink while open", fd);
  write(f, "c", 1);
  drain("write after unlink", fd);
  close(f);
  drain("close after unlink", fd);
  /* Renamed over: the replaced file is deleted. */
  close(open(path("a"), O_CREAT | O_WRONLY, 0644));
  close(open(path("b"), O_CREAT | O_WRONLY, 0644));
  int awd = inotify_add_watch(fd, path("a"), IN_ALL_EVENTS);
  int bwd = inotify_add_watch(fd, path("b"), IN_ALL_EVENTS);
  printf("a %d b %d\n", awd, bwd);
  drain("set-up", fd);
  rename(path("a"), path("b"));
  drain("rename a over b", fd);
  unlink(path("b"));
  drain("unlink b", fd);
  mkdir(path("d"), 0755);
  int ddwd = inotify_add_watch(fd, path("d"), IN_ALL_EVENTS);
  printf("d %d\n", ddwd);
  close(open(path("d/x"), O_CREAT | O_WRONLY, 0644));
  unlink(path("d/x"));
  drain("in d", fd);
  rmdir(path("d"));
  drain("rmdir d", fd);
  close(fd);
}

/* A directory's own events, and a program run from a watched directory. */
static void directory_self(void) {
  int fd = in_fd();
  mkdir(path("s"), 0755);
  int wd = inotify_add_watch(fd, path("s"), IN_ALL_EVENTS);
  printf("s wd %d\n", wd);
  chmod(path("s"), 0700);
  drain("chmod s", fd);
  rename(path("s"), path("t"));
  drain("rename s", fd);
  mkdir(path("t/inner"), 0755);
  rename(path("t/inner"), path("inner"));
  drain("move a subdirectory out", fd);
  rmdir(path("inner"));
  rmdir(path("t"));
  drain("rmdir t", fd);
  close(fd);
}

static void watch_flags(void) {
  int fd = in_fd();
  close(open(path("o"), O_CREAT | O_WRONLY, 0644));
  int wd = inotify_add_watch(fd, path("o"), IN_ATTRIB | IN_ONESHOT);
  chmod(path("o"), 0600);
  chmod(path("o"), 0644);
  drain("oneshot, two chmods", fd);
  show("rm_watch(oneshot's wd)", inotify_rm_watch(fd, wd));
  wd = inotify_add_watch(fd, path("o"), IN_ATTRIB);
  show("add_watch(MASK_ADD MODIFY)", inotify_add_watch(fd, path("o"), IN_MODIFY | IN_MASK_ADD));
  int f = open(path("o"), O_WRONLY);
  write(f, "1", 1);
  fchmod(f, 0600);
  drain("after MASK_ADD", fd);
  show("add_watch(replace with OPEN)", inotify_add_watch(fd, path("o"), IN_OPEN));
  write(f, "1", 1);
  close(open(path("o"), O_RDONLY));
  drain("after replace", fd);
  close(f);
  /* IN_EXCL_UNLINK: no events for a child after it is unlinked. */
  int excl = in_fd();
  inotify_add_watch(excl, dir, IN_MODIFY | IN_CLOSE | IN_ATTRIB | IN_EXCL_UNLINK);
  inotify_add_watch(fd, dir, IN_MODIFY | IN_CLOSE | IN_ATTRIB);
  f = open(path("o"), O_WRONLY);
  write(f, "1", 1);
  unlink(path("o"));
  fchmod(f, 0600);
  write(f, "2", 1);
  close(f);
  drain("without EXCL_UNLINK", fd);
  drain("with EXCL_UNLINK", excl);
  /* A mask of event bits only some of which apply. */
  close(open(path("p"), O_CREAT | O_WRONLY, 0644));
  int pwd = inotify_add_watch(fd, path("p"), IN_CREATE | IN_DELETE | IN_DELETE_SELF);
  printf("p wd %s\n", pwd > 0 ? "ok" : "bad");
  unlink(path("p"));
  drain("unlink p (DELETE_SELF only)", fd);
  close(excl);
  close(fd);
}

static void reading(void) {
  int fd = in_fd();
  inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE);
  close(open(path("r1"), O_CREAT | O_WRONLY, 0644));
  close(open(path("r2"), O_CREAT | O_WRONLY, 0644));
  int avail = -1;
  ioctl(fd, FIONREAD, &avail);
  printf("FIONREAD %d\n", avail);
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  show("poll", poll(&p, 1, 0));
  printf("revents 0x%x\n", p.revents);
  char buf[64] __attribute__((aligned(8)));
  show("read(15 bytes)", read(fd, buf, 15));
  show("read(16 bytes)", read(fd, buf, 16));
  show("read(31 bytes)", read(fd, buf, 31));
  show("read(32 bytes)", read(fd, buf, 32));
  show("read(63 bytes)", read(fd, buf, 63));
  ioctl(fd, FIONREAD, &avail);
  printf("FIONREAD after %d\n", avail);
  unlink(path("r1"));
  unlink(path("r2"));
  show("read(bad buffer)", syscall(SYS_read, fd, (void *)8, 64));
  show("read(after the fault)", read(fd, buf, sizeof buf));
  show("read(bad buffer, none queued)", syscall(SYS_read, fd, (void *)8, 64));
  p.revents = 0;
  show("poll empty", poll(&p, 1, 0));
  close(fd);

  /* A blocking read waits for another process's change. */
  fd = inotify_init();
  inotify_add_watch(fd, dir, IN_CREATE);
  pid_t c = fork();
  if (c == 0) {
    usleep(20000);
    close(open(path("late"), O_CREAT | O_WRONLY, 0644));
    _exit(0);
  }
  long n = read(fd, buf, sizeof buf);
  struct inotify_event *e = (struct inotify_event *)buf;
  printf("blocking read: %ld bytes, mask 0x%x, '%s'\n", n, e->mask, e->name);
  wait_code(c);
  unlink(path("late"));
  close(fd);
}

static void overflow(void) {
  int limit = 0;
  FILE *lf = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
  if (lf) {
    if (fscanf(lf, "%d", &limit) != 1) limit = 0;
    fclose(lf);
  }
  printf("max_queued_events readable: %s\n", limit > 0 ? "yes" : "no");
  if (limit <= 0 || limit > 100000) return;
  int fd = in_fd();
  int f = open(path("ov"), O_CREAT | O_WRONLY, 0644);
  inotify_add_watch(fd, path("ov"), IN_MODIFY | IN_ATTRIB);
  for (int i = 0; i < limit + 10; i++) {
    if (i % 2) fchmod(f, 0644);
    else write(f, "x", 1);
  }
  long events = 0, overflows = 0, last_wd = 0;
  uint32_t last_mask = 0;
  char buf[4096] __attribute__((aligned(8)));
  long n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (long off = 0; off < n;) {
      struct inotify_event *e = (struct inotify_event *)(buf + off);
      events++;
      if (e->mask & IN_Q_OVERFLOW) overflows++;
      last_mask = e->mask, last_wd = e->wd;
      off += sizeof *e + e->len;
    }
  printf("overflow: events - limit = %ld, overflow events %ld, last mask 0x%x wd %ld\n", events - limit,
         overflows, last_mask, last_wd);
  write(f, "x", 1);
  drain("after overflow drained", fd);
  close(f);
  unlink(path("ov"));
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  strcpy(dir, "/tmp/inotify.XXXXXX");
  if (!mkdtemp(dir)) return 1;
  argument_checks();
  directory_events();
  file_and_parent();
  directory_self();
  watch_flags();
  reading();
  overflow();
  rmdir(dir);
  return 0;
}
