/* Thread exit rules: CLONE_CHILD_CLEARTID (pthread_join wakes), exit_group
 * from a thread kills its siblings, a zombie leader (main called
 * pthread_exit) is reaped only when the whole group is gone, with the status
 * of the last thread. Each scenario runs in a child process. */
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

static int gate[2];

static void *linger_then_exit(void *arg) {
  (void)arg;
  char c;
  read(gate[0], &c, 1); /* until the parent process has looked */
  pthread_exit((void *)0); /* the last thread out: the process exits 0 */
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

  pipe(gate);
  pid_t b = fork();
  if (b == 0) {
    pthread_t t;
    pthread_create(&t, NULL, linger_then_exit, NULL);
    pthread_exit(NULL); /* main leaves first: a zombie leader */
  }
  int st;
  usleep(500);
  show("zombie leader not yet waitable (WNOHANG)", waitpid(b, &st, WNOHANG));
  write(gate[1], "x", 1);
  report("after the last thread", b);

  pid_t c = fork();
  if (c == 0) {
    pthread_t t;
    void *r;
    write(gate[1], "x", 1);
    pthread_create(&t, NULL, linger_then_exit, NULL);
    pthread_join(t, &r); /* needs the CLEARTID futex wake */
    printf("joined a thread that called pthread_exit\n");
    _exit(5);
  }
  report("join via cleartid", c);
  return 0;
}
