#include "kernel/kernel.h"

#include <algorithm>
#include <cstring>

#include "kernel/syscalls.h"
#include "trace/sha256.h"

namespace kernel {

using namespace abi;

const char* to_string(ExitState s) {
  switch (s) {
    case ExitState::kNone: return "none";
    case ExitState::kInitiated: return "initiated";
    case ExitState::kZombie: return "zombie";
    case ExitState::kDead: return "dead";
  }
  return "?";
}

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Kernel::Kernel(const Config& cfg, Io& io) : cfg_(cfg), io_(io) {
  uint64_t s = cfg_.seed;
  for (auto& w : rng_) w = splitmix64(s);
  vfs_ = std::make_unique<Vfs>(io_, [this] { return realtime_ns(); });
}

Kernel::~Kernel() = default;

void Kernel::random_bytes(char* out, size_t n) {
  // xoshiro256** seeded from the run seed through splitmix64.
  while (n > 0) {
    uint64_t result = rotl(rng_[1] * 5, 7) * 9;
    uint64_t t = rng_[1] << 17;
    rng_[2] ^= rng_[0];
    rng_[3] ^= rng_[1];
    rng_[1] ^= rng_[2];
    rng_[0] ^= rng_[3];
    rng_[2] ^= t;
    rng_[3] = rotl(rng_[3], 45);
    size_t take = n < 8 ? n : 8;
    std::memcpy(out, &result, take);
    out += take;
    n -= take;
  }
}

uint64_t Kernel::ticks() const {
  if (!current_) return retired_ticks_;
  return retired_ticks_ + (current_->mm->engine().ticks() - slice_start_);
}

int64_t Kernel::monotonic_ns() const {
  return kBootMonotonicNs + int64_t(ticks() * cfg_.ns_per_tick) + sleep_ns_;
}

int64_t Kernel::realtime_ns() const {
  return kBootRealtimeSec * 1000000000LL + int64_t(ticks() * cfg_.ns_per_tick) + sleep_ns_;
}

LoadError Kernel::start() {
  vfs_->set_current_tid(0, 0);
  HostFile prog = io_.host_file(cfg_.program_path, 0, 0);
  if (prog.err != 0 || prog.kind == HostFileKind::kMissing)
    return {prog.err == kENOENT || prog.kind == HostFileKind::kMissing ? 127 : 126,
            std::string(std::strerror(prog.err ? prog.err : kENOENT))};
  if (prog.kind == HostFileKind::kDirectory) return {126, "Is a directory"};
  if (prog.kind != HostFileKind::kRegular || !(prog.mode & 0111)) return {126, "Permission denied"};

  vfs_->add_program(cfg_.program_path, prog);
  vfs_->resolve("/", cfg_.cwd, true);  // materialise nothing; cwd created below
  {
    // The guest starts in the same directory as Ditto: an in-memory copy of
    // its path (its host contents are visible only through --mount).
    InodeRef cur = vfs_->root();
    for (const std::string& c : split_path(cfg_.cwd)) {
      auto it = cur->children.find(c);
      if (it == cur->children.end()) {
        auto d = vfs_->make_node(InodeKind::kDirectory, 0755);
        d->parent = cur;
        cur->children[c] = d;
        cur = d;
      } else {
        cur = it->second;
      }
    }
  }
  for (const auto& [host, guest] : cfg_.mounts) vfs_->add_mount(host, guest);

  auto t = std::make_unique<Task>();
  t->tid = t->tgid = next_tid_++;
  t->ppid = 1;  // a virtual init outside the guest
  t->mm = std::make_shared<MemoryManager>();
  t->fds = std::make_shared<FdTable>();
  t->fs = std::make_shared<FsContext>();
  t->fs->cwd = cfg_.cwd;
  t->sighand = std::make_shared<SignalHandlers>();
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
    auto f = std::make_shared<HostStdio>(n, fd, flags);
    f->path = "pipe:[" + std::to_string(n->ino) + "]";
    t->fds->install(fd, f, false);
  };
  stdio(0, kO_RDONLY);
  stdio(1, kO_WRONLY);
  stdio(2, kO_WRONLY);
  std::string base = cfg_.program_path.substr(cfg_.program_path.rfind('/') + 1);
  t->comm = base.substr(0, 15);
  vfs_->set_proc_pid(int(t->tgid), cfg_.program_path);
  t->mm->engine().set_trap_handler(this);

