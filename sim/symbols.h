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
  // "counter", "table+0x8": the data symbol (ELF object) holding `addr`, or "".
  std::string data(uint64_t addr) const;
  // "race.c:42", or "" without line information.
  std::string source_line(uint64_t addr) const;
  // "0x401234 worker+0x14 (race.c:42)": what is known, after the address.
  std::string describe(uint64_t addr) const;
  // Whether `addr` is the program's own code rather than the C library's:
  // code with source line information when the program has any; else (no
  // -g) the functions a static link placed before __libc_start_main, which
  // is where the program's objects go, ahead of the archive members.
  bool program_code(uint64_t addr) const;
  // Whether `addr` lies in a variable the program's own code declares (its
  // globals and statics, from DWARF). Without DWARF nothing is known: false.
  bool program_data(uint64_t addr) const;
  bool has_debug_info() const;
  // Whether `addr` lies in the program file's loaded segments (text, data, bss).
  bool in_image(uint64_t addr) const;
  // Copies the file's bytes at (loaded) address `addr`; false outside the
  // loaded segments.
  bool read(uint64_t addr, void* out, size_t n) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sim
