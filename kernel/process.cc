// The process life cycle: fork/vfork/clone of processes, exit and exit
// notification, wait4, execve, kill with default actions, process groups and
// sessions. Rules follow Linux (kernel/fork.c, kernel/exit.c, fs/exec.c) as
// gVisor's task_clone.go/task_exit.go lay them out; threads (CLONE_THREAD)
// and signal handlers come with the next issues.
#include <algorithm>
#include <cstring>

#include "kernel/elf.h"
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

namespace {

// Caught signals back to the default action, ignored ones stay ignored; no
// flags or masks remain (kernel/signal.c:flush_signal_handlers(), for execve
// and CLONE_CLEAR_SIGHAND).
void reset_handlers(SignalHandlers& h) {
  for (auto& act : h.actions) act = KernelSigaction{act.handler == kSIG_IGN ? kSIG_IGN : 0, 0, 0, 0};
}

}  // namespace

void Kernel::release_vfork_parent(Task& t) {
  if (!t.vfork_parent) return;
  if (Task* p = task(t.vfork_parent)) p->vfork_child = 0;  // its retry sees it
  t.vfork_parent = 0;
}

// kernel/exit.c:do_exit() for every task of t's process, then the exit
// notification (exit_notify()): the parent gets a zombie to wait for, unless
// it ignores SIGCHLD (or set SA_NOCLDWAIT), or it is init, which reaps.
// A parent that ignores SIGCHLD or set SA_NOCLDWAIT never sees zombies: its
// children are reaped as they exit (wait(2), NOTES).
static bool reaps_automatically(const Task& parent) {
  const KernelSigaction& a = parent.sighand->actions[kSIGCHLD];
  constexpr uint64_t kSA_NOCLDWAIT = 2;
  return a.handler == kSIG_IGN || (a.flags & kSA_NOCLDWAIT);
}

