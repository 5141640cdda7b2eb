#include "trace/event.h"

#include <cinttypes>
#include <cstdio>


namespace trace {

const char* to_string(EventKind k) {
  switch (k) {
    case EventKind::kSyscall: return "syscall";
    case EventKind::kSchedule: return "schedule";
    case EventKind::kHostFile: return "hostfile";
    case EventKind::kFault: return "fault";
    case EventKind::kExit: return "exit";
    case EventKind::kSummary: return "summary";
    case EventKind::kInterrupt: return "interrupt";
    case EventKind::kPreempt: return "preempt";
  }
  return "?";
}

const char* syscall_name(uint32_t nr) {
  switch (nr) {
#define DITTO_SYSCALL(nr, name, arity, where) \
  case nr: return #name;
#include "kernel/syscall_table.inc"
  }
  return "";
}

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// Printable preview of guest bytes: C escapes, at most `max` bytes shown.
std::string preview(const std::string& s, size_t max = 48) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = s[i];
    if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c >= 0x20 && c < 0x7f) out += char(c);
    else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

template <class T>
bool differ(const char* name, const T& a, const T& b, std::string* what) {
  if (a == b) return false;
  if (what) *what = name;
  return true;
}

}  // namespace

bool same_event(const Event& x, const Event& y, std::string* what) {
  if (differ("kind", x.kind, y.kind, what) || differ("tid", x.tid, y.tid, what) ||
      differ("tick", x.tick, y.tick, what))
    return false;
  switch (x.kind) {
    case EventKind::kSyscall:
      if (differ("syscall number", x.nr, y.nr, what) || differ("rip", x.rip, y.rip, what))
        return false;
      if (differ("argument count", x.nargs, y.nargs, what)) return false;
      for (unsigned i = 0; i < x.nargs; ++i)
        if (differ("argument", x.args[i], y.args[i], what)) return false;
      return !differ("result", x.result, y.result, what) && !differ("data", x.data, y.data, what) &&
             !differ("host input", x.host_input, y.host_input, what);
    case EventKind::kSchedule:
      return !differ("reason", x.data, y.data, what) && !differ("budget", x.budget, y.budget, what);
    case EventKind::kPreempt:
      return !differ("rip", x.rip, y.rip, what) && !differ("point", x.data, y.data, what) &&
             !differ("point index", x.budget, y.budget, what);
    case EventKind::kHostFile:
      return !differ("path", x.path, y.path, what) && !differ("errno", x.err, y.err, what) &&
             !differ("file kind", x.file_kind, y.file_kind, what) &&
             !differ("mode", x.mode, y.mode, what) && !differ("size", x.size, y.size, what) &&
             !differ("blob", x.blob, y.blob, what) &&
             !differ("entries", x.entries, y.entries, what) &&
             !differ("target", x.target, y.target, what) && !differ("contents", x.contents, y.contents, what) &&
             !differ("read errno", x.read_err, y.read_err, what) &&
             !differ("search errno", x.search_err, y.search_err, what) && !differ("uid", x.uid, y.uid, what) &&
             !differ("gid", x.gid, y.gid, what) && !differ("atime", x.atime_ns, y.atime_ns, what) &&
             !differ("mtime", x.mtime_ns, y.mtime_ns, what) && !differ("ctime", x.ctime_ns, y.ctime_ns, what);
    case EventKind::kFault:
      return !differ("signal", x.signal, y.signal, what) &&
             !differ("fault kind", x.fault_kind, y.fault_kind, what) &&
             !differ("address", x.addr, y.addr, what) && !differ("rip", x.rip, y.rip, what);
    case EventKind::kExit:
      return !differ("status", x.status, y.status, what) &&
             !differ("signal", x.signal, y.signal, what);
    case EventKind::kSummary: {
      if (differ("registers digest", x.blob, y.blob, what) ||
          differ("memory digest", x.target, y.target, what) ||
          differ("unsupported syscall count", x.unsupported.size(), y.unsupported.size(), what))
        return false;
      for (size_t i = 0; i < x.unsupported.size(); ++i)
        if (differ("unsupported syscall", x.unsupported[i].nr, y.unsupported[i].nr, what) ||
            differ("unsupported syscall name", x.unsupported[i].name, y.unsupported[i].name, what) ||
            differ("unsupported syscall count", x.unsupported[i].count, y.unsupported[i].count,
                   what))
          return false;
      return true;
    }
    case EventKind::kInterrupt:
      return !differ("signal", x.signal, y.signal, what);
  }
  return true;
}

