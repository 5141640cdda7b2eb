// sim::diff — how two recorded runs differ (`ditto diff`, `ditto check`):
// the header fields that differ, the first event where the runs part and a
// few events around it, and a summary of the rest (events only in one run,
// by kind). Two runs of one program under two schedules, two seeds or two
// Ditto versions are compared the same way.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "trace/event.h"
#include "trace/store.h"

namespace sim {

struct DiffOptions {
  size_t context = 3;  // events shown before the first difference, and after it in each run
  // Host files' owners and times (which a directory listing changes on
  // the host between two recordings) are compared only when asked.
  bool host_times = false;
  // Host facts that differ between two machines and say nothing of the
  // guest (`ditto check`): host paths are compared below each run's root
  // directory, and the Ditto version that wrote the trace is not compared.
  bool portable = false;
};

struct RunDiff {
  std::vector<std::string> header;  // "seed: 1 | 2", one per differing field
  uint64_t events_a = 0, events_b = 0;
  bool identical = false;           // the events (the header may still differ)
  uint64_t common = 0;              // identical events before the first difference
  std::string what;                 // the first differing field there ("" when one run just ends)
  std::vector<trace::Event> before;            // up to `context` events before it
  std::vector<trace::Event> from_a, from_b;    // the differing events and a few after, in each run
  // The events after the first difference, matched as a multiset (ticks,
  // places and sequence numbers aside): what one run has the other lacks.
  uint64_t only_a = 0, only_b = 0, matched = 0;
  std::vector<std::pair<std::string, uint64_t>> only_a_by_name, only_b_by_name;  // "write" x3, most first
  std::string end_a, end_b;  // how each run ended ("exit status 0", "killed by signal 11", "no end")
};

RunDiff diff_runs(const trace::Header& ha, const std::vector<trace::Event>& a, const trace::Header& hb,
                  const std::vector<trace::Event>& b, const DiffOptions& o);

// All events of `run` (TraceError when the trace is damaged).
std::vector<trace::Event> read_events(trace::Store& store, int64_t run);

// For a person: several indented lines (`label_a`, `label_b` name the runs).
std::string format_diff(const RunDiff& d, const std::string& label_a, const std::string& label_b);
// One JSON object.
std::string diff_json(const RunDiff& d, const std::string& label_a, const std::string& label_b);

}  // namespace sim
