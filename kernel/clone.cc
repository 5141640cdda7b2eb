// fork, vfork, clone and clone3 (kernel/fork.c copy_process()): which
// resources the child shares or copies, namespaces, pids, the vfork stop.
#include <algorithm>
#include <cstring>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint64_t kCLONE_VM = 0x100, kCLONE_FS = 0x200, kCLONE_FILES = 0x400,
                   kCLONE_SIGHAND = 0x800, kCLONE_PIDFD = 0x1000, kCLONE_PTRACE = 0x2000,
                   kCLONE_VFORK = 0x4000, kCLONE_PARENT = 0x8000, kCLONE_THREAD = 0x10000,
                   kCLONE_NEWNS = 0x20000, kCLONE_SYSVSEM = 0x40000, kCLONE_SETTLS = 0x80000,
                   kCLONE_PARENT_SETTID = 0x100000, kCLONE_CHILD_CLEARTID = 0x200000,
                   kCLONE_DETACHED = 0x400000, kCLONE_UNTRACED = 0x800000,
                   kCLONE_CHILD_SETTID = 0x1000000, kCLONE_NEWCGROUP = 0x2000000,
                   kCLONE_NEWUTS = 0x4000000, kCLONE_NEWIPC = 0x8000000, kCLONE_NEWUSER = 0x10000000,
                   kCLONE_NEWPID = 0x20000000, kCLONE_NEWNET = 0x40000000, kCLONE_IO = 0x80000000ULL;

// Ditto's cap on live processes: each owns an emulated address space.
// Beyond it fork fails with EAGAIN, as at RLIMIT_NPROC.
constexpr size_t kMaxLiveProcesses = 256;
constexpr uint32_t kPidMax = 4194304;  // /proc/sys/kernel/pid_max (procfs.cc)

}  // namespace

// A new user namespace below the one of `creds`, which enter it with every
// capability there (kernel/user_namespace.c:create_user_ns()).
int64_t enter_new_userns(Credentials& creds) {
  if (creds.level() >= 32) return -kEUSERS;
  // The creator's ids must be mapped where it is: nothing is, in a child
  // namespace whose maps were never written.
  if (creds.userns) return -kEPERM;
  auto ns = std::make_shared<UserNamespace>();
  ns->parent = creds.userns;
  ns->level = creds.level() + 1;
  ns->owner = creds.euid;
  ns->group = creds.egid;
  creds.userns = std::move(ns);
  creds.userns_caps = true;
  return 0;
}

// Caught signals back to the default action, ignored ones stay ignored; no
// flags or masks remain (kernel/signal.c:flush_signal_handlers(), for execve
// and CLONE_CLEAR_SIGHAND).
void reset_handlers(SignalHandlers& h) {
  for (auto& act : h.actions) act = KernelSigaction{act.handler == kSIG_IGN ? kSIG_IGN : 0, 0, 0, 0};
}