  Task& task = *t;
  tasks_[task.tid] = std::move(t);
  current_ = &task;
  slice_start_ = 0;
  LoadError err = load_program(task, vfs_->resolve("/", cfg_.program_path, true).node->data);
  if (err.status) {
    current_ = nullptr;
    tasks_.clear();
  }
  return err;
}

Task* Kernel::runnable_task() {
  if (outcome_.finished || io_.stop_requested()) return nullptr;
  for (auto& [tid, t] : tasks_)
    if (t->exit_state == ExitState::kNone) return t.get();
  return nullptr;
}

void Kernel::begin_slice(Task& t) {
  current_ = &t;
  slice_start_ = t.mm->engine().ticks();
  vfs_->set_current_tid(t.tid, ticks());
}

void Kernel::end_slice(Task& t, cpu::StopReason why) {
  cpu::Engine& e = t.mm->engine();
  if (why == cpu::StopReason::kFault && t.exit_state == ExitState::kNone) {
    const cpu::Fault& f = e.fault();
    int sig = kSIGSEGV;
    switch (f.kind) {
      case cpu::FaultKind::kInvalidOpcode: sig = kSIGILL; break;
      case cpu::FaultKind::kDivideError: sig = kSIGFPE; break;
      case cpu::FaultKind::kBreakpoint: sig = kSIGTRAP; break;
      default: sig = kSIGSEGV; break;
    }
    trace::Event ev;
    ev.kind = trace::EventKind::kFault;
    ev.tid = t.tid;
    ev.tick = ticks();
    ev.signal = sig;
    ev.fault_kind = cpu::to_string(f.kind);
    ev.addr = f.addr;
    ev.rip = f.rip;
    io_.emit(std::move(ev));
    outcome_.fault = f;
    // Synchronous faults are fatal until signal delivery exists: the default
    // action of SIGSEGV/SIGILL/SIGFPE/SIGTRAP terminates with a core dump.
    kill_process(sig, true);
    flush_exit_event();
  }
  retired_ticks_ += e.ticks() - slice_start_;
  slice_start_ = e.ticks();
  if (t.exit_state == ExitState::kNone) t.resume_rip = e.next_rip();
}

void Kernel::kill_process(int sig, bool core) {
  exit_group(0, sig);
  outcome_.core = core;
}

// The exit event follows the event of whatever caused it (the exit_group
// syscall, a fatal signal, a fault).
void Kernel::flush_exit_event() {
  if (!exit_event_pending_) return;
  exit_event_pending_ = false;
  trace::Event ev;
  ev.kind = trace::EventKind::kExit;
  ev.tid = current_->tid;
  ev.tick = ticks();
  ev.status = outcome_.signal ? -1 : outcome_.exit_code;
  ev.signal = outcome_.signal;
  io_.emit(std::move(ev));
}

void Kernel::exit_group(int code, int signal) {
  Task& t = *current_;
  for (auto& [tid, task] : tasks_)
    if (task->tgid == t.tgid && task->exit_state == ExitState::kNone) {
      task->exit_state = ExitState::kZombie;
      task->exit_code = code & 0xff;
      task->exit_signal = signal;
    }
  exit_event_pending_ = true;
  outcome_.finished = true;
  outcome_.exit_code = code & 0xff;
  outcome_.signal = signal;
  t.mm->engine().request_stop();
}

