/* Job control: SIGSTOP/SIGTSTP stop a process, SIGCONT continues it, SIGKILL
 * kills it even while stopped; wait reports each change once (WUNTRACED,
 * WCONTINUED, waitid WSTOPPED) and the parent's SIGCHLD says CLD_STOPPED /
 * CLD_CONTINUED. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static volatile sig_atomic_t codes[8], ncodes;
static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  if (ncodes < 8) codes[ncodes++] = si->si_code;
}

static void describe(int st) {
  if (WIFSTOPPED(st)) printf("  stopped by %s\n", strsignal(WSTOPSIG(st)));
  else if (WIFCONTINUED(st)) printf("  continued\n");
  else if (WIFSIGNALED(st)) printf("  killed by %s\n", strsignal(WTERMSIG(st)));
  else if (WIFEXITED(st)) printf("  exited %d\n", WEXITSTATUS(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  int st;
  pid_t c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  show("kill SIGSTOP", kill(c, SIGSTOP));
  show("waitpid WUNTRACED", waitpid(c, &st, WUNTRACED) == c);
  describe(st);
  show("reported once (WNOHANG again)", waitpid(c, &st, WUNTRACED | WNOHANG));
  show("kill SIGCONT", kill(c, SIGCONT));
  show("waitpid WCONTINUED", waitpid(c, &st, WCONTINUED) == c);
  describe(st);
  kill(c, SIGSTOP);
  siginfo_t si = {0};
  show("waitid WSTOPPED", waitid(P_PID, c, &si, WSTOPPED));
  printf("  code CLD_STOPPED %d status SIGSTOP %d\n", si.si_code == CLD_STOPPED, si.si_status == SIGSTOP);
  show("kill SIGKILL while stopped", kill(c, SIGKILL));
  show("waitpid", waitpid(c, &st, 0) == c);
  describe(st);

  pid_t d = fork();
  if (d == 0) {
    /* A group of its own whose parent is in another group of the session:
     * not orphaned, so SIGTSTP stops it (an orphaned group ignores it). */
    setpgid(0, 0);
    raise(SIGTSTP);
    _exit(8); /* after SIGCONT */
  }
  setpgid(d, d);
  waitpid(d, &st, WUNTRACED);
  describe(st);
  kill(d, SIGCONT);
  waitpid(d, &st, 0);
  describe(st);
  /* Which codes arrived (SIGCHLDs that meet while pending merge, so counts
   * and order depend on timing natively). */
  int seen[8] = {0};
  for (int i = 0; i < ncodes; i++)
    if (codes[i] > 0 && codes[i] < 8) seen[codes[i]] = 1;
  /* The same in an orphaned group (this process's own, whose parent is
   * outside the session under Ditto and may be anywhere natively) is not
   * printed: the outcome depends on who launched us. */
  printf("SIGCHLD codes seen: stopped %d continued %d\n", seen[CLD_STOPPED], seen[CLD_CONTINUED]);
  return 0;
}
