// kernel::MemoryManager — one guest address space: its VMAs, brk, fixed
// (non-randomised) mmap placement, and checked copy-in/copy-out. It owns the
// cpu::Engine that emulates the address space.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/engine.h"
#include "kernel/memory_budget.h"
#include "kernel/shared_memory.h"

namespace kernel {

struct Inode;

// A guest virtual address. Never dereferenced: read through MemoryManager.
struct UserPtr {
  uint64_t addr = 0;
  UserPtr() = default;
  explicit UserPtr(uint64_t a) : addr(a) {}
  UserPtr operator+(uint64_t off) const { return UserPtr(addr + off); }
  bool null() const { return addr == 0; }
};

struct Vma {
  uint64_t start = 0, end = 0;  // [start, end), page aligned
  uint32_t prot = 0;            // PROT_* bits
  uint32_t flags = 0;           // MAP_* bits
  std::string name;             // "[stack]", "[heap]", a file path, or ""
  // Host memory behind the mapping and our offset in it: the MAP_SHARED
  // object, or (cow) a frozen snapshot of a read-only private mapping that
  // forked address spaces map in common until one of them makes its copy
  // writable. Null: the mapping lives in the engine's own memory.
  std::shared_ptr<SharedMemory> shared;
  uint64_t shared_offset = 0;
  bool cow = false;
  // A private file mapping: the file and the offset of `start` in it, for
  // MADV_DONTNEED, after which pages read the file again.
  std::shared_ptr<const Inode> file;
  uint64_t file_offset = 0;
  // False for a shared mapping of a file opened without write access
  // (VM_MAYWRITE clear): it can never become writable.
  bool may_write = true;
  // Given to a thread as its stack by clone (with the thread's own data,
  // glibc's struct pthread, at its top): not program data.
  bool thread_stack = false;
  // Charged to the memory budget (Linux's VM_ACCOUNT): private mappings
  // once writable, and shared anonymous memory.
  bool accounted = false;
  // True for MAP_SHARED memory: writes are seen by every address space.
  bool map_shared() const { return shared && !cow; }
};

// Engines of address spaces that are gone, kept for the next fork or exec.
// A fork child runs the code its parent runs, and an exec often loads a
// program that ran before (a shell's commands): an engine that already mapped
// the same frozen program text (the same host pages, see Vma::shared) keeps
// its translated code for it. Reusing that engine saves creating and
// destroying one and translating that code again. Only frozen mappings stay
// mapped in a pooled engine; they never change, so the translations of them
// stay right. What a pooled engine kept is invisible to the guest: a new
// address space claims the kept mappings it maps identically and settle()s
// away the rest before any guest code runs.
class EnginePool {
 public:
  struct Kept {
    uint64_t start, end;
    uint32_t prot;
    std::shared_ptr<SharedMemory> mem;
    uint64_t offset;
  };
  struct Entry {
    std::unique_ptr<cpu::Engine> engine;
    std::vector<Kept> kept;
    std::string program;  // what its last address space ran
  };
  static constexpr size_t kMaxEntries = 4;
  // An engine that has collected more rdtsc traps than this (from many
  // programs) is not kept: every trap slows the translation of every
  // instruction a little.
  static constexpr size_t kMaxTimestampSites = 512;
  // The most recently returned engine that last ran `program`, else the
  // most recent one, else an empty entry. (A shell alternates between its
  // own fork children and the programs they exec: taking any engine would
  // make each lose the translations the other needs.)
  Entry take(const std::string& program);
  void give_back(Entry e);

