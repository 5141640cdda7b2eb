// Scheduling parameters as programs see them: nice values (getpriority,
// setpriority), policies and priorities (sched_*), and the CPU a task is on
// (getcpu). Ditto's scheduler decides by its own policy (sim/); these are
// kept so that what a program sets it reads back, with Linux's checks.
// Real-time policies, which would promise an order Ditto does not give,
// are counted as unsupported.
#include <cstring>

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

// getcpu(2): Ditto runs one task at a time, on the first CPU its affinity
// allows (a fixed answer, so runs stay identical), of node 0.
int64_t sys_getcpu(Kernel& k, const uint64_t* a) {
  uint32_t cpu = k.cpu_of(k.current()), zero = 0;
  if (a[0] && !k.mm().write(UserPtr(a[0]), cpu)) return -kEFAULT;
  if (a[1] && !k.mm().write(UserPtr(a[1]), zero)) return -kEFAULT;
  return 0;
}

// Whether the caller may change `t`'s scheduling (check_same_owner(), or CAP_SYS_NICE).
bool may_reschedule(Kernel& k, const Task& t) {
  const Credentials& c = k.current().creds;
  return t.creds.uid == c.euid || t.creds.euid == c.euid || c.capable();
}

// The kernel's cpumask is sized for its NR_CPUS (Debian's 8192 bits): what
// sched_getaffinity copies out, and the most sched_setaffinity reads.
constexpr uint64_t kCpumaskBytes = 1024;

// sched_setaffinity(2): the mask is read first (a short one is zero-filled),
// then the thread is found; CPUs that are not online do not count, and a
// mask with none online is EINVAL.
int64_t sys_sched_setaffinity(Kernel& k, const uint64_t* a) {
  uint64_t len = std::min<uint64_t>(uint32_t(a[1]), kCpumaskBytes), mask = 0;  // an unsigned int
  if (!k.mm().copy_in(UserPtr(a[2]), &mask, std::min<uint64_t>(len, 8))) return -kEFAULT;
  if (len > 8 && !MemoryManager::user_range(a[2], len)) return -kEFAULT;
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r == -kEINVAL ? -kESRCH : r;
  if (!may_reschedule(k, *t)) return -kEPERM;
  if (!(mask & k.online_cpus())) return -kEINVAL;
  t->affinity = mask;
  return 0;
}

// sched_getaffinity(2): the buffer must hold nr_cpu_ids bits, in whole
// longs; it gets the mask, zeros past it, and the bytes written.
int64_t sys_sched_getaffinity(Kernel& k, const uint64_t* a) {
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r == -kEINVAL ? -kESRCH : r;
  uint64_t len = uint32_t(a[1]);  // an unsigned int
  if (len * 8 < uint64_t(k.config().cpus) || (len & 7)) return -kEINVAL;
  uint64_t n = std::min(len, kCpumaskBytes);
  std::vector<char> out(n, 0);
  uint64_t mask = t->affinity & k.online_cpus();
  std::memcpy(out.data(), &mask, 8);
  return k.mm().copy_out(UserPtr(a[2]), out.data(), n) ? int64_t(n) : -kEFAULT;
}

// sched_rr_get_interval(2): a round-robin slice only SCHED_RR has; the
// normal policies answer 0, as the host's EEVDF scheduler does.
int64_t sys_sched_rr_get_interval(Kernel& k, const uint64_t* a) {
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r;
  Timespec ts{0, 0};
  return k.mm().write(UserPtr(a[1]), ts) ? 0 : -kEFAULT;
}

// struct sched_attr (include/uapi/linux/sched/types.h): 48 bytes in its
// first version, 56 with the utilization clamps.
constexpr uint32_t kSchedAttrVer0 = 48, kSchedAttrSize = 56;
struct SchedAttr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};
static_assert(sizeof(SchedAttr) == kSchedAttrSize);

int64_t sys_sched_getattr(Kernel& k, const uint64_t* a) {
  uint32_t usize = uint32_t(a[2]);
  if (!a[1] || usize > cpu::kPageSize || usize < kSchedAttrVer0 || a[3]) return -kEINVAL;
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r;
  SchedAttr attr{};
  attr.size = std::min(usize, kSchedAttrSize);
  attr.sched_policy = uint32_t(t->sched_policy);
  attr.sched_nice = t->nice;
  attr.sched_util_max = 1024;  // SCHED_CAPACITY_SCALE: no clamp
  return k.mm().copy_out(UserPtr(a[1]), &attr, attr.size) ? 0 : -kEFAULT;
}

