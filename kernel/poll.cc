// poll(2) and ppoll(2) over what Ditto models: pipes (fs/pipe.c readiness),
// regular files and devices (always ready), stdio, pidfds. A poll that
// must wait blocks the task like any other syscall; its timeout is a
// deadline on the virtual clock.
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
  return k.attempt_or_block("poll", [attempt, fds]() mutable { return attempt(fds); }, deadline);
}

int64_t sys_poll(Kernel& k, const uint64_t* a) {
  int64_t ms = int32_t(a[2]);
  int64_t deadline = ms < 0 ? -1 : k.monotonic_ns() + ms * 1000000;
  return do_poll(k, a[0], a[1], deadline);
}

int64_t sys_ppoll(Kernel& k, const uint64_t* a) {
  int64_t deadline = -1;
  if (a[2]) {
    int64_t ns;
    if (int64_t r = read_timespec_ns(k, a[2], &ns); r < 0) return r;
    deadline = k.monotonic_ns() + ns;
  }
  if (a[3]) {
    // The temporary mask, as sigsuspend uses it: restored after a handler.
    if (a[4] != 8) return -kEINVAL;
    uint64_t mask;
    if (!k.mm().read(UserPtr(a[3]), mask)) return -kEFAULT;
    k.set_temporary_sigmask(k.current(), mask);
  }
  int64_t r = do_poll(k, a[0], a[1], deadline);
  Task& t = k.current();
  if (r != kBlocked && t.restore_sigmask && !k.has_deliverable(t)) {
    t.sigmask = t.saved_sigmask;  // nothing to deliver: the old mask is back now
    t.restore_sigmask = false;
  }
  return r;
}

}  // namespace

void register_poll_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_poll(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
