// wait4 and waitid (kernel/exit.c do_wait()): which children a wait
// sees, status words and siginfo, stops and continues, WNOWAIT.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

// Status words as the kernel encodes them (wait(2), WIFEXITED & co.).
int32_t wait_status(const Task& t) {
  if (t.exit_signal) return t.exit_signal | (t.core_dumped ? 0x80 : 0);
  return (t.exit_code & 0xff) << 8;
}

constexpr uint64_t kWNOHANG = 1, kWUNTRACED = 2, kWCONTINUED = 8, kWNOTHREAD = 0x20000000,
                   kWALL = 0x40000000, kWCLONE = 0x80000000ULL;

constexpr uint64_t kWEXITED = 4, kWNOWAIT = 0x01000000;
static_assert(kWUNTRACED == 2);  // waitid's WSTOPPED is the same bit

// What a wait found: the child, and which of its state changes.
enum class WaitEvent { kExited, kStopped, kContinued };

// The first waitable child (tid order, i.e. creation order, like Linux's
// children list): its tid, 0 when some match but none is ready, -ECHILD when
// none match. `pid` uses wait4's encoding (-1 any, 0 own group, <-1 group).
int64_t find_waitable(Kernel& k, int64_t pid, uint64_t options, WaitEvent* ev) {
  Task& self = *k.task(k.current().tgid);  // children belong to the thread group
  uint32_t me = k.current().tid;
  std::vector<uint32_t> candidates;
  for (uint32_t c : self.children) {
    Task* t = k.task(c);
    if (!t) continue;
    if ((options & kWNOTHREAD) && t->parent_thread != me) continue;
    bool clone_child = t->exit_signal_to_parent != kSIGCHLD;
    if (!(options & kWALL) && clone_child != bool(options & kWCLONE)) continue;
    if (pid > 0 && t->tgid != k.gpid(uint32_t(pid))) continue;
    if (pid == 0 && t->pgid != self.pgid) continue;
    if (pid < -1 && t->pgid != k.gpid(uint32_t(-pid))) continue;
    candidates.push_back(c);
  }
  if (candidates.empty()) return -kECHILD;
  // Linux's order (kernel/exit.c:do_wait()): the caller's own children,
  // then those of the group's next threads in turn, each list in the order
  // the children came (forked, or reparented to us).
  std::vector<uint32_t> threads{me};
  for (auto& [tid, o] : k.tasks())
    if (o->tgid == self.tgid && tid > me) threads.push_back(tid);
  for (auto& [tid, o] : k.tasks())
    if (o->tgid == self.tgid && tid < me) threads.push_back(tid);
  auto rank = [&](uint32_t c) {
    return std::find(threads.begin(), threads.end(), k.task(c)->parent_thread) - threads.begin();
  };
  std::stable_sort(candidates.begin(), candidates.end(), [&](uint32_t a, uint32_t b) { return rank(a) < rank(b); });
  for (uint32_t c : candidates) {
    Task& t = *k.task(c);
    if (t.tid == t.tgid && t.run_state != RunState::kExited) {
      if ((options & kWUNTRACED) && t.group_stopped && t.stop_report_pending) {
        *ev = WaitEvent::kStopped;
        return c;
      }
      if ((options & kWCONTINUED) && t.continue_report_pending) {
        *ev = WaitEvent::kContinued;
        return c;
      }
    }
    if (!(options & kWEXITED) || t.exit_state != ExitState::kZombie || t.tid != t.tgid) continue;
    // A zombie leader is not waitable while its other threads run
    // (kernel/exit.c:delay_group_leader()).
    if (k.live_threads(t.tgid) == 0) {
      *ev = WaitEvent::kExited;
      return c;
    }
  }
  return 0;
}

// Consumes what a wait reported (unless WNOWAIT).
void consume(Kernel& k, uint32_t child, WaitEvent ev) {
  Task& t = *k.task(child);
  if (ev == WaitEvent::kStopped) t.stop_report_pending = false;
  else if (ev == WaitEvent::kContinued) t.continue_report_pending = false;
  else {
    k.advance_exit_state(t, ExitState::kZombie, ExitState::kDead);
    Task& parent = *k.task(k.current().tgid);
    parent.child_ticks += k.group_ticks(t.tgid) + t.child_ticks;
    std::erase(parent.children, child);
  }
}

// The rusage a wait reports: the child's CPU time (its threads and its own
// reaped children: getrusage(RUSAGE_BOTH) of the child).
bool write_child_rusage(Kernel& k, const Task& t, uint64_t rusage_ptr) {
  uint64_t ns = (k.group_ticks(t.tgid) + t.child_ticks) * k.config().ns_per_tick;
  uint64_t ru[18] = {ns / 1000000000, (ns % 1000000000) / 1000};
  return k.mm().copy_out(UserPtr(rusage_ptr), ru, sizeof ru);
}

