/* brk growth through sbrk and malloc; the heap keeps its contents. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
#ifdef __GLIBC__
  /* musl's malloc owns the break (and musl's brk() always fails), so only
   * glibc gets the hand-made sbrk games. */
  char *start = sbrk(0);
  char *p = sbrk(1 << 20);
  show("sbrk 1MiB", p == (void *)-1 ? -1 : 0);
  printf("sbrk returned old break: %d\n", p == start);
  for (int i = 0; i < (1 << 20); i += 4096) p[i] = (char)i;
  char *end = sbrk(0);
  printf("break moved by 1MiB: %d\n", end - start == (1 << 20));
  show("sbrk shrink", sbrk(-(1 << 19)) == (void *)-1 ? -1 : 0);
  printf("after shrink: %ld\n", (long)((char *)sbrk(0) - start));
  /* Below the start of the heap: Linux leaves the break where it is. */
  show("brk below heap start", brk((void *)0x10000));
  printf("break unchanged: %d\n", (char *)sbrk(0) - start == (1 << 19));
#endif
  size_t total = 0;
  void *blocks[200];
  for (int i = 0; i < 200; i++) {
    blocks[i] = malloc(1000 + i * 97);
    memset(blocks[i], i, 1000 + i * 97);
    total += 1000 + i * 97;
  }
  int ok = 1;
  for (int i = 0; i < 200; i++) ok &= ((unsigned char *)blocks[i])[999] == (unsigned char)i;
  printf("malloc'd %zu bytes in 200 blocks, intact: %d\n", total, ok);
  void *big = malloc(64 << 20);
  show("malloc 64MiB", big ? 0 : -1);
  memset(big, 1, 64 << 20);
  free(big);
  /* The break raised a page at a time, 5000 times, each page written: in
   * Ditto every raise is a mapping of its own until they are coalesced. */
  char *top = (char *)syscall(SYS_brk, 0);
  long raised = 0;
  for (long i = 1; i <= 5000; i++) {
    if ((char *)syscall(SYS_brk, top + i * 4096) != top + i * 4096) break;
    top[(i - 1) * 4096 + (i % 4000)] = (char)i;
    raised++;
  }
  long sum = 0;
  for (long i = 1; i <= raised; i++) sum += (unsigned char)top[(i - 1) * 4096 + (i % 4000)];
  printf("break raised a page at a time %ld times, bytes sum %ld\n", raised, sum);
  return 0;
}
