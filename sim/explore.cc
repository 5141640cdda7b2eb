#include "sim/explore.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "kernel/random.h"
#include "sim/fork_server.h"
#include "sim/memory_io.h"
#include "sim/profile.h"
#include "sim/scheduler.h"
#include "sim/simulator.h"
#include "trace/sha256.h"
#include "trace/store.h"

namespace sim {

namespace {

class Explorer {
 public:
  Explorer(const kernel::Config& cfg, const ExploreOptions& o) : cfg_(cfg), o_(o) {}

  ExploreReport run() {
    start_ = std::chrono::steady_clock::now();
    constexpr uint64_t kProfileTicks = 1ULL << 32;
    RunOptions base;
    base.policy = o_.policy;
    base.policy.name = "rr";
    auto profile =
        std::make_shared<Profile>(profile_run(cfg_, base, o_.max_ticks ? o_.max_ticks : kProfileTicks));
    profile_ = profile;
    report_.sites = profile->sites.size();
    report_.profile_ticks = profile->ticks;
    report_.load_bias = profile->outcome.load_bias;
    report_.output = o_.output;
    report_.policy = schedule_policy(1).name;

    if (!o_.output.empty()) {
      try {
        store_ = trace::Store::create(o_.output);
      } catch (const trace::TraceError& ex) {
        report_.error = ex.what();
        return report_;
      }
    }
    RunOptions opts;
    opts.policy = base.policy;
    opts.sites = profile->site_list();
    opts.max_ticks = o_.max_ticks ? o_.max_ticks : std::max<uint64_t>(20 * profile->ticks, 1ULL << 26);
    ForkServer server(cfg_, opts, profile, o_.expect_stdout);
    server_ = &server;
    if (!server.serve([this](ForkServer& s) { drive(s); })) {
      // No second task ever: the one run is every schedule there is.
      report_.single_task = true;
      report_.schedules = 1;
      ScheduleResult solo = server.solo();
      if (solo.failed) {
        report_.fails_without_interleaving = true;
        results_.push_back(solo);
        report_.first_failing = 0;
      }
      tally(true);
    } else {
      tally(false);
    }
    if (!server.error.empty()) report_.error = server.error;
    if (store_ && report_.error.empty()) save_results();
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return report_;
  }

 private:
  PolicyOptions schedule_policy(uint64_t i) const {
    PolicyOptions p = o_.policy;
    p.profile = profile_;
    p.seed = kernel::Random::mix(o_.policy.seed, i);
    if (i == 0) p.name = "rr";  // the default schedule
    return p;
  }

  // Schedules 0, 1, ... with `jobs` at a time, until the budget ends.
  void drive(ForkServer& server) {
    uint64_t next = 0;
    bool printed = false;
    auto out_of_time = [&] {
      return o_.seconds > 0 &&
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= o_.seconds;
    };
    while (true) {
      // With stop_at_first, no schedule after the first failing one starts
      // (those before it still run: one of them may fail too).
      uint64_t last = o_.stop_at_first && report_.failing ? report_.first_failing : o_.runs;
      while (server.running() < size_t(std::max(1, o_.jobs)) && next < std::min(o_.runs, last) &&
             !out_of_time()) {
        if (o_.shards > 1 && next % o_.shards != o_.shard) {
          ++next;
          continue;
        }
        ScheduleSpec spec;
        spec.id = next;
        PolicyOptions p = schedule_policy(next++);
        spec.policy = [p] { return make_policy(p); };
        server.launch(spec);
      }
      std::optional<ScheduleResult> r = server.collect();
      if (!r) break;
      results_.push_back(std::move(*r));
      ++report_.schedules;
      if (results_.back().failed) {
        if (!report_.failing || results_.back().id < report_.first_failing) report_.first_failing = results_.back().id;
        ++report_.failing;
      }
      if (!results_.back().failed) results_.pop_back();
      else keep_events_of_lowest();
      if (o_.progress) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        std::fprintf(stderr,
                     "\r\033[K[ditto explore] %llu schedules, %.0f/s, %zu distinct failures (%llu failing)",
                     static_cast<unsigned long long>(report_.schedules), double(report_.schedules) / secs,
                     report_.failures.size(), static_cast<unsigned long long>(report_.failing));
        printed = true;
      }
    }
    if (printed) std::fprintf(stderr, "\r\033[K");
  }

