// The progress line of a long run on a terminal: virtual time, ticks,
// events and processes, redrawn in place about once a second once the run
// has taken a few seconds. Host time decides only when it is drawn; nothing
// of it reaches the guest or the trace.
#pragma once

#include <chrono>
#include <cstdint>

namespace kernel {
class Kernel;
}

namespace sim {

class Progress {
 public:
  // `enabled`: stderr is a terminal and the user did not ask for quiet.
  // DITTO_PROGRESS_DELAY (seconds, default 2) sets when the first line shows.
  explicit Progress(bool enabled);
  ~Progress() { finish(); }
  // Redraws the line if it is due.
  void update(const kernel::Kernel& k, uint64_t events);
  // Erases the line (before the run's own summary is printed).
  void finish();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, next_;
};

}  // namespace sim
