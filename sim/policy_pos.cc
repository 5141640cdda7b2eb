// `pos`: partial order sampling (Yuan, Yang, Gu, CAV 2018). Every task's
// next event (the shared access it is stopped before, or an unknown one
// after a syscall) carries a random priority drawn when the event becomes
// pending; the highest-priority event runs next. When an event runs, every
// pending event of another task that conflicts with it (the same word, one
// of them a write: sim::Profile::conflict) draws a new priority, which keeps
// the schedules of racing events independent of the order the priorities
// were first drawn in.
#include <map>

#include "kernel/random.h"
#include "sim/policy.h"
#include "sim/profile.h"

namespace sim {

namespace {

class Pos : public Policy {
 public:
  Pos(const PolicyOptions& o) : seed_(o.seed), quantum_(o.quantum), rng_(o.seed), profile_(o.profile) {}

  std::string describe() const override {
    return "pos seed=" + std::to_string(seed_) + " quantum=" + std::to_string(quantum_);
  }

  Decision pick(const PickView& v) override {
    uint32_t next = chosen_ && has(v.runnable, chosen_) ? chosen_ : best(v.runnable);
    chosen_ = 0;
    run_event(next);
    return {next, quantum_};
  }

  bool preempt(const PointView& v) override {
    uint32_t me = v.running.tid;
    pending_[me] = v.site;
    if (v.runnable.size() > 1) {
      if (uint32_t top = best(v.runnable); top != me) {
        chosen_ = top;  // the running task keeps its event and its priority
        return true;
      }
    }
    run_event(me);
    return false;
  }

 private:
  static bool has(const std::vector<kernel::Task*>& ts, uint32_t tid) {
    for (const kernel::Task* t : ts)
      if (t->tid == tid) return true;
    return false;
  }
  double priority(uint32_t tid) {
    auto [it, fresh] = priority_.try_emplace(tid, 0.0);
    if (fresh) it->second = rng_.unit();
    return it->second;
  }
  uint32_t best(const std::vector<kernel::Task*>& runnable) {
    uint32_t top = runnable.front()->tid;
    double p = priority(top);
    for (const kernel::Task* t : runnable)
      if (double q = priority(t->tid); q > p) top = t->tid, p = q;
    return top;
  }
  // `tid`'s pending event runs: its next one will draw a priority, and so do
  // the pending events it conflicts with.
  void run_event(uint32_t tid) {
    uint64_t site = pending_[tid];
    priority_.erase(tid);
    pending_[tid] = 0;
    if (!site) return;
    for (auto& [other, s] : pending_)
      if (other != tid && s && profile_->conflict(site, s)) priority_.erase(other);
  }

  uint64_t seed_;
  uint64_t quantum_;
  kernel::Random rng_;
  std::shared_ptr<const Profile> profile_;
  std::map<uint32_t, double> priority_;   // of each task's pending event
  std::map<uint32_t, uint64_t> pending_;  // the site each task is stopped before (0: none known)
  uint32_t chosen_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_pos(const PolicyOptions& o) { return std::make_unique<Pos>(o); }

}  // namespace sim
