// Interval timers on the virtual clocks: alarm, getitimer/setitimer
// (kernel/time/itimer.c) and POSIX timers (kernel/time/posix-timers.c).
// A timer expires at the first scheduling point at or after its deadline;
// the run loop ends a slice at the tick a deadline falls on
// (ticks_to_next_timer), so where a signal lands depends on the deadline alone,
// not on how the run is cut into slices.
#include "kernel/timers.h"

#include <vector>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr int64_t kNsPerSec = 1000000000, kNsPerUsec = 1000;
constexpr int32_t kSI_KERNEL = 0x80, kSI_TIMER = -2;
constexpr int kITIMER_REAL = 0, kITIMER_VIRTUAL = 1, kITIMER_PROF = 2;
constexpr int kTIMER_ABSTIME = 1;

struct Itimerval {
  Timeval it_interval, it_value;
};
struct Itimerspec {
  Timespec it_interval, it_value;
};
struct Sigevent {  // struct sigevent on x86-64 (64 bytes)
  uint64_t value;
  int32_t signo;
  int32_t notify;
  int32_t thread_id;  // SIGEV_THREAD_ID; SIGEV_THREAD's function otherwise
  int32_t pad[11];
};
static_assert(sizeof(Sigevent) == 64);

// An RLIMIT_CPU value in ns: 0 s acts as 1 s (update_rlimit_cpu()).
uint64_t cpu_limit_ns(uint64_t secs) {
  if (secs == 0) return uint64_t(kNsPerSec);
  return secs > uint64_t(INT64_MAX / kNsPerSec) ? ~uint64_t(0) : secs * uint64_t(kNsPerSec);
}

int32_t itimer_id(int which) {
  return which == kITIMER_REAL ? kItimerRealId : which == kITIMER_VIRTUAL ? kItimerVirtualId : kItimerProfId;
}
int itimer_signal(int32_t id) {
  return id == kItimerRealId ? kSIGALRM : id == kItimerVirtualId ? kSIGVTALRM : kSIGPROF;
}

bool valid(const Timeval& tv) { return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000; }
bool valid(const Timespec& ts) { return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < kNsPerSec; }
int64_t saturating_ns(int64_t sec, int64_t sub_ns) {
  return sec > (INT64_MAX - sub_ns) / kNsPerSec ? INT64_MAX / 2 : sec * kNsPerSec + sub_ns;
}
int64_t to_ns(const Timeval& tv) { return saturating_ns(tv.tv_sec, tv.tv_usec * kNsPerUsec); }
int64_t to_ns(const Timespec& ts) { return saturating_ns(ts.tv_sec, ts.tv_nsec); }
Timeval to_timeval(int64_t ns) { return {ns / kNsPerSec, (ns % kNsPerSec) / kNsPerUsec}; }
Timespec to_timespec(int64_t ns) { return {ns / kNsPerSec, ns % kNsPerSec}; }

// The POSIX clocks a timer can count on; EINVAL for unknown ones, and
// EOPNOTSUPP for those that have no timers (the raw and coarse clocks, and
// the alarm clocks, which need an RTC Ditto's machine does not have).
int64_t timer_clock(int64_t clk, TimerClock& out) {
  switch (clk) {
    case kCLOCK_REALTIME: case kCLOCK_TAI: out = TimerClock::kRealtime; return 0;
    case kCLOCK_MONOTONIC: case kCLOCK_BOOTTIME: out = TimerClock::kMonotonic; return 0;
    case kCLOCK_PROCESS_CPUTIME_ID: out = TimerClock::kProcessCpu; return 0;
    case kCLOCK_THREAD_CPUTIME_ID: out = TimerClock::kThreadCpu; return 0;
    case kCLOCK_MONOTONIC_RAW: case kCLOCK_REALTIME_COARSE: case kCLOCK_MONOTONIC_COARSE:
    case kCLOCK_REALTIME_ALARM: case kCLOCK_BOOTTIME_ALARM: return -kENOTSUP;
    default: return -kEINVAL;
  }
}

}  // namespace

int64_t Kernel::timer_now(uint32_t tgid, const IntervalTimer& t) const {
  switch (t.clock) {
    case TimerClock::kMonotonic: return monotonic_ns();
    case TimerClock::kRealtime: return realtime_ns();
    case TimerClock::kProcessCpu: return int64_t(group_ticks(tgid) * cfg_.ns_per_tick);
    case TimerClock::kThreadCpu: {
      auto it = tasks_.find(t.tid);
      return it == tasks_.end() ? 0 : int64_t(task_ticks(*it->second) * cfg_.ns_per_tick);
    }
  }
  return 0;
}

