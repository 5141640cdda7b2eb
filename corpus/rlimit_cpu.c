/* RLIMIT_CPU (kernel/time/posix-cpu-timers.c): a process that computes gets
 * SIGXCPU when its CPU time reaches the soft limit, and again each second
 * after (the soft limit moves up a second each time), then SIGKILL at the
 * hard limit. Also: raising a hard limit takes CAP_SYS_RESOURCE (EPERM for
 * an unprivileged process), lowering it does not; limits are the process's,
 * shared by its threads. Takes 2 s of CPU time natively. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "corpus.h"

static volatile sig_atomic_t xcpu;
static void on_xcpu(int sig) {
  (void)sig;
  ++xcpu;
}

static void *set_core_limit(void *arg) {
  (void)arg;
  struct rlimit rl = {4096, RLIM_INFINITY};
  setrlimit(RLIMIT_CORE, &rl);
  return 0;
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  /* A thread's setrlimit is the whole process's. */
  pthread_t th;
  pthread_create(&th, 0, set_core_limit, 0);
  pthread_join(th, 0);
  struct rlimit rl;
  getrlimit(RLIMIT_CORE, &rl);
  printf("RLIMIT_CORE set by a thread, seen by main: %lu\n", (unsigned long)rl.rlim_cur);

  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    signal(SIGXCPU, on_xcpu);
    struct rlimit cpu = {1, 2};
    setrlimit(RLIMIT_CPU, &cpu);
    volatile unsigned long spin = 0;
    int seen = 0;
    for (;;) {
      ++spin;
      if (xcpu != seen) {
        seen = xcpu;
        struct rlimit now;
        getrlimit(RLIMIT_CPU, &now);
        char line[64];
        int n = snprintf(line, sizeof line, "SIGXCPU %d, soft limit now %lu\n", seen, (unsigned long)now.rlim_cur);
        if (write(fds[1], line, (size_t)n) != n) _exit(3);
      }
    }
  }
  close(fds[1]);
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
  printf("computing child: status %ld (128 + SIGKILL)\n", wait_code(c));

  c = fork();
  if (c == 0) {
    if (setuid(65534) != 0) _exit(2);
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_max += 1;
    show("unprivileged: raise the hard RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &r));
    r.rlim_max -= 2;
    if (r.rlim_cur > r.rlim_max) r.rlim_cur = r.rlim_max;
    show("unprivileged: lower it", setrlimit(RLIMIT_NOFILE, &r));
    r.rlim_max += 1;
    show("unprivileged: raise it back", setrlimit(RLIMIT_NOFILE, &r));
    _exit(0);
  }
  wait_code(c);
  return 0;
}
