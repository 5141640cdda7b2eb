// Signal generation and delivery: default actions (signal(7)), pending sets,
// handler frames the way arch/x86/kernel/signal.c builds them (rt_sigframe:
// return address, ucontext with sigcontext and mask, siginfo), rt_sigreturn,
// sigsuspend and pause. Job-control stops are not modelled yet.
#include <cstring>

#include "kernel/rseq.h"
#include "kernel/siginfo.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

enum class DefaultAction { kTerm, kCore, kIgnore, kStop, kCont };
DefaultAction default_action(int sig) {
  switch (sig) {
    case kSIGCHLD: case kSIGURG: case kSIGWINCH: return DefaultAction::kIgnore;
    case kSIGCONT: return DefaultAction::kCont;
    case kSIGSTOP: case kSIGTSTP: case kSIGTTIN: case kSIGTTOU: return DefaultAction::kStop;
    case kSIGQUIT: case kSIGILL: case kSIGTRAP: case kSIGABRT: case kSIGBUS: case kSIGFPE:
    case kSIGSEGV: case kSIGXCPU: case kSIGXFSZ: case kSIGSYS: return DefaultAction::kCore;
    default: return DefaultAction::kTerm;
  }
}

constexpr uint64_t kSA_ONSTACK = 0x08000000, kSA_RESTART = 0x10000000,
                   kSA_NODEFER = 0x40000000, kSA_RESETHAND = 0x80000000ULL, kSA_RESTORER = 0x04000000;
constexpr uint64_t kUnblockable = (1ULL << (kSIGKILL - 1)) | (1ULL << (kSIGSTOP - 1));
constexpr size_t kMaxNestedSignals = 64;

uint64_t bit(int sig) { return 1ULL << (sig - 1); }

// x86-64 struct rt_sigframe (arch/x86/include/asm/sigframe.h).
struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
struct UContext {
  uint64_t flags, link;
  StackT stack;
  SigContext mcontext;
  uint64_t sigmask;
};
struct SigFrame {
  uint64_t pretcode;
  UContext uc;
  uint8_t info[128];
};
static_assert(sizeof(SigContext) == 256);
static_assert(sizeof(UContext) == 304);
static_assert(sizeof(SigFrame) == 440);

constexpr uint64_t kSynchronousSignals = (1ULL << (kSIGSEGV - 1)) | (1ULL << (kSIGBUS - 1)) |
                                         (1ULL << (kSIGILL - 1)) | (1ULL << (kSIGTRAP - 1)) |
                                         (1ULL << (kSIGFPE - 1)) | (1ULL << (kSIGSYS - 1));

}  // namespace

int64_t read_guest_siginfo(Kernel& k, uint64_t ptr, int sig, SigInfo& info, int32_t* given_signo) {
  uint8_t raw[128];
  if (!k.mm().copy_in(UserPtr(ptr), raw, sizeof raw)) return -kEFAULT;
  info = decode_siginfo(sig, raw);
  if (given_signo) std::memcpy(given_signo, raw, 4);
  return 0;
}

// The sender's pid as the receiver sees it (one the guest wrote is kept).
uint32_t Kernel::pid_for(const Task& receiver, const SigInfo& info) const {
  return info.pid_as_given ? uint32_t(info.pid) : vpid(*receiver.pidns, uint32_t(info.pid));
}

bool Kernel::force_fault_signal(Task& t, const SigInfo& info, const TrapState& trap) {
  int sig = info.signo;
  t.trap = trap;
  KernelSigaction& act = t.sighand->actions[size_t(sig)];
  bool blocked = t.sigmask & bit(sig);
  if (blocked || act.handler == kSIG_IGN) {
    act.handler = kSIG_DFL;
    t.sigmask &= ~bit(sig);
  }
  if (act.handler == kSIG_DFL) {
    exit_process(t, 0, sig, true);
    return false;
  }
  // A signal already pending is not queued again (kernel/signal.c
  // legacy_queue()): the pending one is delivered, with its siginfo.
  if (!(t.sigpending & bit(sig))) t.pending_info[size_t(sig)] = info;
  t.sigpending |= bit(sig);
  return true;
}

