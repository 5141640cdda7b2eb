/* Benchmark: memory-heavy RC4 keystream applied over a 1 MiB buffer, repeatedly.
   rc4() is a function of its own so bench/unicorn_floor can run it alone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t buf[1 << 20];

__attribute__((noipa)) uint64_t rc4(long rounds) {
  size_t n = sizeof buf;
  uint8_t S[256];
  for (int i = 0; i < 256; i++) S[i] = (uint8_t)i;
  const char *key = "ditto";
  for (int i = 0, j = 0; i < 256; i++) {
    j = (j + S[i] + key[i % 5]) & 255;
    uint8_t t = S[i]; S[i] = S[j]; S[j] = t;
  }
  unsigned i = 0, j = 0;
  for (long r = 0; r < rounds; r++)
    for (size_t k = 0; k < n; k++) {
      i = (i + 1) & 255;
      j = (j + S[i]) & 255;
      uint8_t t = S[i]; S[i] = S[j]; S[j] = t;
      buf[k] ^= S[(S[i] + S[j]) & 255];
    }
  uint64_t h = 0;
  for (size_t k = 0; k < n; k++) h = h * 31 + buf[k];
  return h;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  printf("%016llx\n", (unsigned long long)rc4(rounds));
  return 0;
}
