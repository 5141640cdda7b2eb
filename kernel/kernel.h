// kernel::Kernel — the model of Linux that services every guest syscall:
// tasks, memory, files, time and randomness, all deterministic. It never
// touches the host directly: everything from outside arrives through Io.
#pragma once

#include <array>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cpu/engine.h"
#include "kernel/abi.h"
#include "kernel/elf.h"
#include "kernel/fd.h"
#include "kernel/io.h"
#include "kernel/mm.h"
#include "kernel/random.h"
#include "kernel/timers.h"
#include "kernel/vfs.h"

namespace kernel {

// A task's progress through exit (gVisor's TaskExitState; Linux's
// exit_state): None -> Initiated -> Zombie -> Dead.
enum class ExitState : uint8_t { kNone, kInitiated, kZombie, kDead };
const char* to_string(ExitState s);

struct SignalHandlers {
  std::array<abi::KernelSigaction, abi::kNSIG + 1> actions{};
};

// A user namespace (user_namespaces(7)). Ids in Credentials are the
// kernel's (those of the initial namespace); a namespace shows them through
// its uid/gid maps. Maps cannot be written yet, so a child namespace maps
// nothing: every id reads there as the overflow id 65534, and no id can be
// set (EINVAL). Null stands for the initial namespace.
struct UserNamespace {
  std::shared_ptr<const UserNamespace> parent;
  int level = 1;
  uint32_t owner = 0, group = 0;  // euid and egid of its creator
};
constexpr uint32_t kOverflowId = 65534;  // /proc/sys/kernel/overflowuid

// Credentials (credentials(7)). The guest starts as root. In the initial
// user namespace a task has every capability while its effective uid is 0
// (the "root has every capability" rule) and none otherwise; a task that
// made a new user namespace has all of them in it until it execs (no id is
// root there while nothing is mapped).
struct Credentials {
  uint32_t uid = 0, euid = 0, suid = 0, fsuid = 0;
  uint32_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<uint32_t> groups;
  std::shared_ptr<const UserNamespace> userns;  // null: the initial one
  bool userns_caps = false;                      // (in a child namespace) all capabilities
  int level() const { return userns ? userns->level : 0; }
  // Capabilities in the task's own user namespace.
  bool capable() const { return userns ? userns_caps : euid == 0; }
  // Capabilities over what `target` owns (kernel/capability.c:ns_capable()):
  // those of our own namespace reach into its descendants, and the creator
  // of a namespace holds them all there.
  bool capable_in(const UserNamespace* target) const {
    for (const UserNamespace* ns = target;; ns = ns->parent.get()) {
      if (ns == userns.get()) return capable();
      if (!ns || ns->level <= level()) return false;
      if (ns->parent == userns && ns->owner == euid) return true;
    }
  }
  // An id as this task's user namespace shows it.
  uint32_t view(uint32_t kid) const { return userns ? kOverflowId : kid; }
};

// Namespaces modelled as identities: a UTS namespace holds the host and
// domain names; IPC and network namespaces have no contents yet.
// Puts `creds` in a new user namespace below theirs, with every capability
// there: 0, or -EUSERS / -EPERM (kernel/user_namespace.c:create_user_ns()).
int64_t enter_new_userns(Credentials& creds);
// Caught signals back to SIG_DFL, for execve and CLONE_CLEAR_SIGHAND (clone.cc).
void reset_handlers(SignalHandlers& h);

struct UtsNamespace {
  std::string hostname = "ditto";
  std::string domainname = "(none)";
  std::shared_ptr<const UserNamespace> owner;  // whose CAP_SYS_ADMIN may rename it
  // A new namespace with the same names, owned by `by` (CLONE_NEWUTS).
  std::shared_ptr<UtsNamespace> copy_for(std::shared_ptr<const UserNamespace> by) const {
    auto ns = std::make_shared<UtsNamespace>(*this);
    ns->owner = std::move(by);
    return ns;
  }
};
struct OpaqueNamespace {
  int id;
};

// A PID namespace (pid_namespaces(7)). Ditto's tids are the ids of the
// root namespace; a nested namespace numbers its tasks from 1 and maps them
// both ways. A task has an id in its own namespace and in every ancestor.
struct PidNamespace {
  std::shared_ptr<PidNamespace> parent;  // null for the root
  int level = 0;
  uint32_t next = 1;
  uint32_t init = 0;  // root-namespace tid of the namespace's init (local pid 1)
  std::shared_ptr<const UserNamespace> owner;  // for set_tid's capability check
  // A new namespace below `parent`, owned by `by` (CLONE_NEWPID).
  static std::shared_ptr<PidNamespace> child_of(std::shared_ptr<PidNamespace> parent,
                                                std::shared_ptr<const UserNamespace> by) {
    auto ns = std::make_shared<PidNamespace>();
    ns->level = parent->level + 1;
    ns->parent = std::move(parent);
    ns->owner = std::move(by);
    return ns;
  }
  std::map<uint32_t, uint32_t> to_local, to_global;
};

struct FsContext {
  // The working directory: Linux holds the directory itself, so renaming it
  // (or a directory above it) keeps it, and removing it leaves the process
  // in a dead directory. Set when the first task starts and by chdir and
  // fchdir, never null; `cwd` is its path, brought up to date by
  // Kernel::cwd_path().
  InodeRef cwd_node;
  std::string cwd = "/";
  uint32_t umask = 022;
  // The Vfs layout generation at which `cwd` was last known to name
  // cwd_node (and whether it had been removed then): no walk from / to
  // check it on every relative path while nothing was renamed or removed.
  static constexpr uint64_t kUnchecked = ~uint64_t(0);
  uint64_t cwd_checked = kUnchecked;
  bool cwd_removed = false;
  void set_cwd(InodeRef node, std::string path, uint64_t generation) {
    cwd_node = std::move(node);
    cwd = std::move(path);
    cwd_checked = generation;
    cwd_removed = false;
  }
};

// What a handler learns about a signal (the fields of siginfo_t Ditto fills).
// Which fields are meaningful follows from signo and code, as in Linux's
// siginfo_layout() (see kernel/siginfo.h).
struct SigInfo {
  int32_t signo = 0;
  int32_t code = 0;    // SI_USER 0, SI_TKILL -6, SI_KERNEL 0x80, CLD_*, SEGV_*, ...
  int32_t pid = 0;     // sender, or the child for SIGCHLD
  int32_t status = 0;  // SIGCHLD: exit code or signal
  uint64_t addr = 0;   // SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP: the faulting address
  uint64_t value = 0;  // si_value (SI_TIMER, SI_QUEUE and other user codes)
  int32_t timer_id = 0, overrun = 0;  // SI_TIMER
  int32_t uid = 0, errno_ = 0;
  bool pid_as_given = false;  // `pid` came from the guest (rt_sigqueueinfo): not a global tid
  // A siginfo_t the guest wrote: its union's bytes, handed on as they were.
  std::optional<std::array<uint8_t, 32>> given_union = std::nullopt;
};

// What the last hardware trap of a task left for its signal frames'
// sigcontext (Linux's thread.trap_nr, error_code and cr2).
struct TrapState {
  uint64_t trapno = 0, err = 0, cr2 = 0;
};

// Why a task is not running right now.
enum class RunState : uint8_t { kRunnable, kBlocked, kExited };

// A blocked syscall: `retry` is called (with the task current) until it
// returns something other than kBlocked; that is the syscall's result.
struct BlockedSyscall {
  std::string reason;                     // for deadlock reports
  std::function<int64_t()> retry;
  int64_t wake_at_ns = -1;                // a timer (monotonic), or -1
  cpu::SyscallRegs regs{};                // the syscall, for its event
  // When a signal interrupts it with EINTR: what the syscall leaves behind
  // and returns (nanosleep writes the time left); unset: -EINTR.
  std::function<int64_t()> interrupted;
};

class Kernel;
class Network;
// A siginfo_t the guest wrote at `ptr`, for signal `sig` (EFAULT when it
// cannot be read); `given_signo` receives its own si_signo.
int64_t read_guest_siginfo(Kernel& k, uint64_t ptr, int sig, SigInfo& info, int32_t* given_signo = nullptr);

struct Task {
  uint32_t tid = 0, tgid = 0, ppid = 0;
  uint32_t pgid = 0, sid = 0;
  RunState run_state = RunState::kRunnable;
  BlockedSyscall blocked;
  // A wait for a record lock (F_SETLKW): on which file, for what; read by
  // the deadlock check while the task is blocked.
  struct LockWait {
    InodeRef inode;
    RecordLock want;
  } lock_wait;
  bool has_pending_result = false;  // a woken syscall's result, for RAX
  int64_t pending_result = 0;
  cpu::Context ctx;                 // saved CPU state while another task holds the engine
  uint32_t vfork_parent = 0;        // (child) the parent stopped until this child execs or exits
  uint32_t vfork_child = 0;         // (parent) the child it waits for in a vfork stop
  bool core_dumped = false;
  bool futex_woken = false;
  uint64_t ticks_run = 0;       // CPU time of this task, in ticks (slices ended)
  uint64_t child_ticks = 0;     // (leader) CPU time of reaped children, RUSAGE_CHILDREN
  uint64_t gone_thread_ticks = 0;  // (leader) CPU time of the group's released threads
  int pdeath_signal = 0;        // PR_SET_PDEATHSIG
  // The thread that is this task's parent (Linux's real_parent): the one
  // that forked it, until it exits (see Kernel::reparent_from_thread).
  // Threads share their creator's. wait(__WNOTHREAD) looks only at children
  // whose parent thread is the caller. 0: the virtual init outside the guest.
  uint32_t parent_thread = 0;
  bool child_subreaper = false;  // PR_SET_CHILD_SUBREAPER (on the group leader)
  bool dumpable = true;
  // Job control, kept on the thread group leader: a group stop, and the
  // stop/continue not yet reported to a waiting parent.
  bool group_stopped = false;
  int stop_signal = 0;
  bool stop_report_pending = false;
  bool continue_report_pending = false;
  bool no_new_privs = false;
  std::string exe;                  // path of the running executable (/proc/PID/exe)
  std::string cmdline;              // argv, each NUL-terminated (/proc/PID/cmdline)
  int exit_signal_to_parent = 17;   // SIGCHLD for fork()
  std::vector<uint32_t> children;
  std::shared_ptr<MemoryManager> mm;
  std::shared_ptr<FdTable> fds;
  std::shared_ptr<FsContext> fs;
  std::shared_ptr<SignalHandlers> sighand;
  Credentials creds;
  int nice = 0;          // -20..19 (getpriority/setpriority); Ditto's scheduler ignores it
  int sched_policy = 0;  // SCHED_OTHER, SCHED_BATCH or SCHED_IDLE
  uint64_t affinity = ~uint64_t(0);  // sched_setaffinity(2), before masking with the online CPUs
  uint32_t membarrier_registrations = 0;  // the leader's: MEMBARRIER_CMD_REGISTER_* made
  std::shared_ptr<UtsNamespace> uts;
  std::shared_ptr<OpaqueNamespace> ipc_ns, net_ns;
  std::shared_ptr<PidNamespace> pidns;        // where this task's pid lives
  std::shared_ptr<PidNamespace> child_pidns;  // unshare(CLONE_NEWPID): for children
  uint64_t sigmask = 0;
  uint64_t sigpending = 0;  // generated while blocked; acted on when unblocked
  std::array<SigInfo, abi::kNSIG + 1> pending_info{};
  // (leader) Process-directed signals no thread could take yet.
  uint64_t shared_pending = 0;
  std::array<SigInfo, abi::kNSIG + 1> shared_info{};
  uint64_t sigwait_set = 0;  // what rt_sigtimedwait waits for, while it does
  TrapState trap;
  // FPU/SSE state of each interrupted context, restored by rt_sigreturn
  // (the guest's frame carries the general registers).
  std::vector<cpu::Context> signal_contexts;
  uint64_t saved_sigmask = 0;  // sigsuspend: the mask to restore after the handler
  bool restore_sigmask = false;
  abi::StackT altstack{0, abi::kSS_DISABLE, 0, 0};
  // Whether `sp` is on the alternate signal stack (include/linux/sched/
  // signal.h on_sig_stack(): above its base, at most its size above).
  bool on_altstack(uint64_t sp) const {
    return altstack.ss_size && sp > altstack.ss_sp && sp - altstack.ss_sp <= altstack.ss_size;
  }
  uint64_t clear_child_tid = 0;
  uint64_t robust_list = 0, robust_list_len = 0;
  // rseq(2): the registered struct rseq (0: none), its length and the
  // signature its abort handlers carry (kernel/rseq.h).
  struct Rseq {
    uint64_t area = 0;
    uint32_t len = 0, sig = 0;
  } rseq;
  ExitState exit_state = ExitState::kNone;
  int exit_code = 0;    // exit(2) status, when exit_signal == 0
  int exit_signal = 0;  // the signal that killed the task, or 0
  uint64_t resume_rip = 0;
  std::string comm;
  std::array<abi::Rlimit, abi::kRLIM_NLIMITS> rlimits{};
};

// A blocked syscall's sentinel result (never a valid return value).
constexpr int64_t kBlocked = -(1LL << 41);

// The immutable description of a run; it is the trace header's content.
struct Config {
  std::string program_path;  // absolute host path without symlinks; the guest sees the same
  // Symlinks on the path the program was named by (path, target), such as
  // /bin -> usr/bin for /bin/busybox: the guest sees them too.
  std::vector<std::pair<std::string, std::string>> program_links;
  std::string execfn;        // as the user typed it (AT_EXECFN)
  std::vector<std::string> argv, env;
  uint64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> mounts;  // host, guest
  std::vector<std::pair<std::string, std::string>> file_mounts;  // single host files: host, guest
  // The host directory the guest sees as "/", read-only, its writes kept in
  // memory over it (copy-on-write); "" for the hermetic world of Ditto's own.
  std::string root_dir;
  // A corpus run's input (sim/corpus.h): "-" for stdin, or the host path of
  // the file mount that shows it; "" when the run has none. The first time
  // the guest touches it (before anything of it is read) Io::input_touched()
  // is called and the slice ends after that syscall: a fork server takes its
  // snapshot there, and its runs and their replays agree on the slice.
  std::string input;
  // The recording level: "" (all events) or "io": of the syscalls only those
  // that brought bytes from the host, besides scheduling decisions, host
  // files and the outcome -- what replay needs, when per-event checking is
  // not wanted (a corpus of many runs).
  std::string events;
  std::string cwd = "/";
  uint64_t ns_per_tick = 1;
  // CPUs the guest sees (sched_getaffinity, /sys/devices/system/cpu,
  // /proc/cpuinfo, /proc/stat): the same on every host. Tasks still run one
  // at a time; thread pools size themselves by this.
  int cpus = kDefaultCpus;
  static constexpr int kDefaultCpus = 4;
  // The machine's memory (/proc/meminfo): all processes' committed memory
  // and the tmpfs files share it; tmpfs may hold half (ENOSPC past it).
  uint64_t memory_bytes = kDefaultMemory;
  static constexpr uint64_t kDefaultMemory = 8ULL << 30;
  static constexpr uint64_t kMinMemory = 64ULL << 20;
  static constexpr uint64_t kMaxMemory = 1ULL << 40;
  static constexpr int kMaxCpus = 64;
};

// Why a program could not be started: message and the shell-style status.
struct LoadError {
  int status = 0;  // 0: loaded; 126 bad executable; 127 not found
  std::string message;
};

// How the guest ended.
struct Outcome {
  bool finished = false;
  int exit_code = 0;
  int signal = 0;  // killed by this signal
  bool core = false;
  cpu::Fault fault;  // when killed by a CPU fault
  bool deadlock = false;
  bool tick_limit = false;  // the run reached its --max-ticks
  int interrupted = 0;  // the host signal (Ctrl-C) that stopped the run early
  std::string program;  // what the first process ran last (after its execs)
  // When a signal killed it: where its task was (the faulting instruction,
  // or the syscall that raised the signal) and the return addresses found
  // on that task's stack, innermost first (a conservative scan: a value is
  // kept when it points just after a call in executable memory).
  uint64_t death_rip = 0;
  std::vector<uint64_t> death_stack;
  uint64_t load_bias = 0;  // of `program` (a static PIE), to name its addresses
  std::string detail;
  int shell_status() const { return signal ? 128 + signal : exit_code; }
};

// The scheduler's say inside a slice (sim/ implements it): the kernel knows
// no policy, only that it may be told to end the running task's slice.
class Preemption {
 public:
  virtual ~Preemption() = default;
  // After syscall `nr` of `t` (its `syscall` instruction at `rip`) that
  // leaves it runnable: true ends its slice now (it resumes after the
  // syscall when next chosen).
  virtual bool preempt_after_syscall(const Task& t, uint32_t nr, uint64_t rip) = 0;
};

class Kernel : public cpu::TrapHandler {
 public:
  static constexpr uint32_t kFirstPid = 1000;
  static constexpr int64_t kBootRealtimeSec = 1704067200;  // 2024-01-01T00:00:00Z
  static constexpr int64_t kBootMonotonicNs = 100'000'000'000;  // 100 s of uptime at start

