// Process attributes: ids and credentials, UTS names, unshare, exit_group,
// TLS, robust lists, limits, sysinfo, affinity, signal dispositions, masks
// and the alternate stack, prctl, sched_yield, getrandom.
#include <cstdio>
#include <cstring>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

// Ids as seen in the caller's PID namespace: a parent outside it is 0.
int64_t sys_getpid(Kernel& k, const uint64_t*) { return k.vpid(k.current().tgid); }
int64_t sys_gettid(Kernel& k, const uint64_t*) { return k.vpid(k.current().tid); }
int64_t sys_getppid(Kernel& k, const uint64_t*) {
  uint32_t ppid = k.current().ppid;
  if (ppid == 1 && k.current().pidns->level == 0) return 1;  // the virtual init
  return k.vpid(ppid);
}
// The guest starts as root, like Ditto itself on the machines it targets.
// Ids as the caller's user namespace shows them.
int64_t sys_getuid(Kernel& k, const uint64_t*) { const Credentials& c = k.current().creds; return c.view(c.uid); }
int64_t sys_geteuid(Kernel& k, const uint64_t*) { const Credentials& c = k.current().creds; return c.view(c.euid); }
int64_t sys_getgid(Kernel& k, const uint64_t*) { const Credentials& c = k.current().creds; return c.view(c.gid); }
int64_t sys_getegid(Kernel& k, const uint64_t*) { const Credentials& c = k.current().creds; return c.view(c.egid); }

constexpr uint32_t kNoChange = 0xffffffffu;  // (uid_t)-1: "leave as is"

// The real, effective, saved and filesystem ids of one kind (uid or gid).
struct IdSet {
  uint32_t &real, &eff, &saved, &fs;
};
IdSet ids(Credentials& c, bool gid) {
  return gid ? IdSet{c.gid, c.egid, c.sgid, c.fsgid} : IdSet{c.uid, c.euid, c.suid, c.fsuid};
}

// setresuid(2)/setresgid(2): an unprivileged caller may only pick among its
// current real, effective and saved ids (kernel/sys.c).
int64_t set_res(Kernel& k, uint32_t r, uint32_t e, uint32_t s, bool gid) {
  Credentials& c = k.current().creds;
  // An id the caller's user namespace does not map is invalid.
  if (c.userns && (r != kNoChange || e != kNoChange || s != kNoChange)) return -kEINVAL;
  IdSet id = ids(c, gid);
  auto allowed = [&](uint32_t v) { return v == kNoChange || v == id.real || v == id.eff || v == id.saved; };
  if (!c.capable() && (!allowed(r) || !allowed(e) || !allowed(s))) return -kEPERM;
  if (r != kNoChange) id.real = r;
  if (e != kNoChange) id.eff = e;
  if (s != kNoChange) id.saved = s;
  id.fs = id.eff;
  return 0;
}

// setreuid(2)/setregid(2).
int64_t set_re(Kernel& k, uint32_t r, uint32_t e, bool gid) {
  Credentials& c = k.current().creds;
  if (c.userns && (r != kNoChange || e != kNoChange)) return -kEINVAL;  // unmapped
  IdSet id = ids(c, gid);
  if (!c.capable()) {
    if (r != kNoChange && r != id.real && r != id.eff) return -kEPERM;
    if (e != kNoChange && e != id.real && e != id.eff && e != id.saved) return -kEPERM;
  }
  uint32_t old_real = id.real;
  if (r != kNoChange) id.real = r;
  if (e != kNoChange) id.eff = e;
  // The saved id follows the new effective one when the real id was set or
  // the effective id differs from the old real id.
  if (r != kNoChange || (e != kNoChange && e != old_real)) id.saved = id.eff;
  id.fs = id.eff;
  return 0;
}

// setuid(2)/setgid(2): with the capability all of real, effective and saved
// change; otherwise only the effective id, to the real or saved one.
int64_t set_id(Kernel& k, uint32_t v, bool gid) {
  Credentials& c = k.current().creds;
  IdSet id = ids(c, gid);
  if (v == kNoChange || c.userns) return -kEINVAL;  // not an id, or unmapped
  if (c.capable()) id.real = id.saved = v;
  else if (v != id.real && v != id.saved) return -kEPERM;
  id.eff = id.fs = v;
  return 0;
}