void Kernel::exit_process(Task& t, int code, int signal, bool core) {
  if (t.run_state == RunState::kExited) return;
  if (signal && t.tgid == init_tid_ && &t == current_ && t.mm && t.mm->active_tid == t.tid) {
    outcome_.death_rip = t.mm->engine().reg(cpu::Reg::rip);
    outcome_.death_stack = stack_return_addresses(t);
  }
  uint32_t tgid = t.tgid;
  // The wait status says "core dumped" only when a core could be written:
  // an ELF core needs at least a page under RLIMIT_CORE (fs/binfmt_elf.c
  // min_coredump), and Debian's soft limit is 0. (Ditto writes no core
  // file; the group still stops as a dumping one does, below.)
  bool dumped = core && t.rlimits[kRLIMIT_CORE].cur >= cpu::kPageSize;
  std::vector<uint32_t> orphans;
  // The threads leave one by one, the one that caused the exit first.
  std::vector<Task*> group{&t};
  for (auto& [tid, o] : tasks_)
    if (o->tgid == tgid && o.get() != &t && o->run_state != RunState::kExited) group.push_back(o.get());
  for (Task* task : group) {
    uint32_t tid = task->tid;
    begin_exit(*task);
    exit_robust_list(*task);
    // CLONE_CHILD_CLEARTID while others still use the address space, unless
    // the group dumps core (kernel/fork.c:mm_release()); the last thread out
    // leaves its word alone.
    if (task->clear_child_tid && task->mm && !core && mm_users(*task->mm) > 1) {
      uint32_t zero = 0;
      if (task->mm->write(UserPtr(task->clear_child_tid), zero)) futex_wake(*task->mm, task->clear_child_tid, 1, ~0u);
    }
    retire(*task, ExitState::kZombie);
    task->exit_code = code & 0xff;
    task->exit_signal = signal;
    task->core_dumped = dumped;
    if (tid != init_tid_) task->mm.reset();
    orphans.insert(orphans.end(), task->children.begin(), task->children.end());
    task->children.clear();
  }
  // Orphans go to the nearest live ancestor that is a child subreaper, else
  // to init (the virtual pid 1), which reaps them (kernel/exit.c:
  // find_new_reaper()). A child that asked for PR_SET_PDEATHSIG gets it.
  // Both stay inside the PID namespace: its init reaps what no subreaper
  // in it takes (kernel/exit.c: find_child_reaper()).
  Task* reaper = nullptr;
  const PidNamespace& ns = *task(tgid)->pidns;
  for (Task* p = task(task(tgid)->ppid); p && vpid(ns, p->tid) != 0; p = task(p->ppid)) {
    Task* pl = task(p->tgid);
    if (pl && pl->run_state != RunState::kExited && pl->child_subreaper) {
      reaper = pl;
      break;
    }
    if (p->ppid == p->tid) break;
  }
  if (!reaper && ns.level > 0 && ns.init != tgid)
    if (Task* init = task(ns.init); init && init->run_state != RunState::kExited) reaper = init;
  Task* reaper_thread = reaper ? alive_thread(reaper->tgid) : nullptr;
  for (uint32_t c : orphans) {
    Task* child = task(c);
    if (!child) continue;
    child->ppid = reaper ? reaper->tgid : 1;
    for (auto& [tid, o] : tasks_)
      if (o->tgid == c) o->parent_thread = reaper_thread ? reaper_thread->tid : 0;
    if (reaper) reaper->children.push_back(c);
    if (child->pdeath_signal && child->run_state != RunState::kExited)
      send_signal(*child, child->pdeath_signal, SigInfo{child->pdeath_signal, 0, int32_t(tgid), 0});
    if (child->exit_state == ExitState::kZombie && child->tid == child->tgid && (!reaper || reaps_automatically(*reaper))) {
      advance_exit_state(*child, ExitState::kZombie, ExitState::kDead);
      if (reaper) std::erase(reaper->children, c);
    }
  }
  Task& leader = *task(tgid);
  // When the init of a PID namespace dies, every process in the namespace
  // (and below) is killed (kernel/pid_namespace.c:zap_pid_ns_processes()).
  if (is_ns_init(leader)) {
    const PidNamespace* dying = leader.pidns.get();
    for (auto& [tid, o] : tasks_) {
      if (o->tgid == tgid || o->run_state == RunState::kExited || o->tid != o->tgid) continue;
      bool inside = false;
      for (const PidNamespace* n = o->pidns.get(); n; n = n->parent.get())
        if (n == dying) inside = true;
      if (inside) exit_process(*o, 0, kSIGKILL, false);
    }
  }
  // The group's status is the last word: exit_group's code, the killing
  // signal, or the exit code of the last thread out.
  // (Every thread, the leader too, is a zombie or dead by now.)
  timers_.remove_group(tgid);
  leader.exit_code = code & 0xff;
  leader.exit_signal = signal;
  leader.core_dumped = dumped;
  Task* parent = task(leader.ppid);
  bool autoreap = !parent || parent->run_state == RunState::kExited || reaps_automatically(*parent);
  if (autoreap) {
    advance_exit_state(leader, ExitState::kZombie, ExitState::kDead);
    if (parent) std::erase(parent->children, leader.tid);
  }
  if (parent && parent->run_state != RunState::kExited && leader.exit_signal_to_parent > 0) {
    // The termination signal (SIGCHLD for fork children), CLD_* in si_code.
    int32_t cld = signal ? (core ? 3 : 2) : 1;
    send_signal(*parent, leader.exit_signal_to_parent,
                SigInfo{leader.exit_signal_to_parent, cld, int32_t(leader.tgid), signal ? signal : (code & 0xff)});
  }
  trace::Event ev;
  ev.kind = trace::EventKind::kExit;
  ev.tid = leader.tid;
  ev.status = signal ? -1 : (code & 0xff);
  ev.signal = signal;
  pending_exit_events_.push_back(std::move(ev));
  if (tgid == init_tid_) {
    outcome_.program = leader.exe;
    if (leader.mm) outcome_.load_bias = leader.mm->load_bias;
    outcome_.exit_code = code & 0xff;
    outcome_.signal = signal;
    outcome_.core = dumped;
  }
  if (&t == current_ && slice_mm_) slice_mm_->engine().request_stop();
}

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
  c.rlimits = parent.rlimits;
  c.comm = parent.comm;
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
    auto f = std::make_shared<PidFd>(k.vfs().make_node(InodeKind::kRegular, 0600), ctid, kO_RDWR);
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
  if (rusage_ptr) {
    // The child's CPU time (its threads and its own reaped children).
    uint64_t ns = (k.group_ticks(t.tgid) + t.child_ticks) * k.config().ns_per_tick;
    uint64_t ru[18] = {ns / 1000000000, (ns % 1000000000) / 1000};
    if (!k.mm().copy_out(UserPtr(rusage_ptr), ru, sizeof ru)) return -kEFAULT;
  }
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
int64_t do_waitid(Kernel& k, int64_t pid, uint64_t info_ptr, uint64_t options, uint64_t rusage_ptr) {
  WaitEvent ev = WaitEvent::kExited;
  int64_t c = find_waitable(k, pid, options, &ev);
  if (c < 0) return c;
  int32_t info[32] = {};  // siginfo_t: signo, errno, code, pad, pid, uid, status
  if (c == 0) {
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
  if (rusage_ptr) {
    uint64_t ru[18] = {};
    if (!k.mm().copy_out(UserPtr(rusage_ptr), ru, sizeof ru)) return -kEFAULT;
  }
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
  switch (idtype) {
    case 0: pid = -1; break;                              // P_ALL
    case 1: if (id <= 0) return -kEINVAL; pid = id; break;  // P_PID
    case 2: if (id < 0) return -kEINVAL; pid = id == 0 ? 0 : -id; break;  // P_PGID
    case 3: {  // P_PIDFD
      auto f = std::dynamic_pointer_cast<PidFd>(k.current().fds->get(int(id)));
      if (!f) return -kEBADF;
      pid = k.vpid(f->pid());
      if (pid == 0) return -kECHILD;
      break;
    }
    default: return -kEINVAL;
  }
  uint64_t info = a[2], rusage = a[4];
  return k.attempt_or_block("waitid", [&k, pid, info, options, rusage] { return do_waitid(k, pid, info, options, rusage); });
}

// Reads a NULL-terminated array of string pointers (execve's argv/envp).
int64_t read_string_array(Kernel& k, uint64_t ptr, std::vector<std::string>& out, uint64_t& total) {
  if (!ptr) return 0;  // Linux treats NULL as an empty array
  for (size_t i = 0;; ++i) {
    uint64_t p;
    if (!k.mm().read(UserPtr(ptr + i * 8), p)) return -kEFAULT;
    if (!p) return 0;
    std::string s;
    int64_t r = k.mm().read_cstring(UserPtr(p), 32 * 4096, s);  // MAX_ARG_STRLEN
    if (r == -kENAMETOOLONG) return -kE2BIG;
    if (r < 0) return r;
    total += s.size() + 1 + 8;
    if (total > MemoryManager::kStackSize / 4) return -kE2BIG;
    out.push_back(std::move(s));
  }
}

// The "#!" line of a script (fs/binfmt_script.c load_script()), read from the
// first BINPRM_BUF_SIZE (256) bytes: the interpreter and its optional single
// argument, or -ENOEXEC (no interpreter; a line that does not end within
// those bytes, unless what precedes the end is a complete interpreter name).
int64_t parse_shebang(std::string_view file, std::string& interp, std::string& arg) {
  constexpr size_t kBufSize = 256;
  std::string buf(file.substr(0, kBufSize));
  buf.resize(kBufSize, '\0');
  auto spacetab = [](char c) { return c == ' ' || c == '\t'; };
  auto terminator = [&](char c) { return spacetab(c) || c == '\0'; };
  size_t buf_end = kBufSize - 1;
  size_t end = buf.find('\n');
  if (end == std::string::npos || end > buf_end) {
    size_t first = 2;
    while (first < buf_end && spacetab(buf[first])) ++first;
    if (first == buf_end) return -kENOEXEC;  // nothing but spaces
    size_t t = first;
    while (t < buf_end && !terminator(buf[t])) ++t;
    if (t == buf_end) return -kENOEXEC;  // the interpreter's name may be cut short
    end = buf_end;
  }
  while (end > 2 && spacetab(buf[end - 1])) --end;
  size_t name = 2;
  while (name < end && spacetab(buf[name])) ++name;
  if (name >= end) return -kENOEXEC;
  size_t sep = name;
  while (sep < end && !terminator(buf[sep])) ++sep;
  interp = std::string(buf.c_str() + name, std::min(sep, end) - name);
  interp = interp.c_str();  // up to a NUL
  arg.clear();
  if (sep < end && buf[sep] != '\0') {
    size_t a = sep;
    while (a < end && spacetab(buf[a])) ++a;
    if (a < end) arg = std::string(buf.c_str() + a, end - a).c_str();
  }
  return 0;
}

// execve(2) and execveat(2): dirfd-relative paths, AT_EMPTY_PATH (the
// descriptor itself), AT_SYMLINK_NOFOLLOW (ELOOP on a final symlink), and
// "#!" scripts, which run their interpreter (up to 5 nested, then ELOOP:
// fs/exec.c exec_binprm()).
int64_t do_execveat(Kernel& k, int dirfd, uint64_t path_ptr, uint64_t argv_ptr, uint64_t envp_ptr, uint32_t flags) {
  if (flags & ~(kAT_EMPTY_PATH | kAT_SYMLINK_NOFOLLOW)) return -kEINVAL;
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path, flags & kAT_EMPTY_PATH); r < 0) return r;
  std::vector<std::string> argv, envp;
  uint64_t total = 0;
  if (int64_t r = read_string_array(k, argv_ptr, argv, total); r < 0) return r;
  if (int64_t r = read_string_array(k, envp_ptr, envp, total); r < 0) return r;
  // The name the new program is given (AT_EXECFN, its comm, a script's
  // argument): the path itself, or /dev/fd/N[/path] for a descriptor
  // (fs/exec.c alloc_bprm()). A script behind a close-on-exec descriptor
  // could not be opened by its interpreter: ENOENT.
  std::string filename = path;
  bool inaccessible = false;
  Lookup l;
  if (path.empty()) {
    FdEntry* e = k.current().fds->entry(dirfd);
    if (!e || !e->file) return -kEBADF;
    l.node = e->file->inode();
    l.path = e->file->path;
    filename = "/dev/fd/" + std::to_string(dirfd);
    inaccessible = e->cloexec;
  } else {
    if (dirfd != kAT_FDCWD && path[0] != '/') {
      FdEntry* e = k.current().fds->entry(dirfd);
      filename = "/dev/fd/" + std::to_string(dirfd) + "/" + path;
      inaccessible = e && e->cloexec;
    }
    int64_t err;
    l = lookup_at(k, dirfd, path, !(flags & kAT_SYMLINK_NOFOLLOW), &err);
    if (err) return err;
    if (!l.node) return -kENOENT;
    if (l.node->kind == InodeKind::kSymlink) return -kELOOP;
  }
  if (!l.node || l.node->kind != InodeKind::kRegular || !(l.node->perm & 0111)) return -kEACCES;
  if (int e = k.vfs().load_contents(l.node)) return -e;
  std::string content(l.node->bytes());
  // Scripts: argv becomes interpreter, its argument, the script's name, then
  // argv[1..] (argv[0] is dropped).
  std::string script_name = filename;
  for (int depth = 0; content.compare(0, 2, "#!") == 0; ++depth) {
    if (depth == 5) return -kELOOP;
    std::string interp, arg;
    if (int64_t r = parse_shebang(content, interp, arg); r < 0) return r;
    if (inaccessible) return -kENOENT;
    std::vector<std::string> args{interp};
    if (!arg.empty()) args.push_back(arg);
    args.push_back(script_name);
    args.insert(args.end(), argv.begin() + (argv.empty() ? 0 : 1), argv.end());
    argv = std::move(args);
    int64_t err;
    l = lookup_at(k, kAT_FDCWD, interp, true, &err);
    if (err) return err;
    if (!l.node) return -kENOENT;
    if (l.node->kind != InodeKind::kRegular || !(l.node->perm & 0111)) return -kEACCES;
    if (int e = k.vfs().load_contents(l.node)) return -e;
    content = std::string(l.node->bytes());
    script_name = interp;
  }
  ElfImage img;
  bool dynamic = false;
  std::string why = parse_elf(content, img, &dynamic);
  if (dynamic) return k.unsupported(59, "execve of a dynamically linked program");
  if (!why.empty()) return -kENOEXEC;
  // The name is the last component of the path; for a descriptor, Linux
  // (since 6.14, bprm->comm_from_dentry) takes the name of the file that
  // runs, rather than "N".
  const std::string& named = path.empty() ? l.path : filename;
  std::string comm = named.substr(named.rfind('/') + 1);
  Task& t = k.current();
  k.de_thread(t);
  LoadError le = k.exec_image(t, l.path, filename, comm, content, argv, envp);
  if (le.status) {
    // Past the point of no return: Linux kills the process with SIGSEGV.
    k.exit_process(t, 0, kSIGSEGV, false);
  }
  return 0;
}

