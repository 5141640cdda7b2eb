// sim::Profile — where the tasks of a program share memory, learnt from one
// profiling run that sees every data access (cpu::Engine::trace_memory):
// the 8-byte words that more than one task touched and some task wrote, the
// instructions that touched them (the sites: the scheduler's preemption
// points inside basic blocks), and how often each task did. Scheduling
// policies weigh their choices with it (pct's step count, pos's conflicts,
// surw's per-task counts). A site's words are those of the profiling run; a
// schedule that takes other paths may touch others.
//
// Like the tools that instrument only the program under test and treat
// its library calls as single steps, the sites are the program's own
// shared accesses and the C library's atomic instructions (the locks and
// counters inside pthread_mutex_lock, ...): the library's plain accesses to
// its own shared state (malloc's lists, stdio's buffers) would multiply the
// scheduling points without adding races of the program's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/io.h"
#include "kernel/kernel.h"

namespace sim {

struct SiteInfo {
  std::vector<uint64_t> words;  // shared words it touched (addresses, sorted)
  bool reads = false, writes = false;
  bool program = false;  // the program's own code (sim::Symbols::program_code)
  bool atomic = false;   // a locked read-modify-write (lock prefix, xchg)
  uint64_t count = 0;    // accesses it made to shared words
};

struct Profile {
  std::map<uint64_t, SiteInfo> sites;                              // by instruction address
  std::map<uint64_t, std::map<uint32_t, uint64_t>> word_accesses;  // shared word -> accesses by task
  std::map<uint64_t, bool> word_written;
  std::map<uint64_t, bool> word_in_thread_stack;  // in a mapping clone gave a thread as its stack
  std::map<uint32_t, uint64_t> task_accesses;     // accesses to shared words, by task
  uint64_t accesses = 0;                          // by the sites kept (see below)
  uint64_t syscalls = 0;                          // syscalls of the run (scheduling points too)
  uint64_t ticks = 0;
  std::vector<uint64_t> blocks;  // basic blocks run after the first clone
  kernel::Outcome outcome;       // how the profiling run ended
  // Shared words with their accesses by all tasks, and the sites that
  // touched each (for surw's choice of a word), filled with the rest.
  std::vector<std::pair<uint64_t, uint64_t>> word_totals;
  std::map<uint64_t, std::vector<uint64_t>> word_sites;
  std::vector<uint64_t> site_list() const;
  // Whether sites `a` and `b` touched a word in common, one of them writing.
  bool conflict(uint64_t a, uint64_t b) const;
};

struct RunOptions;
// Runs the guest once with memory tracing (stdin empty, output discarded,
// nothing recorded) and returns what it shared. `max_ticks` bounds a guest
// that would not end.
Profile profile_run(const kernel::Config& cfg, const RunOptions& opts, uint64_t max_ticks);

}  // namespace sim
