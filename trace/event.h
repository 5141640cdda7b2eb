// trace::Event — the in-memory form of one trace event, shared by the kernel
// (which produces events), the recorder, the replayer and `ditto dump`.
// The on-disk form is Cap'n Proto (trace.capnp); event.cc converts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trace {

enum class EventKind : uint8_t { kSyscall, kSchedule, kHostFile, kFault, kExit, kSummary, kInterrupt, kPreempt };
const char* to_string(EventKind k);

struct UnsupportedCount {
  uint32_t nr = 0;
  std::string name;
  uint64_t count = 0;
};

struct Event {
  uint64_t seq = 0;
  uint32_t tid = 0;
  uint64_t tick = 0;
  EventKind kind = EventKind::kSyscall;

  // kSyscall
  uint32_t nr = 0;
  uint64_t args[6] = {};
  uint8_t nargs = 6;  // how many of args[] the syscall takes
  int64_t result = 0;
  uint64_t rip = 0;   // also: kPreempt (where the task stopped)
  std::string data;  // also: kSchedule reason, kPreempt point
  bool host_input = false;  // data came from the host (stdin), not from the guest's own state

  // kSchedule: ticks the task may run before the scheduler looks again;
  // kPreempt: the task's scheduling points so far, this one included
  uint64_t budget = 0;

  // kHostFile
  std::string path;
  int32_t err = 0;
  uint8_t file_kind = 0;
  uint32_t mode = 0;
  uint64_t size = 0;
  std::string blob;  // also: kSummary regs digest
  std::vector<std::string> entries;
  std::string target;  // also: kSummary memory digest
  bool contents = false;  // the file's bytes (size, blob), not its metadata
  int32_t read_err = 0;   // metadata: why the host would not let the file be read or listed
  int32_t search_err = 0;  // metadata: why the host would not let the directory be searched
  uint32_t uid = 0, gid = 0;  // metadata: the host's owner
  int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0;  // metadata: the host's times

  // kFault / kExit / kInterrupt (the host signal)
  int32_t signal = 0;
  int32_t status = 0;
  std::string fault_kind;
  uint64_t addr = 0;

  // kSummary (ticks in `tick`)
  std::vector<UnsupportedCount> unsupported;
};

// Field-by-field equality of everything but `seq`; on a difference, `what`
// names the first differing field.
bool same_event(const Event& expected, const Event& actual, std::string* what);

// One line a person can read.
std::string describe(const Event& e);
// One JSON object (no newline), for `ditto dump --json`.
std::string to_json(const Event& e);
std::string json_quote(const std::string& s);

// Syscall names for x86-64, "" when unknown.
const char* syscall_name(uint32_t nr);

}  // namespace trace