// Stops or continues t's whole thread group and tells its parent
// (kernel/signal.c: do_signal_stop(), prepare_signal() for SIGCONT).
void Kernel::set_group_stopped(Task& t, bool stop, int sig) {
  Task& leader = *task(t.tgid);
  if (leader.group_stopped == stop) return;
  leader.group_stopped = stop;
  leader.stop_signal = stop ? sig : 0;
  leader.stop_report_pending = stop;
  leader.continue_report_pending = !stop;
  Task* parent = task(leader.ppid);
  if (parent && parent->run_state != RunState::kExited) {
    const KernelSigaction& a = parent->sighand->actions[kSIGCHLD];
    constexpr uint64_t kSA_NOCLDSTOP = 1;
    if (!(a.flags & kSA_NOCLDSTOP))
      send_signal(*parent, kSIGCHLD, SigInfo{kSIGCHLD, stop ? 5 : 6 /* CLD_STOPPED, CLD_CONTINUED */,
                                             int32_t(leader.tgid), stop ? sig : kSIGCONT});
  }
  if (stop && current_ && current_->tgid == t.tgid && slice_mm_) slice_mm_->engine().request_stop();
}

// POSIX: a process group is orphaned when no member has a parent in another
// group of the same session (the virtual init is in no guest session).
bool Kernel::pgrp_orphaned(uint32_t pgid) const {
  for (const auto& [tid, t] : tasks_) {
    if (t->tid != t->tgid || t->run_state == RunState::kExited || t->pgid != pgid) continue;
    auto parent = tasks_.find(t->ppid);
    if (parent == tasks_.end()) continue;
    const Task& p = *parent->second;
    if (p.run_state != RunState::kExited && p.pgid != pgid && p.sid == t->sid) return false;
  }
  return true;
}

bool Kernel::group_stopped(const Task& t) const {
  auto it = tasks_.find(t.tgid);
  return it != tasks_.end() && it->second->group_stopped;
}

int64_t Kernel::send_signal(Task& target, int sig, const SigInfo& info, bool group) {
  if (sig == 0 || target.run_state == RunState::kExited) return 0;
  Task& leader = *task(target.tgid);
  const KernelSigaction& act = target.sighand->actions[size_t(sig)];
  DefaultAction d = default_action(sig);
  // The init of a PID namespace gets from inside its namespace only the
  // signals it has handlers for (kernel/signal.c: SIGNAL_UNKILLABLE).
  if (is_ns_init(leader) && current_ && vpid(*leader.pidns, current_->tid) != 0 && act.handler == kSIG_DFL)
    return 0;
  // SIGCONT continues a stopped group whatever its disposition, and both
  // directions cancel the other's pending signals (kernel/signal.c).
  constexpr uint64_t kStopMask = (1ULL << (kSIGSTOP - 1)) | (1ULL << (kSIGTSTP - 1)) |
                                 (1ULL << (kSIGTTIN - 1)) | (1ULL << (kSIGTTOU - 1));
  if (sig == kSIGCONT) {
    for (auto& [tid, o] : tasks_)
      if (o->tgid == target.tgid) o->sigpending &= ~kStopMask;
    leader.shared_pending &= ~kStopMask;
    set_group_stopped(target, false, 0);
  } else if (d == DefaultAction::kStop) {
    for (auto& [tid, o] : tasks_)
      if (o->tgid == target.tgid) o->sigpending &= ~bit(kSIGCONT);
    leader.shared_pending &= ~bit(kSIGCONT);
  }
  bool blocked = (target.sigmask & bit(sig)) && sig != kSIGKILL && sig != kSIGSTOP;
  if (sig != kSIGKILL && sig != kSIGSTOP) {
    bool ignored = act.handler == kSIG_IGN ||
                   (act.handler == kSIG_DFL && (d == DefaultAction::kIgnore || d == DefaultAction::kCont));
    // Ignored signals are discarded when generated, unless blocked (signal(7)).
    if (ignored && !blocked) return 0;
    if (blocked || act.handler != kSIG_DFL) {
      // Process-directed signals wait in the group's set, where any thread
      // that does not block them takes them; a signal already pending is
      // not queued twice (legacy_queue()).
      uint64_t& pending = group ? leader.shared_pending : target.sigpending;
      auto& infos = group ? leader.shared_info : target.pending_info;
      if (!(pending & bit(sig))) infos[size_t(sig)] = info;
      pending |= bit(sig);
      ++signals_queued_;
      return 0;
    }
  }
  if (d == DefaultAction::kStop) {
    // SIGTSTP/SIGTTIN/SIGTTOU do not stop a process whose group is orphaned:
    // nobody could continue it (kernel/signal.c, is_current_pgrp_orphaned()).
    if (sig != kSIGSTOP && pgrp_orphaned(task(target.tgid)->pgid)) return 0;
    set_group_stopped(target, true, sig);
    return 0;
  }
  exit_process(target, 0, sig, d == DefaultAction::kCore);
  return 0;
}

