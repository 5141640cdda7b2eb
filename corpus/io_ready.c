/* I/O readiness against the host: eventfd (counter, semaphore mode, limits),
 * epoll (level and edge triggering, EPOLLONESHOT, nesting and loops, items
 * that outlive a descriptor number, the fairness of level-triggered
 * reports, the argument checks), timerfd on the clocks (one-shot, periodic,
 * absolute, waking a blocked read, poll and epoll), select/pselect6, and
 * EINTR for epoll_wait even with SA_RESTART. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

static void show_events(const char *what, int n, struct epoll_event *ev) {
  printf("%s: %d", what, n);
  if (n < 0) printf(" %s", errname(errno));
  for (int i = 0; i < n; ++i) printf(" [%#x data %llu]", ev[i].events, (unsigned long long)ev[i].data.u64);
  printf("\n");
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event e = {.events = events, .data.u64 = data};
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static void on_alarm(int sig) { (void)sig; }

static void eventfds(void) {
  uint64_t v = 0;
  int e = eventfd(0, EFD_NONBLOCK);
  show("eventfd", e >= 0);
  show("read empty", read(e, &v, 8));
  v = 3;
  show("write 3", write(e, &v, 8));
  v = 4;
  show("write 4", write(e, &v, 8));
  show("read", read(e, &v, 8));
  printf("value %llu\n", (unsigned long long)v);
  show("short read", read(e, &v, 4));
  v = ~0ULL;
  show("write ~0", write(e, &v, 8));
  v = 0xfffffffffffffffeULL;
  show("write max", write(e, &v, 8));
  v = 1;
  show("write past max", write(e, &v, 8));
  struct pollfd p = {.fd = e, .events = POLLIN | POLLOUT};
  show("poll full", poll(&p, 1, 0));
  printf("revents %#x\n", p.revents);
  close(e);
  int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  for (int i = 0; i < 4; ++i) {
    int r = read(s, &v, 8);
    printf("semaphore read = %d value %llu%s\n", r, r > 0 ? (unsigned long long)v : 0ULL, r < 0 ? " EAGAIN" : "");
  }
  close(s);
  show("eventfd bad flags", eventfd(0, 0x40));
}

static void epolls(void) {
  struct epoll_event ev[8];
  show("epoll_create1 bad flags", epoll_create1(1));
  show("epoll_create 0", epoll_create(0));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int p[2];
  if (pipe(p) != 0) return;
  char path[64];
  snprintf(path, sizeof path, "/tmp/ditto_ready_%d", (int)getpid());
  int reg = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink(path);
  show("add regular file", add(ep, reg, EPOLLIN, 1));
  show("add self", add(ep, ep, EPOLLIN, 1));
  show("add bad fd", add(ep, 99, EPOLLIN, 1));
  show("add to a non-epoll", add(p[0], p[1], EPOLLIN, 1));
  show("add pipe", add(ep, p[0], EPOLLIN, 10));
  show("add again", add(ep, p[0], EPOLLIN, 10));
  show("mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &(struct epoll_event){.events = EPOLLOUT}));
  show("del missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  show("bad op", epoll_ctl(ep, 9, p[0], &(struct epoll_event){0}));
  show("exclusive mod", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){.events = EPOLLIN | EPOLLEXCLUSIVE}));
  show("exclusive with oneshot", add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 11));
  show("bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (void *)8));
  show_events("wait nothing", epoll_wait(ep, ev, 8, 0), ev);
  show("wait maxevents 0", epoll_wait(ep, ev, 0, 0));
  show("wait on a pipe", epoll_wait(p[0], ev, 1, 0));
  show("write", write(p[1], "ab", 2));
  show_events("level", epoll_wait(ep, ev, 8, 0), ev);
  show_events("level again", epoll_wait(ep, ev, 8, 0), ev);
  /* Edge-triggered: once per wake-up. */
  show("mod to edge", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 20}));
  show_events("edge", epoll_wait(ep, ev, 8, 0), ev);
  show_events("edge again", epoll_wait(ep, ev, 8, 0), ev);
  show("write more", write(p[1], "c", 1));
  show_events("edge after a write", epoll_wait(ep, ev, 8, 0), ev);
  char buf[16];
  show("drain", read(p[0], buf, sizeof buf));
  show_events("edge after the drain", epoll_wait(ep, ev, 8, 0), ev);
  /* One-shot: disarmed after it reports, re-armed by MOD. */
  show("mod to oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 30}));
  show("write", write(p[1], "d", 1));
  show_events("oneshot", epoll_wait(ep, ev, 8, 0), ev);
  show_events("oneshot again", epoll_wait(ep, ev, 8, 0), ev);
  show("rearm", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){.events = EPOLLIN, .data.u64 = 31}));
  show_events("rearmed", epoll_wait(ep, ev, 8, 0), ev);
  /* Writable end, hang-up when the writer goes. */
  show("add write end", add(ep, p[1], EPOLLOUT, 40));
  show_events("both", epoll_wait(ep, ev, 8, 0), ev);
  /* Level-triggered items take turns when fewer events are asked for. */
  for (int i = 0; i < 4; ++i) {
    char what[32];
    snprintf(what, sizeof what, "one at a time %d", i);
    show_events(what, epoll_wait(ep, ev, 1, 0), ev);
  }
  /* Nesting: an epoll is readable while its items would report. */
  int outer = epoll_create1(0);
  show("nest", add(outer, ep, EPOLLIN, 50));
  show_events("outer", epoll_wait(outer, ev, 8, 0), ev);
  show("loop", add(ep, outer, EPOLLIN, 51));
  /* The item belongs to the open file: a dup keeps it after close. */
  int keep = dup(p[1]);
  close(p[1]);
  show_events("after closing the write end's number", epoll_wait(ep, ev, 8, 0), ev);
  show("del closed number", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  close(keep);
  show_events("after the writer is gone", epoll_wait(ep, ev, 8, 0), ev);
  close(p[0]);
  show_events("after the reader is gone", epoll_wait(ep, ev, 8, 0), ev);
  close(outer);
  close(reg);
  /* A caught signal ends epoll_wait with EINTR even with SA_RESTART. */
  struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {0, 30000}};
  setitimer(ITIMER_REAL, &it, NULL);
  show_events("interrupted wait", epoll_wait(ep, ev, 8, 1000), ev);
  close(ep);
}