// setfsuid(2)/setfsgid(2): the caller may pick its real, effective, saved
// or current fs id, or any with CAP_SETUID/CAP_SETGID; an id its namespace
// does not map is ignored. Either way the old fs id comes back.
int64_t set_fs(Kernel& k, uint32_t v, bool gid) {
  Credentials& c = k.current().creds;
  IdSet id = ids(c, gid);
  uint32_t old = c.view(id.fs);
  if (v == kNoChange || c.userns) return old;
  if (v == id.real || v == id.eff || v == id.saved || v == id.fs || c.capable()) id.fs = v;
  return old;
}
int64_t sys_setfsuid(Kernel& k, const uint64_t* a) { return set_fs(k, uint32_t(a[0]), false); }
int64_t sys_setfsgid(Kernel& k, const uint64_t* a) { return set_fs(k, uint32_t(a[0]), true); }

int64_t sys_setresuid(Kernel& k, const uint64_t* a) { return set_res(k, uint32_t(a[0]), uint32_t(a[1]), uint32_t(a[2]), false); }
int64_t sys_setresgid(Kernel& k, const uint64_t* a) { return set_res(k, uint32_t(a[0]), uint32_t(a[1]), uint32_t(a[2]), true); }
int64_t sys_setreuid(Kernel& k, const uint64_t* a) { return set_re(k, uint32_t(a[0]), uint32_t(a[1]), false); }
int64_t sys_setregid(Kernel& k, const uint64_t* a) { return set_re(k, uint32_t(a[0]), uint32_t(a[1]), true); }
int64_t sys_setuid(Kernel& k, const uint64_t* a) { return set_id(k, uint32_t(a[0]), false); }
int64_t sys_setgid(Kernel& k, const uint64_t* a) { return set_id(k, uint32_t(a[0]), true); }

int64_t get_res(Kernel& k, const uint64_t* a, bool gid) {
  const Credentials& c = k.current().creds;
  uint32_t v[3] = {c.view(gid ? c.gid : c.uid), c.view(gid ? c.egid : c.euid), c.view(gid ? c.sgid : c.suid)};
  for (int i = 0; i < 3; ++i)
    if (!k.mm().write(UserPtr(a[i]), v[i])) return -kEFAULT;
  return 0;
}
int64_t sys_getresuid(Kernel& k, const uint64_t* a) { return get_res(k, a, false); }
int64_t sys_getresgid(Kernel& k, const uint64_t* a) { return get_res(k, a, true); }

int64_t sys_getgroups(Kernel& k, const uint64_t* a) {
  const Credentials& c = k.current().creds;
  std::vector<uint32_t> g;
  for (uint32_t id : c.groups) g.push_back(c.view(id));
  int64_t size = int32_t(a[0]);
  if (size < 0) return -kEINVAL;
  if (size == 0) return int64_t(g.size());
  if (size_t(size) < g.size()) return -kEINVAL;
  if (!g.empty() && !k.mm().copy_out(UserPtr(a[1]), g.data(), g.size() * 4)) return -kEFAULT;
  return int64_t(g.size());
}

int64_t sys_setgroups(Kernel& k, const uint64_t* a) {
  uint64_t n = a[0];
  if (n > 65536) return -kEINVAL;  // NGROUPS_MAX
  // In a child user namespace setgroups also needs a written gid_map
  // (user_namespaces(7)), which Ditto does not have yet.
  const Credentials& c = k.current().creds;
  if (!c.capable() || c.userns) return -kEPERM;
  std::vector<uint32_t> g(n);
  if (n && !k.mm().copy_in(UserPtr(a[1]), g.data(), n * 4)) return -kEFAULT;
  k.current().creds.groups = std::move(g);
  return 0;
}

// sethostname(2)/setdomainname(2): in the caller's UTS namespace.
int64_t set_uts_name(Kernel& k, const uint64_t* a, bool host) {
  if (!k.current().creds.capable_in(k.current().uts->owner.get())) return -kEPERM;
  if (a[1] > 64) return -kEINVAL;  // __NEW_UTS_LEN
  std::string name(a[1], '\0');
  if (a[1] && !k.mm().copy_in(UserPtr(a[0]), name.data(), a[1])) return -kEFAULT;
  (host ? k.current().uts->hostname : k.current().uts->domainname) = name.c_str();
  return 0;
}
int64_t sys_sethostname(Kernel& k, const uint64_t* a) { return set_uts_name(k, a, true); }
int64_t sys_setdomainname(Kernel& k, const uint64_t* a) { return set_uts_name(k, a, false); }

