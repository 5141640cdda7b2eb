/* rdtsc must not leak the host's clock: under Ditto it reads the virtual
 * clock, so it advances with the guest's work and is the same in every run.
 * Prints properties only (native values differ run to run). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>

int main(int argc, char **argv) {
  uint64_t a = __rdtsc();
  volatile uint64_t x = 0;
  for (int i = 0; i < 100000; i++) x += i;
  uint64_t b = __rdtsc();
  printf("rdtsc advances: %d\n", b > a);
  /* An rdtsc in code written at run time (a JIT's), into memory that was
   * mapped writable and executable before the instruction existed. */
  unsigned char *jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (jit == MAP_FAILED) return 1;
  static const unsigned char read_tsc[] = {0x0f, 0x31,             /* rdtsc */
                                           0x48, 0xc1, 0xe2, 0x20, /* shl rdx, 32 */
                                           0x48, 0x09, 0xd0,       /* or rax, rdx */
                                           0xc3};                  /* ret */
  memcpy(jit, read_tsc, sizeof read_tsc);
  uint64_t c = ((uint64_t (*)(void))jit)();
  uint64_t d = __rdtsc();
  printf("rdtsc in code written at run time is in order: %d\n", b <= c && c <= d);
  /* With an argument, the raw values: equal in every Ditto run, never natively. */
  if (argc > 1)
    printf("rdtsc values %llu %llu %llu\n", (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
  (void)argv;
  unsigned int eax, ebx, ecx, edx;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  printf("cpuid reports a TSC: %d\n", (edx >> 4) & 1);
  return 0;
}
