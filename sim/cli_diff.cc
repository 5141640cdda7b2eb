// `ditto diff` (two recorded runs, sim/diff.h) and `ditto check` (golden
// traces: every case of a manifest recorded again and compared with its
// committed trace).
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/cli.h"
#include "sim/diff.h"
#include "trace/store.h"

extern char** environ;

namespace cli {

namespace {

constexpr int kExitBadTrace = 4;

struct LoadedRun {
  trace::Header header;
  std::vector<trace::Event> events;
  int64_t run = 0;
};

LoadedRun load_run(const std::string& file, int64_t run) {
  std::unique_ptr<trace::Store> s = trace::Store::open(file);
  std::vector<int64_t> runs = s->runs();
  if (runs.empty()) throw trace::TraceError(file + " holds no run");
  LoadedRun r;
  r.run = run ? run : runs.back();
  if (std::find(runs.begin(), runs.end(), r.run) == runs.end())
    throw trace::TraceError(file + " has no run " + std::to_string(run) + " (it has runs " +
                            std::to_string(runs.front()) + " to " + std::to_string(runs.back()) + ")");
  r.header = s->header(r.run);
  r.events = sim::read_events(*s, r.run);
  return r;
}

}  // namespace

int cmd_diff(const std::string& a, const std::string& b, const std::vector<int64_t>& runs, bool json, bool strict) {
  int64_t run_a = runs.empty() ? 0 : runs[0];
  int64_t run_b = runs.size() > 1 ? runs[1] : run_a;
  LoadedRun ra, rb;
  try {
    ra = load_run(a, run_a);
    rb = load_run(b, run_b);
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto diff: " << ex.what() << "\n";
    return kExitBadTrace;
  }
  sim::DiffOptions o;
  o.host_times = strict;
  sim::RunDiff d = sim::diff_runs(ra.header, ra.events, rb.header, rb.events, o);
  std::string la = a + " run " + std::to_string(ra.run), lb = b + " run " + std::to_string(rb.run);
  if (json) {
    std::cout << sim::diff_json(d, la, lb) << "\n";
  } else {
    std::cout << "ditto diff: " << la << " vs " << lb << ": " << (d.identical ? "identical events" : "they differ")
              << "\n"
              << sim::format_diff(d, "A", "B");
  }
  return d.identical ? 0 : 1;
}

namespace {

// One line of a check manifest: NAME [OPTIONS] PROG [ARGS...].
struct CheckCase {
  std::string name;
  std::vector<std::string> options;  // passed to `ditto record`
  std::string stdin_file;            // relative to the manifest's folder
  std::string program;
  std::vector<std::string> args;
  int line = 0;
};

// The `ditto record` options a case may set: each takes a value.
bool case_option(const std::string& w) {
  for (const char* o : {"--seed", "--sched", "--sched-seed", "--depth", "--quantum", "--env", "--cpus", "--memory",
                        "--max-ticks"})
    if (w == o) return true;
  return false;
}

bool parse_manifest(const std::string& path, std::vector<CheckCase>& out) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "ditto check: cannot read " << path << " (a folder of goldens holds a MANIFEST)\n";
    return false;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream ws(line);
    std::vector<std::string> w;
    for (std::string x; ws >> x;) w.push_back(x);
    if (w.empty()) continue;
    CheckCase c;
    c.name = w[0];
    c.line = n;
    size_t i = 1;
    for (; i < w.size() && w[i].rfind("--", 0) == 0; i += 2) {
      if (i + 1 >= w.size() || !(case_option(w[i]) || w[i] == "--stdin")) {
        std::cerr << "ditto check: " << path << ":" << n << ": " << w[i]
                  << " is not a case option (--seed --sched --sched-seed --depth --quantum --env --cpus --memory "
                     "--max-ticks --stdin, each with a value)\n";
        return false;
      }
      if (w[i] == "--stdin") c.stdin_file = w[i + 1];
      else c.options.insert(c.options.end(), {w[i], w[i + 1]});
    }
    if (i >= w.size() || c.name.find('/') != std::string::npos) {
      std::cerr << "ditto check: " << path << ":" << n << ": expected NAME [OPTIONS] PROG [ARGS...]\n";
      return false;
    }
    c.program = w[i];
    c.args.assign(w.begin() + long(i) + 1, w.end());
    out.push_back(std::move(c));
  }
  return true;
}

