/* rdtsc must not leak the host's clock: under Ditto it reads the virtual
 * clock, so it advances with the guest's work and is the same in every run.
 * Prints properties only (native values differ run to run). */
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>

int main(int argc, char **argv) {
  uint64_t a = __rdtsc();
  volatile uint64_t x = 0;
  for (int i = 0; i < 100000; i++) x += i;
  uint64_t b = __rdtsc();
  printf("rdtsc advances: %d\n", b > a);
  /* With an argument, the raw values: equal in every Ditto run, never natively. */
  if (argc > 1) printf("rdtsc values %llu %llu\n", (unsigned long long)a, (unsigned long long)b);
  (void)argv;
  unsigned int eax, ebx, ecx, edx;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  printf("cpuid reports a TSC: %d\n", (edx >> 4) & 1);
  return 0;
}
