// The Unicorn side of cpu::Engine. Facts relied on here were measured on this
// machine with Unicorn 2.1.1; see ../shared/UNICORN.md and docs/DESIGN.md.
#include "cpu/engine.h"
#include "cpu/fault_locator.h"

#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace cpu {

namespace {

constexpr int kUcReg[static_cast<int>(Reg::kCount)] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
    UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8,  UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
    UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE,
};

uint32_t to_uc_prot(uint32_t prot) {
  uint32_t p = UC_PROT_NONE;
  if (prot & kProtRead) p |= UC_PROT_READ;
  if (prot & kProtWrite) p |= UC_PROT_WRITE;
  if (prot & kProtExec) p |= UC_PROT_EXEC;
  return p;
}

// Never reached by guest code: the address is not canonical.
constexpr uint64_t kNoUntil = 0xffff'0000'0000'0000ULL;

// User mode (see Engine::Engine): Linux's GDT layout, at the page above the
// user address space; the iretq that enters CPL 3 lands at kUserEntry.
constexpr uint64_t kGdtAddress = 0x7fff'ffff'f000ULL;
constexpr uint64_t kUserEntry = 0x200;
void* user_mode_gdt() {
  alignas(4096) static uint64_t gdt[512] = {
      0, 0,
      0x00af9b000000ffffULL,  // 0x10 kernel code, 64-bit
      0x00cf93000000ffffULL,  // 0x18 kernel data
      0x00cffb000000ffffULL,  // 0x23 user code, 32-bit
      0x00cff3000000ffffULL,  // 0x2b user data
      0x00affb000000ffffULL,  // 0x33 user code, 64-bit
  };
  return gdt;
}

}  // namespace

const char* to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kNone: return "none";
    case FaultKind::kReadUnmapped: return "read of unmapped memory";
    case FaultKind::kWriteUnmapped: return "write to unmapped memory";
    case FaultKind::kFetchUnmapped: return "execution of unmapped memory";
    case FaultKind::kReadProt: return "read of protected memory";
    case FaultKind::kWriteProt: return "write to protected memory";
    case FaultKind::kFetchProt: return "execution of non-executable memory";
    case FaultKind::kInvalidOpcode: return "invalid opcode";
    case FaultKind::kDivideError: return "divide error";
    case FaultKind::kBreakpoint: return "breakpoint";
    case FaultKind::kGeneralProtection: return "general protection fault";
    case FaultKind::kOtherException: return "CPU exception";
  }
  return "?";
}

