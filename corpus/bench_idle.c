/* Benchmark: N idle child processes (blocked in read) at once, for the
 * memory cost of a process. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  int p[2];
  pipe(p);
  for (int i = 0; i < n; i++) {
    if (fork() == 0) {
      char c;
      close(p[1]);
      read(p[0], &c, 1);
      _exit(0);
    }
  }
  close(p[0]);
  usleep(10000); /* every child is idle now */
  close(p[1]);
  while (wait(NULL) > 0) {
  }
  printf("%d idle processes\n", n);
  return 0;
}
