#include "sim/diff.h"

#include <algorithm>
#include <map>

namespace sim {

namespace {

// `e` as DiffOptions says to compare it.
trace::Event comparable(const trace::Event& e, const std::string& root, const DiffOptions& o) {
  trace::Event c = e;
  if (c.kind != trace::EventKind::kHostFile) return c;
  if (o.portable && !root.empty() && root != "/" && c.path.compare(0, root.size(), root) == 0)
    c.path = c.path.size() == root.size() ? "/" : c.path.substr(root.size());
  if (!o.host_times) {
    c.uid = c.gid = 0;
    c.atime_ns = c.mtime_ns = c.ctime_ns = 0;
  }
  return c;
}

// What an event is, whenever and wherever it happened: the multiset key
// for the rest of two runs.
std::string identity(trace::Event e) {
  e.seq = 0, e.tick = 0, e.rip = 0, e.budget = 0;
  return trace::describe(e);
}

std::string name_of(const trace::Event& e) {
  if (e.kind == trace::EventKind::kSyscall) {
    const char* n = trace::syscall_name(e.nr);
    return *n ? n : "syscall " + std::to_string(e.nr);
  }
  return trace::to_string(e.kind);
}

std::string ending(const std::vector<trace::Event>& ev) {
  for (auto it = ev.rbegin(); it != ev.rend(); ++it) {
    if (it->kind == trace::EventKind::kExit)
      return it->signal ? "killed by signal " + std::to_string(it->signal) : "exit status " + std::to_string(it->status);
    if (it->kind == trace::EventKind::kInterrupt) return "interrupted by signal " + std::to_string(it->signal);
  }
  return "no end (incomplete, or stopped by a limit)";
}

template <class T>
std::string show(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(v);
  } else {
    std::string s;
    for (const auto& x : v) {
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) s += (s.empty() ? "" : " ") + x;
      else if constexpr (std::is_arithmetic_v<std::decay_t<decltype(x)>>) s += (s.empty() ? "" : " ") + std::to_string(x);
      else s += (s.empty() ? "" : " ") + x.first + ":" + x.second;
    }
    return "[" + s + "]";
  }
}

std::vector<std::string> header_differences(const trace::Header& a, const trace::Header& b, bool portable) {
  std::vector<std::string> out;
  auto field = [&](const char* name, const auto& x, const auto& y) {
    if (x != y) out.push_back(std::string(name) + ": " + show(x) + " | " + show(y));
  };
  field("format version", a.format_version, b.format_version);
  if (!portable) field("ditto version", a.ditto_version, b.ditto_version);
  field("argv", a.argv, b.argv);
  field("env", a.env, b.env);
  field("seed", a.seed, b.seed);
  field("policy", a.policy, b.policy);
  field("program", a.program_path, b.program_path);
  field("cwd", a.cwd, b.cwd);
  if (!portable) {
    field("root", a.root_dir, b.root_dir);
    field("mounts", a.mounts, b.mounts);
    field("file mounts", a.file_mounts, b.file_mounts);
  }
  field("input", a.input, b.input);
  field("recording level", a.events, b.events);
  field("cpu", a.cpu_model, b.cpu_model);
  field("cpus", a.cpus, b.cpus);
  field("memory", a.memory_bytes, b.memory_bytes);
  field("max ticks", a.max_ticks, b.max_ticks);
  field("ns per tick", a.ns_per_tick, b.ns_per_tick);
  field("sites", a.sites.size(), b.sites.size());
  return out;
}

std::vector<std::pair<std::string, uint64_t>> by_count(const std::map<std::string, uint64_t>& m) {
  std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  return v;
}

}  // namespace

std::vector<trace::Event> read_events(trace::Store& store, int64_t run) {
  std::vector<trace::Event> out;
  trace::Store::Reader r = store.reader(run);
  trace::Event e;
  while (r.next(e)) out.push_back(e);
  return out;
}

