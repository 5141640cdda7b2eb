/* Reparenting: orphans go to the nearest PR_SET_CHILD_SUBREAPER ancestor,
 * which can wait for them; PR_SET_PDEATHSIG fires when the parent dies;
 * PR_SET_NAME/PR_GET_NAME. Prints no pid values. */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char name[16];
  show("PR_SET_NAME", prctl(PR_SET_NAME, "ditto-reaper"));
  show("PR_GET_NAME", prctl(PR_GET_NAME, name));
  printf("name: %s\n", name);
  show("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
  int v = -1;
  prctl(PR_GET_CHILD_SUBREAPER, &v);
  printf("subreaper flag: %d\n", v);
  pid_t me = getpid();
  int p[2];
  pipe(p);
  pid_t mid = fork();
  if (mid == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      /* Ask for SIGTERM when the parent (mid) dies, then wait for it. */
      prctl(PR_SET_PDEATHSIG, SIGUSR1);
      close(p[0]);
      char c = 'r';
      write(p[1], &c, 1); /* ready */
      while (getppid() != me) usleep(100);
      printf("grandchild: reparented to the subreaper\n");
      for (;;) pause(); /* SIGUSR1 is fatal by default: never returns */
    }
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    _exit(0); /* orphan the grandchild */
  }
  close(p[1]);
  int st;
  waitpid(mid, &st, 0);
  printf("middle exited %d\n", WEXITSTATUS(st));
  pid_t r = waitpid(-1, &st, 0);
  printf("subreaper reaped its grandchild: %d, killed by %s\n", r > 0 && r != mid, WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "nothing");
  show("no children left", waitpid(-1, &st, 0));
  show("PR_SET_PDEATHSIG invalid", prctl(PR_SET_PDEATHSIG, 99));
  show("unknown option", prctl(12345));
  return 0;
}
