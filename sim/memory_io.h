// sim::MemoryIo — the world of a run whose trace is kept in memory (the
// schedules of `ditto explore`): host files are read from the host and
// their bytes kept as blobs, stdin is a given string, and the guest's
// output is captured instead of written.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernel/io.h"

namespace sim {

class MemoryIo : public kernel::Io {
 public:
  explicit MemoryIo(std::string stdin_bytes = {}) : stdin_(std::move(stdin_bytes)) {}
  void emit(trace::Event&& e) override;
  kernel::HostFile host_file(const std::string& path, uint32_t tid, uint64_t tick) override;
  kernel::HostFile host_contents(const std::string& path, uint32_t tid, uint64_t tick) override;
  int64_t read_stdin(char* buf, size_t n) override;
  int64_t write_output(int fd, const char* buf, size_t n) override;
  bool stop_requested() const override { return stop; }
  void input_touched() override;
  uint64_t event_count() const override { return events.size(); }
  bool wants_digests(const kernel::Outcome& how) const override { return !digests_for || digests_for(how); }

  // When set, decides which runs get summary digests (explore keeps only
  // failing runs: the others need none).
  std::function<bool(const kernel::Outcome&)> digests_for;
  // When set, host files come from here (a trace's copies) when it has them.
  std::function<std::optional<kernel::HostFile>(const std::string& path)> files;

  // A corpus run's input (sim/corpus.h; kernel::Config::input): the guest's
  // stdin ("-"), or the bytes of the host file `input_path` names (the
  // placeholder a file mount shows at the guest's input path). The first
  // time the guest touches it, `at_first_input` runs (once), before
  // anything of the input is read: the fork server's snapshot, after which
  // each copy sets its own input.
  std::string input_path;
  std::function<void()> at_first_input;
  void set_input(std::string bytes);
  // Ends the run at the next boundary (the fork server's own run, once its
  // copies are done).
  bool stop = false;
  // The run ends at this tick (a probe copy's bound: kernel::Io::tick_limit).
  uint64_t tick_cap = ~uint64_t(0);
  uint64_t tick_limit() const override { return tick_cap; }

  std::vector<trace::Event> events;
  std::map<std::string, std::string> blobs;  // sha256 -> bytes
  std::string out, err;                      // the guest's stdout and stderr

 private:
  std::string stdin_;
  size_t stdin_pos_ = 0;
  std::optional<std::string> input_;  // set_input()'s bytes
};

}  // namespace sim
