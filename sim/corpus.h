// sim::corpus — `ditto corpus`: one deterministic, recorded run of a
// program per input file (a fuzzer's queue and findings), with the crashes
// grouped.
//
// The program runs once up to the moment it first touches its input (its
// first read of stdin, or its first look at the input file), the last point
// every input shares; that process becomes a fork server (sim/fork_server.h)
// and each input runs in a forked copy of it, from there on. So an input
// costs a fork and its own instructions, not the program's start-up. Every
// run is saved in the results database with a verdict (trace::Verdict),
// and `ditto replay RESULTS.db --run ID` reproduces any of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/kernel.h"
#include "sim/corpus_inputs.h"
#include "sim/policy.h"

namespace sim {

struct CorpusOptions {
  PolicyOptions policy;         // the schedule of every run
  uint64_t timeout_ticks = 0;   // a run still going after this many ticks hangs
  int jobs = 1;                 // inputs at a time
  std::string output;           // the results database ("": none)
  bool progress = false;
  std::string shard;  // "K/N" when this is a shard of the inputs (for the results)
};

// Runs that ended the same way: a crash's signal, where it faulted and the
// calls that led there.
struct CrashGroup {
  std::string kind;       // "signal", "livelock" (a hang), "deadlock", "ditto"
  std::string signature;  // "SIGSEGV at parse+0x2a, stack 3f2a..."
  std::string summary;    // the first run's one line
  std::string where;      // the faulting instruction, symbolised
  int signal = 0;
  uint64_t count = 0;
  std::string smallest;   // the smallest input (then the first by name)
  uint64_t smallest_size = 0;
  int64_t smallest_run = 0;
  uint64_t first = 0;  // the first input (in order) that ended so
};

struct CorpusReport {
  std::string error;
  uint64_t inputs = 0, duplicates = 0;
  uint64_t clean = 0, exits = 0, crashes = 0, hangs = 0, ditto_failures = 0;
  std::vector<CrashGroup> groups;  // in the order first found
  bool snapshot = false;           // false: the program never touched its input
  double seconds = 0;              // the whole job
  double startup_seconds = 0;      // to the snapshot (paid once)
  uint64_t startup_ticks = 0;
  uint64_t run_ticks = 0;          // after the snapshot, all inputs together
  std::string output;
  std::vector<std::string> unsupported;  // syscalls no run could make, "name (count)"
};

// `cfg.input` says where the guest finds each input (kernel::Config::input).
CorpusReport run_corpus(const kernel::Config& cfg, const CorpusOptions& o, const std::vector<CorpusInput>& inputs);

// The guest path a file input shows at (`@@` in the arguments becomes it).
constexpr const char* kGuestInputPath = "/input";
// The host path its file mount names: none on the host, the input's bytes come from Ditto.
constexpr const char* kInputPlaceholder = "/ditto-corpus-input";

}  // namespace sim
