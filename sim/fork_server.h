// sim::ForkServer — many schedules (or inputs) of one program from one
// snapshot.
//
// The program runs once up to its first clone, the last point every
// schedule shares -- or, for a corpus, up to the moment it first touches its
// input, the last point every input shares; there the server hands control
// to a driver (explore, analyze, corpus), which launches copies. Each schedule is a host fork of that
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
  std::vector<uint64_t> stack;               // return addresses at a fatal signal, innermost first
  int signal = 0;                            // the fatal signal, if any
  std::map<std::string, uint64_t> unsupported;  // syscalls refused as unsupported, by name: how often
  std::vector<uint64_t> blocks;              // a probe's (ScheduleSpec::probe)
  std::vector<trace::Event> events;          // after the snapshot's (see ScheduleSpec::events)
  trace::PackedBatch packed;                 // the same, packed (ScheduleSpec::packed)
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
  // A corpus input (Snapshot::kFirstInput): what the copy's guest reads.
  std::string input;
  // The copy sends its events packed for the store (ScheduleResult::packed,
  // numbered on from the snapshot's), when they fit one batch.
  bool packed = false;
  // The copy reports the blocks of the program's code it ran (slowly: every
  // access is traced), for translate_ahead().
  bool probe = false;
};

// Where the snapshot is taken.
enum class Snapshot {
  kFirstClone,  // the last point every schedule shares
  kFirstInput,  // the last point every input shares (MemoryIo::at_first_input)
};

class ForkServer {
 public:
  // `opts` carries the sites, the tick limit and the policy up to the
  // snapshot; `expect_stdout`, when set, makes other output a failure.
  // (`profile` may be null: nothing is translated ahead.)
  ForkServer(const kernel::Config& cfg, RunOptions opts, std::shared_ptr<const Profile> profile,
             std::optional<std::string> expect_stdout, Snapshot at = Snapshot::kFirstClone);
  ~ForkServer();

  // Runs the program to the snapshot and calls `driver` there. False when
  // it never got there (no second task, or its input never touched):
  // `solo()` is then its one run.
  bool serve(const std::function<void(ForkServer&)>& driver);
  const ScheduleResult& solo() const { return solo_; }

  // From the driver: starts a schedule in a forked copy.
  void launch(const ScheduleSpec& spec);
  // Waits for a schedule to end: its result, or nothing when none runs.
  std::optional<ScheduleResult> collect();
  size_t running() const { return running_.size(); }
  // From the driver: translates `blocks` here, so that the copies launched
  // from now on find them translated (a probe's ScheduleResult::blocks).
  void translate_ahead(const std::vector<uint64_t>& blocks);

  // What every schedule shares: the events before the snapshot and the blobs.
  const std::vector<trace::Event>& prefix() const;
  const std::map<std::string, std::string>& prefix_blobs() const { return io_.blobs; }
  const RunOptions& run_options() const { return opts_; }
  // The input's place (Snapshot::kFirstInput), before serve(): the guest's
  // stdin when "", else the host path of the file mount that shows it.
  void set_input_path(std::string host_path) { io_.input_path = std::move(host_path); }
  // The input the server's own run reads when there is no snapshot.
  void set_solo_input(std::string bytes) { io_.set_input(std::move(bytes)); }
  // Host files from here first (a trace's copies of them), before serve().
  void set_host_files(std::function<std::optional<kernel::HostFile>(const std::string&)> files) {
    io_.files = std::move(files);
  }
  std::string error;  // why serve() could not go on (a fork failed, ...)

 private:
  bool at_snapshot(kernel::Kernel& k, Scheduler& s, const std::function<void(ForkServer&)>& driver);
  void at_input(const std::function<void(ForkServer&)>& driver);
  // Runs the driver; true in a forked copy (whose run goes on from here).
  bool drive(const std::function<void(ForkServer&)>& driver);
  [[noreturn]] void finish_child(const RunResult& r);

  const kernel::Config& cfg_;
  RunOptions opts_;
  std::shared_ptr<const Profile> profile_;
  std::optional<std::string> expect_stdout_;
  Snapshot at_;
  MemoryIo io_;
  std::set<std::string> parent_blobs_;
  size_t prefix_len_ = 0;
  bool snapshot_ = false, child_ = false;
  kernel::Kernel* kernel_ = nullptr;  // of the server's run (then of a copy's)
  class BlockProbe;
  std::unique_ptr<BlockProbe> probe_;
  ScheduleSpec spec_;  // in a copy: its own
  int result_fd_ = -1;
  struct Running {
    uint64_t id;
    int fd;
  };
  std::map<int, Running> running_;  // by pid
  ScheduleResult solo_;
};

// Words of a failure's report: "0x401a24"; "SIGSEGV" (or "signal N").
std::string hex_address(uint64_t v);
std::string signal_label(int sig);

// How a run ended, as a failure (or not): for schedules and for a run
// without a snapshot.
void classify(const RunResult& r, const MemoryIo& io, const std::optional<std::string>& expect_stdout,
              ScheduleResult& s);

}  // namespace sim
