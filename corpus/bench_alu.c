/* Benchmark: an ALU-bound loop (no memory traffic beyond registers).
   alu() is a function of its own so bench/unicorn_floor can run it alone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noipa)) uint64_t alu(long n) {
  uint64_t a = 1, b = 2, c = 3;
  for (long i = 0; i < n; i++) {
    a = a * 6364136223846793005ULL + b;
    b ^= a >> 13;
    c += (a & 0xff) * (b | 1);
  }
  return a ^ b ^ c;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000000;
  printf("%llu\n", (unsigned long long)alu(n));
  return 0;
}
