// Interval timers of thread groups: setitimer/alarm's three itimers and
// POSIX timers (timer_create), all on Ditto's virtual clocks. Expiry is the
// kernel's (Kernel::run_timers); this is the table and its arithmetic.
#pragma once

#include <cstdint>
#include <climits>
#include <map>
#include <utility>

namespace kernel {

// The clock a timer counts: wall or monotonic time, or CPU time of its
// thread group or of one thread.
enum class TimerClock : uint8_t { kMonotonic, kRealtime, kProcessCpu, kThreadCpu };

// Ids of the itimers in a group's table; POSIX timer ids are 0 and up.
constexpr int32_t kItimerRealId = -1, kItimerVirtualId = -2, kItimerProfId = -3;

// struct sigevent's sigev_notify values.
constexpr int kSIGEV_SIGNAL = 0, kSIGEV_NONE = 1, kSIGEV_THREAD = 2, kSIGEV_THREAD_ID = 4;

struct IntervalTimer {
  TimerClock clock = TimerClock::kMonotonic;
  int64_t deadline = -1;  // on `clock`, in ns; -1 while disarmed
  int64_t interval = 0;   // ns between expiries; 0: one shot
  int notify = kSIGEV_SIGNAL;
  int signo = 0;
  uint64_t value = 0;  // sigev_value, handed to the handler as si_value
  uint32_t tid = 0;    // SIGEV_THREAD_ID's thread, or the thread whose CPU clock it counts
  // Expiries while its signal was still pending (they queue no second
  // signal), and what timer_getoverrun() reports: the count at the last
  // delivery.
  int64_t overrun = 0, overrun_last = 0;
  bool signal_queued = false;

  bool armed() const { return deadline >= 0; }
  // Moves an expired timer to its next deadline after `now`; returns how
  // many expiries that covers (one shot: disarmed, 1).
  int64_t expire(int64_t now) {
    if (interval <= 0) {
      deadline = -1;
      return 1;
    }
    int64_t missed = (now - deadline) / interval;
    deadline += (missed + 1) * interval;
    return missed + 1;
  }
};

// Every timer of every thread group, keyed by (tgid, id): iteration order
// is deterministic.
class TimerTable {
 public:
  using Key = std::pair<uint32_t, int32_t>;
  IntervalTimer* find(uint32_t tgid, int32_t id) {
    auto it = timers_.find({tgid, id});
    return it == timers_.end() ? nullptr : &it->second;
  }
  IntervalTimer& itimer(uint32_t tgid, int32_t id) { return timers_[{tgid, id}]; }
  // The next POSIX timer id of a group: ids count up from 0 and are not
  // reused until they wrap (kernel/time/posix-timers.c posix_timer_add()).
  int32_t next_id(uint32_t tgid) {
    int32_t& next = next_ids_[tgid];
    for (int32_t tries = 0; tries < 1 << 20; ++tries) {
      int32_t id = next;
      next = next == INT32_MAX ? 0 : next + 1;
      if (!find(tgid, id)) return id;
    }
    return -1;
  }
  IntervalTimer& add(uint32_t tgid, int32_t id, IntervalTimer t) { return timers_[{tgid, id}] = t; }
  bool remove(uint32_t tgid, int32_t id) { return timers_.erase({tgid, id}) != 0; }
  // execve: POSIX timers go, the itimers stay (execve(2)).
  void remove_posix(uint32_t tgid) { timers_.erase(timers_.lower_bound({tgid, 0}), timers_.lower_bound({tgid + 1, INT32_MIN})); }
  // The group exited: everything goes.
  void remove_group(uint32_t tgid) {
    next_ids_.erase(tgid);
    timers_.erase(timers_.lower_bound({tgid, INT32_MIN}), timers_.lower_bound({tgid + 1, INT32_MIN}));
  }
  std::map<Key, IntervalTimer>& all() { return timers_; }
  const std::map<Key, IntervalTimer>& all() const { return timers_; }
  bool empty() const { return timers_.empty(); }

 private:
  std::map<Key, IntervalTimer> timers_;
  std::map<uint32_t, int32_t> next_ids_;
};

}  // namespace kernel
