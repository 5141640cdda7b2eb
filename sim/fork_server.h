// sim::ForkServer — many schedules of one program from one snapshot.
//
// The program runs once up to its first clone, the last point every
// schedule shares; there the server hands control to a driver (explore,
// analyze), which launches schedules. Each schedule is a host fork of that
// moment (guest memory, registers, kernel state and translated code, for the
// price of a fork) that goes on under the policy the driver gave it, keeps
// its trace in memory and reports how it ended through a memfd. The code the
// profile saw run is translated in the server before the first fork, so no
// copy translates it again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/kernel.h"
#include "sim/memory_io.h"
#include "sim/policy.h"
#include "sim/profile.h"
#include "sim/simulator.h"

namespace sim {

// How a schedule ended, as the driver sees it.
struct ScheduleResult {
  uint64_t id = 0;
  bool failed = false;
  std::string kind;       // "exit", "signal", "deadlock", "livelock", "output", "ditto"
  std::string signature;  // equal for the same failure (kind, signal or status, place, calls)
  std::string summary;    // one line a person reads
  std::string last_output;
  uint64_t rip = 0, ticks = 0;
  uint64_t load_bias = 0;                    // of the program (to name its addresses)
  std::vector<trace::Event> events;          // after the snapshot's (see ScheduleSpec::events)
  std::map<std::string, std::string> blobs;  // those the snapshot did not have
  std::string extra;                         // what ScheduleSpec::report added
};

struct ScheduleSpec {
  uint64_t id = 0;
  // Made in the forked copy: the policy from the snapshot on.
  std::function<std::unique_ptr<Policy>()> policy;
  enum class Events { kNone, kIfFailed, kAlways } events = Events::kIfFailed;
  // In the copy, at the snapshot (before its run goes on): e.g. a tracer.
  std::function<void(kernel::Kernel&)> at_start;
  // In the copy, after its run: bytes for ScheduleResult::extra.
  std::function<std::string()> report;
};

class ForkServer {
 public:
  // `opts` carries the sites, the tick limit and the policy up to the
  // snapshot; `expect_stdout`, when set, makes other output a failure.
  ForkServer(const kernel::Config& cfg, RunOptions opts, std::shared_ptr<const Profile> profile,
             std::optional<std::string> expect_stdout);

  // Runs the program to its first clone and calls `driver` there. False when
  // it never started a second task: `solo()` is then its one run.
  bool serve(const std::function<void(ForkServer&)>& driver);
  const ScheduleResult& solo() const { return solo_; }

  // From the driver: starts a schedule in a forked copy.
  void launch(const ScheduleSpec& spec);
  // Waits for a schedule to end: its result, or nothing when none runs.
  std::optional<ScheduleResult> collect();
  size_t running() const { return running_.size(); }

  // What every schedule shares: the events before the snapshot and the blobs.
  const std::vector<trace::Event>& prefix() const;
  const std::map<std::string, std::string>& prefix_blobs() const { return io_.blobs; }
  const RunOptions& run_options() const { return opts_; }
  // Host files from here first (a trace's copies of them), before serve().
  void set_host_files(std::function<std::optional<kernel::HostFile>(const std::string&)> files) {
    io_.files = std::move(files);
  }
  std::string error;  // why serve() could not go on (a fork failed, ...)

 private:
  bool at_snapshot(kernel::Kernel& k, Scheduler& s, const std::function<void(ForkServer&)>& driver);
  [[noreturn]] void finish_child(const RunResult& r);

  const kernel::Config& cfg_;
  RunOptions opts_;
  std::shared_ptr<const Profile> profile_;
  std::optional<std::string> expect_stdout_;
  MemoryIo io_;
  std::set<std::string> parent_blobs_;
  size_t prefix_len_ = 0;
  bool snapshot_ = false, child_ = false;
  ScheduleSpec spec_;  // in a copy: its own
  int result_fd_ = -1;
  struct Running {
    uint64_t id;
    int fd;
  };
  std::map<int, Running> running_;  // by pid
  ScheduleResult solo_;
};

// How a run ended, as a failure (or not): for schedules and for a run
// without a snapshot.
void classify(const RunResult& r, const MemoryIo& io, const std::optional<std::string>& expect_stdout,
              ScheduleResult& s);

}  // namespace sim
