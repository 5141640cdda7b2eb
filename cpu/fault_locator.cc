// Finding the instruction behind a data fault.
//
// Unicorn 2.1.1 leaves RIP at the start of the translated block when an
// access faults inside it (its FAQ: the PC is synced at block boundaries
// unless a code or memory hook is installed, both far too costly to keep on),
// while the general registers are exact: QEMU keeps them in memory before
// every access that can fault. So the faulting instruction is one of the
// instructions from the block start on, and it is the first of them that,
// run on the registers as they are now, makes the faulting access: every
// earlier one has already run without faulting on the same memory.
//
// Each candidate runs alone on a scratch engine that only sees the code and
// answers every data access with zero pages, so nothing of the guest
// changes; its accesses are recorded by memory hooks (slow there, and
// harmless: the scratch engine runs one instruction per candidate).
//
// Not recovered: QEMU computes EFLAGS lazily and stores the pending flag
// operation only at block ends, so flags set earlier in the faulting block
// may read wrong in the signal frame (see docs/DESIGN.md, Known gaps).
#include <unicorn/unicorn.h>

#include <array>
#include <cstring>
#include <vector>

#include "cpu/engine.h"
#include "cpu/fault_locator.h"

namespace cpu {

namespace {

constexpr int kMaxCandidates = 256;  // longer blocks than this are not searched
constexpr size_t kMaxInsnBytes = 15;

struct Access {
  uint64_t addr;
  int size;
  bool write;
};

struct Scratch {
  uc_engine* uc = nullptr;
  std::vector<uint64_t> data_pages;  // zero pages mapped on demand
  std::vector<Access> accesses;
  uint32_t insn_size = 0;
  bool stop_at_first = false;  // decoding only: stop before the first instruction

  ~Scratch() {
    if (uc) uc_close(uc);
  }

  static void on_code(uc_engine* uc, uint64_t, uint32_t size, void* ud) {
    auto* s = static_cast<Scratch*>(ud);
    s->insn_size = size;
    if (s->stop_at_first) uc_emu_stop(uc);
  }
  static void on_access(uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t, void* ud) {
    static_cast<Scratch*>(ud)->accesses.push_back({addr, size, type == UC_MEM_WRITE});
  }
  static bool on_unmapped(uc_engine* uc, uc_mem_type type, uint64_t addr, int size, int64_t, void* ud) {
    auto* s = static_cast<Scratch*>(ud);
    if (type == UC_MEM_FETCH_UNMAPPED) return false;
    s->accesses.push_back({addr, size, type == UC_MEM_WRITE_UNMAPPED});
    // An access may cross into the next page: map both.
    for (uint64_t page = addr & ~(kPageSize - 1); page <= ((addr + uint64_t(size) - 1) & ~(kPageSize - 1));
         page += kPageSize) {
      if (uc_mem_map(uc, page, kPageSize, UC_PROT_READ | UC_PROT_WRITE) == UC_ERR_OK) s->data_pages.push_back(page);
    }
    return true;
  }

  void drop_data_pages() {
    for (uint64_t page : data_pages) uc_mem_unmap(uc, page, kPageSize);
    data_pages.clear();
  }
};

// The registers the scratch engine takes from the guest's.
constexpr std::array<std::pair<Reg, int>, 20> kRegs{{
    {Reg::rax, UC_X86_REG_RAX}, {Reg::rbx, UC_X86_REG_RBX}, {Reg::rcx, UC_X86_REG_RCX},
    {Reg::rdx, UC_X86_REG_RDX}, {Reg::rsi, UC_X86_REG_RSI}, {Reg::rdi, UC_X86_REG_RDI},
    {Reg::rbp, UC_X86_REG_RBP}, {Reg::rsp, UC_X86_REG_RSP}, {Reg::r8, UC_X86_REG_R8},
    {Reg::r9, UC_X86_REG_R9},   {Reg::r10, UC_X86_REG_R10}, {Reg::r11, UC_X86_REG_R11},
    {Reg::r12, UC_X86_REG_R12}, {Reg::r13, UC_X86_REG_R13}, {Reg::r14, UC_X86_REG_R14},
    {Reg::r15, UC_X86_REG_R15}, {Reg::rip, UC_X86_REG_RIP}, {Reg::rflags, UC_X86_REG_EFLAGS},
    {Reg::fs_base, UC_X86_REG_FS_BASE}, {Reg::gs_base, UC_X86_REG_GS_BASE},
}};

}  // namespace

uint64_t find_faulting_instruction(Engine& guest, const Regs& regs, uint64_t block_start, uint64_t fault_addr,
                                   bool write) {
  Scratch s;
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &s.uc) != UC_ERR_OK) return block_start;
  uc_ctl_set_cpu_model(s.uc, UC_CPU_X86_NEHALEM);  // the guest's model (engine.cc)
  uc_ctl_set_tcg_buffer_size(s.uc, 4u << 20);
  uc_hook h;
  uc_hook_add(s.uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&Scratch::on_code), &s, 1, 0);
  uc_hook_add(s.uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, reinterpret_cast<void*>(&Scratch::on_access), &s, 1,
              0);
  uc_hook_add(s.uc, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&Scratch::on_unmapped), &s, 1, 0);

  uint64_t rip = block_start;
  uint64_t mapped_code = ~uint64_t(0);  // first of the two code pages mapped now
  for (int i = 0; i < kMaxCandidates; ++i) {
    // The candidate's bytes, as the guest has them, on pages of their own.
    uint64_t page = rip & ~(kPageSize - 1);
    if (page != mapped_code) {
      if (mapped_code != ~uint64_t(0)) uc_mem_unmap(s.uc, mapped_code, 2 * kPageSize);
      s.drop_data_pages();
      if (uc_mem_map(s.uc, page, 2 * kPageSize, UC_PROT_ALL) != UC_ERR_OK) return block_start;
      mapped_code = page;
      std::vector<uint8_t> code(2 * kPageSize, 0);
      if (!guest.read(page, code.data(), kPageSize)) return block_start;
      guest.read(page + kPageSize, code.data() + kPageSize, kPageSize);  // may be unmapped: zeros
      uc_mem_write(s.uc, page, code.data(), code.size());
    }
    for (auto [reg, id] : kRegs) {
      uint64_t v = regs[reg];
      uc_reg_write(s.uc, id, &v);
    }
    uc_reg_write(s.uc, UC_X86_REG_RIP, &rip);
    s.accesses.clear();
    s.insn_size = 0;
    uc_emu_start(s.uc, rip, 0, 0, 1);
    for (const Access& a : s.accesses)
      if (a.write == write && fault_addr >= a.addr && fault_addr - a.addr < uint64_t(a.size)) return rip;
    if (s.insn_size == 0 || s.insn_size > kMaxInsnBytes) break;  // could not even decode it
    // Data pages of a candidate must not answer the next one's accesses
    // with what it wrote: unmapped again, they come back as zeros.
    s.drop_data_pages();
    rip += s.insn_size;
  }
  return block_start;
}

}  // namespace cpu
