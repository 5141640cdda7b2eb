/* Private memory given back and mapped again reads as zero (munmap, MAP_FIXED
 * over a mapping, brk shrink and grow, mremap shrink and grow, MADV_DONTNEED),
 * mremap carries sparse contents, and a mapping of several GiB (touched here
 * and there, across 1 GiB boundaries) keeps and forks its bytes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#define PAGE 4096UL
#define GIB (1UL << 30)

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  unsigned char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 0x5a, 16 * PAGE);
  show("munmap middle", munmap(p + 4 * PAGE, 4 * PAGE));
  unsigned char *q = mmap(p + 4 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("mapped again at the same place: %d, zero: %d, neighbours kept: %d %d\n", q == p + 4 * PAGE,
         all_zero(q, 4 * PAGE), p[4 * PAGE - 1] == 0x5a, p[8 * PAGE] == 0x5a);
  memset(q, 0x11, 4 * PAGE);
  q = mmap(p + 2 * PAGE, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED over the middle: zero %d, edges kept: %d %d\n", all_zero(q, 8 * PAGE), p[2 * PAGE - 1] == 0x5a,
         p[10 * PAGE] == 0x5a);
  show("MADV_DONTNEED 2 pages", madvise(p + 12 * PAGE, 2 * PAGE, MADV_DONTNEED));
  printf("after DONTNEED: zero %d, next page kept %d\n", all_zero(p + 12 * PAGE, 2 * PAGE), p[14 * PAGE] == 0x5a);

  /* mremap: shrink, then grow in place or moved: the dropped tail is zero. */
  unsigned char *r = mremap(p, 16 * PAGE, 12 * PAGE, 0);
  printf("shrunk in place: %d\n", r == p);
  r = mremap(p, 12 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
  printf("grown: head kept %d, dropped tail zero %d\n", r[0] == 0x5a && r[11 * PAGE] == 0x5a,
         all_zero(r + 12 * PAGE, 4 * PAGE));
  /* A sparse mapping moved to a fixed place carries its pages. */
  unsigned char *s = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 64; i += 7) s[i * PAGE + i] = (unsigned char)(i + 1);
  unsigned char *dst = mmap(NULL, 80 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *m = mremap(s, 64 * PAGE, 80 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
  int ok = m == dst;
  for (int i = 0; i < 64; i++) ok &= m[i * PAGE + i] == (i % 7 == 0 ? (unsigned char)(i + 1) : 0);
  printf("mremap to a fixed place: contents %d, grown part zero %d\n", ok, all_zero(m + 64 * PAGE, 16 * PAGE));
  unsigned char *again = mmap(s, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("old place mapped again: zero %d\n", all_zero(again, 64 * PAGE));

  /* brk: shrink, grow again: zero. (The raw syscall: musl's sbrk only reads.) */
  unsigned char *b0 = (unsigned char *)((syscall(SYS_brk, 0) + PAGE - 1) & ~(PAGE - 1));
  syscall(SYS_brk, b0 + 8 * PAGE);
  memset(b0, 0x77, 8 * PAGE);
  syscall(SYS_brk, b0);
  syscall(SYS_brk, b0 + 8 * PAGE);
  printf("brk shrunk and grown: zero %d\n", all_zero(b0, 8 * PAGE));

  /* 3 GiB, touched at a few places, across 1 GiB boundaries. */
  unsigned char *big = mmap(NULL, 3 * GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (big == MAP_FAILED) {
    printf("3 GiB mapping failed\n");
    return 1;
  }
  size_t spots[] = {0, GIB - 1, GIB, 2 * GIB - PAGE, 2 * GIB + 5, 3 * GIB - 1};
  for (int i = 0; i < 6; i++) big[spots[i]] = (unsigned char)(i + 10);
  /* A write that straddles a page (and maybe a 1 GiB) boundary. */
  uint64_t *straddle = (uint64_t *)(big + GIB - 4);
  *straddle = 0x1122334455667788ULL;
  pid_t c = fork();
  if (c == 0) {
    int ok2 = 1;
    for (int i = 0; i < 6; i++)  /* spots 1 and 2 lie under the straddling write */
      if (i != 1 && i != 2) ok2 &= big[spots[i]] == (unsigned char)(i + 10);
    ok2 &= *(uint64_t *)(big + GIB - 4) == 0x1122334455667788ULL;
    big[2 * GIB + 5] = 99;
    _exit(ok2 ? 0 : 1);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child saw the big mapping's bytes: %d; parent's copy unchanged: %d\n", WEXITSTATUS(st) == 0,
         big[2 * GIB + 5] == 14);
  show("munmap the middle GiB", munmap(big + GIB, GIB));
  unsigned char *mid = mmap(big + GIB, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  printf("middle GiB again: zero at old spots %d %d, outer spots kept %d %d\n", mid[0] == 0, mid[GIB - PAGE] == 0,
         big[0] == 10, big[3 * GIB - 1] == 15);
  return 0;
}