  Kernel(const Config& cfg, Io& io);
  ~Kernel() override;

  // Captures and loads the program into the first task.
  LoadError start();
  // The dynamic linker a program names (PT_INTERP), found from `cwd` as
  // execve finds it: 0, or the errno execve fails with (ENOENT, EACCES,
  // ELIBBAD for a file that is not an x86-64 ELF).
  struct Interpreter {
    ElfImage image;
    InodeRef node;
    std::string path;
  };
  int open_interpreter(const std::string& cwd, const std::string& path, Interpreter& out);

  // ---- the run loop's view (sim::Simulator) ----
  // Every fork gets a new engine (a self-check: the run must not change).
  // Call before start().
  void disable_engine_reuse() { engine_pool_.reset(); }
  // The tasks that can run now, in tid order, once every blocked syscall
  // that can complete has (its event emitted) and dead tasks are freed; when
  // none can but a timer is due, virtual time jumps to it first. Empty when
  // the run is over (finished or deadlocked: see outcome()) or the Io asked
  // to stop. Which task runs is the scheduler's choice (sim/).
  std::vector<Task*> runnable_tasks();
  // Asked after each syscall of the running task that leaves it runnable.
  void set_preemption(Preemption* p) { preemption_ = p; }
  // Called for every address space's engine before guest code runs in it
  // (the first program, a fork, an exec): the run loop's chance to give it
  // sites or memory tracing (mm.program says what it runs).
  void set_engine_setup(std::function<void(MemoryManager&)> fn) { engine_setup_ = std::move(fn); }
  // Makes `mm`'s engine trap into this kernel, then runs the engine setup.
  void adopt_engine(MemoryManager& mm);
  // Called once, when the first clone, fork or vfork is about to run: the
  // last point that every schedule of the run shares (`ditto explore` forks
  // its schedules there). False abandons the run on the spot.
  void set_first_clone_hook(std::function<bool()> fn) { first_clone_hook_ = std::move(fn); }
  // The guest is about to look at its corpus input (Config::input): the
  // first time, Io::input_touched() and the slice ends after this syscall.
  void touch_input();
  // Whether the slice that just ended was ended by the Preemption (as
  // opposed to a block, exit, exec or the tick budget); sched_yield too.
  bool slice_preempted() const { return preempted_; }
  bool slice_yielded() const { return yielded_; }
  // Frees tasks that are dead (reaped, or threads that exited): nothing can
  // name them any more. Their CPU time stays with the thread group.
  void release_dead_tasks();
  void reparent_from_thread(Task& t);
  // The first live thread of group `tgid` (kernel/exit.c:find_alive_thread()), or null.
  Task* alive_thread(uint32_t tgid);
  // Moves t's exit state from `from` to `to`; throws std::logic_error when
  // it is not at `from` (see exit.cc).
  void advance_exit_state(Task& t, ExitState from, ExitState to);
  // Adds a new task (its tid free: see pid_in_use()).
  void add_task(std::unique_ptr<Task> t);
  void begin_slice(Task& t);
  static constexpr uint64_t kUnlimited = ~uint64_t(0);
  // Live processes (thread groups that have not exited), for progress lines.
  int live_processes() const;
  void end_slice(Task& t, cpu::StopReason why);
  bool finished() const { return outcome_.finished; }
  uint32_t init_tid() const { return init_tid_; }
  const Outcome& outcome() const { return outcome_; }
  void emit_summary();

  // ---- cpu::TrapHandler ----
  void on_syscall(const cpu::SyscallRegs& regs) override;
  uint64_t on_timestamp() override;
  bool on_unmapped_access(uint64_t addr) override;

  // ---- services for syscall handlers ----
  Io& io() { return io_; }
  Vfs& vfs() { return *vfs_; }
  // The simulated loopback's names (kernel/socket.h); sockets share it.
  std::shared_ptr<Network> network();
  MemoryBudget& memory() { return *memory_; }
  const FileSpace& tmpfs_space() const { return *tmpfs_; }
  Task& current() { return *current_; }
  uint32_t current_tid() const { return current_ ? current_->tid : 0; }
  MemoryManager& mm() { return *current_->mm; }
  const Config& config() const { return cfg_; }
  // Deterministic time, derived from ticks; never host time.
  uint64_t ticks() const;
  // CPU time in ticks: of a task, of its thread group (all threads, also
  // exited ones), including the running slice.
  uint64_t task_ticks(const Task& t) const;
  uint64_t group_ticks(uint32_t tgid) const;
  // Tasks of thread group `tgid` that have not exited.
  int live_threads(uint32_t tgid) const;
  int64_t monotonic_ns() const;
  int64_t realtime_ns() const;
  void advance_clock(int64_t ns) { sleep_ns_ += ns; }
  // The CPUs online (--cpus), and the one `t` runs on: the first its
  // affinity allows (Ditto runs one task at a time; getcpu, rseq).
  uint64_t online_cpus() const { return cfg_.cpus >= 64 ? ~uint64_t(0) : (uint64_t(1) << cfg_.cpus) - 1; }
  uint32_t cpu_of(const Task& t) const {
    uint64_t m = t.affinity & online_cpus();
    return m ? uint32_t(__builtin_ctzll(m)) : 0;
  }
  // The process's memory limits (RLIMIT_AS, DATA, STACK) to its address space.
  void apply_memory_rlimits(Task& t);
  // Deterministic randomness from the run's seed.
  void random_bytes(char* out, size_t n);
  // The cookie pairing a rename's IN_MOVED_FROM and IN_MOVED_TO (fsnotify_get_cookie()).
  uint32_t next_fsnotify_cookie() { return ++fsnotify_cookie_; }
  // Attach bytes that crossed the guest boundary to this syscall's event.
  void set_event_data(std::string data) { event_data_ = std::move(data); }
  void append_event_data(const char* p, size_t n) { event_data_.append(p, n); }
  // Bytes from the host (stdin): the event keeps them at every recording level.
  void append_host_input(const char* p, size_t n) {
    event_data_.append(p, n);
    event_host_input_ = true;
  }
  // Ends the current task's whole process.
  void exit_group(int code, int signal);
  // A signal sent to the calling process with no handler support yet:
  // applies the default action (terminate or ignore).
  int64_t send_signal_to_self(int sig);
  // Blocks the calling task: returns kBlocked for the handler to return.
  int64_t block(std::string reason, std::function<int64_t()> retry, int64_t wake_at_ns = -1);
  // Runs `attempt` now, and blocks on it (see block()) when it says kBlocked.
  int64_t attempt_or_block(std::string reason, std::function<int64_t()> attempt, int64_t wake_at_ns = -1) {
    int64_t r = attempt();
    return r == kBlocked ? block(std::move(reason), std::move(attempt), wake_at_ns) : r;
  }
  // The run's tasks, by tid (ordered: iteration is deterministic).
  std::map<uint32_t, std::unique_ptr<Task>>& tasks() { return tasks_; }
  Task* task(uint32_t tid);
  // The next free tid (a number that set_tid took is skipped).
  uint32_t alloc_tid();
  // True when pid `local` of `ns` names a task, or a process group or
  // session that still has members (Linux keeps such a number allocated).
  bool pid_in_use(const PidNamespace& ns, uint32_t local) const;
  // Ids across PID namespaces: `global` (root-namespace tid) as seen from
  // `ns` (0 when not visible there), and the reverse.
  static uint32_t vpid(const PidNamespace& ns, uint32_t global);
  static uint32_t gpid(const PidNamespace& ns, uint32_t local);
  // The caller's view.
  uint32_t vpid(uint32_t global) const { return vpid(*current_->pidns, global); }
  uint32_t gpid(uint32_t local) const { return gpid(*current_->pidns, local); }
  // Gives task `tid` ids in `ns` and its ancestors: the next free one of
  // each, or `wanted[i]` in the namespace i levels above `ns` (clone3's
  // set_tid, already checked to be free).
  void attach_pid(const std::shared_ptr<PidNamespace>& ns, uint32_t tid,
                  const std::vector<uint32_t>& wanted = {});
  // True when `t` is the init of a nested PID namespace.
  bool is_ns_init(const Task& t) const { return t.pidns && t.pidns->level > 0 && t.pidns->init == t.tid; }
  std::shared_ptr<PidNamespace> root_pidns() const { return root_pidns_; }
  std::shared_ptr<OpaqueNamespace> new_namespace() { return std::make_shared<OpaqueNamespace>(OpaqueNamespace{++next_ns_id_}); }
  // The return addresses on t's stack (t holds its engine's registers).
  std::vector<uint64_t> stack_return_addresses(Task& t, size_t max = 16);
  // Process life cycle (exit.cc, exec.cc, kill.cc).
  void exit_process(Task& t, int code, int signal, bool core);
  void release_vfork_parent(Task& t);
  void exit_thread(Task& t, int code);
  void retire(Task& t, ExitState state);
  void begin_exit(Task& t);
  // Live tasks using `mm` (Linux's mm_users).
  int mm_users(const MemoryManager& mm) const;
  // execve in a multi-threaded process: the other threads die, and the
  // caller takes the leader's tid (fs/exec.c:de_thread()).
  void de_thread(Task& t);
  // Ends the current slice after this syscall (sched_yield).
  void yield() {
    yielded_ = true;
    if (slice_mm_) slice_mm_->engine().request_stop();
  }
  // Futexes (futex.cc): wakes up to `n` waiters on (mm, addr) whose bitset
  // matches, first come first woken; returns how many.
  int futex_wake(MemoryManager& mm, uint64_t addr, int n, uint32_t bitset);
  void futex_forget(uint32_t tid);
  // Marks the robust futexes a dying task holds FUTEX_OWNER_DIED and wakes a
  // waiter on each (kernel/futex/core.c:exit_robust_list()).
  void exit_robust_list(Task& t);
  struct FutexWaiter {
    uint32_t tid;
    uint32_t bitset;
  };
  std::map<std::pair<const void*, uint64_t>, std::vector<FutexWaiter>>& futex_queues() { return futexes_; }
  int64_t kill_process_by_pid(uint32_t pid, int sig);
  // Whether the current task may send `sig` to `target` (EPERM if not).
  bool may_signal(const Task& target, int sig) const;
  // Signals (signals.cc). send_signal generates: default actions and
  // ignoring happen at once, a caught signal becomes pending for delivery.
  // `group`: process-directed; if it must wait, it waits in the group's set.
  int64_t send_signal(Task& target, int sig, const SigInfo& info, bool group = false);
  // Signals pending for the whole thread group of t (kept on its leader).
  uint64_t shared_pending(const Task& t) const;
  uint32_t pid_for(const Task& receiver, const SigInfo& info) const;
  // Takes the first signal of `mask` pending for t, its own before its
  // group's (kernel/signal.c dequeue_signal()); 0 when none.
  int dequeue_signal(Task& t, uint64_t mask, SigInfo& info);
  // Acts on pending signals that are no longer blocked (after a mask change).
  void deliver_pending(Task& t);
  // The lowest caught, unblocked pending signal of t, or 0.
  int next_deliverable(const Task& t) const;
  bool has_deliverable(const Task& t) const { return next_deliverable(t) != 0; }
  // Builds a handler frame for the first deliverable signal, if any:
  // `rip`/`rax` are where the task resumes and what RAX holds there.
  bool setup_signal_frame(Task& t, uint64_t rip);
  // A synchronous fault of t (kernel/signal.c force_sig_info_to_task()): a
  // blocked or ignored signal is unblocked and reset to its default first.
  // True when a handler will run; false when the default action killed.
  bool force_fault_signal(Task& t, const SigInfo& info, const TrapState& trap);
  // A process-directed signal (kernel/signal.c complete_signal()): taken
  // by `first` if it does not block it, else by the first thread of the
  // group, leader first, that does not.
  int64_t send_group_signal(uint32_t tgid, int sig, const SigInfo& info, Task* first = nullptr);
  bool signal_pending_in_group(uint32_t tgid, int sig) const;
  // How many times a signal has become pending, ever: an edge-triggered
  // epoll of a signalfd reports again after each.
  uint64_t signals_queued() const { return signals_queued_; }
  // Interval timers (timers.cc): expiry at scheduling points; how many
  // ticks `running` may run before a deadline falls (kUnlimited: none);
  // the next wall or monotonic deadline, on the monotonic clock (-1: none).
  TimerTable& timers() { return timers_; }
  int64_t timer_now(uint32_t tgid, const IntervalTimer& t) const;
  void run_timers();
  void check_cpu_limits();
  uint64_t ticks_to_next_timer(const Task& running) const;
  int64_t next_wall_deadline() const;
  // RLIMIT_CPU is finite somewhere: run_timers checks it from now on.
  void arm_cpu_limits() { cpu_limits_armed_ = true; }
  // A POSIX timer's signal is being delivered: its overrun count goes in.
  void timer_signal_delivered(uint32_t tgid, SigInfo& info);
  void deliver_fault(Task& t, cpu::Fault f);
  void set_group_stopped(Task& t, bool stop, int sig);
  void set_temporary_sigmask(Task& t, uint64_t mask);
  bool group_stopped(const Task& t) const;
  bool pgrp_orphaned(uint32_t pgid) const;
  // `exe`: canonical path (/proc/PID/exe); `execfn`: as the caller passed it.
  // `execfn` becomes AT_EXECFN and `comm` the task's name.
  LoadError exec_image(Task& t, const std::string& exe, const std::string& execfn, const std::string& comm,
                       const std::string& content, const std::vector<std::string>& argv,
                       const std::vector<std::string>& envp, const Interpreter* interp);
  // The task this slice runs; its resume point has been set explicitly (exec).
  void set_resume(Task& t, uint64_t rip) { t.resume_rip = rip, resume_set_ = true; }

  // A syscall, or a command/flag of one, that Ditto does not model: counted
  // and listed in the run summary. Returns -ENOSYS for convenience.
  int64_t unsupported(uint32_t nr, const std::string& what);
  const std::map<std::string, std::pair<uint32_t, uint64_t>>& unsupported() const { return unsupported_; }
  // The directory a relative path starts from: the cwd, or dirfd's directory.
  std::string dirfd_path(int dirfd, int64_t* err);
  // The current task's working directory path (renames followed); sets
  // *removed when the directory is no longer in the tree.
  const std::string& cwd_path(bool* removed = nullptr);

 private:
  void emit_syscall(const cpu::SyscallRegs& regs, int64_t result);
  // start(), in steps: the program from the host file or from the root view,
  // Ditto's own entries in the file system, then the first task.
  LoadError start_program();
  LoadError start_in_root_view();
  void make_world();
  LoadError create_init_task(const std::string& program);
  // Loads `content` (and the dynamic linker `interp`, which a program with a
  // PT_INTERP needs) into t's fresh address space, with its initial stack.
  LoadError load_program(Task& t, const std::string& content, const std::vector<std::string>& argv,
                         const std::vector<std::string>& envp, const std::string& execfn,
                         const Interpreter* interp);
  // Maps an ELF image's PT_LOAD segments, moved by `bias`.
  bool map_elf(Task& t, const ElfImage& img, std::string_view content, uint64_t bias, const std::string& name,
               const InodeRef& file);
  bool try_wake(Task& t);
  void fill_proc(const InodeRef& dir, const std::string* only);  // procfs.cc
  void switch_engine_to(Task& t);
  void flush_exit_event();

