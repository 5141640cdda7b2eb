/* Files mapped MAP_SHARED: a /dev/shm file (shm_open style: created,
 * truncated, mapped, unlinked) and a memfd stay shared across fork and agree
 * with read()/write(); ftruncate/truncate errnos. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static void exercise(const char *what, int fd) {
  show("ftruncate to 8192", ftruncate(fd, 8192));
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("%s mapped: %d\n", what, m != MAP_FAILED);
  pid_t c = fork();
  if (c == 0) {
    strcpy(m + 100, "written by the child through its mapping");
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("  parent's mapping sees: %s\n", m + 100);
  char buf[64] = {0};
  pread(fd, buf, 40, 100);
  printf("  read() sees: %s\n", buf);
  pwrite(fd, "PWRITE", 6, 100);
  printf("  mapping sees pwrite: %.6s\n", m + 100);
  struct stat st;
  fstat(fd, &st);
  printf("  size %lld\n", (long long)st.st_size);
  munmap(m, 8192);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char path[64];
  snprintf(path, sizeof path, "/dev/shm/ditto-shm-%d", getpid());
  int fd = open(path, O_CREAT | O_RDWR | O_EXCL, 0600);
  show("unlink right away", unlink(path));
  exercise("/dev/shm file", fd);
  close(fd);
  int mfd = (int)syscall(SYS_memfd_create, "ditto", 1 /* MFD_CLOEXEC */);
  show("memfd_create", mfd >= 0 ? 0 : -1);
  exercise("memfd", mfd);
  show("fcntl FD_CLOEXEC on the memfd", fcntl(mfd, F_GETFD));
  show("ftruncate negative", ftruncate(mfd, -1));
  show("ftruncate stdin", ftruncate(0, 10));
  show("truncate a directory", truncate("/tmp", 0));
  show("memfd_create bad flags", syscall(SYS_memfd_create, "x", 0x100));
  return 0;
}
