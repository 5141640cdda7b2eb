/* signalfd against the host: signalfd4's checks in their order, records
 * for kill, sigqueue, tgkill, SIGCHLD and a POSIX timer, several signals in
 * one read (lowest first), a new mask on the same fd, poll and epoll
 * (level and edge), a blocking read woken by another process, a child that
 * reads only its own signals, a handler that never runs because the signal
 * was read, and a record lost to a buffer that faults. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled++; }

/* The lines of /proc/self/fdinfo/FD that do not depend on the host (not
 * mnt_id, ino, eventfd-id, nor eventfd-semaphore, which kernels before 6.3
 * lack). */
static void show_fdinfo(const char *what, int fd) {
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY);
  ssize_t n = f < 0 ? -1 : read(f, text, sizeof text - 1);
  if (f >= 0) close(f);
  if (n < 0) {
    printf("%s fdinfo: -1\n", what);
    return;
  }
  text[n] = 0;
  printf("%s fdinfo:", what);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
    if (strncmp(line, "mnt_id", 6) && strncmp(line, "ino", 3) && strncmp(line, "eventfd-id", 10) &&
        strncmp(line, "eventfd-semaphore", 17))
      printf(" [%s]", line);
  printf("\n");
}

static int readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/* Reads one record and prints the fields its kind carries. */
static void read_one(const char *what, int fd, pid_t expect_pid) {
  struct signalfd_siginfo si;
  memset(&si, 0xa5, sizeof si);
  ssize_t n = read(fd, &si, sizeof si);
  if (n < 0) {
    printf("%s: -1 %s\n", what, errname(errno));
    return;
  }
  printf("%s: %zd bytes, signo %u code %d errno %d pid %s uid %u int %d ptr %llx status %d\n", what, n,
         si.ssi_signo, si.ssi_code, si.ssi_errno, si.ssi_pid == (uint32_t)expect_pid ? "expected" : "other",
         si.ssi_uid, si.ssi_int, (unsigned long long)si.ssi_ptr, si.ssi_status);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t set, none;
  sigemptyset(&set);
  sigemptyset(&none);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGRTMIN);
  sigaddset(&set, SIGALRM);
  sigprocmask(SIG_BLOCK, &set, NULL);

  /* The checks: the size first, then the mask, then the flags. */
  show("size 4", syscall(SYS_signalfd4, -1, &set, 4, 0));
  show("size 4, bad mask", syscall(SYS_signalfd4, -1, (void *)8, 4, 0));
  show("bad mask, bad flags", syscall(SYS_signalfd4, -1, (void *)8, 8, 0x77));
  show("bad flags", syscall(SYS_signalfd4, -1, &set, 8, 0x77));
  show("fd -2", syscall(SYS_signalfd4, -2, &set, 8, 0));
  show("fd not open", syscall(SYS_signalfd4, 900, &set, 8, 0));
  show("fd not a signalfd", syscall(SYS_signalfd4, 1, &set, 8, 0));
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  show("signalfd", fd >= 0);
  show("signalfd() on it keeps the fd", signalfd(fd, &set, 0) == fd);
  show("close-on-exec", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  show("status flags", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  struct stat st;
  fstat(fd, &st);
  printf("st_mode %o\n", st.st_mode);
  char link[64], target[64] = "";
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  show("readlink", readlink(link, target, sizeof target - 1));
  printf("link %s\n", target);
  char rec[128] = {0};
  show("read, buffer too small", read(fd, rec, 127));
  show("read, nothing pending", read(fd, rec, sizeof rec));
  show("write", write(fd, rec, sizeof rec));
  show("lseek", lseek(fd, 0, SEEK_SET));
  show("lseek SEEK_END", lseek(fd, 9, SEEK_END));
  show("lseek bad whence", lseek(fd, 0, 5));
  show("pread", pread(fd, rec, sizeof rec, 0));
  show("poll, nothing pending", readable(fd));
  show_fdinfo("signalfd", fd);
  int efd = eventfd(26, EFD_SEMAPHORE);
  show_fdinfo("eventfd", efd);
  close(efd);
  int pfd[2];
  pipe2(pfd, O_NONBLOCK);
  show_fdinfo("pipe read end", pfd[0]);
  show_fdinfo("pipe write end", pfd[1]);
  close(pfd[0]), close(pfd[1]);

  /* One record per signal. */
  kill(getpid(), SIGUSR1);
  show("poll, SIGUSR1 pending", readable(fd));
  read_one("kill", fd, getpid());
  union sigval v = {.sival_int = 4242};
  sigqueue(getpid(), SIGUSR2, v);
  read_one("sigqueue", fd, getpid());
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  read_one("tgkill", fd, getpid());
  v.sival_int = 7;
  sigqueue(getpid(), SIGRTMIN, v);
  kill(getpid(), SIGUSR2);
  kill(getpid(), SIGUSR1);
  struct signalfd_siginfo many[4];
  ssize_t n = read(fd, many, sizeof many);
  printf("three pending, one read: %zd bytes:", n);
  for (ssize_t i = 0; i < n / (ssize_t)sizeof many[0]; i++) printf(" %u/%d", many[i].ssi_signo, many[i].ssi_code);
  printf("\n");

  /* A new mask: SIGUSR2 is no longer read, and stays pending. */
  sigset_t only1;
  sigemptyset(&only1);
  sigaddset(&only1, SIGUSR1);
  sigaddset(&only1, SIGKILL);
  signalfd(fd, &only1, 0);
  kill(getpid(), SIGUSR2);
  show("poll, only SIGUSR2 pending", readable(fd));
  read_one("read with the new mask", fd, 0);
  sigset_t pend;
  sigpending(&pend);
  show("SIGUSR2 still pending", sigismember(&pend, SIGUSR2));
  signalfd(fd, &set, 0);
  read_one("read it with the old mask back", fd, getpid());

  /* A caught signal that is read is never handled. */
  signal(SIGUSR1, on_usr1);
  kill(getpid(), SIGUSR1);
  read_one("with a handler", fd, getpid());
  sigprocmask(SIG_UNBLOCK, &only1, NULL);
  sigprocmask(SIG_BLOCK, &only1, NULL);
  show("handler ran", handled);

  /* SIGCHLD from a child that exits 3. */
  pid_t c = fork();
  if (c == 0) _exit(3);
  struct pollfd pw = {fd, POLLIN, 0};
  poll(&pw, 1, 5000);
  read_one("SIGCHLD", fd, c);
  waitpid(c, NULL, 0);

  /* A POSIX timer's signal. */
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  sev.sigev_value.sival_int = 99;
  timer_t tid;
  timer_create(CLOCK_MONOTONIC, &sev, &tid);
  struct itimerspec its = {{0, 0}, {0, 1000000}};
  timer_settime(tid, 0, &its, NULL);
  poll(&pw, 1, 5000);
  struct signalfd_siginfo ti;
  n = read(fd, &ti, sizeof ti);
  printf("timer: %zd bytes, signo %u code %d int %d overrun %u tid-matches %d\n", n, ti.ssi_signo, ti.ssi_code,
         ti.ssi_int, ti.ssi_overrun, ti.ssi_tid == (uint32_t)(intptr_t)tid);
  timer_delete(tid);

  /* epoll: level-triggered reports while pending; edge-triggered once per signal. */
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  int ep2 = epoll_create1(0);
  ev.events = EPOLLIN | EPOLLET;
  epoll_ctl(ep2, EPOLL_CTL_ADD, fd, &ev);
  struct epoll_event out;
  show("epoll, nothing", epoll_wait(ep, &out, 1, 0));
  kill(getpid(), SIGUSR1);
  show("epoll level", epoll_wait(ep, &out, 1, 0));
  show("epoll level again", epoll_wait(ep, &out, 1, 0));
  show("epoll edge", epoll_wait(ep2, &out, 1, 0));
  show("epoll edge again", epoll_wait(ep2, &out, 1, 0));
  kill(getpid(), SIGUSR2);
  show("epoll edge, another signal", epoll_wait(ep2, &out, 1, 0));
  n = read(fd, many, sizeof many);
  show("drained", n);
  close(ep), close(ep2);

  /* The child reads its own signals: what its parent has pending is not its. */
  kill(getpid(), SIGUSR2);
  c = fork();
  if (c == 0) {
    read_one("child, parent's pending", fd, 0);
    kill(getpid(), SIGUSR1);
    read_one("child, its own", fd, getpid());
    _exit(0);
  }
  waitpid(c, NULL, 0);
  read_one("parent still has its own", fd, getpid());
  /* SIGCHLD of that child is pending too. */
  read_one("and SIGCHLD", fd, c);

  /* A blocking read waits for a signal from another process. */
  int bfd = signalfd(-1, &set, 0);
  pid_t parent = getpid();
  c = fork();
  if (c == 0) {
    usleep(10000);
    kill(parent, SIGUSR2);
    _exit(0);
  }
  read_one("blocking read", bfd, c);
  waitpid(c, NULL, 0);
  read_one("SIGCHLD after it", fd, c);

  /* Two records into a buffer whose second half faults: the first comes
   * back, the second signal is consumed and lost. */
  char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(pages + 4096, 4096, PROT_NONE);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR2);
  show("read across a fault", read(fd, pages + 4096 - 128, 256));
  sigpending(&pend);
  show("SIGUSR2 left pending", sigismember(&pend, SIGUSR2));
  kill(getpid(), SIGUSR1);
  show("read into a fault", read(fd, pages + 4096, 128));
  sigpending(&pend);
  show("SIGUSR1 left pending", sigismember(&pend, SIGUSR1));
  close(bfd);
  close(fd);
  return 0;
}