int64_t sys_execve(Kernel& k, const uint64_t* a) { return do_execveat(k, kAT_FDCWD, a[0], a[1], a[2], 0); }
int64_t sys_execveat(Kernel& k, const uint64_t* a) {
  return do_execveat(k, int(a[0]), a[1], a[2], a[3], uint32_t(a[4]));
}

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

int64_t sys_getpgrp(Kernel& k, const uint64_t*) { return k.vpid(k.current().pgid); }

int64_t sys_getpgid(Kernel& k, const uint64_t* a) {
  uint32_t pid = uint32_t(a[0]);
  Task* t = pid == 0 ? &k.current() : k.task(k.gpid(pid));
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  return k.vpid(t->pgid);
}

int64_t sys_getsid(Kernel& k, const uint64_t* a) {
  uint32_t pid = uint32_t(a[0]);
  Task* t = pid == 0 ? &k.current() : k.task(k.gpid(pid));
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  return k.vpid(t->sid);
}

int64_t sys_setsid(Kernel& k, const uint64_t*) {
  Task& self = k.current();
  // setsid(2): EPERM for a process group leader.
  for (auto& [tid, t] : k.tasks())
    if (t->run_state != RunState::kExited && t->pgid == self.tgid) return -kEPERM;
  self.sid = self.pgid = self.tgid;
  return k.vpid(self.sid);
}

