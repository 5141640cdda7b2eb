/* Small signal, wait and futex rules, each as Linux decides them:
 * - a default-action core signal sets the core bit of the wait status only
 *   when a core was written: never with RLIMIT_CORE 0 (Debian's default
 *   soft limit) or 1 byte (less than any core; a piped core_pattern refuses
 *   1 too), whatever the host's core_pattern;
 * - kill() of a zombie succeeds (the process still exists until reaped);
 * - kill() with the tid of a non-leader thread signals its whole process;
 * - tgkill() with a tgid or tid <= 0 is EINVAL;
 * - FUTEX_WAKE with a count of 0 still wakes one waiter (futex_wake()
 *   wakes a matching waiter before it compares the count woken so far);
 * - waitid() without WEXITED, WSTOPPED or WCONTINUED is EINVAL; waitid()
 *   fills the rusage of the child it found (and leaves it alone when it
 *   found none); waitid(P_PIDFD) on an O_NONBLOCK pidfd is EAGAIN while the
 *   child runs; get_robust_list() of another thread and another process;
 * - nanosleep and clock_nanosleep interrupted by a handled signal write the
 *   time left (EINTR), an absolute clock_nanosleep does not;
 * - sigaltstack() says SS_ONSTACK while running on the alternate stack and
 *   refuses a new one there (EPERM); SS_DISABLE when there is none. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

#include <fcntl.h>
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK

/* linux/futex.h (musl's toolchain has no kernel headers). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static void status_of_abort(rlim_t core) {
  pid_t c = fork();
  if (c == 0) {
    struct rlimit rl = {core, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &rl);
    /* Core files are not what this checks: keep any out of the cwd. */
    if (chdir("/proc") != 0) _exit(1);
    signal(SIGQUIT, SIG_DFL);
    kill(getpid(), SIGQUIT);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("RLIMIT_CORE %d: signaled %d sig %d core bit %d\n", (int)core, WIFSIGNALED(st),
         WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
}

static atomic_int thread_tid;
static atomic_int futex_word;
static atomic_int woken;

static void *sleeper(void *arg) {
  (void)arg;
  thread_tid = (int)syscall(SYS_gettid);
  for (;;) pause();
  return NULL;
}

static void on_usr1(int sig) { (void)sig; }

static int alt_flags_inside = -1;
static long alt_set_inside = 0;
static int alt_errno_inside = 0;
static void on_usr2(int sig) {
  (void)sig;
  stack_t now, again = {0};
  sigaltstack(NULL, &now);
  alt_flags_inside = now.ss_flags;
  static char other[65536];
  again.ss_sp = other;
  again.ss_size = sizeof other;
  alt_set_inside = sigaltstack(&again, NULL);
  alt_errno_inside = errno;
}

static void altstack_rules(void) {
  stack_t st;
  sigaltstack(NULL, &st);
  printf("sigaltstack before any: flags %d (SS_DISABLE %d), size %zu\n", st.ss_flags, SS_DISABLE, st.ss_size);
  static char alt[65536];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  show("sigaltstack(set)", sigaltstack(&ss, NULL));
  struct sigaction sa = {0};
  sa.sa_handler = on_usr2;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("inside the handler: flags %d (SS_ONSTACK %d); a new stack there: %ld %s\n", alt_flags_inside, SS_ONSTACK,
         alt_set_inside, alt_set_inside ? errname(alt_errno_inside) : "");
  sigaltstack(NULL, &st);
  printf("after: flags %d, size %zu\n", st.ss_flags, st.ss_size);
  show("sigaltstack(bad new pointer)", sigaltstack((stack_t *)8, &st));
  ss.ss_flags = SS_DISABLE;
  show("sigaltstack(SS_DISABLE)", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &st);
  printf("disabled: flags %d, size %zu\n", st.ss_flags, st.ss_size);
}

/* Sleeps `how` for 10 s while a child sends SIGUSR1 after ~100 ms. */
static void interrupted_sleep(const char *how) {
  pid_t parent = getpid();
  pid_t c = fork();
  if (c == 0) {
    usleep(100000);
    kill(parent, SIGUSR1);
    _exit(0);
  }
  struct timespec want = {10, 0}, rem = {-1, -1};
  long r;
  if (strcmp(how, "nanosleep") == 0) {
    r = nanosleep(&want, &rem);
  } else if (strcmp(how, "clock_nanosleep") == 0) {
    r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &want, &rem);
  } else {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_sec += 10;
    r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &now, &rem);
  }
  show(how, r);
  printf("  time left written: %s\n",
         rem.tv_sec == -1 ? "no" : rem.tv_sec >= 8 && rem.tv_sec <= 9 && rem.tv_nsec >= 0 ? "between 8 and 10 s" : "wrong");
  wait_code(c);
}

