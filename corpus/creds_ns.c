/* Credentials and namespaces as identities: setresuid & co, EPERM for the
 * unprivileged, a private UTS namespace (unshare and clone) with its own
 * host name, and the CAP_SYS_ADMIN check for creating namespaces. */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static void in_child(void (*fn)(void)) {
  pid_t c = fork();
  if (c == 0) {
    fn();
    _exit(0);
  }
  waitpid(c, NULL, 0);
}

static void uts_namespace(void) {
  struct utsname before, after;
  uname(&before);
  show("unshare CLONE_NEWUTS", unshare(CLONE_NEWUTS));
  show("sethostname", sethostname("ditto-ns", 8));
  uname(&after);
  printf("  new name: %s\n", after.nodename);
}

static void mount_namespace(void) {
  show("unshare CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWNET", unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET));
}

static void drop_privileges(void) {
  show("setgroups to none", setgroups(0, NULL));
  show("setresgid 1000", setresgid(1000, 1000, 1000));
  show("setresuid 1000", setresuid(1000, 1000, 1000));
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("  uids %u %u %u, gid %u\n", r, e, s, getgid());
  show("setuid back to 0", setuid(0));
  show("setgroups unprivileged", setgroups(0, NULL));
  show("unshare CLONE_NEWUTS unprivileged", unshare(CLONE_NEWUTS));
  show("sethostname unprivileged", sethostname("x", 1));
  show("setreuid among own ids", setreuid(1000, 1000));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("uid %u euid %u gid %u egid %u\n", getuid(), geteuid(), getgid(), getegid());
  struct utsname mine;
  uname(&mine);
  in_child(uts_namespace);
  struct utsname later;
  uname(&later);
  printf("parent's host name unchanged: %d\n", strcmp(mine.nodename, later.nodename) == 0);
  in_child(drop_privileges);
  show("unshare unknown flag", unshare(0x1));
  in_child(mount_namespace);
  show("sethostname too long", sethostname("0123456789012345678901234567890123456789012345678901234567890123456789", 70));
  show("setuid(-1)", setuid((uid_t)-1));
  return 0;
}