Context::Context(Context&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
Context& Context::operator=(Context&& o) noexcept {
  if (this != &o) {
    if (ctx_) uc_context_free(static_cast<uc_context*>(ctx_));
    ctx_ = o.ctx_;
    o.ctx_ = nullptr;
  }
  return *this;
}
Context::~Context() {
  if (ctx_) uc_context_free(static_cast<uc_context*>(ctx_));
}

namespace {
// The first of the sorted, disjoint `ranges` that begins after `a` (the one
// before it is the only one that can hold `a`).
std::vector<Engine::CodeRange>::const_iterator range_after(const std::vector<Engine::CodeRange>& ranges,
                                                           uint64_t a) {
  return std::upper_bound(ranges.begin(), ranges.end(), a,
                          [](uint64_t x, const Engine::CodeRange& r) { return x < r.begin; });
}
}  // namespace

struct Engine::Impl {
  uc_engine* uc = nullptr;
  TrapHandler* handler = nullptr;
  // Ticks are kept as a countdown to the tick limit: ticks = next_check -
  // left. The block hook then only tests and decrements one word.
  uint64_t left = 0;
  uint64_t next_check = 0;
  uint64_t tick_limit = 0;
  bool stop_requested = false;
  bool budget_hit = false;
  Fault fault;
  std::set<uint64_t> timestamp_sites;
  // watch_code(): the ranges and their span, the bytes each block there was
  // last seen with, and a request to run a block again from new code.
  uc_hook tick_hook = 0;
  std::vector<CodeRange> watched;
  uint64_t watch_lo = 0, watch_span = 0;
  std::unordered_map<uint64_t, std::string> code_seen;
  uint64_t last_seen_at = ~uint64_t(0);  // the last block looked up, and its bytes
  const std::string* last_seen = nullptr;
  std::string block_bytes;
  bool retranslate = false;
  uc_context* initial = nullptr;  // the CPU state of a new engine
  // Every mapping with its protection and host memory, inaccessible ones
  // too (which Unicorn does not map: see map_host).
  struct Piece {
    uint64_t end;
    uint32_t prot;
    uint8_t* host;
  };
  std::map<uint64_t, Piece> pieces;
  // Calls fn(s, e, piece) for the part [s, e) of every piece inside
  // [begin, end), with the piece cut to exactly that part; fn returns false
  // to remove it.
  template <class F>
  void change(uint64_t begin, uint64_t end, F&& fn) {
    auto it = pieces.upper_bound(begin);
    if (it != pieces.begin() && std::prev(it)->second.end > begin) --it;
    while (it != pieces.end() && it->first < end) {
      uint64_t start = it->first;
      Piece p = it->second;
      it = pieces.erase(it);
      uint64_t s = std::max(start, begin), e = std::min(p.end, end);
      if (start < s) pieces[start] = {s, p.prot, p.host};
      if (e < p.end) it = pieces.emplace(e, Piece{p.end, p.prot, p.host + (e - start)}).first;
      Piece mid{e, p.prot, p.host + (s - start)};
      if (fn(s, e, mid)) pieces[s] = mid;
    }
  }
  // Sites (set_sites): their hooks, and the one the current run resumed
  // before, which is let through once.
  SiteHandler* site_handler = nullptr;
  std::vector<uint64_t> sites;
  std::vector<uc_hook> site_hooks;
  uint64_t resumed_site = ~uint64_t(0);
  bool site_stop = false;
  // trace_memory(): the last instruction seen and the hooks.
  MemoryTracer* tracer = nullptr;
  uint64_t trace_pc = 0;
  uc_hook trace_code_hook = 0, trace_mem_hook = 0, trace_block_hook = 0;
  bool flush_pending = false;
  uint64_t fault_back = 0;  // bytes from the reported RIP back to the faulting instruction
  uint64_t io_fault_rip = 0;  // where an in/out faulted (see on_in)
  bool exception_taken = false;  // a CPU exception reached on_interrupt

  uint64_t ticks() const { return next_check - left; }
  void set_next_check(uint64_t now) {
    next_check = std::max(tick_limit, now);
    left = next_check - now;
  }

  // ---- hooks (called from inside uc_emu_start) ----

  // One tick per basic block about to execute. At the budget, the block must
  // not run: uc_emu_stop() alone is not enough (measured: the stop takes
  // effect a few chained blocks later while RIP keeps the value of this
  // block, so resuming there re-ran guest code and corrupted results).
  // Writing RIP from the hook leaves the translated block at once; with the
  // stop request pending, uc_emu_start returns with RIP = this block. On
  // restart the hook fires again for it and counts it then. Ticks are thus
  // exact whatever the budgets (tests/trace_cases.sh slice_invariance).
  // The hot path is one test and one decrement (it runs ~10^8 times a
  // second; docs/DESIGN.md "Ticks and preemption"); the rest is on_check.
  static void on_block(uc_engine* uc, uint64_t address, uint32_t, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    if (self->left == 0) [[unlikely]]
      return on_check(uc, address, self);
    --self->left;
  }

  // The countdown reached the tick limit: this block must not run.
  [[gnu::noinline]] static void on_check(uc_engine* uc, uint64_t address, Impl* self) {
    self->budget_hit = true;
    uc_emu_stop(uc);
    uc_reg_write(uc, UC_X86_REG_RIP, &address);
  }

  static void on_syscall(uc_engine* uc, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    static int ids[8] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
                         UC_X86_REG_R10, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_RIP};
    SyscallRegs r;
    void* ptrs[8] = {&r.nr, &r.args[0], &r.args[1], &r.args[2],
                     &r.args[3], &r.args[4], &r.args[5], &r.rip};
    uc_reg_read_batch(uc, ids, ptrs, 8);
    if (self->handler) self->handler->on_syscall(r);
  }

  // A fixed, host-independent CPUID. Returning 1 skips Unicorn's own answer.
  static int on_cpuid(uc_engine* uc, void*) {
    uint64_t leaf = 0, sub = 0;
    uc_reg_read(uc, UC_X86_REG_RAX, &leaf);
    uc_reg_read(uc, UC_X86_REG_RCX, &sub);
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (const CpuidLeaf& l : cpuid_table()) {
      if (l.leaf == static_cast<uint32_t>(leaf) &&
          (l.subleaf == static_cast<uint32_t>(sub) || l.subleaf == 0xffffffffu)) {
        a = l.eax, b = l.ebx, c = l.ecx, d = l.edx;
        break;
      }
    }
    uc_reg_write(uc, UC_X86_REG_RAX, &a);
    uc_reg_write(uc, UC_X86_REG_RBX, &b);
    uc_reg_write(uc, UC_X86_REG_RCX, &c);
    uc_reg_write(uc, UC_X86_REG_RDX, &d);
    return 1;
  }

  // rdtsc cannot be hooked as an instruction in Unicorn 2.1.1, so each one
  // found in executable memory gets a code hook at its address. A code hook
  // only fires at an instruction boundary, so a match of the bytes 0F 31 that
  // lies inside another instruction never fires.
  static void on_timestamp_site(uc_engine* uc, uint64_t addr, uint32_t, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    uint8_t insn[2];
    if (uc_mem_read(uc, addr, insn, 2) != UC_ERR_OK || insn[0] != 0x0f || insn[1] != 0x31) return;
    uint64_t tsc = self->handler ? self->handler->on_timestamp() : 0;
    uint64_t lo = tsc & 0xffffffffu, hi = tsc >> 32, next = addr + 2;
    uc_reg_write(uc, UC_X86_REG_RAX, &lo);
    uc_reg_write(uc, UC_X86_REG_RDX, &hi);
    // Writing RIP from a code hook skips the instruction: Unicorn leaves the
    // current block and resumes at the new RIP.
    uc_reg_write(uc, UC_X86_REG_RIP, &next);
  }

  // Whether [address, address + size) overlaps watched memory; `in` is the
  // watched range that holds all of it, if one does.
  bool watched_block(uint64_t address, uint32_t size, const CodeRange*& in) const {
    auto it = range_after(watched, address);
    in = nullptr;
    if (it != watched.begin() && address < std::prev(it)->end) {
      if (address + size <= std::prev(it)->end) in = &*std::prev(it);
      return true;
    }
    return it != watched.end() && it->begin < address + size;
  }

  bool add_timestamp_site(uint64_t site) {
    if (!timestamp_sites.insert(site).second) return false;
    uc_hook h;
    uc_hook_add(uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&on_timestamp_site), this, site, site);
    uc_ctl_remove_cache(uc, site, site + 2);
    return true;
  }

  // The block hook while some code is watched (watch_code()): the same
  // count, after a look at blocks in the watched span. Swapping the whole
  // hook keeps a single block hook, which Unicorn calls directly from the
  // translated code; with two, every block would go through its dispatcher.
  static void on_block_watching(uc_engine* uc, uint64_t address, uint32_t size, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    if (address - self->watch_lo < self->watch_span && self->check_code(uc, address, size)) [[unlikely]]
      return;  // not run now, so not counted
    if (self->left == 0) [[unlikely]]
      return on_check(uc, address, self);
    --self->left;
  }

  // True when the block must not run: its code changed since it was
  // translated, or it holds a new rdtsc site (whose hook must be translated
  // into it); the guest stops at it and Engine::run starts it again.
  bool check_code(uc_engine* uc, uint64_t address, uint32_t size) {
    const CodeRange* in;
    if (size == 0 || !watched_block(address, size, in)) return false;
    std::string_view now;
    if (in) {
      now = {reinterpret_cast<const char*>(in->host + (address - in->begin)), size};
    } else {  // the block runs across the edge of a watched range
      block_bytes.resize(size);
      if (uc_mem_read(uc, address, block_bytes.data(), size) != UC_ERR_OK) return false;
      now = block_bytes;
    }
    if (address == last_seen_at && *last_seen == now) return false;  // a loop in one block
    auto [seen, first] = code_seen.try_emplace(address);
    last_seen_at = address;
    last_seen = &seen->second;
    if (!first && seen->second == now) return false;
    // First sight of this translation, or its bytes changed since: scan it
    // for rdtsc; a changed block, or one with a new rdtsc site, runs again.
    bool again = !first;
    for (uint64_t off : find_timestamp_insns(reinterpret_cast<const uint8_t*>(now.data()), size))
      again |= add_timestamp_site(address + off);
    seen->second = now;
    if (!again) return false;
    uc_ctl_remove_cache(uc, address, address + size);
    retranslate = true;
    uc_emu_stop(uc);
    uc_reg_write(uc, UC_X86_REG_RIP, &address);
    return true;
  }

  static void on_site(uc_engine* uc, uint64_t address, uint32_t, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    if (address == std::exchange(self->resumed_site, ~uint64_t(0))) return;
    if (!self->site_handler || !self->site_handler->stop_before(address)) return;
    // As at the budget: writing RIP leaves the block before this instruction.
    self->site_stop = true;
    uc_emu_stop(uc);
    uc_reg_write(uc, UC_X86_REG_RIP, &address);
  }

  static void on_trace_code(uc_engine*, uint64_t address, uint32_t, void* ud) {
    static_cast<Impl*>(ud)->trace_pc = address;
  }
  static void on_trace_block(uc_engine*, uint64_t address, uint32_t, void* ud) {
    static_cast<Impl*>(ud)->tracer->on_block(address);
  }
  static void on_trace_mem(uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    self->tracer->on_access(self->trace_pc, addr, uint32_t(size), type == UC_MEM_WRITE);
  }

  static bool on_mem_invalid(uc_engine* uc, uc_mem_type type, uint64_t addr, int, int64_t,
                             void* ud) {
    auto* self = static_cast<Impl*>(ud);
    if ((type == UC_MEM_READ_UNMAPPED || type == UC_MEM_WRITE_UNMAPPED) && self->handler &&
        self->handler->on_unmapped_access(addr))
      return true;  // mapped now: Unicorn retries the access
    FaultKind k = FaultKind::kOtherException;
    switch (type) {
      case UC_MEM_READ_UNMAPPED: k = FaultKind::kReadUnmapped; break;
      case UC_MEM_WRITE_UNMAPPED: k = FaultKind::kWriteUnmapped; break;
      case UC_MEM_FETCH_UNMAPPED: k = FaultKind::kFetchUnmapped; break;
      case UC_MEM_READ_PROT: k = FaultKind::kReadProt; break;
      case UC_MEM_WRITE_PROT: k = FaultKind::kWriteProt; break;
      case UC_MEM_FETCH_PROT: k = FaultKind::kFetchProt; break;
      default: break;
    }
    self->fault.kind = k;
    self->fault.addr = addr;
    (void)uc;
    return false;
  }

  static void on_interrupt(uc_engine* uc, uint32_t intno, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    FaultKind k;
    switch (intno) {
      case 0: k = FaultKind::kDivideError; break;
      case 3: k = FaultKind::kBreakpoint; break;
      case 6: k = FaultKind::kInvalidOpcode; break;
      case 13: k = FaultKind::kGeneralProtection; break;
      default: k = FaultKind::kOtherException; break;
    }
    if (intno >= 32) {
      // `int n` (CD ib) of user code: no gate a user may call (Linux without
      // the 32-bit ABI: int 0x80 too), so #GP at the instruction itself;
      // Unicorn reports it after the instruction.
      k = FaultKind::kGeneralProtection;
      self->fault_back = 2;
    }
    self->fault.kind = k;
    self->fault.vector = intno;
    self->exception_taken = true;
    uc_emu_stop(uc);
  }

  // in/out: user mode without I/O permission (IOPL 0, no bitmap), #GP as on
  // Linux; Unicorn's own check lets them through.
  static uint32_t on_in(uc_engine* uc, uint32_t, int, void* ud) {
    io_fault(uc, static_cast<Impl*>(ud));
    return 0;
  }
  static void on_out(uc_engine* uc, uint32_t, int, uint32_t, void* ud) { io_fault(uc, static_cast<Impl*>(ud)); }
  static void io_fault(uc_engine* uc, Impl* self) {
    if (self->fault.kind != FaultKind::kNone) return;
    self->fault.kind = FaultKind::kGeneralProtection;
    self->fault.vector = 13;
    uint64_t rip = 0;
    uc_reg_read(uc, UC_X86_REG_RIP, &rip);
    self->io_fault_rip = rip;
    uc_emu_stop(uc);
  }

  static bool on_invalid_insn(uc_engine* uc, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    self->fault.kind = FaultKind::kInvalidOpcode;
    self->fault.vector = 6;
    (void)uc;
    return false;
  }
};

