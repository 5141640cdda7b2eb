/* openat2(2) against the host: struct open_how's size rules (EINVAL below
 * 24 bytes, E2BIG past a page or for nonzero bytes past the struct),
 * the checks open() does not make (unknown flags, a mode without O_CREAT,
 * O_PATH's companions, O_DIRECTORY|O_CREAT, resolve flags), RESOLVE_CACHED
 * refusing to create or truncate, opens that work as openat's, and the
 * flags open() keeps with O_PATH; and the old getdents(2) layout. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

struct how {
  uint64_t flags, mode, resolve;
};

static long o2(const char *path, uint64_t flags, uint64_t mode, uint64_t resolve, size_t size) {
  char buf[64] = {0};
  struct how h = {flags, mode, resolve};
  memcpy(buf, &h, sizeof h);
  return syscall(SYS_openat2, AT_FDCWD, path, buf, size);
}

static void opened(const char *what, long fd) {
  show(what, fd < 0 ? fd : 0);
  if (fd >= 0) {
    printf("  flags 0%o, cloexec %d\n", fcntl((int)fd, F_GETFL), fcntl((int)fd, F_GETFD));
    close((int)fd);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char dir[] = "/tmp/openat2.XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char file[64];
  snprintf(file, sizeof file, "%s/f", dir);
  opened("create", o2(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0640, 0, 24));
  struct stat st;
  stat(file, &st);
  printf("mode 0%o\n", st.st_mode & 07777);
  opened("read", o2(file, O_RDONLY, 0, 0, 24));
  opened("size 32, zero tail", o2(file, O_RDONLY, 0, 0, 32));
  show("size 16", o2(file, O_RDONLY, 0, 0, 16));
  show("size 0", o2(file, O_RDONLY, 0, 0, 0));
  show("size 8192", o2(file, O_RDONLY, 0, 0, 8192));
  char buf[40] = {0};
  struct how h = {O_RDONLY, 0, 0};
  memcpy(buf, &h, sizeof h);
  buf[30] = 1;
  show("nonzero tail", syscall(SYS_openat2, AT_FDCWD, file, buf, 40));
  show("bad pointer", syscall(SYS_openat2, AT_FDCWD, file, (void *)8, 24));
  show("unknown flag", o2(file, O_RDONLY | 0x40000000, 0, 0, 24));
  show("mode without O_CREAT", o2(file, O_RDONLY, 0644, 0, 24));
  show("mode with file type bits", o2(file, O_CREAT | O_WRONLY, 0100644, 0, 24));
  show("O_DIRECTORY|O_CREAT", o2(dir, O_DIRECTORY | O_CREAT, 0644, 0, 24));
  show("O_PATH|O_RDWR", o2(file, O_PATH | O_RDWR, 0, 0, 24));
  opened("O_PATH|O_NOFOLLOW|O_CLOEXEC", o2(file, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0, 24));
  show("unknown resolve flag", o2(file, O_RDONLY, 0, 0x1000, 24));
  show("BENEATH|IN_ROOT", o2(file, O_RDONLY, 0, 0x08 | 0x10, 24));
  show("CACHED with O_CREAT", o2(file, O_CREAT | O_WRONLY, 0644, 0x20, 24));
  show("CACHED with O_TRUNC", o2(file, O_WRONLY | O_TRUNC, 0, 0x20, 24));
  opened("CACHED read", o2(file, O_RDONLY, 0, 0x20, 24));
  show("missing", o2("/nonexistent/x", O_RDONLY, 0, 0, 24));
  show("O_EXCL on an existing file", o2(file, O_CREAT | O_EXCL | O_WRONLY, 0644, 0, 24));
  /* open() with O_PATH drops the flags that do not go with it, O_CREAT too. */
  opened("open O_PATH|O_NOFOLLOW|O_NONBLOCK|O_APPEND", open(file, O_PATH | O_NOFOLLOW | O_NONBLOCK | O_APPEND));
  char missing[80];
  snprintf(missing, sizeof missing, "%s/none", dir);
  show("open O_PATH|O_CREAT of a missing file", open(missing, O_PATH | O_CREAT, 0644));
  /* The old getdents(2): the same entries as getdents64, d_type last. */
  char sub[80], path2[120];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  mkdir(sub, 0755);
  snprintf(path2, sizeof path2, "%s/link", dir);
  symlink("f", path2);
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  char old[4096], new64[4096];
  long n_old = syscall(SYS_getdents, d, old, sizeof old);
  lseek(d, 0, SEEK_SET);
  long n_new = syscall(SYS_getdents64, d, new64, sizeof new64);
  printf("getdents %ld bytes, getdents64 %ld bytes\n", n_old, n_new);
  char names[16][64];
  int count = 0;
  for (long at = 0; at < n_old && count < 16;) {
    unsigned short reclen;
    memcpy(&reclen, old + at + 16, 2);
    snprintf(names[count++], sizeof names[0], "%s type %d", old + at + 18, old[at + reclen - 1]);
    at += reclen;
  }
  qsort(names, (size_t)count, sizeof names[0], (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < count; i++) printf("  %s\n", names[i]);
  lseek(d, 0, SEEK_SET);
  show("getdents into 10 bytes", syscall(SYS_getdents, d, old, 10));
  show("getdents of a file", syscall(SYS_getdents, open(file, O_RDONLY), old, sizeof old));
  close(d);
  unlink(path2);
  rmdir(sub);
  unlink(file);
  rmdir(dir);
  return 0;
}