static void timerfds(void) {
  show("timerfd bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  show("timerfd bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  uint64_t n = 0;
  struct itimerspec its = {.it_value = {0, 50000000}}, old;
  show("settime bad flags", timerfd_settime(t, 4, &its, NULL));
  struct itimerspec bad = {.it_value = {0, 1000000000}};
  show("settime bad nsec", timerfd_settime(t, 0, &bad, NULL));
  show("settime not a timerfd", timerfd_settime(0, 0, &its, NULL));
  show("settime 50ms", timerfd_settime(t, 0, &its, NULL));
  show("blocking read", read(t, &n, 8));
  printf("expirations %llu\n", (unsigned long long)n);
  timerfd_gettime(t, &old);
  printf("after: value %ld.%09ld interval %ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec, (long)old.it_interval.tv_sec);
  /* Two expirations in 500 ms, with 100 ms to spare either side natively. */
  its = (struct itimerspec){.it_value = {0, 200000000}, .it_interval = {0, 200000000}};
  timerfd_settime(t, 0, &its, NULL);
  usleep(500000);
  show("read periodic", read(t, &n, 8));
  printf("expirations %llu\n", (unsigned long long)n);
  timerfd_gettime(t, &old);
  printf("interval %ld.%09ld, value below it: %d\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec,
         old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 200000000);
  its = (struct itimerspec){0};
  timerfd_settime(t, 0, &its, &old);
  printf("disarm returned the old interval %ld\n", old.it_interval.tv_nsec);
  close(t);
  /* Absolute times on the realtime clock; one in the past expires at once. */
  t = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  show("nonblocking read, disarmed", read(t, &n, 8));
  its = (struct itimerspec){.it_value = {1, 0}};
  show("absolute in the past", timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL));
  show("read", read(t, &n, 8));
  printf("expirations %llu\n", (unsigned long long)n);
  show("short read", read(t, &n, 4));
  close(t);
  /* A timer wakes poll and epoll_wait. */
  t = timerfd_create(CLOCK_BOOTTIME, 0);
  its = (struct itimerspec){.it_value = {0, 40000000}};
  timerfd_settime(t, 0, &its, NULL);
  struct pollfd p = {.fd = t, .events = POLLIN};
  show("poll waits for the timer", poll(&p, 1, -1));
  read(t, &n, 8);
  int ep = epoll_create1(0);
  add(ep, t, EPOLLIN, 7);
  timerfd_settime(t, 0, &its, NULL);
  struct epoll_event ev[2];
  show_events("epoll waits for the timer", epoll_wait(ep, ev, 2, -1), ev);
  close(ep);
  close(t);
}

static void selects(void) {
  int p[2];
  if (pipe(p) != 0) return;
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(p[1], &w);
  struct timeval tv = {0, 0};
  show("select writable", select(p[1] + 1, &r, &w, NULL, &tv));
  printf("r %d w %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  tv = (struct timeval){0, 20000};
  show("select times out", select(p[0] + 1, &r, NULL, NULL, &tv));
  printf("r %d, time left %ld.%06ld\n", FD_ISSET(p[0], &r), (long)tv.tv_sec, (long)tv.tv_usec);
  write(p[1], "x", 1);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  tv = (struct timeval){5, 0};
  show("select readable", select(p[0] + 1, &r, NULL, NULL, &tv));
  printf("r %d, time left within 5 s: %d\n", FD_ISSET(p[0], &r), tv.tv_sec <= 5 && tv.tv_sec >= 4);
  FD_ZERO(&r);
  FD_SET(60, &r);
  tv = (struct timeval){0, 0};
  show("select closed fd", select(61, &r, NULL, NULL, &tv));
  show("select negative nfds", select(-1, NULL, NULL, NULL, &tv));
  tv = (struct timeval){0, 1000000};
  show("select bad timeval", select(1, NULL, NULL, NULL, &tv));
  show("select bad set pointer", select(p[0] + 1, (fd_set *)8, NULL, NULL, NULL));
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timespec ts = {0, 0};
  sigset_t mask;
  sigemptyset(&mask);
  show("pselect readable", pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask));
  struct { const void *ss; size_t len; } sig = {&mask, 4};
  show("pselect6 bad sigset size", syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &sig));
  close(p[0]), close(p[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  eventfds();
  epolls();
  timerfds();
  selects();
  return 0;
}
