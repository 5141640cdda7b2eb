// sim::merge — `ditto merge OUT IN...`: the result databases of explore or
// corpus shards (or of separate jobs) as one. Runs are copied with their
// events, blobs and verdicts (run numbers change: the report maps them);
// the same corpus input met twice keeps its first run only; failures are
// grouped again across the inputs: explore's counts add up, a corpus's are
// counted again from the verdicts, so the merged groups are what one job
// over everything would have found.
#pragma once

#include <string>
#include <vector>

#include "trace/store.h"

namespace sim {

struct MergeReport {
  std::string error;
  uint64_t runs = 0, skipped_duplicates = 0, blobs = 0;
  std::vector<trace::JobTotal> jobs;        // one per job kind, summed
  std::vector<trace::FailureRow> failures;  // by job, then first found
  std::vector<std::string> warnings;        // a shard given twice, shards missing
};

MergeReport merge_results(const std::string& out, const std::vector<std::string>& inputs);

}  // namespace sim
