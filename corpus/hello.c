/* The demo program: greets and exits 0. */
#include <stdio.h>

int main(void) {
  printf("Hello from a guest program running under Ditto!\n");
  return 0;
}
