/* wait4/waitpid/waitid options: pid selectors, WNOHANG, WNOWAIT, __WALL,
 * status encodings, waitid's siginfo, ECHILD and EINVAL. No pid values. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t a = fork();
  if (a == 0) _exit(3);
  pid_t b = fork();
  if (b == 0) {
    setpgid(0, 0);
    _exit(4);
  }
  setpgid(b, b); /* both sides, so no race decides the group */
  pid_t c = fork();
  if (c == 0) abort();
  siginfo_t si;
  usleep(2000);
  /* WNOWAIT: look, then wait for real. */
  memset(&si, 0, sizeof si);
  show("waitid P_PID WNOWAIT", waitid(P_PID, a, &si, WEXITED | WNOWAIT));
  printf("  signo SIGCHLD %d code CLD_EXITED %d status %d pid matches %d\n", si.si_signo == SIGCHLD,
         si.si_code == CLD_EXITED, si.si_status, si.si_pid == a);
  int st;
  show("waitpid after WNOWAIT finds it again", waitpid(a, &st, 0) == a);
  printf("  exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
  memset(&si, 0, sizeof si);
  show("waitid P_PGID of b's group", waitid(P_PGID, b, &si, WEXITED));
  printf("  status %d pid matches %d\n", si.si_status, si.si_pid == b);
  memset(&si, 0, sizeof si);
  show("waitid P_ALL", waitid(P_ALL, 0, &si, WEXITED));
  printf("  code CLD_DUMPED-or-KILLED %d status SIGABRT %d\n", si.si_code == CLD_DUMPED || si.si_code == CLD_KILLED,
         si.si_status == SIGABRT);
  show("waitid no children", waitid(P_ALL, 0, &si, WEXITED));
  show("waitid no event flags", waitid(P_ALL, 0, &si, 0));
  show("waitid bad idtype", waitid(17, 0, &si, WEXITED));
  show("waitid P_PID 0", waitid(P_PID, 0, &si, WEXITED));
  show("wait4 WNOWAIT is not a wait4 option", wait4(-1, &st, WNOWAIT, NULL));
  int gate[2];
  pipe(gate);
  pid_t d = fork();
  if (d == 0) {
    char ch;
    close(gate[1]);
    read(gate[0], &ch, 1); /* runs until the parent closes the pipe */
    _exit(0);
  }
  close(gate[0]);
  memset(&si, 0xff, sizeof si);
  show("waitid WNOHANG while running", waitid(P_PID, d, &si, WEXITED | WNOHANG));
  printf("  si_pid zeroed %d\n", si.si_pid == 0);
  close(gate[1]);
  show("waitpid own group (0)", waitpid(0, &st, 0) == d);
  show("waitpid __WALL", waitpid(-1, &st, __WALL));
  show("waitpid wrong group", waitpid(-99999, &st, 0));
  return 0;
}