// A world of the case's own: /bin/PROG and nothing else, every time stamp
// 0, so that a run is the same whichever checkout or machine built it.
std::string make_root(const std::string& dir, const std::string& program) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir + "/bin", ec);
  if (ec) return "cannot make " + dir + ": " + ec.message();
  std::string dest = dir + "/bin/" + fs::path(program).filename().string();
  fs::copy_file(program, dest, fs::copy_options::overwrite_existing, ec);
  if (ec) return "cannot copy " + program + ": " + ec.message();
  ::chmod(dest.c_str(), 0755);
  struct timespec zero[2] = {{0, 0}, {0, 0}};
  for (const std::string& p : {dest, dir + "/bin", dir}) ::utimensat(AT_FDCWD, p.c_str(), zero, 0);
  return "";
}

// Records a case with this very Ditto; its status, or -1 when it cannot start.
int record_case(const CheckCase& c, const std::string& dir, const std::string& root, const std::string& out) {
  std::vector<std::string> argv = {"ditto", "record", "-q", "-o", out, "--root", root};
  argv.insert(argv.end(), c.options.begin(), c.options.end());
  argv.push_back("/bin/" + std::filesystem::path(c.program).filename().string());
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  std::vector<char*> cargv;
  for (std::string& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  std::string in = c.stdin_file.empty() ? "/dev/null" : dir + "/" + c.stdin_file;
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace

int cmd_check(const std::string& dir, const std::string& programs, bool update) {
  namespace fs = std::filesystem;
  std::vector<CheckCase> cases;
  if (!parse_manifest(dir + "/MANIFEST", cases)) return kExitDittoError;
  char tmpl[] = "/tmp/ditto-check-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::cerr << "ditto check: cannot make a temporary folder: " << std::strerror(errno) << "\n";
    return kExitDittoError;
  }
  const std::string tmp = tmpl;
  int differing = 0, errors = 0;
  for (const CheckCase& c : cases) {
    std::string program = c.program.find('/') == std::string::npos ? programs + "/" + c.program : c.program;
    std::string root = tmp + "/" + c.name + ".root", fresh = tmp + "/" + c.name + ".db";
    std::string golden = dir + "/" + c.name + ".db";
    if (std::string err = make_root(root, program); !err.empty()) {
      std::cout << "ERROR " << c.name << ": " << err << " (--programs names the folder of the built programs)\n";
      ++errors;
      continue;
    }
    int st = record_case(c, dir, root, fresh);
    if (st < 0 || st == kExitDittoError || !fs::exists(fresh)) {
      std::cout << "ERROR " << c.name << ": ditto record could not record it (status " << st << ")\n";
      ++errors;
      continue;
    }
    bool have_golden = fs::exists(golden);
    sim::RunDiff d;
    uint64_t events = 0;
    try {
      LoadedRun now = load_run(fresh, 0);
      events = now.events.size();
      if (have_golden) {
        LoadedRun old = load_run(golden, 0);
        sim::DiffOptions o;
        o.portable = true;
        d = sim::diff_runs(old.header, old.events, now.header, now.events, o);
      }
    } catch (const trace::TraceError& ex) {
      std::cout << "ERROR " << c.name << ": " << ex.what() << "\n";
      ++errors;
      continue;
    }
    bool same = have_golden && d.identical && d.header.empty();
    if (same) {
      std::cout << "ok    " << c.name << " (" << events << " events)\n";
      continue;
    }
    if (update) {
      try {
        fs::copy_file(fresh, golden, fs::copy_options::overwrite_existing);
        trace::Store::open(golden, true)->make_golden();
      } catch (const std::exception& ex) {
        std::cout << "ERROR " << c.name << ": cannot write " << golden << ": " << ex.what() << "\n";
        ++errors;
        continue;
      }
      std::cout << (have_golden ? "new   " : "added ") << c.name << " (" << events << " events, "
                << fs::file_size(golden) << " bytes)\n";
      continue;
    }
    ++differing;
    if (!have_golden) {
      std::cout << "NEW   " << c.name << ": no golden trace " << golden << " (ditto check --update blesses one)\n";
      continue;
    }
    std::cout << "DIFF  " << c.name << " (" << dir << "/MANIFEST:" << c.line << ")\n"
              << sim::format_diff(d, "golden", "now");
  }
  fs::remove_all(tmp);
  std::cout << "ditto check: " << cases.size() << " cases, " << cases.size() - size_t(differing + errors)
            << " as their goldens" << (update ? " (or blessed)" : "") << ", " << differing << " differ, " << errors
            << " errors\n";
  return errors ? kExitDittoError : differing ? 1 : 0;
}

}  // namespace cli
