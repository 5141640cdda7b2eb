#include "sim/simulator.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include "sim/host_signals.h"
#include "sim/progress.h"
#include "sim/scheduler.h"
#include "trace/sha256.h"

namespace sim {

trace::Header header_for(const kernel::Config& cfg, const RunOptions& opts) {
  trace::Header h;
  h.ditto_version = DITTO_VERSION;
  h.argv = cfg.argv;  // argv[0] doubles as AT_EXECFN: Ditto execs what the user typed
  h.env = cfg.env;
  h.seed = cfg.seed;
  h.policy = opts.policy_description.empty() ? make_policy(opts.policy)->describe() : opts.policy_description;
  h.sites = opts.sites;
  h.max_ticks = opts.max_ticks;
  h.cpu_model = cpu::cpu_model_name();
  for (const cpu::CpuidLeaf& l : cpu::cpuid_table())
    h.cpuid.push_back({l.leaf, l.subleaf, l.eax, l.ebx, l.ecx, l.edx});
  h.program_path = cfg.program_path;
  h.program_links = cfg.program_links;
  h.cwd = cfg.cwd;
  h.mounts = cfg.mounts;
  h.file_mounts = cfg.file_mounts;
  h.root_dir = cfg.root_dir;
  h.input = cfg.input;
  h.events = cfg.events;
  h.ns_per_tick = cfg.ns_per_tick;
  h.cpus = uint32_t(cfg.cpus);
  h.memory_bytes = cfg.memory_bytes;
  return h;
}

void replay_options_from(const trace::Header& h, RunOptions& opts) {
  opts.follow_recording = true;
  opts.sites = h.sites;
  opts.max_ticks = h.max_ticks;
}

kernel::Config config_from(const trace::Header& h) {
  kernel::Config cfg;
  cfg.argv = h.argv;
  if (!h.argv.empty()) cfg.execfn = h.argv[0];
  cfg.env = h.env;
  cfg.seed = h.seed;
  cfg.program_path = h.program_path;
  cfg.program_links = h.program_links;
  cfg.cwd = h.cwd;
  cfg.mounts = h.mounts;
  cfg.file_mounts = h.file_mounts;
  cfg.root_dir = h.root_dir;
  cfg.input = h.input;
  cfg.events = h.events;
  cfg.ns_per_tick = h.ns_per_tick;
  cfg.cpus = int(h.cpus);
  if (h.memory_bytes) cfg.memory_bytes = h.memory_bytes;
  return cfg;
}

namespace {

// A slice runs in chunks of at most this many ticks: between two chunks the
// run loop looks at the world (Ctrl-C, the progress line, a replay's end)
// and the same task goes on. Stopping at a tick boundary changes nothing
// (the --slice-ticks self-check proves it), so the chunk size is invisible.
constexpr uint64_t kChunkTicks = 1ULL << 22;

}  // namespace

namespace {

// How the slice that just ended, ended (for the next pick).
SliceEnd slice_end_reason(const kernel::Kernel& k, const kernel::Task& t, cpu::StopReason stop, bool budget_used) {
  if (t.run_state != kernel::RunState::kRunnable || k.group_stopped(t)) return SliceEnd::kSwitch;
  if (k.slice_preempted() || stop == cpu::StopReason::kSite) return SliceEnd::kPreempt;
  if (k.slice_yielded()) return SliceEnd::kYield;
  if (stop == cpu::StopReason::kBudget && budget_used) return SliceEnd::kBudget;
  return SliceEnd::kOther;
}

}  // namespace

RunResult run_guest(const kernel::Config& cfg, kernel::Io& io, const RunOptions& opts) {
  RunResult res;
  kernel::Kernel k(cfg, io);
  if (opts.fresh_engines) k.disable_engine_reuse();
  std::unique_ptr<Scheduler> sched = opts.follow_recording
                                         ? make_replaying_scheduler(k, io)
                                         : make_recording_scheduler(k, io, make_policy(opts.policy));
  k.set_preemption(sched.get());
  // Sites (and a profiling run's tracer) for every engine of the program.
  k.set_engine_setup([&](kernel::MemoryManager& mm) {
    bool ours = mm.program == cfg.program_path;
    static const std::vector<uint64_t> none;
    mm.engine().set_sites(ours ? opts.sites : none, sched.get());
    if (opts.tracer) mm.engine().trace_memory(ours ? opts.tracer(k, mm) : nullptr);
  });
  if (opts.at_first_clone) k.set_first_clone_hook([&] { return opts.at_first_clone(k, *sched); });
  res.load = k.start();
  if (res.load.status) return res;
  if (opts.at_started) opts.at_started(k);

  Progress progress(opts.progress);
  const uint64_t chunk = opts.slice_ticks ? std::min(opts.slice_ticks, kChunkTicks) : kChunkTicks;
  uint32_t last_tid = 0;
  int interrupted = 0;
  // Whether the run must end at this boundary between two chunks or slices.
  const uint64_t max_ticks = opts.max_ticks ? opts.max_ticks : kernel::Kernel::kUnlimited;
  bool tick_limit = false;
  auto must_stop = [&] {
    if (opts.interruptible && (interrupted = interrupt_signal())) return true;
    if (k.ticks() >= max_ticks) return tick_limit = true;
    return io.stop_requested() || k.ticks() >= io.tick_limit();
  };
  SliceEnd why = SliceEnd::kStart;
  // Tasks stopped before a site: they make that access when they next run.
  constexpr uint64_t kNoSite = ~uint64_t(0);
  std::map<uint32_t, uint64_t> stopped_at_site;
  // Kernel code that runs outside a syscall (faults, scheduling, exits) can
  // find a broken invariant of Ditto's own: the run ends with exit 125.
  try {
    while (!must_stop()) {
      std::vector<kernel::Task*> runnable = k.runnable_tasks();
      if (runnable.empty()) break;
      std::optional<Decision> d = sched->pick(runnable, why);
      if (!d) break;
      kernel::Task* t = k.task(d->tid);
      last_tid = t->tid;
      k.begin_slice(*t);
      cpu::Engine& e = t->mm->engine();
      const uint64_t slice_end = d->budget > ~uint64_t(0) - e.ticks() ? ~uint64_t(0) : e.ticks() + d->budget;
      uint64_t rip = t->resume_rip;
      uint64_t resumed_site = kNoSite;
      if (auto it = stopped_at_site.find(t->tid); it != stopped_at_site.end()) {
        resumed_site = it->second;
        stopped_at_site.erase(it);
      }
      cpu::StopReason stop;
      // A timer deadline ends the slice at its tick, whatever the chunks.
      const uint64_t to_timer = k.ticks_to_next_timer(*t);
      const uint64_t timer_tick = to_timer > ~uint64_t(0) - e.ticks() ? ~uint64_t(0) : e.ticks() + to_timer;
      for (;;) {
        uint64_t limit = std::min({slice_end, e.ticks() + chunk, timer_tick});
        if (uint64_t cap = std::min(io.tick_limit(), max_ticks); cap != kernel::Kernel::kUnlimited)
          limit = std::min(limit, e.ticks() + (cap > k.ticks() ? cap - k.ticks() : 0));
        stop = e.run(rip, limit, resumed_site);
        resumed_site = kNoSite;
        if (stop != cpu::StopReason::kBudget || e.ticks() >= slice_end || e.ticks() >= timer_tick) break;
        progress.update(k, io.event_count());
        if (must_stop()) break;
        rip = e.next_rip();
      }
      bool budget_used = e.ticks() >= slice_end;
      if (stop == cpu::StopReason::kSite) stopped_at_site[t->tid] = e.next_rip();
      k.end_slice(*t, stop);
      why = slice_end_reason(k, *t, stop, budget_used);
      progress.update(k, io.event_count());
    }
  } catch (const std::exception& ex) {
    progress.finish();
    res.error = std::string("internal error: ") + ex.what();
    return res;
  }
  progress.finish();
  if (interrupted && !k.outcome().finished) {
    trace::Event ev;
    ev.kind = trace::EventKind::kInterrupt;
    ev.tid = last_tid;
    ev.tick = k.ticks();
    ev.signal = interrupted;
    io.emit(std::move(ev));
  } else {
    interrupted = 0;
    if (!io.stop_requested()) k.emit_summary();
  }
  res.outcome = k.outcome();
  res.outcome.interrupted = interrupted;
  res.outcome.tick_limit = tick_limit && !interrupted && !res.outcome.finished;
  res.ticks = k.ticks();
  res.unsupported = k.unsupported();
  if (opts.at_teardown) opts.at_teardown(k);
  if (opts.at_end) opts.at_end(res);
  return res;
}

void HostIo::emit(trace::Event&& e) {
  ++events_;
  if (holding_) {
    held_.push_back(std::move(e));
    return;
  }
  if (!recorder_ || !error_.empty()) return;
  try {
    recorder_->append(std::move(e));
  } catch (const std::exception& ex) {
    error_ = ex.what();
  }
}

kernel::HostFile read_host_file(const std::string& path) {
  kernel::HostFile hf;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    hf.err = errno;
    return hf;
  }
  hf.mode = st.st_mode & 07777;
  hf.uid = st.st_uid;
  hf.gid = st.st_gid;
  hf.atime_ns = int64_t(st.st_atim.tv_sec) * 1000000000 + st.st_atim.tv_nsec;
  hf.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  hf.ctime_ns = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  if (S_ISLNK(st.st_mode)) {
    hf.kind = kernel::HostFileKind::kSymlink;
    std::string buf(size_t(st.st_size) + 256, '\0');
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) {
      hf.err = errno;
      return hf;
    }
    buf.resize(size_t(n));
    hf.target = buf;
  } else if (S_ISDIR(st.st_mode)) {
    // A directory Ditto may not list (mode 0711 to a non-root user) is
    // still one: names in it can be looked up, only listing fails.
    hf.kind = kernel::HostFileKind::kDirectory;
    if (::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) != 0) hf.search_err = errno;
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      hf.read_err = errno;
      return hf;
    }
    while (dirent* de = ::readdir(d)) {
      std::string name = de->d_name;
      if (name != "." && name != "..") hf.entries.push_back(name);
    }
    ::closedir(d);
    std::sort(hf.entries.begin(), hf.entries.end());
  } else if (S_ISREG(st.st_mode)) {
    // The bytes come later (read_host_contents), if the guest reads them;
    // whether it could is known now, so that its open() fails as it would.
    hf.kind = kernel::HostFileKind::kRegular;
    hf.size = uint64_t(st.st_size);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) hf.read_err = errno;
    else ::close(fd);
  } else {
    // Devices, sockets and FIFOs of the host stay outside the guest.
    hf.err = EACCES;
  }
  return hf;
}

