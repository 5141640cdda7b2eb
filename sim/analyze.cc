#include "sim/analyze.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <optional>

#include "sim/explore.h"
#include "sim/fork_server.h"
#include "sim/profile.h"
#include "sim/simulator.h"
#include "trace/store.h"

namespace sim {

namespace {

// Which of the recording's preemptions a schedule keeps.
using Subset = std::vector<ScriptedPreemption>;

// How a run fails, coarsely: a schedule reproduces the failure when it fails
// the same way (the same exit status or signal, or a deadlock), wherever.
std::string family(const ScheduleResult& r) {
  if (!r.failed) return "";
  if (r.kind == "exit" || r.kind == "signal")
    return r.signature.substr(0, r.signature.find(' ', r.kind.size() + 1));
  return r.kind;
}

// The same from a recorded run's events (the first task's exit event).
std::string recorded_family(const std::vector<trace::Event>& events, const trace::Header& h) {
  uint32_t first = 0;
  uint64_t last_tick = 0;
  for (const trace::Event& e : events) {
    if (e.kind == trace::EventKind::kSchedule && !first) first = e.tid;
    last_tick = e.tick;
    if (e.kind == trace::EventKind::kExit && e.tid == first) {
      if (e.signal) return "signal " + std::to_string(e.signal);
      return e.status ? "exit " + std::to_string(e.status) : "";
    }
  }
  return h.max_ticks && last_tick >= h.max_ticks ? "livelock" : "deadlock";
}

// Every access in a traced run, in order (for the racing pairs), and the
// stacks of a chosen few (a second traced run).
class AccessLog : public cpu::MemoryTracer {
 public:
  AccessLog(kernel::Kernel& k, std::vector<Access> wanted) : k_(k), wanted_(std::move(wanted)) {}
  void on_access(uint64_t rip, uint64_t addr, uint32_t size, bool write) override {
    Access a{k_.current_tid(), k_.ticks(), rip, addr, size, write, {}};
    if (!wanted_.empty()) {
      for (const Access& w : wanted_)
        if (w.tid == a.tid && w.tick == a.tick && w.rip == a.rip && w.addr == a.addr) {
          a.stack = k_.stack_return_addresses(k_.current());
          log.push_back(a);
        }
      return;
    }
    if (log.size() < kMaxAccesses) log.push_back(a);
  }
  std::string encode() const {
    std::string out;
    for (const Access& a : log) {
      uint64_t head[6] = {a.tid, a.tick, a.rip, a.addr, a.size | (uint64_t(a.write) << 32), a.stack.size()};
      out.append(reinterpret_cast<const char*>(head), sizeof head);
      out.append(reinterpret_cast<const char*>(a.stack.data()), a.stack.size() * 8);
    }
    return out;
  }
  static std::vector<Access> decode(const std::string& s) {
    std::vector<Access> out;
    for (size_t at = 0; at + 48 <= s.size();) {
      uint64_t h[6];
      std::memcpy(h, s.data() + at, sizeof h);
      at += sizeof h;
      Access a{uint32_t(h[0]), h[1], h[2], h[3], uint32_t(h[4]), (h[4] >> 32) != 0, {}};
      if (h[5] > (s.size() - at) / 8) break;
      a.stack.resize(h[5]);
      if (h[5]) std::memcpy(a.stack.data(), s.data() + at, h[5] * 8);  // data() may be null when empty
      at += h[5] * 8;
      out.push_back(std::move(a));
    }
    return out;
  }
  std::vector<Access> log;

 private:
  static constexpr size_t kMaxAccesses = 1u << 21;
  kernel::Kernel& k_;
  std::vector<Access> wanted_;
};

bool overlap(const Access& a, const Access& b) {
  return a.addr < b.addr + std::max<uint32_t>(b.size, 1) && b.addr < a.addr + std::max<uint32_t>(a.size, 1);
}

class Analyzer {
 public:
  explicit Analyzer(const AnalyzeOptions& o) : o_(o) {}

