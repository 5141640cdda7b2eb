/* Reads all of stdin and prints its length, line count and a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char buf[4096];
  long total = 0, lines = 0;
  uint32_t sum = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      sum = sum * 31 + (unsigned char)buf[i];
      lines += buf[i] == '\n';
    }
    total += n;
  }
  printf("stdin: %ld bytes, %ld lines, checksum %08x\n", total, lines, sum);
  return 0;
}
