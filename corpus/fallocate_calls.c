/* fallocate(2) against the host, on a tmpfs file (/dev/shm): growing a file
 * (mode 0), preallocating past the end (KEEP_SIZE), punching a hole (bytes
 * read back as zeros, the size stays), the modes tmpfs does not have, the
 * argument checks in Linux's order, and each kind of descriptor that cannot
 * be allocated on. st_blocks is not compared: Ditto keeps files whole. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

/* musl's headers carry only the first two; the values are Linux's ABI
 * (include/uapi/linux/falloc.h). */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#ifndef FALLOC_FL_INSERT_RANGE
#define FALLOC_FL_INSERT_RANGE 0x20
#endif

static long fa(int fd, int mode, long off, long len) { return syscall(SYS_fallocate, fd, mode, off, len); }

static void size_of(int fd, const char *what) {
  struct stat s;
  fstat(fd, &s);
  printf("%s: size %ld\n", what, (long)s.st_size);
}

static int changed(struct timespec a, struct timespec b) { return a.tv_sec != b.tv_sec || a.tv_nsec != b.tv_nsec; }

static void times_after(int fd, const char *what, int mode, long off, long len) {
  struct stat before, after;
  fstat(fd, &before);
  usleep(20000);
  long r = fa(fd, mode, off, len);
  fstat(fd, &after);
  printf("%s = %ld: mtime changed %d, ctime changed %d\n", what, r, changed(before.st_mtim, after.st_mtim),
         changed(before.st_ctim, after.st_ctim));
}

int main(void) {
  char path[64];
  snprintf(path, sizeof path, "/dev/shm/ditto_fallocate_%d", (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 1;

  show("grow to 10000", fa(fd, 0, 0, 10000));
  size_of(fd, "after grow");
  show("inside the file", fa(fd, 0, 100, 200));
  size_of(fd, "after inside");
  show("keep size past the end", fa(fd, FALLOC_FL_KEEP_SIZE, 9000, 50000));
  size_of(fd, "after keep size");
  show("offset past the end", fa(fd, 0, 20000, 1));
  size_of(fd, "after offset past the end");

  char buf[32];
  memset(buf, 'x', sizeof buf);
  pwrite(fd, buf, sizeof buf, 0);
  show("punch hole", fa(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 8, 16));
  memset(buf, '?', sizeof buf);
  pread(fd, buf, sizeof buf, 0);
  for (int i = 0; i < 32; i++) putchar(buf[i] ? buf[i] : '0');
  putchar('\n');
  show("punch past the end", fa(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 15000, 100000));
  size_of(fd, "after punch past the end");

  times_after(fd, "grow, times", 0, 0, 30000);
  times_after(fd, "allocate inside, times", 0, 0, 100);
  times_after(fd, "keep size, times", FALLOC_FL_KEEP_SIZE, 0, 90000);
  times_after(fd, "punch, times", FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10);

  /* Argument checks, in vfs_fallocate()'s order. */
  show("negative offset", fa(fd, 0, -1, 10));
  show("zero length", fa(fd, 0, 0, 0));
  show("negative length", fa(fd, 0, 0, -5));
  show("unknown mode bit", fa(fd, 0x1000, 0, 10));
  show("punch without keep size", fa(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
  show("zero range", fa(fd, FALLOC_FL_ZERO_RANGE, 0, 4096));
  show("collapse range", fa(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
  show("insert range", fa(fd, FALLOC_FL_INSERT_RANGE, 0, 4096));
  show("collapse with keep size", fa(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
  show("wraps past the largest offset", fa(fd, 0, 0x7fffffffffffff00L, 0x1000));
  show("more than the file system holds", fa(fd, 0, 0, 1L << 50));
  show("more than it holds, keep size", fa(fd, FALLOC_FL_KEEP_SIZE, 0, 1L << 50));
  size_of(fd, "after refusals");
  show("bad descriptor", fa(99, 0, 0, 10));
  show("bad descriptor, bad mode", fa(99, 0x1000, 0, 10));
  show("bad descriptor, bad length", fa(99, 0, 0, 0));

  int ro = open(path, O_RDONLY);
  show("read-only descriptor", fa(ro, 0, 0, 10));
  show("read-only descriptor, bad mode", fa(ro, 0x1000, 0, 10));
  int ap = open(path, O_WRONLY | O_APPEND);
  show("append descriptor", fa(ap, 0, 0, 40000));
  show("append descriptor, punch", fa(ap, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10));
  int op = open(path, O_PATH);
  show("O_PATH descriptor", fa(op, 0, 0, 10));
  int p[2];
  pipe(p);
  show("pipe", fa(p[1], 0, 0, 10));
  show("pipe read end", fa(p[0], 0, 0, 10));
  int d = open("/dev/shm", O_RDONLY | O_DIRECTORY);
  show("directory", fa(d, 0, 0, 10));
  int nul = open("/dev/null", O_WRONLY);
  show("/dev/null", fa(nul, 0, 0, 10));
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  show("socket", fa(s, 0, 0, 10));
  int e = eventfd(0, 0);
  show("eventfd", fa(e, 0, 0, 10));
  int m = memfd_create("fa", 0);
  show("memfd", fa(m, 0, 0, 5000));
  size_of(m, "memfd");

  unlink(path);
  return 0;
}