  AnalyzeReport run() {
    auto t0 = std::chrono::steady_clock::now();
    try {
      load();
      explore_minimal();
    } catch (const std::exception& ex) {
      report_.error = ex.what();
    }
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report_;
  }

 private:
  void load() {
    store_ = trace::Store::open(o_.file, true);
    auto runs = store_->runs();
    if (runs.empty()) throw trace::TraceError(o_.file + " holds no run");
    run_ = o_.run ? o_.run : runs.back();
    header_ = store_->header(run_);
    auto reader = store_->reader(run_);
    trace::Event e;
    while (reader.next(e)) events_.push_back(e);
    cfg_ = config_from(header_);
    report_.program = header_.program_path;
    reference_ = recorded_family(events_, header_);
    report_.failure = reference_;
    if (reference_.empty())
      throw std::runtime_error("run " + std::to_string(run_) + " does not fail: nothing to explain");
    // The decisions after the snapshot (the first clone's syscall event),
    // and the candidates: each preemption, with the pick that followed it.
    size_t snapshot = events_.size();
    for (size_t i = 0; i < events_.size() && snapshot == events_.size(); ++i) {
      const trace::Event& e = events_[i];
      if (e.kind == trace::EventKind::kSyscall && (e.nr == 56 || e.nr == 57 || e.nr == 58 || e.nr == 435))
        snapshot = i;
    }
    for (size_t i = snapshot; i < events_.size(); ++i) {
      const trace::Event& p = events_[i];
      if (p.kind == trace::EventKind::kSchedule) {
        if (!quantum_) quantum_ = p.budget;
        picks_.push_back({p.tid, p.budget});
      }
      if (p.kind != trace::EventKind::kPreempt) continue;
      uint32_t next = 0;
      for (size_t j = i + 1; j < events_.size() && !next; ++j)
        if (events_[j].kind == trace::EventKind::kSchedule) next = events_[j].tid;
      candidates_.push_back({p.tid, p.budget, next});
      following_pick_.push_back(picks_.size());  // the next pick's index
    }
    report_.original_preemptions = candidates_.size();
    // Host files from the trace's copies: the program need not be on this host.
    // (metadata from the first capture of a path, bytes from the first capture of its contents)
    std::set<std::string> have_contents;
    for (const trace::Event& h : events_) {
      if (h.kind != trace::EventKind::kHostFile) continue;
      if (h.contents) {
        if (!have_contents.insert(h.path).second) continue;
        kernel::HostFile& f = files_[h.path];
        if (h.err) f.read_err = h.err;
        if (!h.blob.empty()) f.content = store_->blob(h.blob);
        continue;
      }
      if (files_.count(h.path) && files_[h.path].kind != kernel::HostFileKind::kMissing) continue;
      kernel::HostFile& f = files_[h.path];
      f.err = h.err;
      f.kind = kernel::HostFileKind(h.file_kind);
      f.mode = h.mode;
      f.size = h.size;
      if (!f.read_err) f.read_err = h.read_err;
      f.search_err = h.search_err;
      f.uid = h.uid;
      f.gid = h.gid;
      f.atime_ns = h.atime_ns;
      f.mtime_ns = h.mtime_ns;
      f.ctime_ns = h.ctime_ns;
      f.entries = h.entries;
      f.target = h.target;
    }
    if (auto it = files_.find(header_.program_path); it != files_.end())
      report_.program_elf = it->second.content;
  }

  // The recording's decisions without the preemptions `keep` leaves out:
  // each dropped one takes the pick that followed it along.
  Script script_for(const Subset& keep) const {
    Script s;
    std::vector<bool> dropped(picks_.size() + 1, false);
    for (size_t c = 0; c < candidates_.size(); ++c) {
      if (std::find(keep.begin(), keep.end(), candidates_[c]) != keep.end())
        s.preemptions.push_back(candidates_[c]);
      else
        dropped[following_pick_[c]] = true;
    }
    for (size_t i = 0; i < picks_.size(); ++i)
      if (!dropped[i]) s.picks.push_back(picks_[i]);
    return s;
  }

