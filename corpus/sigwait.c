/* Taking signals synchronously and sending them with a siginfo
 * (kernel/signal.c): rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait),
 * rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal with a siginfo, and
 * where a process-directed signal waits:
 * - a pending signal is taken with its siginfo; none pending: EAGAIN at
 *   once with a zero timeout, after the timeout otherwise; argument checks;
 *   the signal is consumed even when the siginfo cannot be written;
 * - a handled signal outside the set interrupts the wait: EINTR, even with
 *   SA_RESTART;
 * - rt_sigqueueinfo: SI_QUEUE and its value reach the receiver as given;
 *   kernel and kill() codes only to oneself (EPERM otherwise);
 * - a signal every thread blocks waits for the process: a thread that
 *   unblocks it later runs the handler, rt_sigpending shows it, and a thread
 *   in sigwait gets a process-directed signal the others block. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

static volatile sig_atomic_t hits;
static volatile pid_t handled_on;
static void on_signal(int sig) {
  (void)sig;
  ++hits;
  handled_on = (pid_t)syscall(SYS_gettid);
}

static void install(int sig, int flags) {
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, 0);
}

static sigset_t just(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return s;
}

static long timedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts, long size) {
  return syscall(SYS_rt_sigtimedwait, set, info, ts, size);
}

static long queueinfo(pid_t pid, int sig, int code, int value) {
  siginfo_t si = {0};
  si.si_signo = sig;
  si.si_code = code;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = value;
  return syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static void show_taken(const char *what, long r, const siginfo_t *si) {
  if (r < 0) {
    printf("%s = -1 %s\n", what, errname(errno));
    return;
  }
  printf("%s = %ld code %d pid is mine: %s value %d\n", what, r, si->si_code, si->si_pid == getpid() ? "yes" : "no",
         si->si_code < 0 ? si->si_value.sival_int : 0);
}

static void waiting(void) {
  sigset_t usr1 = just(SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, 0);
  siginfo_t si;
  struct timespec zero = {0, 0}, fifty = {0, 50000000};
  show("sigtimedwait(nothing pending, 0 s)", timedwait(&usr1, &si, &zero, 8));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  show("sigtimedwait(nothing pending, 50 ms)", timedwait(&usr1, &si, &fifty, 8));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("waited the timeout: %s\n", ms >= 50 && ms < 1000 ? "yes" : "no");

  kill(getpid(), SIGUSR1);
  show_taken("sigwaitinfo(after kill)", sigwaitinfo(&usr1, &si), &si);
  show("queueinfo(self, SI_QUEUE, 1234)", queueinfo(getpid(), SIGUSR1, SI_QUEUE, 1234));
  show_taken("sigwaitinfo(after rt_sigqueueinfo)", sigwaitinfo(&usr1, &si), &si);
  union sigval v = {.sival_int = 99};
  sigqueue(getpid(), SIGUSR1, v);
  show_taken("sigtimedwait(after sigqueue)", timedwait(&usr1, &si, &fifty, 8), &si);
  int sig = 0;
  kill(getpid(), SIGUSR1);
  int r = sigwait(&usr1, &sig);
  printf("sigwait = %d, sig %d\n", r, sig);

  show("sigtimedwait(size 4)", timedwait(&usr1, &si, &zero, 4));
  show("sigtimedwait(bad set)", timedwait((void *)8, &si, &zero, 8));
  show("sigtimedwait(bad timeout)", timedwait(&usr1, &si, (void *)8, 8));
  struct timespec bad = {0, 1000000000};
  show("sigtimedwait(nsec 1e9)", timedwait(&usr1, &si, &bad, 8));
  kill(getpid(), SIGUSR1);
  show("sigtimedwait(bad info)", timedwait(&usr1, (void *)8, &zero, 8));
  sigset_t pending;
  sigpending(&pending);
  printf("consumed anyway: %s\n", sigismember(&pending, SIGUSR1) ? "no" : "yes");

  /* SIGKILL and SIGSTOP in the set are ignored: still EAGAIN. */
  sigset_t with_kill = usr1;
  sigaddset(&with_kill, SIGKILL);
  show("sigtimedwait(with SIGKILL, 0 s)", timedwait(&with_kill, &si, &zero, 8));

  /* Another signal's handler ends the wait, SA_RESTART or not. */
  install(SIGALRM, SA_RESTART);
  alarm(1);
  /* The raw call: musl's sigtimedwait() retries after EINTR. */
  show("rt_sigtimedwait(interrupted by a SA_RESTART handler)", timedwait(&usr1, &si, 0, 8));
  sigprocmask(SIG_UNBLOCK, &usr1, 0);
}

