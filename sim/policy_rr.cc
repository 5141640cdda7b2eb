// `rr`: round-robin in tid order with a fixed quantum, Ditto's default. A
// task runs until it blocks, ends or uses its quantum, and the next task
// after it in tid order goes next; a lone task keeps running, one quantum
// after another.
#include "sim/policy.h"

namespace sim {

namespace {

class RoundRobin : public Policy {
 public:
  explicit RoundRobin(uint64_t quantum) : quantum_(quantum) {}
  std::string describe() const override { return "rr quantum=" + std::to_string(quantum_); }
  Decision pick(const PickView& v) override {
    // A slice that ended for no scheduling reason (exec, a signal frame,
    // the first clone) goes on.
    if (v.why == SliceEnd::kOther)
      for (kernel::Task* t : v.runnable)
        if (t->tid == v.previous) return {t->tid, quantum_};
    for (kernel::Task* t : v.runnable)
      if (t->tid > v.previous) return {t->tid, quantum_};
    return {v.runnable.front()->tid, quantum_};
  }

 private:
  uint64_t quantum_;
};

}  // namespace

std::unique_ptr<Policy> make_round_robin(const PolicyOptions& o) {
  return std::make_unique<RoundRobin>(o.quantum);
}

}  // namespace sim