 private:
  std::vector<Entry> entries_;
};

class MemoryManager {
 public:
  // Layout of a process without ASLR (what Linux gives under `setarch -R`).
  static constexpr uint64_t kTaskSize = 0x7ffffffff000ULL;
  static constexpr uint64_t kStackTop = kTaskSize;
  static constexpr uint64_t kStackSize = 8ULL << 20;  // RLIMIT_STACK default
  static constexpr uint64_t kMmapBase = 0x7ffff7fff000ULL;
  static constexpr uint64_t kMinAddr = 0x10000;  // vm.mmap_min_addr
  static constexpr uint64_t kStaticPieBrk = 0x555555554000ULL;  // ELF_ET_DYN_BASE
  // Ditto's own cap on mapped guest memory: beyond it mmap/brk fail with ENOMEM.
  static constexpr uint64_t kDefaultMemoryLimit = 16ULL << 30;
  // Ditto's cap on mappings (Linux's vm.max_map_count is 65530): Unicorn's
  // flat view of an engine's memory holds at most 4096 sections and aborts
  // beyond. Past it, calls that would add a mapping fail with ENOMEM.
  static constexpr size_t kMaxVmas = 3000;

  // `pool` (optional) receives the engine when this address space goes, and
  // lends engines to its forks.
  explicit MemoryManager(std::shared_ptr<EnginePool> pool = nullptr);
  // An empty address space in an engine from `pool` when it has one (call
  // settle() once it is built), else in a new engine.
  static std::shared_ptr<MemoryManager> create(std::shared_ptr<EnginePool> pool, const std::string& program);
  // The program this address space runs (the guest path of its executable).
  std::string program;
  // Unmaps what a reused engine still maps and this address space did not
  // claim. Guest code must not run before.
  void settle();
  ~MemoryManager();
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;
  cpu::Engine& engine() { return *engine_; }

  // Returns the mapped address or -errno. `contents` (private file mappings)
  // is copied in, the rest of the mapping reads as zeros; `file` at
  // `file_offset` is where they came from.
  int64_t mmap(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
               std::string_view contents, const std::string& name,
               std::shared_ptr<const Inode> file = nullptr, uint64_t file_offset = 0);
  // A MAP_SHARED mapping of `obj` at byte offset `off` (page aligned).
  // Unless `may_write`, it can never become writable (mprotect: EACCES).
  int64_t mmap_shared(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                      std::shared_ptr<SharedMemory> obj, uint64_t off, const std::string& name,
                      bool may_write = true);
  // A private mapping at fixed `addr` whose bytes are the frozen `obj`
  // (program text and rodata: see freeze()), with the rdtsc sites found in
  // it; replaces what was there. Returns `addr` or -errno.
  int64_t mmap_frozen(uint64_t addr, uint32_t prot, std::shared_ptr<SharedMemory> obj,
                      const std::vector<uint64_t>& rdtsc_offsets, const std::string& name);
  // Where mmap(NULL, len) would place a mapping now (0: nowhere).
  uint64_t free_area(uint64_t len) const { return find_free(len, kMmapBase); }
  int64_t munmap(uint64_t addr, uint64_t len);
  int64_t mprotect(uint64_t addr, uint64_t len, uint32_t prot);
  int64_t mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
                 uint64_t new_addr);
  int64_t madvise(uint64_t addr, uint64_t len, int advice);
  // msync(2)'s checks (mm/msync.c): Ditto's files live in memory, so there
  // is nothing to write back; 0, EINVAL, or ENOMEM for a hole in the range.
  int64_t msync(uint64_t addr, uint64_t len, int flags) const;
  uint64_t brk(uint64_t want);
  // Extends the [stack] mapping down to cover `addr` when it lies within
  // RLIMIT_STACK of the stack top and nothing else is mapped in between
  // (mm/mmap.c:expand_stack()). True when `addr` is mapped afterwards.
  bool grow_stack(uint64_t addr);
  void set_brk_start(uint64_t start);
  uint64_t brk_start() const { return brk_start_; }
  // The process's RLIMIT_AS, RLIMIT_DATA (soft and hard) and RLIMIT_STACK,
  // kept current by the kernel: mappings, brk, mremap and stack growth fail
  // past them as may_expand_vm(), check_data_rlimit() and
  // acct_stack_growth() decide.
  void set_rlimits(uint64_t as, uint64_t data_cur, uint64_t data_max, uint64_t stack);
  // The program's data segment (end_data - start_data), which brk counts
  // against RLIMIT_DATA with the heap.
  void set_data_segment(uint64_t bytes) { data_segment_ = bytes; }
  // Where the program's ELF addresses were moved to (a static PIE), or 0.
  uint64_t load_bias = 0;