namespace {

int64_t do_clone(Kernel& k, uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                 uint64_t tls, uint64_t pidfd_ptr, const std::vector<uint32_t>& set_tid = {}) {
  Task& parent = k.current();
  // kernel/fork.c:copy_process() checks, in its order.
  if ((flags & (kCLONE_NEWNS | kCLONE_FS)) == (kCLONE_NEWNS | kCLONE_FS)) return -kEINVAL;
  if ((flags & (kCLONE_NEWUSER | kCLONE_FS)) == (kCLONE_NEWUSER | kCLONE_FS)) return -kEINVAL;
  if ((flags & kCLONE_THREAD) && !(flags & kCLONE_SIGHAND)) return -kEINVAL;
  if ((flags & kCLONE_SIGHAND) && !(flags & kCLONE_VM)) return -kEINVAL;
  // All tasks of a thread group share one pid and user namespace.
  if ((flags & kCLONE_THREAD) && (flags & (kCLONE_NEWUSER | kCLONE_NEWPID))) return -kEINVAL;
  if ((flags & kCLONE_PIDFD) && (flags & kCLONE_PARENT_SETTID)) return -kEINVAL;
  int exit_signal = int(flags & 0xff);
  if (exit_signal > kNSIG) return -kEINVAL;
  // Mount and cgroup namespaces hold nothing Ditto models yet (no mount(2),
  // no cgroups), so a new one is an identity only, like IPC and network.
  constexpr uint64_t kIdentityNamespaces =
      kCLONE_NEWUTS | kCLONE_NEWIPC | kCLONE_NEWNET | kCLONE_NEWPID | kCLONE_NEWNS | kCLONE_NEWCGROUP;
  // The init of a PID namespace cannot give its children its own parent.
  if ((flags & kCLONE_PARENT) && k.is_ns_init(*k.task(parent.tgid))) return -kEINVAL;
  // unshare(CLONE_NEWPID) and clone(CLONE_NEWPID) do not combine.
  if ((flags & kCLONE_NEWPID) && parent.child_pidns) return -kEINVAL;
  // The child's credentials, in a new user namespace with CLONE_NEWUSER
  // (kernel/fork.c:copy_process() calls copy_creds() here).
  Credentials creds = parent.creds;
  if (flags & kCLONE_NEWUSER)
    if (int64_t r = enter_new_userns(creds); r < 0) return r;
  size_t live = 0;
  for (auto& [tid, t] : k.tasks())
    if (t->run_state != RunState::kExited) ++live;
  if (live >= kMaxLiveProcesses) return -kEAGAIN;
  // RLIMIT_NPROC counts the tasks (threads too, zombies until reaped) of
  // the caller's real user; root and CAP_SYS_RESOURCE/CAP_SYS_ADMIN are
  // not held to it (copy_process()).
  if (uint64_t limit = k.task(parent.tgid)->rlimits[kRLIMIT_NPROC].cur;
      limit != kRlimInfinity && parent.creds.uid != 0 && !parent.creds.capable_in(nullptr)) {
    uint64_t same_user = 0;
    for (auto& [tid, t] : k.tasks())
      if (t->exit_state != ExitState::kDead && t->creds.uid == parent.creds.uid) ++same_user;
    if (same_user >= limit) return -kEAGAIN;
  }
  // A new address space is charged what the parent's is (kernel/fork.c
  // dup_mmap(): ENOMEM past the commit limit).
  if (!(flags & kCLONE_VM) && parent.mm->committed_bytes() > k.memory().room()) return -kENOMEM;
  // Creating the other namespaces needs CAP_SYS_ADMIN in the user namespace
  // that will own them: the new one, when CLONE_NEWUSER made one.
  if ((flags & kIdentityNamespaces) && !creds.capable_in(creds.userns.get())) return -kEPERM;

  // The child's PID namespace: the caller's for a thread; for a process the
  // one unshare(CLONE_NEWPID) prepared or the caller's, or a new one below
  // it (CLONE_NEWPID).
  bool thread = flags & kCLONE_THREAD;
  std::shared_ptr<PidNamespace> pidns = thread ? parent.pidns : parent.child_pidns ? parent.child_pidns : parent.pidns;
  if (!thread && (flags & kCLONE_NEWPID)) {
    pidns = PidNamespace::child_of(pidns, creds.userns);
  }
  // clone3's set_tid: the pid to take in the child's namespace and in as
  // many of its ancestors as given, innermost first; checked level by level
  // as kernel/pid.c:alloc_pid() does.
  if (!set_tid.empty()) {
    if (set_tid.size() > size_t(pidns->level) + 1) return -kEINVAL;
    const PidNamespace* ns = pidns.get();
    for (uint32_t want : set_tid) {
      if (int32_t(want) < 1 || want >= kPidMax) return -kEINVAL;
      // Only init can be first in a namespace that has none yet.
      if (want != 1 && ns->level > 0 && ns->init == 0) return -kEINVAL;
      if (!creds.capable_in(ns->owner.get())) return -kEPERM;  // CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN
      if (k.pid_in_use(*ns, want)) return -kEEXIST;
      ns = ns->parent.get();
    }
  }

  auto child = std::make_unique<Task>();
  Task& c = *child;
  c.tid = set_tid.size() == size_t(pidns->level) + 1 ? set_tid.back() : k.alloc_tid();
  // A thread joins the caller's group and shares its parent; a new process
  // is the caller's child (or its parent's, with CLONE_PARENT).
  c.tgid = thread ? parent.tgid : c.tid;
  c.ppid = (thread || (flags & kCLONE_PARENT)) ? parent.ppid : parent.tgid;
  c.parent_thread = (thread || (flags & kCLONE_PARENT)) ? parent.parent_thread : parent.tid;
  c.pgid = parent.pgid;
  c.sid = parent.sid;
  c.exit_signal_to_parent = thread ? -1 : exit_signal;
  c.fs = (flags & kCLONE_FS) ? parent.fs : std::make_shared<FsContext>(*parent.fs);
  c.fds = (flags & kCLONE_FILES) ? parent.fds : std::make_shared<FdTable>(*parent.fds);
  c.sighand = (flags & kCLONE_SIGHAND) ? parent.sighand : std::make_shared<SignalHandlers>(*parent.sighand);
  constexpr uint64_t kCLONE_CLEAR_SIGHAND = 0x100000000ULL;  // clone3 only
  if (flags & kCLONE_CLEAR_SIGHAND) reset_handlers(*c.sighand);
  c.sigmask = parent.sigmask;
  c.creds = creds;
  c.uts = (flags & kCLONE_NEWUTS) ? parent.uts->copy_for(creds.userns) : parent.uts;
  c.ipc_ns = (flags & kCLONE_NEWIPC) ? k.new_namespace() : parent.ipc_ns;
  c.net_ns = (flags & kCLONE_NEWNET) ? k.new_namespace() : parent.net_ns;
  c.pidns = pidns;
  k.attach_pid(c.pidns, c.tid, set_tid);
  // sigaltstack(2): inherited by fork, cleared when sharing the address space.
  if (!(flags & kCLONE_VM) || (flags & kCLONE_VFORK)) c.altstack = parent.altstack;
  // rseq_fork(): a new process keeps the registration; a new thread makes its own.
  if (!(flags & kCLONE_VM)) c.rseq = parent.rseq;
  c.rlimits = k.task(parent.tgid)->rlimits;  // a process's limits live on its leader
  c.comm = parent.comm;
  c.nice = parent.nice;  // a child has its parent's nice value and policy
  c.sched_policy = parent.sched_policy;
  c.affinity = parent.affinity;
  c.exe = parent.exe;

  cpu::Engine& pe = parent.mm->engine();
  uint64_t after_syscall = pe.reg(cpu::Reg::rip) + 2;  // RIP is the `syscall` itself here
  cpu::Context pctx = pe.save();
  if (flags & kCLONE_VM) {
    c.mm = parent.mm;
    if (stack) c.mm->mark_thread_stack(stack - 1);
    // The child's registers: the parent's, with RAX 0 and the new stack/TLS.
    pe.set_reg(cpu::Reg::rax, 0);
    if (stack) pe.set_reg(cpu::Reg::rsp, stack);
    if (flags & kCLONE_SETTLS) pe.set_reg(cpu::Reg::fs_base, tls);
    c.ctx = pe.save();
    pe.restore(pctx);
  } else {
    c.mm = parent.mm->fork();
    k.adopt_engine(*c.mm);
    cpu::Engine& ce = c.mm->engine();
    ce.restore(pctx);
    ce.set_reg(cpu::Reg::rax, 0);
    if (stack) ce.set_reg(cpu::Reg::rsp, stack);
    if (flags & kCLONE_SETTLS) ce.set_reg(cpu::Reg::fs_base, tls);
    c.mm->active_tid = c.tid;
  }
  c.resume_rip = after_syscall;
  if (flags & kCLONE_CHILD_SETTID) {
    int32_t v = int32_t(Kernel::vpid(*c.pidns, c.tid));
    if (!c.mm->write(UserPtr(child_tid), v)) { /* Linux ignores the fault here */ }
  }
  if (flags & kCLONE_CHILD_CLEARTID) c.clear_child_tid = child_tid;
  if (flags & kCLONE_PARENT_SETTID) {
    int32_t v = int32_t(k.vpid(c.tid));
    k.mm().write(UserPtr(parent_tid), v);
  }
  uint32_t ctid = c.tid;
  if (flags & kCLONE_PIDFD) {
    // A close-on-exec pidfd for the child, written where the caller asked.
    auto f = std::make_shared<PidFd>(k.vfs().make_anon_node(InodeKind::kRegular, 0600), ctid, kO_RDWR);
    f->path = "anon_inode:[pidfd]";
    int fd = k.current().fds->alloc(f, true);
    if (fd < 0) return fd;
    int32_t v = fd;
    if (!k.mm().write(UserPtr(pidfd_ptr), v)) {
      k.current().fds->close(fd);
      return -kEFAULT;
    }
  }
  // Children belong to the thread group (kept on its leader).
  if (!thread)
    if (Task* p = k.task(c.ppid)) k.task(p->tgid)->children.push_back(ctid);
  c.cmdline = parent.cmdline;
  if (flags & kCLONE_VFORK) c.vfork_parent = parent.tid;
  k.add_task(std::move(child));
  if (flags & kCLONE_VFORK) {
    // The parent sleeps in a (killable) vfork stop until the child execs or exits.
    Task* pp = &parent;
    pp->vfork_child = ctid;
    int64_t shown = k.vpid(ctid);
    return k.block("vfork stop", [pp, ctid, shown]() -> int64_t { return pp->vfork_child == ctid ? kBlocked : shown; });
  }
  return k.vpid(ctid);  // the child's pid in the parent's namespace
}

int64_t sys_clone(Kernel& k, const uint64_t* a) {
  // x86-64 argument order: flags, stack, parent_tid, child_tid, tls.
  // Legacy clone returns a CLONE_PIDFD through the parent_tid pointer.
  return do_clone(k, a[0], a[1], a[2], a[3], a[4], a[2]);
}
int64_t sys_fork(Kernel& k, const uint64_t*) { return do_clone(k, kSIGCHLD, 0, 0, 0, 0, 0); }
int64_t sys_vfork(Kernel& k, const uint64_t*) {
  return do_clone(k, kCLONE_VM | kCLONE_VFORK | kSIGCHLD, 0, 0, 0, 0, 0);
}

// clone3(2): struct clone_args, in its 64/80/88-byte versions.
int64_t sys_clone3(Kernel& k, const uint64_t* a) {
  uint64_t size = a[1];
  constexpr uint64_t kVer0 = 64, kLatest = 88;
  if (size < kVer0) return -kEINVAL;
  if (size > cpu::kPageSize) return -kE2BIG;
  uint64_t args[16] = {};
  if (!k.mm().copy_in(UserPtr(a[0]), args, std::min(size, uint64_t(sizeof args)))) return -kEFAULT;
  if (size > kLatest) {
    // Bytes this kernel does not know must be zero (kernel/fork.c).
    std::vector<uint8_t> rest(size - kLatest);
    if (!k.mm().copy_in(UserPtr(a[0] + kLatest), rest.data(), rest.size())) return -kEFAULT;
    for (uint8_t b : rest)
      if (b) return -kE2BIG;
  }
  uint64_t flags = args[0], pidfd = args[1], child_tid = args[2], parent_tid = args[3];
  uint64_t exit_signal = args[4], stack = args[5], stack_size = args[6], tls = args[7];
  uint64_t set_tid = args[8], set_tid_size = args[9];
  // kernel/fork.c: copy_clone_args_from_user(), then clone3_args_valid().
  if (set_tid_size > 32 || (set_tid == 0) != (set_tid_size == 0)) return -kEINVAL;  // MAX_PID_NS_LEVEL
  if (exit_signal > uint64_t(kNSIG)) return -kEINVAL;
  constexpr uint64_t kCLONE_CLEAR_SIGHAND = 0x100000000ULL, kCLONE_INTO_CGROUP = 0x200000000ULL;
  if ((flags & kCLONE_INTO_CGROUP) && (args[10] > 0x7fffffff || size < kLatest)) return -kEINVAL;
  std::vector<uint32_t> tids(set_tid_size);
  if (set_tid_size && !k.mm().copy_in(UserPtr(set_tid), tids.data(), tids.size() * sizeof(uint32_t)))
    return -kEFAULT;
  if (flags & ~(0xffffffffULL | kCLONE_CLEAR_SIGHAND | kCLONE_INTO_CGROUP)) return -kEINVAL;
  // CSIGNAL goes in exit_signal; CLONE_DETACHED is gone. (0x80 is CLONE_NEWTIME here.)
  if (flags & (kCLONE_DETACHED | 0x7f)) return -kEINVAL;
  if ((flags & kCLONE_CLEAR_SIGHAND) && (flags & kCLONE_SIGHAND)) return -kEINVAL;
  if ((flags & (kCLONE_THREAD | kCLONE_PARENT)) && exit_signal) return -kEINVAL;
  if ((stack == 0) != (stack_size == 0)) return -kEINVAL;
  if (flags & 0x80) return k.unsupported(435, "clone3 with CLONE_NEWTIME");
  if (flags & kCLONE_INTO_CGROUP) return k.unsupported(435, "clone3 with CLONE_INTO_CGROUP");
  return do_clone(k, flags | exit_signal, stack ? stack + stack_size : 0, parent_tid, child_tid, tls, pidfd, tids);
}

}  // namespace

void register_clone_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_clone(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
