#include "kernel/kernel.h"
#include "kernel/permission.h"
#include "kernel/rseq.h"

#include "kernel/socket.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernel/syscalls.h"
#include "trace/sha256.h"

namespace kernel {

using namespace abi;

namespace {
constexpr int kMaxCpuIds = 8192;  // CONFIG_NR_CPUS of Debian's kernels
}  // namespace

const char* to_string(ExitState s) {
  switch (s) {
    case ExitState::kNone: return "none";
    case ExitState::kInitiated: return "initiated";
    case ExitState::kZombie: return "zombie";
    case ExitState::kDead: return "dead";
  }
  return "?";
}


Kernel::Kernel(const Config& cfg, Io& io) : cfg_(cfg), io_(io), rng_(cfg.seed) {
  memory_ = std::make_shared<MemoryBudget>(cfg.memory_bytes);
  tmpfs_ = std::make_shared<FileSpace>(memory_, cfg.memory_bytes / 2);
  vfs_ = std::make_unique<Vfs>(io_, [this] { return realtime_ns(); }, tmpfs_);
  // Walks on behalf of a task need search permission on every directory.
  vfs_->set_search_check([this](const Inode& dir) {
    return current_ ? int(-inode_permission(current_->creds, dir, kMayExec)) : 0;
  });
  if (!cfg.input.empty() && cfg.input != "-") vfs_->watch_host_path(cfg.input, [this] { touch_input(); });
}

void Kernel::touch_input() {
  if (std::exchange(input_touched_, true)) return;
  end_slice_ = true;
  io_.input_touched();
}

Kernel::~Kernel() = default;

std::shared_ptr<Network> Kernel::network() {
  if (!network_) network_ = std::make_shared<Network>();
  return network_;
}

void Kernel::random_bytes(char* out, size_t n) {
  while (n > 0) {
    uint64_t result = rng_.next();
    size_t take = n < 8 ? n : 8;
    std::memcpy(out, &result, take);
    out += take;
    n -= take;
  }
}

uint64_t Kernel::ticks() const {
  if (!slice_mm_) return retired_ticks_;
  return retired_ticks_ + (slice_mm_->engine().ticks() - slice_start_);
}

uint64_t Kernel::task_ticks(const Task& t) const {
  uint64_t n = t.ticks_run;
  if (&t == current_ && slice_mm_) n += slice_mm_->engine().ticks() - slice_start_;
  return n;
}

int Kernel::live_threads(uint32_t tgid) const {
  int n = 0;
  for (const auto& [tid, t] : tasks_)
    if (t->tgid == tgid && t->run_state != RunState::kExited) ++n;
  return n;
}

uint64_t Kernel::group_ticks(uint32_t tgid) const {
  uint64_t n = 0;
  for (const auto& [tid, t] : tasks_)
    if (t->tgid == tgid) n += task_ticks(*t) + (tid == tgid ? t->gone_thread_ticks : 0);
  return n;
}

void Kernel::release_dead_tasks() {
  for (auto it = tasks_.begin(); it != tasks_.end();) it = release_task(it);
}

std::map<uint32_t, std::unique_ptr<Task>>::iterator Kernel::release_task(
    std::map<uint32_t, std::unique_ptr<Task>>::iterator it) {
  Task& t = *it->second;
  if (t.exit_state != ExitState::kDead || &t == current_ || t.tid == init_tid_) return std::next(it);
  if (t.tid != t.tgid)
    if (Task* leader = task(t.tgid); leader && leader->exit_state != ExitState::kDead)
      leader->gone_thread_ticks += t.ticks_run;
  return tasks_.erase(it);
}

void Kernel::add_task(std::unique_ptr<Task> t) {
  uint32_t tid = t->tid;
  // set_tid may choose the number of a dead task not yet released.
  if (auto it = tasks_.find(tid); it != tasks_.end()) release_task(it);
  tasks_[tid] = std::move(t);
}

int64_t Kernel::monotonic_ns() const {
  return kBootMonotonicNs + int64_t(ticks() * cfg_.ns_per_tick) + sleep_ns_;
}

int64_t Kernel::realtime_ns() const {
  return kBootRealtimeSec * 1000000000LL + int64_t(ticks() * cfg_.ns_per_tick) + sleep_ns_;
}

LoadError Kernel::start() {
  vfs_->set_current_tid(0, 0);
  // A program inside the host's root is read from the host as Ditto was
  // given it (it may lie in /tmp, which is the guest's own).
  if (!cfg_.root_dir.empty() && cfg_.root_dir != "/") return start_in_root_view();
  HostFile prog = io_.host_file(cfg_.program_path, 0, 0);
  if (prog.err != 0 || prog.kind == HostFileKind::kMissing)
    return {prog.err == kENOENT || prog.kind == HostFileKind::kMissing ? 127 : 126,
            std::string(std::strerror(prog.err ? prog.err : kENOENT))};
  if (prog.kind == HostFileKind::kDirectory) return {126, "Is a directory"};
  if (prog.kind != HostFileKind::kRegular || !(prog.mode & 0111)) return {126, "Permission denied"};
  HostFile bytes = io_.host_contents(cfg_.program_path, 0, 0);
  if (bytes.err != 0) return {126, std::string(std::strerror(bytes.err))};
  prog.content = std::move(bytes.content);

  vfs_->add_program(cfg_.program_path, prog.mode, std::move(prog.content));
  return start_program();
}

// Another host directory is the guest's root: the program is found there,
// at the path it was named by (symlinks followed), as execve would find it.
LoadError Kernel::start_in_root_view() {
  make_world();
  vfs_->set_root_dir(cfg_.root_dir);
  Lookup l = vfs_->resolve("/", cfg_.program_path, true);
  if (l.err || !l.node) {
    int e = l.err ? l.err : kENOENT;
    return {e == kENOENT || e == kENOTDIR ? 127 : 126, std::string(std::strerror(e))};
  }
  if (l.node->is_dir()) return {126, "Is a directory"};
  if (l.node->kind != InodeKind::kRegular || !(l.node->perm & 0111)) return {126, "Permission denied"};
  if (int e = vfs_->load_contents(l.node)) return {126, std::string(std::strerror(e))};
  cfg_.program_path = l.path;
  return create_init_task(std::string(l.node->bytes()));
}

LoadError Kernel::start_program() {
  make_world();
  if (!cfg_.root_dir.empty()) vfs_->set_root_dir(cfg_.root_dir);
  return create_init_task(vfs_->resolve("/", cfg_.program_path, true).node->data);
}

// What the guest's file system holds of Ditto's own: the working directory's
// path, --mount's host directories and files, the program's symlinks, /sys.
void Kernel::make_world() {
  vfs_->resolve("/", cfg_.cwd, true);  // materialise nothing; cwd created below
  {
    // The guest starts in the same directory as Ditto: an in-memory copy of
    // its path (its host contents are visible only through --mount).
    InodeRef cur = vfs_->root();
    for (const std::string& c : split_path(cfg_.cwd)) {
      auto it = cur->children.find(c);
      if (it == cur->children.end()) {
        auto d = vfs_->make_node(InodeKind::kDirectory, 0755);
        d->implied = true;
        d->parent = cur;
        cur->children[c] = d;
        cur = d;
      } else {
        cur = it->second;
      }
    }
  }
  for (const auto& [host, guest] : cfg_.mounts) vfs_->add_mount(host, guest);
  for (const auto& [host, guest] : cfg_.file_mounts) vfs_->add_file_mount(host, guest);
  for (const auto& [path, target] : cfg_.program_links) vfs_->add_symlink(path, target);
  // The CPUs, as sysfs shows them (glibc's get_nprocs reads `online`, its
  // get_nprocs_conf counts the cpuN directories).
  std::string range = cfg_.cpus > 1 ? "0-" + std::to_string(cfg_.cpus - 1) + "\n" : "0\n";
  for (const char* f : {"online", "possible", "present"}) vfs_->add_file(std::string("/sys/devices/system/cpu/") + f, range);
  vfs_->add_file("/sys/devices/system/cpu/kernel_max", std::to_string(kMaxCpuIds - 1) + "\n");
  for (int c = 0; c < cfg_.cpus; ++c)
    vfs_->add_file("/sys/devices/system/cpu/cpu" + std::to_string(c) + "/online", "1\n");
  if (Lookup sys = vfs_->resolve("/", "/sys", true); sys.node) sys.node->perm = 0555;  // sysfs's root: dr-xr-xr-x
}

LoadError Kernel::create_init_task(const std::string& program_file) {
  // A "#!" script runs its interpreter, as execve would: argv becomes the
  // interpreter, its argument, the script's path, then argv[1..].
  std::string program = program_file, exe = cfg_.program_path, script = cfg_.execfn;
  std::vector<std::string> argv = cfg_.argv;
  for (int depth = 0; program.compare(0, 2, "#!") == 0; ++depth) {
    if (depth == 5) return {126, "too many levels of #! interpreters (ELOOP)"};
    std::string interp, arg;
    if (parse_shebang(program, interp, arg) < 0) return {126, "a #! line that names no interpreter (ENOEXEC)"};
    std::vector<std::string> args{interp};
    if (!arg.empty()) args.push_back(arg);
    args.push_back(script);
    args.insert(args.end(), argv.begin() + (argv.empty() ? 0 : 1), argv.end());
    argv = std::move(args);
    Lookup l = vfs_->resolve(cfg_.cwd, interp, true);
    if (l.err || !l.node) {
      int e = l.err ? l.err : kENOENT;
      std::string why = "its interpreter " + interp + ": " + std::strerror(e);
      if (cfg_.root_dir.empty()) why += " (a --hermetic world has only what --mount shows)";
      return {e == kENOENT ? 127 : 126, why};
    }
    if (l.node->kind != InodeKind::kRegular || !(l.node->perm & 0111))
      return {126, "its interpreter " + interp + ": Permission denied"};
    if (int e = vfs_->load_contents(l.node)) return {126, "its interpreter " + interp + ": " + std::strerror(e)};
    program = std::string(l.node->bytes());
    exe = l.path;
    script = interp;
  }
  auto t = std::make_unique<Task>();
  t->tid = t->tgid = next_tid_++;
  t->ppid = 1;  // a virtual init outside the guest
  t->mm = MemoryManager::create(engine_pool_, exe);
  t->mm->set_budget(memory_);
  t->fds = std::make_shared<FdTable>();
  t->fs = std::make_shared<FsContext>();
  t->fs->cwd = cfg_.cwd;
  t->fs->cwd_node = vfs_->resolve("/", cfg_.cwd, true).node;
  if (!t->fs->cwd_node) {  // a mounted host directory vanished since it was checked
    t->fs->cwd = "/";
    t->fs->cwd_node = vfs_->root();
  }
  t->sighand = std::make_shared<SignalHandlers>();
  t->uts = std::make_shared<UtsNamespace>();
  t->ipc_ns = std::make_shared<OpaqueNamespace>(OpaqueNamespace{1});
  t->net_ns = std::make_shared<OpaqueNamespace>(OpaqueNamespace{1});
  t->pidns = root_pidns_;
  for (auto& r : t->rlimits) r = {kRlimInfinity, kRlimInfinity};
  t->rlimits[kRLIMIT_STACK] = {MemoryManager::kStackSize, kRlimInfinity};
  t->rlimits[kRLIMIT_NOFILE] = {uint64_t(FdTable::kDefaultMaxFds), 4096};
  t->rlimits[kRLIMIT_CORE] = {0, kRlimInfinity};
  t->rlimits[kRLIMIT_NPROC] = {4096, 4096};
  t->rlimits[kRLIMIT_SIGPENDING] = {4096, 4096};
  t->rlimits[kRLIMIT_MEMLOCK] = {8ULL << 20, 8ULL << 20};
  t->rlimits[kRLIMIT_MSGQUEUE] = {819200, 819200};
  t->rlimits[kRLIMIT_NICE] = {0, 0};
  t->rlimits[kRLIMIT_RTPRIO] = {0, 0};
  auto stdio = [&](int fd, uint32_t flags) {
    auto n = vfs_->make_node(InodeKind::kFifo, 0600);
    n->host_stdio_fd = fd;
    auto f = std::make_shared<HostStdio>(n, fd, flags);
    f->path = "pipe:[" + std::to_string(n->ino) + "]";
    t->fds->install(fd, f, false);
  };
  stdio(0, kO_RDONLY);
  stdio(1, kO_WRONLY);
  stdio(2, kO_WRONLY);
  std::string base = cfg_.program_path.substr(cfg_.program_path.rfind('/') + 1);
  t->comm = base.substr(0, 15);
  vfs_->set_proc_generator([this](const InodeRef& dir, const std::string* only) { fill_proc(dir, only); });
  vfs_->set_current_pid(t->tgid);
  adopt_engine(*t->mm);

  t->pgid = t->sid = t->tgid;
  t->exe = exe;
  for (const std::string& a : argv) t->cmdline += a + std::string(1, '\0');
  Task& task = *t;
  tasks_[task.tid] = std::move(t);
  init_tid_ = task.tid;
  current_ = &task;
  ElfImage img;
  Interpreter interp;
  bool dynamic = parse_elf(program, img).empty() && !img.interp.empty();
  if (dynamic) {
    if (int e = open_interpreter(task.fs->cwd, img.interp, interp)) {
      current_ = nullptr;
      tasks_.clear();
      std::string why = "cannot run its dynamic linker " + img.interp + ": " + std::strerror(e);
      if (e == kENOENT && cfg_.root_dir.empty())
        why += " (a --hermetic world has none: --mount its directories, or link with -static)";
      return {e == kENOENT ? 127 : 126, why};
    }
  }
  LoadError err = load_program(task, program, argv, cfg_.env, cfg_.execfn, dynamic ? &interp : nullptr);
  task.mm->active_tid = task.tid;
  if (err.status) {
    current_ = nullptr;
    tasks_.clear();
  }
  return err;
}

uint32_t Kernel::vpid(const PidNamespace& ns, uint32_t global) {
  if (ns.level == 0) return global;
  auto it = ns.to_local.find(global);
  return it == ns.to_local.end() ? 0 : it->second;
}

uint32_t Kernel::gpid(const PidNamespace& ns, uint32_t local) {
  if (ns.level == 0) return local;
  auto it = ns.to_global.find(local);
  return it == ns.to_global.end() ? 0 : it->second;
}

uint32_t Kernel::alloc_tid() {
  while (pid_in_use(*root_pidns_, next_tid_)) ++next_tid_;
  return next_tid_++;
}

bool Kernel::pid_in_use(const PidNamespace& ns, uint32_t local) const {
  uint32_t global = local;
  if (ns.level > 0) {
    auto it = ns.to_global.find(local);
    if (it == ns.to_global.end()) return false;
    global = it->second;
  }
  if (auto it = tasks_.find(global); it != tasks_.end() && it->second->exit_state != ExitState::kDead) return true;
  for (const auto& [tid, t] : tasks_)
    if (t->run_state != RunState::kExited && (t->pgid == global || t->sid == global)) return true;
  return false;
}

void Kernel::attach_pid(const std::shared_ptr<PidNamespace>& ns, uint32_t tid, const std::vector<uint32_t>& wanted) {
  size_t i = 0;
  for (PidNamespace* n = ns.get(); n && n->level > 0; n = n->parent.get(), ++i) {
    uint32_t local;
    if (i < wanted.size()) {
      local = wanted[i];
    } else {
      while (pid_in_use(*n, n->next)) ++n->next;
      local = n->next++;
    }
    n->to_local[tid] = local;
    n->to_global[local] = tid;
    if (local == 1) n->init = tid;
  }
}

Task* Kernel::task(uint32_t tid) {
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : it->second.get();
}

// Attempts a blocked task's syscall again; true when it completed (its
// event is emitted now, its result reaches RAX when it next runs).
bool Kernel::try_wake(Task& t) {
  Task* saved = current_;
  current_ = &t;
  event_data_.clear();
  event_host_input_ = false;
  // The retry is held here while it runs: it may end the task (a write to a
  // pipe whose readers left raises SIGPIPE), which clears t.blocked.
  std::function<int64_t()> retry = std::move(t.blocked.retry);
  std::function<int64_t()> interrupted = std::move(t.blocked.interrupted);
  const cpu::SyscallRegs regs = t.blocked.regs;
  const std::string reason = t.blocked.reason;
  int64_t r;
  try {
    // The wait is retried first: a syscall that can complete does. A caught
    // signal interrupts what still blocks (signal(7)): the handler runs, then
    // the syscall fails with EINTR, or starts over with SA_RESTART (recorded
    // as -ERESTARTSYS = -512, as Linux shows it to tracers). A vfork stop is
    // only killable.
    r = retry();
    if (r == kBlocked && t.run_state != RunState::kExited && has_deliverable(t) && reason != "sigsuspend" &&
        reason != "vfork stop") {
      futex_forget(t.tid);
      int sig = next_deliverable(t);
      constexpr uint64_t kSA_RESTART = 0x10000000;
      // nanosleep, poll, select and epoll_wait fail with EINTR whatever
      // SA_RESTART says (signal(7)).
      bool restart = (t.sighand->actions[size_t(sig)].flags & kSA_RESTART) && reason != "nanosleep" &&
                     reason != "poll" && reason != "sigtimedwait" && reason != "select" &&
                     reason != "epoll_wait";
      if (restart) {
        t.resume_rip = regs.rip;  // the `syscall` instruction again
        r = -512;
      } else {
        r = interrupted ? interrupted() : -kEINTR;
      }
    }
  } catch (const std::exception& ex) {
    outcome_.detail = std::string("internal error in a blocked syscall: ") + ex.what();
    r = -kEIO;
  }
  if (t.run_state == RunState::kExited) {
    // The retry ended the task's process: the syscall's event, then the exit's.
    if (r != kBlocked) emit_syscall(regs, r);
    flush_exit_event();
    r = 0;  // not blocked any more, and not runnable either
  } else if (r != kBlocked) {
    t.run_state = RunState::kRunnable;
    t.has_pending_result = true;
    t.pending_result = r == -512 ? int64_t(regs.nr) : r;
    emit_syscall(regs, r);
    t.blocked = BlockedSyscall{};
    // A temporary mask (ppoll) goes back now unless a handler will restore it.
    if (t.restore_sigmask && !has_deliverable(t)) {
      t.sigmask = t.saved_sigmask;
      t.restore_sigmask = false;
    }
  } else if (!t.blocked.retry) {
    t.blocked.retry = std::move(retry);  // still waiting on the same thing
    t.blocked.interrupted = std::move(interrupted);
  }
  current_ = saved;
  return t.run_state == RunState::kRunnable;
}

// Every blocked syscall that can complete now does (tid order: its event
// is emitted here), then the tasks that can run are the runnable ones that
// are not in a job-control stop. Which of them runs is the scheduler's
// choice (sim/), not the kernel's.
std::vector<Task*> Kernel::runnable_tasks() {
  release_dead_tasks();
  std::vector<Task*> out;
  while (true) {
    if (io_.stop_requested() || !outcome_.detail.empty()) return out;
    run_timers();
    bool any_alive = false;
    int64_t next_timer = next_wall_deadline();
    for (auto& [tid, t] : tasks_) {
      if (t->run_state == RunState::kExited) continue;
      any_alive = true;
      if (group_stopped(*t)) continue;  // job-control stop: until SIGCONT
      if (t->run_state == RunState::kBlocked && !try_wake(*t)) {
        if (t->blocked.wake_at_ns >= 0 && (next_timer < 0 || t->blocked.wake_at_ns < next_timer))
          next_timer = t->blocked.wake_at_ns;
        continue;
      }
      if (t->run_state == RunState::kRunnable) out.push_back(t.get());
    }
    if (!out.empty()) return out;
    if (!any_alive) {
      outcome_.finished = true;
      return out;
    }
    if (next_timer >= 0) {
      // Everyone waits and a timer is due: virtual time jumps to it.
      int64_t now = monotonic_ns();
      if (next_timer > now) sleep_ns_ += next_timer - now;
      continue;
    }
    std::string who;
    for (auto& [tid, t] : tasks_) {
      if (t->run_state == RunState::kExited) continue;
      std::string what = group_stopped(*t) ? "stopped (SIGSTOP)" : "in " + t->blocked.reason;
      who += (who.empty() ? "" : "; ") + std::string("task ") + std::to_string(tid) + " " + what;
    }
    outcome_.deadlock = true;
    outcome_.finished = true;
    outcome_.detail = "every task is blocked forever: " + who;
    return out;
  }
}

// Gives the engine of t's address space t's registers (tasks sharing an
// address space take turns holding the engine's CPU state).
void Kernel::switch_engine_to(Task& t) {
  MemoryManager& mm = *t.mm;
  if (mm.active_tid == t.tid) return;
  if (Task* holder = task(mm.active_tid); holder && holder->mm.get() == &mm && holder->run_state != RunState::kExited)
    holder->ctx = mm.engine().save();
  if (t.ctx.valid()) mm.engine().restore(t.ctx);
  mm.active_tid = t.tid;
}

std::vector<uint64_t> Kernel::stack_return_addresses(Task& t, size_t max) {
  std::vector<uint64_t> out;
  MemoryManager& mm = *t.mm;
  uint64_t sp = mm.engine().reg(cpu::Reg::rsp);
  auto after_call = [&](uint64_t v) {
    const Vma* vma = mm.find(v);
    if (!vma || !(vma->prot & 4 /* PROT_EXEC */) || v < vma->start + 7) return false;
    uint8_t b[7];
    if (!mm.engine().read(v - 7, b, 7)) return false;
    // call rel32 (E8), or an indirect call FF /2 of 2, 3, 6 or 7 bytes.
    auto ff2 = [&](int len) { return b[7 - len] == 0xff && (b[8 - len] & 0x38) == 0x10; };
    return b[2] == 0xe8 || ff2(2) || ff2(3) || ff2(6) || ff2(7);
  };
  for (int i = 0; i < 1024 && out.size() < max; ++i, sp += 8) {
    uint64_t v;
    if (!mm.engine().read(sp, &v, 8)) break;
    if (after_call(v)) out.push_back(v);
  }
  return out;
}

void Kernel::adopt_engine(MemoryManager& mm) {
  mm.engine().set_trap_handler(this);
  if (engine_setup_) engine_setup_(mm);
}

int Kernel::live_processes() const {
  int n = 0;
  for (const auto& [tid, t] : tasks_)
    if (t->tid == t->tgid && t->run_state != RunState::kExited) ++n;
  return n;
}

void Kernel::apply_memory_rlimits(Task& t) {
  const auto& r = task(t.tgid)->rlimits;
  t.mm->set_rlimits(r[kRLIMIT_AS].cur, r[kRLIMIT_DATA].cur, r[kRLIMIT_DATA].max, r[kRLIMIT_STACK].cur);
}

void Kernel::begin_slice(Task& t) {
  // Only a live, runnable task with an address space can run: anything else
  // is a Ditto bug, which ends the run (exit 125), never the host process.
  if (t.run_state != RunState::kRunnable || !t.mm)
    throw std::logic_error("task " + std::to_string(t.tid) + " was scheduled but it is " +
                           (t.run_state == RunState::kExited ? "exited" : t.mm ? "blocked" : "without memory"));
  current_ = &t;
  switch_engine_to(t);
  if (t.has_pending_result) {
    t.mm->engine().set_reg(cpu::Reg::rax, uint64_t(t.pending_result));
    t.has_pending_result = false;
  }
  slice_mm_ = t.mm;
  slice_start_ = slice_mm_->engine().ticks();
  // A thread switched out inside its rseq critical section restarts it.
  if (t.rseq.area && last_sliced_tid_ != t.tid) rseq_fixup(*this, t, t.resume_rip);
  last_sliced_tid_ = t.tid;
  if (has_deliverable(t)) setup_signal_frame(t, t.resume_rip);
  resume_set_ = false;
  preempted_ = yielded_ = false;
  vfs_->set_current_tid(t.tid, ticks());
  vfs_->set_current_pid(t.tgid);
}

void Kernel::end_slice(Task& t, cpu::StopReason why) {
  cpu::Engine& e = slice_mm_->engine();
  if (why == cpu::StopReason::kFault && t.run_state != RunState::kExited) deliver_fault(t, e.fault());
  retired_ticks_ += e.ticks() - slice_start_;
  t.ticks_run += e.ticks() - slice_start_;
  if (t.run_state == RunState::kRunnable && !resume_set_) t.resume_rip = e.next_rip();
  slice_mm_.reset();
  resume_set_ = false;
}

// A fault of the running task becomes its signal, as the kernel's trap
// handlers make it (arch/x86/kernel/traps.c, arch/x86/mm/fault.c).
void Kernel::deliver_fault(Task& t, cpu::Fault f) {
  using cpu::FaultKind;
  constexpr int32_t kSEGV_MAPERR = 1, kSEGV_ACCERR = 2, kILL_ILLOPN = 2, kFPE_INTDIV = 1, kSI_KERNEL = 0x80;
  bool write = f.kind == FaultKind::kWriteUnmapped || f.kind == FaultKind::kWriteProt;
  bool fetch = f.kind == FaultKind::kFetchUnmapped || f.kind == FaultKind::kFetchProt;
  bool present = f.kind == FaultKind::kReadProt || f.kind == FaultKind::kWriteProt || f.kind == FaultKind::kFetchProt;
  bool page_fault = write || fetch || present || f.kind == FaultKind::kReadUnmapped;
  bool in_vma = t.mm->find(f.addr) != nullptr;
  // Inaccessible memory is not mapped in the engine (cpu::Engine::map_host):
  // a fault there is a protection fault, as Linux sees it.
  if (in_vma) {
    if (f.kind == FaultKind::kReadUnmapped) f.kind = FaultKind::kReadProt;
    if (f.kind == FaultKind::kWriteUnmapped) f.kind = FaultKind::kWriteProt;
    if (f.kind == FaultKind::kFetchUnmapped) f.kind = FaultKind::kFetchProt;
  }
  SigInfo info{kSIGSEGV, kSI_KERNEL, 0, 0};
  TrapState trap{f.vector, 0, t.trap.cr2};
  if (page_fault) {
    info.code = in_vma ? kSEGV_ACCERR : kSEGV_MAPERR;
    info.addr = f.addr;
    // The page-fault error code: present, write, user, instruction fetch.
    trap = TrapState{14, (present ? 1u : 0u) | (write ? 2u : 0u) | 4u | (fetch ? 0x10u : 0u), f.addr};
  } else if (f.kind == FaultKind::kInvalidOpcode) {
    info = SigInfo{kSIGILL, kILL_ILLOPN, 0, 0, f.rip};
    trap.trapno = 6;
  } else if (f.kind == FaultKind::kDivideError) {
    info = SigInfo{kSIGFPE, kFPE_INTDIV, 0, 0, f.rip};
    trap.trapno = 0;
  } else if (f.kind == FaultKind::kBreakpoint) {
    info = SigInfo{kSIGTRAP, kSI_KERNEL, 0, 0};
    trap.trapno = 3;
  } else {
    trap.trapno = 13;  // #GP: privileged instruction, in/out, hlt
  }
  trace::Event ev;
  ev.kind = trace::EventKind::kFault;
  ev.tid = t.tid;
  ev.tick = ticks();
  ev.signal = info.signo;
  ev.fault_kind = cpu::to_string(f.kind);
  ev.addr = f.addr;
  ev.rip = f.rip;
  io_.emit(std::move(ev));
  if (force_fault_signal(t, info, trap)) {
    set_resume(t, f.rip);  // the handler's frame returns to the faulting instruction
    return;
  }
  if (t.tgid == init_tid_) outcome_.fault = f;
  flush_exit_event();
}

// Exit events follow the event of whatever caused them (the exit_group
// syscall, a fatal signal, a fault).
void Kernel::flush_exit_event() {
  for (trace::Event& ev : pending_exit_events_) {
    ev.tick = ticks();
    io_.emit(std::move(ev));
  }
  pending_exit_events_.clear();
}

void Kernel::exit_group(int code, int signal) { exit_process(*current_, code, signal, false); }

int64_t Kernel::block(std::string reason, std::function<int64_t()> retry, int64_t wake_at_ns) {
  Task& t = *current_;
  t.blocked.reason = std::move(reason);
  t.blocked.retry = std::move(retry);
  t.blocked.wake_at_ns = wake_at_ns;
  t.blocked.interrupted = nullptr;  // the caller may set its own after this
  return kBlocked;
}

void Kernel::on_syscall(const cpu::SyscallRegs& regs) {
  Task& t = *current_;
  cpu::Engine& engine = slice_mm_->engine();
  event_data_.clear();
  event_host_input_ = false;
  int64_t result;
  const uint32_t nr32 = uint32_t(regs.nr);
  bool first_clone = !cloned_ && (nr32 == 56 || nr32 == 57 || nr32 == 58 || nr32 == 435);
  if (first_clone) {
    cloned_ = true;
    // Everything up to here ran on one task: the same in every schedule.
    if (first_clone_hook_ && !std::exchange(first_clone_hook_, nullptr)()) {
      outcome_.detail = "the run was abandoned at its first clone";
      engine.request_stop();
      return;
    }
  }
  // Exceptions must not unwind through Unicorn's C frames: contain them here.
  try {
    // The number is the low 32 bits of RAX (arch/x86/entry/common.c:
    // do_syscall_64() takes an int).
    uint32_t nr = uint32_t(regs.nr);
    SyscallFn fn = nr < kMaxSyscall ? syscall_handler(nr) : nullptr;
    if (fn) {
      result = fn(*this, regs.args);
      if (result == kBlocked) {
        // Parked until its retry succeeds; the slice ends here, execution
        // resumes after the `syscall` instruction with the result in RAX.
        t.run_state = RunState::kBlocked;
        t.blocked.regs = regs;
        set_resume(t, regs.rip + 2);
        engine.request_stop();
        return;
      }
    } else {
      const char* name = trace::syscall_name(nr);
      result = unsupported(nr, *name ? name : "syscall " + std::to_string(regs.nr));
    }
  } catch (const std::bad_alloc&) {
    result = -kENOMEM;
  } catch (const std::exception& ex) {
    outcome_.detail = std::string("internal error in syscall handler: ") + ex.what();
    engine.request_stop();
    result = -kEIO;
  }
  // After exec, the task's registers live in its new engine (set by the loader).
  if (t.mm.get() == slice_mm_.get() && t.run_state != RunState::kExited) engine.set_reg(cpu::Reg::rax, uint64_t(result));
  emit_syscall(regs, result);
  flush_exit_event();
  // Signals are delivered on the way back to user mode.
  if (t.run_state == RunState::kRunnable && t.mm.get() == slice_mm_.get() && has_deliverable(t))
    setup_signal_frame(t, resume_set_ ? t.resume_rip : regs.rip + 2);
  // The first clone always ends the slice (whether a snapshot was taken at
  // it or not: the runs that are forked there and their replays agree).
  if (io_.stop_requested() || t.run_state != RunState::kRunnable || resume_set_ || group_stopped(t) ||
      first_clone || std::exchange(end_slice_, false)) {
    engine.request_stop();
  } else if (preemption_ && preemption_->preempt_after_syscall(t, uint32_t(regs.nr), regs.rip)) {
    preempted_ = true;
    engine.request_stop();
  }
}

void Kernel::emit_syscall(const cpu::SyscallRegs& regs, int64_t result) {
  trace::Event ev;
  ev.kind = trace::EventKind::kSyscall;
  ev.tid = current_->tid;
  ev.tick = ticks();
  ev.nr = uint32_t(regs.nr);
  ev.nargs = syscall_arity(ev.nr);
  std::memcpy(ev.args, regs.args, ev.nargs * sizeof(uint64_t));
  ev.result = result;
  ev.rip = regs.rip;
  ev.data = std::move(event_data_);
  event_data_.clear();
  ev.host_input = std::exchange(event_host_input_, false);
  // At the io level only what replay needs is kept: a syscall's effects
  // follow from the guest's own state, but for the bytes the host gave.
  if (cfg_.events == "io" && !ev.host_input) return;
  io_.emit(std::move(ev));
}

int64_t Kernel::unsupported(uint32_t nr, const std::string& what) {
  auto& slot = unsupported_[what];
  slot.first = nr;
  slot.second++;
  return -kENOSYS;
}

bool Kernel::on_unmapped_access(uint64_t addr) { return current_ && current_->mm->grow_stack(addr); }

uint64_t Kernel::on_timestamp() {
  // rdtsc reads the virtual clock: ticks scaled to a nominal 1 GHz TSC.
  return uint64_t(monotonic_ns());
}

void Kernel::emit_summary() {
  trace::Event ev;
  ev.kind = trace::EventKind::kSummary;
  Task* init = task(init_tid_);
  ev.tid = init_tid_;
  ev.tick = ticks();
  if (init && init->mm && io_.wants_digests(outcome_)) {
    cpu::Engine& e = init->mm->engine();
    if (init->mm->active_tid != init->tid && init->ctx.valid()) e.restore(init->ctx);
    cpu::Regs r = e.regs();
    trace::Sha256 rh;
    rh.update(r.gpr, sizeof r.gpr);
    ev.blob = rh.hex_digest();
    // Pages that are still all zero (most of the stack, untouched heap) are
    // left out: hashing them would cost more than the run itself.
    // Pages the host never gave the guest are not even looked at. Frozen
    // mappings (read-only private memory that can never change again: mostly
    // program text and rodata, the program file's bytes) count by place
    // only: hashing their bytes in every run cost more than short runs.
    trace::Sha256 mh;
    init->mm->visit_nonzero_pages(
        [&](uint64_t addr, const uint8_t* data) {
          mh.update(&addr, sizeof addr);
          mh.update(data, cpu::kPageSize);
        },
        [&](const Vma& v) {
          uint64_t range[3] = {v.start, v.end, v.prot};
          mh.update(range, sizeof range);
        });
    ev.target = mh.hex_digest();
  }
  for (const auto& [name, v] : unsupported_) ev.unsupported.push_back({v.first, name, v.second});
  io_.emit(std::move(ev));
}

const std::string& Kernel::cwd_path(bool* removed) {
  FsContext& fs = *current_->fs;
  uint64_t now = vfs_->layout_generation();
  if (fs.cwd_node->unlinked) {  // rmdir'd (it was empty: the cwd is that directory)
    fs.cwd_removed = true;
    fs.cwd_checked = now;
  } else if (fs.cwd_checked != now) {
    fs.cwd_checked = now;
    fs.cwd_removed = false;
    if (!vfs_->names(fs.cwd, fs.cwd_node)) {
      if (!vfs_->attached(fs.cwd_node)) fs.cwd_removed = true;
      else fs.cwd = vfs_->path_of(fs.cwd_node);  // renamed
    }
  }
  if (removed) *removed = fs.cwd_removed;
  return fs.cwd;
}

std::string Kernel::dirfd_path(int dirfd, int64_t* err) {
  *err = 0;
  if (dirfd == kAT_FDCWD) return cwd_path();
  auto f = current_->fds->get(dirfd);
  if (!f) {
    *err = -kEBADF;
    return "";
  }
  if (!f->inode() || !f->inode()->is_dir()) {
    *err = -kENOTDIR;
    return "";
  }
  return vfs_->path_of(f->inode());
}

}  // namespace kernel
