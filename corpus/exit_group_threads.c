/* exit_group from a thread takes its siblings and the main thread with it:
 * the process's status is the exit_group code; and a thread leaving with
 * exit(2) (pthread_exit) leaves the others running. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static void *spin_forever(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void *exit_group_from_thread(void *arg) {
  (void)arg;
  usleep(1000);
  exit(21); /* exit_group: takes the spinning siblings and main with it */
}

static void *exit_one_thread(void *arg) {
  (void)arg;
  pthread_exit((void *)7); /* exit(2) of this thread only */
}

static void report(const char *what, pid_t p) {
  int st;
  pid_t r = waitpid(p, &st, 0);
  if (r != p) printf("%s: waitpid failed\n", what);
  else if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else printf("%s: killed by %d\n", what, WTERMSIG(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t a = fork();
  if (a == 0) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, spin_forever, NULL);
    pthread_create(&t2, NULL, exit_group_from_thread, NULL);
    pause();
    _exit(99);
  }
  report("exit_group from a thread", a);

  pid_t b = fork();
  if (b == 0) {
    pthread_t t;
    pthread_create(&t, NULL, exit_one_thread, NULL);
    void *r;
    pthread_join(t, &r);
    printf("main thread still running after a thread's exit(2), which returned %ld\n", (long)r);
    _exit(4);
  }
  report("exit(2) in one thread", b);
  return 0;
}
