// sim::explore — `ditto explore`: run a program under many deterministic
// schedules and collect the distinct ways it fails.
//
// One profiling run finds where the program's tasks share memory (its
// sites). Then the program runs once up to its first clone, the last point
// every schedule shares, and that process becomes a fork server: each
// schedule is a forked copy of it (the snapshot: guest memory, registers,
// kernel state and translated code, for the price of a host fork) that goes
// on under its own policy seed, keeps its trace in memory and reports how it
// ended. Schedule 0 runs the default round-robin schedule, which tells a
// program that fails without any interleaving (an environment problem, often)
// from a rare race. Failing schedules are saved as runs of a trace file that
// `ditto replay FILE --run ID` reproduces.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernel/kernel.h"
#include "sim/policy.h"
#include "trace/store.h"

namespace sim {

struct ExploreOptions {
  PolicyOptions policy;                      // name, depth, quantum; `seed` is the exploration's
  uint64_t runs = 1000;                      // schedules, schedule 0 included
  double seconds = 0;                        // stop launching schedules after this long (0: no limit)
  int jobs = 1;                              // schedules at a time
  uint64_t max_ticks = 0;                    // a schedule that runs longer livelocks (0: from the profile)
  std::string output;                        // trace file for failing schedules ("": none)
  int keep = 10;                             // runs saved per distinct failure
  std::optional<std::string> expect_stdout;  // a run printing anything else fails
  bool progress = false;
  bool stop_at_first = false;  // stop once the first failing schedule is known
  // Shard `shard` of `shards`: of schedules 0 to runs-1, those whose number
  // is `shard` modulo `shards` (a job array runs each shard elsewhere and
  // `ditto merge` adds them up).
  uint32_t shard = 0, shards = 1;
};

struct FailureGroup {
  std::string kind;     // "exit", "signal", "deadlock", "livelock", "output", "ditto"
  std::string summary;  // one line a person reads
  std::string signature;
  uint64_t count = 0;
  uint64_t first = 0;         // the first schedule that failed so
  std::vector<int64_t> runs;  // saved in ExploreOptions::output
  std::string last_output;    // the last line the guest printed
  uint64_t rip = 0;
};

struct ExploreReport {
  std::string error;  // the exploration itself failed (profiling, the trace file, ...)
  std::string policy;
  uint64_t schedules = 0;
  uint64_t failing = 0;
  uint64_t first_failing = 0;  // the lowest failing schedule (when failing > 0)
  double seconds = 0;
  bool single_task = false;  // the program never started a second task
  bool fails_without_interleaving = false;
  std::vector<FailureGroup> failures;  // in the order first found
  uint64_t sites = 0;
  uint64_t profile_ticks = 0;
  uint64_t load_bias = 0;  // of the program, to name its addresses
  std::string output;      // the trace file the failing runs went to
};

ExploreReport explore(const kernel::Config& cfg, const ExploreOptions& o);

struct ScheduleResult;
struct RunOptions;
// Saves a schedule of a fork server (sim/fork_server.h) as a replayable run:
// the snapshot's events and blobs, then the schedule's.
int64_t save_run(trace::Store& store, const kernel::Config& cfg, const RunOptions& opts,
                 const std::vector<trace::Event>& prefix,
                 const std::map<std::string, std::string>& prefix_blobs, const ScheduleResult& s);

}  // namespace sim
