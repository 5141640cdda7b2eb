// poll(2), ppoll(2), select(2) and pselect6(2) over what Ditto models:
// pipes (fs/pipe.c readiness), regular files and devices (always ready),
// stdio, pidfds, eventfds, timerfds, epoll files. A poll that must wait
// blocks the task like any other syscall; its timeout is a deadline on the
// virtual clock, and a timer among its files wakes it too.
#include <algorithm>
#include <vector>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

struct PollFd {
  int32_t fd;
  int16_t events, revents;
};
constexpr int16_t kPOLLNVAL = 0x20, kPOLLERR = 8, kPOLLHUP = 16;

// The earlier of two wake-up times, -1 meaning never.
int64_t earlier(int64_t a, int64_t b) { return a < 0 ? b : b < 0 ? a : std::min(a, b); }

// One pass: fills revents; returns how many fds are ready.
int64_t poll_once(Kernel& k, std::vector<PollFd>& fds) {
  int64_t ready = 0;
  for (PollFd& p : fds) {
    p.revents = 0;
    if (p.fd < 0) continue;
    auto f = k.current().fds->get(p.fd);
    if (!f) {
      p.revents = kPOLLNVAL;
    } else {
      // POLLERR and POLLHUP are reported whether asked for or not.
      uint32_t ev = f->poll_events(k);
      p.revents = int16_t(ev & (uint32_t(uint16_t(p.events)) | kPOLLERR | kPOLLHUP));
    }
    if (p.revents) ++ready;
  }
  return ready;
}

int64_t do_poll(Kernel& k, uint64_t fds_ptr, uint64_t nfds, int64_t deadline) {
  if (nfds > uint64_t(k.current().fds->max_fds())) return -kEINVAL;  // RLIMIT_NOFILE
  std::vector<PollFd> fds(nfds);
  if (nfds && !k.mm().copy_in(UserPtr(fds_ptr), fds.data(), nfds * sizeof(PollFd))) return -kEFAULT;
  auto attempt = [&k, fds_ptr, deadline](std::vector<PollFd>& v) -> int64_t {
    int64_t n = poll_once(k, v);
    if (n == 0 && (deadline < 0 || k.monotonic_ns() < deadline)) return kBlocked;
    if (!v.empty() && !k.mm().copy_out(UserPtr(fds_ptr), v.data(), v.size() * sizeof(PollFd))) return -kEFAULT;
    return n;
  };
  int64_t wake = deadline;
  for (const PollFd& p : fds)
    if (auto f = p.fd < 0 ? nullptr : k.current().fds->get(p.fd)) wake = earlier(wake, f->next_ready_ns(k));
  return k.attempt_or_block("poll", [attempt, fds]() mutable { return attempt(fds); }, wake);
}

// select(2)'s descriptor limit: Linux clips nfds to the size of the
// descriptor table it has allocated (64, then 128, 256, ...), so bits past
// it are ignored rather than EBADF.
int select_limit(const FdTable& t) {
  size_t m = 64;
  while (m < t.entries().size()) m = m == 64 ? 128 : m * 2;
  return int(m);
}

