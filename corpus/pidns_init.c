/* PID namespaces: the first child of CLONE_NEWPID is pid 1 with parent 0,
 * pids are per namespace, the parent sees the child's outer pid, orphans
 * inside go to the namespace's init, init ignores SIGTERM from inside, and
 * when init dies every process of the namespace is killed.
 * unshare(CLONE_NEWPID) puts the caller's next child in a new namespace. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static int init_body(int holder_fd) {
  printf("in the namespace: pid %d, ppid %d\n", getpid(), getppid());
  show("kill(1, SIGTERM) from inside", kill(1, SIGTERM));
  printf("init survived it\n");
  int said[2];
  pipe(said);
  pid_t g = fork();
  if (g == 0) {
    printf("grandchild: pid %d, ppid %d\n", getpid(), getppid());
    pid_t orphan = fork();
    if (orphan == 0) {
      while (getppid() != 1) usleep(100);
      printf("orphan reparented to the namespace's init: ppid %d\n", getppid());
      write(said[1], "x", 1);
      /* Stays alive holding the pipe until init dies. */
      (void)holder_fd;
      for (;;) pause();
    }
    _exit(3);
  }
  int st;
  pid_t r = waitpid(g, &st, 0);
  char ch;
  read(said[0], &ch, 1); /* the orphan has spoken */
  printf("init reaped pid %d\n", r);
  return 7;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  pipe(p);
  pid_t c = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) {
    close(p[0]);
    _exit(init_body(p[1]));
  }
  close(p[1]);
  int st;
  waitpid(c, &st, 0); /* before printing: the namespace's output comes first */
  printf("parent sees a real pid: %d\n", c > 1);
  printf("init exited %d\n", WEXITSTATUS(st));
  char ch;
  printf("the orphan died with init (pipe EOF): %d\n", read(p[0], &ch, 1) == 0);

  show("unshare CLONE_NEWPID", unshare(CLONE_NEWPID));
  pid_t me = getpid();
  pid_t d = fork();
  if (d == 0) {
    printf("after unshare, the child is pid %d\n", getpid());
    _exit(0);
  }
  waitpid(d, NULL, 0);
  printf("the caller keeps its pid: %d\n", getpid() == me);
  show("unshare CLONE_NEWPID twice", unshare(CLONE_NEWPID));
  return 0;
}