int64_t Kernel::send_group_signal(uint32_t tgid, int sig, const SigInfo& info, Task* first) {
  if (sig == 0) return 0;  // kill(pid, 0): the checks were the caller's
  // A thread in sigtimedwait for it wants it too, blocked or not.
  auto wants = [&](const Task* t) {
    return t && t->run_state != RunState::kExited &&
           (sig == kSIGKILL || !(t->sigmask & bit(sig)) || (t->sigwait_set & bit(sig)));
  };
  Task* target = first && first->tgid == tgid && wants(first) ? first : task(tgid);
  if (!wants(target)) {
    Task* other = nullptr;
    for (auto& [tid, o] : tasks_)
      if (o->tgid == tgid && wants(o.get())) {
        other = o.get();
        break;
      }
    // Blocked everywhere: it waits in the group's set (judged by the
    // leader, or a thread still alive when the leader is a zombie).
    if (other) target = other;
    else if (!target || target->run_state == RunState::kExited) target = alive_thread(tgid);
  }
  return target ? send_signal(*target, sig, info, true) : 0;
}

bool Kernel::signal_pending_in_group(uint32_t tgid, int sig) const {
  auto leader = tasks_.find(tgid);
  if (leader != tasks_.end() && (leader->second->shared_pending & bit(sig))) return true;
  for (const auto& [tid, o] : tasks_)
    if (o->tgid == tgid && o->run_state != RunState::kExited && (o->sigpending & bit(sig))) return true;
  return false;
}

uint64_t Kernel::shared_pending(const Task& t) const {
  auto leader = tasks_.find(t.tgid);
  return leader == tasks_.end() ? 0 : leader->second->shared_pending;
}

int Kernel::dequeue_signal(Task& t, uint64_t mask, SigInfo& info) {
  Task& leader = *task(t.tgid);
  for (auto [pending, infos] : {std::pair{&t.sigpending, &t.pending_info},
                                std::pair{&leader.shared_pending, &leader.shared_info}}) {
    uint64_t ready = *pending & mask;
    if (!ready) continue;
    // Synchronous signals first, then the lowest number (next_signal()).
    uint64_t pick = (ready & kSynchronousSignals) ? (ready & kSynchronousSignals) : ready;
    int sig = __builtin_ctzll(pick) + 1;
    *pending &= ~bit(sig);
    info = (*infos)[size_t(sig)];
    if (info.code == kSI_TIMER) timer_signal_delivered(t.tgid, info);
    return sig;
  }
  return 0;
}

int64_t Kernel::send_signal_to_self(int sig) {
  if (sig == 0) return 0;
  if (sig < 1 || sig > kNSIG) return -kEINVAL;
  // kill(2) of oneself and the kernel's own SIGPIPE both say SI_USER.
  return send_signal(*current_, sig, SigInfo{sig, 0, int32_t(current_->tgid), 0});
}

// sigsuspend/ppoll: `mask` holds until a handler runs (its frame records the
// old mask, which sigreturn restores) or the call ends without one.
void Kernel::set_temporary_sigmask(Task& t, uint64_t mask) {
  t.saved_sigmask = t.sigmask;
  t.restore_sigmask = true;
  t.sigmask = mask & ~kUnblockable;
}