Engine::Engine() : impl_(std::make_unique<Impl>()) {
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &impl_->uc) != UC_ERR_OK)
    throw std::runtime_error("cannot create a Unicorn x86-64 engine");
  uc_engine* uc = impl_->uc;
  // Nehalem executes SSE4.2 and POPCNT but not RDRAND/RDSEED/RDTSCP, which
  // would leak host randomness or time; those raise #UD (SIGILL) instead,
  // as on a real CPU without them. CPUID (cpuid.cc) advertises the same set.
  uc_ctl_set_cpu_model(uc, UC_CPU_X86_NEHALEM);
  uc_hook h;
  uc_hook_add(uc, &impl_->tick_hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(&Impl::on_block), impl_.get(), 1,
              0);
  uc_hook_add(uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Impl::on_syscall), impl_.get(), 1, 0,
              UC_X86_INS_SYSCALL);
  uc_hook_add(uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Impl::on_cpuid), impl_.get(), 1, 0,
              UC_X86_INS_CPUID);
  uc_hook_add(uc, &h, UC_HOOK_MEM_INVALID, reinterpret_cast<void*>(&Impl::on_mem_invalid),
              impl_.get(), 1, 0);
  uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Impl::on_interrupt), impl_.get(), 1,
              0);
  uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, reinterpret_cast<void*>(&Impl::on_invalid_insn),
              impl_.get(), 1, 0);
  uc_hook_add(uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Impl::on_in), impl_.get(), 1, 0, UC_X86_INS_IN);
  uc_hook_add(uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Impl::on_out), impl_.get(), 1, 0, UC_X86_INS_OUT);
  // Unicorn gives each mapping a range of "ram addresses", which key the
  // translated code. Until a first mapping is removed it places new ones
  // right after the last (unaligned); afterwards it searches gaps starting
  // at 256 KiB-aligned ends of existing mappings, ignoring any mapping that
  // begins before such a point, so a new mapping could land inside an
  // unaligned older one (measured: stores to the new one then discarded the
  // old one's translations, and a reused engine translated code again on
  // every reuse). One mapping removed now puts every mapping on the aligned
  // path, where ranges cannot overlap.
  //
  // That first mapping also takes the CPU to user mode: Unicorn starts at
  // CPL 0, where cli, in/out, hlt and the like run instead of faulting; an
  // iretq through a GDT with Linux's user segments (CS 0x33, SS 0x2b) makes
  // it CPL 3, so they raise #GP (SIGSEGV) as on Linux. The GDT stays mapped,
  // read-only, in the page just above the user address space (which Linux
  // leaves unmapped: a guest that reads it there sees the GDT).
  if (uc_mem_map_ptr(uc, kGdtAddress, kPageSize, UC_PROT_READ, user_mode_gdt()) != UC_ERR_OK ||
      uc_mem_map(uc, 0, kPageSize, UC_PROT_ALL) != UC_ERR_OK)
    throw std::runtime_error("cannot set up the Unicorn engine's memory");
  {
    uc_x86_mmr gdtr{0, kGdtAddress, 7 * 8 - 1, 0};
    const uint8_t iretq[] = {0x48, 0xcf};
    const uint64_t frame[5] = {kUserEntry, 0x33, 0x202, 0x800, 0x2b};  // rip, cs, rflags, rsp, ss
    uint64_t sp = 0x100;
    impl_->tick_limit = ~uint64_t(0);  // the tick hook lets the iretq run
    impl_->set_next_check(0);
    if (uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr) != UC_ERR_OK || uc_mem_write(uc, 0, iretq, sizeof iretq) ||
        uc_mem_write(uc, sp, frame, sizeof frame) || uc_reg_write(uc, UC_X86_REG_RSP, &sp) ||
        uc_emu_start(uc, 0, kUserEntry, 0, 0) != UC_ERR_OK)
      throw std::runtime_error("cannot take the Unicorn engine to user mode");
    uint64_t zero = 0;
    uc_reg_write(uc, UC_X86_REG_RSP, &zero);
    uc_reg_write(uc, UC_X86_REG_RIP, &zero);
    impl_->tick_limit = impl_->left = impl_->next_check = 0;  // no tick counted
  }
  if (uc_mem_unmap(uc, 0, kPageSize) != UC_ERR_OK) throw std::runtime_error("cannot set up the Unicorn engine's memory");
  reset_fpu();
  if (uc_context_alloc(uc, &impl_->initial) != UC_ERR_OK) throw std::runtime_error("uc_context_alloc");
  uc_context_save(uc, impl_->initial);
}

