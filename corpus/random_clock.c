/* getrandom and the clocks: prints properties that hold on any Linux, not
 * values (those differ between runs natively, and are fixed under Ditto). */
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  unsigned char a[32], b[32];
  show("getrandom 32", getrandom(a, sizeof a, 0));
  show("getrandom again", getrandom(b, sizeof b, GRND_NONBLOCK));
  printf("two draws differ: %d\n", memcmp(a, b, sizeof a) != 0);
  show("getrandom bad flags", syscall(SYS_getrandom, a, 8, 0x100));
  show("getrandom bad buffer", syscall(SYS_getrandom, (void *)8, 8, 0));
  struct timespec t1, t2, res;
  show("clock_gettime monotonic", clock_gettime(CLOCK_MONOTONIC, &t1));
  volatile unsigned long x = 0;
  for (int i = 0; i < 1000000; i++) x += i;
  show("clock_gettime monotonic again", clock_gettime(CLOCK_MONOTONIC, &t2));
  printf("monotonic advanced: %d\n", ns(t2) > ns(t1));
  struct timespec req = {0, 5000000};
  clock_gettime(CLOCK_MONOTONIC, &t1);
  show("nanosleep 5ms", nanosleep(&req, NULL));
  clock_gettime(CLOCK_MONOTONIC, &t2);
  printf("slept at least 5ms: %d\n", ns(t2) - ns(t1) >= 5000000);
  struct timespec bad = {0, 1000000000};
  show("nanosleep bad nsec", nanosleep(&bad, NULL));
  show("clock_nanosleep abs past", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t1, NULL));
  show("clock_getres monotonic", clock_getres(CLOCK_MONOTONIC, &res));
  printf("resolution at most 1ms: %d\n", res.tv_sec == 0 && res.tv_nsec <= 1000000);
  show("clock_gettime bad clock", syscall(SYS_clock_gettime, 12345, &t1));
  show("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)16));
  struct timeval tv;
  show("gettimeofday", gettimeofday(&tv, NULL));
  time_t now = time(NULL);
  printf("realtime after 2020: %d\n", now > 1577836800);
  /* Linux's time() reads the coarse clock, which can still show the previous
   * second just after gettimeofday() saw the next one. */
  printf("time and gettimeofday agree: %d\n", now - tv.tv_sec <= 1 && tv.tv_sec - now <= 1);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  printf("cpu time positive: %d\n", ns(t1) > 0);
  return 0;
}
