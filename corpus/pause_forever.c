/* Asks for a syscall Ditto does not model, then waits for a signal that never
 * comes: Ditto ends the run as a deadlock, and its report must still list
 * what went unsupported (the likely cause). Not run natively: it never ends. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  long r = syscall(999); /* no such syscall: ENOSYS, counted as unsupported */
  printf("syscall 999 = %ld\n", r);
  fflush(stdout);
  pause();
  return 0;
}
