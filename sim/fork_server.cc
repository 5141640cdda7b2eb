#include "sim/fork_server.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "sim/scheduler.h"
#include "trace/sha256.h"
#include "trace/store.h"

namespace sim {

namespace {

// How long a probe copy runs at most (its input may hang).
constexpr uint64_t kProbeTicks = 2000000;

// The most events a copy packs into one batch (what a Recorder would put in one).
constexpr size_t kPackedEvents = 8192;

// Thrown in a forked copy out of the driver's frames, up to the snapshot
// hook, where the copy's run goes on (never through the emulator's frames).
struct ForkedCopy {};

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
  w.u64(r.id);
  w.u64(r.failed);
  w.str(r.kind);
  w.str(r.signature);
  w.str(r.summary);
  w.str(r.last_output);
  w.u64(r.rip);
  w.u64(r.ticks);
  w.u64(r.load_bias);
  w.u64(r.stack.size());
  for (uint64_t a : r.stack) w.u64(a);
  w.u64(uint64_t(r.signal));
  w.u64(r.blocks.size());
  for (uint64_t b : r.blocks) w.u64(b);
  w.u64(r.unsupported.size());
  for (const auto& [name, n] : r.unsupported) {
    w.str(name);
    w.u64(n);
  }
  w.str(r.events.empty() ? std::string() : trace::encode_batch(0, r.events));
  w.u64(r.packed.first_seq);
  w.u64(r.packed.count);
  w.u64(r.packed.raw_size);
  w.str(r.packed.data);
  w.u64(r.blobs.size());
  for (const auto& [hash, bytes] : r.blobs) {
    w.str(hash);
    w.str(bytes);
  }
  w.str(r.extra);
  return w.out;
}

ScheduleResult decode(const std::string& bytes) {
  Reader rd(bytes);
  ScheduleResult r;
  r.id = rd.u64();
  r.failed = rd.u64() != 0;
  r.kind = rd.str();
  r.signature = rd.str();
  r.summary = rd.str();
  r.last_output = rd.str();
  r.rip = rd.u64();
  r.ticks = rd.u64();
  r.load_bias = rd.u64();
  for (uint64_t n = rd.u64(); n > 0; --n) {
    if (n > bytes.size() / 8) throw std::runtime_error("truncated schedule result");
    r.stack.push_back(rd.u64());
  }
  r.signal = int(rd.u64());
  for (uint64_t n = rd.u64(); n > 0; --n) {
    if (n > bytes.size() / 8) throw std::runtime_error("truncated schedule result");
    r.blocks.push_back(rd.u64());
  }
  for (uint64_t n = rd.u64(); n > 0; --n) {
    std::string name = rd.str();
    r.unsupported[name] = rd.u64();
  }
  std::string batch = rd.str();
  uint64_t first = 0;
  if (!batch.empty()) r.events = trace::decode_batch(batch, &first);
  r.packed.first_seq = rd.u64();
  r.packed.count = rd.u64();
  r.packed.raw_size = rd.u64();
  r.packed.data = rd.str();
  for (uint64_t n = rd.u64(); n > 0; --n) {
    std::string hash = rd.str();
    r.blobs[hash] = rd.str();
  }
  r.extra = rd.str();
  return r;
}

std::string last_line(const std::string& out) {
  size_t end = out.size();
  while (end > 0 && out[end - 1] == '\n') --end;
  size_t start = out.rfind('\n', end ? end - 1 : 0);
  start = start == std::string::npos || end == 0 ? 0 : start + 1;
  std::string line = out.substr(start, end - start);
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

// How a schedule ended, as a failure (or not). Distinct failures differ in
// kind, signal or status, where it happened and the calls that led there.
}  // namespace

std::string hex_address(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}

std::string signal_label(int sig) {
  const char* a = sigabbrev_np(sig);
  return a ? std::string("SIG") + a : "signal " + std::to_string(sig);
}

void classify(const RunResult& r, const MemoryIo& io, const std::optional<std::string>& expect_stdout,
              ScheduleResult& s) {
  const kernel::Outcome& out = r.outcome;
  s.last_output = last_line(io.out);
  s.ticks = r.ticks;
  s.load_bias = r.outcome.load_bias;
  s.stack = out.death_stack;
  s.signal = out.signal;
  for (const auto& [name, nr_count] : r.unsupported) s.unsupported[name] = nr_count.second;
  std::string stack;
  for (size_t i = 0; i < out.death_stack.size() && i < 4; ++i) stack += " " + hex_address(out.death_stack[i]);
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
    s.signature = "signal " + std::to_string(out.signal) + " at " + hex_address(s.rip) + stack;
    s.summary = "killed by " + signal_label(out.signal);
    if (out.fault.kind != cpu::FaultKind::kNone)
      s.summary += " at " + hex_address(out.fault.rip) + " (" + cpu::to_string(out.fault.kind) + " at " +
                   hex_address(out.fault.addr) + ")";
  } else if (out.exit_code != 0) {
    s.failed = true, s.kind = "exit";
    s.signature = "exit " + std::to_string(out.exit_code) + stack;
    s.summary = "exit status " + std::to_string(out.exit_code);
  } else if (expect_stdout && io.out != *expect_stdout) {
    s.failed = true, s.kind = "output";
    s.signature = "output " + trace::sha256_hex(io.out).substr(0, 16);
    s.summary = "unexpected output";
  } else if (!out.finished) {
    s.failed = true, s.kind = "ditto";
    s.signature = s.summary = "the run stopped early: " + out.detail;
  }
}