Engine::~Engine() {
  if (impl_->initial) uc_context_free(impl_->initial);
  if (impl_->uc) uc_close(impl_->uc);
}

void Engine::reset_cpu() { uc_context_restore(impl_->uc, impl_->initial); }

void Engine::set_trap_handler(TrapHandler* h) { impl_->handler = h; }

// Memory with no access at all is not mapped in Unicorn: a guard page made
// inside a large mapping (a thread stack) would make Unicorn split the
// region, which costs a TLB flush for every page of it (measured: 4 ms for
// an 8 MiB stack). Every access to such memory faults as unmapped; the
// kernel, which knows the mapping, tells it from a hole.
bool Engine::map_host(uint64_t addr, uint64_t len, uint32_t prot, void* host) {
  if (prot != kProtNone && uc_mem_map_ptr(impl_->uc, addr, len, to_uc_prot(prot), host) != UC_ERR_OK) return false;
  impl_->pieces[addr] = {addr + len, prot, static_cast<uint8_t*>(host)};
  return true;
}

bool Engine::unmap(uint64_t addr, uint64_t len) {
  bool ok = true;
  impl_->change(addr, addr + len, [&](uint64_t s, uint64_t e, Impl::Piece& p) {
    if (p.prot != kProtNone) ok &= uc_mem_unmap(impl_->uc, s, e - s) == UC_ERR_OK;
    return false;  // gone
  });
  return ok;
}

