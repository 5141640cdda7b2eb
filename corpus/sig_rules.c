/* rt_sigaction/rt_sigprocmask/rt_sigpending/sigaltstack rules: unknown
 * sa_flags cleared (Linux 5.11+), SIGKILL/SIGSTOP, EFAULT/EINVAL order,
 * pending signals discarded when they become ignored. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"
struct ksa {
  uint64_t handler, flags, restorer, mask;
};
static void h(int s) { (void)s; }
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct ksa in = {(uint64_t)h, 0x04000000 | SA_RESTART | SA_NODEFER | 0x10000000 | 0x7ff0000, 0x1234,
                   0xffffffffffffffffULL},
             out;
  show("set with odd flags", syscall(SYS_rt_sigaction, SIGUSR1, &in, NULL, 8));
  show("get", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &out, 8));
  printf("flags %#llx restorer %#llx mask %#llx handler-same %d\n", (unsigned long long)out.flags,
         (unsigned long long)out.restorer, (unsigned long long)out.mask, out.handler == (uint64_t)h);
  show("SIGKILL to SIG_IGN", syscall(SYS_rt_sigaction, SIGKILL, &(struct ksa){1, 0, 0, 0}, NULL, 8));
  show("SIGSTOP query", syscall(SYS_rt_sigaction, SIGSTOP, NULL, &out, 8));
  show("signal 0", syscall(SYS_rt_sigaction, 0, NULL, &out, 8));
  show("signal 64 query", syscall(SYS_rt_sigaction, 64, NULL, &out, 8));
  show("signal 32 set", syscall(SYS_rt_sigaction, 32, &in, NULL, 8));
  show("bad act ptr", syscall(SYS_rt_sigaction, SIGUSR2, (void *)8, NULL, 8));
  show("bad oact ptr", syscall(SYS_rt_sigaction, SIGUSR2, NULL, (void *)8, 8));
  uint64_t set = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)) | (1ULL << (SIGUSR1 - 1)), old;
  show("block KILL STOP USR1", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
  show("get", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &old, 8));
  printf("mask %#llx\n", (unsigned long long)old);
  show("unblock", syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &old, 8));
  show("bad how with NULL set", syscall(SYS_rt_sigprocmask, 99, NULL, &old, 8));
  show("rt_sigpending", syscall(SYS_rt_sigpending, &old, 8));
  show("rt_sigpending size 4", syscall(SYS_rt_sigpending, &old, 4));
  show("rt_sigpending size 16", syscall(SYS_rt_sigpending, &old, 16));
  /* A blocked pending signal: seen by rt_sigpending, discarded once ignored. */
  uint64_t usr1 = 1ULL << (SIGUSR1 - 1), usr2 = 1ULL << (SIGUSR2 - 1), pend = 0;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &(uint64_t){usr1 | usr2}, NULL, 8);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR2);
  syscall(SYS_rt_sigpending, &pend, 8);
  printf("pending after two kills: %#llx\n", (unsigned long long)pend);
  signal(SIGUSR1, SIG_IGN);
  syscall(SYS_rt_sigpending, &pend, 8);
  printf("pending after SIG_IGN on SIGUSR1: %#llx\n", (unsigned long long)pend);
  signal(SIGUSR2, h);
  syscall(SYS_rt_sigpending, &pend, 8);
  printf("pending after a handler on SIGUSR2: %#llx\n", (unsigned long long)pend);
  kill(getpid(), SIGCHLD);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &(uint64_t){1ULL << (SIGCHLD - 1)}, NULL, 8);
  kill(getpid(), SIGCHLD);
  syscall(SYS_rt_sigpending, &pend, 8);
  printf("SIGCHLD blocked, default action: pending %#llx\n", (unsigned long long)(pend >> (SIGCHLD - 1) & 1));
  stack_t ss = {.ss_sp = (void *)0x1000, .ss_size = 8192, .ss_flags = 0};
  show("sigaltstack set", syscall(SYS_sigaltstack, &ss, NULL));
  stack_t o;
  show("sigaltstack get", syscall(SYS_sigaltstack, NULL, &o));
  printf("sp %p size %zu flags %d\n", o.ss_sp, o.ss_size, o.ss_flags);
  ss.ss_flags = (1U << 31);
  show("sigaltstack (1U << 31)", syscall(SYS_sigaltstack, &ss, NULL));
  syscall(SYS_sigaltstack, NULL, &o);
  printf("flags %d\n", o.ss_flags);
  return 0;
}
