// `ditto replay`, `ditto dump` and `ditto info`: reading traces.
#include <iostream>

#include "sim/cli.h"
#include "trace/store.h"

namespace cli {

int cmd_replay(const std::string& file, const replay::Options& opts) {
  replay::Report rep = replay::replay_trace(file, opts);
  switch (rep.verdict) {
    case replay::Verdict::kIdentical:
      std::cout << "ditto: replay identical: " << rep.events << " events checked"
                << (rep.level == "io" ? " (recording level io: host files, stdin, scheduling decisions and the "
                                        "outcome; other syscalls were not recorded)"
                                      : "")
                << "\n";
      break;
    case replay::Verdict::kDiverged:
      std::cout << "ditto: replay diverged after " << rep.events << " identical events\n"
                << rep.message << "\n";
      break;
    case replay::Verdict::kInvalid:
      std::cerr << "ditto: " << (rep.unreadable ? "" : "invalid trace: ") << rep.message << "\n";
      break;
    case replay::Verdict::kIncomplete:
      std::cout << "ditto: replay incomplete: " << rep.message << "\n";
      break;
    case replay::Verdict::kInterrupted:
      std::cout << "ditto: replay of an interrupted recording: " << rep.message << "\n";
      break;
    case replay::Verdict::kCancelled:
      std::cerr << "ditto: replay " << rep.message << "\n";
      break;
  }
  return rep.exit_status();
}

std::string header_json(const trace::Header& h, int64_t run, const trace::RunInfo& info) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + trace::json_quote(v[i]);
    return s + "]";
  };
  auto pairs = [](const std::vector<std::pair<std::string, std::string>>& v, const char* a, const char* b) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
      s += std::string(i ? "," : "") + "{\"" + a + "\":" + trace::json_quote(v[i].first) + ",\"" + b +
           "\":" + trace::json_quote(v[i].second) + "}";
    return s + "]";
  };
  return "{\"kind\":\"header\",\"run\":" + std::to_string(run) +
         ",\"format_version\":" + std::to_string(h.format_version) +
         ",\"ditto_version\":" + trace::json_quote(h.ditto_version) +
         ",\"program\":" + trace::json_quote(h.program_path) + ",\"argv\":" + list(h.argv) +
         ",\"env\":" + list(h.env) + ",\"seed\":" + std::to_string(h.seed) +
         ",\"policy\":" + trace::json_quote(h.policy) + ",\"cpu\":" + trace::json_quote(h.cpu_model) +
         ",\"cwd\":" + trace::json_quote(h.cwd) + ",\"root\":" + trace::json_quote(h.root_dir) + ",\"mounts\":" + pairs(h.mounts, "host", "guest") + ",\"file_mounts\":" + pairs(h.file_mounts, "host", "guest") +
         ",\"program_links\":" + pairs(h.program_links, "path", "target") +
         ",\"ns_per_tick\":" + std::to_string(h.ns_per_tick) + ",\"max_ticks\":" + std::to_string(h.max_ticks) +
         ",\"cpus\":" + std::to_string(h.cpus) +
         ",\"sites\":" + [&] {
           std::string s = "[";
           for (size_t i = 0; i < h.sites.size(); ++i) s += (i ? "," : "") + std::to_string(h.sites[i]);
           return s + "]";
         }() +
         ",\"complete\":" + (info.complete ? "true" : "false") +
         ",\"events\":" + std::to_string(info.stored_events) + "}";
}

int cmd_dump(const std::string& file, bool json, int64_t run_opt) {
  try {
    auto store = trace::Store::open(file);
    auto runs = store->runs();
    if (runs.empty()) throw trace::TraceError(file + " holds no run");
    for (int64_t run : runs) {
      if (run_opt && run != run_opt) continue;
      trace::Header h = store->header(run);
      trace::RunInfo info = store->checked_run_info(run);
      if (json) {
        std::cout << header_json(h, run, info) << "\n";
      } else {
        std::cout << "run " << run << ": " << h.program_path << " argv [";
        for (size_t i = 0; i < h.argv.size(); ++i) std::cout << (i ? " " : "") << h.argv[i];
        std::cout << "] seed " << h.seed << ", " << info.stored_events << " events"
                  << (info.complete ? "" : " (incomplete)") << "\n";
      }
      auto reader = store->reader(run);
      trace::Event e;
      while (reader.next(e)) std::cout << (json ? trace::to_json(e) : trace::describe(e)) << "\n";
    }
    return 0;
  } catch (const trace::TraceFileError& ex) {
    std::cerr << "ditto: " << ex.what() << "\n";
    return 4;
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto: invalid trace: " << ex.what() << "\n";
    return 4;
  }
}