bool Engine::protect(uint64_t addr, uint64_t len, uint32_t prot) {
  bool ok = true;
  impl_->change(addr, addr + len, [&](uint64_t s, uint64_t e, Impl::Piece& p) {
    uc_engine* uc = impl_->uc;
    if (p.prot == prot) return true;
    if (prot == kProtNone) ok &= uc_mem_unmap(uc, s, e - s) == UC_ERR_OK;
    else if (p.prot == kProtNone) ok &= uc_mem_map_ptr(uc, s, e - s, to_uc_prot(prot), p.host) == UC_ERR_OK;
    else ok &= uc_mem_protect(uc, s, e - s, to_uc_prot(prot)) == UC_ERR_OK;
    p.prot = prot;
    return true;
  });
  return ok;
}
bool Engine::read(uint64_t addr, void* dst, size_t len) {
  return len == 0 || uc_mem_read(impl_->uc, addr, dst, len) == UC_ERR_OK;
}

std::vector<Engine::Region> Engine::regions() const {
  uc_mem_region* r = nullptr;
  uint32_t count = 0;
  std::vector<Region> out;
  if (uc_mem_regions(impl_->uc, &r, &count) != UC_ERR_OK) return out;
  for (uint32_t i = 0; i < count; ++i) out.push_back({r[i].begin, r[i].end + 1, r[i].perms});  // end is inclusive
  uc_free(r);
  std::sort(out.begin(), out.end(), [](const Region& a, const Region& b) { return a.begin < b.begin; });
  return out;
}

