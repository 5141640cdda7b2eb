// The `ditto` command line, one subcommand family a file: cli_guest.cc
// (run, record), cli_explore.cc (explore), cli_corpus.cc (corpus),
// cli_diff.cc (diff, check), cli_merge.cc (merge), cli_trace.cc (replay, dump, info), main.cc
// (the parser).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel/kernel.h"
#include "replay/replayer.h"
#include "sim/analyze.h"
#include "sim/policy.h"
#include "sim/simulator.h"

namespace cli {

constexpr int kExitDittoError = 125;
constexpr int kExitDeadlock = 124;
constexpr int kExitTickLimit = 123;
extern const char* const kExitCodesHelp;

// "SIGSEGV", or "signal N".
std::string signal_name(int sig);

// Options of the subcommands that run a guest (run, record, explore).
struct GuestOptions {
  uint64_t seed = 0;
  std::vector<std::string> env;
  bool inherit_env = false;
  std::vector<std::string> mounts;
  std::string root;        // --root DIR (empty: the host's "/")
  bool hermetic = false;   // --hermetic: Ditto's own minimal world, no host root view
  std::vector<std::string> saves;  // --save GUEST[:HOST] (run, record)
  bool quiet = false;
  std::string output;  // not given: a new PROG-N.db in the current directory
  bool output_given = false;  // -o was on the command line (even as "")
  uint64_t slice_ticks = 0;
  bool fresh_engines = false;
  sim::PolicyOptions policy;
  uint64_t max_ticks = 0;
  int cpus = kernel::Config::kDefaultCpus;
  std::string memory;  // --memory SIZE (empty: the default)
  std::string events = "all";  // --events all|io
};
// The run options `o` asks for, with the profiling run a policy that
// schedules at shared-memory accesses needs (its sites); false (after a
// message) when the policy is unknown.
bool run_options_for(const GuestOptions& o, const kernel::Config& cfg, sim::RunOptions& opts);
void add_guest_options(CLI::App* cmd, GuestOptions& o);
// --save, for the subcommands whose run ends with the guest's files at hand.
void add_save_option(CLI::App* cmd, std::vector<std::string>& saves);

// Splits `args` (after the subcommand) into the subcommand's own options
// and PROG ARGS...: options end at the first word that is not one, or
// after `--`; `cmd` says which options take a value.
void split_guest_command(const CLI::App& cmd, const std::vector<std::string>& args,
                         std::vector<std::string>& opts, std::vector<std::string>& guest);

// Builds the guest description; returns a shell status on error (after a message).
int make_config(const GuestOptions& o, const std::vector<std::string>& guest, kernel::Config& cfg);
// The status `ditto run/record` exits with for how the guest ended.
int outcome_status(const sim::RunResult& r);
// Reports how the guest ended; returns outcome_status(r).
int report_outcome(const sim::RunResult& r, const std::string& prog, bool quiet);

int cmd_run(const GuestOptions& o, const std::vector<std::string>& guest, bool record);

struct ExploreCliOptions {
  GuestOptions guest;
  uint64_t runs = 1000;
  double seconds = 0;
  int jobs = 0;  // 0: the host's cores
  int keep = 10;
  std::string expect_stdout_file;
  bool json = false;
  bool stop_at_first = false;
  std::string shard;  // "K/N"
};
void add_explore_options(CLI::App* cmd, ExploreCliOptions& o);
int cmd_explore(ExploreCliOptions& o, const std::vector<std::string>& guest);
struct CorpusCliOptions {
  GuestOptions guest;
  int jobs = 0;  // 0: the host's cores
  bool stdin_input = false;
  uint64_t timeout_ticks = 0;
  std::string shard;  // "K/N"
  bool json = false;
};
void add_corpus_options(CLI::App* cmd, CorpusCliOptions& o);
int cmd_corpus(CorpusCliOptions& o, const std::vector<std::string>& words);
int cmd_diff(const std::string& a, const std::string& b, const std::vector<int64_t>& runs, bool json, bool strict);
int cmd_check(const std::string& dir, const std::string& programs, bool update);
int cmd_merge(const std::string& out, const std::vector<std::string>& inputs, bool json);
int cmd_analyze(const sim::AnalyzeOptions& o, bool json);
int cmd_replay(const std::string& file, const replay::Options& opts);
int cmd_dump(const std::string& file, bool json, int64_t run);
int cmd_info(const std::string& file);

}  // namespace cli
