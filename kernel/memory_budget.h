// The guest machine's memory (--memory): all the address spaces' committed
// mappings and the tmpfs files share it. Linux run with
// vm.overcommit_memory=2 refuses a mapping that would pass its commit limit
// (ENOMEM) instead of overcommitting and OOM-killing later; Ditto does the
// same with the whole memory as the limit, which keeps what a guest can
// make the host hold bounded and every refusal deterministic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

namespace kernel {

struct MemoryBudget {
  explicit MemoryBudget(uint64_t limit_bytes) : limit(limit_bytes) {}
  uint64_t limit;
  uint64_t used = 0;
  uint64_t room() const { return limit - std::min(limit, used); }
  bool charge(uint64_t n) {
    if (n > room()) return false;
    used += n;
    return true;
  }
  void uncharge(uint64_t n) { used -= std::min(used, n); }
};

// A tmpfs's space: its size= limit (half the memory, Linux's default for
// tmpfs) inside the memory budget. ENOSPC when either is full.
struct FileSpace {
  FileSpace(std::shared_ptr<MemoryBudget> m, uint64_t limit_bytes) : memory(std::move(m)), limit(limit_bytes) {}
  std::shared_ptr<MemoryBudget> memory;
  uint64_t limit;
  uint64_t used = 0;
  uint64_t room() const { return std::min(limit - std::min(limit, used), memory->room()); }
  bool charge(uint64_t n) {
    if (n > limit - std::min(limit, used) || !memory->charge(n)) return false;
    used += n;
    return true;
  }
  void uncharge(uint64_t n) {
    n = std::min(used, n);
    used -= n;
    memory->uncharge(n);
  }
};

}  // namespace kernel
