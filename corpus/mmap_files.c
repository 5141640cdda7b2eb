/* File mappings and mmap's flag rules: MAP_SHARED stores reach read() and
 * pwrite() reaches the mapping, MAP_PRIVATE stays private, a file grown by
 * ftruncate under a shared mapping, access-mode rules (EACCES, and no
 * mprotect(PROT_WRITE) on a shared map of a read-only descriptor), ENODEV,
 * /dev/zero, and MAP_SHARED_VALIDATE (EOPNOTSUPP for flags outside the legacy
 * set, MAP_SYNC without DAX). MAP_SYNC with plain MAP_SHARED/MAP_PRIVATE is
 * left out: newer kernels than the 6.1 Ditto models refuse it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

#define F "/tmp/ditto_mmap_files"

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int fd = open(F, O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(fd, "0123456789", 10);
  char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  s[0] = 'S';
  char b[16] = {0};
  pread(fd, b, 10, 0);
  printf("read after a shared store: %s\n", b);
  pwrite(fd, "W", 1, 1);
  printf("shared map sees pwrite: %c\n", s[1]);
  char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  p[2] = 'P';
  pread(fd, b, 10, 0);
  printf("read after a private store: %s; private sees %.4s\n", b, p);
  show("ftruncate to 20", ftruncate(fd, 20));
  printf("shared map byte 15 after growth: %d\n", s[15]);
  s[12] = 'G';
  pread(fd, b, 13, 0);
  printf("store into the grown part reaches the file: %c\n", b[12]);
  struct stat st;
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  int ro = open(F, O_RDONLY);
  show("MAP_SHARED PROT_WRITE on O_RDONLY",
       (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
  show("MAP_PRIVATE PROT_WRITE on O_RDONLY",
       mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) != MAP_FAILED);
  char *sro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  show("mprotect PROT_WRITE on a read-only shared file map", mprotect(sro, 4096, PROT_READ | PROT_WRITE));
  int wo = open(F, O_WRONLY);
  show("mmap O_WRONLY", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0));
  int pp[2];
  pipe(pp);
  show("mmap a pipe", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, pp[0], 0));
  int z = open("/dev/zero", O_RDWR);
  char *zp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  show("mmap /dev/zero private", zp != MAP_FAILED && zp[100] == 0);
  char *zs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  show("mmap /dev/zero shared", zs != MAP_FAILED);
  int dn = open("/dev/null", O_RDWR);
  show("mmap /dev/null", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, dn, 0));
  show("mmap offset past EOF", mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 1 << 20) != MAP_FAILED);
  show("MAP_SHARED_VALIDATE", mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE, fd, 0) != MAP_FAILED);
  show("MAP_PRIVATE|MAP_SHARED is MAP_SHARED_VALIDATE",
       mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_SHARED, fd, 0) != MAP_FAILED);
  int fd2 = fd;
  {
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0);
    show("VALIDATE anonymous", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap((void *)0x300000000, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fd2, 0);
    show("VALIDATE|FIXED_NOREPLACE", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x80000, fd2, 0);
    show("VALIDATE|MAP_SYNC", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_POPULATE | MAP_LOCKED, fd2, 0);
    show("VALIDATE|MAP_POPULATE|MAP_LOCKED", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_32BIT, fd2, 0);
    show("VALIDATE|MAP_32BIT", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd2, 0);
    show("VALIDATE|bit 0x800000", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, 0x20, -1, 0);
    show("type 0", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, 0xf | 0x20, -1, 0);
    show("type 0xf", r == MAP_FAILED ? -1 : 0);
  }
  {
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    show("SHARED anonymous GROWSDOWN", r == MAP_FAILED ? -1 : 0);
  }

  unlink(F);
  return 0;
}
