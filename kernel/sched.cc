// Scheduling parameters as programs see them: nice values (getpriority,
// setpriority), policies and priorities (sched_*), and the CPU a task is on
// (getcpu). Ditto's scheduler decides by its own policy (sim/); these are
// kept so that what a program sets it reads back, with Linux's checks.
// Real-time policies, which would promise an order Ditto does not give,
// are counted as unsupported.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr int kPRIO_PROCESS = 0, kPRIO_PGRP = 1, kPRIO_USER = 2;
constexpr int kSCHED_OTHER = 0, kSCHED_FIFO = 1, kSCHED_RR = 2, kSCHED_BATCH = 3, kSCHED_IDLE = 5,
              kSCHED_DEADLINE = 6, kSCHED_EXT = 7;

// The tasks `which`/`who` names (kernel/sys.c): a thread, a process group,
// or a user's tasks; 0 is the caller's own.
std::vector<Task*> targets(Kernel& k, int which, uint32_t who) {
  std::vector<Task*> out;
  Task& me = k.current();
  for (auto& [tid, t] : k.tasks()) {
    if (t->run_state == RunState::kExited) continue;
    bool hit = false;
    switch (which) {
      case kPRIO_PROCESS: hit = who ? t->tid == k.gpid(*me.pidns, who) : t.get() == &me; break;
      case kPRIO_PGRP: hit = t->pgid == (who ? k.gpid(*me.pidns, who) : me.pgid); break;
      case kPRIO_USER: hit = t->creds.uid == (who ? who : me.creds.uid); break;
    }
    if (hit) out.push_back(t.get());
  }
  return out;
}

// getpriority(2) returns 20 - nice (1..40), so that no success is negative.
int64_t sys_getpriority(Kernel& k, const uint64_t* a) {
  int which = int(a[0]);
  if (which < kPRIO_PROCESS || which > kPRIO_USER) return -kEINVAL;
  auto ts = targets(k, which, uint32_t(a[1]));
  if (ts.empty()) return -kESRCH;
  int best = 19;
  for (Task* t : ts) best = std::min(best, t->nice);
  return 20 - best;
}

// setpriority(2): raising the priority (a lower nice) needs CAP_SYS_NICE
// (EACCES); another user's tasks need CAP_SYS_NICE too (EPERM).
int64_t sys_setpriority(Kernel& k, const uint64_t* a) {
  int which = int(a[0]);
  if (which < kPRIO_PROCESS || which > kPRIO_USER) return -kEINVAL;
  int nice = std::clamp(int(int32_t(a[2])), -20, 19);
  auto ts = targets(k, which, uint32_t(a[1]));
  if (ts.empty()) return -kESRCH;
  const Credentials& c = k.current().creds;
  int64_t err = 0;
  for (Task* t : ts) {
    if (t->creds.uid != c.euid && t->creds.euid != c.euid && !c.capable()) {
      err = -kEPERM;
      continue;
    }
    if (nice < t->nice && !c.capable()) {
      err = -kEACCES;
      continue;
    }
    t->nice = nice;
  }
  return err;
}

int64_t sys_sched_get_priority_max(Kernel&, const uint64_t* a) {
  int p = int(a[0]);
  if (p == kSCHED_FIFO || p == kSCHED_RR) return 99;
  if (p == kSCHED_OTHER || p == kSCHED_BATCH || p == kSCHED_IDLE || p == kSCHED_DEADLINE || p == kSCHED_EXT) return 0;
  return -kEINVAL;
}

int64_t sys_sched_get_priority_min(Kernel&, const uint64_t* a) {
  int p = int(a[0]);
  if (p == kSCHED_FIFO || p == kSCHED_RR) return 1;
  if (p == kSCHED_OTHER || p == kSCHED_BATCH || p == kSCHED_IDLE || p == kSCHED_DEADLINE || p == kSCHED_EXT) return 0;
  return -kEINVAL;
}

// The thread `pid` names (0: the caller): EINVAL for a negative pid, ESRCH
// for none.
int64_t sched_target(Kernel& k, uint64_t pid_arg, Task*& out) {
  int32_t pid = int32_t(pid_arg);
  if (pid < 0) return -kEINVAL;
  out = pid == 0 ? &k.current() : k.task(k.gpid(*k.current().pidns, uint32_t(pid)));
  if (!out || out->run_state == RunState::kExited) return -kESRCH;
  return 0;
}

int64_t sys_sched_getscheduler(Kernel& k, const uint64_t* a) {
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r;
  return t->sched_policy;
}

int64_t sys_sched_getparam(Kernel& k, const uint64_t* a) {
  if (!a[1]) return -kEINVAL;
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r;
  int32_t prio = 0;  // the normal policies have priority 0
  return k.mm().write(UserPtr(a[1]), prio) ? 0 : -kEFAULT;
}

// sched_setscheduler(2) and sched_setparam(2) for the normal policies.
int64_t set_policy(Kernel& k, uint64_t pid, int policy, uint64_t param_ptr, bool keep_policy) {
  if (!param_ptr || int32_t(pid) < 0) return -kEINVAL;
  int32_t prio;
  if (!k.mm().read(UserPtr(param_ptr), prio)) return -kEFAULT;
  Task* t;
  if (int64_t r = sched_target(k, pid, t); r < 0) return r;
  constexpr int kSCHED_RESET_ON_FORK = 0x40000000;
  if (!keep_policy) policy &= ~kSCHED_RESET_ON_FORK;
  else policy = t->sched_policy;
  if (policy == kSCHED_FIFO || policy == kSCHED_RR)
    return k.unsupported(144, "sched_setscheduler with a real-time policy");
  if (policy != kSCHED_OTHER && policy != kSCHED_BATCH && policy != kSCHED_IDLE) return -kEINVAL;
  if (prio != 0) return -kEINVAL;
  const Credentials& c = k.current().creds;
  if (t->creds.uid != c.euid && t->creds.euid != c.euid && !c.capable()) return -kEPERM;
  t->sched_policy = policy;
  return 0;
}

int64_t sys_sched_setscheduler(Kernel& k, const uint64_t* a) {
  return set_policy(k, a[0], int(a[1]), a[2], false);
}
int64_t sys_sched_setparam(Kernel& k, const uint64_t* a) { return set_policy(k, a[0], 0, a[1], true); }

// getcpu(2): Ditto runs one task at a time; every task reports CPU 0 of
// node 0 (a fixed answer, so runs stay identical).
int64_t sys_getcpu(Kernel& k, const uint64_t* a) {
  uint32_t zero = 0;
  if (a[0] && !k.mm().write(UserPtr(a[0]), zero)) return -kEFAULT;
  if (a[1] && !k.mm().write(UserPtr(a[1]), zero)) return -kEFAULT;
  return 0;
}

}  // namespace

void register_sched_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sched(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