static void waitid_rules(void) {
  int gate[2];
  if (pipe(gate) != 0) return;
  pid_t c = fork();
  if (c == 0) {
    struct timespec cpu;
    do clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    while (cpu.tv_nsec < 20000000 && cpu.tv_sec == 0); /* 20 ms of CPU time */
    char b;
    if (read(gate[0], &b, 1) < 0) _exit(2);
    _exit(0);
  }
  close(gate[0]);
  siginfo_t si;
  struct rusage ru;
  memset(&ru, 0xab, sizeof ru);
  memset(&si, 0, sizeof si);
  show("waitid(WEXITED|WNOHANG) while the child runs", waitid(P_PID, c, &si, WEXITED | WNOHANG));
  printf("nothing found: si_pid %d, rusage untouched: %s\n", si.si_pid, ru.ru_maxrss == (long)0xabababababababab ? "yes" : "no");
  int pidfd = (int)syscall(SYS_pidfd_open, c, PIDFD_NONBLOCK);
  show("waitid(P_PIDFD nonblocking, WEXITED)", syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED, NULL));
  show("waitid(P_PIDFD, -1)", syscall(SYS_waitid, P_PIDFD, -1, &si, WEXITED, NULL));
  if (write(gate[1], "x", 1) != 1) return;
  close(gate[1]);
  show("waitid(P_PID, WEXITED, rusage)", syscall(SYS_waitid, P_PID, c, &si, WEXITED, &ru));
  long cpu_ms = ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 +
                ru.ru_stime.tv_usec / 1000;
  printf("the child's rusage counts its 20 ms: %s\n", cpu_ms >= 15 && cpu_ms < 1000 ? "yes" : "no");
  close(pidfd);
}

static void *robust_holder(void *arg) {
  (void)arg;
  usleep(20000);
  return NULL;
}

static void robust_lists(void) {
  pthread_t th;
  pthread_create(&th, NULL, robust_holder, NULL);
  void *head;
  size_t len;
  show("get_robust_list(0)", syscall(SYS_get_robust_list, 0, &head, &len));
  printf("  len %zu\n", len);
  show("get_robust_list(pid 4000000)", syscall(SYS_get_robust_list, 4000000, &head, &len));
  show("get_robust_list(-5)", syscall(SYS_get_robust_list, -5, &head, &len));
  pid_t c = fork();
  if (c == 0) {
    usleep(50000);
    _exit(0);
  }
  show("get_robust_list(a child, as root)", syscall(SYS_get_robust_list, c, &head, &len));
  wait_code(c);
  pthread_join(th, NULL);
}

static void *futex_waiter(void *arg) {
  (void)arg;
  syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  woken = 1;
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct rlimit rl;
  getrlimit(RLIMIT_CORE, &rl);
  printf("RLIMIT_CORE hard is unlimited: %s\n", rl.rlim_max == RLIM_INFINITY ? "yes" : "no");
  status_of_abort(0);
  if (rl.rlim_max == RLIM_INFINITY) status_of_abort(1);

  /* kill() of a zombie. */
  pid_t z = fork();
  if (z == 0) _exit(3);
  siginfo_t si;
  waitid(P_PID, z, &si, WEXITED | WNOWAIT);
  show("kill(zombie, 0)", kill(z, 0));
  show("kill(zombie, SIGTERM)", kill(z, SIGTERM));
  printf("zombie's status after: %ld\n", wait_code(z));

  /* waitid() without any of WEXITED/WSTOPPED/WCONTINUED. */
  show("waitid(P_ALL, options WNOHANG only)", waitid(P_ALL, 0, &si, WNOHANG));
  show("waitid(P_ALL, options 0)", waitid(P_ALL, 0, &si, 0));
  waitid_rules();
  robust_lists();

  /* tgkill() argument checks. */
  show("tgkill(0, self, 0)", syscall(SYS_tgkill, 0, getpid(), 0));
  show("tgkill(-1, self, 0)", syscall(SYS_tgkill, -1, getpid(), 0));
  show("tgkill(self, 0, 0)", syscall(SYS_tgkill, getpid(), 0, 0));
  show("tgkill(self, self, 0)", syscall(SYS_tgkill, getpid(), getpid(), 0));

  /* kill() with a non-leader thread's tid reaches its process. */
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t p = fork();
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    while (!thread_tid) sched_yield();
    int tid = thread_tid;
    if (write(fds[1], &tid, sizeof tid) != sizeof tid) _exit(1);
    for (;;) pause();
  }
  int tid = 0;
  if (read(fds[0], &tid, sizeof tid) != sizeof tid) return 1;
  printf("the thread is not the leader: %s\n", tid != p ? "yes" : "no");
  show("kill(thread's tid, SIGTERM)", kill(tid, SIGTERM));
  printf("the process died of: %ld\n", wait_code(p));

  altstack_rules();

  /* Interrupted sleeps. */
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  interrupted_sleep("nanosleep");
  interrupted_sleep("clock_nanosleep");
  interrupted_sleep("clock_nanosleep TIMER_ABSTIME");

  /* FUTEX_WAKE with a count of 0. */
  pthread_t w;
  pthread_create(&w, NULL, futex_waiter, NULL);
  long r = 0;
  for (int i = 0; i < 200 && r == 0; ++i) {
    usleep(5000);
    r = syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0);
  }
  show("FUTEX_WAKE(count 0) with a waiter", r);
  pthread_join(w, NULL);
  printf("the waiter woke: %d\n", (int)woken);
  return 0;
}
