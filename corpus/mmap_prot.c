/* mmap, munmap, mprotect, mremap, madvise: contents and errnos. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  printf("page size %ld\n", page);
  char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show("mmap anon", p == MAP_FAILED ? -1 : 0);
  printf("fresh page zero: %d\n", p[0] == 0 && p[4 * page - 1] == 0);
  for (long i = 0; i < 4 * page; i++) p[i] = (char)(i * 7);
  show("mprotect ro", mprotect(p, page, PROT_READ));
  printf("still readable: %d\n", p[5] == 35);
  show("mprotect unaligned", mprotect(p + 1, page, PROT_READ));
  show("munmap middle", munmap(p + page, page));
  show("mprotect over hole", mprotect(p, 3 * page, PROT_READ));
  show("munmap unaligned", munmap(p + 1, page));
  show("munmap zero len", munmap(p, 0));
  char *q = mremap(p + 2 * page, 2 * page, 8 * page, MREMAP_MAYMOVE);
  show("mremap grow", q == MAP_FAILED ? -1 : 0);
  printf("mremap kept data: %d\n", q[0] == (char)(2 * page * 7) && q[page] == (char)(3 * page * 7));
  printf("mremap tail zero: %d\n", q[8 * page - 1] == 0);
  show("mremap no move shrink", mremap(q, 8 * page, page, 0) == MAP_FAILED ? -1 : 0);
  char *fixed = mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  show("MAP_FIXED_NOREPLACE on used", fixed == MAP_FAILED ? -1 : 0);
  show("mmap bad flags", mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
  show("mmap zero len", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
  show("mmap bad fd", mmap(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? -1 : 0);
  show("mmap unaligned off", mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1) == MAP_FAILED ? -1 : 0);

  int fd = open("/tmp/mmap_file", O_CREAT | O_RDWR | O_TRUNC, 0644);
  for (int i = 0; i < 3000; i++) write(fd, "0123456789", 10);
  char *f = mmap(NULL, 30000, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 8192);
  show("mmap file private", f == MAP_FAILED ? -1 : 0);
  printf("file bytes: %.10s\n", f);
  printf("past EOF in last page is zero: %d\n", f[30000 - 8192 + 10] == 0);
  f[0] = 'X';
  char b;
  pread(fd, &b, 1, 8192);
  printf("private write does not reach the file: %d\n", b == '2');
  /* MADV_DONTNEED drops the private copy: the page reads the file again,
   * and the tail past EOF reads zero. */
  f[8192 + 1] = 'Y';
  show("madvise dontneed on a private file mapping", madvise(f, 3 * page, MADV_DONTNEED));
  printf("file bytes again: %.10s, page 2 again: %d, past EOF zero: %d\n", f, f[8192 + 1] == '5',
         f[30000 - 8192 + 10] == 0);
  char *w = mmap(NULL, page, PROT_READ, MAP_PRIVATE, open("/tmp/mmap_file", O_WRONLY), 0);
  show("mmap write-only fd", w == MAP_FAILED ? -1 : 0);
  unlink("/tmp/mmap_file");

  char *z = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  z[10] = 1;
  show("madvise dontneed", madvise(z, 2 * page, MADV_DONTNEED));
  printf("zero after dontneed: %d\n", z[10] == 0);
  show("madvise bad advice", madvise(z, page, 12345));
  return 0;
}
