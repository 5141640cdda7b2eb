// The end of tasks and processes (kernel/exit.c): exit and exit_group's
// common path, exit states, exit notification to the parent (SIGCHLD or
// automatic reaping), reparenting, PR_SET_PDEATHSIG, the last thread out.
#include <algorithm>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

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
  bool dumped = core && task(t.tgid)->rlimits[kRLIMIT_CORE].cur >= cpu::kPageSize;
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
      send_group_signal(child->tgid, child->pdeath_signal, SigInfo{child->pdeath_signal, 0, int32_t(tgid), 0}, child);
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
    // Sent to the parent's process, its forking thread first (kernel/signal.c
    // do_notify_parent(): __group_send_sig_info to tsk->parent).
    Task* parent_thread = task(leader.parent_thread);
    send_group_signal(parent->tgid, leader.exit_signal_to_parent,
                      SigInfo{leader.exit_signal_to_parent, cld, int32_t(leader.tgid), signal ? signal : (code & 0xff)},
                      parent_thread);
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
        send_group_signal(o->tgid, o->pdeath_signal, SigInfo{o->pdeath_signal, 0, int32_t(t.tgid), 0}, o.get());
    }
  }
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

}  // namespace

void register_exit_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_exit(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
