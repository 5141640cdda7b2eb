// sim::shard — `--shard K/N`: a deterministic share of a job (explore's
// schedules, corpus's inputs) for one of N machines or array tasks; `ditto
// merge` adds the shares up (sim/merge.h).
#pragma once

#include <cstdint>
#include <string>

namespace sim {

// "K/N" (0 <= K < N, the 0-based index job arrays give); false when malformed.
bool parse_shard(const std::string& spec, uint32_t& index, uint32_t& count);

// Whether the input of content hash `hash` (sha256 hex) is in shard `index`
// of `count`: by content, so an input lands in the same shard whatever
// folders and names it came with.
bool in_shard(const std::string& hash, uint32_t index, uint32_t count);

}  // namespace sim