  // Checked access honouring guest protections: false means EFAULT.
  bool copy_in(UserPtr src, void* dst, size_t n);
  bool copy_out(UserPtr dst, const void* src, size_t n);
  // How many bytes from `addr` on (at most `n`) the guest may access with
  // `need` (kPROT_READ or kPROT_WRITE): where a copy that faults part of the
  // way stops. Grows the stack as a copy would.
  uint64_t accessible_prefix(uint64_t addr, uint64_t n, uint32_t need);
  // access_ok(): [addr, addr + n) lies in the user half at all.
  static bool user_range(uint64_t addr, uint64_t n) { return n <= kTaskSize && addr <= kTaskSize - n; }
  // Writes for the kernel itself (a new program's image and stack),
  // whatever the protection: false when a byte is unmapped.
  bool poke(uint64_t addr, const void* src, size_t n);
  template <class T>
  bool read(UserPtr p, T& out) { return copy_in(p, &out, sizeof(T)); }
  template <class T>
  bool write(UserPtr p, const T& v) { return copy_out(p, &v, sizeof(T)); }
  // A NUL-terminated string of at most `max` bytes (including the NUL):
  // 0, -EFAULT, or -ENAMETOOLONG.
  int64_t read_cstring(UserPtr p, size_t max, std::string& out);

  const std::map<uint64_t, Vma>& vmas() const { return vmas_; }
  // Calls fn(addr, page) for every mapped page, in address order, that
  // holds something other than zeros (for the end-of-run memory digest);
  // frozen mappings (whose bytes never change: program text and rodata)
  // go to `frozen` whole instead.
  void visit_nonzero_pages(const std::function<void(uint64_t, const uint8_t*)>& fn,
                           const std::function<void(const Vma&)>& frozen);
  // The VMA holding `addr`, or null.
  const Vma* find(uint64_t addr) const;
  // Marks the mapping holding `addr` a thread's stack (Vma::thread_stack).
  void mark_thread_stack(uint64_t addr) {
    auto it = vmas_.upper_bound(addr);
    if (it != vmas_.begin() && std::prev(it)->second.end > addr) std::prev(it)->second.thread_stack = true;
  }
  uint64_t mapped_bytes() const { return mapped_; }
  // Whether every page of [addr, addr + len) is mapped, whatever its protection.
  bool mapped(uint64_t addr, uint64_t len) const { return accessible(addr, len, 0); }
  void set_memory_limit(uint64_t bytes) { limit_ = bytes; }
  // The machine's memory that this address space's accounted mappings
  // come from (none: only the per-process limit applies).
  void set_budget(std::shared_ptr<MemoryBudget> b) { budget_ = std::move(b); }
  uint64_t committed_bytes() const { return committed_; }
  void set_max_vmas(size_t n) { max_vmas_ = n; }  // for tests: kMaxVmas by default
  // The task whose registers the engine holds (tasks sharing this address
  // space swap their saved contexts in and out).
  uint32_t active_tid = 0;
  // A copy of this address space in a new engine (fork): every mapping with
  // its protection and contents. Read-only private mappings (program text,
  // rodata, RELRO) are frozen into host memory that both engines map, so a
  // fork copies only the writable pages; of those, all-zero pages are skipped.
  std::shared_ptr<MemoryManager> fork();

