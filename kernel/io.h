// kernel::Io — the kernel model's only way to the world outside the guest.
// Recording implements it with the host (and writes the trace); replay
// implements it with the trace (and checks every event against it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/event.h"

namespace kernel {

struct Outcome;

enum class HostFileKind : uint8_t { kMissing = 0, kRegular = 1, kDirectory = 2, kSymlink = 3 };

// A host file as captured: first its metadata (host_file), then, for a
// regular file once the guest reads, maps or runs it, its bytes
// (host_contents) -- so that listing a directory of big files stores
// none of them.
struct HostFile {
  int err = 0;  // positive errno when the host lookup (or the read of the contents) failed
  HostFileKind kind = HostFileKind::kMissing;
  uint32_t mode = 0;  // permission bits
  uint64_t size = 0;  // regular files: st_size
  uint32_t uid = 0, gid = 0;  // the host's owner
  int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0;  // the host's times
  // Why the host would not let Ditto read the file or list the directory
  // (EACCES), though it exists: the guest gets the same errno when it tries.
  int read_err = 0;
  int search_err = 0;  // directories: why Ditto may not search it (EACCES), or 0
  std::string content;              // regular files (host_contents only)
  std::vector<std::string> entries; // directories, sorted
  std::string target;               // symlinks
};

class Io {
 public:
  virtual ~Io() = default;
  // Appends an event (the sink assigns the sequence number).
  virtual void emit(trace::Event&& e) = 0;
  // Captures a host file, directory or symlink (lstat semantics). Emits the
  // hostfile event itself, so that replay can answer from the trace.
  virtual HostFile host_file(const std::string& host_path, uint32_t tid, uint64_t tick) = 0;
  // Captures the bytes of a host regular file (err and content only).
  virtual HostFile host_contents(const std::string& host_path, uint32_t tid, uint64_t tick) = 0;
  // Reads at most `n` bytes of the guest's stdin: bytes read, or -errno.
  virtual int64_t read_stdin(char* buf, size_t n) = 0;
  // Guest output on fd 1 or 2 of the host: bytes written, or -errno
  // (-EPIPE when the host's reader went away).
  virtual int64_t write_output(int fd, const char* buf, size_t n) = 0;
  // True once the sink wants the run to end (replay divergence, I/O error).
  virtual bool stop_requested() const = 0;
  // The guest touched its corpus input for the first time (Config::input).
  virtual void input_touched() {}
  // False when events go nowhere (`ditto run`): the kernel then skips work
  // whose only product is an event, such as the final memory digest.
  virtual bool keeps_events() const { return true; }
  // Whether the end-of-run summary should carry the register and memory
  // digests (they cost a pass over the guest's memory) for a run that ended
  // `how`; by default whenever events are kept.
  virtual bool wants_digests(const Outcome& how) const {
    (void)how;
    return keeps_events();
  }
  // Events emitted so far (for progress lines).
  virtual uint64_t event_count() const { return 0; }
  // The tick count the run must not pass (replay of a recording that was
  // interrupted there), or ~0.
  virtual uint64_t tick_limit() const { return ~uint64_t(0); }
  // Replay: the recorded event the next emit() is compared with (the
  // replayer's scheduler follows the recorded decisions), else null.
  virtual const trace::Event* next_recorded() { return nullptr; }
  // Replay: the run no longer follows the recording (`what` says how).
  virtual void report_divergence(const std::string& what) { (void)what; }
};

}  // namespace kernel