void Engine::watch_timestamp_insns(uint64_t addr, uint64_t len) {
  std::unique_ptr<uint8_t[]> code(new uint8_t[len]);
  if (!read(addr, code.get(), len)) return;
  watch_timestamp_sites(addr, find_timestamp_insns(code.get(), len));
}

std::vector<uint64_t> Engine::find_timestamp_insns(const uint8_t* code, size_t len) {
  std::vector<uint64_t> offsets;
  const uint8_t* p = code;
  const uint8_t* end = code + len;
  while ((p = static_cast<const uint8_t*>(std::memchr(p, 0x0f, size_t(end - p)))) && p + 1 < end) {
    if (p[1] == 0x31) offsets.push_back(uint64_t(p - code));
    ++p;
  }
  return offsets;
}

void Engine::watch_timestamp_sites(uint64_t base, const std::vector<uint64_t>& offsets) {
  for (uint64_t off : offsets) add_timestamp_site(base + off);
}

size_t Engine::timestamp_sites() const { return impl_->timestamp_sites.size(); }

void Engine::copy_timestamp_sites(const Engine& other) {
  for (uint64_t site : other.impl_->timestamp_sites) add_timestamp_site(site);
}

bool Engine::add_timestamp_site(uint64_t site) { return impl_->add_timestamp_site(site); }

uint64_t Engine::reg(Reg r) const {
  uint64_t v = 0;
  uc_reg_read(impl_->uc, kUcReg[static_cast<int>(r)], &v);
  return v;
}
void Engine::set_reg(Reg r, uint64_t v) { uc_reg_write(impl_->uc, kUcReg[static_cast<int>(r)], &v); }

Regs Engine::regs() const {
  Regs out;
  int ids[static_cast<int>(Reg::kCount)];
  void* ptrs[static_cast<int>(Reg::kCount)];
  for (int i = 0; i < static_cast<int>(Reg::kCount); ++i) {
    ids[i] = kUcReg[i];
    ptrs[i] = &out.gpr[i];
  }
  uc_reg_read_batch(impl_->uc, ids, ptrs, static_cast<int>(Reg::kCount));
  return out;
}

void Engine::set_regs(const Regs& regs) {
  for (int i = 0; i < static_cast<int>(Reg::kCount); ++i) {
    uint64_t v = regs.gpr[i];
    uc_reg_write(impl_->uc, kUcReg[i], &v);
  }
}

void Engine::reset_fpu() {
  // Linux starts a process with FPCW 0x037F (64-bit precision, all exceptions
  // masked) and MXCSR 0x1F80; Unicorn starts both at zero.
  uint64_t fpcw = 0x37f, mxcsr = 0x1f80;
  uc_reg_write(impl_->uc, UC_X86_REG_FPCW, &fpcw);
  uc_reg_write(impl_->uc, UC_X86_REG_MXCSR, &mxcsr);
}

Context Engine::save() const {
  Context c;
  uc_context* ctx = nullptr;
  if (uc_context_alloc(impl_->uc, &ctx) != UC_ERR_OK) throw std::runtime_error("uc_context_alloc");
  uc_context_save(impl_->uc, ctx);
  c.ctx_ = ctx;
  return c;
}

void Engine::restore(const Context& c) {
  if (c.ctx_) uc_context_restore(impl_->uc, static_cast<uc_context*>(c.ctx_));
}

namespace {

// The registers a program can see and change, x87 and SSE state included.
std::vector<int> user_visible_registers() {
  std::vector<int> ids = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX,  UC_X86_REG_RDX, UC_X86_REG_RSI,
                          UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,  UC_X86_REG_R8,  UC_X86_REG_R9,
                          UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12,  UC_X86_REG_R13, UC_X86_REG_R14,
                          UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FPCW, UC_X86_REG_FPSW,
                          UC_X86_REG_FPTAG, UC_X86_REG_FIP, UC_X86_REG_FDP, UC_X86_REG_FOP, UC_X86_REG_MXCSR};
  for (int i = 0; i < 8; ++i) ids.push_back(UC_X86_REG_FP0 + i);
  for (int i = 0; i < 16; ++i) ids.push_back(UC_X86_REG_XMM0 + i);
  ids.push_back(UC_X86_REG_FS_BASE);
  ids.push_back(UC_X86_REG_GS_BASE);
  return ids;
}

}  // namespace

