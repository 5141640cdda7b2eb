// `random`: a seeded random walk. At every scheduling point (each pick, each
// syscall's return, and each site when the run has sites) the next task is
// drawn uniformly from those that can run, the running one included; the
// quantum bounds a slice that meets no scheduling point.
#include "kernel/random.h"
#include "sim/policy.h"

namespace sim {

namespace {

class RandomWalk : public Policy {
 public:
  RandomWalk(uint64_t seed, uint64_t quantum) : seed_(seed), rng_(seed), quantum_(quantum) {}
  std::string describe() const override {
    return "random seed=" + std::to_string(seed_) + " quantum=" + std::to_string(quantum_);
  }
  Decision pick(const PickView& v) override {
    if (chosen_) {  // drawn when the last slice was preempted
      for (kernel::Task* t : v.runnable)
        if (t->tid == chosen_) return {std::exchange(chosen_, 0), quantum_};
      chosen_ = 0;
    }
    return {v.runnable[rng_.below(v.runnable.size())]->tid, quantum_};
  }
  bool preempt(const PointView& v) override {
    if (v.runnable.size() < 2) return false;
    uint32_t next = v.runnable[rng_.below(v.runnable.size())]->tid;
    if (next == v.running.tid) return false;
    chosen_ = next;
    return true;
  }

 private:
  uint64_t seed_;
  kernel::Random rng_;
  uint64_t quantum_;
  uint32_t chosen_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_random_walk(const PolicyOptions& o) {
  return std::make_unique<RandomWalk>(o.seed, o.quantum);
}

}  // namespace sim