RunDiff diff_runs(const trace::Header& ha, const std::vector<trace::Event>& a, const trace::Header& hb,
                  const std::vector<trace::Event>& b, const DiffOptions& o) {
  RunDiff d;
  d.header = header_differences(ha, hb, o.portable);
  d.events_a = a.size(), d.events_b = b.size();
  d.end_a = ending(a), d.end_b = ending(b);
  auto norm = [&](const trace::Event& e, const trace::Header& h) { return comparable(e, h.root_dir, o); };
  size_t i = 0;
  for (; i < a.size() && i < b.size(); ++i) {
    std::string what;
    if (!trace::same_event(norm(a[i], ha), norm(b[i], hb), &what)) {
      d.what = what;
      break;
    }
  }
  d.common = i;
  if (i == a.size() && i == b.size()) {
    d.identical = true;
    return d;
  }
  for (size_t k = i > o.context ? i - o.context : 0; k < i; ++k) d.before.push_back(a[k]);
  for (size_t k = i; k < a.size() && k < i + o.context; ++k) d.from_a.push_back(a[k]);
  for (size_t k = i; k < b.size() && k < i + o.context; ++k) d.from_b.push_back(b[k]);
  // The rest, as multisets.
  std::map<std::string, std::vector<const trace::Event*>> rest_a;
  for (size_t k = i; k < a.size(); ++k) rest_a[identity(norm(a[k], ha))].push_back(&a[k]);
  std::map<std::string, uint64_t> only_b_names;
  for (size_t k = i; k < b.size(); ++k) {
    auto it = rest_a.find(identity(norm(b[k], hb)));
    if (it != rest_a.end() && !it->second.empty()) {
      it->second.pop_back();
      ++d.matched;
    } else {
      ++d.only_b;
      ++only_b_names[name_of(b[k])];
    }
  }
  std::map<std::string, uint64_t> only_a_names;
  for (const auto& [key, left] : rest_a)
    for (const trace::Event* e : left) {
      ++d.only_a;
      ++only_a_names[name_of(*e)];
    }
  d.only_a_by_name = by_count(only_a_names);
  d.only_b_by_name = by_count(only_b_names);
  return d;
}

namespace {

std::string tally(const std::vector<std::pair<std::string, uint64_t>>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 6; ++i)
    s += (i ? ", " : "") + v[i].first + (v[i].second > 1 ? " x" + std::to_string(v[i].second) : "");
  if (v.size() > 6) s += ", ...";
  return s;
}

}  // namespace

std::string format_diff(const RunDiff& d, const std::string& label_a, const std::string& label_b) {
  std::string s;
  for (const std::string& h : d.header) s += "  header " + h + "\n";
  if (d.identical) {
    s += "  the " + std::to_string(d.events_a) + " events are identical; both: " + d.end_a + "\n";
    return s;
  }
  s += "  the first " + std::to_string(d.common) + " events are identical; then";
  if (!d.what.empty()) s += " the " + d.what + " differs:\n";
  else s += " " + (d.from_a.empty() ? label_a : label_b) + " has no more events:\n";
  for (const trace::Event& e : d.before) s += "    " + trace::describe(e) + "\n";
  for (const trace::Event& e : d.from_a) s += "  - " + trace::describe(e) + "\n";
  for (const trace::Event& e : d.from_b) s += "  + " + trace::describe(e) + "\n";
  s += "  (- " + label_a + ", + " + label_b + ")\n";
  s += "  after that: " + std::to_string(d.matched) + " events in both (at other ticks or places), " +
       std::to_string(d.only_a) + " only in " + label_a + (d.only_a ? " (" + tally(d.only_a_by_name) + ")" : "") +
       ", " + std::to_string(d.only_b) + " only in " + label_b +
       (d.only_b ? " (" + tally(d.only_b_by_name) + ")" : "") + "\n";
  s += "  " + label_a + ": " + std::to_string(d.events_a) + " events, " + d.end_a + "; " + label_b + ": " +
       std::to_string(d.events_b) + " events, " + d.end_b + "\n";
  return s;
}

std::string diff_json(const RunDiff& d, const std::string& label_a, const std::string& label_b) {
  auto q = trace::json_quote;
  auto events = [](const std::vector<trace::Event>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + trace::to_json(v[i]);
    return s + "]";
  };
  auto names = [&](const std::vector<std::pair<std::string, uint64_t>>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + q(v[i].first) + ":" + std::to_string(v[i].second);
    return s + "}";
  };
  std::string s = "{\"a\":" + q(label_a) + ",\"b\":" + q(label_b) + ",\"identical\":" +
                  (d.identical ? "true" : "false") + ",\"header\":[";
  for (size_t i = 0; i < d.header.size(); ++i) s += (i ? "," : "") + q(d.header[i]);
  s += "],\"events_a\":" + std::to_string(d.events_a) + ",\"events_b\":" + std::to_string(d.events_b) +
       ",\"common\":" + std::to_string(d.common) + ",\"first_difference\":" + q(d.what) +
       ",\"before\":" + events(d.before) + ",\"from_a\":" + events(d.from_a) + ",\"from_b\":" + events(d.from_b) +
       ",\"matched_after\":" + std::to_string(d.matched) + ",\"only_a\":" + std::to_string(d.only_a) +
       ",\"only_b\":" + std::to_string(d.only_b) + ",\"only_a_by_name\":" + names(d.only_a_by_name) +
       ",\"only_b_by_name\":" + names(d.only_b_by_name) + ",\"end_a\":" + q(d.end_a) + ",\"end_b\":" + q(d.end_b) +
       "}";
  return s;
}

}  // namespace sim
