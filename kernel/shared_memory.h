// kernel::SharedMemory — host memory that several guest address spaces map
// at once (MAP_SHARED anonymous memory, files mapped MAP_SHARED, memfds).
#pragma once

#include <cstdint>

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

}  // namespace kernel
