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
#include "sim/memory_io.h"
#include "sim/profile.h"
#include "sim/scheduler.h"
#include "sim/simulator.h"
#include "trace/sha256.h"
#include "trace/store.h"

namespace sim {

namespace {

// ---- what a schedule reports to the explorer (through a memfd) ----

struct ScheduleResult {
  uint64_t schedule = 0;
  bool failed = false;
  std::string kind, signature, summary, last_output;
  uint64_t rip = 0, ticks = 0;
  std::vector<trace::Event> events;           // after the snapshot's
  std::map<std::string, std::string> blobs;   // those the snapshot did not have
};

class Writer {
 public:
  void u64(uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
  void str(const std::string& s) {
    u64(s.size());
    out += s;
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  uint64_t u64() {
    uint64_t v = 0;
    if (pos_ + 8 > s_.size()) throw std::runtime_error("truncated schedule result");
    std::memcpy(&v, s_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  std::string str() {
    uint64_t n = u64();
    if (n > s_.size() - pos_) throw std::runtime_error("truncated schedule result");
    std::string v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

std::string encode(const ScheduleResult& r) {
  Writer w;
  w.u64(r.schedule);
  w.u64(r.failed);
  w.str(r.kind);
  w.str(r.signature);
  w.str(r.summary);
  w.str(r.last_output);
  w.u64(r.rip);
  w.u64(r.ticks);
  w.str(r.failed ? trace::encode_batch(0, r.events) : std::string());
  w.u64(r.blobs.size());
  for (const auto& [hash, bytes] : r.blobs) {
    w.str(hash);
    w.str(bytes);
  }
  return w.out;
}

ScheduleResult decode(const std::string& bytes) {
  Reader rd(bytes);
  ScheduleResult r;
  r.schedule = rd.u64();
  r.failed = rd.u64() != 0;
  r.kind = rd.str();
  r.signature = rd.str();
  r.summary = rd.str();
  r.last_output = rd.str();
  r.rip = rd.u64();
  r.ticks = rd.u64();
  std::string batch = rd.str();
  uint64_t first = 0;
  if (!batch.empty()) r.events = trace::decode_batch(batch, &first);
  for (uint64_t n = rd.u64(); n > 0; --n) {
    std::string hash = rd.str();
    r.blobs[hash] = rd.str();
  }
  return r;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}

std::string last_line(const std::string& out) {
  size_t end = out.size();
  while (end > 0 && out[end - 1] == '\n') --end;
  size_t start = out.rfind('\n', end ? end - 1 : 0);
  start = start == std::string::npos || end == 0 ? 0 : start + 1;
  std::string line = out.substr(start, end - start);
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

std::string signal_label(int sig) {
  const char* a = sigabbrev_np(sig);
  return a ? std::string("SIG") + a : "signal " + std::to_string(sig);
}

// How a schedule ended, as a failure (or not). Distinct failures differ in
// kind, signal or status, where it happened and the calls that led there.
void classify(const RunResult& r, const MemoryIo& io, const ExploreOptions& o, ScheduleResult& s) {
  const kernel::Outcome& out = r.outcome;
  s.last_output = last_line(io.out);
  s.ticks = r.ticks;
  std::string stack;
  for (size_t i = 0; i < out.death_stack.size() && i < 4; ++i) stack += " " + hex(out.death_stack[i]);
  if (!r.error.empty()) {
    s.failed = true, s.kind = "ditto";
    s.signature = "ditto " + r.error;
    s.summary = "Ditto failed: " + r.error;
  } else if (out.deadlock) {
    // Which waits, not which tids: the same deadlock in other tasks.
    std::vector<std::string> waits;
    for (size_t at = out.detail.find(" in "); at != std::string::npos; at = out.detail.find(" in ", at + 1)) {
      size_t end = out.detail.find(';', at);
      waits.push_back(out.detail.substr(at + 4, end == std::string::npos ? std::string::npos : end - at - 4));
    }
    std::sort(waits.begin(), waits.end());
    s.failed = true, s.kind = "deadlock";
    s.signature = "deadlock";
    for (const std::string& w : waits) s.signature += " " + w;
    s.summary = "deadlock: " + out.detail;
  } else if (out.tick_limit) {
    s.failed = true, s.kind = "livelock";
    s.signature = "livelock";
    s.summary = "livelock: still running after " + std::to_string(r.ticks) + " ticks";
  } else if (out.signal) {
    s.failed = true, s.kind = "signal";
    s.rip = out.fault.kind != cpu::FaultKind::kNone ? out.fault.rip : out.death_rip;
    s.signature = "signal " + std::to_string(out.signal) + " at " + hex(s.rip) + stack;
    s.summary = "killed by " + signal_label(out.signal);
    if (out.fault.kind != cpu::FaultKind::kNone)
      s.summary += " at " + hex(out.fault.rip) + " (" + cpu::to_string(out.fault.kind) + " at " +
                   hex(out.fault.addr) + ")";
  } else if (out.exit_code != 0) {
    s.failed = true, s.kind = "exit";
    s.signature = "exit " + std::to_string(out.exit_code) + stack;
    s.summary = "exit status " + std::to_string(out.exit_code);
  } else if (o.expect_stdout && io.out != *o.expect_stdout) {
    s.failed = true, s.kind = "output";
    s.signature = "output " + trace::sha256_hex(io.out).substr(0, 16);
    s.summary = "unexpected output";
  } else if (!out.finished) {
    s.failed = true, s.kind = "ditto";
    s.signature = s.summary = "the run stopped early: " + out.detail;
  }
}

// ---- the explorer ----

class Explorer {
 public:
  Explorer(const kernel::Config& cfg, const ExploreOptions& o) : cfg_(cfg), o_(o) {}

  ExploreReport run() {
    auto t0 = std::chrono::steady_clock::now();
    start_ = t0;
    constexpr uint64_t kProfileTicks = 1ULL << 32;
    RunOptions base;
    base.policy = o_.policy;
    base.policy.name = "rr";
    auto profile = std::make_shared<Profile>(profile_run(cfg_, base, o_.max_ticks ? o_.max_ticks : kProfileTicks));
    profile_ = profile;
    report_.sites = profile->sites.size();
    report_.profile_ticks = profile->ticks;
    report_.load_bias = profile->outcome.load_bias;
    report_.output = o_.output;
    max_ticks_ = o_.max_ticks ? o_.max_ticks : std::max<uint64_t>(20 * profile->ticks, 1ULL << 26);
    report_.policy = schedule_policy(1).name;

    if (!o_.output.empty()) {
      try {
        store_ = trace::Store::create(o_.output);
      } catch (const trace::TraceError& ex) {
        report_.error = ex.what();
        return report_;
      }
    }
    // The run that becomes the fork server at its first clone.
    RunOptions opts;
    opts.policy = o_.policy;
    opts.policy.name = "rr";
    opts.sites = profile->site_list();
    opts.max_ticks = max_ticks_;
    opts.at_first_clone = [this](kernel::Kernel& k, Scheduler& s) { return at_snapshot(k, s); };
    opts.at_end = [this](const RunResult& r) {
      if (child_) finish_child(r);
    };
    // A schedule's run needs its digests only to be saved: when it fails.
    io_.digests_for = [this](const kernel::Outcome& out) {
      return !out.finished || out.exit_code || out.signal || out.deadlock || out.tick_limit || !out.detail.empty() ||
             (o_.expect_stdout && io_.out != *o_.expect_stdout);
    };
    run_opts_ = opts;
    RunResult r = run_guest(cfg_, io_, opts);
    if (child_) finish_child(r);  // never returns
    if (!snapshot_) {
      // No second task ever: the one run is every schedule there is.
      report_.single_task = true;
      ScheduleResult s;
      classify(r, io_, o_, s);
      report_.schedules = 1;
      if (s.failed) {
        s.events.assign(io_.events.begin(), io_.events.end());
        prefix_len_ = 0;
        note(s);
        report_.fails_without_interleaving = true;
      }
    }
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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

  // At the first clone: serve schedules. In the parent this returns false
  // (its own run ends); in each forked schedule true, with its policy set.
  bool at_snapshot(kernel::Kernel& k, Scheduler& s) {
    snapshot_ = true;
    io_.events.reserve(io_.events.size() + 4096);  // schedules append without moving what is there
    // The code the schedules will run, translated once here rather than in
    // every forked copy.
    // (A schedule stopped before a site goes on from a block that starts there.)
    std::vector<uint64_t> blocks = profile_->blocks;
    for (const auto& [site, info] : profile_->sites) blocks.push_back(site);
    k.current().mm->engine().translate(blocks);
    prefix_len_ = io_.events.size();
    for (const auto& [hash, bytes] : io_.blobs) parent_blobs_.insert(hash);
    // Nothing may unwind through the emulator's frames (this is a trap).
    try {
      serve();
    } catch (const std::exception& ex) {
      if (child_) std::_Exit(125);
      report_.error = ex.what();
      return false;
    }
    if (!child_) return false;
    s.set_policy(make_policy(schedule_policy(schedule_)));
    return true;
  }

  struct Running {
    uint64_t schedule;
    int fd;
  };

  void serve() {
    std::map<pid_t, Running> running;
    uint64_t next = 0;
    bool printed = false;
    auto out_of_time = [&] {
      return o_.seconds > 0 &&
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= o_.seconds;
    };
    while (true) {
      // With stop_at_first, no schedule after the first failing one starts
      // (those before it still run: one of them may fail too).
      uint64_t last = o_.stop_at_first && report_.failing ? first_failing_ : o_.runs;
      while (running.size() < size_t(std::max(1, o_.jobs)) && next < std::min(o_.runs, last) && !out_of_time()) {
        int fd = ::memfd_create("ditto-schedule", MFD_CLOEXEC);
        if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
        pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        if (pid == 0) {
          ::signal(SIGINT, SIG_IGN);
          ::signal(SIGTERM, SIG_DFL);
          for (auto& [p, r] : running) ::close(r.fd);
          child_ = true;
          schedule_ = next;
          result_fd_ = fd;
          return;
        }
        running[pid] = {next++, fd};
      }
      if (running.empty()) break;
      int st = 0;
      pid_t pid = ::waitpid(-1, &st, 0);
      if (pid < 0) {
        if (errno == EINTR) continue;
        break;
      }
      auto it = running.find(pid);
      if (it == running.end()) continue;
      Running done = it->second;
      running.erase(it);
      collect(done, st);
      ++report_.schedules;
      if (o_.progress) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        std::fprintf(stderr, "\r\033[K[ditto explore] %llu schedules, %.0f/s, %zu distinct failures (%llu failing)",
                     static_cast<unsigned long long>(report_.schedules), double(report_.schedules) / secs,
                     report_.failures.size(), static_cast<unsigned long long>(report_.failing));
        printed = true;
      }
    }
    if (printed) std::fprintf(stderr, "\r\033[K");
  }

  void collect(const Running& r, int status) {
    std::string bytes;
    struct stat st;
    if (::fstat(r.fd, &st) == 0 && st.st_size > 0) {
      bytes.resize(size_t(st.st_size));
      if (::pread(r.fd, bytes.data(), bytes.size(), 0) != ssize_t(bytes.size())) bytes.clear();
    }
    ::close(r.fd);
    ScheduleResult s;
    try {
      if (bytes.empty()) throw std::runtime_error("no result");
      s = decode(bytes);
    } catch (const std::exception&) {
      s.schedule = r.schedule;
      s.failed = true;
      s.kind = "ditto";
      s.summary = s.signature = WIFSIGNALED(status) ? "Ditto crashed (" + signal_label(WTERMSIG(status)) + ")"
                                                     : "Ditto failed (exit status " +
                                                           std::to_string(WEXITSTATUS(status)) + ")";
    }
    if (!s.failed) return;
    if (s.schedule == 0) report_.fails_without_interleaving = true;
    note(s);
  }

  // Counts a failing schedule and saves its run when its kind has fewer
  // than `keep` saved.
  void note(ScheduleResult& s) {
    if (!report_.failing || s.schedule < first_failing_) first_failing_ = s.schedule;
    report_.first_failing = first_failing_;
    ++report_.failing;
    auto it = std::find_if(report_.failures.begin(), report_.failures.end(),
                           [&](const FailureGroup& g) { return g.signature == s.signature; });
    if (it == report_.failures.end()) {
      FailureGroup g;
      g.kind = s.kind;
      g.summary = s.summary;
      g.signature = s.signature;
      g.first = s.schedule;
      g.last_output = s.last_output;
      g.rip = s.rip;
      report_.failures.push_back(g);
      it = std::prev(report_.failures.end());
    }
    ++it->count;
    if (s.schedule < it->first) {  // schedules end in any order when several run at once
      it->first = s.schedule;
      it->summary = s.summary;
      it->last_output = s.last_output;
      it->rip = s.rip;
    }
    if (store_ && int(it->runs.size()) < o_.keep && !s.events.empty()) it->runs.push_back(save(s));
  }

  int64_t save(const ScheduleResult& s) {
    RunOptions opts = run_opts_;
    opts.policy = schedule_policy(s.schedule);
    trace::Header h = header_for(cfg_, opts);
    int64_t run = store_->begin_run(h);
    for (const auto& [hash, bytes] : io_.blobs) store_->put_blob(hash, bytes);
    for (const auto& [hash, bytes] : s.blobs) store_->put_blob(hash, bytes);
    trace::Recorder rec(*store_, run);
    for (size_t i = 0; i < prefix_len_; ++i) rec.append(trace::Event(io_.events[i]));
    for (const trace::Event& e : s.events) rec.append(trace::Event(e));
    rec.finish();
    return run;
  }

  // In a forked schedule, after its run: the result to the explorer, then out.
  [[noreturn]] void finish_child(const RunResult& r) {
    ScheduleResult s;
    s.schedule = schedule_;
    classify(r, io_, o_, s);
    if (s.failed) {
      s.events.assign(io_.events.begin() + long(prefix_len_), io_.events.end());
      for (const auto& [hash, bytes] : io_.blobs)
        if (!parent_blobs_.count(hash)) s.blobs.emplace(hash, bytes);
    }
    std::string bytes = encode(s);
    for (size_t off = 0; off < bytes.size();) {
      ssize_t w = ::write(result_fd_, bytes.data() + off, bytes.size() - off);
      if (w <= 0) break;
      off += size_t(w);
    }
    std::_Exit(0);
  }

  const kernel::Config& cfg_;
  const ExploreOptions& o_;
  std::shared_ptr<const Profile> profile_;
  std::unique_ptr<trace::Store> store_;
  RunOptions run_opts_;
  MemoryIo io_;
  std::set<std::string> parent_blobs_;
  uint64_t max_ticks_ = 0;
  size_t prefix_len_ = 0;
  bool snapshot_ = false, child_ = false;
  uint64_t schedule_ = 0;
  uint64_t first_failing_ = 0;
  int result_fd_ = -1;
  std::chrono::steady_clock::time_point start_;
  ExploreReport report_;
};

}  // namespace

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