int Kernel::next_deliverable(const Task& t) const {
  uint64_t ready = (t.sigpending | shared_pending(t)) & ~t.sigmask;
  // Faults first: the faulting instruction cannot run again before its
  // handler (kernel/signal.c dequeue_synchronous_signal()).
  for (uint64_t sync = ready & kSynchronousSignals; sync; sync &= sync - 1) {
    int sig = __builtin_ctzll(sync) + 1;
    const SigInfo& info = (t.sigpending & bit(sig)) ? t.pending_info[size_t(sig)] : tasks_.at(t.tgid)->shared_info[size_t(sig)];
    if (info.code > 0 && t.sighand->actions[size_t(sig)].handler > kSIG_IGN) return sig;
  }
  for (int sig = 1; ready && sig <= kNSIG; ++sig)
    if ((ready & bit(sig)) && t.sighand->actions[size_t(sig)].handler > kSIG_IGN) return sig;
  return 0;
}

void Kernel::deliver_pending(Task& t) {
  // Default actions of signals that were blocked happen when unblocked.
  uint64_t ready = (t.sigpending | shared_pending(t)) & ~t.sigmask;
  for (int sig = 1; ready && sig <= kNSIG && t.run_state != RunState::kExited; ++sig) {
    if (!(ready & bit(sig))) continue;
    const KernelSigaction& act = t.sighand->actions[size_t(sig)];
    if (act.handler > kSIG_IGN) continue;  // a handler: delivered by setup_signal_frame
    ready &= ~bit(sig);
    SigInfo info;
    dequeue_signal(t, bit(sig), info);
    send_signal(t, sig, info);
  }
}

bool Kernel::setup_signal_frame(Task& t, uint64_t rip) {
  deliver_pending(t);
  if (t.run_state == RunState::kExited) return false;
  int sig = next_deliverable(t);
  if (!sig) return false;
  // rseq_signal_deliver(): the frame saves the abort address of a critical section.
  if (!rseq_fixup(*this, t, rip)) {
    if (t.run_state == RunState::kExited) return false;
    sig = next_deliverable(t);
  }
  KernelSigaction act = t.sighand->actions[size_t(sig)];
  SigInfo info;
  dequeue_signal(t, bit(sig), info);
  cpu::Engine& e = t.mm->engine();
  cpu::Regs r = e.regs();
  uint64_t old_mask = t.restore_sigmask ? t.saved_sigmask : t.sigmask;
  t.restore_sigmask = false;

  uint64_t sp = r[cpu::Reg::rsp] - 128;  // the ABI's red zone
  bool on_alt = t.on_altstack(sp);
  if ((act.flags & kSA_ONSTACK) && t.altstack.ss_flags != kSS_DISABLE && !on_alt)
    sp = t.altstack.ss_sp + t.altstack.ss_size;
  sp -= sizeof(SigFrame);
  sp = (sp & ~uint64_t(15)) - 8;  // as if `call handler` pushed the return address

  SigFrame f{};
  f.pretcode = (act.flags & kSA_RESTORER) ? act.restorer : 0;
  f.uc.stack = {t.altstack.ss_sp, on_alt ? kSS_ONSTACK : t.altstack.ss_flags, 0, t.altstack.ss_size};
  SigContext& c = f.uc.mcontext;
  c.r8 = r[cpu::Reg::r8], c.r9 = r[cpu::Reg::r9], c.r10 = r[cpu::Reg::r10], c.r11 = r[cpu::Reg::r11];
  c.r12 = r[cpu::Reg::r12], c.r13 = r[cpu::Reg::r13], c.r14 = r[cpu::Reg::r14], c.r15 = r[cpu::Reg::r15];
  c.rdi = r[cpu::Reg::rdi], c.rsi = r[cpu::Reg::rsi], c.rbp = r[cpu::Reg::rbp], c.rbx = r[cpu::Reg::rbx];
  c.rdx = r[cpu::Reg::rdx], c.rax = r[cpu::Reg::rax], c.rcx = r[cpu::Reg::rcx], c.rsp = r[cpu::Reg::rsp];
  c.rip = rip;
  c.eflags = r[cpu::Reg::rflags];
  c.cs = 0x33, c.ss = 0x2b;
  c.oldmask = old_mask;
  f.uc.sigmask = old_mask;
  c.trapno = t.trap.trapno, c.err = t.trap.err, c.cr2 = t.trap.cr2;
  encode_siginfo(info, pid_for(t, info), f.info);
  if (!t.mm->write(UserPtr(sp), f)) {
    // No room for the frame: Linux forces SIGSEGV (signal.c:force_sigsegv()).
    exit_process(t, 0, kSIGSEGV, true);
    return false;
  }
  if (t.signal_contexts.size() >= kMaxNestedSignals) t.signal_contexts.erase(t.signal_contexts.begin());
  t.signal_contexts.push_back(e.save());
  t.sigmask |= act.mask;
  if (!(act.flags & kSA_NODEFER)) t.sigmask |= bit(sig);
  t.sigmask &= ~kUnblockable;
  if (act.flags & kSA_RESETHAND) t.sighand->actions[size_t(sig)] = KernelSigaction{};
  e.set_reg(cpu::Reg::rsp, sp);
  e.set_reg(cpu::Reg::rdi, uint64_t(sig));
  e.set_reg(cpu::Reg::rsi, sp + offsetof(SigFrame, info));
  e.set_reg(cpu::Reg::rdx, sp + offsetof(SigFrame, uc));
  e.set_reg(cpu::Reg::rax, 0);
  e.set_reg(cpu::Reg::rflags, r[cpu::Reg::rflags] & ~uint64_t(0x400));  // DF clear, as the ABI wants
  set_resume(t, act.handler);
  return true;
}

