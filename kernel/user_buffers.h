// The guest memory a read fills or a write drains: one buffer (read, write)
// or an iovec array (readv, writev), seen as one run of bytes. Linux copies
// such a run until the first byte it cannot access and reports what it
// copied (a short count) or EFAULT; these helpers say where that point is,
// so that a copy sizes its host buffer by what can be copied at all.
#pragma once

#include <cstdint>
#include <vector>

#include "kernel/abi.h"
#include "kernel/mm.h"

namespace kernel {

class UserBuffers {
 public:
  UserBuffers(uint64_t addr, uint64_t len) : segs_{{addr, len}}, total_(len) {}
  explicit UserBuffers(std::vector<abi::Iovec> segs);
  uint64_t total() const { return total_; }
  // How many of the bytes [from, from + n) the guest may access with
  // `need`, counted from `from` up to the first that it may not.
  uint64_t accessible(MemoryManager& mm, uint64_t from, uint64_t n, uint32_t need) const;
  // Copies bytes [from, from + n) in or out; false if one was not accessible.
  bool copy_in(MemoryManager& mm, uint64_t from, char* dst, uint64_t n) const;
  bool copy_out(MemoryManager& mm, uint64_t from, const char* src, uint64_t n) const;

 private:
  // Calls fn(address, length) for each piece of [from, from + n).
  template <class Fn>
  bool each_piece(uint64_t from, uint64_t n, Fn fn) const;
  std::vector<abi::Iovec> segs_;
  uint64_t total_;
};

// Reads and checks an iovec array as lib/iov_iter.c's __import_iovec()
// does: any negative length is EINVAL, then each buffer must lie in the
// user half (EFAULT), and lengths past MAX_RW_COUNT in all are cut off.
// The total length, or -errno.
int64_t read_iovecs(MemoryManager& mm, uint64_t ptr, uint64_t count, std::vector<abi::Iovec>& out);

}  // namespace kernel
