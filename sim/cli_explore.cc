// `ditto explore`: many schedules of one program, the distinct failures
// they show (sim/explore.h), reported for a person or as JSON.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/cli.h"
#include "sim/shard.h"
#include "sim/explore.h"
#include "sim/host_signals.h"
#include "sim/symbols.h"
#include "trace/event.h"

namespace cli {

void add_explore_options(CLI::App* cmd, ExploreCliOptions& o) {
  add_guest_options(cmd, o.guest);
  cmd->get_option("--sched")->description(
      "Scheduling policy for the schedules after the first: surw (default), pos, pct, random, rr");
  cmd->add_option("--runs", o.runs, "Schedules to run, the default one included (default 1000)");
  cmd->add_option("--time", o.seconds, "Stop starting schedules after SECS seconds of host time");
  cmd->add_option("-j,--jobs", o.jobs,
                  "Schedules at a time, each in a process of its own (default: the host's cores)");
  cmd->add_option("-o,--output", o.guest.output,
                  "Trace file for the failing schedules (default: a new PROG-explore-N.db when one fails)");
  cmd->add_option("--keep", o.keep, "Failing runs saved for each distinct failure (default 10)");
  cmd->add_option("--expect-stdout", o.expect_stdout_file,
                  "A schedule fails when its stdout differs from this file's contents");
  cmd->add_flag("--json", o.json, "One JSON object on stdout instead of the report");
  cmd->add_option("--shard", o.shard,
                  "Run only shard K of N (0 <= K < N): schedules numbered K modulo N, for job arrays "
                  "(ditto merge adds the shards up)");
  cmd->add_flag(
      "--stop-at-first", o.stop_at_first,
      "Stop at the first failing schedule (the lowest-numbered one: schedules before it still finish)");
}

namespace {

std::string json_str(const std::string& s) { return trace::json_quote(s); }

std::string new_explore_name(const std::string& prog) {
  std::string base = prog.substr(prog.rfind('/') + 1);
  if (base.empty()) base = "ditto";
  for (int n = 0;; ++n) {
    std::string name = base + "-explore-" + std::to_string(n) + ".db";
    struct stat st;
    if (::lstat(name.c_str(), &st) != 0) return name;
  }
}

}  // namespace

int cmd_explore(ExploreCliOptions& o, const std::vector<std::string>& guest) {
  kernel::Config cfg;
  if (int s = make_config(o.guest, guest, cfg)) return s;
  sim::ExploreOptions eo;
  eo.policy = o.guest.policy;
  if (eo.policy.name.empty()) eo.policy.name = "surw";
  eo.policy.seed = o.guest.seed;
  eo.runs = o.runs;
  eo.seconds = o.seconds;
  eo.jobs = o.jobs > 0 ? o.jobs : int(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  eo.keep = o.keep;
  eo.max_ticks = o.guest.max_ticks;
  eo.output = o.guest.output.empty() ? new_explore_name(guest[0]) : o.guest.output;
  eo.progress = !o.guest.quiet && !o.json && ::isatty(2);
  eo.stop_at_first = o.stop_at_first;
  if (!o.shard.empty() && !sim::parse_shard(o.shard, eo.shard, eo.shards)) {
    std::cerr << "ditto explore: --shard " << o.shard << ": expected K/N with 0 <= K < N, e.g. 0/4\n";
    return kExitDittoError;
  }
  if (!o.expect_stdout_file.empty()) {
    std::ifstream in(o.expect_stdout_file, std::ios::binary);
    if (!in) {
      std::cerr << "ditto: --expect-stdout: cannot read " << o.expect_stdout_file << "\n";
      return kExitDittoError;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    eo.expect_stdout = ss.str();
  }
  try {
    sim::make_policy(eo.policy);
  } catch (const std::invalid_argument& ex) {
    std::cerr << "ditto: --sched: " << ex.what() << "\n";
    return kExitDittoError;
  }
  sim::ExploreReport r = sim::explore(cfg, eo);
  if (!r.error.empty()) {
    std::cerr << "ditto: explore: " << r.error << "\n";
    return kExitDittoError;
  }
  std::string program_bytes;
  {
    std::ifstream in(cfg.program_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    program_bytes = ss.str();
  }
  sim::Symbols symbols(program_bytes, r.load_bias);
  double rate = r.seconds > 0 ? double(r.schedules) / r.seconds : 0;
  if (o.json) {
    std::string s =
        "{\"program\":" + json_str(cfg.program_path) + ",\"policy\":" + json_str(r.policy) +
        ",\"schedules\":" + std::to_string(r.schedules) + ",\"seconds\":" + std::to_string(r.seconds) +
        ",\"schedules_per_second\":" + std::to_string(rate) + ",\"sites\":" + std::to_string(r.sites) +
        ",\"single_task\":" + (r.single_task ? "true" : "false") +
        ",\"fails_without_interleaving\":" + (r.fails_without_interleaving ? "true" : "false") +
        ",\"failing\":" + std::to_string(r.failing) +
        (r.failing ? ",\"first_failing_schedule\":" + std::to_string(r.first_failing) : "") +
        ",\"trace\":" + json_str(r.failures.empty() ? "" : r.output) + ",\"failures\":[";
    for (size_t i = 0; i < r.failures.size(); ++i) {
      const sim::FailureGroup& g = r.failures[i];
      s += std::string(i ? "," : "") + "{\"kind\":" + json_str(g.kind) +
           ",\"summary\":" + json_str(g.summary) +
           ",\"where\":" + json_str(g.rip ? symbols.describe(g.rip) : "") +
           ",\"count\":" + std::to_string(g.count) + ",\"first_schedule\":" + std::to_string(g.first) +
           ",\"last_output\":" + json_str(g.last_output) + ",\"runs\":[";
      for (size_t j = 0; j < g.runs.size(); ++j) s += (j ? "," : "") + std::to_string(g.runs[j]);
      s += "]}";
    }
    std::cout << s << "]}\n";
  } else {
    char head[256];
    std::snprintf(head, sizeof head,
                  "ditto explore: %llu schedules of %s with %s, %.2f s (%.0f schedules/s, %d jobs)",
                  static_cast<unsigned long long>(r.schedules), guest[0].c_str(), r.policy.c_str(), r.seconds,
                  rate, eo.jobs);
    std::cout << head << "\n";
    if (r.single_task)
      std::cout << "  the program never starts a second task: it has one schedule, and that one was run\n";
    else
      std::cout << "  " << r.sites << " scheduling sites (instructions that touch memory tasks share)\n";
    if (r.failures.empty()) {
      std::cout << "  no failure\n";
    } else {
      std::cout << "  " << r.failures.size() << " distinct failure" << (r.failures.size() > 1 ? "s" : "")
                << " in " << r.failing << " failing schedule" << (r.failing > 1 ? "s" : "") << ":\n";
      for (size_t i = 0; i < r.failures.size(); ++i) {
        const sim::FailureGroup& g = r.failures[i];
        std::cout << "  #" << i + 1 << " " << g.summary;
        if (g.rip) std::cout << " in " << symbols.describe(g.rip);
        std::cout << "\n     " << g.count << " schedule" << (g.count > 1 ? "s" : "") << ", first: schedule "
                  << g.first;
        if (!g.runs.empty()) {
          std::cout << "; runs " << g.runs.front();
          if (g.runs.size() > 1) std::cout << "-" << g.runs.back();
          std::cout << " in " << r.output;
        }
        std::cout << "\n";
        if (!g.last_output.empty()) std::cout << "     last output: " << g.last_output << "\n";
      }
      if (r.fails_without_interleaving)
        std::cout
            << "  NOTE: it fails without any interleaving too (schedule 0, the default round-robin one):\n"
               "  that is seldom a race; look at its environment first (files, arguments, stdin).\n";
      if (!r.failures.front().runs.empty())
        std::cout << "  replay one:  ditto replay " << r.output << " --run "
                  << r.failures.front().runs.front() << "\n  explain it:  ditto analyze " << r.output
                  << " --run " << r.failures.front().runs.front() << "\n";
    }
  }
  return r.failures.empty() ? 0 : 1;
}

}  // namespace cli
