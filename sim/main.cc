// The `ditto` command line: the parser and the dispatch to the subcommands
// (sim/cli_*.cc).
#include <signal.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/save.h"
#include "sim/host_signals.h"

using namespace cli;

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed host stdout must not kill the recorder
  ::signal(SIGXFSZ, SIG_IGN);  // nor a file-size limit: the write fails (EFBIG) and says so
  sim::install_crash_handlers();
  std::vector<std::string> args(argv + 1, argv + argc);

  CLI::App app{
      "Ditto: a deterministic record/replay simulator for static x86-64 Linux programs.\n"
      "The guest runs on an emulated CPU (Unicorn) under a model of the Linux kernel; time,\n"
      "randomness and scheduling are virtual, so the same inputs and seed give the same run,\n"
      "bit for bit. `record` stores every event in a SQLite trace that `replay` re-executes\n"
      "and checks, on any machine, without the original files.",
      "ditto"};
  app.footer(std::string("Examples:\n  ditto run ./prog arg1\n  ditto record -o t.db --seed 7 ./prog\n"
                         "  ditto replay t.db\n  ditto dump t.db --json | jq .kind\n") +
             kExitCodesHelp);
  app.require_subcommand(1);
  GuestOptions run_opts, rec_opts;
  auto* run = app.add_subcommand("run", "Run PROG [ARGS...] under Ditto without recording");
  add_guest_options(run, run_opts);
  add_save_option(run, run_opts.saves);
  run->add_option("program", "PROG [ARGS...]: an x86-64 ELF program (static or dynamic) or a #! script, and its arguments");
  auto* rec = app.add_subcommand("record", "Run PROG [ARGS...] and record the run into a trace");
  add_guest_options(rec, rec_opts);
  add_save_option(rec, rec_opts.saves);
  rec->add_option("-o,--output", rec_opts.output,
                  "Trace file to write (replaced if it exists); default: a new PROG-N.db in the current directory");
  rec->add_option("program", "PROG [ARGS...]: an x86-64 ELF program (static or dynamic) or a #! script, and its arguments");
  ExploreCliOptions exp_opts;
  exp_opts.guest.policy.name = "surw";
  auto* exp = app.add_subcommand("explore", "Run PROG [ARGS...] under many schedules and report the distinct failures");
  add_explore_options(exp, exp_opts);
  exp->add_option("program", "PROG [ARGS...]: an x86-64 ELF program (static or dynamic) or a #! script, and its arguments");
  CorpusCliOptions cor_opts;
  auto* cor = app.add_subcommand("corpus", "Run PROG once per input file of fuzz corpora; group the crashes");
  add_corpus_options(cor, cor_opts);
  cor->add_option("inputs", "INPUT_DIR... PROG [ARGS...]: folders of inputs (AFL++ output, libFuzzer corpora), "
                            "then the program; @@ in ARGS becomes each input's path, else the input is stdin");
  cor->footer("Example:\n  ditto corpus -o results.db out/default ./parser @@\n"
              "  ditto replay results.db --run 3\n"
              "Exit status: 0 no crash or hang; 1 some input crashed or hung; 125 Ditto failed.");
  std::string file;
  sim::AnalyzeOptions ana_opts;
  bool ana_json = false;
  auto* ana = app.add_subcommand("analyze", "Minimise a failing run's schedule and name the racing accesses");
  ana->add_option("trace", ana_opts.file, "Trace file (from explore or record)")->required();
  ana->add_option("--run", ana_opts.run, "Run number in the trace (default: the last)");
  ana->add_option("-j,--jobs", ana_opts.jobs, "Schedules at a time while minimising (default: the host's cores)");
  ana->add_flag("--json", ana_json, "One JSON object instead of the report");
  replay::Options rep_opts;
  auto* rep = app.add_subcommand("replay", "Re-execute a recorded run and check every event");
  rep->add_option("trace", file, "Trace file")->required();
  rep->add_option("--run", rep_opts.run, "Run number in the trace (default: the last)");
  rep->add_flag("--echo", rep_opts.echo_output, "Write the guest's output again while replaying");
  std::vector<std::string> rep_saves;
  add_save_option(rep, rep_saves);
  rep->add_option("--slice-ticks", rep_opts.slice_ticks, "Self-check: stop and resume every N ticks");
  rep->add_flag("--fresh-engines", rep_opts.fresh_engines, "Self-check: a new CPU engine for every fork and exec");
  bool json = false;
  int64_t dump_run = 0;
  auto* dump = app.add_subcommand("dump", "Print a trace's events, one per line");
  dump->add_option("trace", file, "Trace file")->required();
  dump->add_flag("--json", json, "JSON lines (the first line is the run header)");
  dump->add_option("--run", dump_run, "Only this run");
  auto* info = app.add_subcommand("info", "Summarise a trace: header, event count, outcome");
  info->add_option("trace", file, "Trace file")->required();
  std::string diff_a, diff_b;
  std::vector<int64_t> diff_runs;
  auto* dif = app.add_subcommand("diff", "Where two recorded runs part, and how the rest differs");
  dif->add_option("a", diff_a, "First trace")->required();
  dif->add_option("b", diff_b, "Second trace (may be the first, with two --run)")->required();
  dif->add_option("--run", diff_runs, "Run of A, then of B (once: both; default: each trace's last)")
      ->expected(1, 2)->take_all();
  bool diff_strict = false;
  dif->add_flag("--json", json, "One JSON object instead of the report");
  dif->add_flag("--strict", diff_strict,
                "Compare host files' owners and times too (reading a host directory changes its access time)");
  dif->footer("Exit status: 0 the runs' events are identical, 1 they differ, 4 a trace cannot be read.");
  std::string merge_out;
  std::vector<std::string> merge_in;
  bool merge_json = false;
  auto* mrg = app.add_subcommand("merge", "Combine result databases of explore or corpus (shards, separate jobs) into one");
  mrg->add_option("output", merge_out, "The merged database (replaced if it exists)")->required();
  mrg->add_option("inputs", merge_in, "Result databases to merge")->required();
  mrg->add_flag("--json", merge_json, "One JSON object instead of the report");
  mrg->footer("Runs keep their events, blobs and verdicts under new run numbers; a corpus input met twice keeps\n"
              "its first run; failures are grouped again over everything (explore's counts add up).");
  std::string check_dir, check_programs = ".";
  bool check_update = false;
  auto* chk = app.add_subcommand("check", "Record every case of DIR/MANIFEST again and compare it with its golden trace");
  chk->add_option("dir", check_dir, "Folder of goldens: MANIFEST and NAME.db for each case")->required();
  chk->add_option("--programs", check_programs, "Folder holding the cases' programs (default: .)");
  chk->add_flag("--update", check_update, "Bless the new runs as the goldens where they differ or are missing");
  chk->footer("MANIFEST: one case a line, NAME [OPTIONS] PROG [ARGS...]; OPTIONS are --seed, --sched,\n"
              "--sched-seed, --depth, --quantum, --env, --cpus, --memory, --max-ticks (as for record) and\n"
              "--stdin FILE (in DIR). Each case runs as /bin/PROG in a world holding only that program, so\n"
              "that goldens compare across checkouts and machines. # starts a comment.\n"
              "Exit status: 0 every case as its golden, 1 some differ or have none, 125 a case could not run.");

  // run/record take the guest command line verbatim after their options.
  std::vector<std::string> guest;
  if (!args.empty() && (args[0] == "run" || args[0] == "record" || args[0] == "explore" || args[0] == "corpus")) {
    std::vector<std::string> rest(args.begin() + 1, args.end()), opts;
    split_guest_command(args[0] == "run"      ? *run
                        : args[0] == "record" ? *rec
                        : args[0] == "corpus" ? *cor
                                              : *exp,
                        rest, opts, guest);
    args.assign(1, args[0]);
    args.insert(args.end(), opts.begin(), opts.end());
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int r = app.exit(e);
    return r == 0 ? 0 : kExitDittoError;
  }
  rep_opts.progress = ::isatty(2) != 0;
  rep_opts.interruptible = true;
  if (rep->parsed()) sim::install_interrupt_handlers();
  if (run->parsed()) return cmd_run(run_opts, guest, false);
  if (rec->parsed()) {
    rec_opts.output_given = rec->count("--output") > 0;
    return cmd_run(rec_opts, guest, true);
  }
  if (exp->parsed()) return cmd_explore(exp_opts, guest);
  if (cor->parsed()) return cmd_corpus(cor_opts, guest);
  if (ana->parsed()) {
    if (ana_opts.jobs <= 0) ana_opts.jobs = int(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
    return cmd_analyze(ana_opts, ana_json);
  }
  if (rep->parsed()) {
    for (const std::string& spec : rep_saves) {
      auto r = sim::parse_save(spec);
      if (!r) return kExitDittoError;
      rep_opts.saves.push_back(*r);
    }
    return cmd_replay(file, rep_opts);
  }
  if (dump->parsed()) return cmd_dump(file, json, dump_run);
  if (info->parsed()) return cmd_info(file);
  if (dif->parsed()) return cmd_diff(diff_a, diff_b, diff_runs, json, diff_strict);
  if (mrg->parsed()) return cmd_merge(merge_out, merge_in, merge_json);
  if (chk->parsed()) return cmd_check(check_dir, check_programs, check_update);
  return kExitDittoError;
}