  ScheduleSpec spec_for(const Subset& keep, uint64_t id) const {
    ScheduleSpec spec;
    spec.id = id;
    uint64_t q = quantum_ ? quantum_ : kDefaultQuantum;
    Script s = script_for(keep);
    spec.policy = [s, q] { return make_scripted(s, q); };
    spec.events = ScheduleSpec::Events::kNone;
    return spec;
  }

  // Runs `scripts` (J at a time); the index of the first that fails the
  // same way, or -1.
  long first_failing(ForkServer& server, const std::vector<Subset>& scripts) {
    std::map<uint64_t, bool> result;
    size_t next = 0;
    long best = -1;
    while (next < scripts.size() || server.running()) {
      while (server.running() < size_t(std::max(1, o_.jobs)) && next < scripts.size() &&
             (best < 0 || long(next) < best) && report_.schedules_tried < o_.max_schedules) {
        server.launch(spec_for(scripts[next], next));
        ++next;
        ++report_.schedules_tried;
      }
      std::optional<ScheduleResult> r = server.collect();
      if (!r) break;
      if (family(*r) == reference_ && (best < 0 || long(r->id) < best)) best = long(r->id);
    }
    return best;
  }

  // Zeller's ddmin over the preemptions, from the whole set (which fails).
  Subset ddmin(ForkServer& server, Subset failing) {
    size_t n = 2;
    while (failing.size() >= 2 && report_.schedules_tried < o_.max_schedules) {
      size_t chunk = (failing.size() + n - 1) / n;
      std::vector<Subset> tries;
      for (size_t i = 0; i < failing.size(); i += chunk) {
        Subset complement;
        for (size_t j = 0; j < failing.size(); ++j)
          if (j < i || j >= i + chunk) complement.push_back(failing[j]);
        tries.push_back(complement);
      }
      long f = first_failing(server, tries);
      if (f >= 0) {
        failing = tries[size_t(f)];
        n = std::max<size_t>(n - 1, 2);
      } else if (n >= failing.size()) {
        break;
      } else {
        n = std::min(failing.size(), n * 2);
      }
    }
    return failing;
  }

  void explore_minimal() {
    RunOptions opts;
    opts.sites = header_.sites;
    opts.max_ticks = header_.max_ticks;
    opts.policy.quantum = quantum_ ? quantum_ : kDefaultQuantum;
    auto profile = std::make_shared<Profile>();
    for (uint64_t s : header_.sites) profile->sites[s];
    ForkServer server(cfg_, opts, profile, std::nullopt);
    server.set_host_files([this](const std::string& path) -> std::optional<kernel::HostFile> {
      auto it = files_.find(path);
      if (it == files_.end()) return std::nullopt;
      return it->second;
    });
    bool cloned = server.serve([&](ForkServer& s) { drive(s); });
    if (!cloned)
      throw std::runtime_error("the program never starts a second task: there is no schedule to minimise");
    if (!server.error.empty()) throw std::runtime_error(server.error);
  }

  void drive(ForkServer& server) {
    // Fewest preemptions first: none, one, two; else ddmin from them all.
    // The whole recording first: if the decisions do not reproduce it,
    // nothing below can be trusted.
    if (first_failing(server, {candidates_}) != 0)
      throw std::runtime_error(
          "the recorded decisions, followed from the snapshot, do not fail the same way: " +
          std::string("the run depends on something a schedule does not fix"));
    std::vector<Subset> level = {{}};
    long f = first_failing(server, level);
    if (f >= 0) {
      report_.fails_without_preemption = true;
    } else {
      level.clear();
      for (const ScriptedPreemption& c : candidates_) level.push_back({c});
      f = first_failing(server, level);
      if (f < 0) {
        level.clear();
        for (size_t i = 0; i < candidates_.size(); ++i)
          for (size_t j = i + 1; j < candidates_.size() && level.size() < 4000; ++j)
            level.push_back({candidates_[i], candidates_[j]});
        f = first_failing(server, level);
      }
      if (f < 0 && candidates_.size() > 2) {
        level = {ddmin(server, candidates_)};
        f = 0;
      }
    }
    if (f < 0) return;  // not reproduced without the original policy's other choices
    report_.reduced = true;
    report_.minimal = level[size_t(f)];
    explain(server);
  }

