/* Benchmark: N getpid syscalls (raw, so no libc caching). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  long sum = 0;
  for (long i = 0; i < n; i++) sum += syscall(SYS_getpid) > 0;
  printf("%ld getpid calls\n", sum);
  return 0;
}
