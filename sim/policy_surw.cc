// `surw`: selectively uniform random walk (Zhao, Wolff, Mathur, Roychoudhury,
// ASPLOS 2025). Each run picks one shared word X (weighted by how often the
// profiling run touched it, among the words some task wrote and at least
// max(2, n/2) of the n tasks touched); the accesses to X are the
// interesting events, and their interleaving is sampled uniformly: when the
// next event would be an access to X, the task to make it is drawn with
// weight equal to the number of accesses to X it has left, and the others
// wait until that task has made its access. Every other event is scheduled
// by random priorities (a fresh one for each pending event).
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "kernel/random.h"
#include "sim/policy.h"
#include "sim/profile.h"

namespace sim {

namespace {

class Surw : public Policy {
 public:
  Surw(const PolicyOptions& o) : seed_(o.seed), quantum_(o.quantum), rng_(o.seed), profile_(o.profile) {
    choose_target();
  }

  std::string describe() const override {
    char target[32];
    std::snprintf(target, sizeof target, "%#llx", static_cast<unsigned long long>(target_));
    return "surw seed=" + std::to_string(seed_) + " target=" + (target_ ? target : "none") +
           " quantum=" + std::to_string(quantum_);
  }

  Decision pick(const PickView& v) override {
    uint32_t next = chosen_ && has(v.runnable, chosen_) ? chosen_ : decide(v.runnable);
    chosen_ = 0;
    return {next, quantum_};
  }

  bool preempt(const PointView& v) override {
    pending_[v.running.tid] = v.site;
    if (v.runnable.size() < 2) {
      took(v.running.tid);
      return false;
    }
    uint32_t next = decide(v.runnable);
    if (next == v.running.tid) return false;
    chosen_ = next;
    return true;
  }

 private:
  void choose_target() {
    size_t tasks = profile_->task_accesses.size();
    size_t need = std::max<size_t>(2, tasks / 2);
    uint64_t total = 0;
    for (const auto& [word, n] : profile_->word_totals)
      if (profile_->word_accesses.at(word).size() >= need) total += n;
    if (total == 0) return;
    uint64_t r = rng_.below(total);
    for (const auto& [word, n] : profile_->word_totals) {
      if (profile_->word_accesses.at(word).size() < need) continue;
      if (r < n) {
        target_ = word;
        break;
      }
      r -= n;
    }
    for (const auto& [tid, c] : profile_->word_accesses.at(target_)) left_[tid] = c;
    if (auto it = profile_->word_sites.find(target_); it != profile_->word_sites.end())
      interesting_.insert(it->second.begin(), it->second.end());
  }

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
  bool interesting(uint32_t tid) const {
    auto it = pending_.find(tid);
    return it != pending_.end() && it->second && interesting_.count(it->second);
  }

  // The task whose pending event runs next.
  uint32_t decide(const std::vector<kernel::Task*>& runnable) {
    // A task chosen a thousand times in a row while others wait: start over
    // (the waiting may be for it).
    if (runnable.size() > 1 && ++streak_ > 1000) {
      streak_ = 0;
      priority_.clear();
      held_.clear();
      intended_ = 0;
    }
    for (;;) {
      std::vector<uint32_t> cand;
      for (const kernel::Task* t : runnable)
        if (!held_.count(t->tid)) cand.push_back(t->tid);
      if (cand.empty()) {  // the intended task cannot run now
        held_.clear();
        intended_ = 0;
        continue;
      }
      uint32_t t = cand.front();
      for (uint32_t c : cand)
        if (priority(c) > priority(t)) t = c;
      if (interesting(t)) {
        if (!intended_) intended_ = weighted(cand);
        if (t != intended_) {
          held_.insert(t);
          continue;
        }
        if (left_[t] > 0) --left_[t];
        intended_ = 0;
        held_.clear();
      }
      if (t != last_) streak_ = 0;
      last_ = t;
      took(t);
      return t;
    }
  }
  // Weighted by the interesting accesses each task has left (uniform when
  // none has any left by the profile's count).
  uint32_t weighted(const std::vector<uint32_t>& cand) {
    uint64_t total = 0;
    for (uint32_t c : cand) total += left_[c];
    if (total == 0) return cand[rng_.below(cand.size())];
    uint64_t r = rng_.below(total);
    for (uint32_t c : cand) {
      if (r < left_[c]) return c;
      r -= left_[c];
    }
    return cand.back();
  }
  void took(uint32_t tid) {
    priority_.erase(tid);
    pending_[tid] = 0;
  }

  uint64_t seed_;
  uint64_t quantum_;
  kernel::Random rng_;
  std::shared_ptr<const Profile> profile_;
  uint64_t target_ = 0;
  std::set<uint64_t> interesting_;     // sites that touched the target
  std::map<uint32_t, uint64_t> left_;  // interesting accesses left, by task
  std::map<uint32_t, double> priority_;
  std::map<uint32_t, uint64_t> pending_;
  std::set<uint32_t> held_;
  uint32_t intended_ = 0, chosen_ = 0, last_ = 0;
  uint64_t streak_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_surw(const PolicyOptions& o) { return std::make_unique<Surw>(o); }

}  // namespace sim
