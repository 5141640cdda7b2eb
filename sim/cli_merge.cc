// `ditto merge`: shards' result databases as one (sim/merge.h).
#include <iostream>

#include "sim/cli.h"
#include "sim/merge.h"
#include "trace/event.h"

namespace cli {

int cmd_merge(const std::string& out, const std::vector<std::string>& inputs, bool json) {
  for (const std::string& in : inputs)
    if (in == out) {
      std::cerr << "ditto merge: the output " << out << " is one of the inputs\n";
      return kExitDittoError;
    }
  sim::MergeReport r = sim::merge_results(out, inputs);
  if (!r.error.empty()) {
    std::cerr << "ditto merge: " << r.error << "\n";
    return kExitDittoError;
  }
  for (const std::string& w : r.warnings) std::cerr << "ditto merge: warning: " << w << "\n";
  auto q = trace::json_quote;
  if (json) {
    std::cout << "{\"output\":" << q(out) << ",\"inputs\":" << inputs.size() << ",\"runs\":" << r.runs
              << ",\"skipped_duplicates\":" << r.skipped_duplicates << ",\"blobs\":" << r.blobs << ",\"jobs\":[";
    for (size_t i = 0; i < r.jobs.size(); ++i)
      std::cout << (i ? "," : "") << "{\"job\":" << q(r.jobs[i].job) << ",\"total\":" << r.jobs[i].total
                << ",\"failing\":" << r.jobs[i].failing << "}";
    std::cout << "],\"failures\":[";
    for (size_t i = 0; i < r.failures.size(); ++i) {
      const trace::FailureRow& f = r.failures[i];
      std::cout << (i ? "," : "") << "{\"job\":" << q(f.job) << ",\"kind\":" << q(f.kind)
                << ",\"signature\":" << q(f.signature) << ",\"summary\":" << q(f.summary) << ",\"count\":" << f.count
                << ",\"first\":" << f.first_key << ",\"run\":" << f.run << ",\"input\":" << q(f.input_name)
                << ",\"input_size\":" << f.input_size << "}";
    }
    std::cout << "]}\n";
  } else {
    std::cout << "ditto merge: " << inputs.size() << " databases into " << out << ": " << r.runs << " runs ("
              << r.skipped_duplicates << " duplicate inputs left out), " << r.blobs << " blobs\n";
    for (const trace::JobTotal& j : r.jobs)
      std::cout << "  " << j.job << ": " << j.total << (j.job == "corpus" ? " inputs, " : " schedules, ") << j.failing
                << " failing\n";
    for (size_t i = 0; i < r.failures.size(); ++i) {
      const trace::FailureRow& f = r.failures[i];
      std::cout << "  #" << i + 1 << " " << f.job << " " << f.signature << ": " << f.count << "\n     " << f.summary;
      if (f.run) std::cout << "; run " << f.run;
      if (!f.input_name.empty()) std::cout << ", smallest input " << f.input_name << " (" << f.input_size << " bytes)";
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace cli
