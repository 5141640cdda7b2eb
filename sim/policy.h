// sim::Policy — a scheduling policy: which runnable task runs next, for how
// many ticks, and whether to end the running task's slice early at a
// scheduling point. Policies live one a file (policy_*.cc) and are only
// ever run while recording: replay follows the recorded decisions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel/kernel.h"

namespace sim {

// Why the running task's slice ended (and the scheduler is asked again).
enum class SliceEnd : uint8_t {
  kStart,    // the first pick of the run
  kSwitch,   // the task blocked, stopped or ended
  kBudget,   // its tick budget ran out
  kPreempt,  // the policy ended it at a scheduling point
  kYield,    // sched_yield
  kOther,    // execve, a signal frame, a job-control stop: it can go on
};
const char* to_string(SliceEnd why);

struct Decision {
  uint32_t tid = 0;
  uint64_t budget = 0;  // ticks the task may run before the scheduler looks again
  bool operator==(const Decision&) const = default;
};

struct PickView {
  const std::vector<kernel::Task*>& runnable;  // tid order, never empty
  uint32_t previous;                           // the task that ran last (0 at the start)
  SliceEnd why;
  uint64_t tick;
};

struct PointView {
  const kernel::Task& running;
  uint64_t site;  // the shared-memory access it is about to make, or 0: it just made a syscall
  const std::vector<kernel::Task*>& runnable;  // it and every other task that can run, tid order
  uint64_t tick;
  uint64_t index;  // the running task's scheduling points so far, this one included
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Name and parameters, for the trace header ("pct depth=3 seed=7").
  virtual std::string describe() const = 0;
  virtual Decision pick(const PickView& v) = 0;
  // A scheduling point inside the running task's slice: end the slice here?
  // (A task stopped before a site performs that access first when it next
  // runs, without being asked again.)
  virtual bool preempt(const PointView& v) {
    (void)v;
    return false;
  }
};

// The default time slice: ~0.2 ms of virtual time at 1 ns a tick.
constexpr uint64_t kDefaultQuantum = 200'000;

struct Profile;

struct PolicyOptions {
  std::string name = "rr";
  uint64_t seed = 0;
  int depth = 3;                       // pct
  uint64_t quantum = kDefaultQuantum;  // every policy's longest slice
  // Where the program's tasks share memory (sim/profile.h): pct, pos and
  // surw need one; rr and random use none.
  std::shared_ptr<const Profile> profile;
};
// Whether the policy `name` schedules at shared-memory accesses (and so
// needs a profile of the program first).
bool needs_profile(const std::string& name);
// The names make_policy() knows, for --help and error messages.
const std::vector<std::string>& policy_names();
// Throws std::invalid_argument for an unknown name or a bad parameter.
std::unique_ptr<Policy> make_policy(const PolicyOptions& o);

std::unique_ptr<Policy> make_round_robin(const PolicyOptions& o);
std::unique_ptr<Policy> make_random_walk(const PolicyOptions& o);
std::unique_ptr<Policy> make_pct(const PolicyOptions& o);
std::unique_ptr<Policy> make_pos(const PolicyOptions& o);
std::unique_ptr<Policy> make_surw(const PolicyOptions& o);

// One preemption of a scripted schedule: task `tid` stops at its `index`-th
// scheduling point (the index a preempt event records); `next` ran then.
struct ScriptedPreemption {
  uint32_t tid = 0;
  uint64_t index = 0;
  uint32_t next = 0;
  bool operator==(const ScriptedPreemption&) const = default;
};
struct Script {
  std::vector<Decision> picks;  // one for each slice boundary, in order
  std::vector<ScriptedPreemption> preemptions;
};
std::unique_ptr<Policy> make_scripted(Script script, uint64_t quantum);

}  // namespace sim
