// The `ditto` command line.
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "replay/replayer.h"
#include "sim/host_signals.h"
#include "sim/simulator.h"
#include "trace/store.h"

extern char** environ;

namespace {

constexpr int kExitDittoError = 125;
constexpr int kExitDeadlock = 124;

const char* kExitCodesHelp = R"(
Exit status:
  run, record   the guest's own status: its exit code, or 128+N when signal N
                killed it (as a shell reports it); 126 the program cannot be
                executed (not a static x86-64 ELF, ...); 127 it does not exist;
                124 the guest deadlocked (every task blocked forever);
                125 Ditto itself failed (bad option, cannot write the trace).
                A run stopped by Ctrl-C (SIGINT, SIGTERM, SIGHUP) exits 128+N;
                its recording is complete up to there. A second Ctrl-C kills
                Ditto at once (the trace is then incomplete).
  replay        0 identical; 3 diverged (first differing event shown);
                4 the trace cannot be read (missing, not a trace, wrong
                version, corrupt); 5 the trace is incomplete (recorder
                killed) but what it holds replayed identically; 6 the
                recording was interrupted (Ctrl-C) and replayed identically
                up to there; 128+N this replay was stopped by signal N.
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

struct GuestOptions {
  uint64_t seed = 0;
  std::vector<std::string> env;
  bool inherit_env = false;
  std::vector<std::string> mounts;
  bool quiet = false;
  std::string output;  // "": a new PROG-N.db in the current directory
  uint64_t slice_ticks = 0;
  bool fresh_engines = false;
};

void add_guest_options(CLI::App* cmd, GuestOptions& o) {
  cmd->add_option("--seed", o.seed, "Seed of the run's randomness (AT_RANDOM, getrandom, /dev/urandom)");
  cmd->add_option("--env", o.env, "Set an environment variable for the guest (K=V; repeatable)");
  cmd->add_flag("--inherit-env", o.inherit_env,
                "Start from Ditto's own environment instead of the fixed minimal one");
  cmd->add_option("--mount", o.mounts, "Expose a host directory read-only: HOST[:GUEST] (repeatable)");
  cmd->add_flag("-q,--quiet", o.quiet, "No summary line on stderr");
  cmd->add_option("--slice-ticks", o.slice_ticks,
                  "Self-check: stop and resume the guest every N ticks (the run must not change)");
  cmd->add_flag("--fresh-engines", o.fresh_engines,
                "Self-check: a new CPU engine for every fork and exec instead of a reused one (slower; the run must not change)");
}

// Splits `args` (after the subcommand) into Ditto's options and PROG ARGS...
// Options stop at the first word that is not an option, or after `--`.
void split_guest_command(const std::vector<std::string>& args, std::vector<std::string>& opts,
                         std::vector<std::string>& guest) {
  static const char* with_value[] = {"-o", "--output", "--seed", "--env", "--mount", "--slice-ticks"};
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-') break;
    opts.push_back(a);
    for (const char* w : with_value)
      if (a == w && i + 1 < args.size()) opts.push_back(args[++i]);
  }
  guest.assign(args.begin() + long(i), args.end());
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

// Builds the guest description; returns a shell status on error (after a message).
int make_config(const GuestOptions& o, const std::vector<std::string>& guest, kernel::Config& cfg) {
  if (guest.empty()) {
    std::cerr << "ditto: no program given (usage: ditto run [OPTIONS] [--] PROG [ARGS...])\n";
    return kExitDittoError;
  }
  cfg.program_path = find_program(guest[0]);
  if (cfg.program_path.empty()) {
    std::cerr << "ditto: " << guest[0] << ": No such file or directory\n";
    return 127;
  }
  cfg.program_links = symlinks_on(guest[0].find('/') != std::string::npos ? guest[0] : program_on_path(guest[0]));
  cfg.execfn = guest[0];
  cfg.argv = guest;
  cfg.seed = o.seed;
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
    if (!::realpath(host.c_str(), buf) || ::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
      std::cerr << "ditto: --mount " << m << ": " << host << " is not a directory\n";
      return kExitDittoError;
    }
    if (guest_path.empty() || guest_path[0] != '/') {
      std::cerr << "ditto: --mount " << m << ": the guest path must be absolute\n";
      return kExitDittoError;
    }
    cfg.mounts.emplace_back(buf, guest_path);
  }
  char cwd[PATH_MAX];
  cfg.cwd = ::getcwd(cwd, sizeof cwd) ? cwd : "/";
  return 0;
}

