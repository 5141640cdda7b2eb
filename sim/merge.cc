#include "sim/merge.h"

#include <algorithm>
#include <map>
#include <set>

#include "sim/shard.h"

namespace sim {

namespace {

class Merger {
 public:
  explicit Merger(MergeReport& r) : r_(r) {}

  void run(const std::string& out, const std::vector<std::string>& inputs) {
    out_ = trace::Store::create(out);
    out_->begin_transaction();
    for (const std::string& in : inputs) add(in);
    finish();
    out_->commit();
    out_->close();
  }

 private:
  void add(const std::string& path) {
    std::unique_ptr<trace::Store> in = trace::Store::open(path);
    std::map<int64_t, trace::Verdict> verdicts;
    for (auto& [run, v] : in->verdicts()) verdicts.emplace(run, std::move(v));
    std::map<int64_t, int64_t> renumbered;
    for (int64_t run : in->runs()) {
      auto v = verdicts.find(run);
      bool corpus = v != verdicts.end() && v->second.job == "corpus";
      if (corpus && !inputs_seen_.insert(v->second.input_hash).second) {
        ++r_.skipped_duplicates;
        continue;
      }
      int64_t copy = out_->copy_run(*in, run);
      renumbered[run] = copy;
      ++r_.runs;
      if (v != verdicts.end()) {
        out_->put_verdict(copy, v->second);
        if (corpus) corpus_runs_.emplace_back(copy, v->second);
      }
    }
    for (const auto& [hash, size] : in->blob_list())
      if (blobs_.insert(hash).second) {
        out_->copy_blob(*in, hash);
        ++r_.blobs;
      }
    for (const trace::JobTotal& j : in->jobs()) {
      if (!j.shard.empty() && !shards_[j.job].insert(j.shard).second)
        r_.warnings.push_back(path + " holds " + j.job + " shard " + j.shard + " again: its counts are added twice");
      trace::JobTotal& sum = totals_[j.job];
      sum.job = j.job;
      sum.total += j.total;
      if (j.job != "corpus") sum.failing += j.failing;
    }
    for (trace::FailureRow f : in->failures()) {
      if (f.job == "corpus") continue;  // counted again from the verdicts
      f.run = renumbered.count(f.run) ? renumbered[f.run] : 0;
      auto [it, fresh] = explore_.emplace(f.signature, f);
      if (!fresh) {
        it->second.count += f.count;
        if (f.first_key < it->second.first_key) {
          it->second.first_key = f.first_key;
          it->second.run = f.run;
        }
      }
    }
  }

  // The corpus groups from the verdicts: a crash group's count and its
  // smallest input, as one corpus job over all the inputs would give.
  void finish() {
    std::map<std::string, trace::FailureRow> groups;
    std::vector<std::string> order;
    uint64_t failing = 0;
    for (const auto& [run, v] : corpus_runs_) {
      if (v.signature.empty()) continue;
      ++failing;
      auto [it, fresh] = groups.emplace(v.signature, trace::FailureRow{});
      trace::FailureRow& g = it->second;
      if (fresh) {
        order.push_back(v.signature);
        g.job = "corpus", g.signature = v.signature, g.kind = v.kind, g.summary = v.summary;
        g.first_key = run;
      }
      ++g.count;
      if (fresh || v.input_size < g.input_size || (v.input_size == g.input_size && v.input_name < g.input_name))
        g.run = run, g.input_size = v.input_size, g.input_name = v.input_name;
    }
    if (totals_.count("corpus")) {
      totals_["corpus"].failing = failing;
      totals_["corpus"].total = inputs_seen_.size();
    }
    for (const auto& [job, shards] : shards_) {
      // Shards K/N: all of 0..N-1 there?
      std::set<uint32_t> have;
      uint32_t n = 0;
      for (const std::string& s : shards) {
        uint32_t k = 0;
        if (parse_shard(s, k, n)) have.insert(k);
      }
      if (n && have.size() < n)
        r_.warnings.push_back(job + ": " + std::to_string(have.size()) + " of its " + std::to_string(n) +
                              " shards merged");
    }
    for (auto& [job, t] : totals_) {
      out_->put_job(t);
      r_.jobs.push_back(t);
    }
    std::vector<trace::FailureRow> rows;
    for (auto& [sig, f] : explore_) rows.push_back(f);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first_key < b.first_key; });
    for (const std::string& sig : order) rows.push_back(groups[sig]);
    for (const trace::FailureRow& f : rows) out_->put_failure(f);
    r_.failures = rows;
  }

  MergeReport& r_;
  std::unique_ptr<trace::Store> out_;
  std::set<std::string> inputs_seen_, blobs_;
  std::vector<std::pair<int64_t, trace::Verdict>> corpus_runs_;
  std::map<std::string, trace::JobTotal> totals_;
  std::map<std::string, std::set<std::string>> shards_;
  std::map<std::string, trace::FailureRow> explore_;
};

}  // namespace

MergeReport merge_results(const std::string& out, const std::vector<std::string>& inputs) {
  MergeReport r;
  try {
    Merger m(r);
    m.run(out, inputs);
  } catch (const std::exception& ex) {
    r.error = ex.what();
  }
  return r;
}

}  // namespace sim