std::string describe(const Event& e) {
  char head[96];
  std::snprintf(head, sizeof head, "#%" PRIu64 " tid %u tick %" PRIu64 " ", e.seq, e.tid, e.tick);
  std::string s = head;
  switch (e.kind) {
    case EventKind::kSyscall: {
      const char* name = syscall_name(e.nr);
      s += *name ? name : ("syscall_" + std::to_string(e.nr));
      s += "(";
      for (unsigned i = 0; i < e.nargs; ++i) s += (i ? ", " : "") + hex(e.args[i]);
      s += ") = " + std::to_string(e.result);
      s += "  rip " + hex(e.rip);
      if (!e.data.empty()) s += "  data \"" + preview(e.data) + "\"";
      if (e.host_input) s += "  (from the host)";
      break;
    }
    case EventKind::kSchedule:
      s += "schedule (" + e.data + ") budget " + std::to_string(e.budget);
      break;
    case EventKind::kPreempt:
      s += "preempt at " + e.data + " rip " + hex(e.rip) + " (its point #" + std::to_string(e.budget) + ")";
      break;
    case EventKind::kHostFile:
      s += std::string(e.contents ? "hostfile contents " : "hostfile ") + e.path;
      if (e.err) s += " errno " + std::to_string(e.err);
      else if (e.contents) s += " " + std::to_string(e.size) + " bytes sha256 " + e.blob.substr(0, 16);
      else if (e.file_kind == 1) s += " file " + std::to_string(e.size) + " bytes";
      else if (e.file_kind == 2) s += " directory, " + std::to_string(e.entries.size()) + " entries";
      else if (e.file_kind == 3) s += " symlink -> " + e.target;
      if (e.read_err) s += " (unreadable: errno " + std::to_string(e.read_err) + ")";
      if (e.search_err) s += " (unsearchable: errno " + std::to_string(e.search_err) + ")";
      break;
    case EventKind::kFault:
      s += "fault " + e.fault_kind + " signal " + std::to_string(e.signal) + " addr " +
           hex(e.addr) + " rip " + hex(e.rip);
      break;
    case EventKind::kExit:
      if (e.signal) s += "exit killed by signal " + std::to_string(e.signal);
      else s += "exit status " + std::to_string(e.status);
      break;
    case EventKind::kSummary:
      s += "summary regs " + e.blob.substr(0, 16) + " memory " + e.target.substr(0, 16);
      for (const auto& u : e.unsupported)
        s += " unsupported " + u.name + "(" + std::to_string(u.nr) + ")x" + std::to_string(u.count);
      break;
    case EventKind::kInterrupt:
      s += "interrupt: the recorder was stopped by signal " + std::to_string(e.signal);
      break;
  }
  return s;
}

std::string json_quote(const std::string& in) {
  std::string s = "\"";
  for (unsigned char c : in) {
    switch (c) {
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\r': s += "\\r"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          // Bytes outside printable ASCII are escaped one by one so that the
          // result is valid JSON whatever the guest wrote.
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          s += b;
        } else {
          s += char(c);
        }
    }
  }
  return s + "\"";
}

std::string to_json(const Event& e) {
  std::string s = "{\"seq\":" + std::to_string(e.seq) + ",\"tid\":" + std::to_string(e.tid) +
                  ",\"tick\":" + std::to_string(e.tick) + ",\"kind\":\"" + to_string(e.kind) + "\"";
  switch (e.kind) {
    case EventKind::kSyscall:
      s += ",\"nr\":" + std::to_string(e.nr) + ",\"name\":" + json_quote(syscall_name(e.nr)) +
           ",\"args\":[";
      for (unsigned i = 0; i < e.nargs; ++i) s += (i ? "," : "") + std::to_string(e.args[i]);
      s += "],\"result\":" + std::to_string(e.result) + ",\"rip\":" + std::to_string(e.rip);
      if (!e.data.empty()) s += ",\"data\":" + json_quote(e.data);
      if (e.host_input) s += ",\"host_input\":true";
      break;
    case EventKind::kSchedule:
      s += ",\"reason\":" + json_quote(e.data) + ",\"budget\":" + std::to_string(e.budget);
      break;
    case EventKind::kPreempt:
      s += ",\"point\":" + json_quote(e.data) + ",\"rip\":" + std::to_string(e.rip) +
           ",\"index\":" + std::to_string(e.budget);
      break;
    case EventKind::kHostFile:
      s += ",\"path\":" + json_quote(e.path) + ",\"errno\":" + std::to_string(e.err) +
           ",\"file_kind\":" + std::to_string(e.file_kind) + ",\"mode\":" + std::to_string(e.mode) +
           ",\"size\":" + std::to_string(e.size) + ",\"blob\":" + json_quote(e.blob) +
           ",\"target\":" + json_quote(e.target) + ",\"contents\":" + (e.contents ? "true" : "false") +
           ",\"read_errno\":" + std::to_string(e.read_err) + ",\"search_errno\":" + std::to_string(e.search_err) +
           ",\"uid\":" + std::to_string(e.uid) + ",\"gid\":" + std::to_string(e.gid) +
           ",\"mtime_ns\":" + std::to_string(e.mtime_ns) +
           ",\"entries\":[";
      for (size_t i = 0; i < e.entries.size(); ++i) s += (i ? "," : "") + json_quote(e.entries[i]);
      s += "]";
      break;
    case EventKind::kFault:
      s += ",\"signal\":" + std::to_string(e.signal) + ",\"fault\":" + json_quote(e.fault_kind) +
           ",\"addr\":" + std::to_string(e.addr) + ",\"rip\":" + std::to_string(e.rip);
      break;
    case EventKind::kExit:
      s += ",\"status\":" + std::to_string(e.status) + ",\"signal\":" + std::to_string(e.signal);
      break;
    case EventKind::kSummary:
      s += ",\"regs_digest\":" + json_quote(e.blob) + ",\"mem_digest\":" + json_quote(e.target) +
           ",\"unsupported\":[";
      for (size_t i = 0; i < e.unsupported.size(); ++i)
        s += std::string(i ? "," : "") + "{\"nr\":" + std::to_string(e.unsupported[i].nr) +
             ",\"name\":" + json_quote(e.unsupported[i].name) +
             ",\"count\":" + std::to_string(e.unsupported[i].count) + "}";
      s += "]";
      break;
    case EventKind::kInterrupt:
      s += ",\"signal\":" + std::to_string(e.signal);
      break;
  }
  return s + "}";
}

}  // namespace trace