// The status `ditto run/record` exits with for how the guest ended.
int outcome_status(const sim::RunResult& r) {
  if (r.load.status) return r.load.status;
  if (!r.error.empty()) return kExitDittoError;
  const kernel::Outcome& o = r.outcome;
  if (o.interrupted) return 128 + o.interrupted;
  if (o.deadlock) return kExitDeadlock;
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
    std::cerr << "ditto: unsupported syscalls (returned ENOSYS):";
    for (const auto& [name, v] : r.unsupported) std::cerr << " " << name << " x" << v.second;
    std::cerr << "\n";
  }
  return status;
}

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

int cmd_run(const GuestOptions& o, const std::vector<std::string>& guest, bool record) {
  kernel::Config cfg;
  if (int s = make_config(o, guest, cfg)) return s;
  sim::RunOptions opts;
  opts.progress = !o.quiet && ::isatty(2) != 0;
  opts.interruptible = true;
  opts.slice_ticks = o.slice_ticks;
  opts.fresh_engines = o.fresh_engines;
  sim::install_interrupt_handlers();
  if (!record) {
    sim::HostIo io(nullptr, nullptr);
    sim::RunResult r = sim::run_guest(cfg, io, opts);
    return report_outcome(r, guest[0], o.quiet);
  }
  std::string output = o.output;
  if (output.empty()) {
    output = new_trace_name(guest[0]);
    if (!o.quiet) std::cerr << "ditto: recording to " << output << "\n";
  }
  try {
    auto store = trace::Store::create(output);
    int64_t run = store->begin_run(sim::header_for(cfg));
    trace::Recorder recorder(*store, run);
    sim::HostIo io(store.get(), &recorder);
    sim::RunResult r = sim::run_guest(cfg, io, opts);
    if (!io.error().empty()) r.error = "cannot write the trace: " + io.error();
    if (r.error.empty()) recorder.finish();
    int status = report_outcome(r, guest[0], o.quiet);
    if (!o.quiet && r.error.empty())
      std::cerr << "ditto: recorded " << recorder.count() << " events, " << r.ticks << " ticks to " << output
                << " (run " << run << ")"
                << (r.outcome.interrupted ? "; interrupted: `ditto replay` checks it up to there" : "") << "\n";
    return status;
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto: " << ex.what() << "\n";
    return kExitDittoError;
  }
}

int cmd_replay(const std::string& file, const replay::Options& opts) {
  replay::Report rep = replay::replay_trace(file, opts);
  switch (rep.verdict) {
    case replay::Verdict::kIdentical:
      std::cout << "ditto: replay identical: " << rep.events << " events checked\n";
      break;
    case replay::Verdict::kDiverged:
      std::cout << "ditto: replay diverged after " << rep.events << " identical events\n"
                << rep.message << "\n";
      break;
    case replay::Verdict::kInvalid:
      std::cerr << "ditto: " << (rep.unreadable ? "" : "invalid trace: ") << rep.message << "\n";
      break;
    case replay::Verdict::kIncomplete:
      std::cout << "ditto: replay incomplete: " << rep.message << "\n";
      break;
    case replay::Verdict::kInterrupted:
      std::cout << "ditto: replay of an interrupted recording: " << rep.message << "\n";
      break;
    case replay::Verdict::kCancelled:
      std::cerr << "ditto: replay " << rep.message << "\n";
      break;
  }
  return rep.exit_status();
}