kernel::HostFile read_host_contents(const std::string& path) {
  kernel::HostFile hf;
  hf.kind = kernel::HostFileKind::kRegular;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    hf.err = errno;
    return hf;
  }
  // Read straight into the string, sized from fstat (a program is read at
  // every start: no regrowth copies); a file that grows meanwhile still
  // reads to its end.
  struct stat fst;
  size_t want = ::fstat(fd, &fst) == 0 && fst.st_size > 0 ? size_t(fst.st_size) + 1 : 1 << 16;
  size_t have = 0;
  ssize_t n;
  for (;;) {
    if (hf.content.size() - have < 4096) hf.content.resize(std::max(want, 2 * hf.content.size()));
    n = ::read(fd, hf.content.data() + have, hf.content.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += size_t(n);
  }
  if (n < 0) hf.err = errno;
  hf.content.resize(have);
  hf.size = have;
  ::close(fd);
  if (hf.err) hf.content.clear();
  return hf;
}

trace::Event host_file_event(const std::string& path, uint32_t tid, uint64_t tick, const kernel::HostFile& hf) {
  trace::Event ev;
  ev.kind = trace::EventKind::kHostFile;
  ev.tid = tid;
  ev.tick = tick;
  ev.path = path;
  ev.err = hf.err;
  ev.file_kind = uint8_t(hf.kind);
  ev.mode = hf.mode;
  ev.read_err = hf.read_err;
  ev.search_err = hf.search_err;
  ev.uid = hf.uid;
  ev.gid = hf.gid;
  ev.atime_ns = hf.atime_ns;
  ev.mtime_ns = hf.mtime_ns;
  ev.ctime_ns = hf.ctime_ns;
  if (hf.err == 0 && hf.kind == kernel::HostFileKind::kRegular) ev.size = hf.size;
  ev.entries = hf.entries;
  ev.target = hf.target;
  return ev;
}

