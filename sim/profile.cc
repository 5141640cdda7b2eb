#include "sim/profile.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "sim/simulator.h"
#include "sim/symbols.h"

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

// Profiling runs of a short program: the default schedule and random ones.
constexpr int kProfilePasses = 4;
constexpr uint64_t kShortRunTicks = 1u << 20;

// What the tracers collect, for every address space of the run.
class Profiler {
 public:
  // Accesses by one address space's tasks (words are keyed by address
  // space: two processes' equal addresses are different memory).
  class Tracer : public cpu::MemoryTracer {
   public:
    Tracer(Profiler& p, const kernel::Kernel& k, const kernel::MemoryManager& mm, uint32_t space)
        : p_(p), k_(k), mm_(mm), space_(space) {}
    void on_access(uint64_t rip, uint64_t addr, uint32_t size, bool write) override {
      uint32_t tid = k_.current_tid();
      for (uint64_t w = addr & ~7ULL; w < addr + std::max<uint32_t>(size, 1); w += 8)
        p_.touch(space_, rip, w, tid, write, mm_);
    }
    void on_block(uint64_t addr) override { p_.blocks_.insert(addr); }

   private:
    Profiler& p_;
    const kernel::Kernel& k_;
    const kernel::MemoryManager& mm_;
    uint32_t space_;
  };

  // A new run: its address spaces are numbered again in the order they are
  // first traced (the first program's first); only the first run counts
  // accesses, the others add what they touch.
  void begin_pass(bool counting) {
    spaces_.clear();
    tracers_.clear();
    counting_ = counting;
  }

  cpu::MemoryTracer* tracer_for(const kernel::Kernel& k, const kernel::MemoryManager& mm) {
    auto [it, fresh] = spaces_.try_emplace(&mm, uint32_t(spaces_.size()));
    (void)fresh;
    tracers_.push_back(std::make_unique<Tracer>(*this, k, mm, it->second));
    return tracers_.back().get();
  }

  void touch(uint32_t space, uint64_t rip, uint64_t word, uint32_t tid, bool write,
             const kernel::MemoryManager& mm) {
    if (words_.size() >= kMaxWords && !words_.count(key(space, word))) return;
    auto [wit, fresh] = words_.try_emplace(key(space, word));
    Word& w = wit->second;
    if (fresh) {
      w.addr = word;
      const kernel::Vma* v = mm.find(word);
      w.thread_stack = v && v->thread_stack;
    }
    if (w.by_task.empty() || w.by_task.back().first != tid) {
      auto it = std::find_if(w.by_task.begin(), w.by_task.end(), [&](auto& e) { return e.first == tid; });
      if (it == w.by_task.end())
        w.by_task.emplace_back(tid, 0);
      else
        std::swap(*it, w.by_task.back());
    }
    w.by_task.back().second += counting_;
    w.written |= write;
    Site& s = sites_[rip];
    s.count += counting_;
    if (s.words.size() < kMaxWordsPerSite) s.words.insert(key(space, word));
    (write ? s.writes : s.reads) = true;
  }

