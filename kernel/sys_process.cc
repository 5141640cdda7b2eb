// Process-level syscalls of a single process: identity, exit, limits, TLS,
// signal dispositions (stored; delivery is modelled later), randomness.
#include <cstring>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

int64_t sys_getpid(Kernel& k, const uint64_t*) { return k.current().tgid; }
int64_t sys_gettid(Kernel& k, const uint64_t*) { return k.current().tid; }
int64_t sys_getppid(Kernel& k, const uint64_t*) { return k.current().ppid; }
// The guest runs as root, like Ditto itself on the machines it targets.
int64_t sys_getuid(Kernel&, const uint64_t*) { return 0; }

int64_t sys_exit_group(Kernel& k, const uint64_t* a) {
  k.exit_group(int(a[0] & 0xff), 0);
  return 0;
}

int64_t sys_arch_prctl(Kernel& k, const uint64_t* a) {
  cpu::Engine& e = k.mm().engine();
  switch (int(a[0])) {
    case kARCH_SET_FS:
    case kARCH_SET_GS:
      // arch/x86/kernel/process_64.c: the base must be a user address.
      if (a[1] >= MemoryManager::kTaskSize) return -kEPERM;
      e.set_reg(int(a[0]) == kARCH_SET_FS ? cpu::Reg::fs_base : cpu::Reg::gs_base, a[1]);
      return 0;
    case kARCH_GET_FS:
    case kARCH_GET_GS: {
      uint64_t v = e.reg(int(a[0]) == kARCH_GET_FS ? cpu::Reg::fs_base : cpu::Reg::gs_base);
      return k.mm().write(UserPtr(a[1]), v) ? 0 : -kEFAULT;
    }
    default:
      return -kEINVAL;  // CET, CPUID faulting, AMX...: absent, as on a CPU without them
  }
}

int64_t sys_set_tid_address(Kernel& k, const uint64_t* a) {
  k.current().clear_child_tid = a[0];
  return k.current().tid;
}

int64_t sys_set_robust_list(Kernel& k, const uint64_t* a) {
  if (a[1] != 24) return -kEINVAL;  // sizeof(struct robust_list_head)
  k.current().robust_list = a[0];
  k.current().robust_list_len = a[1];
  return 0;
}

int64_t sys_get_robust_list(Kernel& k, const uint64_t* a) {
  if (a[0] != 0 && a[0] != k.current().tid) return -kESRCH;
  if (!k.mm().write(UserPtr(a[1]), k.current().robust_list)) return -kEFAULT;
  uint64_t len = 24;
  return k.mm().write(UserPtr(a[2]), len) ? 0 : -kEFAULT;
}

int64_t do_prlimit(Kernel& k, uint64_t pid, uint64_t resource, uint64_t new_ptr, uint64_t old_ptr) {
  Task& t = k.current();
  if (pid != 0 && pid != t.tgid) return -kESRCH;
  if (resource >= uint64_t(kRLIM_NLIMITS)) return -kEINVAL;
  Rlimit nl{};
  if (new_ptr) {
    if (!k.mm().read(UserPtr(new_ptr), nl)) return -kEFAULT;
    if (nl.cur > nl.max) return -kEINVAL;
    // fs/file.c: sysctl_nr_open bounds RLIMIT_NOFILE.
    if (resource == uint64_t(kRLIMIT_NOFILE) && nl.max > (1u << 20)) return -kEPERM;
  }
  if (old_ptr && !k.mm().write(UserPtr(old_ptr), t.rlimits[resource])) return -kEFAULT;
  if (new_ptr) {
    t.rlimits[resource] = nl;
    if (resource == uint64_t(kRLIMIT_NOFILE)) t.fds->set_max_fds(int(nl.cur));
  }
  return 0;
}

int64_t sys_prlimit64(Kernel& k, const uint64_t* a) { return do_prlimit(k, a[0], a[1], a[2], a[3]); }
int64_t sys_getrlimit(Kernel& k, const uint64_t* a) { return do_prlimit(k, 0, a[0], 0, a[1]); }
int64_t sys_setrlimit(Kernel& k, const uint64_t* a) { return do_prlimit(k, 0, a[0], a[1], 0); }

int64_t sys_uname(Kernel& k, const uint64_t* a) {
  Utsname u{};
  std::strcpy(u.sysname, "Linux");
  std::strcpy(u.nodename, "ditto");
  std::strcpy(u.release, "6.1.0-ditto");
  std::strcpy(u.version, "#1 SMP PREEMPT_DYNAMIC Ditto");
  std::strcpy(u.machine, "x86_64");
  std::strcpy(u.domainname, "(none)");
  return k.mm().write(UserPtr(a[0]), u) ? 0 : -kEFAULT;
}

int64_t sys_sched_getaffinity(Kernel& k, const uint64_t* a) {
  if (a[0] != 0 && a[0] != k.current().tid) return -kESRCH;
  // kernel/sched/core.c: the buffer must hold nr_cpu_ids bits, in whole longs.
  if (a[1] < 8 || (a[1] & 7)) return -kEINVAL;
  uint64_t mask = 1;  // one virtual CPU
  return k.mm().write(UserPtr(a[2]), mask) ? 8 : -kEFAULT;
}