// A probe copy's record of the blocks it runs.
class ForkServer::BlockProbe : public cpu::MemoryTracer {
 public:
  void on_access(uint64_t, uint64_t, uint32_t, bool) override {}
  void on_block(uint64_t addr) override { blocks.insert(addr); }
  std::set<uint64_t> blocks;
};

ForkServer::~ForkServer() = default;

ForkServer::ForkServer(const kernel::Config& cfg, RunOptions opts, std::shared_ptr<const Profile> profile,
                       std::optional<std::string> expect_stdout, Snapshot at)
    : cfg_(cfg),
      opts_(std::move(opts)),
      profile_(std::move(profile)),
      expect_stdout_(std::move(expect_stdout)),
      at_(at) {}

const std::vector<trace::Event>& ForkServer::prefix() const { return io_.events; }

bool ForkServer::serve(const std::function<void(ForkServer&)>& driver) {
  RunOptions opts = opts_;
  if (at_ == Snapshot::kFirstClone)
    opts.at_first_clone = [&](kernel::Kernel& k, Scheduler& s) { return at_snapshot(k, s, driver); };
  else
    io_.at_first_input = [&] { at_input(driver); };
  opts.at_end = [this](const RunResult& r) {
    if (child_) finish_child(r);
  };
  // A run needs its digests only to be saved: when it fails, and a corpus
  // server's own run (which stands for every input when none is touched).
  io_.digests_for = [this](const kernel::Outcome& out) {
    return !out.finished || out.exit_code || out.signal || out.deadlock || out.tick_limit ||
           !out.detail.empty() || (expect_stdout_ && io_.out != *expect_stdout_) ||
           spec_.events == ScheduleSpec::Events::kAlways || (at_ == Snapshot::kFirstInput && !child_);
  };
  opts.at_started = [this](kernel::Kernel& k) { kernel_ = &k; };
  RunResult r = run_guest(cfg_, io_, opts);
  if (snapshot_) {
    io_.events.resize(prefix_len_);  // the rest was the server's own abandoned run
    return true;
  }
  classify(r, io_, expect_stdout_, solo_);
  solo_.events = io_.events;
  return false;
}

bool ForkServer::at_snapshot(kernel::Kernel& k, Scheduler& s,
                             const std::function<void(ForkServer&)>& driver) {
  // The code the schedules will run, translated once here rather than in
  // every copy (a schedule stopped before a site goes on from a block that
  // starts there).
  if (profile_) {
    std::vector<uint64_t> blocks = profile_->blocks;
    for (const auto& [site, info] : profile_->sites) blocks.push_back(site);
    k.current().mm->engine().translate(blocks);
  }
  if (!drive(driver)) return false;
  if (spec_.at_start) spec_.at_start(k);
  if (spec_.policy) s.set_policy(spec_.policy());
  return true;
}

// Called from the guest's first look at its input (a read of stdin, a
// lookup of the input file), before anything of it is read: a copy reads
// its own input from here on, and the server's run ends.
void ForkServer::at_input(const std::function<void(ForkServer&)>& driver) {
  if (!drive(driver)) {
    io_.stop = true;
    return;
  }
  io_.set_input(spec_.input);
  if (spec_.probe && kernel_) {
    probe_ = std::make_unique<BlockProbe>();
    kernel_->current().mm->engine().trace_memory(probe_.get());
    // Traced code runs slowly: a probe of an input that hangs stops early.
    io_.tick_cap = kernel_->ticks() + kProbeTicks;
  }
}