std::string header_json(const trace::Header& h, int64_t run, const trace::RunInfo& info) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + trace::json_quote(v[i]);
    return s + "]";
  };
  auto pairs = [](const std::vector<std::pair<std::string, std::string>>& v, const char* a, const char* b) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
      s += std::string(i ? "," : "") + "{\"" + a + "\":" + trace::json_quote(v[i].first) + ",\"" + b +
           "\":" + trace::json_quote(v[i].second) + "}";
    return s + "]";
  };
  return "{\"kind\":\"header\",\"run\":" + std::to_string(run) +
         ",\"format_version\":" + std::to_string(h.format_version) +
         ",\"ditto_version\":" + trace::json_quote(h.ditto_version) +
         ",\"program\":" + trace::json_quote(h.program_path) + ",\"argv\":" + list(h.argv) +
         ",\"env\":" + list(h.env) + ",\"seed\":" + std::to_string(h.seed) +
         ",\"policy\":" + trace::json_quote(h.policy) + ",\"cpu\":" + trace::json_quote(h.cpu_model) +
         ",\"cwd\":" + trace::json_quote(h.cwd) + ",\"mounts\":" + pairs(h.mounts, "host", "guest") +
         ",\"program_links\":" + pairs(h.program_links, "path", "target") +
         ",\"ns_per_tick\":" + std::to_string(h.ns_per_tick) +
         ",\"complete\":" + (info.complete ? "true" : "false") +
         ",\"events\":" + std::to_string(info.stored_events) + "}";
}

int cmd_dump(const std::string& file, bool json, int64_t run_opt) {
  try {
    auto store = trace::Store::open(file);
    auto runs = store->runs();
    if (runs.empty()) throw trace::TraceError(file + " holds no run");
    for (int64_t run : runs) {
      if (run_opt && run != run_opt) continue;
      trace::Header h = store->header(run);
      trace::RunInfo info = store->run_info(run);
      if (json) {
        std::cout << header_json(h, run, info) << "\n";
      } else {
        std::cout << "run " << run << ": " << h.program_path << " argv [";
        for (size_t i = 0; i < h.argv.size(); ++i) std::cout << (i ? " " : "") << h.argv[i];
        std::cout << "] seed " << h.seed << ", " << info.stored_events << " events"
                  << (info.complete ? "" : " (incomplete)") << "\n";
      }
      auto reader = store->reader(run);
      trace::Event e;
      while (reader.next(e)) std::cout << (json ? trace::to_json(e) : trace::describe(e)) << "\n";
    }
    return 0;
  } catch (const trace::TraceFileError& ex) {
    std::cerr << "ditto: " << ex.what() << "\n";
    return 4;
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto: invalid trace: " << ex.what() << "\n";
    return 4;
  }
}

