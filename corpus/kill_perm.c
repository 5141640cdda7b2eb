/* Who may signal whom (kill(2), kernel/signal.c:check_kill_permission()):
 * a real or effective uid matching the target's real or saved uid, CAP_KILL
 * over the target's user namespace, or SIGCONT within a session; groups
 * succeed when any member was reached, kill(-1) never fails with EPERM.
 * Only signal 0 and SIGCONT are sent across processes. Runs as root. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* A child that idles as `uid`; returns once it has that uid. */
static pid_t idle_child(uid_t uid) {
  int ready[2];
  pipe(ready);
  pid_t p = fork();
  if (p == 0) {
    if (uid && setresuid(uid, uid, uid) != 0) _exit(9);
    write(ready[1], "r", 1);
    for (;;) pause();
  }
  char c;
  read(ready[0], &c, 1);
  close(ready[0]);
  close(ready[1]);
  return p;
}

static void reap(pid_t p) {
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t root_child = idle_child(0);
  pid_t user_child = idle_child(1000);
  pid_t other_user = idle_child(1001);
  int pidfd = (int)syscall(SYS_pidfd_open, root_child, 0);

  pid_t p = fork();
  if (p == 0) {
    if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(9);
    show("uid 1000 -> root process, 0", kill(root_child, 0));
    show("uid 1000 -> root process, SIGCONT (same session)", kill(root_child, SIGCONT));
    show("uid 1000 -> uid 1000 process, 0", kill(user_child, 0));
    show("uid 1000 -> uid 1001 process, 0", kill(other_user, 0));
    show("uid 1000 -> its root parent, 0", kill(getppid(), 0));
    show("tgkill uid 1000 -> root", syscall(SYS_tgkill, root_child, root_child, 0));
    show("tkill uid 1000 -> uid 1000", syscall(SYS_tkill, user_child, 0));
    show("pidfd_send_signal uid 1000 -> root", syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
    show("kill(0, 0): own group, some reachable", kill(0, 0));
    show("kill(-1, 0): never EPERM", kill(-1, 0));
    /* In a session of its own, SIGCONT no longer reaches the root child. */
    setsid();
    show("after setsid: uid 1000 -> root, SIGCONT", kill(root_child, SIGCONT));
    /* A process group with only root processes in it. */
    show("kill(-root pgid, 0)", kill(-getpgid(root_child), 0));
    /* Its own user namespace gives no CAP_KILL over the parent's. */
    show("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
    show("in a user namespace: uid 1000 -> root, 0", kill(root_child, 0));
    show("in a user namespace: uid 1000 -> uid 1000, 0", kill(user_child, 0));
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  printf("uid 1000 part exited %d\n", WEXITSTATUS(st));

  /* Saved uid counts: euid 0 dropped to 1001 with suid 0 kept. */
  p = fork();
  if (p == 0) {
    if (setresuid(1001, 1001, 0)) _exit(9);
    show("ruid 1001, euid 1001, suid 0 -> uid 1000 process", kill(user_child, 0));
    show("ruid 1001 -> uid 1001 process", kill(other_user, 0));
    _exit(0);
  }
  waitpid(p, &st, 0);
  /* A root process in a new user namespace keeps its kernel uid 0. */
  p = fork();
  if (p == 0) {
    show("root in a user namespace: unshare", unshare(CLONE_NEWUSER));
    show("root in a user namespace -> root process", kill(root_child, 0));
    _exit(0);
  }
  waitpid(p, &st, 0);
  /* Root reaches everyone. */
  show("root -> uid 1001 process", kill(other_user, 0));
  reap(root_child);
  reap(user_child);
  reap(other_user);
  return 0;
}
