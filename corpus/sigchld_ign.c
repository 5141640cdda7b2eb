/* SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT): children are reaped
 * automatically and wait fails with ECHILD; a SIGCHLD handler runs with
 * CLD_EXITED; vfork's parent is stopped until the child exits or execs. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static volatile sig_atomic_t got, code, status;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  got++;
  code = si->si_code;
  status = si->si_status;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGCHLD, SIG_IGN);
  pid_t a = fork();
  if (a == 0) _exit(1);
  usleep(2000);
  int st;
  show("wait with SIGCHLD ignored", waitpid(a, &st, 0));
  signal(SIGCHLD, SIG_DFL);

  struct sigaction sa = {0};
  sa.sa_handler = SIG_DFL;
  sa.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  pid_t b = fork();
  if (b == 0) _exit(2);
  usleep(2000);
  show("wait with SA_NOCLDWAIT", waitpid(b, &st, 0));

  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  /* Blocked until sigsuspend: a SIGCHLD between the test and a pause()
   * would leave the parent waiting forever. */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  pid_t c = fork();
  if (c == 0) _exit(3);
  while (!got) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("handler ran %d time(s): code CLD_EXITED %d status %d\n", got, code == CLD_EXITED, status);
  show("zombie still waitable", waitpid(c, &st, 0) == c);

  volatile int shared = 0;
  pid_t v = vfork();
  if (v == 0) {
    shared = 42; /* the parent is stopped: it sees this after we exit */
    _exit(0);
  }
  printf("vfork parent resumed after the child: shared %d\n", shared);
  waitpid(v, &st, 0);
  return 0;
}