void ForkServer::translate_ahead(const std::vector<uint64_t>& blocks) {
  if (!kernel_ || child_) return;
  // Only code mapped here: a copy's own mappings (a library it loaded) are
  // not, and running there would fault.
  kernel::MemoryManager& mm = *kernel_->current().mm;
  std::vector<uint64_t> here;
  for (uint64_t b : blocks)
    if (const kernel::Vma* v = mm.find(b); v && (v->prot & 4 /* PROT_EXEC */)) here.push_back(b);
  if (!here.empty()) mm.engine().translate(here);
}

bool ForkServer::drive(const std::function<void(ForkServer&)>& driver) {
  snapshot_ = true;
  prefix_len_ = io_.events.size();
  io_.events.reserve(prefix_len_ + 4096);  // copies append without moving what is there
  for (const auto& [hash, bytes] : io_.blobs) parent_blobs_.insert(hash);
  // Nothing may unwind through the emulator's frames (this is a trap).
  try {
    driver(*this);
  } catch (const ForkedCopy&) {
    return true;
  } catch (const std::exception& ex) {
    if (child_) std::_Exit(125);
    error = ex.what();
  }
  // The driver is done; whatever still runs is not waited for.
  for (auto& [pid, r] : running_) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(r.fd);
  }
  running_.clear();
  return false;
}

void ForkServer::launch(const ScheduleSpec& spec) {
  int fd = ::memfd_create("ditto-schedule", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_NAME, "ditto-copy");  // what ps and perf show for the copies
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_DFL);
    for (auto& [p, r] : running_) ::close(r.fd);
    running_.clear();
    child_ = true;
    spec_ = spec;
    result_fd_ = fd;
    throw ForkedCopy{};
  }
  running_[pid] = {spec.id, fd};
}

std::optional<ScheduleResult> ForkServer::collect() {
  while (!running_.empty()) {
    int st = 0;
    pid_t pid = ::waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    auto it = running_.find(pid);
    if (it == running_.end()) continue;
    Running done = it->second;
    running_.erase(it);
    std::string bytes;
    struct stat sb;
    if (::fstat(done.fd, &sb) == 0 && sb.st_size > 0) {
      bytes.resize(size_t(sb.st_size));
      if (::pread(done.fd, bytes.data(), bytes.size(), 0) != ssize_t(bytes.size())) bytes.clear();
    }
    ::close(done.fd);
    try {
      if (!bytes.empty()) return decode(bytes);
    } catch (const std::exception&) {
    }
    ScheduleResult s;
    s.id = done.id;
    s.failed = true;
    s.kind = "ditto";
    s.summary = s.signature = WIFSIGNALED(st)
                                  ? "Ditto crashed (" + signal_label(WTERMSIG(st)) + ")"
                                  : "Ditto failed (exit status " + std::to_string(WEXITSTATUS(st)) + ")";
    return s;
  }
  return std::nullopt;
}

// In a forked copy, after its run: the result to the server, then out
// (tearing the kernel down would cost more than the run).
void ForkServer::finish_child(const RunResult& r) {
  ScheduleResult s;
  s.id = spec_.id;
  classify(r, io_, expect_stdout_, s);
  bool events = spec_.events == ScheduleSpec::Events::kAlways ||
                (spec_.events == ScheduleSpec::Events::kIfFailed && s.failed);
  if (events) {
    s.events.assign(io_.events.begin() + long(prefix_len_), io_.events.end());
    if (spec_.packed && s.events.size() <= kPackedEvents) {
      s.packed = trace::pack_batch(prefix_len_, s.events);
      s.events.clear();
    }
    for (const auto& [hash, bytes] : io_.blobs)
      if (!parent_blobs_.count(hash)) s.blobs.emplace(hash, bytes);
  }
  if (spec_.report) s.extra = spec_.report();
  if (probe_) s.blocks.assign(probe_->blocks.begin(), probe_->blocks.end());
  std::string bytes = encode(s);
  for (size_t off = 0; off < bytes.size();) {
    ssize_t w = ::write(result_fd_, bytes.data() + off, bytes.size() - off);
    if (w <= 0) break;
    off += size_t(w);
  }
  std::_Exit(0);
}

}  // namespace sim