// Unicorn 2.1.1 hands CPU exceptions to the interrupt hook without marking
// them delivered (QEMU's x86_cpu_do_interrupt() resets "the exception in
// flight"; Unicorn's hook path does not), so after a divide error or #GP the
// next one is taken for a double fault and the one after that for a triple
// fault, which ends emulation. A fault the guest survives (a signal handler)
// must leave none in flight: the initial CPU state has none, and every
// register a program sees is put back over it.
void Engine::clear_exception_in_flight() {
  static const std::vector<int> ids = user_visible_registers();
  uc_engine* uc = impl_->uc;
  uc_context* now = nullptr;
  if (uc_context_alloc(uc, &now) != UC_ERR_OK) throw std::runtime_error("uc_context_alloc");
  uc_context_save(uc, now);
  uc_context_restore(uc, impl_->initial);
  alignas(16) uint8_t value[64];
  for (int id : ids) {
    std::memset(value, 0, sizeof value);
    if (uc_context_reg_read(now, id, value) == UC_ERR_OK) uc_reg_write(uc, id, value);
  }
  uc_context_free(now);
}

StopReason Engine::run(uint64_t rip, uint64_t tick_limit, uint64_t resumed_site) {
  Impl& s = *impl_;
  s.tick_limit = tick_limit;
  s.set_next_check(s.ticks());
  s.stop_requested = false;
  s.budget_hit = false;
  s.site_stop = false;
  s.fault_back = 0;
  s.io_fault_rip = 0;
  s.exception_taken = false;
  s.resumed_site = rip == resumed_site ? rip : ~uint64_t(0);
  s.fault = Fault{};
  if (std::exchange(s.flush_pending, false)) {
    // Not uc_ctl_flush_tb(): it zeroes the whole translation buffer (measured:
    // 1.9 s and 1 GB of resident memory). Only executable memory has code.
    for (const Region& r : regions())
      if (r.prot & UC_PROT_EXEC) uc_ctl_remove_cache(s.uc, r.begin, r.end);
  }
  uc_err err;
  do {  // check_code() stops to run a block again from new code
    s.retranslate = false;
    err = uc_emu_start(s.uc, rip, kNoUntil, 0, 0);
    rip = reg(Reg::rip);
  } while (s.retranslate && err == UC_ERR_OK && s.fault.kind == FaultKind::kNone && !s.stop_requested &&
           !s.budget_hit && !s.site_stop);
  uint64_t pc = rip;
  if (s.fault.kind != FaultKind::kNone || err != UC_ERR_OK) {
    if (s.fault.kind == FaultKind::kNone) {
      switch (err) {
        case UC_ERR_INSN_INVALID: s.fault.kind = FaultKind::kInvalidOpcode; break;
        case UC_ERR_READ_UNMAPPED: s.fault.kind = FaultKind::kReadUnmapped; break;
        case UC_ERR_WRITE_UNMAPPED: s.fault.kind = FaultKind::kWriteUnmapped; break;
        case UC_ERR_FETCH_UNMAPPED: s.fault.kind = FaultKind::kFetchUnmapped; break;
        case UC_ERR_READ_PROT: s.fault.kind = FaultKind::kReadProt; break;
        case UC_ERR_WRITE_PROT: s.fault.kind = FaultKind::kWriteProt; break;
        case UC_ERR_FETCH_PROT: s.fault.kind = FaultKind::kFetchProt; break;
        default: s.fault.kind = FaultKind::kOtherException; break;
      }
    }
    s.fault.rip = s.io_fault_rip ? s.io_fault_rip : pc - s.fault_back;
    bool data_fault = s.fault.kind == FaultKind::kReadUnmapped || s.fault.kind == FaultKind::kWriteUnmapped ||
                      s.fault.kind == FaultKind::kReadProt || s.fault.kind == FaultKind::kWriteProt;
    if (data_fault) {
      // RIP is the start of the faulting block (fault_locator.cc).
      bool write = s.fault.kind == FaultKind::kWriteUnmapped || s.fault.kind == FaultKind::kWriteProt;
      s.fault.rip = find_faulting_instruction(*this, regs(), pc, s.fault.addr, write);
      set_reg(Reg::rip, s.fault.rip);
    }
    if (s.fault.kind == FaultKind::kFetchUnmapped || s.fault.kind == FaultKind::kFetchProt) {
      if (s.fault.addr == 0) s.fault.addr = pc;
    } else if (s.fault.kind >= FaultKind::kInvalidOpcode) {
      s.fault.addr = s.fault.rip;
    }
    if (s.exception_taken) clear_exception_in_flight();
    return StopReason::kFault;
  }
  if (s.stop_requested) return StopReason::kRequested;
  if (s.budget_hit) return StopReason::kBudget;
  if (s.site_stop) return StopReason::kSite;
  // Emulation ended on its own: `hlt` (privileged in user mode on Linux).
  s.fault.kind = FaultKind::kGeneralProtection;
  s.fault.rip = s.fault.addr = pc;
  return StopReason::kFault;
}

void Engine::request_stop() {
  impl_->stop_requested = true;
  uc_emu_stop(impl_->uc);
}

void Engine::lower_tick_limit(uint64_t limit) {
  if (limit >= impl_->tick_limit) return;
  uint64_t now = impl_->ticks();
  impl_->tick_limit = limit;
  impl_->set_next_check(now);
}

