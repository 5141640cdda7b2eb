/* CPU time accounting: getrusage (self, children, thread), times(), the CPU
 * clocks and wait4's rusage grow with work done; relations only. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

static volatile unsigned long sink;
static void burn(long n) {
  for (long i = 0; i < n; i++) sink += i * i;
}
static long us(struct timeval t) { return t.tv_sec * 1000000L + t.tv_usec; }

int main(void) {
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  burn(60000000);
  getrusage(RUSAGE_SELF, &r1);
  printf("self user time grew: %d\n", us(r1.ru_utime) > us(r0.ru_utime));
  struct timespec pc, tc;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &pc);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &tc);
  printf("process and thread CPU clocks positive: %d\n", pc.tv_sec + pc.tv_nsec > 0 && tc.tv_sec + tc.tv_nsec > 0);
  /* (RUSAGE_CHILDREN before any fork is not printed: it survives execve, so
   * natively it holds whatever the launching shell's children used.) */
  struct rusage rc;
  pid_t c = fork();
  if (c == 0) {
    burn(60000000);
    _exit(0);
  }
  struct rusage rw;
  int st;
  wait4(c, &st, 0, &rw);
  printf("wait4 rusage of a busy child positive: %d\n", us(rw.ru_utime) + us(rw.ru_stime) > 0);
  getrusage(RUSAGE_CHILDREN, &rc);
  printf("children time now positive: %d\n", us(rc.ru_utime) + us(rc.ru_stime) > 0);
  struct tms t;
  clock_t now = times(&t);
  printf("times: elapsed positive %d, child user+sys positive %d\n", now > 0, t.tms_cutime + t.tms_cstime > 0);
  show("getrusage bad who", getrusage(42, &r0));
  return 0;
}