  Profile result() const {
    Profile p;
    auto shared = [](const Word& w) { return w.written && w.by_task.size() > 1; };
    for (const auto& [k, w] : words_) {
      if (!shared(w)) continue;
      p.word_written[w.addr] = true;
      if (w.thread_stack) p.word_in_thread_stack[w.addr] = true;
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
      info.count = s.count;
      p.sites[rip] = std::move(info);
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
    bool thread_stack = false;
    std::vector<std::pair<uint32_t, uint64_t>> by_task;  // most recent last
  };
  struct Site {
    std::unordered_set<uint64_t> words;
    bool reads = false, writes = false;
    uint64_t count = 0;  // its accesses, to any word (those to shared ones counted below)
  };
  std::unordered_map<const kernel::MemoryManager*, uint32_t> spaces_;
  std::vector<std::unique_ptr<Tracer>> tracers_;
  std::unordered_map<uint64_t, Word> words_;
  std::unordered_map<uint64_t, Site> sites_;
  bool counting_ = true;

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

// A locked read-modify-write: a LOCK prefix (after other prefixes), or
// XCHG with a memory operand (implicitly locked).
bool atomic_instruction(const uint8_t* b, size_t n) {
  size_t i = 0;
  bool lock = false;
  for (; i < n; ++i) {
    uint8_t c = b[i];
    if (c == 0xf0)
      lock = true;
    else if (c != 0x66 && c != 0x67 && c != 0x2e && c != 0x3e && c != 0x26 && c != 0x36 && c != 0x64 &&
             c != 0x65 && c != 0xf2 && c != 0xf3)
      break;
  }
  if (lock) return true;
  if (i < n && (b[i] & 0xf0) == 0x40) ++i;  // REX
  return i + 1 < n && (b[i] == 0x86 || b[i] == 0x87) && (b[i + 1] >> 6) != 3;
}

// Keeps the sites worth scheduling at (see profile.h) and the words the
// program's own code shares.
void keep_program_sites(Profile& p, const Symbols& syms) {
  // The library's atomics count when they act on the program's data: its
  // variables (known from DWARF), or memory outside the program image that
  // is no thread's stack (the heap); not on the library's own variables or
  // a thread's own descriptor (glibc keeps it at the top of its stack).
  auto program_word = [&](uint64_t w) {
    if (p.word_in_thread_stack.count(w)) return false;
    if (!syms.has_debug_info()) return true;
    return syms.program_data(w) || !syms.in_image(w);
  };
  for (auto it = p.sites.begin(); it != p.sites.end();) {
    uint8_t code[15] = {};
    SiteInfo& s = it->second;
    s.program = syms.program_code(it->first);
    s.atomic = syms.read(it->first, code, sizeof code) && atomic_instruction(code, sizeof code);
    bool keep = s.program || (s.atomic && std::any_of(s.words.begin(), s.words.end(), program_word));
    it = keep ? std::next(it) : p.sites.erase(it);
  }
  bool any_program = false;
  p.accesses = 0;
  for (const auto& [rip, info] : p.sites) {
    any_program |= info.program;
    p.accesses += info.count;
  }
  p.word_sites.clear();
  for (const auto& [rip, info] : p.sites)
    if (info.program || !any_program)
      for (uint64_t w : info.words) p.word_sites[w].push_back(rip);
  p.word_totals.clear();
  for (const auto& [w, sites] : p.word_sites) {
    uint64_t n = 0;
    for (const auto& [tid, c] : p.word_accesses.at(w)) n += c;
    p.word_totals.emplace_back(w, n);
  }
}

}  // namespace

Profile profile_run(const kernel::Config& cfg, const RunOptions& base, uint64_t max_ticks) {
  Profiler profiler;
  RunResult first;
  uint64_t syscalls = 0;
  for (int pass = 0; pass < kProfilePasses; ++pass) {
    RunOptions opts = base;
    opts.progress = false;
    opts.interruptible = false;
    opts.follow_recording = false;
    opts.sites.clear();
    opts.max_ticks = max_ticks;
    // The default schedule, then random ones (switching at syscalls): paths
    // that only another order takes (a steal that finds work) add sites.
    opts.policy.name = pass == 0 ? "rr" : "random";
    opts.policy.seed = uint64_t(pass);
    profiler.begin_pass(pass == 0);
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
    if (pass == 0) {
      first = r;
      syscalls = io.syscalls - syscalls_before;
      // A long program is profiled once: passes cost dozens of runs' time.
      if (!tracing || r.ticks > kShortRunTicks) break;
    }
  }
  Profile p = profiler.result();
  p.blocks.assign(profiler.blocks_.begin(), profiler.blocks_.end());
  std::sort(p.blocks.begin(), p.blocks.end());
  p.syscalls = syscalls;
  p.ticks = first.ticks;
  p.outcome = first.outcome;
  kernel::HostFile prog = read_host_contents(cfg.program_path);
  keep_program_sites(p, Symbols(prog.content, first.outcome.load_bias));
  return p;
}

}  // namespace sim
