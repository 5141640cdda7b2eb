// The CPUID table every guest sees, on every host. It advertises exactly what
// Unicorn 2.1.1's Nehalem model executes (SSE..SSE4.2, POPCNT, CX16, LAHF, NX,
// SYSCALL), and nothing it cannot: no AVX/XSAVE (Unicorn executes neither), no
// RDRAND/RDSEED (host randomness), no RDTSCP, no TSC-deadline or hypervisor bits.
// glibc picks its string functions from these bits, so changing the table
// changes guest behaviour: it is part of the trace header.
#include <cstring>
#include <string>

#include "cpu/engine.h"

namespace cpu {

namespace {

constexpr uint32_t bit(int n) { return 1u << n; }

// Packs 16 bytes of a brand string into the four registers of one leaf.
CpuidLeaf brand_leaf(uint32_t leaf, const char* s16) {
  uint32_t r[4];
  std::memcpy(r, s16, 16);
  return {leaf, 0xffffffffu, r[0], r[1], r[2], r[3]};
}

std::vector<CpuidLeaf> make_table() {
  const uint32_t leaf1_ecx = bit(0) /*SSE3*/ | bit(9) /*SSSE3*/ | bit(13) /*CX16*/ |
                             bit(19) /*SSE4.1*/ | bit(20) /*SSE4.2*/ | bit(23) /*POPCNT*/;
  const uint32_t leaf1_edx = bit(0) /*FPU*/ | bit(2) /*DE*/ | bit(3) /*PSE*/ | bit(4) /*TSC*/ |
                             bit(5) /*MSR*/ | bit(6) /*PAE*/ | bit(8) /*CX8*/ | bit(11) /*SEP*/ |
                             bit(13) /*PGE*/ | bit(15) /*CMOV*/ | bit(16) /*PAT*/ |
                             bit(19) /*CLFLUSH*/ | bit(23) /*MMX*/ | bit(24) /*FXSR*/ |
                             bit(25) /*SSE*/ | bit(26) /*SSE2*/;
  // "GenuineIntel" so that glibc reads caches from leaf 4.
  std::vector<CpuidLeaf> t = {
      {0, 0xffffffffu, 0x0b, 0x756e6547 /*Genu*/, 0x6c65746e /*ntel*/, 0x49656e69 /*ineI*/},
      // Family 6, model 26 (Nehalem), stepping 5; CLFLUSH line 8*8 bytes; one logical CPU.
      {1, 0xffffffffu, 0x000106a5, (8u << 8) | (1u << 16), leaf1_ecx, leaf1_edx},
      // Leaf 2: one round, descriptor 0xFF = "read leaf 4".
      {2, 0xffffffffu, 0x0000ff01, 0, 0, 0},
      // Leaf 4: deterministic cache parameters (type|level<<5|self-init, ways/partitions/line, sets).
      {4, 0, 0x121, (7u << 22) | (0u << 12) | 63u, 63, 0},       // L1d 32 KiB, 8-way
      {4, 1, 0x122, (7u << 22) | (0u << 12) | 63u, 63, 0},       // L1i 32 KiB, 8-way
      {4, 2, 0x143, (7u << 22) | (0u << 12) | 63u, 511, 0},      // L2 256 KiB, 8-way
      {4, 3, 0x163, (15u << 22) | (0u << 12) | 63u, 8191, 0x2},  // L3 8 MiB, 16-way
      {4, 4, 0, 0, 0, 0},
      {7, 0xffffffffu, 0, 0, 0, 0},
      {0xb, 0xffffffffu, 0, 0, 0, 0},
      {0x80000000u, 0xffffffffu, 0x80000008u, 0, 0, 0},
      {0x80000001u, 0xffffffffu, 0, 0, bit(0) /*LAHF*/,
       bit(11) /*SYSCALL*/ | bit(20) /*NX*/ | bit(29) /*LM*/},
      brand_leaf(0x80000002u, "Ditto virtual x8"),
      brand_leaf(0x80000003u, "6-64 CPU (Nehale"),
      brand_leaf(0x80000004u, "m class)\0\0\0\0\0\0\0"),
      {0x80000006u, 0xffffffffu, 0, 0, (256u << 16) | (6u << 12) | 64u, 0},
      {0x80000007u, 0xffffffffu, 0, 0, 0, 0},
      {0x80000008u, 0xffffffffu, 0x3030, 0, 0, 0},
  };
  return t;
}

}  // namespace

const std::vector<CpuidLeaf>& cpuid_table() {
  static const std::vector<CpuidLeaf> table = make_table();
  return table;
}

std::string cpu_model_name() {
  std::string s;
  for (const CpuidLeaf& l : cpuid_table()) {
    if (l.leaf < 0x80000002u || l.leaf > 0x80000004u) continue;
    char b[16];
    std::memcpy(b, &l.eax, 4);
    std::memcpy(b + 4, &l.ebx, 4);
    std::memcpy(b + 8, &l.ecx, 4);
    std::memcpy(b + 12, &l.edx, 4);
    s.append(b, strnlen(b, 16));
  }
  return s;
}

}  // namespace cpu
