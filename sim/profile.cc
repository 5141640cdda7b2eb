#include "sim/profile.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "sim/simulator.h"

namespace sim {

std::vector<uint64_t> Profile::site_list() const {
  std::vector<uint64_t> out;
  for (const auto& [rip, info] : sites) out.push_back(rip);
  return out;
}

bool Profile::conflict(uint64_t a, uint64_t b) const {
  auto x = sites.find(a), y = sites.find(b);
  if (x == sites.end() || y == sites.end() || !(x->second.writes || y->second.writes)) return false;
  const auto& p = x->second.words;
  const auto& q = y->second.words;
  for (size_t i = 0, j = 0; i < p.size() && j < q.size();) {
    if (p[i] == q[j]) return true;
    p[i] < q[j] ? ++i : ++j;
  }
  return false;
}

namespace {

// What the tracers collect, for every address space of the run.
class Profiler {
 public:
  // Accesses by one address space's tasks (words are keyed by address
  // space: two processes' equal addresses are different memory).
  class Tracer : public cpu::MemoryTracer {
   public:
    Tracer(Profiler& p, const kernel::Kernel& k, uint32_t space) : p_(p), k_(k), space_(space) {}
    void on_access(uint64_t rip, uint64_t addr, uint32_t size, bool write) override {
      uint32_t tid = k_.current_tid();
      for (uint64_t w = addr & ~7ULL; w < addr + std::max<uint32_t>(size, 1); w += 8)
        p_.touch(space_, rip, w, tid, write);
    }
    void on_block(uint64_t addr) override { p_.blocks_.insert(addr); }

   private:
    Profiler& p_;
    const kernel::Kernel& k_;
    uint32_t space_;
  };

  cpu::MemoryTracer* tracer_for(const kernel::Kernel& k, const kernel::MemoryManager& mm) {
    auto [it, fresh] = spaces_.try_emplace(&mm, uint32_t(spaces_.size()));
    (void)fresh;
    tracers_.push_back(std::make_unique<Tracer>(*this, k, it->second));
    return tracers_.back().get();
  }

  void touch(uint32_t space, uint64_t rip, uint64_t word, uint32_t tid, bool write) {
    if (words_.size() >= kMaxWords && !words_.count(key(space, word))) return;
    Word& w = words_[key(space, word)];
    w.addr = word;
    if (w.by_task.empty() || w.by_task.back().first != tid) {
      auto it = std::find_if(w.by_task.begin(), w.by_task.end(), [&](auto& e) { return e.first == tid; });
      if (it == w.by_task.end())
        w.by_task.emplace_back(tid, 0);
      else
        std::swap(*it, w.by_task.back());
    }
    ++w.by_task.back().second;
    w.written |= write;
    Site& s = sites_[rip];
    if (s.words.size() < kMaxWordsPerSite) s.words.insert(key(space, word));
    (write ? s.writes : s.reads) = true;
  }

  Profile result() const {
    Profile p;
    auto shared = [](const Word& w) { return w.written && w.by_task.size() > 1; };
    for (const auto& [k, w] : words_) {
      if (!shared(w)) continue;
      p.word_written[w.addr] = true;
      for (const auto& [tid, n] : w.by_task) {
        p.word_accesses[w.addr][tid] += n;
        p.task_accesses[tid] += n;
        p.accesses += n;
      }
    }
    for (const auto& [rip, s] : sites_) {
      SiteInfo info;
      for (uint64_t k : s.words)
        if (auto it = words_.find(k); it != words_.end() && shared(it->second))
          info.words.push_back(it->second.addr);
      if (info.words.empty()) continue;
      std::sort(info.words.begin(), info.words.end());
      info.words.erase(std::unique(info.words.begin(), info.words.end()), info.words.end());
      info.reads = s.reads;
      info.writes = s.writes;
      for (uint64_t w : info.words) p.word_sites[w].push_back(rip);
      p.sites[rip] = std::move(info);
    }
    for (auto& [w, sites] : p.word_sites) std::sort(sites.begin(), sites.end());
    for (const auto& [w, by_task] : p.word_accesses) {
      uint64_t n = 0;
      for (const auto& [tid, c] : by_task) n += c;
      p.word_totals.emplace_back(w, n);
    }
    return p;
  }

 private:
  // A program that touches more memory than this is profiled on what it
  // touched first (the table would cost more than the run).
  static constexpr size_t kMaxWords = 4u << 20;
  static constexpr size_t kMaxWordsPerSite = 64;
  static uint64_t key(uint32_t space, uint64_t word) { return (uint64_t(space) << 48) ^ word; }
  struct Word {
    uint64_t addr = 0;
    bool written = false;
    std::vector<std::pair<uint32_t, uint64_t>> by_task;  // most recent last
  };
  struct Site {
    std::unordered_set<uint64_t> words;
    bool reads = false, writes = false;
  };
  std::unordered_map<const kernel::MemoryManager*, uint32_t> spaces_;
  std::vector<std::unique_ptr<Tracer>> tracers_;
  std::unordered_map<uint64_t, Word> words_;
  std::unordered_map<uint64_t, Site> sites_;

 public:
  std::unordered_set<uint64_t> blocks_;
};

// The profiling run's world: the host's files, but no stdin and no output.
class QuietIo : public HostIo {
 public:
  QuietIo() : HostIo(nullptr, nullptr) {}
  int64_t read_stdin(char*, size_t) override { return 0; }
  int64_t write_output(int, const char*, size_t n) override { return int64_t(n); }
  void emit(trace::Event&& e) override {
    if (e.kind == trace::EventKind::kSyscall) ++syscalls;
    HostIo::emit(std::move(e));
  }
  uint64_t syscalls = 0;
};

}  // namespace

Profile profile_run(const kernel::Config& cfg, const RunOptions& base, uint64_t max_ticks) {
  Profiler profiler;
  RunOptions opts = base;
  opts.progress = false;
  opts.interruptible = false;
  opts.follow_recording = false;
  opts.sites.clear();
  opts.max_ticks = max_ticks;
  QuietIo io;
  // Only what happens once there is a second task can race: tracing (and
  // counting syscalls) starts at the first clone.
  bool tracing = false;
  uint64_t syscalls_before = 0;
  opts.tracer = [&](const kernel::Kernel& k, const kernel::MemoryManager& mm) {
    return tracing ? profiler.tracer_for(k, mm) : nullptr;
  };
  opts.at_first_clone = [&](kernel::Kernel& k, Scheduler&) {
    tracing = true;
    syscalls_before = io.syscalls;
    kernel::MemoryManager& mm = *k.current().mm;
    if (mm.program == cfg.program_path) mm.engine().trace_memory(profiler.tracer_for(k, mm));
    mm.engine().request_stop();  // tracing starts with the next slice
    return true;
  };
  RunResult r = run_guest(cfg, io, opts);
  Profile p = profiler.result();
  p.blocks.assign(profiler.blocks_.begin(), profiler.blocks_.end());
  std::sort(p.blocks.begin(), p.blocks.end());
  p.syscalls = io.syscalls - syscalls_before;
  p.ticks = r.ticks;
  p.outcome = r.outcome;
  return p;
}

}  // namespace sim