  // Only the `keep` lowest schedules of each failure keep their events (the
  // ones tally() saves): a program that fails every schedule must not keep
  // them all in memory.
  void keep_events_of_lowest() {
    const ScheduleResult& r = results_.back();
    std::vector<ScheduleResult*> same;
    for (ScheduleResult& o : results_)
      if (o.signature == r.signature && !o.events.empty()) same.push_back(&o);
    if (int(same.size()) <= o_.keep) return;
    auto highest = std::max_element(same.begin(), same.end(), [](auto* a, auto* b) { return a->id < b->id; });
    (*highest)->events.clear();
    (*highest)->events.shrink_to_fit();
    (*highest)->blobs.clear();
  }

  // The failing schedules in schedule order, whatever order they ended in:
  // groups, counts and saved runs are the same with any --jobs. With
  // stop_at_first, the schedules after the first failing one (started
  // before it failed) do not count.
  void tally(bool whole) {
    std::sort(results_.begin(), results_.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    report_.failing = 0;
    for (ScheduleResult& r : results_) {
      if (o_.stop_at_first && r.id > report_.first_failing) {
        --report_.schedules;
        continue;
      }
      note(r, whole);
    }
    results_.clear();
  }

  // Counts a failing schedule and saves its run when its kind has fewer
  // than `keep` saved. `whole`: its events are the whole run (no snapshot).
  void note(const ScheduleResult& s, bool whole) {
    if (s.id == 0 && !whole) report_.fails_without_interleaving = true;
    ++report_.failing;
    auto it = std::find_if(report_.failures.begin(), report_.failures.end(),
                           [&](const FailureGroup& g) { return g.signature == s.signature; });
    if (it == report_.failures.end()) {
      FailureGroup g;
      g.kind = s.kind;
      g.signature = s.signature;
      g.first = s.id;
      report_.failures.push_back(g);
      it = std::prev(report_.failures.end());
      it->summary = s.summary, it->last_output = s.last_output, it->rip = s.rip;
    }
    ++it->count;
    if (store_ && int(it->runs.size()) < o_.keep && !s.events.empty()) {
      int64_t run = save(s, whole);
      it->runs.push_back(run);
      trace::Verdict v;
      v.job = "explore";
      v.kind = s.kind, v.signature = s.signature, v.summary = s.summary;
      v.key = s.id, v.signal = s.signal, v.rip = s.rip;
      store_->put_verdict(run, v);
    }
  }

  // The totals and groups, for `ditto merge` to add up across shards.
  void save_results() {
    try {
      trace::JobTotal j;
      j.job = "explore";
      if (o_.shards > 1) j.shard = std::to_string(o_.shard) + "/" + std::to_string(o_.shards);
      j.total = report_.schedules, j.failing = report_.failing;
      store_->put_job(j);
      for (const FailureGroup& g : report_.failures) {
        trace::FailureRow f;
        f.job = "explore";
        f.signature = g.signature, f.kind = g.kind, f.summary = g.summary;
        f.count = g.count, f.first_key = g.first;
        f.run = g.runs.empty() ? 0 : g.runs.front();
        store_->put_failure(f);
      }
    } catch (const trace::TraceError& ex) {
      report_.error = ex.what();
    }
  }

  int64_t save(const ScheduleResult& s, bool whole) {
    RunOptions opts = server_->run_options();
    opts.policy = schedule_policy(s.id);
    return save_run(*store_, cfg_, opts, whole ? std::vector<trace::Event>{} : server_->prefix(),
                    server_->prefix_blobs(), s);
  }

  const kernel::Config& cfg_;
  const ExploreOptions& o_;
  std::shared_ptr<const Profile> profile_;
  std::unique_ptr<trace::Store> store_;
  ForkServer* server_ = nullptr;
  std::vector<ScheduleResult> results_;  // failing, until tally()
  std::chrono::steady_clock::time_point start_;
  ExploreReport report_;
};

}  // namespace

int64_t save_run(trace::Store& store, const kernel::Config& cfg, const RunOptions& opts,
                 const std::vector<trace::Event>& prefix,
                 const std::map<std::string, std::string>& prefix_blobs, const ScheduleResult& s) {
  int64_t run = store.begin_run(header_for(cfg, opts));
  for (const auto& [hash, bytes] : prefix_blobs) store.put_blob(hash, bytes);
  for (const auto& [hash, bytes] : s.blobs) store.put_blob(hash, bytes);
  trace::Recorder rec(store, run);
  for (const trace::Event& e : prefix) rec.append(trace::Event(e));
  for (const trace::Event& e : s.events) rec.append(trace::Event(e));
  rec.finish();
  return run;
}

ExploreReport explore(const kernel::Config& cfg, const ExploreOptions& o) {
  try {
    Explorer ex(cfg, o);
    return ex.run();
  } catch (const std::exception& ex) {
    ExploreReport r;
    r.error = ex.what();
    return r;
  }
}

}  // namespace sim
