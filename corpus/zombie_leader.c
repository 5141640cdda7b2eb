/* A zombie leader: main calls pthread_exit while another thread runs; the
 * process is not waitable until that last thread is gone, and its status is
 * the last thread's. (glibc builds only: musl's pthread_exit from the main
 * thread of a forked child hangs natively.) */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static int gate[2];

static void *linger_then_exit(void *arg) {
  (void)arg;
  char c;
  read(gate[0], &c, 1);    /* until the parent process has looked */
  pthread_exit((void *)0); /* the last thread out: the process exits 0 */
}

static void *linger_then_exit_group(void *arg) {
  (void)arg;
  char c;
  read(gate[0], &c, 1);
  exit(6); /* exit_group after the leader is already a zombie */
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pipe(gate);
  for (int round = 0; round < 2; round++) {
    pid_t b = fork();
    if (b == 0) {
      pthread_t t;
      pthread_create(&t, NULL, round == 0 ? linger_then_exit : linger_then_exit_group, NULL);
      pthread_exit(NULL); /* main leaves first: a zombie leader */
    }
    int st;
    usleep(500);
    show("zombie leader not yet waitable (WNOHANG)", waitpid(b, &st, WNOHANG));
    write(gate[1], "x", 1);
    pid_t r = waitpid(b, &st, 0);
    printf("after the last thread (%s): reaped %d, exited %d\n", round == 0 ? "pthread_exit" : "exit",
           r == b, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  }
  return 0;
}
