#include "kernel/elf.h"

#include "kernel/abi.h"

#include <elf.h>

#include <cstring>

namespace kernel {

std::string parse_elf(std::string_view f, ElfImage& out) {
  if (f.size() < 4 || std::memcmp(f.data(), ELFMAG, SELFMAG) != 0)
    return "not an ELF executable";
  if (f.size() < EI_NIDENT) return "truncated ELF file (no identification)";
  if (uint8_t(f[EI_CLASS]) != ELFCLASS64) return "not a 64-bit ELF file (wrong class)";
  if (uint8_t(f[EI_DATA]) != ELFDATA2LSB) return "not a little-endian ELF file";
  if (f.size() < sizeof(Elf64_Ehdr)) return "truncated ELF file (header)";
  Elf64_Ehdr eh;
  std::memcpy(&eh, f.data(), sizeof eh);
  if (eh.e_machine != EM_X86_64) return "not an x86-64 program (ELF machine " + std::to_string(eh.e_machine) + ")";
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return "not an executable (ELF type " + std::to_string(eh.e_type) + ")";
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return "bad ELF program header size";
  if (eh.e_phnum == 0 || eh.e_phnum > 65536 / sizeof(Elf64_Phdr)) return "bad ELF program header count";
  uint64_t ph_end = eh.e_phoff + uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr);
  if (eh.e_phoff > f.size() || ph_end > f.size() || ph_end < eh.e_phoff)
    return "truncated ELF file (program headers beyond the end of the file)";
  out = ElfImage{};
  out.pie = eh.e_type == ET_DYN;
  out.entry = eh.e_entry;
  out.phoff = eh.e_phoff;
  out.phnum = eh.e_phnum;
  out.phentsize = eh.e_phentsize;
  // Addresses must stay in the lower half (TASK_SIZE); PIE images are
  // relocated later, so only their size matters here.
  constexpr uint64_t kTaskSize = 0x7ffffffff000ULL;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, f.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);
    switch (ph.p_type) {
      case PT_INTERP:
        // fs/binfmt_elf.c: 2 to PATH_MAX bytes, ending in a NUL (ENOEXEC).
        if (ph.p_filesz < 2 || ph.p_filesz > 4096) return "bad ELF interpreter name (PT_INTERP size)";
        if (ph.p_offset > f.size() || ph.p_filesz > f.size() - ph.p_offset)
          return "truncated ELF file (interpreter name beyond the end of the file)";
        if (f[ph.p_offset + ph.p_filesz - 1] != '\0') return "bad ELF interpreter name (no terminating NUL)";
        if (out.interp.empty()) out.interp = std::string(f.data() + ph.p_offset);  // up to the first NUL
        break;
      case PT_LOAD: {
        if (ph.p_filesz > ph.p_memsz) return "bad ELF segment (file size larger than memory size)";
        if (ph.p_offset > f.size() || ph.p_filesz > f.size() - ph.p_offset)
          return "truncated ELF file (segment " + std::to_string(i) + " extends beyond the end of the file)";
        if (ph.p_vaddr >= kTaskSize || ph.p_memsz > kTaskSize - ph.p_vaddr)
          return "ELF segment " + std::to_string(i) + " lies outside the user address space";
        if (ph.p_align > 1 && (ph.p_vaddr % 4096) != (ph.p_offset % 4096))
          return "ELF segment " + std::to_string(i) + " is misaligned";
        out.loads.push_back({ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags});
        break;
      }
      case PT_PHDR:
        out.phdr_vaddr = ph.p_vaddr;
        out.has_phdr = true;
        break;
      case PT_GNU_STACK:
        out.exec_stack = (ph.p_flags & PF_X) != 0;
        break;
      case PT_TLS:
        out.tls_align = ph.p_align;
        break;
      default:
        break;
    }
  }
  if (out.loads.empty()) return "ELF file has no loadable segment";
  for (size_t i = 1; i < out.loads.size(); ++i)
    if (out.loads[i].vaddr < out.loads[i - 1].vaddr) return "ELF segments are not in address order";
  if (!out.pie && out.loads.front().vaddr < 0x10000)
    return "ELF segment below the minimum mappable address (vm.mmap_min_addr)";
  if (!out.has_phdr) {
    // Like Linux: the program headers are visible if a segment maps them.
    for (const ElfSegment& s : out.loads)
      if (eh.e_phoff >= s.offset && ph_end <= s.offset + s.filesz) {
        out.phdr_vaddr = s.vaddr + (eh.e_phoff - s.offset);
        out.has_phdr = true;
        break;
      }
  }
  return "";
}

// The "#!" line of a script (fs/binfmt_script.c load_script()), read from the
// first BINPRM_BUF_SIZE (256) bytes: the interpreter and its optional single
// argument, or -ENOEXEC (no interpreter; a line that does not end within
// those bytes, unless what precedes the end is a complete interpreter name).
int64_t parse_shebang(std::string_view file, std::string& interp, std::string& arg) {
  constexpr size_t kBufSize = 256;
  std::string buf(file.substr(0, kBufSize));
  buf.resize(kBufSize, '\0');
  auto spacetab = [](char c) { return c == ' ' || c == '\t'; };
  auto terminator = [&](char c) { return spacetab(c) || c == '\0'; };
  size_t buf_end = kBufSize - 1;
  size_t end = buf.find('\n');
  if (end == std::string::npos || end > buf_end) {
    size_t first = 2;
    while (first < buf_end && spacetab(buf[first])) ++first;
    if (first == buf_end) return -abi::kENOEXEC;  // nothing but spaces
    size_t t = first;
    while (t < buf_end && !terminator(buf[t])) ++t;
    if (t == buf_end) return -abi::kENOEXEC;  // the interpreter's name may be cut short
    end = buf_end;
  }
  while (end > 2 && spacetab(buf[end - 1])) --end;
  size_t name = 2;
  while (name < end && spacetab(buf[name])) ++name;
  if (name >= end) return -abi::kENOEXEC;
  size_t sep = name;
  while (sep < end && !terminator(buf[sep])) ++sep;
  interp = std::string(buf.c_str() + name, std::min(sep, end) - name);
  interp = interp.c_str();  // up to a NUL
  arg.clear();
  if (sep < end && buf[sep] != '\0') {
    size_t a = sep;
    while (a < end && spacetab(buf[a])) ++a;
    if (a < end) arg = std::string(buf.c_str() + a, end - a).c_str();
  }
  return 0;
}

}  // namespace kernel
