// Time syscalls, all on the virtual clock (kernel.h: ticks, never host time).
// A sleeping task blocks; when no task can run, virtual time jumps to the
// next deadline, so sleeping never waits in host time.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr int64_t kNsPerSec = 1000000000;
constexpr int64_t kTaiOffsetNs = 37 * kNsPerSec;  // TAI - UTC since 2017
constexpr int64_t kCoarseResNs = 4000000;         // one jiffy at HZ=250

// The clock's current value, or -EINVAL for an unknown clock.
int64_t clock_now(Kernel& k, int64_t clk) {
  switch (clk) {
    case kCLOCK_REALTIME:
    case kCLOCK_REALTIME_COARSE: return k.realtime_ns();
    // The alarm clocks need an RTC that can wake the machine, and Ditto's
    // machine has none: EINVAL, as Linux without one answers
    // (kernel/time/alarmtimer.c alarm_clock_get_timespec(); clock_nanosleep
    // on them is EOPNOTSUPP, below).
    case kCLOCK_REALTIME_ALARM:
    case kCLOCK_BOOTTIME_ALARM: return -kEINVAL;
    case kCLOCK_TAI: return k.realtime_ns() + kTaiOffsetNs;
    case kCLOCK_MONOTONIC:
    case kCLOCK_MONOTONIC_RAW:
    case kCLOCK_MONOTONIC_COARSE:
    case kCLOCK_BOOTTIME: return k.monotonic_ns();
    case kCLOCK_PROCESS_CPUTIME_ID: return int64_t(k.group_ticks(k.current().tgid) * k.config().ns_per_tick);
    case kCLOCK_THREAD_CPUTIME_ID: return int64_t(k.task_ticks(k.current()) * k.config().ns_per_tick);
    default: return -kEINVAL;
  }
}

Timespec to_timespec(int64_t ns) { return {ns / kNsPerSec, ns % kNsPerSec}; }

int64_t sys_clock_gettime(Kernel& k, const uint64_t* a) {
  int64_t now = clock_now(k, int32_t(a[0]));
  if (now < 0) return now;
  return k.mm().write(UserPtr(a[1]), to_timespec(now)) ? 0 : -kEFAULT;
}

int64_t sys_clock_getres(Kernel& k, const uint64_t* a) {
  int64_t clk = int32_t(a[0]);
  if (clock_now(k, clk) < 0) return -kEINVAL;
  if (!a[1]) return 0;
  bool coarse = clk == kCLOCK_REALTIME_COARSE || clk == kCLOCK_MONOTONIC_COARSE;
  Timespec res{0, coarse ? kCoarseResNs : 1};
  return k.mm().write(UserPtr(a[1]), res) ? 0 : -kEFAULT;
}

int64_t sys_gettimeofday(Kernel& k, const uint64_t* a) {
  int64_t now = k.realtime_ns();
  if (a[0]) {
    Timeval tv{now / kNsPerSec, (now % kNsPerSec) / 1000};
    if (!k.mm().write(UserPtr(a[0]), tv)) return -kEFAULT;
  }
  if (a[1]) {
    int32_t tz[2] = {0, 0};  // UTC, no DST
    if (!k.mm().copy_out(UserPtr(a[1]), tz, sizeof tz)) return -kEFAULT;
  }
  return 0;
}

int64_t sys_time(Kernel& k, const uint64_t* a) {
  int64_t sec = k.realtime_ns() / kNsPerSec;
  if (a[0] && !k.mm().write(UserPtr(a[0]), sec)) return -kEFAULT;
  return sec;
}

// Blocks until the monotonic clock reaches `deadline`; when every task is
// blocked, the scheduler moves virtual time to the earliest deadline. A
// signal that interrupts it writes the time left to `rem` (when not null),
// as kernel/time/hrtimer.c nanosleep_copyout() does: EINTR, or EFAULT when
// `rem` cannot be written.
int64_t sleep_until(Kernel& k, int64_t deadline, uint64_t rem = 0) {
  int64_t r = k.attempt_or_block("nanosleep", [&k, deadline] { return k.monotonic_ns() >= deadline ? 0 : kBlocked; },
                                 deadline);
  if (r == kBlocked && rem) {
    k.current().blocked.interrupted = [&k, deadline, rem]() -> int64_t {
      int64_t left = std::max<int64_t>(0, deadline - k.monotonic_ns());
      Timespec ts{left / kNsPerSec, left % kNsPerSec};
      return k.mm().write(UserPtr(rem), ts) ? -kEINTR : -kEFAULT;
    };
  }
  return r;
}