uint64_t Engine::tick_limit() const { return impl_->tick_limit; }

uint64_t Engine::next_rip() const { return reg(Reg::rip); }
uint64_t Engine::ticks() const { return impl_->ticks(); }
const Fault& Engine::fault() const { return impl_->fault; }

void Engine::invalidate_code(uint64_t addr, uint64_t len) {
  uc_ctl_remove_cache(impl_->uc, addr, addr + len);
}

bool Engine::watching_code() const { return !impl_->watched.empty(); }

void Engine::watch_code(std::vector<CodeRange> ranges) {
  Impl& s = *impl_;
  if (ranges == s.watched) return;
  // Blocks seen in memory no longer watched are forgotten; code in watched
  // memory may have been translated before it was watched: drop it.
  s.last_seen_at = ~uint64_t(0);
  std::erase_if(s.code_seen, [&](const auto& kv) {
    auto it = range_after(ranges, kv.first);
    return it == ranges.begin() || kv.first >= std::prev(it)->end;
  });
  for (const CodeRange& r : ranges) uc_ctl_remove_cache(s.uc, r.begin, r.end);
  bool was = !s.watched.empty();
  s.watched = std::move(ranges);
  // A block that begins in the page before the span may run into it.
  s.watch_lo = s.watched.empty()
                   ? 0
                   : s.watched.front().begin - std::min<uint64_t>(s.watched.front().begin, kPageSize);
  s.watch_span = s.watched.empty() ? 0 : s.watched.back().end - s.watch_lo;
  if (was == !s.watched.empty()) return;
  // Swap the block hook. Deleting one drops all code translated with it
  // (Unicorn keeps track), which is then translated with the new one.
  uc_hook_del(s.uc, s.tick_hook);
  auto* fn = s.watched.empty() ? &Impl::on_block : &Impl::on_block_watching;
  uc_hook_add(s.uc, &s.tick_hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(fn), &s, 1, 0);
}

void Engine::set_sites(const std::vector<uint64_t>& sites, SiteHandler* handler) {
  Impl& s = *impl_;
  s.site_handler = handler;
  if (sites == s.sites) return;
  for (uc_hook h : s.site_hooks) uc_hook_del(s.uc, h);  // drops the code translated with them
  s.site_hooks.clear();
  s.sites = sites;
  for (uint64_t site : sites) {
    uc_hook h;
    if (uc_hook_add(s.uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&Impl::on_site), &s, site, site) != UC_ERR_OK)
      throw std::runtime_error("cannot add a site hook");
    s.site_hooks.push_back(h);
    uc_ctl_remove_cache(s.uc, site, site + 1);
  }
}

const std::vector<uint64_t>& Engine::sites() const { return impl_->sites; }

void Engine::trace_memory(MemoryTracer* tracer) {
  Impl& s = *impl_;
  if ((tracer != nullptr) == (s.tracer != nullptr)) {
    s.tracer = tracer;
    return;
  }
  s.tracer = tracer;
  if (tracer) {
    uc_hook_add(s.uc, &s.trace_code_hook, UC_HOOK_CODE, reinterpret_cast<void*>(&Impl::on_trace_code), &s, 1, 0);
    uc_hook_add(s.uc, &s.trace_mem_hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                reinterpret_cast<void*>(&Impl::on_trace_mem), &s, 1, 0);
    uc_hook_add(s.uc, &s.trace_block_hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(&Impl::on_trace_block), &s, 1, 0);
    // Code translated before has no calls to them. It is dropped when the
    // next run() starts: this may be a trap handler, inside translated code.
    s.flush_pending = true;
  } else {
    uc_hook_del(s.uc, s.trace_code_hook);
    uc_hook_del(s.uc, s.trace_mem_hook);
    uc_hook_del(s.uc, s.trace_block_hook);
  }
}

void Engine::translate(const std::vector<uint64_t>& blocks) {
  Impl& s = *impl_;
  // The run this is nested in keeps its own bookkeeping.
  const uint64_t left = s.left, next_check = s.next_check, limit = s.tick_limit;
  const bool budget_hit = s.budget_hit, site_stop = s.site_stop, retranslate = s.retranslate;
  const uint64_t resumed = s.resumed_site;
  const Fault fault = s.fault;
  Context saved = save();
  for (uint64_t addr : blocks) {
    s.tick_limit = s.next_check - s.left;  // now: the first block's hook stops it
    s.set_next_check(s.tick_limit);
    s.resumed_site = ~uint64_t(0);
    uc_emu_start(s.uc, addr, kNoUntil, 0, 0);
  }
  restore(saved);
  s.left = left, s.next_check = next_check, s.tick_limit = limit;
  s.budget_hit = budget_hit, s.site_stop = site_stop, s.retranslate = retranslate;
  s.resumed_site = resumed;
  s.fault = fault;
  s.stop_requested = true;  // the nested stops left Unicorn's own request set
}

}  // namespace cpu
