/* Interval timers, as kernel/time/itimer.c and posix-timers.c define them:
 * - alarm(): what was left, rounded to the nearest second; alarm + pause;
 * - setitimer/getitimer: ITIMER_REAL with an interval, ITIMER_VIRTUAL and
 *   ITIMER_PROF on CPU time, disarming, argument checks, fork's child has
 *   none;
 * - POSIX timers: ids counting up, SIGEV_SIGNAL with si_code SI_TIMER,
 *   si_value and si_timerid, overruns while the signal is blocked,
 *   SIGEV_NONE read with timer_gettime, SIGEV_THREAD_ID to one thread, CPU
 *   time clocks, TIMER_ABSTIME, and every argument check;
 * - a process-directed signal goes to a thread that does not block it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile sig_atomic_t hits;
static volatile int last_code, last_value, last_timerid, last_overrun;
static volatile pid_t handled_on;

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  ++hits;
  last_code = si->si_code;
  last_value = si->si_value.sival_int;
  last_timerid = si->si_timerid;
  last_overrun = si->si_overrun;
  handled_on = (pid_t)syscall(SYS_gettid);
}

static void install(int sig) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, 0);
}

static long now_ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void block(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(how, &s, 0);
}

/* Waits (without spinning) until `n` signals were handled. */
static void wait_hits(int n) {
  sigset_t none;
  sigemptyset(&none);
  while (hits < n) sigsuspend(&none);
}

static long k_timer_create(clockid_t c, struct sigevent *ev, int *id) { return syscall(SYS_timer_create, c, ev, id); }
static long k_timer_settime(int id, int flags, const struct itimerspec *v, struct itimerspec *old) {
  return syscall(SYS_timer_settime, id, flags, v, old);
}
static long k_timer_gettime(int id, struct itimerspec *v) { return syscall(SYS_timer_gettime, id, v); }
static long k_timer_getoverrun(int id) { return syscall(SYS_timer_getoverrun, id); }
static long k_timer_delete(int id) { return syscall(SYS_timer_delete, id); }

static void alarms(void) {
  printf("alarm(0) = %u\n", alarm(0));
  alarm(5);
  printf("alarm(2) after alarm(5) = %u\n", alarm(2));
  printf("alarm(0) after alarm(2) = %u\n", alarm(0));
  install(SIGALRM);
  hits = 0;
  long t0 = now_ms(CLOCK_MONOTONIC);
  alarm(1);
  int r = pause();
  long dt = now_ms(CLOCK_MONOTONIC) - t0;
  printf("pause = %d %s, hits %d, code %d (SI_KERNEL), after 1 s: %s\n", r, errname(errno), hits, last_code,
         dt >= 1000 && dt < 1500 ? "yes" : "no");
}

