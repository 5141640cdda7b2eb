// sim::Symbols — names for guest code addresses: function+offset from the
// program's ELF symbol table, and source file:line when the program carries
// DWARF line information (elfutils' libelf and libdw read both).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace sim {

class Symbols {
 public:
  // `elf`: the program file's bytes; `bias`: where it was loaded (static
  // PIE), 0 for a fixed-address executable. Never throws: an unreadable
  // file gives no names.
  Symbols(std::string elf, uint64_t bias);
  ~Symbols();
  Symbols(const Symbols&) = delete;
  Symbols& operator=(const Symbols&) = delete;
  // "worker+0x14", or "" when no symbol covers `addr`.
  std::string function(uint64_t addr) const;
  // "race.c:42", or "" without line information.
  std::string source_line(uint64_t addr) const;
  // "0x401234 worker+0x14 (race.c:42)": what is known, after the address.
  std::string describe(uint64_t addr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sim
