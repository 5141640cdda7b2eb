/* Time, randomness, limits and signal-stack syscalls: argument rules and
 * the facts that do not depend on the host (clock resolutions, EMFILE at
 * RLIMIT_NOFILE, the sched_getaffinity size rule, unblockable signals).
 * Left out as host-dependent: the alarm clocks (8, 9: EINVAL without an RTC,
 * which Ditto's machine lacks), raising a hard limit (CAP_SYS_RESOURCE). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#define SYS(name, ...) show(#name, syscall(__VA_ARGS__))
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct timespec ts;
  for (int c = 0; c < 12; c++) {
    if (c == 8 || c == 9) continue;
    long r = syscall(SYS_clock_getres, c, &ts);
    printf("clock_getres(%d) = %ld %s res %ld\n", c, r, r < 0 ? errname(errno) : "", r < 0 ? -1 : ts.tv_nsec);
  }
  SYS(clock_gettime_bad_clock, SYS_clock_gettime, 99, &ts);
  SYS(clock_gettime_negative_clock, SYS_clock_gettime, -1, &ts);
  SYS(clock_gettime_bad_ptr, SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8);
  SYS(clock_getres_null, SYS_clock_getres, CLOCK_MONOTONIC, NULL);
  struct timespec neg = {-1, 0}, bad_ns = {0, 1000000000}, zero = {0, 0};
  SYS(nanosleep_negative, SYS_nanosleep, &neg, NULL);
  SYS(nanosleep_bad_nsec, SYS_nanosleep, &bad_ns, NULL);
  SYS(nanosleep_bad_ptr, SYS_nanosleep, (void *)8, NULL);
  SYS(nanosleep_zero, SYS_nanosleep, &zero, NULL);
  SYS(clock_nanosleep_bad_clock, SYS_clock_nanosleep, 99, 0, &zero, NULL);
  SYS(clock_nanosleep_bad_flags_abstime_past, SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &zero,
      NULL);
  SYS(clock_nanosleep_realtime_negative, SYS_clock_nanosleep, CLOCK_REALTIME, 0, &neg, NULL);
  SYS(clock_nanosleep_process_cputime, SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, &zero, NULL);
  SYS(gettimeofday_null, SYS_gettimeofday, NULL, NULL);
  SYS(gettimeofday_bad_tv, SYS_gettimeofday, (void *)8, NULL);
  struct timezone tz = {77, 77};
  SYS(gettimeofday_tz, SYS_gettimeofday, NULL, &tz);
  printf("tz %d %d\n", tz.tz_minuteswest, tz.tz_dsttime);
  SYS(time_bad_ptr, SYS_time, (void *)8);
  char b[16];
  SYS(getrandom_bad_flags, SYS_getrandom, b, 4, 0x100);
  SYS(getrandom_random_insecure, SYS_getrandom, b, 4, GRND_RANDOM | GRND_INSECURE);
  SYS(getrandom_insecure, SYS_getrandom, b, 4, GRND_INSECURE);
  SYS(getrandom_nonblock_random, SYS_getrandom, b, 4, GRND_NONBLOCK | GRND_RANDOM);
  SYS(getrandom_zero, SYS_getrandom, b, 0, 0);
  SYS(getrandom_bad_ptr, SYS_getrandom, (void *)8, 4, 0);
  struct rlimit rl, old;
  SYS(getrlimit_bad_res, SYS_getrlimit, 99, &rl);
  SYS(getrlimit_bad_ptr, SYS_getrlimit, RLIMIT_NOFILE, (void *)8);
  rl.rlim_cur = 10;
  rl.rlim_max = 5;
  SYS(setrlimit_soft_above_hard, SYS_setrlimit, RLIMIT_NOFILE, &rl);
  rl.rlim_cur = 5;
  rl.rlim_max = 5;
  SYS(prlimit_set_nofile_5, SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, &old);
  int fds = 0;
  for (int i = 0; i < 10; i++)
    if (open("/dev/null", O_RDONLY) >= 0) fds++;
  printf("opened %d more with RLIMIT_NOFILE 5: last errno %s\n", fds, errname(errno));
  SYS(dup2_beyond_nofile, SYS_dup2, 0, 50);
  SYS(fcntl_dupfd_beyond, SYS_fcntl, 0, F_DUPFD, 50);
  char set[128];
  SYS(sched_getaffinity_7_bytes, SYS_sched_getaffinity, 0, 7, set);
  SYS(sched_getaffinity_8_bytes, SYS_sched_getaffinity, 0, 8, set);
  SYS(sched_getaffinity_9_bytes, SYS_sched_getaffinity, 0, 9, set);
  SYS(sched_getaffinity_bad_pid, SYS_sched_getaffinity, 999999, 128, set);
  SYS(sched_getaffinity_bad_ptr, SYS_sched_getaffinity, 0, 128, (void *)8);
  SYS(sched_yield, SYS_sched_yield);
  stack_t ss = {0}, os;
  ss.ss_flags = 0x7;
  ss.ss_size = 1 << 16;
  ss.ss_sp = b;
  SYS(sigaltstack_bad_flags, SYS_sigaltstack, &ss, NULL);
  ss.ss_flags = 0;
  ss.ss_size = 100;
  SYS(sigaltstack_too_small, SYS_sigaltstack, &ss, NULL);
  ss.ss_flags = SS_DISABLE;
  ss.ss_size = 0;
  SYS(sigaltstack_disable, SYS_sigaltstack, &ss, &os);
  SYS(sigaltstack_query, SYS_sigaltstack, NULL, &os);
  printf("old flags %d\n", os.ss_flags);
  SYS(sigaltstack_bad_ptr, SYS_sigaltstack, (void *)8, NULL);
  uint64_t mask = ~0ULL, got = 0;
  SYS(sigprocmask_block_all, SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, 8);
  SYS(sigprocmask_get, SYS_rt_sigprocmask, SIG_SETMASK, NULL, &got, 8);
  printf("blocked mask %#llx\n", (unsigned long long)got);
  SYS(sigprocmask_bad_size, SYS_rt_sigprocmask, SIG_SETMASK, NULL, &got, 4);
  printf("set_tid_address == gettid: %d\n", syscall(SYS_set_tid_address, NULL) == syscall(SYS_gettid));
  SYS(arch_prctl_get_gs_bad_ptr, SYS_arch_prctl, 0x1004, (void *)8);
  return 0;
}