// unshare(2) for what Ditto models (kernel/fork.c:ksys_unshare()).
int64_t sys_unshare(Kernel& k, const uint64_t* a) {
  constexpr uint64_t kVM = 0x100, kFS = 0x200, kFILES = 0x400, kSIGHAND = 0x800, kTHREAD = 0x10000,
                     kNEWNS = 0x20000, kSYSVSEM = 0x40000, kNEWCGROUP = 0x2000000, kNEWUTS = 0x4000000,
                     kNEWIPC = 0x8000000, kNEWUSER = 0x10000000, kNEWPID = 0x20000000, kNEWNET = 0x40000000;
  uint64_t flags = a[0];
  constexpr uint64_t kKnown = kVM | kFS | kFILES | kSIGHAND | kTHREAD | kNEWNS | kSYSVSEM | kNEWCGROUP |
                              kNEWUTS | kNEWIPC | kNEWUSER | kNEWPID | kNEWNET | 0x80 /* CLONE_NEWTIME */;
  if (flags & ~kKnown) return -kEINVAL;
  Task& t = k.current();
  int threads = k.live_threads(t.tgid);
  // A new user namespace also needs a thread and file-system context of
  // our own (kernel/fork.c:ksys_unshare()).
  if (flags & kNEWUSER) flags |= kTHREAD | kFS;
  // Unsharing what is shared with other threads is not possible.
  if ((flags & (kTHREAD | kVM | kSIGHAND)) && threads > 1) return -kEINVAL;
  if (flags & 0x80) return k.unsupported(272, "unshare of time namespaces");
  Credentials creds = t.creds;
  if (flags & kNEWUSER)
    if (int64_t r = enter_new_userns(creds); r < 0) return r;
  // Mount and cgroup namespaces are identities only (no mount(2), no cgroups).
  if ((flags & (kNEWUTS | kNEWIPC | kNEWNET | kNEWPID | kNEWNS | kNEWCGROUP)) &&
      !creds.capable_in(creds.userns.get()))
    return -kEPERM;
  if ((flags & kNEWPID) && t.child_pidns) return -kEINVAL;
  t.creds = creds;
  if (flags & kNEWPID) {
    // The caller stays where it is; its next children start a namespace.
    t.child_pidns = PidNamespace::child_of(t.pidns, creds.userns);
  }
  if (flags & kNEWUTS) t.uts = t.uts->copy_for(creds.userns);
  if (flags & kNEWIPC) t.ipc_ns = k.new_namespace();
  if (flags & kNEWNET) t.net_ns = k.new_namespace();
  if (flags & kFS) t.fs = std::make_shared<FsContext>(*t.fs);
  if (flags & kFILES) t.fds = std::make_shared<FdTable>(*t.fds);
  return 0;
}

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
  return k.vpid(k.current().tid);
}

int64_t sys_set_robust_list(Kernel& k, const uint64_t* a) {
  if (a[1] != 24) return -kEINVAL;  // sizeof(struct robust_list_head)
  k.current().robust_list = a[0];
  k.current().robust_list_len = a[1];
  return 0;
}

// Another thread's list too, when ptrace could read it (kernel/futex/
// syscalls.c get_robust_list(): PTRACE_MODE_READ_REALCREDS): the same
// process, a capable caller, or the same real ids and a dumpable target.
int64_t sys_get_robust_list(Kernel& k, const uint64_t* a) {
  Task& self = k.current();
  Task* t = &self;
  if (a[0] != 0) {
    uint32_t g = int32_t(a[0]) > 0 ? k.gpid(uint32_t(a[0])) : 0;
    t = g ? k.task(g) : nullptr;
    if (!t || t->run_state == RunState::kExited) return -kESRCH;
    const Credentials& c = self.creds;
    const Credentials& o = t->creds;
    bool same_ids = c.uid == o.uid && c.uid == o.euid && c.uid == o.suid && c.gid == o.gid && c.gid == o.egid &&
                    c.gid == o.sgid;
    if (t->tgid != self.tgid && !c.capable_in(o.userns.get()) && !(same_ids && k.task(t->tgid)->dumpable))
      return -kEPERM;
  }
  if (!k.mm().write(UserPtr(a[1]), t->robust_list)) return -kEFAULT;
  uint64_t len = 24;
  return k.mm().write(UserPtr(a[2]), len) ? 0 : -kEFAULT;
}

