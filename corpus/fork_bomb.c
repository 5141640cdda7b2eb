/* Resource exhaustion: fork until the kernel says no. Under Ditto the limit
 * of live processes gives EAGAIN, as RLIMIT_NPROC does on Linux; the host is
 * untouched. Not run natively by the tests (it would bomb the host). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  if (getpid() != 1000 && !getenv("DITTO_BOMB_NATIVE_OK")) {
    printf("refusing to run outside Ditto\n");
    return 2;
  }
  int n = 0;
  for (;;) {
    pid_t p = fork();
    if (p == 0) {
      signal(SIGTERM, SIG_DFL);
      for (;;) pause();
    }
    if (p < 0) {
      printf("fork failed after %d children: %s\n", n, errname(errno));
      break;
    }
    n++;
  }
  signal(SIGTERM, SIG_IGN); /* the group gets SIGTERM; we survive it */
  kill(0, SIGTERM);
  int reaped = 0;
  while (wait(NULL) > 0) reaped++;
  printf("reaped %d\n", reaped);
  return 0;
}