// RLIMIT_CPU (check_process_timers()): at the soft limit SIGXCPU, and the
// soft limit moves up a second for the next one; at the hard limit SIGKILL.
void Kernel::check_cpu_limits() {
  std::vector<std::pair<uint32_t, int>> due;
  for (auto& [tid, t] : tasks_) {
    if (t->tid != t->tgid || t->exit_state != ExitState::kNone) continue;
    Rlimit& lim = t->rlimits[kRLIMIT_CPU];
    if (lim.cur == kRlimInfinity) continue;
    uint64_t used = group_ticks(t->tgid) * cfg_.ns_per_tick;
    if (lim.max != kRlimInfinity && used >= cpu_limit_ns(lim.max)) {
      due.push_back({t->tgid, kSIGKILL});
    } else if (used >= cpu_limit_ns(lim.cur)) {
      ++lim.cur;  // even past the hard limit, as Linux does
      due.push_back({t->tgid, kSIGXCPU});
    }
  }
  for (auto [tgid, sig] : due) send_group_signal(tgid, sig, SigInfo{sig, kSI_KERNEL, 0, 0});
}

void Kernel::run_timers() {
  if (cpu_limits_armed_) check_cpu_limits();
  if (timers_.empty()) return;
  // A signal can end its process, which deletes the process's timers:
  // find the due ones first, then look each up again.
  std::vector<TimerTable::Key> due;
  for (auto& [key, t] : timers_.all())
    if (t.armed() && timer_now(key.first, t) >= t.deadline) due.push_back(key);
  for (auto [tgid, id] : due) {
    IntervalTimer* found = timers_.find(tgid, id);
    if (!found || !found->armed()) continue;
    IntervalTimer& t = *found;
    int64_t now = timer_now(tgid, t);
    int64_t expiries = t.expire(now);
    if (id < 0) {
      // An itimer's signal comes from the kernel; expiries it missed are lost.
      int sig = itimer_signal(id);
      send_group_signal(tgid, sig, SigInfo{sig, kSI_KERNEL, 0, 0});
      continue;
    }
    if (t.notify == kSIGEV_NONE) continue;
    if (t.signal_queued) {
      t.overrun += expiries;  // one signal at a time: the rest are overruns
      continue;
    }
    t.overrun = expiries - 1;
    SigInfo info{t.signo, kSI_TIMER, 0, 0};
    info.timer_id = id;
    info.value = t.value;
    Task* target = t.notify == kSIGEV_THREAD_ID ? task(t.tid) : nullptr;
    if (target && target->run_state != RunState::kExited) send_signal(*target, t.signo, info);
    else send_group_signal(tgid, t.signo, info);
    // An ignored signal is dropped: nothing is queued for the next expiry to wait on.
    t.signal_queued = signal_pending_in_group(tgid, t.signo);
  }
}

void Kernel::timer_signal_delivered(uint32_t tgid, SigInfo& info) {
  IntervalTimer* t = timers_.find(tgid, info.timer_id);
  if (!t) return;
  info.overrun = int32_t(std::min<int64_t>(t->overrun, INT32_MAX));
  t->overrun_last = t->overrun;
  t->overrun = 0;
  t->signal_queued = false;
}

uint64_t Kernel::ticks_to_next_timer(const Task& running) const {
  uint64_t best = kUnlimited;
  const uint64_t per = cfg_.ns_per_tick ? cfg_.ns_per_tick : 1;
  if (cpu_limits_armed_) {
    auto leader = tasks_.find(running.tgid);
    const Rlimit& lim = leader->second->rlimits[kRLIMIT_CPU];
    if (lim.cur != kRlimInfinity) {
      uint64_t limit_ns = std::min(cpu_limit_ns(lim.cur), lim.max == kRlimInfinity ? ~uint64_t(0) : cpu_limit_ns(lim.max));
      uint64_t used = group_ticks(running.tgid) * cfg_.ns_per_tick;
      best = used >= limit_ns ? 0 : (limit_ns - used + per - 1) / per;
    }
  }
  for (const auto& [key, t] : timers_.all()) {
    if (!t.armed()) continue;
    bool counts = t.clock == TimerClock::kMonotonic || t.clock == TimerClock::kRealtime ||
                  (t.clock == TimerClock::kProcessCpu && key.first == running.tgid) ||
                  (t.clock == TimerClock::kThreadCpu && t.tid == running.tid);
    if (!counts) continue;
    int64_t left = t.deadline - timer_now(key.first, t);
    best = std::min(best, left <= 0 ? 0 : (uint64_t(left) + per - 1) / per);
  }
  return best;
}