// Limits belong to the process (its leader holds them): kernel/sys.c
// do_prlimit(), in its order. Raising a hard limit takes CAP_SYS_RESOURCE
// in the initial user namespace.
int64_t do_prlimit(Kernel& k, uint64_t pid, uint64_t resource, uint64_t new_ptr, uint64_t old_ptr) {
  Task& self = k.current();
  if (pid != 0 && k.gpid(uint32_t(pid)) != self.tgid) return -kESRCH;
  if (resource >= uint64_t(kRLIM_NLIMITS)) return -kEINVAL;
  Task& t = *k.task(self.tgid);
  Rlimit nl{};
  if (new_ptr) {
    if (!k.mm().read(UserPtr(new_ptr), nl)) return -kEFAULT;
    if (nl.cur > nl.max) return -kEINVAL;
    // fs/file.c: sysctl_nr_open bounds RLIMIT_NOFILE.
    if (resource == uint64_t(kRLIMIT_NOFILE) && nl.max > (1u << 20)) return -kEPERM;
    if (nl.max > t.rlimits[resource].max && !self.creds.capable_in(nullptr)) return -kEPERM;
  }
  if (old_ptr && !k.mm().write(UserPtr(old_ptr), t.rlimits[resource])) return -kEFAULT;
  if (new_ptr) {
    t.rlimits[resource] = nl;
    if (resource == uint64_t(kRLIMIT_NOFILE)) self.fds->set_max_fds(int(nl.cur));
    if (resource == uint64_t(kRLIMIT_AS) || resource == uint64_t(kRLIMIT_DATA) || resource == uint64_t(kRLIMIT_STACK))
      k.apply_memory_rlimits(self);
    // A CPU limit of 0 s acts as 1 s (kernel/time/posix-cpu-timers.c update_rlimit_cpu()).
    if (resource == uint64_t(kRLIMIT_CPU) && nl.cur != kRlimInfinity) k.arm_cpu_limits();
  }
  return 0;
}

int64_t sys_prlimit64(Kernel& k, const uint64_t* a) { return do_prlimit(k, a[0], a[1], a[2], a[3]); }
int64_t sys_getrlimit(Kernel& k, const uint64_t* a) { return do_prlimit(k, 0, a[0], 0, a[1]); }
int64_t sys_setrlimit(Kernel& k, const uint64_t* a) { return do_prlimit(k, 0, a[0], a[1], 0); }

int64_t sys_uname(Kernel& k, const uint64_t* a) {
  Utsname u{};
  std::strcpy(u.sysname, "Linux");
  std::snprintf(u.nodename, sizeof u.nodename, "%s", k.current().uts->hostname.c_str());
  std::strcpy(u.release, "6.1.0-ditto");
  std::strcpy(u.version, "#1 SMP PREEMPT_DYNAMIC Ditto");
  std::strcpy(u.machine, "x86_64");
  std::snprintf(u.domainname, sizeof u.domainname, "%s", k.current().uts->domainname.c_str());
  return k.mm().write(UserPtr(a[0]), u) ? 0 : -kEFAULT;
}

// kernel/sys.c:do_sysinfo(): uptime rounds up to whole seconds; procs
// counts threads; the memory is the guest machine's (--memory).
int64_t sys_sysinfo(Kernel& k, const uint64_t* a) {
  Sysinfo s{};
  int64_t up = k.monotonic_ns();
  s.uptime = up / 1000000000 + (up % 1000000000 ? 1 : 0);
  const MemoryBudget& m = k.memory();
  s.totalram = m.limit;
  s.freeram = m.room();
  s.sharedram = k.tmpfs_space().used;
  int threads = 0;
  for (auto& [tid, t] : k.tasks())
    if (t->exit_state == ExitState::kNone) ++threads;
  s.procs = uint16_t(threads);
  s.mem_unit = 1;
  return k.mm().write(UserPtr(a[0]), s) ? 0 : -kEFAULT;
}



