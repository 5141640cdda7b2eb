// sim::Scheduler — who runs, for how long, and where a slice ends early.
// The run loop asks pick() at every slice boundary; the kernel asks
// preempt_after_syscall() after each syscall (kernel::Preemption); an engine
// with sites asks stop_before() before each of them (cpu::SiteHandler).
//
// Two kinds. The recording scheduler asks a Policy and writes every
// decision into the trace the moment it is made, before it takes effect: a
// `schedule` event at every pick (even one that repeats the last: replay
// must know which pick an event belongs to), a `preempt` event when a slice
// ends early. The replaying
// scheduler reads those events instead and never runs a policy, so a trace
// stays replayable when policy code changes.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "kernel/io.h"
#include "kernel/kernel.h"
#include "sim/policy.h"

namespace sim {

class Scheduler : public kernel::Preemption, public cpu::SiteHandler {
 public:
  // The task to run next among `runnable` (tid order, never empty) after a
  // slice that ended `why`; nothing when the run must stop (replay diverged).
  virtual std::optional<Decision> pick(const std::vector<kernel::Task*>& runnable, SliceEnd why) = 0;
  // Recording only: a new policy decides from here on (a schedule forked
  // from a snapshot); the decision in force stays until the next pick.
  virtual void set_policy(std::unique_ptr<Policy> p) = 0;
};

std::unique_ptr<Scheduler> make_recording_scheduler(kernel::Kernel& k, kernel::Io& io,
                                                    std::unique_ptr<Policy> p);
std::unique_ptr<Scheduler> make_replaying_scheduler(kernel::Kernel& k, kernel::Io& io);

}  // namespace sim