int64_t do_wait4(Kernel& k, int64_t pid, uint64_t status_ptr, uint64_t options, uint64_t rusage_ptr) {
  WaitEvent ev;
  int64_t c = find_waitable(k, pid, options | kWEXITED, &ev);
  if (c < 0) return c;
  if (c == 0) return (options & kWNOHANG) ? 0 : kBlocked;
  Task& t = *k.task(uint32_t(c));
  // wait(2) status words: stopped (sig << 8 | 0x7f), continued 0xffff.
  int32_t st = ev == WaitEvent::kStopped ? (t.stop_signal << 8) | 0x7f
               : ev == WaitEvent::kContinued ? 0xffff : wait_status(t);
  if (status_ptr && !k.mm().write(UserPtr(status_ptr), st)) return -kEFAULT;
  if (rusage_ptr && !write_child_rusage(k, t, rusage_ptr)) return -kEFAULT;
  consume(k, uint32_t(c), ev);
  return k.vpid(uint32_t(c));
}

int64_t sys_wait4(Kernel& k, const uint64_t* a) {
  int64_t pid = int32_t(a[0]);
  uint64_t options = a[2] & 0xffffffffu;
  if (options & ~(kWNOHANG | kWUNTRACED | kWCONTINUED | kWNOTHREAD | kWALL | kWCLONE)) return -kEINVAL;
  if (pid == int32_t(0x80000000)) return -kESRCH;  // INT_MIN: kernel/exit.c refuses it
  uint64_t status = a[1], rusage = a[3];
  return k.attempt_or_block("wait4", [&k, pid, status, options, rusage] { return do_wait4(k, pid, status, options, rusage); });
}

// waitid(2): the child's state as a siginfo_t; WNOWAIT leaves it waitable.
// `nonblocking`: P_PIDFD on an O_NONBLOCK pidfd, which waits as WNOHANG
// and says EAGAIN when nothing is ready (kernel/exit.c kernel_waitid()).
int64_t do_waitid(Kernel& k, int64_t pid, uint64_t info_ptr, uint64_t options, uint64_t rusage_ptr,
                  bool nonblocking) {
  WaitEvent ev = WaitEvent::kExited;
  int64_t c = find_waitable(k, pid, options, &ev);
  if (c < 0) return c;
  int32_t info[32] = {};  // siginfo_t: signo, errno, code, pad, pid, uid, status
  if (c == 0) {
    if (nonblocking && !(options & kWNOHANG)) return -kEAGAIN;
    if (!(options & kWNOHANG)) return kBlocked;
  } else {
    Task& t = *k.task(uint32_t(c));
    info[0] = kSIGCHLD;
    info[4] = int32_t(k.vpid(uint32_t(c)));
    if (ev == WaitEvent::kStopped) {
      info[2] = 5, info[6] = t.stop_signal;  // CLD_STOPPED
    } else if (ev == WaitEvent::kContinued) {
      info[2] = 6, info[6] = kSIGCONT;  // CLD_CONTINUED
    } else {
      info[2] = t.exit_signal ? (t.core_dumped ? 3 : 2) : 1;  // CLD_DUMPED, CLD_KILLED, CLD_EXITED
      info[6] = t.exit_signal ? t.exit_signal : t.exit_code;
    }
  }
  if (info_ptr && !k.mm().copy_out(UserPtr(info_ptr), info, sizeof info)) return -kEFAULT;
  // The rusage is written only when a child was found (waitid's syscall body).
  if (c > 0 && rusage_ptr && !write_child_rusage(k, *k.task(uint32_t(c)), rusage_ptr)) return -kEFAULT;
  if (c > 0 && !(options & kWNOWAIT)) consume(k, uint32_t(c), ev);
  return 0;
}

int64_t sys_waitid(Kernel& k, const uint64_t* a) {
  int idtype = int(a[0]);
  int64_t id = int32_t(a[1]);
  uint64_t options = a[3] & 0xffffffffu;
  if (options & ~(kWNOHANG | kWNOWAIT | kWEXITED | kWUNTRACED | kWCONTINUED | kWNOTHREAD | kWALL | kWCLONE))
    return -kEINVAL;
  if (!(options & (kWEXITED | kWUNTRACED | kWCONTINUED))) return -kEINVAL;
  int64_t pid;
  bool nonblocking = false;
  switch (idtype) {
    case 0: pid = -1; break;                              // P_ALL
    case 1: if (id <= 0) return -kEINVAL; pid = id; break;  // P_PID
    case 2: if (id < 0) return -kEINVAL; pid = id == 0 ? 0 : -id; break;  // P_PGID
    case 3: {  // P_PIDFD
      if (id < 0) return -kEINVAL;
      auto f = std::dynamic_pointer_cast<PidFd>(k.current().fds->get(int(id)));
      if (!f) return -kEBADF;
      nonblocking = f->flags() & kO_NONBLOCK;
      pid = k.vpid(f->pid());
      if (pid == 0) return -kECHILD;
      break;
    }
    default: return -kEINVAL;
  }
  uint64_t info = a[2], rusage = a[4];
  return k.attempt_or_block("waitid", [&k, pid, info, options, rusage, nonblocking] {
    return do_waitid(k, pid, info, options, rusage, nonblocking);
  });
}

}  // namespace

void register_wait_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_wait(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
