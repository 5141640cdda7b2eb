/* User namespaces (user_namespaces(7)) without written uid/gid maps: ids
 * read as the overflow id, none can be set, the creator has every capability
 * inside (enough to make and use other namespaces) until it execs, and an
 * unprivileged process may create one. Runs as root. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

/* "CapEff: set" / "none", from /proc/self/status. */
static const char *cap_eff(void) {
  static char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  char *p = strstr(buf, "CapEff:\t");
  if (!p) return "?";
  return strncmp(p + 8, "0000000000000000", 16) == 0 ? "none" : "set";
}

static void ids(const char *who) {
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  struct stat st;
  stat("/", &st);
  printf("%s: uid %d euid %d gid %d egid %d resuid %d/%d/%d; / owned by %d:%d; CapEff %s\n", who,
         getuid(), geteuid(), getgid(), getegid(), r, e, s, st.st_uid, st.st_gid, cap_eff());
}

static void *idle(void *arg) {
  pause();
  return arg;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) { /* re-executed inside the namespace */
    ids("after exec");
    show("after exec: unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
    return 0;
  }
  /* A threaded process cannot enter a new user namespace. */
  pid_t p = fork();
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    show("threaded: unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
    _exit(0);
  }
  wait_code(p);

  /* An unprivileged process makes one, and PID/UTS namespaces with it. */
  p = fork();
  if (p == 0) {
    if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(9);
    ids("uid 1000");
    show("uid 1000: unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
    show("uid 1000: clone(CLONE_NEWPID)", syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0));
    long c = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) {
      printf("uid 1000, NEWUSER|NEWPID child: pid %d uid %d\n", getpid(), getuid());
      _exit(0);
    }
    printf("uid 1000: clone(NEWUSER|NEWPID) child exited %ld\n", wait_code((pid_t)c));
    show("uid 1000: unshare(NEWUSER|NEWUTS)", unshare(CLONE_NEWUSER | CLONE_NEWUTS));
    show("uid 1000: sethostname", sethostname("inner1000", 9));
    struct utsname u;
    uname(&u);
    printf("uid 1000: nodename %s\n", u.nodename);
    ids("uid 1000 in its namespace");
    _exit(0);
  }
  printf("uid 1000 process exited %ld\n", wait_code(p));

  ids("root");
  show("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
  ids("in the new namespace");
  char map[64] = "";
  int fd = open("/proc/self/uid_map", O_RDONLY);
  ssize_t n = read(fd, map, sizeof map - 1);
  close(fd);
  printf("uid_map has %zd bytes\n", n);
  show("setuid(0)", setuid(0));
  show("setresuid(0, -1, -1)", setresuid(0, -1, -1));
  show("setresuid(-1, -1, -1)", setresuid(-1, -1, -1));
  show("setgid(0)", setgid(0));
  show("setgroups(0, NULL)", setgroups(0, NULL));
  show("unshare(CLONE_NEWUSER) again", unshare(CLONE_NEWUSER));
  show("unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
  show("sethostname", sethostname("inner", 5));
  struct utsname u;
  uname(&u);
  printf("nodename %s\n", u.nodename);
  p = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
  if (p == 0) {
    printf("NEWPID child: pid %d uid %d\n", getpid(), getuid());
    _exit(0);
  }
  printf("NEWPID child exited %ld\n", wait_code(p));
  p = fork();
  if (p == 0) {
    ids("forked child");
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    _exit(127);
  }
  printf("exec child exited %ld\n", wait_code(p));
  return 0;
}
