#include <catch2/catch.hpp>

#include "kernel/abi.h"
#include "kernel/mm.h"

using namespace kernel;
using namespace kernel::abi;

TEST_CASE("copy-in and copy-out honour guest protections") {
  MemoryManager mm;
  int64_t a = mm.mmap(0, 2 * 4096, kPROT_READ | kPROT_WRITE, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, "");
  REQUIRE(a > 0);
  uint64_t base = uint64_t(a);
  CHECK(base + 2 * 4096 == MemoryManager::kMmapBase);  // top-down placement, no ASLR
  char buf[16] = "hello";
  CHECK(mm.copy_out(UserPtr(base), buf, 6));
  char back[16] = {};
  CHECK(mm.copy_in(UserPtr(base), back, 6));
  CHECK(std::string(back) == "hello");
  CHECK(mm.mprotect(base + 4096, 4096, kPROT_READ) == 0);
  CHECK_FALSE(mm.copy_out(UserPtr(base + 4096 - 2), buf, 4));  // crosses into read-only
  CHECK(mm.copy_in(UserPtr(base + 4096 - 2), back, 4));
  CHECK(mm.mprotect(base + 4096, 4096, kPROT_NONE) == 0);
  CHECK_FALSE(mm.copy_in(UserPtr(base + 4096), back, 1));
  CHECK_FALSE(mm.copy_in(UserPtr(0), back, 1));
  CHECK_FALSE(mm.copy_in(UserPtr(~uint64_t(0) - 2), back, 8));  // wraps around
  CHECK_FALSE(mm.copy_in(UserPtr(0xffff800000000000ULL), back, 8));
  std::string s;
  CHECK(mm.read_cstring(UserPtr(base), 64, s) == 0);
  CHECK(s == "hello");
  CHECK(mm.read_cstring(UserPtr(base), 3, s) == -kENAMETOOLONG);
  CHECK(mm.read_cstring(UserPtr(8), 64, s) == -kEFAULT);
}

TEST_CASE("mmap, munmap, mprotect and mremap follow Linux's errnos") {
  MemoryManager mm;
  CHECK(mm.mmap(0, 0, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, "") == -kEINVAL);
  CHECK(mm.mmap(0x1001, 4096, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS | kMAP_FIXED, {}, "") == -kEINVAL);
  CHECK(mm.mmap(0, ~uint64_t(0) - 100, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, "") == -kENOMEM);
  int64_t a = mm.mmap(0x400000, 3 * 4096, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS | kMAP_FIXED, {}, "");
  CHECK(a == 0x400000);
  CHECK(mm.mmap(0x401000, 4096, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS | kMAP_FIXED_NOREPLACE, {}, "") == -kEEXIST);
  CHECK(mm.munmap(0x401000, 4096) == 0);
  CHECK(mm.mprotect(0x400000, 3 * 4096, kPROT_READ) == -kENOMEM);
  CHECK(mm.munmap(0x400001, 4096) == -kEINVAL);
  CHECK(mm.mremap(0x400000, 4096, 3 * 4096, 0, 0) == -kENOMEM);  // neighbour in the way, no MAYMOVE
  CHECK(mm.mremap(0x400000, 2 * 4096, 4096, 0, 0) == -kEFAULT);   // spans a hole
  // A huge request hits Ditto's memory cap with ENOMEM, not a host failure.
  mm.set_memory_limit(64 << 20);
  CHECK(mm.mmap(0, 128 << 20, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, "") == -kENOMEM);
}

TEST_CASE("brk grows and shrinks inside its limits") {
  MemoryManager mm;
  mm.set_brk_start(0x500000);
  CHECK(mm.brk(0) == 0x500000);
  CHECK(mm.brk(0x500000 + 10000) == 0x500000 + 10000);
  char c = 7;
  CHECK(mm.copy_out(UserPtr(0x500000 + 9999), &c, 1));
  CHECK(mm.brk(0x400000) == 0x500000 + 10000);  // below the start: unchanged
  CHECK(mm.brk(0x500000 + 100) == 0x500000 + 100);
  CHECK_FALSE(mm.copy_out(UserPtr(0x500000 + 9999), &c, 1));
}

TEST_CASE("too many mappings end in ENOMEM, not in an abort inside Unicorn") {
  // Mappings one GiB apart: each its own VMA, engine region and arena. (A
  // lower cap than kMaxVmas keeps the test quick: Unicorn's cost of a new
  // region grows with the number of regions.)
  MemoryManager mm;
  mm.set_max_vmas(200);
  size_t mapped = 0;
  int64_t last = 0;
  for (uint64_t i = 1; i <= 300; ++i) {
    last = mm.mmap(i << 30, 4096, kPROT_READ | kPROT_WRITE, kMAP_PRIVATE | kMAP_ANONYMOUS | kMAP_FIXED, {}, "");
    if (last < 0) break;
    ++mapped;
  }
  CHECK(last == -kENOMEM);
  CHECK(mapped == 200);
  // Splitting a mapping would add one: refused the same way.
  int64_t big = mm.mmap(0, 16 * 4096, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, "");
  CHECK(big == -kENOMEM);
  CHECK(mm.munmap(uint64_t(1) << 30, 4096) == 0);
  big = mm.mmap(0, 16 * 4096, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, "");
  REQUIRE(big > 0);
  CHECK(mm.mprotect(uint64_t(big) + 4096, 4096, kPROT_NONE) == -kENOMEM);
  CHECK(mm.munmap(uint64_t(big) + 4096, 4096) == -kENOMEM);
  // What is mapped still works.
  char buf[4] = "abc";
  CHECK(mm.copy_out(UserPtr(uint64_t(2) << 30), buf, 4));
}

TEST_CASE("a heap grown a page at a time stays a few engine regions") {
  MemoryManager mm;
  mm.set_brk_start(0x1000000);
  for (int i = 1; i <= 5000; ++i) REQUIRE(mm.brk(0x1000000 + uint64_t(i) * 4096) == 0x1000000 + uint64_t(i) * 4096);
  CHECK(mm.engine().regions().size() < 300);
  char buf[4] = "abc";
  CHECK(mm.copy_out(UserPtr(0x1000000 + 4999 * 4096), buf, 4));
}
