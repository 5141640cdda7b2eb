/* Benchmark: N cycles of fork + _exit + waitpid. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int ok = 0;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) _exit(i & 0x7f);
    int st;
    if (waitpid(p, &st, 0) == p && WEXITSTATUS(st) == (i & 0x7f)) ok++;
  }
  printf("%d fork+exit+wait cycles ok\n", ok);
  return ok == n ? 0 : 1;
}
