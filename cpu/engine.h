// cpu::Engine — one emulated x86-64 address space and CPU, built on Unicorn.
// It knows registers, memory, ticks, traps and faults; it knows nothing of Linux.
// No Unicorn type appears in this header: kernel/ includes it freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cpu {

constexpr uint64_t kPageSize = 4096;

// Page protection bits, the same values as PROT_READ/WRITE/EXEC.
enum Prot : uint32_t { kProtNone = 0, kProtRead = 1, kProtWrite = 2, kProtExec = 4 };

enum class Reg : uint8_t {
  rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15,
  rip, rflags, fs_base, gs_base,
  kCount
};

// General-purpose state; x87/SSE state lives in Context (opaque, complete).
struct Regs {
  uint64_t gpr[static_cast<int>(Reg::kCount)] = {};
  uint64_t& operator[](Reg r) { return gpr[static_cast<int>(r)]; }
  uint64_t operator[](Reg r) const { return gpr[static_cast<int>(r)]; }
};

// The six syscall argument registers plus the number, read in one batch.
struct SyscallRegs {
  uint64_t nr;
  uint64_t args[6];
  uint64_t rip;  // address of the `syscall` instruction
};

enum class FaultKind : uint8_t {
  kNone,
  kReadUnmapped, kWriteUnmapped, kFetchUnmapped,
  kReadProt, kWriteProt, kFetchProt,
  kInvalidOpcode,   // #UD
  kDivideError,     // #DE
  kBreakpoint,      // int3
  kGeneralProtection,
  kOtherException,
};
const char* to_string(FaultKind k);

struct Fault {
  FaultKind kind = FaultKind::kNone;
  uint64_t addr = 0;  // faulting data address (memory faults) or rip
  uint64_t rip = 0;
  uint32_t vector = 0;  // exception vector when known
};

enum class StopReason : uint8_t {
  kRequested,  // request_stop() from a trap handler (syscall, exit, exec, ...)
  kBudget,     // tick budget exhausted: a deterministic preemption point
  kFault,      // see fault()
  kSite,       // the SiteHandler asked to stop before a site (see set_sites)
};

// Who answers traps. Called from inside emulation; may call Engine::request_stop().
class TrapHandler {
 public:
  virtual ~TrapHandler() = default;
  // The guest executed `syscall`. Write the result with set_reg(Reg::rax, ...).
  virtual void on_syscall(const SyscallRegs& regs) = 0;
  // The guest executed rdtsc/rdtscp: return the value it should read.
  virtual uint64_t on_timestamp() = 0;
  // A data access hit unmapped memory at `addr`. Return true after mapping
  // it (a growing stack) and the access is retried; false makes it a fault.
  virtual bool on_unmapped_access(uint64_t addr) { (void)addr; return false; }
};

// Asked before each execution of a site instruction (Engine::set_sites):
// true stops the guest there, before the instruction; next_rip() is then
// the site, and the run that resumes there does not ask again for it.
class SiteHandler {
 public:
  virtual ~SiteHandler() = default;
  virtual bool stop_before(uint64_t rip) = 0;
};

// Sees every data access of the guest (Engine::trace_memory): the address of
// the instruction, the address and size of the access, and its direction.
class MemoryTracer {
 public:
  virtual ~MemoryTracer() = default;
  virtual void on_access(uint64_t rip, uint64_t addr, uint32_t size, bool write) = 0;
  // A basic block is about to run at `addr`.
  virtual void on_block(uint64_t addr) { (void)addr; }
};

// A fixed CPUID table: the same answers on every host (see cpuid.cc).
struct CpuidLeaf {
  uint32_t leaf, subleaf, eax, ebx, ecx, edx;
};
const std::vector<CpuidLeaf>& cpuid_table();
std::string cpu_model_name();

// Saved CPU state (all GPRs, flags, segment bases, x87, SSE). No memory.
class Context {
 public:
  Context() = default;
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  ~Context();
  bool valid() const { return ctx_ != nullptr; }

 private:
  friend class Engine;
  void* ctx_ = nullptr;
};

class Engine {
 public:
  // Throws std::runtime_error when Unicorn cannot create an engine.
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void set_trap_handler(TrapHandler* h);