static void queueing(void) {
  sigset_t usr2 = just(SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, 0);
  pid_t c = fork();
  if (c == 0) {
    siginfo_t si;
    struct timespec second = {5, 0};
    long r = timedwait(&usr2, &si, &second, 8);
    _exit(r == SIGUSR2 && si.si_code == SI_QUEUE && si.si_value.sival_int == 5 ? 0 : 1);
  }
  show("rt_sigqueueinfo(child, SI_USER)", queueinfo(c, SIGUSR2, SI_USER, 0));
  show("rt_sigqueueinfo(child, SI_TKILL)", queueinfo(c, SIGUSR2, SI_TKILL, 0));
  show("rt_sigqueueinfo(child, SI_KERNEL)", queueinfo(c, SIGUSR2, SI_KERNEL, 0));
  show("rt_sigqueueinfo(child, signal 65)", queueinfo(c, 65, SI_QUEUE, 0));
  show("rt_sigqueueinfo(child, bad siginfo)", syscall(SYS_rt_sigqueueinfo, c, SIGUSR2, (void *)8));
  show("rt_sigqueueinfo(pid 4000000)", queueinfo(4000000, SIGUSR2, SI_QUEUE, 0));
  show("rt_sigqueueinfo(child, SI_QUEUE 5)", queueinfo(c, SIGUSR2, SI_QUEUE, 5));
  printf("child took SI_QUEUE with its value: %s\n", wait_code(c) == 0 ? "yes" : "no");

  siginfo_t si = {0};
  si.si_code = SI_QUEUE;
  si.si_signo = SIGUSR2;
  show("rt_tgsigqueueinfo(tid 0)", syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR2, &si));
  show("rt_tgsigqueueinfo(tgid 0)", syscall(SYS_rt_tgsigqueueinfo, 0, getpid(), SIGUSR2, &si));
  show("rt_tgsigqueueinfo(wrong tgid)", syscall(SYS_rt_tgsigqueueinfo, getppid(), getpid(), SIGUSR2, &si));
  si.si_value.sival_int = 8;
  show("rt_tgsigqueueinfo(self)", syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGUSR2, &si));
  siginfo_t got;
  show_taken("sigwaitinfo(after rt_tgsigqueueinfo)", sigwaitinfo(&usr2, &got), &got);

  int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  si.si_value.sival_int = 11;
  show("pidfd_send_signal(self, siginfo)", syscall(SYS_pidfd_send_signal, pidfd, SIGUSR2, &si, 0));
  show_taken("sigwaitinfo(after pidfd_send_signal)", sigwaitinfo(&usr2, &got), &got);
  si.si_signo = SIGUSR1;
  show("pidfd_send_signal(si_signo differs)", syscall(SYS_pidfd_send_signal, pidfd, SIGUSR2, &si, 0));
  show("pidfd_send_signal(bad siginfo)", syscall(SYS_pidfd_send_signal, pidfd, SIGUSR2, (void *)8, 0));
  close(pidfd);
  sigprocmask(SIG_UNBLOCK, &usr2, 0);
}

static pid_t worker_tid;
static atomic_int phase;

static void *worker(void *arg) {
  (void)arg;
  worker_tid = (pid_t)syscall(SYS_gettid);
  sigset_t usr1 = just(SIGUSR1);
  atomic_store(&phase, 1);
  /* Phase 1: sigwait for a signal the main thread also blocks. */
  siginfo_t si;
  long r = sigwaitinfo(&usr1, &si);
  printf("worker's sigwaitinfo = %ld (SIGUSR1 %d) code %d\n", r, SIGUSR1, si.si_code);
  atomic_store(&phase, 2);
  while (atomic_load(&phase) != 3) {
    struct timespec nap = {0, 100000};
    nanosleep(&nap, 0);
  }
  /* Phase 3: unblocking a signal pending for the process runs its handler here. */
  pthread_sigmask(SIG_UNBLOCK, &usr1, 0);
  printf("handler ran on the worker after it unblocked: %s\n", hits == 1 && handled_on == worker_tid ? "yes" : "no");
  return 0;
}

static void threads(void) {
  sigset_t usr1 = just(SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, 0);
  install(SIGUSR1, 0);
  pthread_t th;
  pthread_create(&th, 0, worker, 0); /* inherits the blocked mask */
  while (atomic_load(&phase) != 1) sched_yield();
  struct timespec nap = {0, 1000000};
  nanosleep(&nap, 0); /* let it wait */
  kill(getpid(), SIGUSR1);
  while (atomic_load(&phase) != 2) nanosleep(&nap, 0);

  /* Phase 3: blocked in every thread, so pending for the process. */
  hits = 0;
  kill(getpid(), SIGUSR1);
  sigset_t pending;
  sigpending(&pending);
  printf("pending for the process, seen by main: %s\n", sigismember(&pending, SIGUSR1) ? "yes" : "no");
  atomic_store(&phase, 3);
  pthread_join(th, 0);
  sigpending(&pending);
  printf("still pending after the worker took it: %s\n", sigismember(&pending, SIGUSR1) ? "yes" : "no");
  sigprocmask(SIG_UNBLOCK, &usr1, 0);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  waiting();
  queueing();
  threads();
  return 0;
}