trace::Event host_contents_event(const std::string& path, uint32_t tid, uint64_t tick, const kernel::HostFile& hf,
                                 bool name_blob) {
  trace::Event ev;
  ev.kind = trace::EventKind::kHostFile;
  ev.contents = true;
  ev.tid = tid;
  ev.tick = tick;
  ev.path = path;
  ev.err = hf.err;
  ev.file_kind = uint8_t(kernel::HostFileKind::kRegular);
  if (hf.err == 0) {
    ev.size = hf.content.size();
    if (name_blob) ev.blob = trace::sha256_hex(hf.content);
  }
  return ev;
}

void HostIo::attach(trace::Store* store, trace::Recorder* recorder) {
  store_ = store;
  recorder_ = recorder;
  holding_ = false;
  try {
    for (const auto& [hash, bytes] : held_blobs_) store_->put_blob(hash, bytes);
    for (trace::Event& e : held_) recorder_->append(std::move(e));
  } catch (const std::exception& ex) {
    error_ = ex.what();
  }
  held_.clear();
  held_blobs_.clear();
}

kernel::HostFile HostIo::host_file(const std::string& path, uint32_t tid, uint64_t tick) {
  kernel::HostFile hf = read_host_file(path);
  emit(host_file_event(path, tid, tick, hf));
  return hf;
}