static void itimers(void) {
  struct itimerval v = {{0, 10000}, {0, 10000}}, old;
  hits = 0;
  block(SIGALRM, SIG_BLOCK);
  show("setitimer(REAL, 10ms/10ms)", setitimer(ITIMER_REAL, &v, 0));
  block(SIGALRM, SIG_UNBLOCK);
  wait_hits(5);
  getitimer(ITIMER_REAL, &old);
  printf("5 expiries; interval %ld.%06ld, value <= 10ms: %s\n", (long)old.it_interval.tv_sec,
         (long)old.it_interval.tv_usec, old.it_value.tv_sec == 0 && old.it_value.tv_usec <= 10000 ? "yes" : "no");
  struct itimerval zero = {{0, 0}, {0, 0}};
  show("setitimer(REAL, 0)", setitimer(ITIMER_REAL, &zero, &old));
  printf("old interval %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
  getitimer(ITIMER_REAL, &old);
  printf("after disarm: %ld.%06ld %ld.%06ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec,
         (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);

  /* An interval without a value arms nothing. */
  struct itimerval only_interval = {{1, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &only_interval, 0);
  getitimer(ITIMER_REAL, &old);
  printf("interval only: %ld.%06ld %ld.%06ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec,
         (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);

  show("getitimer(3)", syscall(SYS_getitimer, 3, &old));
  show("getitimer(-1)", syscall(SYS_getitimer, -1, &old));
  show("getitimer(REAL, bad pointer)", syscall(SYS_getitimer, ITIMER_REAL, (void *)8));
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  show("setitimer(usec 1000000)", setitimer(ITIMER_REAL, &bad, 0));
  bad.it_value.tv_usec = -1;
  show("setitimer(usec -1)", setitimer(ITIMER_REAL, &bad, 0));
  bad.it_value.tv_usec = 0, bad.it_value.tv_sec = -1;
  show("setitimer(sec -1)", setitimer(ITIMER_REAL, &bad, 0));
  show("setitimer(3)", syscall(SYS_setitimer, 3, &zero, 0));
  show("setitimer(REAL, bad new)", syscall(SYS_setitimer, ITIMER_REAL, (void *)8, 0));
  /* The timer is set before the old value's copy-out fails. */
  struct itimerval long_one = {{0, 0}, {100, 0}};
  show("setitimer(REAL, 100 s, bad old)", syscall(SYS_setitimer, ITIMER_REAL, &long_one, (void *)8));
  getitimer(ITIMER_REAL, &old);
  printf("armed anyway: %s\n", old.it_value.tv_sec >= 99 ? "yes" : "no");
  show("setitimer(REAL, NULL, old)", syscall(SYS_setitimer, ITIMER_REAL, 0, &old));
  printf("NULL disarmed a timer with %ld s left\n", (long)old.it_value.tv_sec + (old.it_value.tv_usec > 0));

  pid_t c = fork();
  if (c == 0) {
    struct itimerval in_child;
    getitimer(ITIMER_REAL, &in_child);
    _exit(in_child.it_value.tv_sec || in_child.it_value.tv_usec ? 1 : 0);
  }
  /* The parent's timer, armed before the fork, is not the child's. */
  printf("fork child without itimer: %s\n", wait_code(c) == 0 ? "yes" : "no");

  /* CPU time itimers: the signal comes while the process computes. */
  static const int which[2] = {ITIMER_VIRTUAL, ITIMER_PROF};
  static const int sigs[2] = {SIGVTALRM, SIGPROF};
  for (int i = 0; i < 2; ++i) {
    install(sigs[i]);
    hits = 0;
    struct itimerval cpu = {{0, 5000}, {0, 5000}};
    setitimer(which[i], &cpu, 0);
    volatile unsigned long spin = 0;
    while (hits < 3) ++spin;
    setitimer(which[i], &zero, 0);
    printf("%s: 3 signals while computing, code %d\n", i ? "ITIMER_PROF" : "ITIMER_VIRTUAL", last_code);
  }
}

static void posix_timers(void) {
  install(SIGUSR1);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 77;
  int id[3];
  for (int i = 0; i < 3; ++i) k_timer_create(CLOCK_MONOTONIC, &ev, &id[i]);
  printf("ids %d %d %d\n", id[0], id[1], id[2]);
  show("timer_delete(first)", k_timer_delete(id[0]));
  int again;
  k_timer_create(CLOCK_MONOTONIC, &ev, &again);
  printf("next id after a delete: %d\n", again);
  show("timer_delete(first) again", k_timer_delete(id[0]));

  /* One shot, 20 ms. */
  hits = 0;
  struct itimerspec v = {{0, 0}, {0, 20000000}}, cur;
  block(SIGUSR1, SIG_BLOCK);
  show("timer_settime(20ms)", k_timer_settime(id[1], 0, &v, 0));
  block(SIGUSR1, SIG_UNBLOCK);
  wait_hits(1);
  printf("code %d (SI_TIMER) value %d timerid matches %s overrun %d\n", last_code, last_value,
         last_timerid == id[1] ? "yes" : "no", last_overrun);
  k_timer_gettime(id[1], &cur);
  printf("expired one shot: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  /* Periodic, 1 ms, while its signal is blocked: one signal, the rest overruns. */
  hits = 0;
  struct itimerspec p = {{0, 1000000}, {0, 1000000}};
  block(SIGUSR1, SIG_BLOCK);
  k_timer_settime(id[2], 0, &p, 0);
  struct timespec nap = {0, 30000000};
  nanosleep(&nap, 0);
  block(SIGUSR1, SIG_UNBLOCK); /* the one signal pending is delivered here */
  block(SIGUSR1, SIG_BLOCK);   /* and no other while the results are read */
  int first_overrun = last_overrun, handled = hits;
  long reported = k_timer_getoverrun(id[2]);
  struct itimerspec off = {{0, 0}, {0, 0}};
  k_timer_settime(id[2], 0, &off, &cur);
  block(SIGUSR1, SIG_UNBLOCK);
  printf("one signal for many expiries: %s, overrun >= 10: %s, timer_getoverrun agrees: %s\n",
         handled >= 1 ? "yes" : "no", first_overrun >= 10 ? "yes" : "no",
         reported == first_overrun || handled > 1 ? "yes" : "no");
  printf("old interval %ld.%09ld, timer_getoverrun after timer_settime: %ld\n", (long)cur.it_interval.tv_sec,
         cur.it_interval.tv_nsec, k_timer_getoverrun(id[2]));

  /* SIGEV_NONE: nothing is sent, the time left is still counted. */
  struct sigevent none = {0};
  none.sigev_notify = SIGEV_NONE;
  int quiet;
  k_timer_create(CLOCK_MONOTONIC, &none, &quiet);
  struct itimerspec fifty = {{0, 0}, {0, 50000000}};
  k_timer_settime(quiet, 0, &fifty, 0);
  k_timer_gettime(quiet, &cur);
  printf("SIGEV_NONE left in (0, 50ms]: %s\n",
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 50000000 ? "yes" : "no");
  struct timespec nap60 = {0, 60000000};
  nanosleep(&nap60, 0);
  k_timer_gettime(quiet, &cur);
  printf("SIGEV_NONE after it expired: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  /* TIMER_ABSTIME in the past expires at once. */
  hits = 0;
  struct itimerspec past = {{0, 0}, {0, 1}};
  block(SIGUSR1, SIG_BLOCK);
  k_timer_settime(id[1], TIMER_ABSTIME, &past, 0);
  block(SIGUSR1, SIG_UNBLOCK);
  wait_hits(1);
  printf("absolute time in the past: %d signal\n", hits);

  /* The process's CPU clock. */
  int cpu_timer;
  show("timer_create(PROCESS_CPUTIME)", k_timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &cpu_timer));
  hits = 0;
  struct itimerspec tenms = {{0, 0}, {0, 10000000}};
  k_timer_settime(cpu_timer, 0, &tenms, 0);
  volatile unsigned long spin = 0;
  while (!hits) ++spin;
  printf("CPU time timer fired while computing\n");
  int thread_timer;
  show("timer_create(THREAD_CPUTIME)", k_timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &thread_timer));
  hits = 0;
  k_timer_settime(thread_timer, 0, &tenms, 0);
  while (!hits) ++spin;
  printf("thread CPU time timer fired while computing\n");

  /* A default sigevent: SIGALRM with the id as its value. */
  install(SIGALRM);
  int plain;
  k_timer_create(CLOCK_REALTIME, 0, &plain);
  hits = 0;
  struct itimerspec ms = {{0, 0}, {0, 1000000}};
  block(SIGALRM, SIG_BLOCK);
  k_timer_settime(plain, 0, &ms, 0);
  block(SIGALRM, SIG_UNBLOCK);
  wait_hits(1);
  printf("default sigevent: value is the id: %s\n", last_value == plain ? "yes" : "no");

  /* Argument checks. */
  int x;
  show("timer_create(MONOTONIC_RAW)", k_timer_create(CLOCK_MONOTONIC_RAW, &ev, &x));
  show("timer_create(REALTIME_COARSE)", k_timer_create(CLOCK_REALTIME_COARSE, &ev, &x));
  show("timer_create(clock 99)", k_timer_create(99, &ev, &x));
  show("timer_create(bad sigevent)", k_timer_create(CLOCK_MONOTONIC, (void *)8, &x));
  show("timer_create(bad id pointer)", k_timer_create(CLOCK_MONOTONIC, &ev, (void *)8));
  struct sigevent bad = ev;
  bad.sigev_notify = 99;
  show("timer_create(notify 99)", k_timer_create(CLOCK_MONOTONIC, &bad, &x));
  bad = ev;
  bad.sigev_signo = 0;
  show("timer_create(signo 0)", k_timer_create(CLOCK_MONOTONIC, &bad, &x));
  bad.sigev_signo = 65;
  show("timer_create(signo 65)", k_timer_create(CLOCK_MONOTONIC, &bad, &x));
  bad = ev;
  bad.sigev_notify = SIGEV_THREAD_ID;
  bad.sigev_notify_thread_id = getppid();
  show("timer_create(THREAD_ID of another process)", k_timer_create(CLOCK_MONOTONIC, &bad, &x));
  show("timer_settime(NULL)", k_timer_settime(id[1], 0, 0, 0));
  show("timer_settime(bad id)", k_timer_settime(12345, 0, &v, 0));
  struct itimerspec badv = {{0, 0}, {0, 1000000000}};
  show("timer_settime(nsec 1e9)", k_timer_settime(id[1], 0, &badv, 0));
  show("timer_settime(bad pointer)", k_timer_settime(id[1], 0, (void *)8, 0));
  show("timer_gettime(bad id)", k_timer_gettime(-1, &cur));
  show("timer_gettime(bad pointer)", k_timer_gettime(id[1], (void *)8));
  show("timer_getoverrun(bad id)", k_timer_getoverrun(999));
}

static pid_t worker_tid;
static atomic_int worker_ready, worker_done;

static void *worker(void *arg) {
  (void)arg;
  worker_tid = (pid_t)syscall(SYS_gettid);
  block(SIGUSR2, SIG_UNBLOCK);  /* inherited blocked from the main thread */
  atomic_store(&worker_ready, 1);
  while (!atomic_load(&worker_done)) {
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, 0);
  }
  return 0;
}

/* Polls without spinning: under Ditto a sched_yield loop is one event per turn. */
static void nap_100us(void) {
  struct timespec nap = {0, 100000};
  nanosleep(&nap, 0);
}

static void threads(void) {
  install(SIGUSR2);
  block(SIGUSR2, SIG_BLOCK);  /* the worker starts with it blocked too */
  pthread_t th;
  pthread_create(&th, 0, worker, 0);
  while (!atomic_load(&worker_ready)) sched_yield();

  /* Blocked in the main thread: kill() hands it to the worker. */
  hits = 0;
  kill(getpid(), SIGUSR2);
  while (!hits) nap_100us();
  printf("process signal blocked by main taken by the worker: %s\n", handled_on == worker_tid ? "yes" : "no");

  /* SIGEV_THREAD_ID: to the worker, whatever the main thread blocks. */
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGUSR2;
  ev.sigev_notify_thread_id = worker_tid;
  int id;
  show("timer_create(THREAD_ID worker)", k_timer_create(CLOCK_MONOTONIC, &ev, &id));
  hits = 0;
  struct itimerspec v = {{0, 0}, {0, 5000000}};
  k_timer_settime(id, 0, &v, 0);
  while (!hits) nap_100us();
  printf("SIGEV_THREAD_ID delivered to the worker: %s\n", handled_on == worker_tid ? "yes" : "no");
  atomic_store(&worker_done, 1);
  pthread_join(th, 0);
  block(SIGUSR2, SIG_UNBLOCK);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  alarms();
  itimers();
  posix_timers();
  threads();
  return 0;
}