int64_t Kernel::send_signal_to_self(int sig) {
  if (sig == 0) return 0;
  if (sig < 1 || sig > kNSIG) return -kEINVAL;
  const KernelSigaction& act = current_->sighand->actions[size_t(sig)];
  bool blocked = (current_->sigmask >> (sig - 1)) & 1;
  auto default_ignored = [](int s) {
    return s == kSIGCHLD || s == kSIGCONT || s == kSIGURG || s == kSIGWINCH;
  };
  if (sig != kSIGKILL && sig != kSIGSTOP) {
    if (act.handler == kSIG_IGN || (act.handler == kSIG_DFL && default_ignored(sig))) return 0;
    if (act.handler != kSIG_DFL || blocked) {
      // Handlers and pending sets belong to the signals issue: say so.
      return -kENOSYS;
    }
    if (sig == kSIGTSTP || sig == kSIGTTIN || sig == kSIGTTOU) return -kENOSYS;  // job control stop
  }
  if (sig == kSIGSTOP) return -kENOSYS;
  bool core = sig == kSIGQUIT || sig == kSIGILL || sig == kSIGTRAP || sig == kSIGABRT ||
              sig == kSIGBUS || sig == kSIGFPE || sig == kSIGSEGV || sig == kSIGXCPU ||
              sig == kSIGXFSZ || sig == kSIGSYS;
  kill_process(sig, core);
  return 0;
}

void Kernel::block_forever(const std::string& why) {
  outcome_.deadlock = true;
  outcome_.detail = "task " + std::to_string(current_->tid) + " blocked forever: " + why;
  outcome_.finished = true;
  current_->mm->engine().request_stop();
}

void Kernel::on_syscall(const cpu::SyscallRegs& regs) {
  Task& t = *current_;
  cpu::Engine& engine = t.mm->engine();
  event_data_.clear();
  int64_t result;
  // Exceptions must not unwind through Unicorn's C frames: contain them here.
  try {
    uint32_t nr = uint32_t(regs.nr);
    SyscallFn fn = regs.nr < kMaxSyscall ? syscall_handler(nr) : nullptr;
    if (fn) {
      result = fn(*this, regs.args);
    } else {
      const char* name = trace::syscall_name(nr);
      result = unsupported(nr, *name ? name : "syscall " + std::to_string(regs.nr));
    }
  } catch (const std::bad_alloc&) {
    result = -kENOMEM;
  } catch (const std::exception& ex) {
    outcome_.finished = true;
    outcome_.detail = std::string("internal error in syscall handler: ") + ex.what();
    engine.request_stop();
    result = -kEIO;
  }
  engine.set_reg(cpu::Reg::rax, uint64_t(result));
  emit_syscall(regs, result);
  flush_exit_event();
  if (io_.stop_requested()) engine.request_stop();
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
  io_.emit(std::move(ev));
}

int64_t Kernel::unsupported(uint32_t nr, const std::string& what) {
  auto& slot = unsupported_[what];
  slot.first = nr;
  slot.second++;
  return -kENOSYS;
}

uint64_t Kernel::on_timestamp() {
  // rdtsc reads the virtual clock: ticks scaled to a nominal 1 GHz TSC.
  return uint64_t(monotonic_ns());
}

void Kernel::emit_summary() {
  trace::Event ev;
  ev.kind = trace::EventKind::kSummary;
  ev.tid = current_ ? current_->tid : 0;
  ev.tick = ticks();
  if (current_) {
    cpu::Engine& e = current_->mm->engine();
    cpu::Regs r = e.regs();
    trace::Sha256 rh;
    rh.update(r.gpr, sizeof r.gpr);
    ev.blob = rh.hex_digest();
    // Pages that are still all zero (most of the stack, untouched heap) are
    // left out: hashing them would cost more than the run itself.
    trace::Sha256 mh;
    static const uint8_t zero[cpu::kPageSize] = {};
    e.hash_memory([&](uint64_t addr, const uint8_t* data, size_t len) {
      for (size_t off = 0; off < len; off += cpu::kPageSize) {
        size_t n = std::min<size_t>(cpu::kPageSize, len - off);
        if (std::memcmp(data + off, zero, n) == 0) continue;
        uint64_t a = addr + off;
        mh.update(&a, sizeof a);
        mh.update(data + off, n);
      }
    });
    ev.target = mh.hex_digest();
  }
  for (const auto& [name, v] : unsupported_) ev.unsupported.push_back({v.first, name, v.second});
  io_.emit(std::move(ev));
}

std::string Kernel::resolve_at_path(int dirfd, const std::string& path, int64_t* err) {
  *err = 0;
  if (!path.empty() && path[0] == '/') return current_->fs->cwd;  // unused base
  if (dirfd == kAT_FDCWD) return current_->fs->cwd;
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