// kernel/signal.c do_sigaltstack(): the old stack as it is now (SS_ONSTACK
// while the caller runs on it), the new one refused with EPERM from there;
// the old one is written only when the call succeeds.
int64_t sys_sigaltstack(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  uint64_t sp = k.mm().engine().reg(cpu::Reg::rsp);
  StackT old = t.altstack;
  old.ss_flags = (!t.altstack.ss_size ? kSS_DISABLE : t.on_altstack(sp) ? kSS_ONSTACK : 0) |
                 (t.altstack.ss_flags & kSS_AUTODISARM);
  old.pad = 0;
  if (a[0]) {
    StackT ss;
    if (!k.mm().read(UserPtr(a[0]), ss)) return -kEFAULT;
    if (t.on_altstack(sp)) return -kEPERM;
    int mode = ss.ss_flags & ~kSS_AUTODISARM;
    if (mode != 0 && mode != kSS_DISABLE && mode != kSS_ONSTACK) return -kEINVAL;
    if (mode == kSS_DISABLE) {
      t.altstack = {0, kSS_DISABLE, 0, 0};
    } else {
      if (ss.ss_size < kMINSIGSTKSZ) return -kENOMEM;
      t.altstack = {ss.ss_sp, ss.ss_flags & kSS_AUTODISARM, 0, ss.ss_size};
    }
  }
  if (a[1] && !k.mm().write(UserPtr(a[1]), old)) return -kEFAULT;
  return 0;
}

// kernel/signal.c rt_sigaction() and do_sigaction(), in their order: the
// size, reading the new action (EFAULT), the signal number, then the old
// action is written after the new one is in place. Flags outside the UAPI
// set are cleared (since Linux 5.11, so that programs can probe for them).
int64_t sys_rt_sigaction(Kernel& k, const uint64_t* a) {
  constexpr uint64_t kUapiFlags = 0x00000001 | 0x00000002 | 0x00000004 |  // NOCLDSTOP NOCLDWAIT SIGINFO
                                  0x08000000 | 0x10000000 | 0x40000000 |  // ONSTACK RESTART NODEFER
                                  0x80000000 | 0x00000800 | 0x04000000;   // RESETHAND EXPOSE_TAGBITS RESTORER
  int sig = int(a[0]);
  if (a[3] != 8) return -kEINVAL;
  KernelSigaction act;
  if (a[1] && !k.mm().read(UserPtr(a[1]), act)) return -kEFAULT;
  if (sig < 1 || sig > kNSIG || (a[1] && (sig == kSIGKILL || sig == kSIGSTOP))) return -kEINVAL;
  KernelSigaction& slot = k.current().sighand->actions[size_t(sig)];
  KernelSigaction old = slot;
  old.flags &= kUapiFlags;
  if (a[1]) {
    act.flags &= kUapiFlags;
    act.mask &= ~((1ULL << (kSIGKILL - 1)) | (1ULL << (kSIGSTOP - 1)));
    slot = act;
    // A pending signal that is now ignored is discarded, in every thread
    // (POSIX; do_sigaction()): SIG_IGN, or SIG_DFL where the default is to
    // ignore (SIGCHLD, SIGURG, SIGWINCH; SIGCONT has already continued).
    bool ignored = act.handler == kSIG_IGN ||
                   (act.handler == kSIG_DFL &&
                    (sig == kSIGCHLD || sig == kSIGURG || sig == kSIGWINCH || sig == kSIGCONT));
    if (ignored) {
      for (auto& [tid, t] : k.tasks())
        if (t->tgid == k.current().tgid) t->sigpending &= ~(1ULL << (sig - 1));
      k.task(k.current().tgid)->shared_pending &= ~(1ULL << (sig - 1));
    }
  }
  if (a[2] && !k.mm().write(UserPtr(a[2]), old)) return -kEFAULT;
  return 0;
}