int64_t sys_sigaltstack(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  if (a[1] && !k.mm().write(UserPtr(a[1]), t.altstack)) return -kEFAULT;
  if (a[0]) {
    StackT ss;
    if (!k.mm().read(UserPtr(a[0]), ss)) return -kEFAULT;
    int mode = ss.ss_flags & ~kSS_AUTODISARM;
    if (mode != 0 && mode != kSS_DISABLE && mode != kSS_ONSTACK) return -kEINVAL;
    if (mode == kSS_DISABLE) {
      t.altstack = {0, kSS_DISABLE, 0, 0};
    } else {
      if (ss.ss_size < kMINSIGSTKSZ) return -kENOMEM;
      t.altstack = {ss.ss_sp, ss.ss_flags & kSS_AUTODISARM, 0, ss.ss_size};
    }
  }
  return 0;
}

int64_t sys_rt_sigaction(Kernel& k, const uint64_t* a) {
  int sig = int(a[0]);
  if (a[3] != 8) return -kEINVAL;
  if (sig < 1 || sig > kNSIG) return -kEINVAL;
  KernelSigaction act;
  if (a[1] && !k.mm().read(UserPtr(a[1]), act)) return -kEFAULT;
  if (a[1] && (sig == kSIGKILL || sig == kSIGSTOP)) return -kEINVAL;
  KernelSigaction& slot = k.current().sighand->actions[size_t(sig)];
  if (a[2] && !k.mm().write(UserPtr(a[2]), slot)) return -kEFAULT;
  if (a[1]) {
    act.mask &= ~((1ULL << (kSIGKILL - 1)) | (1ULL << (kSIGSTOP - 1)));
    slot = act;
  }
  return 0;
}

int64_t sys_rt_sigprocmask(Kernel& k, const uint64_t* a) {
  if (a[3] != 8) return -kEINVAL;
  Task& t = k.current();
  uint64_t old = t.sigmask;
  if (a[1]) {
    uint64_t set;
    if (!k.mm().read(UserPtr(a[1]), set)) return -kEFAULT;
    set &= ~((1ULL << (kSIGKILL - 1)) | (1ULL << (kSIGSTOP - 1)));
    switch (int(a[0])) {
      case 0: t.sigmask |= set; break;   // SIG_BLOCK
      case 1: t.sigmask &= ~set; break;  // SIG_UNBLOCK
      case 2: t.sigmask = set; break;    // SIG_SETMASK
      default: return -kEINVAL;
    }
  }
  if (a[2] && !k.mm().write(UserPtr(a[2]), old)) {
    t.sigmask = old;
    return -kEFAULT;
  }
  if (t.sigpending & ~t.sigmask) k.deliver_pending(t);
  return 0;
}

int64_t sys_getrandom(Kernel& k, const uint64_t* a) {
  uint32_t flags = uint32_t(a[2]);
  if (flags & ~(kGRND_NONBLOCK | kGRND_RANDOM | kGRND_INSECURE)) return -kEINVAL;
  if ((flags & kGRND_RANDOM) && (flags & kGRND_INSECURE)) return -kEINVAL;
  uint64_t len = std::min<uint64_t>(a[1], 0x1ffffff);  // drivers/char/random.c caps at 32 MiB - 1
  std::string bytes(len, '\0');
  k.random_bytes(bytes.data(), len);
  if (!k.mm().copy_out(UserPtr(a[0]), bytes.data(), len)) return -kEFAULT;
  k.set_event_data(std::move(bytes));
  return int64_t(len);
}

// tgkill/tkill: a signal to one thread (SI_TKILL).
int64_t signal_thread(Kernel& k, int64_t tgid, int64_t tid, int sig) {
  if (tid <= 0 || (tgid != -1 && tgid <= 0)) return -kEINVAL;
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  Task* t = k.task(uint32_t(tid));
  if (!t || t->run_state == RunState::kExited || (tgid != -1 && t->tgid != uint32_t(tgid))) return -kESRCH;
  return k.send_signal(*t, sig, SigInfo{sig, -6, int32_t(k.current().tgid), 0});
}

int64_t sys_tgkill(Kernel& k, const uint64_t* a) { return signal_thread(k, int32_t(a[0]), int32_t(a[1]), int(a[2])); }
int64_t sys_tkill(Kernel& k, const uint64_t* a) { return signal_thread(k, -1, int32_t(a[0]), int(a[1])); }

}  // namespace

void register_process_syscalls(SyscallFn* t) {
  t[13] = sys_rt_sigaction;
  t[14] = sys_rt_sigprocmask;
  t[39] = sys_getpid;
  t[63] = sys_uname;
  t[97] = sys_getrlimit;
  t[102] = sys_getuid;  // getuid
  t[104] = sys_getuid;  // getgid
  t[107] = sys_getuid;  // geteuid
  t[108] = sys_getuid;  // getegid
  t[110] = sys_getppid;
  t[131] = sys_sigaltstack;
  t[158] = sys_arch_prctl;
  t[160] = sys_setrlimit;
  t[186] = sys_gettid;
  t[200] = sys_tkill;
  t[204] = sys_sched_getaffinity;
  t[218] = sys_set_tid_address;
  t[231] = sys_exit_group;
  t[234] = sys_tgkill;
  t[273] = sys_set_robust_list;
  t[274] = sys_get_robust_list;
  t[302] = sys_prlimit64;
  t[318] = sys_getrandom;
}

}  // namespace kernel