int64_t sys_setpgid(Kernel& k, const uint64_t* a) {
  Task& self = k.current();
  int64_t pid = int32_t(a[0]), pgid = int32_t(a[1]);
  if (pgid < 0) return -kEINVAL;
  Task* t = pid == 0 ? &self : k.task(k.gpid(uint32_t(pid)));
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  if (t != &self && t->ppid != self.tgid) return -kESRCH;  // only itself or a child
  if (t->sid != self.sid) return -kEPERM;
  if (t->sid == t->tgid) return -kEPERM;  // a session leader cannot move
  uint32_t target = pgid == 0 ? t->tgid : k.gpid(uint32_t(pgid));
  if (!target) return -kEPERM;
  if (target != t->tgid) {
    bool exists = false;
    for (auto& [tid, o] : k.tasks())
      if (o->run_state != RunState::kExited && o->pgid == target && o->sid == self.sid) exists = true;
    if (!exists) return -kEPERM;
  }
  t->pgid = target;
  return 0;
}

}  // namespace

LoadError Kernel::exec_image(Task& t, const std::string& exe, const std::string& execfn, const std::string& comm,
                             const std::string& content,
                             const std::vector<std::string>& argv, const std::vector<std::string>& envp) {
  // fs/exec.c:begin_new_exec(): a fresh address space, close-on-exec
  // descriptors closed, caught signals back to default, no alternate stack,
  // POSIX timers deleted (itimers and alarm stay).
  std::shared_ptr<MemoryManager> old = t.mm;
  t.mm = MemoryManager::create(engine_pool_, exe);
  t.mm->set_budget(memory_);
  adopt_engine(*t.mm);
  t.mm->active_tid = t.tid;
  t.exe = exe;
  LoadError err = load_program(t, content, argv, envp, execfn);
  t.mm->settle();
  if (err.status) return err;
  auto fds = std::make_shared<FdTable>(*t.fds);
  for (size_t fd = 0; fd < fds->entries().size(); ++fd)
    if (fds->entries()[fd].cloexec) fds->close(int(fd));
  t.fds = fds;
  t.sighand = std::make_shared<SignalHandlers>(*t.sighand);
  reset_handlers(*t.sighand);
  // Capabilities are recomputed from the new ids: in a child user namespace
  // that maps no uid 0 nobody is root, so they are gone (capabilities(7)).
  if (t.creds.userns) t.creds.userns_caps = false;
  t.altstack = {0, kSS_DISABLE, 0, 0};
  timers_.remove_posix(t.tgid);
  t.clear_child_tid = 0;
  t.robust_list = 0;
  t.comm = comm.substr(0, 15);  // TASK_COMM_LEN - 1
  t.exe = exe;
  t.cmdline.clear();
  for (const std::string& a : argv) t.cmdline += a + std::string(1, '\0');
  release_vfork_parent(t);
  set_resume(t, t.resume_rip);
  if (old.get() == slice_mm_.get()) slice_mm_->engine().request_stop();
  return {};
}

