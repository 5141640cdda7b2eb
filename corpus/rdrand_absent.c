/* rdrand would hand the guest host randomness. Ditto's CPU does not have it:
 * CPUID says so, and executing it raises SIGILL (status 132) under Ditto.
 * Natively the result depends on the host CPU, so this is not differential. */
#include <stdio.h>

int main(void) {
  unsigned int eax, ebx, ecx, edx;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  printf("cpuid rdrand bit: %u\n", (ecx >> 30) & 1);
  fflush(stdout);
  unsigned long long v;
  unsigned char ok;
  __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
  printf("rdrand executed: %llu %u\n", v, ok);
  return 0;
}
