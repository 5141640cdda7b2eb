// replay::Replayer — re-executes a recorded run and checks every event the
// guest produces against the trace. Inputs that came from outside (host
// files, stdin) are served from the trace, so no host file is needed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kernel/io.h"
#include "sim/save.h"
#include "sim/simulator.h"
#include "trace/store.h"

namespace replay {

enum class Verdict {
  kIdentical,
  kDiverged,
  kInvalid,
  kIncomplete,   // the recorder was killed: what it stored replayed identically
  kInterrupted,  // the recording was stopped (Ctrl-C): identical up to there
  kCancelled,    // this replay was stopped (Ctrl-C) before its end
};

struct Report {
  Verdict verdict = Verdict::kIdentical;
  uint64_t events = 0;   // events checked and found identical
  std::string message;   // for every verdict but kIdentical
  int cancel_signal = 0;  // kCancelled: the host signal
  bool unreadable = false;  // kInvalid because the file cannot be opened at all
  bool save_failed = false;  // a --save could not be done (reported on stderr)
  std::string level = "all";  // the run's recording level (sim --events): "io" checks fewer events
  int exit_status() const;
};

struct Options {
  int64_t run = 0;         // 0: the last run in the trace
  bool echo_output = false;  // write the guest's output again while replaying
  bool progress = false;
  bool interruptible = false;  // see sim::RunOptions
  uint64_t slice_ticks = 0;  // see sim::RunOptions
  bool fresh_engines = false;  // see sim::RunOptions
  // The guest's files to copy out at the end (--save), as the replayed run
  // left them; Report::save_failed when one could not be.
  std::vector<sim::SaveRequest> saves;
};

// Never throws: an unreadable trace is Verdict::kInvalid with the reason.
Report replay_trace(const std::string& path, const Options& opts);

// Io that answers from the trace and compares what the kernel emits.
class ReplayIo : public kernel::Io {
 public:
  ReplayIo(trace::Store& store, int64_t run, bool complete, bool echo);
  void emit(trace::Event&& e) override;
  kernel::HostFile host_file(const std::string& path, uint32_t tid, uint64_t tick) override;
  kernel::HostFile host_contents(const std::string& path, uint32_t tid, uint64_t tick) override;
  int64_t read_stdin(char* buf, size_t n) override;
  int64_t write_output(int fd, const char* buf, size_t n) override;
  bool stop_requested() const override { return stopped_; }
  uint64_t event_count() const override { return checked_; }
  uint64_t tick_limit() const override { return limit_tick_; }
  const trace::Event* next_recorded() override;
  void report_divergence(const std::string& what) override;

  // After the guest ends: anything the recording has that replay did not produce.
  void finish();
  const Report& report() const { return report_; }

 private:
  kernel::HostFile recorded_host_file(const std::string& path, uint32_t tid, uint64_t tick, bool contents);
  const trace::Event* peek();
  void diverge(const std::string& what, const trace::Event* expected, const std::string& actual);
  void invalid(const trace::TraceError& ex);
  // After an event matched: where the recording ends, replay ends too (a
  // guest that spins after the last stored event must not run on forever).
  void look_ahead();
  void end_at_interrupt(const trace::Event& interrupt);
  trace::Store& store_;
  trace::Store::Reader reader_;
  bool complete_;
  bool echo_;
  std::optional<trace::Event> next_;
  bool exhausted_ = false;
  bool stopped_ = false;
  uint64_t checked_ = 0;
  uint64_t limit_tick_ = ~uint64_t(0);
  Report report_;
};

}  // namespace replay
