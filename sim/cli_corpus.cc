// `ditto corpus`: one recorded run per input of a fuzz corpus
// (sim/corpus.h), and the crashes grouped, for a person or as JSON.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "sim/cli.h"
#include "sim/corpus.h"
#include "sim/shard.h"
#include "trace/event.h"

namespace cli {

void add_corpus_options(CLI::App* cmd, CorpusCliOptions& o) {
  add_guest_options(cmd, o.guest);
  cmd->add_option("-o,--output", o.guest.output, "Results database: every run, its input and its verdict (required)");
  cmd->add_option("-j,--jobs", o.jobs, "Inputs at a time, each in a process of its own (default: the host's cores)");
  cmd->add_flag("--stdin", o.stdin_input,
                "Feed each input on stdin (the default when no argument holds @@)");
  cmd->add_option("--timeout-ticks", o.timeout_ticks,
                  "A run still going after N ticks is a hang (default 100000000, about 10^9 instructions)");
  cmd->add_option("--shard", o.shard,
                  "Run only shard K of N (0 <= K < N): a partition of the inputs by content, for job arrays");
  cmd->add_flag("--json", o.json, "JSON lines instead of the report: one per crash group, then a summary");
}

namespace {

std::string json_str(const std::string& s) { return trace::json_quote(s); }

}  // namespace

int cmd_corpus(CorpusCliOptions& o, const std::vector<std::string>& words) {
  // INPUT_DIR... PROG [ARGS...]: the leading folders are the inputs.
  std::vector<std::string> dirs, guest;
  size_t i = 0;
  for (std::error_code ec; i < words.size() && std::filesystem::is_directory(words[i], ec); ++i)
    dirs.push_back(words[i]);
  guest.assign(words.begin() + long(i), words.end());
  if (dirs.empty() || guest.empty()) {
    std::cerr << "ditto corpus: usage: ditto corpus [OPTIONS] -o RESULTS.db INPUT_DIR... PROG [ARGS...]\n"
                 "  (the leading folders hold the inputs; @@ in ARGS names each input's file, else it is stdin)\n";
    return kExitDittoError;
  }
  if (o.guest.output.empty()) {
    std::cerr << "ditto corpus: -o RESULTS.db is required (every run is saved there)\n";
    return kExitDittoError;
  }
  uint32_t shard = 0, shards = 1;
  if (!o.shard.empty() && !sim::parse_shard(o.shard, shard, shards)) {
    std::cerr << "ditto corpus: --shard " << o.shard << ": expected K/N with 0 <= K < N, e.g. 0/4\n";
    return kExitDittoError;
  }
  sim::CorpusOptions co;
  bool file_input = false;
  for (size_t a = 1; a < guest.size(); ++a)
    for (size_t at; (at = guest[a].find("@@")) != std::string::npos; file_input = true)
      guest[a].replace(at, 2, sim::kGuestInputPath);
  if (file_input && o.stdin_input) {
    std::cerr << "ditto corpus: --stdin and @@ in the arguments exclude each other\n";
    return kExitDittoError;
  }
  kernel::Config cfg;
  if (int s = make_config(o.guest, guest, cfg)) return s;
  if (file_input) cfg.file_mounts.emplace_back(sim::kInputPlaceholder, sim::kGuestInputPath);
  cfg.input = file_input ? sim::kInputPlaceholder : "-";
  co.policy = o.guest.policy;
  co.policy.seed = o.guest.seed;
  try {
    sim::make_policy(co.policy);
  } catch (const std::invalid_argument& ex) {
    std::cerr << "ditto: --sched: " << ex.what() << "\n";
    return kExitDittoError;
  }
  co.timeout_ticks = o.timeout_ticks ? o.timeout_ticks : o.guest.max_ticks ? o.guest.max_ticks : 100000000;
  co.jobs = o.jobs > 0 ? o.jobs : int(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  co.output = o.guest.output;
  if (shards > 1) co.shard = std::to_string(shard) + "/" + std::to_string(shards);
  co.progress = !o.guest.quiet && !o.json && ::isatty(2);

  sim::CorpusScan scan = sim::scan_corpus(dirs);
  if (!scan.error.empty()) {
    std::cerr << "ditto corpus: " << scan.error << "\n";
    return kExitDittoError;
  }
  std::vector<sim::CorpusInput> inputs;
  for (sim::CorpusInput& in : scan.inputs)
    if (sim::in_shard(in.hash, shard, shards)) inputs.push_back(std::move(in));
  sim::CorpusReport r = sim::run_corpus(cfg, co, inputs);
  if (!r.error.empty()) {
    std::cerr << "ditto corpus: " << r.error << "\n";
    return kExitDittoError;
  }
  uint64_t unique = 0;
  for (const sim::CrashGroup& g : r.groups) unique += g.kind == "signal";
  double per_input_ms = r.inputs ? 1000.0 * (r.seconds - r.startup_seconds) * co.jobs / double(r.inputs) : 0;
  double rate = r.seconds > r.startup_seconds ? double(r.inputs) / (r.seconds - r.startup_seconds) : 0;
  if (o.json) {
    for (const sim::CrashGroup& g : r.groups)
      std::cout << "{\"type\":\"group\",\"kind\":" << json_str(g.kind) << ",\"signature\":" << json_str(g.signature)
                << ",\"summary\":" << json_str(g.summary) << ",\"where\":" << json_str(g.where)
                << ",\"signal\":" << g.signal << ",\"count\":" << g.count
                << ",\"smallest_input\":" << json_str(g.smallest) << ",\"smallest_size\":" << g.smallest_size
                << ",\"run\":" << g.smallest_run << "}\n";
    std::cout << "{\"type\":\"summary\",\"program\":" << json_str(cfg.program_path) << ",\"inputs\":" << r.inputs
              << ",\"files\":" << scan.files << ",\"duplicates\":" << scan.duplicates
              << ",\"shard\":" << json_str(std::to_string(shard) + "/" + std::to_string(shards))
              << ",\"clean\":" << r.clean << ",\"nonzero_exits\":" << r.exits << ",\"crashes\":" << r.crashes
              << ",\"unique_crashes\":" << unique << ",\"hangs\":" << r.hangs
              << ",\"ditto_failures\":" << r.ditto_failures << ",\"snapshot\":" << (r.snapshot ? "true" : "false")
              << ",\"seconds\":" << r.seconds << ",\"startup_seconds\":" << r.startup_seconds
              << ",\"inputs_per_second\":" << rate << ",\"ms_per_input\":" << per_input_ms
              << ",\"jobs\":" << co.jobs << ",\"results\":" << json_str(r.output) << "}\n";
  } else {
    std::printf("ditto corpus: %llu inputs (%llu files, %llu duplicates) of %s, %.2f s\n",
                static_cast<unsigned long long>(r.inputs), static_cast<unsigned long long>(scan.files),
                static_cast<unsigned long long>(scan.duplicates), guest[0].c_str(), r.seconds);
    if (shards > 1) std::printf("  shard %u of %u (0-based)\n", shard, shards);
    std::printf("  start-up once: %.1f ms (%llu ticks)%s\n", 1000 * r.startup_seconds,
                static_cast<unsigned long long>(r.startup_ticks),
                r.snapshot ? ", then each input from a snapshot taken as the program first touched its input"
                           : "; the program never touched its input: one run stands for every input");
    std::printf("  %.0f inputs/s with %d jobs, %.3f ms per input per job, %.0f ticks per input\n", rate, co.jobs,
                per_input_ms, r.inputs ? double(r.run_ticks) / double(r.inputs) : 0.0);
    std::printf("\n  %-16s %8s\n", "outcome", "inputs");
    std::printf("  %-16s %8llu\n", "clean exit", static_cast<unsigned long long>(r.clean));
    std::printf("  %-16s %8llu\n", "non-zero exit", static_cast<unsigned long long>(r.exits));
    std::printf("  %-16s %8llu  (%llu unique)\n", "crash", static_cast<unsigned long long>(r.crashes),
                static_cast<unsigned long long>(unique));
    std::printf("  %-16s %8llu\n", "hang", static_cast<unsigned long long>(r.hangs));
    if (r.ditto_failures) std::printf("  %-16s %8llu\n", "Ditto failed", static_cast<unsigned long long>(r.ditto_failures));
    if (!r.groups.empty()) std::printf("\n");
    for (size_t g = 0; g < r.groups.size(); ++g) {
      const sim::CrashGroup& c = r.groups[g];
      std::printf("  #%zu %s: %llu input%s\n", g + 1, c.signature.c_str(), static_cast<unsigned long long>(c.count),
                  c.count > 1 ? "s" : "");
      std::printf("     %s%s%s\n", c.summary.c_str(), c.where.empty() ? "" : " in ", c.where.c_str());
      std::printf("     smallest: %s (%llu bytes), run %lld\n", c.smallest.c_str(),
                  static_cast<unsigned long long>(c.smallest_size), static_cast<long long>(c.smallest_run));
    }
    if (!r.groups.empty())
      std::printf("\n  replay one:  ditto replay %s --run %lld\n  its events:  ditto dump %s --run %lld\n",
                  r.output.c_str(), static_cast<long long>(r.groups.front().smallest_run), r.output.c_str(),
                  static_cast<long long>(r.groups.front().smallest_run));
  }
  if (!r.unsupported.empty() && !o.guest.quiet) {
    std::cerr << "ditto: unsupported syscalls (returned ENOSYS; ioctl requests ENOTTY):";
    for (const std::string& u : r.unsupported) std::cerr << " " << u;
    std::cerr << "\n";
  }
  return r.crashes || r.hangs || r.ditto_failures ? 1 : 0;
}

}  // namespace cli