kernel::HostFile HostIo::host_contents(const std::string& path, uint32_t tid, uint64_t tick) {
  kernel::HostFile hf = read_host_contents(path);
  // A kept event names its blob.
  trace::Event ev = host_contents_event(path, tid, tick, hf, recorder_ != nullptr || holding_);
  if (holding_ && !ev.blob.empty()) held_blobs_.emplace_back(ev.blob, hf.content);
  if (store_ && error_.empty() && !ev.blob.empty()) {
    try {
      store_->put_blob(ev.blob, hf.content);
    } catch (const std::exception& ex) {
      error_ = ex.what();
    }
  }
  emit(std::move(ev));
  return hf;
}

// A host read or write that Ctrl-C interrupts fails with EINTR in the guest
// too, so that the run can stop at its next scheduling point.
int64_t HostIo::read_stdin(char* buf, size_t n) {
  ssize_t r;
  do r = ::read(0, buf, n);
  while (r < 0 && errno == EINTR && !interrupt_signal());
  if (r < 0) return errno == EBADF ? 0 : -int64_t(errno);  // a closed stdin reads as EOF
  return r;
}

int64_t HostIo::write_output(int fd, const char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(fd, buf + done, n - done);
    if (w < 0 && errno == EINTR && !interrupt_signal()) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Someone else made the host descriptor non-blocking: the guest's
      // pipe is a blocking one, so wait for room.
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno == EINTR && interrupt_signal()) return done ? int64_t(done) : -EINTR;
      continue;
    }
    if (w <= 0) return done ? int64_t(done) : (w < 0 ? -int64_t(errno) : -int64_t(EIO));
    done += size_t(w);
  }
  return int64_t(done);
}

}  // namespace sim