// sched_setattr(2) for the normal policies: the size (0 is the first
// version; a smaller one is E2BIG, with the kernel's size written back),
// then policy, flags and priority; a lower nice takes CAP_SYS_NICE.
int64_t sys_sched_setattr(Kernel& k, const uint64_t* a) {
  if (!a[1] || int32_t(a[0]) < 0 || a[2]) return -kEINVAL;
  uint32_t size;
  if (!k.mm().read(UserPtr(a[1]), size)) return -kEFAULT;
  if (size == 0) size = kSchedAttrVer0;
  if (size < kSchedAttrVer0 || size > cpu::kPageSize) {
    uint32_t ours = kSchedAttrSize;
    return k.mm().write(UserPtr(a[1]), ours) ? -kE2BIG : -kEFAULT;
  }
  SchedAttr attr{};
  if (!k.mm().copy_in(UserPtr(a[1]), &attr, std::min(size, kSchedAttrSize))) return -kEFAULT;
  constexpr uint64_t kSCHED_FLAG_RESET_ON_FORK = 1, kSCHED_FLAG_KEEP_POLICY = 8, kSCHED_FLAG_KEEP_PARAMS = 0x10;
  constexpr uint64_t kKnownFlags = 0x7f;
  if (attr.sched_flags & ~kKnownFlags) return -kEINVAL;
  Task* t;
  if (int64_t r = sched_target(k, a[0], t); r < 0) return r;
  int policy = (attr.sched_flags & kSCHED_FLAG_KEEP_POLICY) ? t->sched_policy : int(attr.sched_policy);
  if (policy == kSCHED_FIFO || policy == kSCHED_RR || policy == kSCHED_DEADLINE)
    return k.unsupported(314, "sched_setattr with a real-time or deadline policy");
  if (policy != kSCHED_OTHER && policy != kSCHED_BATCH && policy != kSCHED_IDLE) return -kEINVAL;
  if (attr.sched_priority != 0) return -kEINVAL;
  if (!may_reschedule(k, *t)) return -kEPERM;
  int nice = std::clamp(attr.sched_nice, -20, 19);
  bool keep_params = attr.sched_flags & kSCHED_FLAG_KEEP_PARAMS;
  if (!keep_params && nice < t->nice && !k.current().creds.capable()) return -kEPERM;
  (void)kSCHED_FLAG_RESET_ON_FORK;
  t->sched_policy = policy;
  if (!keep_params) t->nice = nice;
  return 0;
}

// membarrier(2): Ditto runs one task at a time on one host thread, so
// every barrier it asks for already holds when the call returns; the
// commands keep Linux's rules (the private kinds need their registration
// first, EPERM) and the registrations are the process's.
int64_t sys_membarrier(Kernel& k, const uint64_t* a) {
  constexpr uint32_t kQuery = 0, kGlobal = 1, kGlobalExpedited = 2, kRegisterGlobalExpedited = 4,
                     kPrivateExpedited = 8, kRegisterPrivateExpedited = 16, kPrivateExpeditedSyncCore = 32,
                     kRegisterPrivateExpeditedSyncCore = 64, kPrivateExpeditedRseq = 128,
                     kRegisterPrivateExpeditedRseq = 256, kGetRegistrations = 512, kFlagCpu = 1;
  uint32_t cmd = uint32_t(a[0]), flags = uint32_t(a[1]);
  if (cmd == kPrivateExpeditedRseq ? (flags & ~kFlagCpu) : flags) return -kEINVAL;
  uint32_t& registered = k.task(k.current().tgid)->membarrier_registrations;
  switch (cmd) {
    case kQuery: return 1023;  // every command above
    case kGlobal:
    case kGlobalExpedited: return 0;
    case kRegisterGlobalExpedited:
    case kRegisterPrivateExpedited:
    case kRegisterPrivateExpeditedSyncCore:
    case kRegisterPrivateExpeditedRseq: registered |= cmd; return 0;
    case kPrivateExpedited:
    case kPrivateExpeditedSyncCore:
    case kPrivateExpeditedRseq: return (registered & (cmd << 1)) ? 0 : -kEPERM;
    case kGetRegistrations: return registered;
    default: return -kEINVAL;
  }
}

}  // namespace

void register_sched_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sched(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
