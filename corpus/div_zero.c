/* Integer division by zero: SIGFPE (status 136). */
#include <stdio.h>

int main(int argc, char **argv) {
  (void)argv;
  volatile int zero = argc - 1;
  printf("about to divide by zero\n");
  fflush(stdout);
  printf("%d\n", 100 / zero);
  return 0;
}