 private:
  bool range_free(uint64_t start, uint64_t end) const;
  int64_t place(uint64_t addr, uint64_t size, uint32_t flags);
  uint64_t find_free(uint64_t len, uint64_t below) const;
  void split_at(uint64_t addr);
  bool accessible(uint64_t addr, size_t n, uint32_t need) const;
  void unmap_range(uint64_t start, uint64_t end);
  void merge_around(uint64_t start, uint64_t end);
  bool map_new(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags, const std::string& name);
  bool host_copy(uint64_t addr, void* buf, size_t n, bool to_guest);
  // Maps [start, end) of private_ in the engine.
  bool map_private(uint64_t start, uint64_t end, uint32_t prot);
  // Every mapping made adds an engine region, and VMAs that merge do not
  // merge them: every kCoalesceEvery private mappings, adjacent regions of
  // private memory with one protection become one.
  void coalesce_regions();
  // Tells the engine which executable memory can change behind its back
  // (cpu::Engine::watch_code): writable and executable, or MAP_SHARED and
  // executable. Cheap when no mapping is, or was, such.
  void sync_code_watch(uint32_t prot_involved);
  static constexpr uint32_t kCoalesceEvery = 256;
  uint32_t maps_since_coalesce_ = 0;
  // The VMAs that splitting at `addr` and `end` would add.
  size_t splits_at(uint64_t addr, uint64_t end) const;
  // Maps [start, end) of host memory `mem` + `off` in the engine.
  bool map_host_memory(uint64_t start, uint64_t end, uint32_t prot, const std::shared_ptr<SharedMemory>& mem,
                       uint64_t off);
  // Before mapping [start, end): true when the reused engine still maps it
  // exactly so (same host memory, offset and protection), which is then
  // kept; otherwise its kept mappings in the way are unmapped.
  bool claim(uint64_t start, uint64_t end, uint32_t prot, const SharedMemory* mem, uint64_t off);
  // Where guest `addr` inside `v` lives in host memory; null when it is
  // private memory whose arena was never made (it reads as zero).
  uint8_t* page_bytes(const Vma& v, uint64_t addr);
  // Calls fn(addr, bytes) for each page of [start, end) (inside `v`) that
  // holds something other than zeros; pages the host never had are skipped
  // without being touched (mincore).
  template <class F>
  void for_each_nonzero_page(const Vma& v, uint64_t start, uint64_t end, F&& fn);
  // Moves a private read-only mapping's contents into host memory (see
  // Vma::shared); false (and nothing changed) when host memory is short.
  bool freeze(Vma& v);
  // Gives a frozen mapping back private memory of its own, before a write.
  void thaw(Vma& v);

  MemoryManager(std::shared_ptr<EnginePool> pool, EnginePool::Entry reused);

  std::shared_ptr<EnginePool> pool_;
  std::vector<EnginePool::Kept> unclaimed_;  // of a reused engine, until settle()
  PrivateMemory private_;  // outlives the engine, which maps it
  std::unique_ptr<cpu::Engine> engine_;
  std::map<uint64_t, Vma> vmas_;
  uint64_t brk_start_ = 0, brk_ = 0;
  uint64_t mapped_ = 0;
  uint64_t limit_ = kDefaultMemoryLimit;
  static constexpr uint64_t kNoLimit = ~uint64_t(0);
  uint64_t data_cur_ = kNoLimit, data_max_ = kNoLimit, stack_limit_ = kStackSize, data_segment_ = 0;
  // may_expand_vm()'s RLIMIT_DATA test for `add` more bytes of private
  // writable memory that is not a stack (data_vm).
  bool data_room(uint64_t add) const;
  std::shared_ptr<MemoryBudget> budget_;
  uint64_t committed_ = 0;  // bytes of accounted mappings
  bool commit(uint64_t n);
  void uncommit(uint64_t n);
  size_t max_vmas_ = kMaxVmas;
};

inline uint64_t page_down(uint64_t a) { return a & ~(cpu::kPageSize - 1); }
inline uint64_t page_up(uint64_t a) { return (a + cpu::kPageSize - 1) & ~(cpu::kPageSize - 1); }

}  // namespace kernel
