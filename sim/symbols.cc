#include "sim/symbols.h"

#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <cstdio>
#include <map>

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
};

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
      if (!gelf_getsym(data, int(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
      const char* name = elf_strptr(s.elf, sh.sh_link, sym.st_name);
      if (name && *name) s.functions.emplace(sym.st_value, Impl::Sym{sym.st_size, name});
    }
  }
  s.dwarf = dwarf_begin_elf(s.elf, DWARF_C_READ, nullptr);
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
