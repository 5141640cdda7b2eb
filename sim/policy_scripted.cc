// `scripted`: a schedule given as decisions, the way `ditto analyze` edits
// a recorded one: the picks in order (task and budget, one for each slice
// boundary from the snapshot on) and the preemptions (task T stops at its
// i-th scheduling point). A pick whose task cannot run, or any pick after
// the list, lets the task that ran go on while it can, else the
// lowest-numbered task that can run.
#include <map>
#include <set>
#include <utility>

#include "sim/policy.h"

namespace sim {

namespace {

class Scripted : public Policy {
 public:
  Scripted(Script script, uint64_t quantum) : script_(std::move(script)), quantum_(quantum) {
    for (const ScriptedPreemption& p : script_.preemptions) stops_.insert({p.tid, p.index});
  }
  std::string describe() const override {
    std::string s = "scripted picks=" + std::to_string(script_.picks.size()) + " preemptions";
    for (const ScriptedPreemption& p : script_.preemptions)
      s += " " + std::to_string(p.tid) + "@" + std::to_string(p.index);
    return s;
  }
  Decision pick(const PickView& v) override {
    auto can_run = [&](uint32_t tid) {
      for (const kernel::Task* t : v.runnable)
        if (t->tid == tid) return true;
      return false;
    };
    if (next_ < script_.picks.size()) {
      Decision d = script_.picks[next_++];
      if (can_run(d.tid)) return d;
    }
    if (v.why == SliceEnd::kBudget && v.runnable.size() > 1) {
      for (const kernel::Task* t : v.runnable)
        if (t->tid > v.previous) return {t->tid, quantum_};
      return {v.runnable.front()->tid, quantum_};
    }
    if (v.why != SliceEnd::kSwitch && can_run(v.previous)) return {v.previous, quantum_};
    return {v.runnable.front()->tid, quantum_};
  }
  bool preempt(const PointView& v) override { return stops_.count({v.running.tid, v.index}) != 0; }

 private:
  Script script_;
  uint64_t quantum_;
  std::set<std::pair<uint32_t, uint64_t>> stops_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_scripted(Script script, uint64_t quantum) {
  return std::make_unique<Scripted>(std::move(script), quantum);
}

}  // namespace sim
