// Host memory behind guest mappings. kernel::SharedMemory: memory that
// several guest address spaces map at once (MAP_SHARED anonymous memory,
// files mapped MAP_SHARED, memfds, frozen read-only mappings).
// kernel::PrivateMemory: the memory of one address space's private mappings.
#pragma once

#include <cstdint>
#include <map>

namespace kernel {

// Host memory behind a MAP_SHARED mapping: every address space that maps it
// (after fork) sees the same bytes, as the engines map the same host pages.
class SharedMemory {
 public:
  // Reserves `size` bytes of host address space, committed as touched.
  explicit SharedMemory(uint64_t size);
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  uint8_t* data_;
  uint64_t size_;
};

// Host memory behind one address space's private mappings, in 1 GiB arenas
// of reserved (MAP_NORESERVE) host address space, each made when a mapping
// first reaches its GiB of the guest address space: guest address A lives at
// arena(A >> 30) + (A mod 1 GiB). Pages cost host memory once touched, and
// go back to the host (reading as zero again) with release(). Invariant kept
// by MemoryManager: pages outside its private mappings are released.
class PrivateMemory {
 public:
  static constexpr uint64_t kArenaShift = 30;
  static constexpr uint64_t kArenaSize = 1ULL << kArenaShift;
  // Reserved host address space is finite (128 TiB for a process): a guest
  // scattering small mappings over many GiB gets ENOMEM once all address
  // spaces together hold this many arenas, before Ditto itself runs short.
  static constexpr uint64_t kMaxArenas = 16384;  // 16 TiB
  PrivateMemory() = default;
  ~PrivateMemory();
  PrivateMemory(const PrivateMemory&) = delete;
  PrivateMemory& operator=(const PrivateMemory&) = delete;
  // The host address of guest page-aligned `addr`: null when its arena does
  // not exist and `create` is false, or the host refused the reservation.
  uint8_t* host(uint64_t addr, bool create);
  // Splits [start, end) at arena boundaries: fn(guest addr, length).
  template <class F>
  static void pieces(uint64_t start, uint64_t end, F&& fn) {
    for (uint64_t a = start; a < end;) {
      uint64_t stop = (a | (kArenaSize - 1)) + 1;
      uint64_t n = (end < stop ? end : stop) - a;
      fn(a, n);
      a += n;
    }
  }
  // Gives the pages of [start, end) back to the host.
  void release(uint64_t start, uint64_t end);

 private:
  std::map<uint64_t, uint8_t*> arenas_;  // by guest address >> kArenaShift
  static inline uint64_t live_arenas_ = 0;  // in every PrivateMemory of this process
};

}  // namespace kernel