  // The minimal schedule: saved, then run traced for its racing pairs.
  void explain(ForkServer& server) {
    const Subset& s = report_.minimal;
    ScheduleSpec plain = spec_for(s, 0);
    plain.events = ScheduleSpec::Events::kAlways;
    server.launch(plain);
    std::optional<ScheduleResult> saved = server.collect();
    if (saved) report_.load_bias = saved->load_bias;
    if (saved && family(*saved) == reference_) {
      RunOptions opts = server.run_options();
      opts.policy_description = make_scripted(script_for(s), opts.policy.quantum)->describe();
      report_.saved_run = save_run(*store_, cfg_, opts, server.prefix(), server.prefix_blobs(), *saved);
    }
    // Traced: every access, and the events to place them.
    std::vector<Access> accesses;
    std::vector<trace::Event> events;
    trace_run(server, s, {}, accesses, events);
    std::vector<Access> wanted;
    for (const ScriptedPreemption& p : s) {
      RacingPair rp = pair_at(p, accesses, events);
      if (rp.found) wanted.insert(wanted.end(), {rp.first, rp.second});
      report_.races.push_back(rp);
    }
    if (!wanted.empty()) {
      std::vector<Access> with_stacks;
      std::vector<trace::Event> again;
      trace_run(server, s, wanted, with_stacks, again);
      for (RacingPair& rp : report_.races)
        for (const Access& a : with_stacks) {
          if (a.tid == rp.first.tid && a.tick == rp.first.tick && a.rip == rp.first.rip)
            rp.first.stack = a.stack;
          if (a.tid == rp.second.tid && a.tick == rp.second.tick && a.rip == rp.second.rip)
            rp.second.stack = a.stack;
        }
    }
    timeline(events);
  }

  void trace_run(ForkServer& server, const Subset& s, const std::vector<Access>& wanted,
                 std::vector<Access>& out, std::vector<trace::Event>& events) {
    ScheduleSpec spec = spec_for(s, 0);
    spec.events = ScheduleSpec::Events::kAlways;
    auto log = std::make_shared<std::unique_ptr<AccessLog>>();
    spec.at_start = [log, wanted](kernel::Kernel& k) {
      *log = std::make_unique<AccessLog>(k, wanted);
      k.current().mm->engine().trace_memory(log->get());
    };
    spec.report = [log] { return *log ? (*log)->encode() : std::string(); };
    server.launch(spec);
    std::optional<ScheduleResult> r = server.collect();
    if (!r) return;
    out = AccessLog::decode(r->extra);
    events = server.prefix();
    events.insert(events.end(), r->events.begin(), r->events.end());
  }

