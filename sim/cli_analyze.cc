// `ditto analyze`: a failing run minimised and explained (sim/analyze.h),
// for a person or as JSON.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "sim/analyze.h"
#include "sim/cli.h"
#include "sim/symbols.h"
#include "trace/event.h"

namespace cli {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}

std::string place(const sim::Symbols& syms, uint64_t rip) { return syms.describe(rip); }

std::string what(const sim::Symbols& syms, const sim::Access& a) {
  std::string data = syms.data(a.addr);
  return std::string(a.write ? "writes " : "reads ") + (data.empty() ? "" : data + " ") + "(" + hex(a.addr) +
         ", " + std::to_string(a.size) + " bytes)";
}

std::string stack_lines(const sim::Symbols& syms, const sim::Access& a, const char* indent) {
  std::string s;
  for (size_t i = 0; i < a.stack.size() && i < 6; ++i)
    s += std::string(indent) + "called from " + place(syms, a.stack[i]) + "\n";
  return s;
}

std::string access_json(const sim::Symbols& syms, const sim::Access& a) {
  std::string s =
      "{\"task\":" + std::to_string(a.tid) + ",\"tick\":" + std::to_string(a.tick) +
      ",\"rip\":" + std::to_string(a.rip) + ",\"where\":" + trace::json_quote(place(syms, a.rip)) +
      ",\"address\":" + std::to_string(a.addr) + ",\"data\":" + trace::json_quote(syms.data(a.addr)) +
      ",\"size\":" + std::to_string(a.size) + ",\"access\":\"" + (a.write ? "write" : "read") +
      "\",\"stack\":[";
  for (size_t i = 0; i < a.stack.size(); ++i)
    s += (i ? "," : "") + trace::json_quote(place(syms, a.stack[i]));
  return s + "]}";
}

}  // namespace

int cmd_analyze(const sim::AnalyzeOptions& o, bool json) {
  sim::AnalyzeReport r = sim::analyze(o);
  if (!r.error.empty()) {
    std::cerr << "ditto: analyze: " << r.error << "\n";
    return kExitDittoError;
  }
  sim::Symbols syms(r.program_elf, r.load_bias);
  if (json) {
    std::string s = "{\"program\":" + trace::json_quote(r.program) +
                    ",\"failure\":" + trace::json_quote(r.failure) +
                    ",\"original_preemptions\":" + std::to_string(r.original_preemptions) +
                    ",\"reduced\":" + (r.reduced ? "true" : "false") +
                    ",\"fails_without_preemption\":" + (r.fails_without_preemption ? "true" : "false") +
                    ",\"schedules_tried\":" + std::to_string(r.schedules_tried) +
                    ",\"seconds\":" + std::to_string(r.seconds) +
                    ",\"saved_run\":" + std::to_string(r.saved_run) + ",\"minimal\":[";
    for (size_t i = 0; i < r.minimal.size(); ++i)
      s += std::string(i ? "," : "") + "{\"task\":" + std::to_string(r.minimal[i].tid) +
           ",\"point\":" + std::to_string(r.minimal[i].index) +
           ",\"next\":" + std::to_string(r.minimal[i].next) + "}";
    s += "],\"races\":[";
    for (size_t i = 0; i < r.races.size(); ++i) {
      const sim::RacingPair& p = r.races[i];
      s += std::string(i ? "," : "") + "{\"stopped_task\":" + std::to_string(p.at.tid) +
           ",\"stopped_at\":" + trace::json_quote(place(syms, p.stop_rip)) +
           ",\"point\":" + trace::json_quote(p.stop_point) + ",\"found\":" + (p.found ? "true" : "false");
      if (p.found)
        s += ",\"first\":" + access_json(syms, p.first) + ",\"second\":" + access_json(syms, p.second);
      else
        s += ",\"between\":" + trace::json_quote(p.between);
      s += "}";
    }
    std::cout << s << "]}\n";
    return r.reduced ? 0 : 1;
  }
  std::cout << "ditto analyze: " << r.program << " fails (" << r.failure << ") in run " << o.run << " of "
            << o.file << "\n";
  if (r.fails_without_preemption) {
    std::cout << "  it fails without any preemption: the order in which tasks run when one blocks or ends is "
                 "enough\n";
  } else if (!r.reduced) {
    std::cout << "  no schedule with the recording's preemptions alone fails the same way ("
              << r.schedules_tried << " tried): the failure needs other choices of its policy too\n";
    return 1;
  }
  std::cout << "  minimal schedule: " << r.minimal.size() << " preemption"
            << (r.minimal.size() == 1 ? "" : "s") << " (the recording had " << r.original_preemptions << "; "
            << r.schedules_tried << " schedules tried in " << int(r.seconds * 1000) << " ms)";
  if (r.saved_run)
    std::cout << ", saved as run " << r.saved_run << ":  ditto replay " << o.file << " --run " << r.saved_run;
  std::cout << "\n";
  for (size_t i = 0; i < r.races.size(); ++i) {
    const sim::RacingPair& p = r.races[i];
    std::cout << "  preemption " << i + 1 << ": task " << p.at.tid << " is stopped "
              << (p.stop_point == "site" ? "before " : "after the syscall at ") << place(syms, p.stop_rip)
              << ", task " << p.at.next << " runs\n";
    if (!p.found) {
      std::cout << "    no access of another task conflicts with its next one"
                << (p.between.empty() ? "" : "; meanwhile: " + p.between) << "\n";
      continue;
    }
    std::cout << "    the race: task " << p.first.tid << " " << what(syms, p.first) << " at "
              << place(syms, p.first.rip) << "\n"
              << stack_lines(syms, p.first, "        ") << "    before task " << p.second.tid << " "
              << what(syms, p.second) << " at " << place(syms, p.second.rip) << "\n"
              << stack_lines(syms, p.second, "        ") << "    (without the preemption task "
              << p.second.tid << "'s access would come first)\n";
  }
  std::cout << "  timeline of the minimal schedule (tick, task):\n";
  for (const sim::TimelineEntry& t : r.timeline) {
    char head[48];
    std::snprintf(head, sizeof head, "    %9llu  %u ", static_cast<unsigned long long>(t.tick), t.tid);
    std::cout << head << t.what << (t.rip ? " " + place(syms, t.rip) : "") << "\n";
  }
  return 0;
}

}  // namespace cli