  // Memory. Addresses and lengths are page aligned; returns false on failure.
  // Maps host memory (which must outlive the mapping) at `addr`: engines
  // mapping the same host pages share them.
  bool map_host(uint64_t addr, uint64_t len, uint32_t prot, void* host);
  bool unmap(uint64_t addr, uint64_t len);
  bool protect(uint64_t addr, uint64_t len, uint32_t prot);
  // Host-side read ignoring guest protections; false if any byte is unmapped.
  // (Guest memory is host memory its owner reads and writes directly.)
  bool read(uint64_t addr, void* dst, size_t len);
  // The engine's mappings in address order: [begin, end) and protection.
  struct Region {
    uint64_t begin, end;
    uint32_t prot;
  };
  std::vector<Region> regions() const;

  // Look for rdtsc/rdtscp in [addr, addr+len) and trap them (see engine.cc).
  void watch_timestamp_insns(uint64_t addr, uint64_t len);
  // The offsets in `code` where an rdtsc could start (every 0F 31 pair).
  static std::vector<uint64_t> find_timestamp_insns(const uint8_t* code, size_t len);
  // Traps rdtsc at base + each of `offsets` (from find_timestamp_insns).
  void watch_timestamp_sites(uint64_t base, const std::vector<uint64_t>& offsets);
  // Traps the same rdtsc sites as `other` (a forked address space).
  void copy_timestamp_sites(const Engine& other);
  // How many sites are trapped (each is a code hook Unicorn checks while
  // translating every instruction).
  size_t timestamp_sites() const;

  // Registers.
  uint64_t reg(Reg r) const;
  void set_reg(Reg r, uint64_t v);
  Regs regs() const;
  void set_regs(const Regs& regs);
  // Set Linux's initial FPU state (FPCW 0x37F, MXCSR 0x1F80).
  void reset_fpu();
  // Every register back to what a new engine has (FPU as reset_fpu()): for
  // an engine that ran another program before.
  void reset_cpu();
  Context save() const;
  void restore(const Context& c);
  // After a CPU exception the guest survives (see engine.cc): registers
  // unchanged, no exception left in flight.
  void clear_exception_in_flight();

  // Run from `rip` until a trap handler requests a stop, a fault, a site
  // stop, or the tick counter reaches `tick_limit`. Ticks count retired
  // basic blocks. `resumed_site`: the site this run resumes before (from a
  // kSite stop), which is not asked about again.
  StopReason run(uint64_t rip, uint64_t tick_limit, uint64_t resumed_site = ~uint64_t(0));
  void request_stop();
  // Makes the running (or next) run() stop at `limit` ticks if that is
  // sooner than its own limit; callable from a trap handler. A limit
  // already passed stops before the next block.
  void lower_tick_limit(uint64_t limit);
  uint64_t tick_limit() const;
  // The guest resumes at `rip` the next time run() is called with next_rip().
  uint64_t next_rip() const;
  uint64_t ticks() const;
  const Fault& fault() const;
  // Discard translated code for [addr, addr+len) (after the host writes code).
  void invalidate_code(uint64_t addr, uint64_t len);

  // Executable memory whose bytes can change without a store through this
  // engine's view of them (MAP_SHARED memory: another mapping or engine
  // writes the same host pages), or that the guest writes and then runs
  // (writable and executable: code that appears after mmap/mprotect scanned
  // it). Every block that runs there is compared with the bytes it was last
  // seen with: changed code is translated again before it runs, and rdtsc
  // instructions in it are found as they appear. The ranges (sorted,
  // disjoint, each with the host memory behind it) replace the previous set.
  struct CodeRange {
    uint64_t begin, end;
    const uint8_t* host;
    bool operator==(const CodeRange&) const = default;
  };
  void watch_code(std::vector<CodeRange> ranges);
  bool watching_code() const;

  // Sites: instructions before which `handler` is asked whether to stop
  // (the scheduler's preemption points inside a block: accesses to shared
  // memory). Each is a code hook at one address; translated code at them is
  // dropped, so that the hook is in it. Replaces the previous set; an empty
  // set removes them all.
  void set_sites(const std::vector<uint64_t>& sites, SiteHandler* handler);
  const std::vector<uint64_t>& sites() const;
  // Memory tracing (null: off): every data access is reported, with the
  // address of the instruction that made it. Costly (every instruction and
  // every access calls back): for profiling runs only. Code already
  // translated reports nothing until the next run() (callable from a trap
  // handler, which should then end the run).
  void trace_memory(MemoryTracer* tracer);
  // Translates the basic blocks at `blocks` without running any of their
  // instructions (each is entered, and left by its tick hook at once), so
  // that copies of this engine (host forks) find them translated. Registers,
  // ticks and memory are as before. Callable from a trap handler, which
  // must then end the run: the engine's stop request stays set.
  void translate(const std::vector<uint64_t>& blocks);

 private:
  bool add_timestamp_site(uint64_t site);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpu
