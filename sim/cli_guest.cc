// `ditto run` and `ditto record`: the guest's description from the command
// line, the run, and how its end is reported.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include "sim/cli.h"
#include "sim/host_signals.h"
#include "sim/profile.h"
#include "sim/save.h"
#include "trace/store.h"

extern char** environ;

namespace cli {

const char* const kExitCodesHelp = R"(
Exit status:
  run, record   the guest's own status: its exit code, or 128+N when signal N
                killed it (as a shell reports it); 126 the program cannot be
                executed (not an x86-64 ELF, ...); 127 it (or its dynamic
                linker) does not exist;
                124 the guest deadlocked (every task blocked forever);
                123 the run reached --max-ticks (a livelock);
                125 Ditto itself failed (bad option, cannot write the trace,
                a --save that could not be done).
                A run stopped by Ctrl-C (SIGINT, SIGTERM, SIGHUP) exits 128+N;
                its recording is complete up to there. A second Ctrl-C kills
                Ditto at once (the trace is then incomplete).
  replay        0 identical; 3 diverged (first differing event shown);
                4 the trace cannot be read (missing, not a trace, wrong
                version, corrupt); 5 the trace is incomplete (recorder
                killed) but what it holds replayed identically; 6 the
                recording was interrupted (Ctrl-C) and replayed identically
                up to there; 128+N this replay was stopped by signal N;
                125 it was identical but a --save could not be done.
  dump, info    0, or 4 when the trace is invalid.
)";


std::string signal_name(int sig) {
  static const char* names[] = {"0",       "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP",
                                "SIGABRT", "SIGBUS",  "SIGFPE",    "SIGKILL", "SIGUSR1", "SIGSEGV",
                                "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT",
                                "SIGCHLD", "SIGCONT", "SIGSTOP",   "SIGTSTP", "SIGTTIN", "SIGTTOU",
                                "SIGURG",  "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
                                "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};
  if (sig > 0 && sig < 32) return names[sig];
  return "signal " + std::to_string(sig);
}

void add_guest_options(CLI::App* cmd, GuestOptions& o) {
  cmd->add_option("--seed", o.seed, "Seed of the run's randomness (AT_RANDOM, getrandom, /dev/urandom)");
  cmd->add_option("--env", o.env, "Set an environment variable for the guest (K=V; repeatable)");
  cmd->add_flag("--inherit-env", o.inherit_env,
                "Start from Ditto's own environment instead of the fixed minimal one");
  cmd->add_option("--mount", o.mounts,
                  "Expose a host directory or file read-only: HOST[:GUEST] (repeatable; captured into the trace when used)");
  cmd->add_option("--root", o.root,
                  "The host directory the guest sees as / (default: the host's /): read from the host when used, "
                  "captured into the trace; the guest's writes stay in memory (copy-on-write). /tmp, /dev, /proc "
                  "and /sys are Ditto's own");
  cmd->add_flag("--hermetic", o.hermetic,
                "No host root view: the guest sees only Ditto's own /tmp, /dev, /proc, /sys, the program and "
                "--mount'ed paths (a run that cannot depend on the host)");
  cmd->add_flag("-q,--quiet", o.quiet, "No summary line on stderr");
  cmd->add_option("--slice-ticks", o.slice_ticks,
                  "Self-check: stop and resume the guest every N ticks (the run must not change)");
  cmd->add_flag("--fresh-engines", o.fresh_engines,
                "Self-check: a new CPU engine for every fork and exec instead of a reused one (slower; the run must not change)");
  std::string names;
  for (const std::string& n : sim::policy_names()) names += (names.empty() ? "" : ", ") + n;
  cmd->add_option("--sched", o.policy.name,
                  "Scheduling policy: " + names + " (default rr: round-robin, a fixed quantum)");
  cmd->add_option("--sched-seed", o.policy.seed, "Seed of the scheduling policy's choices (random, pct, pos, surw)");
  cmd->add_option("--depth", o.policy.depth, "pct: the bug depth d (d-1 priority change points; default 3)");
  cmd->add_option("--quantum", o.policy.quantum,
                  "Longest time slice in ticks before the scheduler looks again (default 200000)");
  cmd->add_option("--cpus", o.cpus, "CPUs the guest sees (sched_getaffinity, /sys, /proc; default 4, on every host)")
      ->check(CLI::Range(1, kernel::Config::kMaxCpus));
  cmd->add_option("--memory", o.memory,
                  "The guest machine's memory, e.g. 512M or 2G (default 8G): all processes' memory and the /tmp "
                  "files share it; mmap/brk/fork past it fail with ENOMEM, /tmp writes with ENOSPC (tmpfs: half)");
  cmd->add_option("--events", o.events,
                  "Recording level: all (every event, each checked on replay; the default) or io (only what replay "
                  "needs: host files, stdin, scheduling decisions and the outcome)")
      ->check(CLI::IsMember({"all", "io"}));
  cmd->add_option("--max-ticks", o.max_ticks,
                  "End the run when it reaches N ticks (a livelock): exit status 123");
}

void add_save_option(CLI::App* cmd, std::vector<std::string>& saves) {
  cmd->add_option("--save", saves,
                  "At the end, copy the guest's file or directory GUEST_PATH to the host: GUEST_PATH[:HOST_PATH] "
                  "(repeatable; default HOST_PATH: its name in the current directory). The guest's writes live in "
                  "memory only; this brings them out")
      ->type_name("GUEST[:HOST]");
}

bool run_options_for(const GuestOptions& o, const kernel::Config& cfg, sim::RunOptions& opts) {
  opts.slice_ticks = o.slice_ticks;
  opts.fresh_engines = o.fresh_engines;
  opts.policy = o.policy;
  opts.max_ticks = o.max_ticks;
  try {
    sim::make_policy(o.policy);
  } catch (const std::invalid_argument& ex) {
    std::cerr << "ditto: --sched: " << ex.what() << "\n";
    return false;
  }
  if (sim::needs_profile(o.policy.name)) {
    // One quiet run first, to learn where the tasks share memory.
    constexpr uint64_t kProfileTicks = 1ULL << 32;
    auto profile = std::make_shared<sim::Profile>(sim::profile_run(cfg, opts, o.max_ticks ? o.max_ticks : kProfileTicks));
    opts.sites = profile->site_list();
    opts.policy.profile = std::move(profile);
  }
  return true;
}

void split_guest_command(const CLI::App& cmd, const std::vector<std::string>& args, std::vector<std::string>& opts,
                         std::vector<std::string>& guest) {
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-') break;
    opts.push_back(a);
    const CLI::Option* opt = a.find('=') == std::string::npos ? cmd.get_option_no_throw(a) : nullptr;
    if (opt && opt->get_items_expected_min() > 0 && i + 1 < args.size()) opts.push_back(args[++i]);
  }
  guest.assign(args.begin() + long(i), args.end());
}

namespace {

// "512M", "2G", "65536K", "1T" or plain bytes; nullopt when malformed.
std::optional<uint64_t> parse_size(const std::string& text) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  int shift = 0;
  if (unit == "K" || unit == "k" || unit == "KiB") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (unit == "T" || unit == "TiB") shift = 40;
  else if (!unit.empty()) return std::nullopt;
  if (shift && n > (UINT64_MAX >> shift)) return std::nullopt;
  return n << shift;
}

// The symlinks met while resolving `path` on the host, as (absolute path,
// target) pairs, so that the guest can name its program the same way.
std::vector<std::pair<std::string, std::string>> symlinks_on(std::string path) {
  std::vector<std::pair<std::string, std::string>> links;
  if (path.empty() || path[0] != '/') {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return links;
    path = std::string(cwd) + "/" + path;
  }
  for (int hops = 0; hops < 40; ++hops) {  // ELOOP's bound
    std::string prefix;
    size_t at = 1;
    bool again = false;
    while (at <= path.size() && !again) {
      size_t end = path.find('/', at);
      if (end == std::string::npos) end = path.size();
      std::string comp = path.substr(at, end - at);
      at = end + 1;
      if (comp.empty() || comp == ".") continue;
      if (comp == "..") {
        prefix = prefix.substr(0, prefix.rfind('/'));
        continue;
      }
      prefix += "/" + comp;
      char target[PATH_MAX];
      ssize_t n = ::readlink(prefix.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = 0;
      links.emplace_back(prefix, target);
      std::string base = target[0] == '/' ? "" : prefix.substr(0, prefix.rfind('/'));
      path = base + "/" + target + (at <= path.size() ? "/" + path.substr(at) : "");
      again = true;
    }
    if (!again) break;
  }
  return links;
}

// Where a program named without a slash is found on $PATH ("" if nowhere).
std::string program_on_path(const std::string& prog) {
  const char* path = ::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    std::string cand = (dir.empty() ? "." : dir) + "/" + prog;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return "";
}

// The program's absolute host path without symlinks, found like a shell would
// (PATH for bare names); "" when it is not found.
std::string find_program(const std::string& prog) {
  std::string named = prog.find('/') != std::string::npos ? prog : program_on_path(prog);
  char buf[PATH_MAX];
  if (named.empty() || !::realpath(named.c_str(), buf)) return "";
  return buf;
}

// PROG's guest path under the root view `root`: as given when it has a
// slash (relative to the working directory), else the first directory of
// the default guest PATH holding it; "" when none does.
std::string program_in_root(const std::string& root, const std::string& prog) {
  if (prog.find('/') != std::string::npos) {
    if (prog[0] == '/') return prog;
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + prog : "";
  }
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"}) {
    std::string cand = std::string(dir) + "/" + prog;
    if (::faccessat(AT_FDCWD, (root + cand).c_str(), X_OK, 0) == 0) return cand;
  }
  return "";
}

}  // namespace

// Builds the guest description; returns a shell status on error (after a message).
int make_config(const GuestOptions& o, const std::vector<std::string>& guest, kernel::Config& cfg) {
  if (guest.empty()) {
    std::cerr << "ditto: no program given (usage: ditto run [OPTIONS] [--] PROG [ARGS...])\n";
    return kExitDittoError;
  }
  if (o.hermetic && !o.root.empty()) {
    std::cerr << "ditto: --hermetic and --root exclude each other (a hermetic world has no host root)\n";
    return kExitDittoError;
  }
  if (!o.hermetic) {
    char buf[PATH_MAX];
    struct stat st;
    std::string root = o.root.empty() ? "/" : o.root;
    if (!::realpath(root.c_str(), buf) || ::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
      std::cerr << "ditto: --root " << root << ": not a directory\n";
      return kExitDittoError;
    }
    cfg.root_dir = buf;
  }
  if (cfg.root_dir.empty() || cfg.root_dir == "/") {
    cfg.program_path = find_program(guest[0]);
    if (cfg.program_path.empty()) {
      std::cerr << "ditto: " << guest[0] << ": No such file or directory\n";
      return 127;
    }
    cfg.program_links = symlinks_on(guest[0].find('/') != std::string::npos ? guest[0] : program_on_path(guest[0]));
  } else {
    // Inside another root the program is the guest's: its path there, or
    // the first match on the guest's PATH (the guest kernel follows links).
    cfg.program_path = program_in_root(cfg.root_dir, guest[0]);
    if (cfg.program_path.empty()) {
      std::cerr << "ditto: " << guest[0] << ": not found in --root " << cfg.root_dir << "\n";
      return 127;
    }
  }
  // What a shell passes to execve: the path found on PATH for a bare name
  // (AT_EXECFN, and a script's path for its interpreter).
  cfg.execfn = guest[0];
  if (cfg.execfn.find('/') == std::string::npos && (cfg.root_dir.empty() || cfg.root_dir == "/"))
    cfg.execfn = program_on_path(guest[0]);
  else if (cfg.execfn.find('/') == std::string::npos)
    cfg.execfn = cfg.program_path;
  cfg.argv = guest;
  cfg.seed = o.seed;
  cfg.cpus = o.cpus;
  if (!o.memory.empty()) {
    auto bytes = parse_size(o.memory);
    if (!bytes || *bytes < kernel::Config::kMinMemory || *bytes > kernel::Config::kMaxMemory) {
      std::cerr << "ditto: --memory " << o.memory << ": want a size from 64M to 1T, such as 512M or 2G\n";
      return kExitDittoError;
    }
    cfg.memory_bytes = *bytes;
  }
  if (o.inherit_env) {
    for (char** e = environ; *e; ++e) cfg.env.push_back(*e);
  } else {
    cfg.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"};
  }
  for (const std::string& kv : o.env) {
    if (kv.find('=') == std::string::npos) {
      std::cerr << "ditto: --env wants K=V, got '" << kv << "'\n";
      return kExitDittoError;
    }
    std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(cfg.env, [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; });
    cfg.env.push_back(kv);
  }
  for (const std::string& m : o.mounts) {
    std::string host = m, guest_path = m;
    if (auto c = m.find(':'); c != std::string::npos) {
      host = m.substr(0, c);
      guest_path = m.substr(c + 1);
    }
    char buf[PATH_MAX];
    struct stat st;
    if (!::realpath(host.c_str(), buf) || ::stat(buf, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
      std::cerr << "ditto: --mount " << m << ": " << host << " is not a directory or a regular file\n";
      return kExitDittoError;
    }
    if (guest_path.empty() || guest_path[0] != '/') {
      std::cerr << "ditto: --mount " << m << ": the guest path must be absolute\n";
      return kExitDittoError;
    }
    if (S_ISDIR(st.st_mode)) cfg.mounts.emplace_back(buf, guest_path);
    else cfg.file_mounts.emplace_back(buf, guest_path);
  }
  cfg.events = o.events == "io" ? "io" : "";
  char cwd[PATH_MAX];
  cfg.cwd = ::getcwd(cwd, sizeof cwd) ? cwd : "/";
  // Inside another root the guest starts where the host's working folder
  // is in it, or at its "/" when that folder is outside it.
  if (!cfg.root_dir.empty() && cfg.root_dir != "/") {
    const std::string& r = cfg.root_dir;
    if (cfg.cwd == r) cfg.cwd = "/";
    else if (cfg.cwd.compare(0, r.size(), r) == 0 && cfg.cwd[r.size()] == '/') cfg.cwd = cfg.cwd.substr(r.size());
    else cfg.cwd = "/";
  }
  return 0;
}

// The status `ditto run/record` exits with for how the guest ended.
int outcome_status(const sim::RunResult& r) {
  if (r.load.status) return r.load.status;
  if (!r.error.empty()) return kExitDittoError;
  const kernel::Outcome& o = r.outcome;
  if (o.interrupted) return 128 + o.interrupted;
  if (o.deadlock) return kExitDeadlock;
  if (o.tick_limit) return kExitTickLimit;
  if (!o.finished || !o.detail.empty()) return kExitDittoError;
  return o.shell_status();
}

// Reports how the guest ended. Errors always show; with `quiet` the rest
// (how the guest died, what it asked for in vain) does not.
int report_outcome(const sim::RunResult& r, const std::string& prog, bool quiet) {
  int status = outcome_status(r);
  if (r.load.status) {
    std::cerr << "ditto: " << prog << ": " << r.load.message << "\n";
    return status;
  }
  if (!r.error.empty()) {
    std::cerr << "ditto: " << r.error << "\n";
    return status;
  }
  const kernel::Outcome& o = r.outcome;
  const std::string& running = o.program.empty() ? prog : o.program;
  if (o.interrupted) {
    std::cerr << "ditto: interrupted by " << signal_name(o.interrupted) << " at tick " << r.ticks << "\n";
  } else if (o.deadlock) {
    std::cerr << "ditto: deadlock: " << o.detail << "\n";
  } else if (o.tick_limit) {
    std::cerr << "ditto: the run reached its tick limit (--max-ticks) at tick " << r.ticks
              << " without ending: a livelock, or a limit too low\n";
  } else if (!o.finished || !o.detail.empty()) {
    std::cerr << "ditto: the run stopped early" << (o.detail.empty() ? "" : ": " + o.detail) << "\n";
  } else if (o.signal && !quiet) {
    std::string desc = ::strsignal(o.signal);
    std::cerr << "ditto: " << running << " killed by " << signal_name(o.signal) << " (" << desc << ")"
              << (o.core ? ", core dumped" : "");
    if (o.fault.kind != cpu::FaultKind::kNone) {
      char b[128];
      std::snprintf(b, sizeof b, " at rip 0x%llx, address 0x%llx: %s",
                    static_cast<unsigned long long>(o.fault.rip),
                    static_cast<unsigned long long>(o.fault.addr), cpu::to_string(o.fault.kind));
      std::cerr << b;
    }
    std::cerr << "\n";
  }
  // What the guest asked for and did not get often explains a deadlock or
  // an early end: it shows however the run ended.
  if (!quiet && !r.unsupported.empty()) {
    bool ioctls = false;
    for (const auto& [name, v] : r.unsupported) ioctls |= name.rfind("ioctl ", 0) == 0;
    std::cerr << (ioctls ? "ditto: unsupported syscalls (returned ENOSYS; ioctl requests ENOTTY):"
                         : "ditto: unsupported syscalls (returned ENOSYS):");
    for (const auto& [name, v] : r.unsupported) std::cerr << " " << name << " x" << v.second;
    std::cerr << "\n";
  }
  return status;
}

namespace {

// A trace name of its own for a recording without -o, as rr gives every
// recording a new directory: PROG-0.db, PROG-1.db, ... in the current
// directory, the first that does not exist.
std::string new_trace_name(const std::string& prog) {
  std::string base = prog.substr(prog.rfind('/') + 1);
  if (base.empty() || base == "." || base == "..") base = "ditto";
  for (int n = 0;; ++n) {
    std::string name = base + "-" + std::to_string(n) + ".db";
    struct stat st;
    if (::lstat(name.c_str(), &st) != 0 && errno == ENOENT) return name;
  }
}

}  // namespace

int cmd_run(const GuestOptions& o, const std::vector<std::string>& guest, bool record) {
  kernel::Config cfg;
  if (int s = make_config(o, guest, cfg)) return s;
  sim::RunOptions opts;
  if (!run_options_for(o, cfg, opts)) return kExitDittoError;
  opts.progress = !o.quiet && ::isatty(2) != 0;
  opts.interruptible = true;
  std::vector<sim::SaveRequest> saves;
  for (const std::string& spec : o.saves) {
    auto r = sim::parse_save(spec);
    if (!r) return kExitDittoError;
    saves.push_back(*r);
  }
  bool saved = true;
  if (!saves.empty()) opts.at_teardown = [&](kernel::Kernel& k) { saved = sim::save_all(k, saves); };
  auto status_after_save = [&](int status) {
    if (saved) return status;
    std::cerr << "ditto: exiting 125 because a --save failed (the guest's own status was " << status << ")\n";
    return int(kExitDittoError);
  };
  sim::install_interrupt_handlers();
  if (!record) {
    sim::HostIo io(nullptr, nullptr);
    sim::RunResult r = sim::run_guest(cfg, io, opts);
    return status_after_save(report_outcome(r, guest[0], o.quiet));
  }
  std::string output = o.output;
  if (!o.output_given) {
    output = new_trace_name(guest[0]);
    if (!o.quiet) std::cerr << "ditto: recording to " << output << "\n";
  }
  // The trace must not be an input of the run (`-o ./prog ./prog` would
  // delete the program).
  struct stat out_st, in_st;
  if (::stat(output.c_str(), &out_st) == 0 && ::stat(cfg.program_path.c_str(), &in_st) == 0 &&
      out_st.st_dev == in_st.st_dev && out_st.st_ino == in_st.st_ino) {
    std::cerr << "ditto: " << output << " is the program itself: choose another trace file (-o)\n";
    return kExitDittoError;
  }
  try {
    // The trace is made once the program has loaded: one that cannot start
    // leaves an earlier trace of that name alone.
    std::unique_ptr<trace::Store> store;
    std::unique_ptr<trace::Recorder> recorder;
    int64_t run = 0;
    sim::HostIo io(nullptr, nullptr);
    io.hold();
    opts.at_started = [&](kernel::Kernel&) {
      store = trace::Store::create(output);
      run = store->begin_run(sim::header_for(cfg, opts));
      recorder = std::make_unique<trace::Recorder>(*store, run);
      io.attach(store.get(), recorder.get());
    };
    sim::RunResult r = sim::run_guest(cfg, io, opts);
    if (!io.error().empty()) r.error = "cannot write the trace: " + io.error();
    if (r.error.empty() && recorder) {
      try {
        recorder->finish();
        store->close();
      } catch (const trace::TraceError& ex) {
        r.error = std::string("cannot write the trace: ") + ex.what();
      }
    }
    int status = report_outcome(r, guest[0], o.quiet);
    if (!o.quiet && r.error.empty() && recorder)
      std::cerr << "ditto: recorded " << recorder->count() << " events, " << r.ticks << " ticks to " << output
                << " (run " << run << ")"
                << (r.outcome.interrupted ? "; interrupted: `ditto replay` checks it up to there" : "") << "\n";
    return status_after_save(status);
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto: " << ex.what() << "\n";
    return kExitDittoError;
  }
}

}  // namespace cli
