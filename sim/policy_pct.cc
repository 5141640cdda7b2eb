// `pct`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Tasks get random distinct priorities above d;
// d-1 change points are drawn uniformly among the k steps a run is expected
// to take; the highest-priority task that can run always runs, and the task
// that takes the step at change point i drops to priority d-i, below every
// first priority. A bug of depth d is found with probability at least
// 1/(n k^(d-1)) per run.
//
// Steps are the scheduling points where more than one task can run (the
// paper's "identifying sequential execution"): sites and syscall returns.
// k is 1.2 times the profiling run's shared accesses and syscalls. A task
// that uses up its quantum while others wait, without writing anything the
// profile saw shared, is taken to spin on a flag that a lower task would
// set, and drops below everyone (as implementations treat a yield, which
// drops it too): otherwise PCT would run it forever.
#include <algorithm>
#include <map>
#include <unordered_map>
#include <stdexcept>

#include "kernel/random.h"
#include "sim/policy.h"
#include "sim/profile.h"

namespace sim {

namespace {

class Pct : public Policy {
 public:
  Pct(const PolicyOptions& o)
      : seed_(o.seed), depth_(o.depth), quantum_(o.quantum), rng_(o.seed), profile_(o.profile) {
    if (depth_ < 1) throw std::invalid_argument("pct needs --depth 1 or more");
    uint64_t k = o.profile->accesses + o.profile->syscalls;
    steps_expected_ = std::max<uint64_t>(1, k + k / 5);
    for (int i = 1; i < depth_; ++i) change_points_.push_back(1 + rng_.below(steps_expected_));
  }

  std::string describe() const override {
    std::string cps;
    for (uint64_t c : change_points_) cps += (cps.empty() ? "" : ",") + std::to_string(c);
    return "pct depth=" + std::to_string(depth_) + " seed=" + std::to_string(seed_) +
           " k=" + std::to_string(steps_expected_) + " change_points=" + (cps.empty() ? "none" : cps) +
           " quantum=" + std::to_string(quantum_);
  }

  Decision pick(const PickView& v) override {
    bool spun = v.why == SliceEnd::kBudget && !wrote_;
    if ((spun || v.why == SliceEnd::kYield) && v.runnable.size() > 1 && v.previous)
      priority_[v.previous] = --lowest_;
    wrote_ = false;
    return {highest(v.runnable), quantum_};
  }

  bool preempt(const PointView& v) override {
    if (v.site && !wrote_) wrote_ = writes(v.site);
    if (v.runnable.size() < 2) return false;
    ++steps_;
    for (size_t i = 0; i < change_points_.size(); ++i)
      if (change_points_[i] == steps_) priority_[v.running.tid] = double(depth_) - double(i + 1);
    return highest(v.runnable) != v.running.tid;
  }

 private:
  bool writes(uint64_t site) {
    auto [it, fresh] = writes_.try_emplace(site, false);
    if (fresh)
      if (auto s = profile_->sites.find(site); s != profile_->sites.end()) it->second = s->second.writes;
    return it->second;
  }
  double priority(uint32_t tid) {
    auto [it, fresh] = priority_.try_emplace(tid, 0.0);
    if (fresh) it->second = double(depth_) + 1.0 + rng_.unit();  // above every change point's
    return it->second;
  }
  uint32_t highest(const std::vector<kernel::Task*>& runnable) {
    uint32_t best = runnable.front()->tid;
    double top = priority(best);
    for (const kernel::Task* t : runnable)
      if (double p = priority(t->tid); p > top) best = t->tid, top = p;
    return best;
  }

  uint64_t seed_;
  int depth_;
  uint64_t quantum_;
  kernel::Random rng_;
  uint64_t steps_expected_ = 0, steps_ = 0;
  std::vector<uint64_t> change_points_;
  std::map<uint32_t, double> priority_;
  double lowest_ = 0;  // spinners drop below this, and below every change point
  std::shared_ptr<const Profile> profile_;
  std::unordered_map<uint64_t, bool> writes_;  // by site
  bool wrote_ = false;  // the running task wrote shared memory in this slice
};

}  // namespace

std::unique_ptr<Policy> make_pct(const PolicyOptions& o) { return std::make_unique<Pct>(o); }

}  // namespace sim
