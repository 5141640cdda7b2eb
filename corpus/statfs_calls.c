/* statfs/fstatfs and posix_fadvise against the host: the file system types
 * of /proc and /dev/shm (tmpfs), their block and name sizes (mount flags
 * differ between hosts: not compared),
 * the errno of a missing path, a bad buffer or descriptor, and fadvise's
 * checks. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

static void one(const char *path) {
  struct statfs s;
  if (statfs(path, &s) != 0) {
    printf("statfs %s = -1 %s\n", path, errname(errno));
    return;
  }
  printf("statfs %s: type %#lx bsize %ld namelen %ld frsize %ld\n", path, (long)s.f_type,
         (long)s.f_bsize, (long)s.f_namelen, (long)s.f_frsize);
}

int main(void) {
  one("/proc");
  one("/proc/self/status");
  one("/dev/shm");
  one("/nonexistent/x");
  one("/proc/self/status/x");
  show("statfs bad buffer", syscall(SYS_statfs, "/proc", (void *)8));
  show("statfs bad path", syscall(SYS_statfs, (void *)8, (void *)8));
  int fd = open("/proc/self/status", O_RDONLY);
  struct statfs s;
  show("fstatfs", fstatfs(fd, &s));
  printf("fstatfs type %#lx\n", (long)s.f_type);
  show("fstatfs ebadf", fstatfs(99, &s));
  char path[64];
  snprintf(path, sizeof path, "/dev/shm/ditto_statfs_%d", (int)getpid());
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink(path);
  printf("fadvise normal = %d\n", posix_fadvise(f, 0, 0, POSIX_FADV_NORMAL));
  printf("fadvise dontneed = %d\n", posix_fadvise(f, 0, 4096, POSIX_FADV_DONTNEED));
  printf("fadvise bad advice = %s\n", errname(posix_fadvise(f, 0, 0, 99)));
  printf("fadvise negative length = %s\n", errname(posix_fadvise(f, 0, -1, POSIX_FADV_NORMAL)));
  int p[2];
  if (pipe(p) != 0) return 1;
  printf("fadvise pipe = %s\n", errname(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL)));
  printf("fadvise ebadf = %s\n", errname(posix_fadvise(99, 0, 0, POSIX_FADV_NORMAL)));
  return 0;
}