// select(2) and pselect6(2) (fs/select.c core_sys_select(), do_select()):
// `deadline` monotonic (-1 none); the time left is written back to
// `timeout_ptr` as a timeval or a timespec, as Linux does.
int64_t do_select(Kernel& k, int64_t nfds, uint64_t rp, uint64_t wp, uint64_t ep, int64_t deadline,
                  uint64_t timeout_ptr, bool timespec) {
  if (nfds < 0) return -kEINVAL;
  int n = int(std::min<int64_t>(nfds, select_limit(*k.current().fds)));
  size_t words = (size_t(n) + 63) / 64;
  std::vector<uint64_t> in[3];
  uint64_t ptrs[3] = {rp, wp, ep};
  for (int s = 0; s < 3; ++s) {
    in[s].assign(words, 0);
    if (ptrs[s] && words && !k.mm().copy_in(UserPtr(ptrs[s]), in[s].data(), words * 8)) return -kEFAULT;
    // Bits past n in the last word are not looked at.
    if (n % 64 && words) in[s][words - 1] &= (uint64_t(1) << (n % 64)) - 1;
  }
  constexpr uint32_t kPOLLIN_SET = 0x1 | 0x40 | 0x80 | 0x10 | 0x8;  // IN RDNORM RDBAND HUP ERR
  constexpr uint32_t kPOLLOUT_SET = 0x4 | 0x100 | 0x200 | 0x8;      // OUT WRNORM WRBAND ERR
  constexpr uint32_t kPOLLEX_SET = 0x2;                              // PRI
  constexpr uint32_t kSets[3] = {kPOLLIN_SET, kPOLLOUT_SET, kPOLLEX_SET};
  int64_t wake = deadline;
  for (int fd = 0; fd < n; ++fd) {
    bool asked = false;
    for (int s = 0; s < 3; ++s) asked |= (in[s][size_t(fd) / 64] >> (fd % 64)) & 1;
    if (!asked) continue;
    auto f = k.current().fds->get(fd);
    if (!f) return -kEBADF;
    wake = earlier(wake, f->next_ready_ns(k));
  }
  auto attempt = [&k, in0 = in[0], in1 = in[1], in2 = in[2], n, ptrs0 = ptrs[0], ptrs1 = ptrs[1],
                  ptrs2 = ptrs[2], deadline, timeout_ptr, timespec, kSets]() -> int64_t {
    const std::vector<uint64_t>* want[3] = {&in0, &in1, &in2};
    uint64_t where[3] = {ptrs0, ptrs1, ptrs2};
    std::vector<uint64_t> out[3];
    int64_t count = 0;
    for (int s = 0; s < 3; ++s) out[s].assign(want[s]->size(), 0);
    for (int fd = 0; fd < n; ++fd) {
      size_t w = size_t(fd) / 64;
      uint64_t bit = uint64_t(1) << (fd % 64);
      if (!(((*want[0])[w] | (*want[1])[w] | (*want[2])[w]) & bit)) continue;
      auto f = k.current().fds->get(fd);
      if (!f) return -kEBADF;
      uint32_t ev = f->poll_events(k);
      for (int s = 0; s < 3; ++s)
        if (((*want[s])[w] & bit) && (ev & kSets[s])) {
          out[s][w] |= bit;
          ++count;
        }
    }
    int64_t now = k.monotonic_ns();
    if (count == 0 && (deadline < 0 || now < deadline)) return kBlocked;
    for (int s = 0; s < 3; ++s)
      if (where[s] && !out[s].empty() && !k.mm().copy_out(UserPtr(where[s]), out[s].data(), out[s].size() * 8))
        return -kEFAULT;
    if (timeout_ptr && deadline >= 0) {
      // The time left; a read-only timeout is left alone, silently.
      int64_t left = std::max<int64_t>(0, deadline - now);
      int64_t t[2] = {left / 1000000000, timespec ? left % 1000000000 : left % 1000000000 / 1000};
      k.mm().copy_out(UserPtr(timeout_ptr), t, sizeof t);
    }
    return count;
  };
  return k.attempt_or_block("select", attempt, wake);
}

int64_t sys_select(Kernel& k, const uint64_t* a) {
  int64_t deadline = -1;
  if (a[4]) {
    int64_t tv[2];
    if (!k.mm().copy_in(UserPtr(a[4]), tv, sizeof tv)) return -kEFAULT;
    if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000) return -kEINVAL;
    // Microseconds round up to whole nanoseconds (a timeval is exact).
    int64_t ns = tv[0] >= INT64_MAX / 4000000000 ? INT64_MAX / 4 : tv[0] * 1000000000 + tv[1] * 1000;
    deadline = k.monotonic_ns() + ns;
  }
  return do_select(k, int64_t(int32_t(a[0])), a[1], a[2], a[3], deadline, a[4], false);
}

int64_t sys_pselect6(Kernel& k, const uint64_t* a) {
  int64_t deadline;
  if (int64_t r = timespec_deadline(k, a[4], &deadline); r < 0) return r;
  uint64_t sig[2] = {0, 0};  // { const sigset_t *ss; size_t ss_len; }
  if (a[5] && !k.mm().copy_in(UserPtr(a[5]), sig, sizeof sig)) return -kEFAULT;
  return with_temporary_sigmask(
      k, sig[0], sig[1], [&] { return do_select(k, int64_t(int32_t(a[0])), a[1], a[2], a[3], deadline, a[4], true); });
}

int64_t sys_poll(Kernel& k, const uint64_t* a) {
  int64_t ms = int32_t(a[2]);
  int64_t deadline = ms < 0 ? -1 : k.monotonic_ns() + ms * 1000000;
  return do_poll(k, a[0], a[1], deadline);
}

int64_t sys_ppoll(Kernel& k, const uint64_t* a) {
  int64_t deadline;
  if (int64_t r = timespec_deadline(k, a[2], &deadline); r < 0) return r;
  return with_temporary_sigmask(k, a[3], a[4], [&] { return do_poll(k, a[0], a[1], deadline); });
}

}  // namespace

void register_poll_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_poll(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
