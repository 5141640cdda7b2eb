// sim::Simulator — the run loop: picks the task to run, runs it on its
// engine until a trap, fault or tick budget, hands traps to the kernel, and
// repeats until the guest ends. Single host thread, deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernel/io.h"
#include "kernel/kernel.h"
#include "sim/policy.h"
#include "trace/store.h"

namespace sim {

class Scheduler;
struct RunResult;

struct RunResult {
  kernel::LoadError load;  // status != 0: the program never started
  kernel::Outcome outcome;
  uint64_t ticks = 0;
  std::map<std::string, std::pair<uint32_t, uint64_t>> unsupported;
  std::string error;  // a Ditto-side failure (trace I/O, internal error)
};

struct RunOptions {
  bool progress = false;  // print progress lines to stderr on long runs
  // A first Ctrl-C (sim/host_signals.h) ends the run at the next boundary
  // between slices or chunks, with an interrupt event.
  bool interruptible = false;
  // Stop and resume the running task every this many ticks, without a
  // scheduling decision: this proves that a stop at a tick boundary changes
  // nothing (the trace must be identical with any value).
  uint64_t slice_ticks = 0;  // 0: no slicing
  // A new CPU engine for every fork and exec instead of a reused one (kernel::EnginePool):
  // slower, and the run must not change.
  bool fresh_engines = false;
  // Who decides the schedule: `policy` (recording, `ditto run`), or the
  // recorded decisions that Io::next_recorded() shows (replay).
  PolicyOptions policy;
  bool follow_recording = false;
  // What the trace header says of the policy, when not policy's own words
  // (a scripted schedule of `ditto analyze`).
  std::string policy_description;
  // Instructions of the program (cfg.program_path) before which the
  // scheduler is asked (sim/profile.h); in the trace header.
  std::vector<uint64_t> sites;
  // The run ends when it reaches this many ticks (0: never), with a status
  // of its own (a livelock).
  uint64_t max_ticks = 0;
  // Called when the first clone is about to run (kernel::Kernel::
  // set_first_clone_hook); false ends the run there.
  std::function<bool(kernel::Kernel&, Scheduler&)> at_first_clone;
  // Called once the program loaded, before any guest code runs (a recording
  // makes its trace there: a program that cannot start replaces nothing).
  std::function<void(kernel::Kernel&)> at_started;
  // Called with the result before the run's kernel is torn down (a forked
  // schedule reports and exits there: tearing down costs more than its run).
  std::function<void(const RunResult&)> at_end;
  // Called once the guest has ended, its kernel still whole (--save reads
  // the guest's files there); it must emit no event.
  std::function<void(kernel::Kernel&)> at_teardown;
  // A profiling run's memory tracer for each address space (sim/profile.cc).
  std::function<cpu::MemoryTracer*(const kernel::Kernel&, const kernel::MemoryManager&)> tracer;
};

// Runs the guest described by `cfg` to its end, with `io` as its world.
RunResult run_guest(const kernel::Config& cfg, kernel::Io& io, const RunOptions& opts);

trace::Header header_for(const kernel::Config& cfg, const RunOptions& opts);
// The options a replay of a run with header `h` needs (sites, tick limit).
void replay_options_from(const trace::Header& h, RunOptions& opts);
kernel::Config config_from(const trace::Header& h);

// Io backed by the host. With a recorder it also writes the trace: every
// event, and every host file's bytes as a content-addressed blob.
class HostIo : public kernel::Io {
 public:
  HostIo(trace::Store* store, trace::Recorder* recorder) : store_(store), recorder_(recorder) {}
  // Recording into a trace that does not exist yet: events and host files
  // are held until attach() (the trace is made once the program loaded).
  void hold() { holding_ = true; }
  void attach(trace::Store* store, trace::Recorder* recorder);
  void emit(trace::Event&& e) override;
  kernel::HostFile host_file(const std::string& path, uint32_t tid, uint64_t tick) override;
  kernel::HostFile host_contents(const std::string& path, uint32_t tid, uint64_t tick) override;
  int64_t read_stdin(char* buf, size_t n) override;
  int64_t write_output(int fd, const char* buf, size_t n) override;
  bool stop_requested() const override { return !error_.empty(); }
  bool keeps_events() const override { return recorder_ != nullptr; }
  uint64_t event_count() const override { return events_; }
  const std::string& error() const { return error_; }

 private:
  trace::Store* store_;
  trace::Recorder* recorder_;
  std::string error_;
  uint64_t events_ = 0;
  bool holding_ = false;
  std::vector<trace::Event> held_;
  std::vector<std::pair<std::string, std::string>> held_blobs_;
};

// Host lookup (lstat semantics) of one file, directory or symlink: its
// metadata (a directory's entries, a symlink's target), not a file's bytes.
kernel::HostFile read_host_file(const std::string& path);
// The bytes of a host regular file.
kernel::HostFile read_host_contents(const std::string& path);
// The hostfile events for `hf`'s metadata and contents (the latter naming
// the contents' blob when asked to).
trace::Event host_file_event(const std::string& path, uint32_t tid, uint64_t tick, const kernel::HostFile& hf);
trace::Event host_contents_event(const std::string& path, uint32_t tid, uint64_t tick, const kernel::HostFile& hf,
                                 bool name_blob);

}  // namespace sim
