// What Unicorn itself costs, without Ditto: runs one function of a static
// corpus binary (e.g. `fib` of bench_fib) directly on a bare Unicorn engine,
// with no hook at all, with an empty block hook, and with a counting block
// hook like Ditto's tick counter. bench/run prints these beside qemu-x86_64 so
// the cost of deterministic tick counting is measured rather than assumed.
//
// Usage: unicorn_floor ELF FUNCTION ARG {none|empty|count}
// Prints: the function's return value, seconds, and blocks counted.
#include <elf.h>
#include <unicorn/unicorn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "kernel/elf.h"

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kStackTop = 0x7ff000000000, kStackSize = 1 << 20;
constexpr uint64_t kReturnTo = 0x1000;  // never mapped: the run stops there

// The address of FUNCTION in the ELF's symbol table, or 0.
uint64_t find_symbol(const std::string& file, const char* name) {
  if (file.size() < sizeof(Elf64_Ehdr)) return 0;
  auto* eh = reinterpret_cast<const Elf64_Ehdr*>(file.data());
  if (eh->e_shoff == 0 || eh->e_shoff + uint64_t(eh->e_shnum) * sizeof(Elf64_Shdr) > file.size()) return 0;
  auto* sh = reinterpret_cast<const Elf64_Shdr*>(file.data() + eh->e_shoff);
  for (unsigned i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const Elf64_Shdr& strtab = sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > file.size() || strtab.sh_offset + strtab.sh_size > file.size())
      return 0;
    auto* sym = reinterpret_cast<const Elf64_Sym*>(file.data() + sh[i].sh_offset);
    for (uint64_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); ++k) {
      if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_name >= strtab.sh_size) continue;
      const char* s = file.data() + strtab.sh_offset + sym[k].st_name;
      if (strnlen(s, strtab.sh_size - sym[k].st_name) < strtab.sh_size - sym[k].st_name &&
          strcmp(s, name) == 0)
        return sym[k].st_value;
    }
  }
  return 0;
}

struct Counter {
  uint64_t left = ~uint64_t(0);
};

void empty_hook(uc_engine*, uint64_t, uint32_t, void*) {}

// The shape of Ditto's tick counter (cpu/engine.cc): test and decrement.
void count_hook(uc_engine* uc, uint64_t, uint32_t, void* ud) {
  auto* c = static_cast<Counter*>(ud);
  if (c->left == 0) [[unlikely]] {
    uc_emu_stop(uc);
    return;
  }
  --c->left;
}

int fail(const char* what, uc_err err) {
  std::fprintf(stderr, "unicorn_floor: %s: %s\n", what, uc_strerror(err));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: unicorn_floor ELF FUNCTION ARG {none|empty|count}\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  kernel::ElfImage image;
  if (std::string why = kernel::parse_elf(file, image); !why.empty() || image.pie) {
    std::fprintf(stderr, "unicorn_floor: %s: %s\n", argv[1],
                 why.empty() ? "needs a non-PIE static executable" : why.c_str());
    return 1;
  }
  uint64_t fn = find_symbol(file, argv[2]);
  if (fn == 0) {
    std::fprintf(stderr, "unicorn_floor: no function %s in %s\n", argv[2], argv[1]);
    return 1;
  }
  std::string mode = argv[4];
  if (mode != "none" && mode != "empty" && mode != "count") {
    std::fprintf(stderr, "unicorn_floor: mode must be none, empty or count\n");
    return 2;
  }

  uc_engine* uc = nullptr;
  if (uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc)) return fail("uc_open", e);
  for (const kernel::ElfSegment& s : image.loads) {
    uint64_t begin = s.vaddr & ~(kPage - 1);
    uint64_t end = (s.vaddr + s.memsz + kPage - 1) & ~(kPage - 1);
    // Segments may share a page: map page by page (an already mapped page
    // fails harmlessly), all access; protections do not matter here.
    for (uint64_t p = begin; p < end; p += kPage) uc_mem_map(uc, p, kPage, UC_PROT_ALL);
    if (uc_err e = uc_mem_write(uc, s.vaddr, file.data() + s.offset, s.filesz))
      return fail("loading a segment", e);
  }
  if (uc_err e = uc_mem_map(uc, kStackTop - kStackSize, kStackSize, UC_PROT_READ | UC_PROT_WRITE))
    return fail("mapping the stack", e);
  uint64_t rsp = kStackTop - 64, ret = kReturnTo, arg = std::strtoull(argv[3], nullptr, 0);
  uc_mem_write(uc, rsp, &ret, sizeof ret);
  uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
  uc_reg_write(uc, UC_X86_REG_RDI, &arg);

  Counter counter;
  uc_hook h;
  if (mode == "empty")
    uc_hook_add(uc, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&empty_hook), nullptr, 1, 0);
  if (mode == "count")
    uc_hook_add(uc, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&count_hook), &counter, 1, 0);

  auto t0 = std::chrono::steady_clock::now();
  uc_err e = uc_emu_start(uc, fn, kReturnTo, 0, 0);
  auto t1 = std::chrono::steady_clock::now();
  if (e) return fail("running", e);
  uint64_t rax = 0;
  uc_reg_read(uc, UC_X86_REG_RAX, &rax);
  std::printf("%llu %.3f %llu\n", static_cast<unsigned long long>(rax),
              std::chrono::duration<double>(t1 - t0).count(),
              static_cast<unsigned long long>(~uint64_t(0) - counter.left));
  uc_close(uc);
  return 0;
}
