/* execve from a thread that is not the leader: the other threads die, the
 * execing thread takes the process's pid, the parent sees one process. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static char *self_path;
static pid_t leader;

static void *spinner(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void *execer(void *arg) {
  (void)arg;
  printf("execing thread is not the leader: %d\n", (pid_t)syscall(SYS_gettid) != leader);
  fflush(stdout);
  char *args[] = {self_path, "after-exec", NULL};
  execv(self_path, args);
  printf("execv failed\n");
  return NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) {
    printf("after exec: pid is the old leader's: %d, tid == pid: %d\n", getpid() == atoi(getenv("LEADER")),
           (pid_t)syscall(SYS_gettid) == getpid());
    return 6;
  }
  pid_t c = fork();
  if (c == 0) {
    self_path = argv[0];
    leader = getpid();
    char buf[32];
    snprintf(buf, sizeof buf, "%d", leader);
    setenv("LEADER", buf, 1);
    pthread_t a, b;
    pthread_create(&a, NULL, spinner, NULL);
    pthread_create(&b, NULL, execer, NULL);
    for (;;) pause();
  }
  int st;
  pid_t r = waitpid(c, &st, 0);
  printf("parent reaped the same pid: %d, exit %d\n", r == c, WEXITSTATUS(st));
  show("no more children", waitpid(-1, &st, 0));
  return 0;
}
