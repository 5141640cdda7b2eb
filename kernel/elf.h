// The executable formats: ELF64 x86-64 programs and their interpreters, and
// "#!" scripts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kernel {

struct ElfSegment {
  uint64_t vaddr, memsz, offset, filesz;
  uint32_t flags;  // PF_X=1, PF_W=2, PF_R=4
};

struct ElfImage {
  bool pie = false;  // ET_DYN (static-pie)
  uint64_t entry = 0;
  uint64_t phoff = 0;
  uint16_t phnum = 0, phentsize = 0;
  std::vector<ElfSegment> loads;
  uint64_t phdr_vaddr = 0;  // from PT_PHDR, or derived from the segment holding phoff
  bool has_phdr = false;
  bool exec_stack = false;
  uint64_t tls_align = 0;
  // PT_INTERP: the dynamic linker's path ("" for a static program).
  std::string interp;
};

// Returns "" and fills `out`, or a one-line reason the file cannot run.
std::string parse_elf(std::string_view file, ElfImage& out);

// A script's "#!" line: its interpreter and optional single argument; 0, or
// -ENOEXEC when the line names no interpreter.
int64_t parse_shebang(std::string_view file, std::string& interp, std::string& arg);

}  // namespace kernel