namespace {

int64_t sys_rt_sigreturn(Kernel& k, const uint64_t*) {
  Task& t = k.current();
  cpu::Engine& e = t.mm->engine();
  uint64_t frame = e.reg(cpu::Reg::rsp) - 8;  // the handler's `ret` popped pretcode
  SigFrame f;
  if (!t.mm->read(UserPtr(frame), f)) {
    k.exit_process(t, 0, kSIGSEGV, true);
    return 0;
  }
  if (!t.signal_contexts.empty()) {
    e.restore(t.signal_contexts.back());  // FPU/SSE state of the interrupted code
    t.signal_contexts.pop_back();
  }
  const SigContext& c = f.uc.mcontext;
  cpu::Regs r = e.regs();
  r[cpu::Reg::r8] = c.r8, r[cpu::Reg::r9] = c.r9, r[cpu::Reg::r10] = c.r10, r[cpu::Reg::r11] = c.r11;
  r[cpu::Reg::r12] = c.r12, r[cpu::Reg::r13] = c.r13, r[cpu::Reg::r14] = c.r14, r[cpu::Reg::r15] = c.r15;
  r[cpu::Reg::rdi] = c.rdi, r[cpu::Reg::rsi] = c.rsi, r[cpu::Reg::rbp] = c.rbp, r[cpu::Reg::rbx] = c.rbx;
  r[cpu::Reg::rdx] = c.rdx, r[cpu::Reg::rcx] = c.rcx, r[cpu::Reg::rsp] = c.rsp;
  // Only the arithmetic and direction flags come back from user memory.
  constexpr uint64_t kUserFlags = 0xdd5;
  r[cpu::Reg::rflags] = (r[cpu::Reg::rflags] & ~kUserFlags) | (c.eflags & kUserFlags);
  r[cpu::Reg::rip] = c.rip;
  e.set_regs(r);
  t.sigmask = f.uc.sigmask & ~kUnblockable;
  k.set_resume(t, c.rip);
  return int64_t(c.rax);  // the interrupted code's RAX, restored through the result
}

// `why` names the wait in deadlock reports: "pause" or "sigsuspend".
int64_t suspend_until_signal(Kernel& k, const char* why) {
  Task* t = &k.current();
  return k.attempt_or_block(why, [&k, t]() -> int64_t { return k.has_deliverable(*t) ? -kEINTR : kBlocked; });
}

int64_t sys_rt_sigsuspend(Kernel& k, const uint64_t* a) {
  if (a[1] != 8) return -kEINVAL;
  uint64_t mask;
  if (!k.mm().read(UserPtr(a[0]), mask)) return -kEFAULT;
  Task& t = k.current();
  k.set_temporary_sigmask(t, mask);
  k.deliver_pending(t);
  return suspend_until_signal(k, "sigsuspend");
}

int64_t sys_pause(Kernel& k, const uint64_t*) { return suspend_until_signal(k, "pause"); }

// rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait): takes a pending
// signal of the set instead of running its handler; waits for one while
// the set counts as unblocked for choosing a thread (send_group_signal), and
// a signal blocked before the wait stays harmless (real_blocked in Linux).
int64_t sys_rt_sigtimedwait(Kernel& k, const uint64_t* a) {
  if (a[3] != 8) return -kEINVAL;
  uint64_t set;
  if (!k.mm().read(UserPtr(a[0]), set)) return -kEFAULT;
  set &= ~kUnblockable;
  int64_t timeout = -1;
  if (a[2]) {
    Timespec ts;
    if (!k.mm().read(UserPtr(a[2]), ts)) return -kEFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -kEINVAL;
    timeout = ts.tv_sec > INT64_MAX / 4000000000 ? INT64_MAX / 4 : ts.tv_sec * 1000000000 + ts.tv_nsec;
  }
  Task* t = &k.current();
  const uint64_t info_ptr = a[1];
  auto take = [&k, t, set, info_ptr]() -> int64_t {
    SigInfo info;
    int sig = k.dequeue_signal(*t, set, info);
    if (!sig) return kBlocked;
    t->sigwait_set = 0;
    if (info_ptr) {
      uint8_t out[128];
      encode_siginfo(info, k.pid_for(*t, info), out);
      if (!t->mm->copy_out(UserPtr(info_ptr), out, sizeof out)) return -kEFAULT;
    }
    return sig;
  };
  if (int64_t r = take(); r != kBlocked) return r;
  if (timeout == 0) return -kEAGAIN;
  const int64_t deadline = timeout > 0 ? k.monotonic_ns() + timeout : -1;
  t->sigwait_set = set;
  int64_t r = k.block("sigtimedwait", [&k, t, take, deadline]() -> int64_t {
    int64_t got = take();
    if (got != kBlocked) return got;
    if (deadline >= 0 && k.monotonic_ns() >= deadline) {
      t->sigwait_set = 0;
      return -kEAGAIN;
    }
    return kBlocked;
  }, deadline);
  // A handler of another signal ends the wait: EINTR, never restarted (signal(7)).
  t->blocked.interrupted = [t] {
    t->sigwait_set = 0;
    return int64_t(-kEINTR);
  };
  return r;
}

// A sender may put any siginfo on a signal to itself; to others only
// negative codes other than SI_TKILL: kernel and kill() codes would be
// impersonation (kernel/signal.c do_rt_sigqueueinfo()).
bool may_forge(const Kernel& k, const SigInfo& info, uint32_t to_tid) {
  return (info.code < 0 && info.code != -6 /* SI_TKILL */) || to_tid == k.current_tid();
}

int64_t sys_rt_sigqueueinfo(Kernel& k, const uint64_t* a) {
  int64_t pid = int32_t(a[0]);
  int sig = int32_t(a[1]);
  SigInfo info;
  if (int64_t r = read_guest_siginfo(k, a[2], sig, info); r < 0) return r;
  uint32_t g = pid > 0 ? k.gpid(uint32_t(pid)) : 0;
  if (!may_forge(k, info, g)) return -kEPERM;
  Task* t = g ? k.task(g) : nullptr;
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  if (!k.may_signal(*t, sig)) return -kEPERM;
  return k.send_group_signal(t->tgid, sig, info);
}

int64_t sys_rt_tgsigqueueinfo(Kernel& k, const uint64_t* a) {
  int64_t tgid = int32_t(a[0]), tid = int32_t(a[1]);
  int sig = int32_t(a[2]);
  SigInfo info;
  if (int64_t r = read_guest_siginfo(k, a[3], sig, info); r < 0) return r;
  if (tid <= 0 || tgid <= 0) return -kEINVAL;
  uint32_t g = k.gpid(uint32_t(tid));
  if (!may_forge(k, info, g)) return -kEPERM;
  Task* t = g ? k.task(g) : nullptr;
  if (!t || t->run_state == RunState::kExited || t->tgid != k.gpid(uint32_t(tgid))) return -kESRCH;
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  if (!k.may_signal(*t, sig)) return -kEPERM;
  return k.send_signal(*t, sig, info);
}

}  // namespace

void register_signal_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_signals(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
