#include "sim/simulator.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include "trace/sha256.h"

namespace sim {

trace::Header header_for(const kernel::Config& cfg) {
  trace::Header h;
  h.ditto_version = DITTO_VERSION;
  h.argv = cfg.argv;  // argv[0] doubles as AT_EXECFN: Ditto execs what the user typed
  h.env = cfg.env;
  h.seed = cfg.seed;
  h.policy = "single";
  h.cpu_model = cpu::cpu_model_name();
  for (const cpu::CpuidLeaf& l : cpu::cpuid_table())
    h.cpuid.push_back({l.leaf, l.subleaf, l.eax, l.ebx, l.ecx, l.edx});
  h.program_path = cfg.program_path;
  h.program_links = cfg.program_links;
  h.cwd = cfg.cwd;
  h.mounts = cfg.mounts;
  h.ns_per_tick = cfg.ns_per_tick;
  return h;
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
  cfg.ns_per_tick = h.ns_per_tick;
  return cfg;
}

RunResult run_guest(const kernel::Config& cfg, kernel::Io& io, const RunOptions& opts) {
  RunResult res;
  kernel::Kernel k(cfg, io);
  if (opts.fresh_engines) k.disable_engine_reuse();
  res.load = k.start();
  if (res.load.status) return res;

  // A task runs until it traps, or until its tick budget ends (a deterministic
  // preemption point: cpu/engine.cc stops exactly before a block).
  auto t0 = std::chrono::steady_clock::now();
  bool printed = false;
  uint32_t last_tid = 0;
  // Kernel code that runs outside a syscall (faults, scheduling, exits) can
  // find a broken invariant of Ditto's own: the run ends with exit 125.
  try {
    while (kernel::Task* t = k.runnable_task()) {
      if (t->tid != last_tid) {
        trace::Event ev;
        ev.kind = trace::EventKind::kSchedule;
        ev.tid = t->tid;
        ev.tick = k.ticks();
        ev.data = last_tid == 0 ? "start" : "switch";
        io.emit(std::move(ev));
        last_tid = t->tid;
      }
      k.begin_slice(*t);
      cpu::Engine& e = t->mm->engine();
      if (opts.progress)
        e.set_progress_callback(1ULL << 28, [&](uint64_t ticks) {
          double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          if (secs < 2.0) return;
          std::fprintf(stderr, "\r[ditto] %.0f s, %.2f G ticks", secs, double(ticks) / 1e9);
          printed = true;
        });
      uint64_t budget = k.slice_budget();
      if (opts.slice_ticks) budget = std::min(budget, opts.slice_ticks);
      uint64_t limit = budget == ~uint64_t(0) ? budget : e.ticks() + budget;
      cpu::StopReason why = e.run(t->resume_rip, limit);
      k.end_slice(*t, why);
    }
  } catch (const std::exception& ex) {
    if (printed) std::fprintf(stderr, "\n");
    res.error = std::string("internal error: ") + ex.what();
    return res;
  }
  if (printed) std::fprintf(stderr, "\n");
  if (!io.stop_requested()) k.emit_summary();
  res.outcome = k.outcome();
  res.ticks = k.ticks();
  res.unsupported = k.unsupported();
  return res;
}

void HostIo::emit(trace::Event&& e) {
  ++events_;
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
    hf.kind = kernel::HostFileKind::kDirectory;
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      hf.err = errno;
      return hf;
    }
    while (dirent* de = ::readdir(d)) {
      std::string name = de->d_name;
      if (name != "." && name != "..") hf.entries.push_back(name);
    }
    ::closedir(d);
    std::sort(hf.entries.begin(), hf.entries.end());
  } else if (S_ISREG(st.st_mode)) {
    hf.kind = kernel::HostFileKind::kRegular;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
    ::close(fd);
  } else {
    // Devices, sockets and FIFOs of the host stay outside the guest.
    hf.err = EACCES;
  }
  return hf;
}

kernel::HostFile HostIo::host_file(const std::string& path, uint32_t tid, uint64_t tick) {
  kernel::HostFile hf = read_host_file(path);
  trace::Event ev;
  ev.kind = trace::EventKind::kHostFile;
  ev.tid = tid;
  ev.tick = tick;
  ev.path = path;
  ev.err = hf.err;
  ev.file_kind = uint8_t(hf.kind);
  ev.mode = hf.mode;
  if (hf.err == 0 && hf.kind == kernel::HostFileKind::kRegular) {
    ev.size = hf.content.size();
    if (recorder_) ev.blob = trace::sha256_hex(hf.content);  // the event is kept: name the blob
    if (store_ && error_.empty()) {
      try {
        store_->put_blob(ev.blob, hf.content);
      } catch (const std::exception& ex) {
        error_ = ex.what();
      }
    }
  }
  ev.entries = hf.entries;
  ev.target = hf.target;
  emit(std::move(ev));
  return hf;
}

int64_t HostIo::read_stdin(char* buf, size_t n) {
  ssize_t r;
  do r = ::read(0, buf, n);
  while (r < 0 && errno == EINTR);
  if (r < 0) return errno == EBADF ? 0 : -int64_t(errno);  // a closed stdin reads as EOF
  return r;
}

void HostIo::write_output(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the host's reader went away: the guest does not notice
    buf += w;
    n -= size_t(w);
  }
}

}  // namespace sim
