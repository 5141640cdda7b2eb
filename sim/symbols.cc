#include "sim/symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

namespace sim {

struct Symbols::Impl {
  std::string bytes;
  uint64_t bias = 0;
  Elf* elf = nullptr;
  Dwarf* dwarf = nullptr;
  struct Sym {
    uint64_t size;
    std::string name;
  };
  std::map<uint64_t, Sym> functions;  // by start address (unbiased)
  std::map<uint64_t, Sym> objects;    // data symbols, likewise
  bool has_lines = false;
  uint64_t code_lo = 0, code_hi = 0;  // the program's own functions, without lines
  struct Segment {
    uint64_t vaddr, filesz, offset, memsz;
  };
  std::vector<Segment> segments;
  std::map<uint64_t, uint64_t> variables;  // start -> end (unbiased)
  void collect_variables(Dwarf_Die* die, int depth);
};

void Symbols::Impl::collect_variables(Dwarf_Die* die, int depth) {
  Dwarf_Die child;
  if (depth > 8 || dwarf_child(die, &child) != 0) return;
  do {
    if (dwarf_tag(&child) == DW_TAG_variable) {
      Dwarf_Attribute attr;
      Dwarf_Op* ops = nullptr;
      size_t nops = 0;
      if (dwarf_attr(&child, DW_AT_location, &attr) && dwarf_getlocation(&attr, &ops, &nops) == 0 &&
          nops == 1 && ops[0].atom == DW_OP_addr) {
        Dwarf_Die type;
        Dwarf_Word size = 8;
        Dwarf_Attribute ta;
        if (dwarf_attr_integrate(&child, DW_AT_type, &ta) && dwarf_formref_die(&ta, &type))
          if (dwarf_aggregate_size(&type, &size) != 0) size = 8;
        variables[ops[0].number] = ops[0].number + std::max<Dwarf_Word>(size, 1);
      }
    }
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace)
      collect_variables(&child, depth + 1);
  } while (dwarf_siblingof(&child, &child) == 0);
}

Symbols::Symbols(std::string elf, uint64_t bias) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.bytes = std::move(elf);
  s.bias = bias;
  elf_version(EV_CURRENT);
  s.elf = elf_memory(s.bytes.data(), s.bytes.size());
  if (!s.elf) return;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(s.elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, int(i), &sym) || sym.st_value == 0) continue;
      int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_OBJECT) continue;
      const char* name = elf_strptr(s.elf, sh.sh_link, sym.st_name);
      if (name && *name)
        (type == STT_FUNC ? s.functions : s.objects).emplace(sym.st_value, Impl::Sym{sym.st_size, name});
    }
  }
  s.dwarf = dwarf_begin_elf(s.elf, DWARF_C_READ, nullptr);
  if (s.dwarf) {
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(s.dwarf, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
      s.has_lines = true;
      Dwarf_Die cu;
      if (dwarf_offdie(s.dwarf, off + hsize, &cu)) s.collect_variables(&cu, 0);
      off = next;
    }
  }
  uint64_t start = 0, libc = 0;
  for (const auto& [a, sym] : s.functions) {
    if (sym.name == "_start") start = a;
    if (sym.name == "__libc_start_main") libc = a;
  }
  if (start && libc > start) s.code_lo = start, s.code_hi = libc;
  size_t n = 0;
  if (elf_getphdrnum(s.elf, &n) == 0)
    for (size_t i = 0; i < n; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(s.elf, int(i), &ph) && ph.p_type == PT_LOAD)
        s.segments.push_back({ph.p_vaddr, ph.p_filesz, ph.p_offset, ph.p_memsz});
    }
}

bool Symbols::program_code(uint64_t addr) const {
  const Impl& s = *impl_;
  if (s.has_lines) return !source_line(addr).empty();
  uint64_t a = addr - s.bias;
  return a >= s.code_lo && a < s.code_hi;
}

bool Symbols::program_data(uint64_t addr) const {
  const Impl& s = *impl_;
  uint64_t a = addr - s.bias;
  auto it = s.variables.upper_bound(a);
  return it != s.variables.begin() && a < std::prev(it)->second;
}

bool Symbols::has_debug_info() const { return impl_->has_lines; }

bool Symbols::in_image(uint64_t addr) const {
  uint64_t a = addr - impl_->bias;
  for (const Impl::Segment& g : impl_->segments)
    if (a >= g.vaddr && a < g.vaddr + g.memsz) return true;
  return false;
}

bool Symbols::read(uint64_t addr, void* out, size_t n) const {
  const Impl& s = *impl_;
  uint64_t a = addr - s.bias;
  for (const Impl::Segment& g : s.segments)
    if (a >= g.vaddr && a + n <= g.vaddr + g.filesz && g.offset + (a - g.vaddr) + n <= s.bytes.size()) {
      std::memcpy(out, s.bytes.data() + g.offset + (a - g.vaddr), n);
      return true;
    }
  return false;
}

Symbols::~Symbols() {
  if (impl_->dwarf) dwarf_end(impl_->dwarf);
  if (impl_->elf) elf_end(impl_->elf);
}

std::string Symbols::function(uint64_t addr) const {
  const Impl& s = *impl_;
  uint64_t a = addr - s.bias;
  auto it = s.functions.upper_bound(a);
  if (it == s.functions.begin()) return "";
  --it;
  if (it->second.size && a >= it->first + it->second.size) return "";
  char off[32];
  std::snprintf(off, sizeof off, "+%#llx", static_cast<unsigned long long>(a - it->first));
  return it->second.name + (a == it->first ? "" : off);
}

std::string Symbols::data(uint64_t addr) const {
  const Impl& s = *impl_;
  uint64_t a = addr - s.bias;
  auto it = s.objects.upper_bound(a);
  if (it == s.objects.begin()) return "";
  --it;
  if (a >= it->first + std::max<uint64_t>(it->second.size, 1)) return "";
  char off[32];
  std::snprintf(off, sizeof off, "+%#llx", static_cast<unsigned long long>(a - it->first));
  return it->second.name + (a == it->first ? "" : off);
}

std::string Symbols::source_line(uint64_t addr) const {
  const Impl& s = *impl_;
  if (!s.dwarf) return "";
  Dwarf_Die cu;
  if (!dwarf_addrdie(s.dwarf, addr - s.bias, &cu)) return "";
  Dwarf_Line* line = dwarf_getsrc_die(&cu, addr - s.bias);
  if (!line) return "";
  int n = 0;
  const char* file = dwarf_linesrc(line, nullptr, nullptr);
  if (!file || dwarf_lineno(line, &n) != 0) return "";
  std::string f = file;
  if (auto slash = f.rfind('/'); slash != std::string::npos) f = f.substr(slash + 1);
  return f + ":" + std::to_string(n);
}

std::string Symbols::describe(uint64_t addr) const {
  char head[32];
  std::snprintf(head, sizeof head, "%#llx", static_cast<unsigned long long>(addr));
  std::string out = head;
  if (std::string f = function(addr); !f.empty()) out += " " + f;
  if (std::string l = source_line(addr); !l.empty()) out += " (" + l + ")";
  return out;
}

}  // namespace sim