int64_t sleep_for(Kernel& k, int64_t ns, uint64_t rem = 0) {
  int64_t now = k.monotonic_ns();
  return sleep_until(k, ns > INT64_MAX / 2 - now ? INT64_MAX / 2 : now + ns, rem);
}

int64_t sys_nanosleep(Kernel& k, const uint64_t* a) {
  int64_t ns;
  if (int64_t r = read_timespec_ns(k, a[0], &ns); r < 0) return r;
  return sleep_for(k, ns, a[1]);
}

int64_t sys_clock_nanosleep(Kernel& k, const uint64_t* a) {
  int64_t clk = int32_t(a[0]);
  uint64_t flags = a[1];
  // kernel/time/posix-cpu-timers.c: the thread CPU clock cannot be slept on
  // (EOPNOTSUPP from the raw syscall; glibc's wrapper turns it into EINVAL).
  if (clk == kCLOCK_THREAD_CPUTIME_ID) return -kENOTSUP;
  if (clk == kCLOCK_REALTIME_ALARM || clk == kCLOCK_BOOTTIME_ALARM) return -kENOTSUP;
  if (clk != kCLOCK_REALTIME && clk != kCLOCK_MONOTONIC && clk != kCLOCK_BOOTTIME &&
      clk != kCLOCK_TAI && clk != kCLOCK_PROCESS_CPUTIME_ID)
    return clock_now(k, clk) < 0 ? -kEINVAL : -kENOTSUP;
  int64_t ns;
  if (int64_t r = read_timespec_ns(k, a[2], &ns); r < 0) return r;
  if (flags & kTIMER_ABSTIME) {
    int64_t now = clock_now(k, clk);
    if (ns <= now) return 0;
    return sleep_until(k, k.monotonic_ns() + (ns - now));  // an absolute sleep leaves nothing to resume
  }
  return sleep_for(k, ns, a[3]);
}

// struct rusage: utime and stime timevals, then 14 longs. All CPU time is
// user time in Ditto (the kernel model runs outside the guest's clock).
struct Rusage {
  Timeval utime, stime;
  int64_t rest[14];
};

Rusage rusage_of(Kernel& k, uint64_t ticks, uint64_t maxrss_kb) {
  Rusage r{};
  int64_t ns = int64_t(ticks * k.config().ns_per_tick);
  r.utime = {ns / kNsPerSec, (ns % kNsPerSec) / 1000};
  r.rest[0] = int64_t(maxrss_kb);  // ru_maxrss
  return r;
}

int64_t sys_getrusage(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  Task& leader = *k.task(t.tgid);
  uint64_t rss = t.mm ? t.mm->mapped_bytes() / 1024 : 0;
  Rusage r;
  switch (int(a[0])) {
    case 0: r = rusage_of(k, k.group_ticks(t.tgid), rss); break;    // RUSAGE_SELF
    case -1: r = rusage_of(k, leader.child_ticks, 0); break;         // RUSAGE_CHILDREN
    case 1: r = rusage_of(k, k.task_ticks(t), rss); break;            // RUSAGE_THREAD
    default: return -kEINVAL;
  }
  return k.mm().write(UserPtr(a[1]), r) ? 0 : -kEFAULT;
}

// times(2): clock ticks at USER_HZ = 100; returns ticks since boot.
int64_t sys_times(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  constexpr int64_t kNsPerClockTick = kNsPerSec / 100;
  if (a[0]) {
    int64_t tms[4] = {int64_t(k.group_ticks(t.tgid) * k.config().ns_per_tick) / kNsPerClockTick, 0,
                      int64_t(k.task(t.tgid)->child_ticks * k.config().ns_per_tick) / kNsPerClockTick, 0};
    if (!k.mm().copy_out(UserPtr(a[0]), tms, sizeof tms)) return -kEFAULT;
  }
  return k.monotonic_ns() / kNsPerClockTick;
}

}  // namespace

void register_time_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_time(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
