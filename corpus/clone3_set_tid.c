/* clone3: set_tid (choosing the child's pid, kernel/pid.c:alloc_pid()),
 * CLONE_CLEAR_SIGHAND, and the argument checks of clone3_args_valid().
 * Only pids inside fresh PID namespaces are chosen, so that the native run
 * does not depend on which pids the host has in use. Runs as root. */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/* fork-like clone3: the child runs `child(arg)` and exits with its value. */
static long clone3_tids(uint64_t flags, pid_t *tids, size_t n, int (*child)(int), int arg) {
  struct clone_args_v2 a = {0};
  a.flags = flags;
  a.exit_signal = (flags & (CLONE_THREAD | CLONE_PARENT)) ? 0 : SIGCHLD;
  a.set_tid = (uintptr_t)tids;
  a.set_tid_size = n;
  long r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(child ? child(arg) : 0);
  return r;
}

static int report_pid(int unused) {
  (void)unused;
  printf("  child: getpid() = %d\n", getpid());
  return 0;
}

static long reap(long pid) {
  int st;
  if (pid <= 0) return pid;
  return waitpid((pid_t)pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -100;
}

/* Runs as pid 1 of a new PID namespace. */
static int ns_init(int unused) {
  (void)unused;
  printf(" init: getpid() = %d\n", getpid());
  pid_t seven = 7;
  long p = clone3_tids(0, &seven, 1, report_pid, 0);
  siginfo_t si;
  waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT);  /* a zombie now, not reaped */
  printf(" set_tid {7}: child pid %ld\n", p);
  show(" set_tid {7} while 7 is a zombie", clone3_tids(0, &seven, 1, NULL, 0));
  printf(" reaped 7: %ld\n", reap(p));
  p = clone3_tids(0, &seven, 1, report_pid, 0);
  printf(" set_tid {7} again after reaping: child pid %ld, status %ld\n", p, reap(p));
  /* The allocator goes on from where it was (2), skipping what set_tid took. */
  pid_t two = 2;
  p = clone3_tids(0, &two, 1, NULL, 0);
  printf(" set_tid {2}: %ld\n", p);
  long q = fork();
  if (q == 0) _exit(0);
  printf(" next fork gets %ld\n", q);
  reap(p);
  reap(q);
  show(" set_tid {1} (init is alive)", clone3_tids(0, (pid_t[]){1}, 1, NULL, 0));
  show(" set_tid {0}", clone3_tids(0, (pid_t[]){0}, 1, NULL, 0));
  show(" set_tid {-5}", clone3_tids(0, (pid_t[]){-5}, 1, NULL, 0));
  show(" set_tid {INT_MAX}", clone3_tids(0, (pid_t[]){INT_MAX}, 1, NULL, 0));
  /* Level 1 of 2 taken (init's own pid 1 in here); level 0 never looked at. */
  show(" set_tid {1, x} ", clone3_tids(0, (pid_t[]){1, 1}, 2, NULL, 0));
  show(" set_tid of 3 levels from level 1", clone3_tids(0, (pid_t[]){9, 9, 9}, 3, NULL, 0));
  /* A nested namespace: its first pid must be 1. */
  show(" NEWPID set_tid {2}", clone3_tids(CLONE_NEWPID, (pid_t[]){2}, 1, NULL, 0));
  p = clone3_tids(CLONE_NEWPID, (pid_t[]){1, 11}, 2, report_pid, 0);
  printf(" NEWPID set_tid {1, 11}: pid here %ld, status %ld\n", p, reap(p));
  /* Without privilege: EPERM comes before EEXIST. */
  if (fork() == 0) {
    if (setresuid(65534, 65534, 65534) != 0) _exit(9);
    show("  uid 65534: set_tid {1}", clone3_tids(0, (pid_t[]){1}, 1, NULL, 0));
    show("  uid 65534: set_tid {0}", clone3_tids(0, (pid_t[]){0}, 1, NULL, 0));
    _exit(0);
  }
  wait(NULL);
  return 0;
}

static volatile int got;
static void on_usr1(int s) { got = s; }

static int show_handlers(int unused) {
  (void)unused;
  struct sigaction a, b;
  sigaction(SIGUSR1, NULL, &a);
  sigaction(SIGUSR2, NULL, &b);
  printf("  child: SIGUSR1 %s, SIGUSR2 %s, SIGUSR2 flags %s\n",
         a.sa_handler == SIG_DFL ? "default" : a.sa_handler == SIG_IGN ? "ignored" : "caught",
         b.sa_handler == SIG_DFL ? "default" : b.sa_handler == SIG_IGN ? "ignored" : "caught",
         (b.sa_flags & SA_RESTART) ? "kept" : "cleared");
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t self = getpid();
  show("set_tid size 33", clone3_tids(0, &self, 33, NULL, 0));
  show("set_tid NULL, size 1", clone3_tids(0, NULL, 1, NULL, 0));
  show("set_tid bad pointer", clone3_tids(0, (pid_t *)8, 1, NULL, 0));
  show("set_tid of 2 levels at level 0", clone3_tids(0, (pid_t[]){self, self}, 2, NULL, 0));
  show("set_tid {own pid}", clone3_tids(0, &self, 1, NULL, 0));
  show("set_tid {0}", clone3_tids(0, (pid_t[]){0}, 1, NULL, 0));
  {
    struct clone_args_v2 a = {0};
    a.set_tid = (uintptr_t)&self;
    show("set_tid without size", syscall(SYS_clone3, &a, sizeof a));
    a.set_tid = 0;
    a.flags = 1ULL << 40;
    a.exit_signal = SIGCHLD;
    show("unknown flag bit 40", syscall(SYS_clone3, &a, sizeof a));
    a.flags = 0x400000; /* CLONE_DETACHED */
    show("CLONE_DETACHED", syscall(SYS_clone3, &a, sizeof a));
    a.flags = CLONE_PARENT;
    show("CLONE_PARENT with an exit signal", syscall(SYS_clone3, &a, sizeof a));
    a.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
    a.exit_signal = 0;
    show("CLEAR_SIGHAND with CLONE_SIGHAND", syscall(SYS_clone3, &a, sizeof a));
    a.flags = 0;
    a.exit_signal = SIGCHLD;
    a.set_tid = (uintptr_t)8;
    a.set_tid_size = 1;
    a.stack = 0x1000;
    show("bad set_tid pointer and bad stack: EFAULT first", syscall(SYS_clone3, &a, sizeof a));
  }

  printf("a new PID namespace, its init chosen as pid 1:\n");
  long p = clone3_tids(CLONE_NEWPID, (pid_t[]){1}, 1, ns_init, 0);
  printf("ns init exited with %ld\n", reap(p));

  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  printf("CLONE_CLEAR_SIGHAND:\n");
  p = clone3_tids(CLONE_CLEAR_SIGHAND, NULL, 0, show_handlers, 0);
  reap(p);
  printf("without it:\n");
  p = clone3_tids(0, NULL, 0, show_handlers, 0);
  reap(p);
  return 0;
}
