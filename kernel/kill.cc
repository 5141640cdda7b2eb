// kill(2) and its permission check (kernel/signal.c kill_something_info(),
// check_kill_permission()): one process, a process group, or everyone.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

// kill(2) of one pid (kernel/signal.c kill_pid_info()): the pid may name
// any thread, and the signal goes to its whole process; a zombie not yet
// reaped still exists (0, nothing delivered).
int64_t Kernel::kill_process_by_pid(uint32_t pid, int sig) {
  Task* t = task(pid);
  if (!t || t->exit_state == ExitState::kDead) return -kESRCH;
  if (t->tid != t->tgid) {
    Task* leader = task(t->tgid);
    if (t->run_state == RunState::kExited) return -kESRCH;  // an exited thread's pid is free
    if (leader) t = leader;
  }
  if (!may_signal(*t, sig)) return -kEPERM;
  // A zombie leader of a process whose other threads still run: one of them gets it.
  if (t->run_state == RunState::kExited && !alive_thread(t->tgid)) return 0;
  return send_group_signal(t->tgid, sig, SigInfo{sig, 0, current_ ? int32_t(current_->tgid) : 0, 0});
}

// kernel/signal.c:check_kill_permission(): within a thread group always;
// otherwise the sender's real or effective uid must be the target's real
// or saved uid, or the sender has CAP_KILL over the target's user
// namespace; SIGCONT also reaches any process of the sender's session.
bool Kernel::may_signal(const Task& target, int sig) const {
  if (!current_ || current_->tgid == target.tgid) return true;
  const Credentials& c = current_->creds;
  const Credentials& t = target.creds;
  if (c.euid == t.suid || c.euid == t.uid || c.uid == t.suid || c.uid == t.uid) return true;
  if (c.capable_in(t.userns.get())) return true;
  return sig == kSIGCONT && target.sid == current_->sid;
}

namespace {

int64_t sys_kill(Kernel& k, const uint64_t* a) {
  int64_t pid = int32_t(a[0]);
  int sig = int(a[1]);
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  Task& self = k.current();
  if (pid > 0) {
    uint32_t g = k.gpid(uint32_t(pid));
    if (!g) return -kESRCH;
    // The caller's own process: still process-directed, so a thread that
    // does not block it takes it (complete_signal()), not necessarily the caller.
    if (Task* t = k.task(g); t && t->tgid == self.tgid && t->run_state != RunState::kExited)
      return k.send_group_signal(self.tgid, sig, SigInfo{sig, 0, int32_t(self.tgid), 0});
    return k.kill_process_by_pid(g, sig);
  }
  // A group, or everyone: collect first, signal the caller last so that the
  // others are reached even when the caller dies of it.
  uint32_t pgid = pid == 0 ? self.pgid : k.gpid(uint32_t(-pid));
  std::vector<uint32_t> targets;
  bool self_too = false;
  for (auto& [tid, t] : k.tasks()) {
    if (t->run_state == RunState::kExited || t->tid != t->tgid) continue;
    // kill(-1) reaches the processes visible in the caller's namespace,
    // except its init.
    bool match = pid == -1 ? (k.vpid(tid) != 0 && !(t->pidns == self.pidns && k.is_ns_init(*t))) : t->pgid == pgid;
    if (!match) continue;
    if (t->tgid == self.tgid) self_too = pid != -1;  // kill(-1) spares the caller
    else targets.push_back(tid);
  }
  if (targets.empty() && !self_too) return -kESRCH;
  // A group succeeds when one of its processes got the signal, else fails
  // with the last error (kernel/signal.c:__kill_pgrp_info()); kill(-1)
  // fails only with errors other than EPERM (kill_something_info()).
  bool any = false;
  int64_t last = 0;
  for (uint32_t tid : targets) {
    int64_t r = k.kill_process_by_pid(tid, sig);
    any |= r == 0;
    if (pid != -1 || r != -kEPERM) last = r;
  }
  if (self_too) {
    int64_t r = k.send_group_signal(self.tgid, sig, SigInfo{sig, 0, int32_t(self.tgid), 0});
    any |= r == 0;
    last = r;
  }
  if (pid == -1) return last;
  return any ? 0 : last;
}

}  // namespace

void register_kill_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_kill(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
