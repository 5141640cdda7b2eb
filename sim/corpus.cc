#include "sim/corpus.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "sim/simulator.h"
#include "sim/fork_server.h"
#include "sim/symbols.h"
#include "trace/sha256.h"
#include "trace/store.h"

namespace sim {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CorpusRunner {
 public:
  CorpusRunner(const kernel::Config& cfg, const CorpusOptions& o, const std::vector<CorpusInput>& inputs)
      : cfg_(cfg), o_(o), inputs_(inputs) {}

  CorpusReport run() {
    start_ = std::chrono::steady_clock::now();
    report_.inputs = inputs_.size();
    report_.output = o_.output;
    if (!o_.output.empty()) {
      try {
        store_ = trace::Store::create(o_.output);
      } catch (const trace::TraceError& ex) {
        report_.error = ex.what();
        return report_;
      }
    }
    opts_.policy = o_.policy;
    opts_.max_ticks = o_.timeout_ticks;
    program_ = read_file(cfg_.program_path);
    ForkServer server(cfg_, opts_, nullptr, std::nullopt, Snapshot::kFirstInput);
    server.set_input_path(cfg_.input);
    server_ = &server;
    if (!inputs_.empty()) server.set_solo_input(inputs_.front().bytes);
    bool snapshot = server.serve([this](ForkServer& s) { drive(s); });
    report_.snapshot = snapshot;
    if (!snapshot) {
      // The program never touched its input: its one run is every input's.
      report_.startup_seconds = elapsed();
      for (size_t i = 0; i < inputs_.size(); ++i) {
        ScheduleResult r = server.solo();
        r.id = i;
        finish(std::move(r), true);
      }
    }
    if (!server.error.empty() && report_.error.empty()) report_.error = server.error;
    if (store_) {
      try {
        if (in_transaction_) store_->commit();
        save_results();
        store_->close();
      } catch (const trace::TraceError& ex) {
        if (report_.error.empty()) report_.error = ex.what();
      }
    }
    for (const auto& [name, n] : unsupported_) report_.unsupported.push_back(name + " x" + std::to_string(n));
    report_.seconds = elapsed();
    if (printed_) std::fprintf(stderr, "\r\033[K");
    return report_;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // Inputs in order, `jobs` at a time; results are kept in input order
  // whatever order they end in, so the database is the same with any --jobs.
  void drive(ForkServer& server) {
    report_.startup_seconds = elapsed();
    const std::vector<trace::Event>& prefix = server.prefix();
    report_.startup_ticks = prefix.empty() ? 0 : prefix.back().tick;
    probe(server);
    size_t next = 0, done = 0;
    std::map<uint64_t, ScheduleResult> ended;
    while (done < inputs_.size()) {
      while (server.running() < size_t(std::max(1, o_.jobs)) && next < inputs_.size()) {
        ScheduleSpec spec;
        spec.id = next;
        spec.events = ScheduleSpec::Events::kAlways;
        spec.packed = true;
        spec.input = inputs_[next++].bytes;
        server.launch(spec);
      }
      std::optional<ScheduleResult> r = server.collect();
      if (!r) break;
      ended.emplace(r->id, std::move(*r));
      for (auto it = ended.begin(); it != ended.end() && it->first == done; it = ended.erase(it), ++done)
        finish(std::move(it->second), false);
    }
  }

  // A few inputs run first in probes that report the code they ran; the
  // server translates it, so that the copies after do not each translate it
  // again (TCG's code generation would cost more than their own runs).
  void probe(ForkServer& server) {
    if (inputs_.size() < 8) return;
    std::vector<size_t> picks = {0, inputs_.size() / 2};
    size_t largest = 0;
    for (size_t i = 0; i < inputs_.size(); ++i)
      if (inputs_[i].bytes.size() > inputs_[largest].bytes.size()) largest = i;
    picks.push_back(largest);
    std::set<uint64_t> blocks;
    for (size_t i : picks) {
      ScheduleSpec spec;
      spec.id = i;
      spec.events = ScheduleSpec::Events::kNone;
      spec.input = inputs_[i].bytes;
      spec.probe = true;
      server.launch(spec);
    }
    while (std::optional<ScheduleResult> r = server.collect()) blocks.insert(r->blocks.begin(), r->blocks.end());
    server.translate_ahead(std::vector<uint64_t>(blocks.begin(), blocks.end()));
  }

  // Counts, groups and saves one input's run.
  void finish(ScheduleResult r, bool whole) {
    const CorpusInput& in = inputs_[r.id];
    trace::Verdict v;
    v.job = "corpus";
    v.key = r.id;
    v.input_name = in.name;
    v.input_hash = in.hash;
    v.input_size = in.bytes.size();
    v.signal = r.signal;
    v.rip = r.rip;
    v.summary = r.summary;
    if (!r.failed) {
      ++report_.clean, v.kind = "clean";
    } else if (r.kind == "exit") {
      ++report_.exits, v.kind = "exit";  // a refusal, for a fuzzer not a finding
    } else {
      if (r.kind == "signal") ++report_.crashes;
      else if (r.kind == "livelock" || r.kind == "deadlock") ++report_.hangs;
      else ++report_.ditto_failures;
      v.kind = r.kind;
      v.signature = signature(r);
    }
    report_.run_ticks += r.ticks > report_.startup_ticks ? r.ticks - report_.startup_ticks : 0;
    for (const auto& [name, n] : r.unsupported) unsupported_[name] += n;
    int64_t run = store_ ? save(r, whole, in, v) : 0;
    if (!v.signature.empty()) group(r, v, in, run);
    progress();
  }

  // Signal, faulting instruction and the calls that led there, by name (so
  // a static-PIE program's runs group whatever their load address).
  std::string signature(const ScheduleResult& r) {
    if (r.kind != "signal") return r.signature;
    Symbols& sym = symbols(r.load_bias);
    std::string at = sym.function(r.rip);
    if (at.empty()) at = hex_address(r.rip - r.load_bias);
    std::string frames;
    for (size_t i = 0; i < r.stack.size() && i < 3; ++i) {
      std::string f = sym.function(r.stack[i]);
      frames += (f.empty() ? hex_address(r.stack[i] - r.load_bias) : f) + ";";
    }
    return signal_label(r.signal) + " at " + at + ", stack " + trace::sha256_hex(frames).substr(0, 12);
  }

  // The totals and groups, for `ditto merge` to add up across shards.
  void save_results() {
    trace::JobTotal j;
    j.job = "corpus";
    j.shard = o_.shard;
    j.total = report_.inputs;
    j.failing = report_.crashes + report_.hangs + report_.ditto_failures;
    store_->put_job(j);
    for (const CrashGroup& g : report_.groups) {
      trace::FailureRow f;
      f.job = "corpus";
      f.signature = g.signature, f.kind = g.kind, f.summary = g.summary, f.where = g.where;
      f.count = g.count, f.first_key = g.first;
      f.run = g.smallest_run, f.input_size = g.smallest_size, f.input_name = g.smallest;
      store_->put_failure(f);
    }
  }

  void group(const ScheduleResult& r, const trace::Verdict& v, const CorpusInput& in, int64_t run) {
    auto it = std::find_if(report_.groups.begin(), report_.groups.end(),
                           [&](const CrashGroup& g) { return g.signature == v.signature; });
    if (it == report_.groups.end()) {
      CrashGroup g;
      g.kind = r.kind;
      g.signature = v.signature;
      g.summary = r.summary;
      g.signal = r.signal;
      if (r.rip) g.where = symbols(r.load_bias).describe(r.rip);
      g.smallest = in.name, g.smallest_size = in.bytes.size(), g.smallest_run = run;
      g.first = r.id;
      report_.groups.push_back(g);
      it = std::prev(report_.groups.end());
    } else if (in.bytes.size() < it->smallest_size) {
      it->smallest = in.name, it->smallest_size = in.bytes.size(), it->smallest_run = run;
    }
    ++it->count;
  }

  int64_t save(const ScheduleResult& r, bool whole, const CorpusInput& in, const trace::Verdict& v) {
    // Commits every few hundred runs: one transaction each would cost more
    // than the runs.
    if (!in_transaction_) {
      store_->begin_transaction();
      in_transaction_ = true;
    }
    // What every run shares -- its header, the snapshot's blobs and events
    // -- is prepared and stored once; a copy packs its own events
    // (ScheduleSpec::packed).
    if (!header_) {
      header_ = header_for(cfg_, opts_);
      for (const auto& [hash, bytes] : server_->prefix_blobs()) store_->put_blob(hash, bytes);
    }
    int64_t run = store_->begin_run(*header_);
    for (const auto& [hash, bytes] : r.blobs) store_->put_blob(hash, bytes);
    store_->put_blob(in.hash, in.bytes);  // a stdin input is in no host file's blob
    uint64_t seq = 0;
    if (!whole && !server_->prefix().empty()) {
      if (!prefix_) prefix_ = trace::pack_batch(0, server_->prefix(), true);
      store_->append_shared(run, *prefix_);
      seq = prefix_->count;
    }
    if (r.packed.count) {
      store_->append_packed(run, r.packed);
      seq += r.packed.count;
    }
    for (size_t at = 0; at < r.events.size(); at += kBatchEvents) {
      size_t n = std::min(kBatchEvents, r.events.size() - at);
      store_->append_packed(
          run, trace::pack_batch(seq, std::vector<trace::Event>(r.events.begin() + long(at),
                                                                r.events.begin() + long(at + n))));
      seq += n;
    }
    store_->finish_run(run, seq);
    store_->put_verdict(run, v);
    if (++uncommitted_ >= 256) {
      store_->commit();
      in_transaction_ = false;
      uncommitted_ = 0;
    }
    return run;
  }

  Symbols& symbols(uint64_t bias) {
    auto it = symbols_.find(bias);
    if (it == symbols_.end()) it = symbols_.emplace(bias, std::make_unique<Symbols>(program_, bias)).first;
    return *it->second;
  }

  void progress() {
    if (!o_.progress) return;
    uint64_t n = report_.clean + report_.exits + report_.crashes + report_.hangs + report_.ditto_failures;
    double secs = elapsed();
    if (n != report_.inputs && secs - last_progress_ < 0.2) return;
    last_progress_ = secs;
    std::fprintf(stderr, "\r\033[K[ditto corpus] %llu/%llu inputs, %.0f/s, %llu crashes (%zu unique), %llu hangs",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(report_.inputs),
                 double(n) / std::max(secs, 1e-9), static_cast<unsigned long long>(report_.crashes),
                 report_.groups.size(), static_cast<unsigned long long>(report_.hangs));
    printed_ = true;
  }

  const kernel::Config& cfg_;
  const CorpusOptions& o_;
  const std::vector<CorpusInput>& inputs_;
  static constexpr size_t kBatchEvents = 8192;
  RunOptions opts_;
  std::optional<trace::Header> header_;
  std::optional<trace::PackedBatch> prefix_;
  std::string program_;
  std::map<uint64_t, std::unique_ptr<Symbols>> symbols_;  // by load bias
  std::unique_ptr<trace::Store> store_;
  bool in_transaction_ = false;
  int uncommitted_ = 0;
  ForkServer* server_ = nullptr;
  std::map<std::string, uint64_t> unsupported_;
  std::chrono::steady_clock::time_point start_;
  double last_progress_ = -1;
  bool printed_ = false;
  CorpusReport report_;
};

}  // namespace

CorpusReport run_corpus(const kernel::Config& cfg, const CorpusOptions& o, const std::vector<CorpusInput>& inputs) {
  try {
    CorpusRunner runner(cfg, o, inputs);
    return runner.run();
  } catch (const std::exception& ex) {
    CorpusReport r;
    r.error = ex.what();
    return r;
  }
}

}  // namespace sim
