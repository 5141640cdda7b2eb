/* clone/clone3 argument validation, in Linux's order (kernel/fork.c):
 * each call below must fail without creating anything. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define CLONE(flags) syscall(SYS_clone, (unsigned long)(flags), 0, 0, 0, 0)

static long clone3_size(unsigned long flags, int exit_signal, size_t size) {
  struct { uint64_t v[16]; } args;
  memset(&args, 0, sizeof args);
  args.v[0] = flags;
  args.v[4] = (uint64_t)exit_signal;
  return syscall(SYS_clone3, &args, size);
}

int main(void) {
  show("CLONE_SIGHAND without CLONE_VM", CLONE(CLONE_SIGHAND | SIGCHLD));
  show("CLONE_THREAD without CLONE_SIGHAND", CLONE(CLONE_THREAD | CLONE_VM | SIGCHLD));
  show("CLONE_FS with CLONE_NEWNS", CLONE(CLONE_FS | CLONE_NEWNS | SIGCHLD));
  show("CLONE_NEWUSER with CLONE_FS", CLONE(CLONE_NEWUSER | CLONE_FS | SIGCHLD));
  show("CLONE_THREAD with CLONE_NEWPID", CLONE(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID));
  show("CLONE_THREAD with CLONE_NEWUSER", CLONE(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER));
  show("CLONE_PIDFD with CLONE_PARENT_SETTID", CLONE(CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD));
  /* (CLONE_PIDFD with CLONE_THREAD: EINVAL before Linux 6.9, allowed since.) */
  show("clone3 size 0", clone3_size(0, SIGCHLD, 0));
  show("clone3 size 63", clone3_size(0, SIGCHLD, 63));
  show("clone3 size > page", clone3_size(0, SIGCHLD, 8192));
  show("clone3 flags with CSIGNAL bits", clone3_size(SIGCHLD, 0, 64));
  show("clone3 exit signal 65", clone3_size(0, 65, 64));
  show("clone3 bad pointer", syscall(SYS_clone3, (void *)8, 64));
  /* A valid clone3 (size 64, the first version) works like fork. */
  long pid = clone3_size(0, SIGCHLD, 64);
  if (pid == 0) _exit(9);
  int st;
  show("clone3 v0 child reaped", waitpid((pid_t)pid, &st, 0) == pid);
  printf("  exited %d\n", WEXITSTATUS(st));
  return 0;
}
