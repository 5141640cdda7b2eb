#include "sim/shard.h"

#include <algorithm>

namespace sim {

bool in_shard(const std::string& hash, uint32_t index, uint32_t count) {
  if (count <= 1) return true;
  uint64_t v = std::stoull(hash.substr(0, 15), nullptr, 16);
  return v % count == index;
}

bool parse_shard(const std::string& spec, uint32_t& index, uint32_t& count) {
  size_t slash = spec.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spec.size()) return false;
  auto number = [](const std::string& s, uint64_t& v) {
    if (s.empty() || s.size() > 7 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    v = std::stoull(s);
    return true;
  };
  uint64_t k = 0, n = 0;
  if (!number(spec.substr(0, slash), k) || !number(spec.substr(slash + 1), n) || n == 0 || k >= n) return false;
  index = uint32_t(k), count = uint32_t(n);
  return true;
}

}  // namespace sim
