/* Benchmark: an ALU-bound loop (no memory traffic beyond registers). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000000;
  uint64_t a = 1, b = 2, c = 3;
  for (long i = 0; i < n; i++) {
    a = a * 6364136223846793005ULL + b;
    b ^= a >> 13;
    c += (a & 0xff) * (b | 1);
  }
  printf("%llu\n", (unsigned long long)(a ^ b ^ c));
  return 0;
}
