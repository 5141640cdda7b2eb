/* CPU-heavy: fills 32 MiB with a generator and hashes it several times. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 4;
  size_t n = 32u << 20;
  uint8_t *buf = malloc(n);
  uint64_t s = 88172645463325252ULL;
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    buf[i] = (uint8_t)s;
  }
  uint64_t h = 1469598103934665603ULL;
  for (int r = 0; r < rounds; r++)
    for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 1099511628211ULL;
  printf("fnv1a over %d x 32 MiB: %016llx\n", rounds, (unsigned long long)h);
  return 0;
}