int cmd_info(const std::string& file) {
  try {
    auto store = trace::Store::open(file);
    auto runs = store->runs();
    std::cout << "trace " << file << ": " << runs.size() << " run(s), format version "
              << trace::kFormatVersion << ", schema version " << trace::kSchemaVersion << "\n";
    uint64_t blob_bytes = 0;
    auto blobs = store->blob_list();
    for (auto& [hash, size] : blobs) blob_bytes += size;
    std::cout << "blobs: " << blobs.size() << " (" << blob_bytes << " bytes)\n";
    for (int64_t run : runs) {
      trace::Header h = store->header(run);
      trace::RunInfo info = store->run_info(run);
      std::cout << "run " << run << ":\n  program  " << h.program_path << "\n  argv    ";
      for (const auto& a : h.argv) std::cout << " " << a;
      std::cout << "\n  env     ";
      for (const auto& a : h.env) std::cout << " " << a;
      std::cout << "\n  cwd      " << h.cwd << "\n  seed     " << h.seed << "\n  policy   " << h.policy
                << "\n  cpu      " << h.cpu_model << "\n  ditto    " << h.ditto_version << "\n";
      for (const auto& [host, guest] : h.mounts) std::cout << "  mount    " << host << " -> " << guest << "\n";
      std::cout << "  events   " << info.stored_events << " in " << info.batches << " batches"
                << (info.complete ? "" : " (INCOMPLETE: the recorder did not finish)") << "\n";
      auto reader = store->reader(run);
      trace::Event e;
      uint32_t first_task = 0;  // the program's own process (the first one scheduled)
      while (reader.next(e)) {
        if (e.kind == trace::EventKind::kSchedule && !first_task) first_task = e.tid;
        if (e.kind == trace::EventKind::kExit) {
          std::string how = e.signal ? "killed by " + signal_name(e.signal) : "exit status " + std::to_string(e.status);
          if (e.tid == first_task) std::cout << "  ended    " << how << "\n";
          else std::cout << "  exited   process " << e.tid << ": " << how << "\n";
        } else if (e.kind == trace::EventKind::kSummary) {
          std::cout << "  ticks    " << e.tick << "\n";
          for (const auto& u : e.unsupported)
            std::cout << "  unsupported " << u.name << " (" << u.nr << ") x" << u.count << "\n";
        }
      }
    }
    return 0;
  } catch (const trace::TraceFileError& ex) {
    std::cerr << "ditto: " << ex.what() << "\n";
    return 4;
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto: invalid trace: " << ex.what() << "\n";
    return 4;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed host stdout must not kill the recorder
  sim::install_crash_handlers();
  std::vector<std::string> args(argv + 1, argv + argc);

  CLI::App app{
      "Ditto: a deterministic record/replay simulator for static x86-64 Linux programs.\n"
      "The guest runs on an emulated CPU (Unicorn) under a model of the Linux kernel; time,\n"
      "randomness and scheduling are virtual, so the same inputs and seed give the same run,\n"
      "bit for bit. `record` stores every event in a SQLite trace that `replay` re-executes\n"
      "and checks, on any machine, without the original files.",
      "ditto"};
  app.footer(std::string("Examples:\n  ditto run ./prog arg1\n  ditto record -o t.db --seed 7 ./prog\n"
                         "  ditto replay t.db\n  ditto dump t.db --json | jq .kind\n") +
             kExitCodesHelp);
  app.require_subcommand(1);
  GuestOptions run_opts, rec_opts;
  auto* run = app.add_subcommand("run", "Run PROG [ARGS...] under Ditto without recording");
  add_guest_options(run, run_opts);
  run->add_option("program", "PROG [ARGS...]: a static x86-64 ELF and its arguments");
  auto* rec = app.add_subcommand("record", "Run PROG [ARGS...] and record the run into a trace");
  add_guest_options(rec, rec_opts);
  rec->add_option("-o,--output", rec_opts.output,
                  "Trace file to write (replaced if it exists); default: a new PROG-N.db in the current directory");
  rec->add_option("program", "PROG [ARGS...]: a static x86-64 ELF and its arguments");
  std::string file;
  replay::Options rep_opts;
  auto* rep = app.add_subcommand("replay", "Re-execute a recorded run and check every event");
  rep->add_option("trace", file, "Trace file")->required();
  rep->add_option("--run", rep_opts.run, "Run number in the trace (default: the last)");
  rep->add_flag("--echo", rep_opts.echo_output, "Write the guest's output again while replaying");
  rep->add_option("--slice-ticks", rep_opts.slice_ticks, "Self-check: stop and resume every N ticks");
  rep->add_flag("--fresh-engines", rep_opts.fresh_engines, "Self-check: a new CPU engine for every fork and exec");
  bool json = false;
  int64_t dump_run = 0;
  auto* dump = app.add_subcommand("dump", "Print a trace's events, one per line");
  dump->add_option("trace", file, "Trace file")->required();
  dump->add_flag("--json", json, "JSON lines (the first line is the run header)");
  dump->add_option("--run", dump_run, "Only this run");
  auto* info = app.add_subcommand("info", "Summarise a trace: header, event count, outcome");
  info->add_option("trace", file, "Trace file")->required();

  // run/record take the guest command line verbatim after their options.
  std::vector<std::string> guest;
  if (!args.empty() && (args[0] == "run" || args[0] == "record")) {
    std::vector<std::string> rest(args.begin() + 1, args.end()), opts;
    split_guest_command(rest, opts, guest);
    args.assign(1, args[0]);
    args.insert(args.end(), opts.begin(), opts.end());
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int r = app.exit(e);
    return r == 0 ? 0 : kExitDittoError;
  }
  rep_opts.progress = ::isatty(2) != 0;
  rep_opts.interruptible = true;
  if (rep->parsed()) sim::install_interrupt_handlers();
  if (run->parsed()) return cmd_run(run_opts, guest, false);
  if (rec->parsed()) return cmd_run(rec_opts, guest, true);
  if (rep->parsed()) return cmd_replay(file, rep_opts);
  if (dump->parsed()) return cmd_dump(file, json, dump_run);
  if (info->parsed()) return cmd_info(file);
  return kExitDittoError;
}