  // The accesses that preemption `p` put in the other order.
  RacingPair pair_at(const ScriptedPreemption& p, const std::vector<Access>& accesses,
                     const std::vector<trace::Event>& events) {
    RacingPair rp;
    rp.at = p;
    uint64_t stopped = 0, resumed = ~uint64_t(0);
    size_t at = 0;
    for (; at < events.size(); ++at) {
      const trace::Event& e = events[at];
      if (e.kind == trace::EventKind::kPreempt && e.tid == p.tid && e.budget == p.index) {
        stopped = e.tick;
        rp.stop_rip = e.rip;
        rp.stop_point = e.data;
        break;
      }
    }
    for (size_t i = at + 1; i < events.size(); ++i)
      if (events[i].kind == trace::EventKind::kSchedule && events[i].tid == p.tid) {
        resumed = events[i].tick;
        break;
      }
    if (at == events.size()) return rp;
    // Its first access once resumed, and the others' conflicting ones while
    // it was stopped: a read of what it is about to write (the reader saw
    // the old value: that decides what it does), else the last write it
    // follows.
    const Access* second = nullptr;
    for (const Access& a : accesses)
      if (a.tid == p.tid && a.tick > resumed) {
        second = &a;
        break;
      }
    const Access* first = nullptr;
    const Access* reader = nullptr;
    if (second)
      for (const Access& a : accesses)
        if (a.tid != p.tid && a.tick > stopped && a.tick <= resumed && overlap(a, *second) &&
            (a.write || second->write)) {
          first = &a;
          if (!a.write && !reader) reader = &a;
        }
    if (reader) first = reader;
    if (first) {
      rp.found = true;
      rp.first = *first;
      rp.second = *second;
      return rp;
    }
    int shown = 0, more = 0;
    for (size_t i = at + 1; i < events.size() && events[i].tick <= resumed; ++i)
      if (events[i].kind == trace::EventKind::kSyscall && events[i].tid != p.tid) {
        if (shown++ >= 6) {
          ++more;
          continue;
        }
        const char* name = trace::syscall_name(events[i].nr);
        rp.between += (rp.between.empty() ? "" : ", ") + std::string("task ") +
                      std::to_string(events[i].tid) + " " + (*name ? name : "syscall");
      }
    if (more) rp.between += " and " + std::to_string(more) + " more syscalls";
    return rp;
  }

  void timeline(const std::vector<trace::Event>& events) {
    uint32_t running = 0;
    for (const trace::Event& e : events) {
      TimelineEntry t{e.tick, e.tid, "", 0};
      switch (e.kind) {
        case trace::EventKind::kSchedule:
          if (e.tid == running) continue;
          running = e.tid;
          t.what = "runs";
          break;
        case trace::EventKind::kPreempt:
          t.what = e.data == "site" ? "is preempted before" : "is preempted after a syscall at";
          t.rip = e.rip;
          break;
        case trace::EventKind::kSyscall: {
          std::string name = trace::syscall_name(e.nr);
          if (name == "clone" || name == "clone3" || name == "fork" || name == "vfork")
            t.what = "starts task " + std::to_string(e.result);
          else if (name == "exit" || name == "exit_group")
            t.what = "ends (" + name + ")";
          else if (name == "futex" && (e.args[1] & 0x7f) == 0)
            t.what = "waited on a futex";
          else
            continue;
          t.rip = e.rip;
          break;
        }
        case trace::EventKind::kFault:
          t.what = "faults (" + e.fault_kind + ") at";
          t.rip = e.rip;
          break;
        case trace::EventKind::kExit:
          t.what = e.signal ? "is killed by signal " + std::to_string(e.signal)
                            : "exits with status " + std::to_string(e.status);
          break;
        default:
          continue;
      }
      report_.timeline.push_back(t);
    }
  }

  const AnalyzeOptions& o_;
  std::unique_ptr<trace::Store> store_;
  int64_t run_ = 0;
  trace::Header header_;
  std::vector<trace::Event> events_;
  kernel::Config cfg_;
  std::string reference_;
  uint64_t quantum_ = 0;
  std::vector<Decision> picks_;         // after the snapshot, in order
  Subset candidates_;                   // the recording's preemptions
  std::vector<size_t> following_pick_;  // for each, the index of the pick after it
  std::map<std::string, kernel::HostFile> files_;
  AnalyzeReport report_;
};

}  // namespace

AnalyzeReport analyze(const AnalyzeOptions& o) { return Analyzer(o).run(); }

}  // namespace sim
