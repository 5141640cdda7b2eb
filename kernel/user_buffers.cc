#include "kernel/user_buffers.h"

#include <algorithm>

namespace kernel {

UserBuffers::UserBuffers(std::vector<abi::Iovec> segs) : segs_(std::move(segs)), total_(0) {
  for (const abi::Iovec& v : segs_) total_ += v.len;
}

template <class Fn>
bool UserBuffers::each_piece(uint64_t from, uint64_t n, Fn fn) const {
  uint64_t at = 0;  // offset of the current segment's first byte
  for (const abi::Iovec& v : segs_) {
    if (n == 0) break;
    if (from < at + v.len) {
      uint64_t skip = from > at ? from - at : 0;
      uint64_t len = std::min(v.len - skip, n);
      if (!fn(v.base + skip, len)) return false;
      from += len;
      n -= len;
    }
    at += v.len;
  }
  return true;
}

uint64_t UserBuffers::accessible(MemoryManager& mm, uint64_t from, uint64_t n, uint32_t need) const {
  uint64_t ok = 0;
  each_piece(from, n, [&](uint64_t addr, uint64_t len) {
    uint64_t got = mm.accessible_prefix(addr, len, need);
    ok += got;
    return got == len;
  });
  return ok;
}

bool UserBuffers::copy_in(MemoryManager& mm, uint64_t from, char* dst, uint64_t n) const {
  return each_piece(from, n, [&](uint64_t addr, uint64_t len) {
    bool ok = mm.copy_in(UserPtr(addr), dst, len);
    dst += len;
    return ok;
  });
}

bool UserBuffers::copy_out(MemoryManager& mm, uint64_t from, const char* src, uint64_t n) const {
  return each_piece(from, n, [&](uint64_t addr, uint64_t len) {
    bool ok = mm.copy_out(UserPtr(addr), src, len);
    src += len;
    return ok;
  });
}

int64_t read_iovecs(MemoryManager& mm, uint64_t ptr, uint64_t count, std::vector<abi::Iovec>& out) {
  if (count > uint64_t(abi::kIovMax)) return -abi::kEINVAL;
  out.resize(count);
  if (count && !mm.copy_in(UserPtr(ptr), out.data(), count * sizeof(abi::Iovec))) return -abi::kEFAULT;
  for (const abi::Iovec& v : out)
    if (int64_t(v.len) < 0) return -abi::kEINVAL;
  uint64_t total = 0;
  for (abi::Iovec& v : out) {
    if (!MemoryManager::user_range(v.base, v.len)) return -abi::kEFAULT;
    v.len = std::min<uint64_t>(v.len, abi::kMaxRwCount - total);
    total += v.len;
  }
  return int64_t(total);
}

}  // namespace kernel
