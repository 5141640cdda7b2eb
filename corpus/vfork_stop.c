/* The vfork stop (vfork(2)): the parent is suspended until the child exits or
 * execs; only a fatal signal ends the stop early (other signals wait for it to
 * end); the child shares the parent's memory meanwhile. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static volatile int counter;
static volatile sig_atomic_t usr1_seen;
static void on_usr1(int s) { usr1_seen = s; }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3) { /* exec'd by a vfork child: wait for the go, then exit */
    char c;
    read(atoi(argv[2]), &c, 1);
    return 7;
  }

  /* 1. Until the child exits: the parent sees only the final value. */
  pid_t c = vfork();
  if (c == 0) {
    for (int i = 0; i < 1000; i++) {
      counter = i;
      if (i % 100 == 0) sched_yield();
    }
    _exit(0);
  }
  printf("after the child's _exit the parent sees counter %d\n", counter);
  wait_code(c);

  /* 2. Until the child execs: the parent runs again while the child lives. */
  int go[2];
  pipe(go);
  char fd[16];
  snprintf(fd, sizeof fd, "%d", go[0]);
  c = vfork();
  if (c == 0) {
    counter = -5;
    execl("/proc/self/exe", argv[0], "wait", fd, (char *)NULL);
    _exit(127);
  }
  int st;
  printf("after the child's exec: counter %d, child still running %d\n", counter, waitpid(c, &st, WNOHANG) == 0);
  write(go[1], "g", 1);
  printf("exec'd child exited %ld\n", wait_code(c));

  /* 3. Signals: SIGUSR1 waits for the stop to end; SIGKILL ends it. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGUSR1, on_usr1);
  int ready[2], release[2];
  pipe(ready);
  pipe(release);
  pid_t parent = fork();
  if (parent == 0) {
    pid_t v = vfork();
    if (v == 0) {
      char x;
      write(ready[1], "r", 1);
      read(release[0], &x, 1);
      _exit(0);
    }
    /* Only reached when the stop ends: the handler runs now, not before. */
    printf("vfork returned; SIGUSR1 handled after it: %d\n", usr1_seen == SIGUSR1);
    wait_code(v);
    _exit(usr1_seen == SIGUSR1 ? 0 : 1);
  }
  char x;
  read(ready[0], &x, 1); /* the parent is in its vfork stop */
  kill(parent, SIGUSR1);
  usleep(2000);
  write(release[1], "1", 1);
  printf("parent process exited %ld\n", wait_code(parent));

  parent = fork();
  if (parent == 0) {
    pid_t v = vfork();
    if (v == 0) {
      write(ready[1], "r", 1);
      read(release[0], &x, 1);
      _exit(0);
    }
    _exit(50); /* not reached: killed in the stop */
  }
  read(ready[0], &x, 1);
  kill(parent, SIGKILL);
  printf("parent killed in its vfork stop: status %ld\n", wait_code(parent));
  write(release[1], "1", 1);
  /* The orphaned vfork child came to us (subreaper). */
  pid_t orphan = waitpid(-1, &st, 0);
  printf("orphaned vfork child reaped: %d, exited %d\n", orphan > 0, WEXITSTATUS(st));
  return 0;
}
