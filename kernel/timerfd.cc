// timerfd (fs/timerfd.c) on Ditto's virtual clocks: a timer whose
// expirations are counted as the clock passes them and read as a 64-bit
// count. It is ready (and wakes a blocked read, poll or epoll) at its
// deadline, on the monotonic clock that virtual time runs on.
#include <cstdio>
#include <cstring>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr int64_t kNsPerSec = 1000000000;
constexpr uint32_t kTFD_TIMER_ABSTIME = 1, kTFD_TIMER_CANCEL_ON_SET = 2;
constexpr uint32_t kPOLLIN = 1, kPOLLRDNORM = 0x40;

struct Itimerspec {
  Timespec interval, value;
};

class TimerFd : public AnonFile {
 public:
  TimerFd(InodeRef inode, int clock, uint32_t flags) : AnonFile(std::move(inode), flags), clock_(clock) {}
  int64_t read(Kernel& k, char* buf, size_t n) override {
    if (n < 8) return -kEINVAL;
    expire(k);
    if (ticks_ == 0) return (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
    std::memcpy(buf, &ticks_, 8);
    ticks_ = 0;
    return 8;
  }
  int64_t write(Kernel&, const char*, size_t) override { return -kEINVAL; }
  bool pollable() const override { return true; }
  uint32_t poll_events(Kernel& k) const override {
    return ticks_ || (deadline_ && now(k) >= deadline_) ? kPOLLIN | kPOLLRDNORM : 0;
  }
  // Each expiration wakes the file's waiters.
  uint64_t wake_count(const Kernel&) const override { return expirations_; }
  int64_t next_ready_ns(Kernel& k) const override {
    if (ticks_) return k.monotonic_ns();
    if (!deadline_) return -1;
    return clock_ == kCLOCK_REALTIME ? deadline_ - (k.realtime_ns() - k.monotonic_ns()) : deadline_;
  }

  // The expirations the clock has passed by `t` (hrtimer_forward_now()),
  // moving `deadline` to the next one (0: disarmed).
  uint64_t passed(int64_t t, int64_t& deadline) const {
    if (!deadline || t < deadline) return 0;
    uint64_t n = interval_ ? 1 + uint64_t((t - deadline) / interval_) : 1;
    deadline = interval_ ? deadline + int64_t(n) * interval_ : 0;
    return n;
  }
  void expire(Kernel& k) {
    uint64_t n = passed(now(k), deadline_);
    ticks_ += n;
    expirations_ += n;
  }
  // The time left and the interval (timerfd_gettime()).
  Itimerspec current(Kernel& k) {
    expire(k);
    Itimerspec v{};
    v.interval = {interval_ / kNsPerSec, interval_ % kNsPerSec};
    if (deadline_) {
      int64_t left = deadline_ - now(k);
      v.value = {left / kNsPerSec, left % kNsPerSec};
    }
    return v;
  }
  // fs/timerfd.c timerfd_show(): the clock, expirations not read, the
  // settime flags, the time left and the interval, as the timer stands now.
  std::string fdinfo(Kernel& k) const override {
    int64_t deadline = deadline_, t = now(k);
    uint64_t ticks = ticks_ + passed(t, deadline);
    int64_t left = deadline ? deadline - t : 0;
    char s[256];
    std::snprintf(s, sizeof s,
                  "clockid: %d\nticks: %llu\nsettime flags: 0%o\nit_value: (%lld, %lld)\nit_interval: (%lld, %lld)\n",
                  clock_, static_cast<unsigned long long>(ticks), settime_flags_,
                  static_cast<long long>(left / kNsPerSec), static_cast<long long>(left % kNsPerSec),
                  static_cast<long long>(interval_ / kNsPerSec), static_cast<long long>(interval_ % kNsPerSec));
    return s;
  }
  void set_settime_flags(uint32_t f) { settime_flags_ = f; }
  void arm(Kernel& k, int64_t value_ns, int64_t interval_ns, bool absolute) {
    ticks_ = 0;
    interval_ = interval_ns;
    if (value_ns == 0) {
      deadline_ = 0;
      return;
    }
    deadline_ = absolute ? value_ns : now(k) + value_ns;
    if (deadline_ <= 0) deadline_ = 1;  // an absolute time in the past expires at once
  }

 private:
  int64_t now(Kernel& k) const { return clock_ == kCLOCK_REALTIME ? k.realtime_ns() : k.monotonic_ns(); }
  int clock_;
  int64_t deadline_ = 0;  // on the timer's clock; 0: disarmed
  int64_t interval_ = 0;
  uint64_t ticks_ = 0;        // expirations not read yet
  uint64_t expirations_ = 0;  // ever
  uint32_t settime_flags_ = 0;  // of the last timerfd_settime
};

int64_t sys_timerfd_create(Kernel& k, const uint64_t* a) {
  int clock = int(a[0]);
  uint32_t flags = uint32_t(a[1]);
  if (flags & ~(uint32_t(kO_CLOEXEC) | kO_NONBLOCK)) return -kEINVAL;
  if (clock == kCLOCK_REALTIME_ALARM || clock == kCLOCK_BOOTTIME_ALARM)
    return k.unsupported(283, "timerfd_create on an alarm clock");
  if (clock != kCLOCK_REALTIME && clock != kCLOCK_MONOTONIC && clock != kCLOCK_BOOTTIME) return -kEINVAL;
  auto f = std::make_shared<TimerFd>(k.vfs().make_anon_node(InodeKind::kFifo, 0600), clock,
                                     kO_RDWR | (flags & kO_NONBLOCK));
  f->path = "anon_inode:[timerfd]";
  return k.current().fds->alloc(f, flags & kO_CLOEXEC);
}

// The descriptor as a timerfd: EBADF for none, EINVAL for another file.
int64_t timerfd_of(Kernel& k, uint64_t fd, std::shared_ptr<TimerFd>& out) {
  auto f = get_file(k, fd);
  if (!f) return -kEBADF;
  out = std::dynamic_pointer_cast<TimerFd>(f);
  return out ? 0 : -kEINVAL;
}

bool valid(const Timespec& t) { return t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < kNsPerSec; }
int64_t ns_of(const Timespec& t) {
  constexpr int64_t kForever = INT64_MAX / 4;
  return t.tv_sec >= kForever / kNsPerSec ? kForever : t.tv_sec * kNsPerSec + t.tv_nsec;
}

int64_t sys_timerfd_settime(Kernel& k, const uint64_t* a) {
  uint32_t flags = uint32_t(a[1]);
  Itimerspec nv;
  if (!k.mm().copy_in(UserPtr(a[2]), &nv, sizeof nv)) return -kEFAULT;
  if (!valid(nv.value) || !valid(nv.interval)) return -kEINVAL;
  if (flags & ~(kTFD_TIMER_ABSTIME | kTFD_TIMER_CANCEL_ON_SET)) return -kEINVAL;
  std::shared_ptr<TimerFd> t;
  if (int64_t r = timerfd_of(k, a[0], t); r < 0) return r;
  Itimerspec old = t->current(k);
  t->arm(k, ns_of(nv.value), ns_of(nv.interval), flags & kTFD_TIMER_ABSTIME);
  t->set_settime_flags(flags);
  if (a[3] && !k.mm().copy_out(UserPtr(a[3]), &old, sizeof old)) return -kEFAULT;
  return 0;
}

int64_t sys_timerfd_gettime(Kernel& k, const uint64_t* a) {
  std::shared_ptr<TimerFd> t;
  if (int64_t r = timerfd_of(k, a[0], t); r < 0) return r;
  Itimerspec v = t->current(k);
  return k.mm().copy_out(UserPtr(a[1]), &v, sizeof v) ? 0 : -kEFAULT;
}

}  // namespace

void register_timerfd_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_timerfd(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