int cmd_info(const std::string& file) {
  try {
    auto store = trace::Store::open(file);
    auto runs = store->runs();
    std::cout << "trace " << file << ": " << runs.size() << " run(s), format version "
              << trace::kFormatVersion << ", schema version " << store->schema_version()
              << (store->compressed() ? " (zstd)" : " (uncompressed)") << "\n";
    trace::BlobTotals blobs = store->blob_totals();
    std::cout << "blobs: " << blobs.count << " (" << blobs.raw_bytes << " bytes, " << blobs.stored_bytes
              << " stored)\n";
    for (int64_t run : runs) {
      trace::Header h = store->header(run);
      trace::RunInfo info = store->checked_run_info(run);
      std::cout << "run " << run << ":\n  program  " << h.program_path << "\n  argv    ";
      for (const auto& a : h.argv) std::cout << " " << a;
      std::cout << "\n  env     ";
      for (const auto& a : h.env) std::cout << " " << a;
      std::cout << "\n  cwd      " << h.cwd << "\n  seed     " << h.seed << "\n  policy   " << h.policy
                << (h.sites.empty() ? "" : ", " + std::to_string(h.sites.size()) + " scheduling sites")
                << (h.max_ticks ? ", at most " + std::to_string(h.max_ticks) + " ticks" : "")
                << "\n  cpu      " << h.cpu_model << "\n  machine  " << h.cpus << " CPUs, "
                << (h.memory_bytes ? h.memory_bytes : kernel::Config::kDefaultMemory) / (1 << 20) << " MiB memory"
                << "\n  ditto    " << h.ditto_version << "\n";
      std::cout << "  root     " << (h.root_dir.empty() ? "hermetic (Ditto's own world)" : h.root_dir + " (copy-on-write)")
                << "\n";
      for (const auto& [host, guest] : h.mounts) std::cout << "  mount    " << host << " -> " << guest << "\n";
      for (const auto& [host, guest] : h.file_mounts) std::cout << "  mount    " << host << " -> " << guest << " (file)\n";
      std::cout << "  events   " << info.stored_events << " in " << info.batches << " batches, "
                << info.raw_bytes << " bytes (" << info.stored_bytes << " stored)"
                << (info.complete ? "" : " (INCOMPLETE: the recorder did not finish)")
                << (h.events == "io" ? "; level io (only host files, stdin, decisions, outcome)" : "") << "\n";
      if (!h.input.empty())
        std::cout << "  input    " << (h.input == "-" ? "stdin" : h.input) << " (a corpus run: the snapshot point)\n";
      auto reader = store->reader(run);
      trace::Event e;
      uint32_t first_task = 0;  // the program's own process (the first one scheduled)
      while (reader.next(e)) {
        if (e.kind == trace::EventKind::kSchedule && !first_task) first_task = e.tid;
        if (e.kind == trace::EventKind::kExit) {
          std::string how = e.signal ? "killed by " + signal_name(e.signal) : "exit status " + std::to_string(e.status);
          if (e.tid == first_task) std::cout << "  ended    " << how << "\n";
          else std::cout << "  exited   process " << e.tid << ": " << how << "\n";
        } else if (e.kind == trace::EventKind::kSummary) {
          std::cout << "  ticks    " << e.tick << "\n";
          for (const auto& u : e.unsupported)
            std::cout << "  unsupported " << u.name << " (" << u.nr << ") x" << u.count << "\n";
        }
      }
    }
    return 0;
  } catch (const trace::TraceFileError& ex) {
    std::cerr << "ditto: " << ex.what() << "\n";
    return 4;
  } catch (const trace::TraceError& ex) {
    std::cerr << "ditto: invalid trace: " << ex.what() << "\n";
    return 4;
  }
}

}  // namespace cli