  Config cfg_;
  std::shared_ptr<Network> network_;
  Io& io_;
  std::shared_ptr<MemoryBudget> memory_;
  std::shared_ptr<FileSpace> tmpfs_;
  std::unique_ptr<Vfs> vfs_;
  std::map<uint32_t, std::unique_ptr<Task>> tasks_;
  // Frees *it when it is dead (see release_dead_tasks); the next position.
  std::map<uint32_t, std::unique_ptr<Task>>::iterator release_task(
      std::map<uint32_t, std::unique_ptr<Task>>::iterator it);
  // Read-only ELF segments (program text, rodata) as loaded before: every
  // address space that loads the same bytes at the same place maps the same
  // frozen host memory, so a pooled engine's translations of it serve again
  // (see EnginePool) and nothing is copied or scanned twice.
  struct FrozenSegment {
    uint64_t start = 0, pad = 0, data_size = 0;  // pad zero bytes, the file's bytes, zeros
    uint32_t prot = 0;
    std::shared_ptr<SharedMemory> mem;
    std::vector<uint64_t> rdtsc_offsets;
  };
  static constexpr size_t kMaxFrozenSegments = 16;
  std::vector<FrozenSegment> frozen_segments_;  // the most recently used last
  // The cached segment with exactly these bytes, made if needed; null when
  // host memory is short.
  const FrozenSegment* frozen_segment(uint64_t start, uint64_t size, uint32_t prot, uint64_t pad,
                                      std::string_view data);
  // Engines of exited address spaces, lent to forks (see EnginePool); null
  // after disable_engine_reuse().
  std::shared_ptr<EnginePool> engine_pool_ = std::make_shared<EnginePool>();
  Task* current_ = nullptr;
  uint32_t next_tid_ = kFirstPid;
  int next_ns_id_ = 1;
  std::shared_ptr<PidNamespace> root_pidns_ = std::make_shared<PidNamespace>();
  uint32_t init_tid_ = 0;       // the first guest process: its status is the run's
  std::shared_ptr<MemoryManager> slice_mm_;  // the address space this slice runs in
  bool resume_set_ = false;
  uint64_t retired_ticks_ = 0;  // ticks of slices already ended
  uint64_t signals_queued_ = 0;
  uint64_t slice_start_ = 0;    // slice_mm_'s tick count when the current slice began
  Preemption* preemption_ = nullptr;
  std::function<void(MemoryManager&)> engine_setup_;
  std::function<bool()> first_clone_hook_;
  bool cloned_ = false;  // the first clone happened
  bool input_touched_ = false;
  bool end_slice_ = false;  // after this syscall, whatever the policy says
  bool preempted_ = false, yielded_ = false;  // how the current slice ended
  int64_t sleep_ns_ = 0;
  Random rng_;
  std::string event_data_;
  bool event_host_input_ = false;
  std::vector<trace::Event> pending_exit_events_;
  std::map<std::pair<const void*, uint64_t>, std::vector<FutexWaiter>> futexes_;
  TimerTable timers_;
  bool cpu_limits_armed_ = false;
  std::map<std::string, std::pair<uint32_t, uint64_t>> unsupported_;
  uint32_t fsnotify_cookie_ = 0;
  uint32_t last_sliced_tid_ = 0;  // the task the last slice ran (rseq preemption)
  Outcome outcome_;
};

}  // namespace kernel
