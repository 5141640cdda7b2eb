/* Writes through a null pointer: SIGSEGV (status 139 from a shell). */
#include <stdio.h>

int main(void) {
  printf("about to dereference NULL\n");
  fflush(stdout);
  *(volatile int *)0 = 42;
  printf("not reached\n");
  return 0;
}