// The signals pending and blocked, as much of the set as asked for (at most
// its 8 bytes: kernel/signal.c rt_sigpending()).
int64_t sys_rt_sigpending(Kernel& k, const uint64_t* a) {
  if (a[1] > 8) return -kEINVAL;
  Task& t = k.current();
  uint64_t set = (t.sigpending | k.shared_pending(t)) & t.sigmask;
  if (!k.mm().copy_out(UserPtr(a[0]), &set, a[1])) return -kEFAULT;
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
  if ((t.sigpending | k.shared_pending(t)) & ~t.sigmask) k.deliver_pending(t);
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
// tgkill (with_tgid) and tkill: EINVAL for a tid, or tgid, <= 0.
int64_t signal_thread(Kernel& k, bool with_tgid, int64_t tgid, int64_t tid, int sig) {
  if (tid <= 0 || (with_tgid && tgid <= 0)) return -kEINVAL;
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  Task* t = k.task(k.gpid(uint32_t(tid)));
  if (!t || t->run_state == RunState::kExited || (with_tgid && t->tgid != k.gpid(uint32_t(tgid)))) return -kESRCH;
  if (!k.may_signal(*t, sig)) return -kEPERM;
  return k.send_signal(*t, sig, SigInfo{sig, -6, int32_t(k.current().tgid), 0});
}

int64_t sys_tgkill(Kernel& k, const uint64_t* a) {
  return signal_thread(k, true, int32_t(a[0]), int32_t(a[1]), int(a[2]));
}
int64_t sys_tkill(Kernel& k, const uint64_t* a) { return signal_thread(k, false, 0, int32_t(a[0]), int(a[1])); }

int64_t sys_prctl(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  Task& leader = *k.task(t.tgid);
  constexpr int kPR_SET_PDEATHSIG = 1, kPR_GET_PDEATHSIG = 2, kPR_GET_DUMPABLE = 3,
                kPR_SET_DUMPABLE = 4, kPR_SET_NAME = 15, kPR_GET_NAME = 16,
                kPR_SET_CHILD_SUBREAPER = 36, kPR_GET_CHILD_SUBREAPER = 37,
                kPR_SET_NO_NEW_PRIVS = 38, kPR_GET_NO_NEW_PRIVS = 39;
  switch (int(a[0])) {
    case kPR_SET_PDEATHSIG:
      if (a[1] > uint64_t(kNSIG)) return -kEINVAL;
      t.pdeath_signal = int(a[1]);
      return 0;
    case kPR_GET_PDEATHSIG: {
      int32_t v = t.pdeath_signal;
      return k.mm().write(UserPtr(a[1]), v) ? 0 : -kEFAULT;
    }
    case kPR_GET_DUMPABLE: return leader.dumpable ? 1 : 0;
    case kPR_SET_DUMPABLE:
      if (a[1] > 1) return -kEINVAL;
      leader.dumpable = a[1] == 1;
      return 0;
    case kPR_SET_NAME: {
      char name[16] = {};
      // Up to 15 bytes and a NUL, read as far as the guest's memory allows.
      std::string s;
      int64_t r = k.mm().read_cstring(UserPtr(a[1]), 16, s);
      if (r == -kEFAULT) return -kEFAULT;
      std::memcpy(name, s.data(), std::min<size_t>(s.size(), 15));
      t.comm = name;
      return 0;
    }
    case kPR_GET_NAME: {
      char name[16] = {};
      std::memcpy(name, t.comm.data(), std::min<size_t>(t.comm.size(), 15));
      return k.mm().copy_out(UserPtr(a[1]), name, 16) ? 0 : -kEFAULT;
    }
    case kPR_SET_CHILD_SUBREAPER:
      leader.child_subreaper = a[1] != 0;
      return 0;
    case kPR_GET_CHILD_SUBREAPER: {
      int32_t v = leader.child_subreaper;
      return k.mm().write(UserPtr(a[1]), v) ? 0 : -kEFAULT;
    }
    case kPR_SET_NO_NEW_PRIVS:
      if (a[1] != 1 || a[2] || a[3] || a[4]) return -kEINVAL;
      t.no_new_privs = true;
      return 0;
    case kPR_GET_NO_NEW_PRIVS:
      if (a[1] || a[2] || a[3] || a[4]) return -kEINVAL;
      return t.no_new_privs ? 1 : 0;
    default:
      if (a[0] <= 80 || a[0] == 0x59616d61 /* PR_SET_PTRACER */ || a[0] == 0x53564d41 /* PR_SET_VMA */)
        return k.unsupported(157, "prctl option " + std::to_string(a[0]));
      return -kEINVAL;
  }
}

int64_t sys_sched_yield(Kernel& k, const uint64_t*) {
  k.yield();
  return 0;
}

}  // namespace

void register_process_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_process(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
