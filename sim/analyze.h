// sim::analyze — `ditto analyze FILE --run ID`: why a recorded schedule
// fails.
//
// 1. Minimise. The run's preemptions are the candidates (task T stopped at
//    its i-th scheduling point, task N ran instead; the trace records both).
//    Schedules that keep none, one, then two of them (and otherwise never
//    preempt: see the `scripted` policy) are tried, each a fork of one
//    snapshot; when none fails the same way, delta debugging over all of
//    them. The first schedule that fails the same way is the minimal one.
// 2. Explain. The minimal schedule runs again with memory tracing: for each
//    of its preemptions, the access T makes when it resumes and the
//    conflicting accesses (same word, one of them a write) other tasks made
//    while T was stopped are the racing pair, whose order decides pass or
//    fail; a third run captures their stacks.
// 3. The minimal schedule is saved in the same file as a new run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/policy.h"

namespace sim {

struct AnalyzeOptions {
  std::string file;
  int64_t run = 0;                // 0: the last
  int jobs = 0;                   // 0: the host's cores (the CLI decides)
  uint64_t max_schedules = 5000;  // tried while minimising
};

struct Access {
  uint32_t tid = 0;
  uint64_t tick = 0, rip = 0, addr = 0;
  uint32_t size = 0;
  bool write = false;
  std::vector<uint64_t> stack;  // return addresses, innermost first
};

struct RacingPair {
  ScriptedPreemption at;   // the preemption that orders them
  uint64_t stop_rip = 0;   // where the preempted task stopped
  std::string stop_point;  // "site" or "syscall"
  Access first;            // made by another task while the preempted one was stopped
  Access second;           // the preempted task's own, when it resumed
  bool found = false;      // false: no conflicting access (a signal, a syscall's effect)
  std::string between;     // otherwise: what the other tasks did meanwhile
};

struct TimelineEntry {
  uint64_t tick = 0;
  uint32_t tid = 0;
  std::string what;
  uint64_t rip = 0;  // a code place to name, or 0
};

struct AnalyzeReport {
  std::string error;
  std::string program, failure;  // what fails, and how
  std::string program_elf;       // its bytes (from the trace), to name addresses
  uint64_t load_bias = 0;
  size_t original_preemptions = 0;
  std::vector<ScriptedPreemption> minimal;
  bool reduced = false;  // a schedule with at most the original's preemptions failed the same way
  bool fails_without_preemption = false;
  uint64_t schedules_tried = 0;
  int64_t saved_run = 0;  // the minimal schedule, in the same file
  std::vector<RacingPair> races;
  std::vector<TimelineEntry> timeline;
  double seconds = 0;
};

AnalyzeReport analyze(const AnalyzeOptions& o);

}  // namespace sim