int64_t Kernel::next_wall_deadline() const {
  int64_t best = -1;
  for (const auto& [key, t] : timers_.all()) {
    if (!t.armed() || (t.clock != TimerClock::kMonotonic && t.clock != TimerClock::kRealtime)) continue;
    // On the monotonic clock: wall time runs alongside it.
    int64_t at = t.clock == TimerClock::kMonotonic ? t.deadline : t.deadline - (realtime_ns() - monotonic_ns());
    if (best < 0 || at < best) best = at;
  }
  return best;
}

namespace {

// What an itimer has left and its interval (kernel/time/itimer.c
// do_getitimer()): a timer due but not yet expired shows one microsecond.
Itimerval itimer_value(Kernel& k, uint32_t tgid, int32_t id) {
  Itimerval v{};
  IntervalTimer* t = k.timers().find(tgid, id);
  if (!t || !t->armed()) return v;
  int64_t left = t->deadline - k.timer_now(tgid, *t);
  v.it_value = to_timeval(left > 0 ? left : kNsPerUsec);
  if (v.it_value.tv_sec == 0 && v.it_value.tv_usec == 0) v.it_value.tv_usec = 1;
  v.it_interval = to_timeval(t->interval);
  return v;
}

void set_itimer(Kernel& k, uint32_t tgid, int32_t id, int64_t value_ns, int64_t interval_ns) {
  IntervalTimer& t = k.timers().itimer(tgid, id);
  t.clock = id == kItimerRealId ? TimerClock::kMonotonic : TimerClock::kProcessCpu;
  t.signo = itimer_signal(id);
  if (value_ns == 0) {
    t.deadline = -1;
    t.interval = 0;
    return;
  }
  t.interval = interval_ns;
  t.deadline = k.timer_now(tgid, t) + value_ns;
}

int64_t sys_getitimer(Kernel& k, const uint64_t* a) {
  int which = int32_t(a[0]);
  if (which < kITIMER_REAL || which > kITIMER_PROF) return -kEINVAL;
  Itimerval v = itimer_value(k, k.current().tgid, itimer_id(which));
  return k.mm().write(UserPtr(a[1]), v) ? 0 : -kEFAULT;
}

int64_t sys_setitimer(Kernel& k, const uint64_t* a) {
  int which = int32_t(a[0]);
  Itimerval nv{};
  // setitimer(which, NULL, ...) disarms, as Linux still allows.
  if (a[1]) {
    if (!k.mm().read(UserPtr(a[1]), nv)) return -kEFAULT;
    if (!valid(nv.it_value) || !valid(nv.it_interval)) return -kEINVAL;
  }
  if (which < kITIMER_REAL || which > kITIMER_PROF) return -kEINVAL;
  uint32_t tgid = k.current().tgid;
  int32_t id = itimer_id(which);
  Itimerval old = itimer_value(k, tgid, id);
  set_itimer(k, tgid, id, to_ns(nv.it_value), to_ns(nv.it_interval));
  if (a[2] && !k.mm().write(UserPtr(a[2]), old)) return -kEFAULT;
  return 0;
}

// alarm(2) is setitimer(ITIMER_REAL) in whole seconds; what was left is
// rounded to the nearest second, and never to 0 while one was pending.
int64_t sys_alarm(Kernel& k, const uint64_t* a) {
  uint32_t tgid = k.current().tgid;
  Itimerval old = itimer_value(k, tgid, kItimerRealId);
  set_itimer(k, tgid, kItimerRealId, int64_t(uint32_t(a[0])) * kNsPerSec, 0);
  int64_t secs = old.it_value.tv_sec;
  if ((secs == 0 && old.it_value.tv_usec) || old.it_value.tv_usec >= 500000) ++secs;
  return secs;
}

int64_t sys_timer_create(Kernel& k, const uint64_t* a) {
  Sigevent ev{};
  bool has_event = a[1] != 0;
  if (has_event && !k.mm().read(UserPtr(a[1]), ev)) return -kEFAULT;
  TimerClock clock;
  if (int64_t r = timer_clock(int32_t(a[0]), clock); r < 0) return r;
  Task& self = k.current();
  IntervalTimer t;
  t.clock = clock;
  t.tid = self.tid;  // the thread whose CPU time a thread clock counts
  int32_t id = k.timers().next_id(self.tgid);
  if (id < 0) return -kEAGAIN;
  if (has_event) {
    switch (ev.notify) {
      case kSIGEV_THREAD_ID: {
        Task* target = ev.thread_id > 0 ? k.task(k.gpid(uint32_t(ev.thread_id))) : nullptr;
        if (!target || target->tgid != self.tgid || target->run_state == RunState::kExited) return -kEINVAL;
        t.tid = target->tid;
        [[fallthrough]];
      }
      case kSIGEV_SIGNAL:
      case kSIGEV_THREAD:
        if (ev.signo <= 0 || ev.signo > kNSIG) return -kEINVAL;
        [[fallthrough]];
      case kSIGEV_NONE: break;
      default: return -kEINVAL;
    }
    t.notify = ev.notify == kSIGEV_THREAD ? kSIGEV_SIGNAL : ev.notify;
    t.signo = ev.signo;
    t.value = ev.value;
  } else {
    t.notify = kSIGEV_SIGNAL;
    t.signo = kSIGALRM;
    t.value = uint64_t(uint32_t(id));  // sival_int is the timer's id
  }
  int32_t out = id;
  if (!k.mm().write(UserPtr(a[2]), out)) return -kEFAULT;
  k.timers().add(self.tgid, id, t);
  return 0;
}

// What a POSIX timer has left (common_timer_get()): an expired one-shot
// timer is zero; one due but not yet expired shows 1 ns.
Itimerspec posix_timer_value(Kernel& k, uint32_t tgid, const IntervalTimer& t) {
  Itimerspec v{};
  v.it_interval = to_timespec(t.interval);
  if (!t.armed()) return v;
  int64_t left = t.deadline - k.timer_now(tgid, t);
  v.it_value = left > 0 ? to_timespec(left) : Timespec{0, 1};
  return v;
}

int64_t sys_timer_settime(Kernel& k, const uint64_t* a) {
  if (!a[2]) return -kEINVAL;
  Itimerspec nv;
  if (!k.mm().read(UserPtr(a[2]), nv)) return -kEFAULT;
  if (!valid(nv.it_interval) || !valid(nv.it_value)) return -kEINVAL;
  uint32_t tgid = k.current().tgid;
  IntervalTimer* t = k.timers().find(tgid, int32_t(a[0]));
  if (!t || int64_t(a[0]) < 0 || a[0] > uint64_t(INT32_MAX)) return -kEINVAL;
  Itimerspec old = posix_timer_value(k, tgid, *t);
  t->overrun_last = 0;  // common_timer_set()
  int64_t value = to_ns(nv.it_value);
  if (value == 0) {
    t->deadline = -1;
    t->interval = 0;
  } else {
    t->interval = to_ns(nv.it_interval);
    t->deadline = (int32_t(a[1]) & kTIMER_ABSTIME) ? value : k.timer_now(tgid, *t) + value;
  }
  if (a[3] && !k.mm().write(UserPtr(a[3]), old)) return -kEFAULT;
  return 0;
}

int64_t sys_timer_gettime(Kernel& k, const uint64_t* a) {
  uint32_t tgid = k.current().tgid;
  IntervalTimer* t = a[0] <= uint64_t(INT32_MAX) ? k.timers().find(tgid, int32_t(a[0])) : nullptr;
  if (!t) return -kEINVAL;
  return k.mm().write(UserPtr(a[1]), posix_timer_value(k, tgid, *t)) ? 0 : -kEFAULT;
}

int64_t sys_timer_getoverrun(Kernel& k, const uint64_t* a) {
  IntervalTimer* t = a[0] <= uint64_t(INT32_MAX) ? k.timers().find(k.current().tgid, int32_t(a[0])) : nullptr;
  if (!t) return -kEINVAL;
  return std::min<int64_t>(t->overrun_last, INT32_MAX);
}

int64_t sys_timer_delete(Kernel& k, const uint64_t* a) {
  if (a[0] > uint64_t(INT32_MAX) || !k.timers().remove(k.current().tgid, int32_t(a[0]))) return -kEINVAL;
  return 0;
}

}  // namespace

void register_timer_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_timers(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