namespace {

// exit(2) ends only the calling thread; the last one out ends the process
// with its status (kernel/exit.c: do_exit() without group_exit).
int64_t sys_exit(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  int code = int(a[0] & 0xff);
  if (k.live_threads(t.tgid) == 1) {  // only the caller
    k.exit_group(code, 0);
    return 0;
  }
  k.exit_thread(t, code);
  return 0;
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

// pidfd_open(2): a pidfd for a live thread-group leader.
int64_t sys_pidfd_open(Kernel& k, const uint64_t* a) {
  int64_t pid = int32_t(a[0]);
  if (a[1] & ~uint64_t(kO_NONBLOCK)) return -kEINVAL;
  if (pid <= 0) return -kEINVAL;
  Task* t = k.task(k.gpid(uint32_t(pid)));
  if (!t || t->exit_state == ExitState::kDead) return -kESRCH;
  if (t->tid != t->tgid) return -kENOENT;  // a thread, not a process (before PIDFD_THREAD)
  auto f = std::make_shared<PidFd>(k.vfs().make_node(InodeKind::kRegular, 0600), t->tgid,
                                   kO_RDWR | uint32_t(a[1] & kO_NONBLOCK));
  f->path = "anon_inode:[pidfd]";
  return k.current().fds->alloc(f, true);
}

int64_t sys_pidfd_send_signal(Kernel& k, const uint64_t* a) {
  auto f = std::dynamic_pointer_cast<PidFd>(k.current().fds->get(int(a[0])));
  if (!k.current().fds->get(int(a[0]))) return -kEBADF;
  if (!f) return -kEBADF;
  int sig = int(a[1]);
  if (a[3]) return -kEINVAL;  // flags
  if (a[2]) {
    // kernel/signal.c pidfd_send_signal(): the siginfo must name the same
    // signal, and only a process itself may forge kernel or kill() codes.
    SigInfo info;
    int32_t given = 0;
    if (int64_t r = read_guest_siginfo(k, a[2], sig, info, &given); r < 0) return r;
    if (given != sig) return -kEINVAL;
    if ((info.code >= 0 || info.code == -6) && f->pid() != k.current_tid()) return -kEPERM;
    if (sig < 0 || sig > kNSIG) return -kEINVAL;
    Task* t = k.task(f->pid());
    if (!t || t->exit_state == ExitState::kDead) return -kESRCH;
    if (!k.may_signal(*t, sig)) return -kEPERM;
    if (t->run_state == RunState::kExited && !k.alive_thread(t->tgid)) return 0;
    return k.send_group_signal(t->tgid, sig, info);
  }
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  return k.kill_process_by_pid(f->pid(), sig);
}

int64_t sys_sched_yield(Kernel& k, const uint64_t*) {
  k.yield();
  return 0;
}

}  // namespace

// Exit states move one way: None -> Initiated (the exit path has begun: no
// more guest code, no part in group stops; Linux's PF_EXITING) -> Zombie
// (resources released; a leader waits here to be reaped) -> Dead (reaped,
// or a thread that nobody waits for). Anything else is a Ditto bug.
void Kernel::advance_exit_state(Task& t, ExitState from, ExitState to) {
  if (t.exit_state != from)
    throw std::logic_error("task " + std::to_string(t.tid) + ": exit state " + to_string(t.exit_state) +
                           " where " + to_string(from) + " was expected (moving to " + to_string(to) + ")");
  t.exit_state = to;
}

void Kernel::begin_exit(Task& t) { advance_exit_state(t, ExitState::kNone, ExitState::kInitiated); }

// What every ending task gives up, whatever ends it: it stops being
// scheduled, leaves any wait (futex queues included), releases a vfork
// parent and drops its descriptors (closing pipes: readers see EOF).
void Kernel::retire(Task& t, ExitState state) {
  advance_exit_state(t, ExitState::kInitiated, state);
  t.run_state = RunState::kExited;
  t.blocked = BlockedSyscall{};
  futex_forget(t.tid);
  release_vfork_parent(t);
  t.fds.reset();
}

void Kernel::de_thread(Task& t) {
  std::vector<Task*> killed;
  for (auto& [tid, o] : tasks_) {
    if (o.get() == &t || o->tgid != t.tgid || o->run_state == RunState::kExited) continue;
    begin_exit(*o);
    retire(*o, o->tid == o->tgid ? ExitState::kZombie : ExitState::kDead);
    killed.push_back(o.get());
  }
  for (Task* o : killed) reparent_from_thread(*o);  // to t, the one left
  if (t.tid == t.tgid) return;
  Task& leader = *task(t.tgid);
  t.ppid = leader.ppid;
  t.pgid = leader.pgid;
  t.sid = leader.sid;
  t.children = std::move(leader.children);
  t.exit_signal_to_parent = leader.exit_signal_to_parent;
  t.child_subreaper = leader.child_subreaper;
  // The process's CPU time, and its children's, survive the exec.
  t.gone_thread_ticks += leader.ticks_run + leader.gone_thread_ticks;
  t.child_ticks += leader.child_ticks;
  t.shared_pending = leader.shared_pending;  // the process's pending signals stay
  t.shared_info = leader.shared_info;
  t.group_stopped = false;
  uint32_t old_tid = t.tid;
  auto self_node = tasks_.extract(old_tid);
  tasks_.erase(t.tgid);  // the old leader is gone for good
  t.tid = t.tgid;
  self_node.key() = t.tid;
  tasks_.insert(std::move(self_node));
  if (t.mm && t.mm->active_tid == old_tid) t.mm->active_tid = t.tid;
  for (auto& [tid, o] : tasks_)
    if (o->parent_thread == old_tid) o->parent_thread = t.tid;
}

int Kernel::mm_users(const MemoryManager& mm) const {
  int n = 0;
  for (const auto& [tid, o] : tasks_)
    if (o->mm.get() == &mm && o->run_state != RunState::kExited) ++n;
  return n;
}

void Kernel::exit_thread(Task& t, int code) {
  begin_exit(t);
  exit_robust_list(t);
  // CLONE_CHILD_CLEARTID: zero the word and wake one futex waiter on it
  // (kernel/fork.c:mm_release()); pthread_join waits on this.
  if (t.clear_child_tid && t.mm && mm_users(*t.mm) > 1) {
    uint32_t zero = 0;
    if (t.mm->write(UserPtr(t.clear_child_tid), zero)) futex_wake(*t.mm, t.clear_child_tid, 1, ~0u);
  }
  retire(t, t.tid == t.tgid ? ExitState::kZombie : ExitState::kDead);
  t.exit_code = code;
  reparent_from_thread(t);
  if (&t == current_ && slice_mm_) slice_mm_->engine().request_stop();
}

Task* Kernel::alive_thread(uint32_t tgid) {
  for (auto& [tid, o] : tasks_)
    if (o->tgid == tgid && o->run_state != RunState::kExited) return o.get();
  return nullptr;
}

// A thread exits while its group lives on: the processes it forked get
// another live thread of the group as parent, and those that asked for
// PR_SET_PDEATHSIG get their signal: it follows the parent *thread*
// (prctl(2); kernel/exit.c: forget_original_parent()).
void Kernel::reparent_from_thread(Task& t) {
  Task* heir = alive_thread(t.tgid);
  Task* leader = task(t.tgid);
  if (!heir || !leader) return;  // the process ends: exit_process reparents
  for (uint32_t c : leader->children) {
    for (auto& [tid, o] : tasks_) {
      if (o->tgid != c || o->parent_thread != t.tid) continue;
      o->parent_thread = heir->tid;
      if (o->pdeath_signal && o->run_state != RunState::kExited)
        send_signal(*o, o->pdeath_signal, SigInfo{o->pdeath_signal, 0, int32_t(t.tgid), 0});
    }
  }
}

namespace {

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

}  // namespace

void register_process_lifecycle_syscalls(SyscallFn* t) {
  t[157] = sys_prctl;
  t[24] = sys_sched_yield;
  t[424] = sys_pidfd_send_signal;
  t[434] = sys_pidfd_open;
  t[60] = sys_exit;
  t[435] = sys_clone3;
  t[56] = sys_clone;
  t[57] = sys_fork;
  t[58] = sys_vfork;
  t[59] = sys_execve;
  t[322] = sys_execveat;
  t[61] = sys_wait4;
  t[247] = sys_waitid;
  t[62] = sys_kill;
  t[109] = sys_setpgid;
  t[111] = sys_getpgrp;
  t[112] = sys_setsid;
  t[121] = sys_getpgid;
  t[124] = sys_getsid;
}

}  // namespace kernel
