#include "kernel/mm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernel/abi.h"
#include "kernel/vfs.h"

namespace kernel {

using namespace abi;

namespace {
// The mmap flags a mapping keeps (Linux's vm_flags); the others (MAP_FIXED,
// MAP_POPULATE, ...) only steer the call and must not stop two mappings from
// merging.
constexpr uint32_t kVmaFlags = kMAP_TYPE | kMAP_ANONYMOUS | kMAP_GROWSDOWN | kMAP_LOCKED | kMAP_NORESERVE | kMAP_HUGETLB;
}  // namespace

MemoryManager::MemoryManager(std::shared_ptr<EnginePool> pool)
    : pool_(std::move(pool)), engine_(std::make_unique<cpu::Engine>()) {}

MemoryManager::MemoryManager(std::shared_ptr<EnginePool> pool, EnginePool::Entry reused)
    : pool_(std::move(pool)), unclaimed_(std::move(reused.kept)), engine_(std::move(reused.engine)) {}

std::shared_ptr<MemoryManager> MemoryManager::create(std::shared_ptr<EnginePool> pool, const std::string& program) {
  EnginePool::Entry e = pool ? pool->take(program) : EnginePool::Entry{};
  std::shared_ptr<MemoryManager> mm =
      e.engine ? std::shared_ptr<MemoryManager>(new MemoryManager(std::move(pool), std::move(e)))
               : std::make_shared<MemoryManager>(std::move(pool));
  mm->program = program;
  return mm;
}

bool MemoryManager::claim(uint64_t start, uint64_t end, uint32_t prot, const SharedMemory* mem, uint64_t off) {
  bool kept = false;
  std::erase_if(unclaimed_, [&](const EnginePool::Kept& k) {
    if (k.end <= start || k.start >= end) return false;
    if (k.start == start && k.end == end && k.prot == prot && k.mem.get() == mem && k.offset == off) {
      kept = true;
      return true;
    }
    engine_->unmap(k.start, k.end - k.start);
    return true;
  });
  return kept;
}

void MemoryManager::settle() {
  for (const EnginePool::Kept& k : unclaimed_) engine_->unmap(k.start, k.end - k.start);
  unclaimed_.clear();
}

bool MemoryManager::commit(uint64_t n) {
  if (budget_ && !budget_->charge(n)) return false;
  committed_ += n;
  return true;
}

void MemoryManager::uncommit(uint64_t n) {
  n = std::min(n, committed_);
  committed_ -= n;
  if (budget_) budget_->uncharge(n);
}

MemoryManager::~MemoryManager() {
  uncommit(committed_);
  if (!pool_ || !engine_ || engine_->timestamp_sites() > EnginePool::kMaxTimestampSites) return;
  settle();
  engine_->watch_code({});
  // Frozen mappings stay mapped for the next user; the rest goes.
  EnginePool::Entry e;
  for (auto& [start, v] : vmas_) {
    if (v.cow) e.kept.push_back({v.start, v.end, v.prot, v.shared, v.shared_offset});
    else engine_->unmap(v.start, v.end - v.start);
  }
  e.engine = std::move(engine_);
  e.program = program;
  pool_->give_back(std::move(e));
}

EnginePool::Entry EnginePool::take(const std::string& program) {
  if (entries_.empty()) return {};
  auto it = std::find_if(entries_.rbegin(), entries_.rend(), [&](const Entry& e) { return e.program == program; });
  auto pos = it == entries_.rend() ? entries_.end() - 1 : std::prev(it.base());
  Entry e = std::move(*pos);
  entries_.erase(pos);
  return e;
}

void EnginePool::give_back(Entry e) {
  if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
  entries_.push_back(std::move(e));
}

bool MemoryManager::range_free(uint64_t start, uint64_t end) const {
  auto it = vmas_.lower_bound(start);
  if (it != vmas_.end() && it->second.start < end) return false;
  if (it != vmas_.begin() && std::prev(it)->second.end > start) return false;
  return true;
}

// Top-down search for a gap of `len` bytes ending at or below `below`, the way
// Linux's vm_unmapped_area() places mappings under mm->mmap_base.
uint64_t MemoryManager::find_free(uint64_t len, uint64_t below) const {
  uint64_t hi = below;
  auto it = vmas_.lower_bound(hi);
  while (true) {
    uint64_t lo = (it == vmas_.begin()) ? kMinAddr : std::prev(it)->second.end;
    if (it != vmas_.end() && it->second.start < hi) hi = it->second.start;
    if (hi >= lo + len && hi - len >= kMinAddr) return hi - len;
    if (it == vmas_.begin()) return 0;
    --it;
    hi = std::min(hi, it->second.start);
  }
}

void MemoryManager::split_at(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return;
  --it;
  Vma& v = it->second;
  if (v.start >= addr || v.end <= addr) return;
  Vma tail = v;
  tail.start = addr;
  if (tail.shared) tail.shared_offset += addr - v.start;
  if (tail.file) tail.file_offset += addr - v.start;
  v.end = addr;
  vmas_.emplace(addr, std::move(tail));
}

bool MemoryManager::map_new(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
                            const std::string& name) {
  if (mapped_ + (end - start) > limit_ || vmas_.size() >= max_vmas_) return false;
  bool data = (prot & kPROT_WRITE) && (flags & kMAP_TYPE) == kMAP_PRIVATE && !(flags & kMAP_GROWSDOWN);
  if (data && !data_room(end - start)) return false;
  bool accounted = prot & kPROT_WRITE;
  if (accounted && !commit(end - start)) return false;
  if (!map_private(start, end, prot)) {
    if (accounted) uncommit(end - start);
    return false;
  }
  Vma v{start, end, prot, flags & kVmaFlags, name, nullptr, 0, false, nullptr, 0};
  v.accounted = accounted;
  vmas_.emplace(start, std::move(v));
  mapped_ += end - start;
  return true;
}

// Joins neighbouring VMAs that Linux would merge (same protection, flags and
// backing name), so that later mremap/mprotect see one mapping as Linux does.
void MemoryManager::merge_around(uint64_t start, uint64_t end) {
  auto it = vmas_.upper_bound(start);
  if (it != vmas_.begin()) --it;
  if (it != vmas_.begin()) --it;
  while (it != vmas_.end() && it->second.start <= end) {
    auto next = std::next(it);
    if (next == vmas_.end()) break;
    Vma& a = it->second;
    const Vma& b = next->second;
    // File-backed neighbours are left alone: their offsets need not line up.
    bool anonymous = (a.name.empty() || a.name[0] == '[') && !a.shared && !b.shared;  // incl. frozen
    if (a.end == b.start && a.prot == b.prot && a.flags == b.flags && a.name == b.name && anonymous &&
        a.accounted == b.accounted) {
      a.end = b.end;
      vmas_.erase(next);
      continue;
    }
    it = next;
  }
}

void MemoryManager::unmap_range(uint64_t start, uint64_t end) {
  split_at(start);
  split_at(end);
  auto it = vmas_.lower_bound(start);
  while (it != vmas_.end() && it->second.start < end) {
    engine_->unmap(it->second.start, it->second.end - it->second.start);
    if (!it->second.shared) private_.release(it->second.start, it->second.end);
    mapped_ -= it->second.end - it->second.start;
    if (it->second.accounted) uncommit(it->second.end - it->second.start);
    it = vmas_.erase(it);
  }
}

// Where a new mapping goes (mm/mmap.c:get_unmapped_area()): the fixed
// address (replacing what is there with MAP_FIXED), the hint when free, or
// top-down below mmap_base. Returns the address or -errno.
int64_t MemoryManager::place(uint64_t addr, uint64_t size, uint32_t flags) {
  if (flags & (kMAP_FIXED | kMAP_FIXED_NOREPLACE)) {
    if (addr & (cpu::kPageSize - 1)) return -kEINVAL;
    if (addr + size > kTaskSize || addr + size < addr) return -kENOMEM;
    if (addr < kMinAddr) return -kEPERM;  // below vm.mmap_min_addr
    if (!range_free(addr, addr + size)) {
      if (!(flags & kMAP_FIXED)) return -kEEXIST;
      unmap_range(addr, addr + size);
    }
    return int64_t(addr);
  }
  uint64_t hint = page_down(addr);
  if (flags & kMAP_32BIT) {
    // x86-64's MAP_32BIT (arch_get_unmapped_area()): bottom-up in the
    // second GiB, a hint only when it lies below its end.
    constexpr uint64_t kLow = 1ULL << 30, kHigh = 2ULL << 30;
    if (hint && hint + size <= kHigh && hint >= kMinAddr && range_free(hint, hint + size)) return int64_t(hint);
    for (uint64_t at = kLow; at + size <= kHigh && at + size > at;) {
      auto it = vmas_.upper_bound(at);
      if (it != vmas_.begin() && std::prev(it)->second.end > at) {
        at = std::prev(it)->second.end;
        continue;
      }
      if (it == vmas_.end() || it->second.start >= at + size) return int64_t(at);
      at = it->second.end;
    }
    return -kENOMEM;
  }
  if (hint >= kMinAddr && hint + size <= kTaskSize && hint + size > hint && range_free(hint, hint + size))
    return int64_t(hint);
  uint64_t start = find_free(size, kMmapBase);
  return start == 0 ? -kENOMEM : int64_t(start);
}

int64_t MemoryManager::mmap(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                            std::string_view contents, const std::string& name,
                            std::shared_ptr<const Inode> file, uint64_t file_offset) {
  if (len == 0) return -kEINVAL;
  uint64_t size = page_up(len);
  if (size < len || size > kTaskSize) return -kENOMEM;
  if ((flags & kMAP_TYPE) != kMAP_PRIVATE && (flags & kMAP_ANONYMOUS)) {
    // Shared anonymous memory: host pages that a fork will map again.
    if (mapped_ + size > limit_ || !commit(size)) return -kENOMEM;
    auto shm = std::make_shared<SharedMemory>(size);
    int64_t r = shm->data() ? mmap_shared(addr, len, prot, flags, std::move(shm), 0, name) : -kENOMEM;
    if (r < 0) uncommit(size);
    else vmas_.find(uint64_t(r))->second.accounted = true;
    return r;
  }
  int64_t at = place(addr, size, flags);
  if (at < 0) return at;
  uint64_t start = uint64_t(at);
  if (!map_new(start, start + size, prot, flags, name)) return -kENOMEM;
  if (file) {
    Vma& v = vmas_.find(start)->second;
    v.file = std::move(file);
    v.file_offset = file_offset;
  }
  if (!(flags & kMAP_GROWSDOWN)) merge_around(start, start + size);
  if (!contents.empty()) poke(start, contents.data(), std::min<uint64_t>(contents.size(), size));
  if (prot & kPROT_EXEC) engine_->watch_timestamp_insns(start, size);
  sync_code_watch(prot);
  return int64_t(start);
}

int64_t MemoryManager::mmap_shared(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                                   std::shared_ptr<SharedMemory> obj, uint64_t off, const std::string& name,
                                   bool may_write) {
  if (len == 0) return -kEINVAL;
  uint64_t size = page_up(len);
  if (size < len || off + size > obj->size()) return -kENOMEM;
  if (mapped_ + size > limit_ || vmas_.size() >= max_vmas_) return -kENOMEM;
  int64_t at = place(addr, size, flags);
  if (at < 0) return at;
  uint64_t start = uint64_t(at);
  if (!map_host_memory(start, start + size, prot, obj, off)) return -kENOMEM;
  Vma v{start, start + size, prot, flags & kVmaFlags, name, std::move(obj), off, false, nullptr, 0};
  v.may_write = may_write;
  vmas_.emplace(start, std::move(v));
  mapped_ += size;
  if (prot & kPROT_EXEC) engine_->watch_timestamp_insns(start, size);
  sync_code_watch(prot);
  return int64_t(start);
}

int64_t MemoryManager::mmap_frozen(uint64_t addr, uint32_t prot, std::shared_ptr<SharedMemory> obj,
                                   const std::vector<uint64_t>& rdtsc_offsets, const std::string& name) {
  uint64_t size = obj->size();
  if (mapped_ + size > limit_ || vmas_.size() >= max_vmas_) return -kENOMEM;
  int64_t at = place(addr, size, kMAP_PRIVATE | kMAP_FIXED);
  if (at < 0) return at;
  if (!map_host_memory(addr, addr + size, prot, obj, 0)) return -kENOMEM;
  Vma v{addr, addr + size, prot, kMAP_PRIVATE, name, std::move(obj), 0, true, nullptr, 0};
  vmas_.emplace(addr, std::move(v));
  mapped_ += size;
  if (prot & kPROT_EXEC) engine_->watch_timestamp_sites(addr, rdtsc_offsets);
  return int64_t(addr);
}

int64_t MemoryManager::munmap(uint64_t addr, uint64_t len) {
  if ((addr & (cpu::kPageSize - 1)) || len == 0) return -kEINVAL;
  uint64_t size = page_up(len);
  if (addr > kTaskSize || size > kTaskSize - addr) return -kEINVAL;
  if (vmas_.size() + splits_at(addr, addr + size) > max_vmas_) return -kENOMEM;  // as at max_map_count
  unmap_range(addr, addr + size);
  sync_code_watch(0);
  return 0;
}

int64_t MemoryManager::mprotect(uint64_t addr, uint64_t len, uint32_t prot) {
  // The checks in mm/mprotect.c do_mprotect_pkey()'s order.
  uint32_t grows = prot & (kPROT_GROWSDOWN | kPROT_GROWSUP);
  prot &= ~grows;
  if (grows == (kPROT_GROWSDOWN | kPROT_GROWSUP)) return -kEINVAL;
  if (addr & (cpu::kPageSize - 1)) return -kEINVAL;
  if (len == 0) return 0;
  uint64_t size = page_up(len);
  uint64_t end = addr + size;
  if (size < len || end <= addr) return -kENOMEM;
  if (prot & ~(kPROT_READ | kPROT_WRITE | kPROT_EXEC | kPROT_SEM)) return -kEINVAL;  // arch_validate_prot()
  prot &= ~kPROT_SEM;  // accepted and meaningless on x86
  if (end > kTaskSize) return -kENOMEM;
  if (grows) {
    // PROT_GROWSDOWN extends the change down to the start of a MAP_GROWSDOWN
    // mapping; x86 has no upward-growing mappings, so PROT_GROWSUP is EINVAL.
    const Vma* v = find(addr);
    if (!v) return -kENOMEM;
    if (grows == kPROT_GROWSUP || !(v->flags & kMAP_GROWSDOWN)) return -kEINVAL;
    addr = v->start;
    size = end - addr;
  }
  // Unmapped pages give ENOMEM (mprotect(2)), but Linux changes the mappings
  // before the first hole and then fails; a range that starts in a hole
  // changes nothing.
  // A shared mapping that may not become writable stops it the same way,
  // with EACCES.
  uint64_t mapped_end = addr;
  int64_t stop = 0;
  while (mapped_end < end) {
    const Vma* v = find(mapped_end);
    if (!v) {
      stop = -kENOMEM;
      break;
    }
    if ((prot & kPROT_WRITE) && !v->may_write) {
      stop = -kEACCES;
      break;
    }
    mapped_end = v->end;
  }
  if (mapped_end == addr) return stop;
  bool hole = mapped_end < end;
  end = std::min(end, mapped_end);
  size = end - addr;
  if (vmas_.size() + splits_at(addr, end) > max_vmas_) return -kENOMEM;  // as at max_map_count
  // A private mapping made writable is charged now (mm/mprotect.c
  // mprotect_fixup()): ENOMEM, with nothing changed, when that fails.
  uint64_t charge = 0;
  if (prot & kPROT_WRITE) {
    for (uint64_t a = addr; a < end;) {
      const Vma* v = find(a);
      uint64_t seg_end = std::min(end, v->end);
      if (!v->accounted && !v->map_shared()) charge += seg_end - a;
      a = seg_end;
    }
  }
  if (!commit(charge)) return -kENOMEM;
  split_at(addr);
  split_at(end);
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->second.start < end; ++it) {
    if ((prot & kPROT_WRITE) && !it->second.map_shared()) it->second.accounted = true;
    if (it->second.cow && (prot & kPROT_WRITE)) thaw(it->second);
    // Code translated from it must not run once it is not executable (and
    // host_copy() only drops translations of executable memory).
    if ((it->second.prot & kPROT_EXEC) && !(prot & kPROT_EXEC))
      engine_->invalidate_code(it->second.start, it->second.end - it->second.start);
    it->second.prot = prot;
  }
  engine_->protect(addr, size, prot);
  merge_around(addr, end);
  if (prot & kPROT_EXEC) engine_->watch_timestamp_insns(addr, size);
  sync_code_watch(prot);
  return hole ? stop : 0;
}

int64_t MemoryManager::mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                              uint32_t flags, uint64_t new_addr) {
  if (flags & ~(kMREMAP_MAYMOVE | kMREMAP_FIXED | kMREMAP_DONTUNMAP)) return -kEINVAL;
  if ((flags & kMREMAP_FIXED) && !(flags & kMREMAP_MAYMOVE)) return -kEINVAL;
  if (flags & kMREMAP_DONTUNMAP) return -kEINVAL;  // only for private anonymous; not modelled
  if (old_addr & (cpu::kPageSize - 1)) return -kEINVAL;
  uint64_t old_size = page_up(old_len), new_size = page_up(new_len);
  if (new_size == 0 || new_size < new_len) return -kEINVAL;
  auto it = vmas_.upper_bound(old_addr);
  if (it == vmas_.begin()) return -kEFAULT;
  --it;
  Vma vma = it->second;
  // The old range must lie inside one mapping (mm/mremap.c: vma_to_resize()).
  if (vma.end <= old_addr || old_addr + old_size > vma.end) return -kEFAULT;
  if (vma.map_shared()) return -kENOSYS;  // moving shared memory is not modelled yet
  if (old_size == 0) return -kEINVAL;  // duplicating is only for shared mappings
  if (flags & kMREMAP_FIXED) {
    if (new_addr & (cpu::kPageSize - 1)) return -kEINVAL;
    if (new_addr + new_size > kTaskSize || new_addr < kMinAddr) return -kEINVAL;
    if (new_addr < old_addr + old_size && old_addr < new_addr + new_size) return -kEINVAL;
  } else {
    if (new_size <= old_size) {
      if (new_size < old_size) unmap_range(old_addr + new_size, old_addr + old_size);
      sync_code_watch(0);
      return int64_t(old_addr);
    }
    // Grow in place when the pages after the mapping are free.
    uint64_t grow_end = old_addr + new_size;
    if (old_addr + old_size == vma.end && grow_end <= kTaskSize &&
        range_free(old_addr + old_size, grow_end)) {
      if (!map_new(old_addr + old_size, grow_end, vma.prot, vma.flags, vma.name)) return -kENOMEM;
      merge_around(old_addr, grow_end);
      sync_code_watch(vma.prot);
      return int64_t(old_addr);
    }
    if (!(flags & kMREMAP_MAYMOVE)) return -kENOMEM;
    new_addr = find_free(new_size, kMmapBase);
    if (new_addr == 0) return -kENOMEM;
  }
  if (flags & kMREMAP_FIXED) unmap_range(new_addr, new_addr + new_size);
  if (!map_new(new_addr, new_addr + new_size, vma.prot, vma.flags, vma.name)) return -kENOMEM;
  // The pages that hold something move, host to host.
  uint64_t keep = std::min(old_size, new_size);
  for_each_nonzero_page(*find(old_addr), old_addr, old_addr + keep, [&](uint64_t a, const uint8_t* bytes) {
    std::memcpy(private_.host(new_addr + (a - old_addr), true), bytes, cpu::kPageSize);
  });
  unmap_range(old_addr, old_addr + old_size);
  if (vma.prot & kPROT_EXEC) engine_->watch_timestamp_insns(new_addr, new_size);
  sync_code_watch(vma.prot);
  return int64_t(new_addr);
}

int64_t MemoryManager::msync(uint64_t addr, uint64_t len, int flags) const {
  constexpr int kMS_ASYNC = 1, kMS_INVALIDATE = 2, kMS_SYNC = 4;
  if (flags & ~(kMS_ASYNC | kMS_INVALIDATE | kMS_SYNC)) return -kEINVAL;
  if (addr & (cpu::kPageSize - 1)) return -kEINVAL;
  if ((flags & kMS_ASYNC) && (flags & kMS_SYNC)) return -kEINVAL;
  uint64_t size = page_up(len);
  if (size < len) return -kENOMEM;
  uint64_t end = addr + size;
  if (end < addr) return -kENOMEM;
  for (uint64_t a = addr; a < end;) {
    auto it = vmas_.upper_bound(a);
    if (it == vmas_.begin() || std::prev(it)->second.end <= a) return -kENOMEM;
    a = std::prev(it)->second.end;
  }
  return 0;
}

int64_t MemoryManager::madvise(uint64_t addr, uint64_t len, int advice) {
  if (addr & (cpu::kPageSize - 1)) return -kEINVAL;
  // NORMAL..WILLNEED (0-3), DONTNEED (4), FREE..PAGEOUT (8-21): the advice
  // values Linux 6.1 knows; all but DONTNEED are hints with no visible effect.
  constexpr int kDontNeed = 4, kFree = 8, kPageOut = 21;
  bool known = (advice >= 0 && advice <= 3) || advice == kDontNeed ||
               (advice >= kFree && advice <= kPageOut);
  if (!known) return -kEINVAL;
  uint64_t size = page_up(len);
  if (size < len) return -kEINVAL;
  uint64_t end = addr + size;
  if (end < addr) return -kEINVAL;
  bool all_mapped = true;
  for (uint64_t a = addr; a < end;) {
    auto it = vmas_.upper_bound(a);
    if (it == vmas_.begin() || std::prev(it)->second.end <= a) {
      all_mapped = false;
      auto next = vmas_.lower_bound(a);
      if (next == vmas_.end()) break;
      a = next->second.start;
      continue;
    }
    const Vma& v = std::prev(it)->second;
    uint64_t seg_end = std::min(end, v.end);
    // MADV_DONTNEED on a private anonymous mapping: the pages read as zero
    // afterwards (madvise(2)). MADV_FREE may free lazily; keeping the data is
    // one of the outcomes Linux allows.
    if (advice == kDontNeed && !(v.flags & kMAP_SHARED)) {
      if (v.cow) {
        split_at(a);
        split_at(seg_end);
        thaw(vmas_.find(a)->second);
      }
      // The host takes the pages back; they read as zero (and a thread stack
      // that glibc gives back costs only the pages it used), or as the file
      // again for a private file mapping.
      const Vma& cur = *find(a);  // the part from `a` on (split above if frozen)
      private_.release(a, seg_end);
      if (cur.file) {
        std::string_view b = cur.file->bytes();
        uint64_t from = cur.file_offset + (a - cur.start);
        if (from < b.size()) {
          uint64_t n = std::min<uint64_t>(seg_end - a, b.size() - from);
          host_copy(a, const_cast<char*>(b.data() + from), n, true);
        }
      }
      if (v.prot & kPROT_EXEC) engine_->invalidate_code(a, seg_end - a);
    }
    a = seg_end;
  }
  return all_mapped ? 0 : -kENOMEM;
}

bool MemoryManager::grow_stack(uint64_t addr) {
  if (addr >= kStackTop || addr < kStackTop - stack_limit_) return false;
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.end() || !(it->second.flags & kMAP_GROWSDOWN)) return false;
  Vma v = it->second;
  uint64_t new_start = page_down(addr);
  if (!range_free(new_start, v.start)) return false;
  if (mapped_ + (v.start - new_start) > limit_) return false;
  if (v.accounted && !commit(v.start - new_start)) return false;
  if (!map_private(new_start, v.start, v.prot)) {
    if (v.accounted) uncommit(v.start - new_start);
    return false;
  }
  mapped_ += v.start - new_start;
  vmas_.erase(it);
  v.start = new_start;
  vmas_.emplace(new_start, v);
  return true;
}

void MemoryManager::set_brk_start(uint64_t start) { brk_start_ = brk_ = start; }

void MemoryManager::set_rlimits(uint64_t as, uint64_t data_cur, uint64_t data_max, uint64_t stack) {
  limit_ = std::min(kDefaultMemoryLimit, as);
  data_cur_ = data_cur, data_max_ = data_max;
  // The stack grows at most to the mmap area below it.
  stack_limit_ = std::min(stack, kStackTop - kMmapBase);
}

bool MemoryManager::data_room(uint64_t add) const {
  if (data_cur_ == kNoLimit) return true;
  uint64_t data = 0;
  for (const auto& [start, v] : vmas_)
    if ((v.prot & kPROT_WRITE) && !v.map_shared() && !(v.flags & kMAP_GROWSDOWN)) data += v.end - v.start;
  // A soft limit of 0 lets the hard one decide (for programs that lower it to probe).
  return data + add <= data_cur_ || (data_cur_ == 0 && data + add <= data_max_);
}

uint64_t MemoryManager::brk(uint64_t want) {
  if (want < brk_start_) return brk_;
  if (data_cur_ != kNoLimit && (want - brk_start_) + data_segment_ > data_cur_) return brk_;  // check_data_rlimit()
  uint64_t old_end = page_up(brk_), new_end = page_up(want);
  if (new_end > old_end) {
    if (new_end > kMmapBase || !range_free(old_end, new_end)) return brk_;
    if (!map_new(old_end, new_end, kPROT_READ | kPROT_WRITE, kMAP_PRIVATE | kMAP_ANONYMOUS, "[heap]"))
      return brk_;
    merge_around(old_end, new_end);
  } else if (new_end < old_end) {
    unmap_range(new_end, old_end);
    sync_code_watch(0);
  }
  brk_ = want;
  return brk_;
}

bool MemoryManager::accessible(uint64_t addr, size_t n, uint32_t need) const {
  if (n == 0) return true;
  uint64_t end = addr + n;
  if (end < addr || end > kTaskSize) return false;
  for (uint64_t a = addr; a < end;) {
    auto it = vmas_.upper_bound(a);
    if (it == vmas_.begin()) return false;
    const Vma& v = std::prev(it)->second;
    if (v.end <= a || (v.prot & need) != need) return false;
    a = v.end;
  }
  return true;
}

uint64_t MemoryManager::accessible_prefix(uint64_t addr, uint64_t n, uint32_t need) {
  if (n == 0 || addr >= kTaskSize) return 0;
  uint64_t end = addr + std::min(n, kTaskSize - addr);
  if (!accessible(addr, 1, need)) grow_stack(addr);
  uint64_t a = addr;
  while (a < end) {
    auto it = vmas_.upper_bound(a);
    if (it == vmas_.begin()) break;
    const Vma& v = std::prev(it)->second;
    if (v.end <= a || (v.prot & need) != need) break;
    a = v.end;
  }
  return std::min(a, end) - addr;
}

bool MemoryManager::copy_in(UserPtr src, void* dst, size_t n) {
  if (!accessible(src.addr, n, kPROT_READ) && !(n && grow_stack(src.addr) && accessible(src.addr, n, kPROT_READ)))
    return false;
  return host_copy(src.addr, dst, n, false);
}

bool MemoryManager::copy_out(UserPtr dst, const void* src, size_t n) {
  if (!accessible(dst.addr, n, kPROT_WRITE) && !(n && grow_stack(dst.addr) && accessible(dst.addr, n, kPROT_WRITE)))
    return false;
  return host_copy(dst.addr, const_cast<void*>(src), n, true);
}

bool MemoryManager::poke(uint64_t addr, const void* src, size_t n) {
  for (uint64_t a = addr; a < addr + n;) {  // frozen bytes never change: thaw what is written
    auto it = vmas_.upper_bound(a);
    if (it == vmas_.begin() || std::prev(it)->second.end <= a) return false;
    Vma& v = std::prev(it)->second;
    if (v.cow) thaw(v);
    a = v.end;
  }
  return host_copy(addr, const_cast<void*>(src), n, true);
}

// Guest memory is host memory Ditto owns (private arenas, shared objects):
// the kernel reads and writes it directly, not through Unicorn. A write to
// executable memory drops the code translated from it.
bool MemoryManager::host_copy(uint64_t addr, void* buf, size_t n, bool to_guest) {
  auto* b = static_cast<uint8_t*>(buf);
  while (n) {
    const Vma* v = find(addr);
    if (!v) return false;
    uint64_t chunk = std::min<uint64_t>(n, v->end - addr);
    if (!v->shared) chunk = std::min(chunk, ((addr | (PrivateMemory::kArenaSize - 1)) + 1) - addr);  // one arena
    uint8_t* host = page_bytes(*v, addr);
    if (!host) return false;
    if (to_guest) {
      std::memcpy(host, b, chunk);
      if (v->prot & kPROT_EXEC) engine_->invalidate_code(page_down(addr), page_up(addr + chunk) - page_down(addr));
    } else {
      std::memcpy(b, host, chunk);
    }
    addr += chunk;
    b += chunk;
    n -= chunk;
  }
  return true;
}

int64_t MemoryManager::read_cstring(UserPtr p, size_t max, std::string& out) {
  out.clear();
  uint64_t a = p.addr;
  char chunk[256];
  while (out.size() < max) {
    size_t n = std::min<uint64_t>(sizeof chunk, cpu::kPageSize - (a & (cpu::kPageSize - 1)));
    if (!copy_in(UserPtr(a), chunk, n)) return -kEFAULT;
    for (size_t i = 0; i < n; ++i) {
      if (chunk[i] == 0) return 0;
      out.push_back(chunk[i]);
      if (out.size() >= max) return -kENAMETOOLONG;
    }
    a += n;
  }
  return -kENAMETOOLONG;
}

}  // namespace kernel

namespace kernel {

SharedMemory::SharedMemory(uint64_t size) : size_(size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  data_ = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

SharedMemory::~SharedMemory() {
  if (data_) ::munmap(data_, size_);
}

const Vma* MemoryManager::find(uint64_t addr) const {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

PrivateMemory::~PrivateMemory() {
  for (auto& [index, base] : arenas_) ::munmap(base, kArenaSize);
  live_arenas_ -= arenas_.size();
}

uint8_t* PrivateMemory::host(uint64_t addr, bool create) {
  uint64_t index = addr >> kArenaShift;
  auto it = arenas_.find(index);
  if (it == arenas_.end()) {
    if (!create || live_arenas_ >= kMaxArenas) return nullptr;
    void* p = ::mmap(nullptr, kArenaSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    it = arenas_.emplace(index, static_cast<uint8_t*>(p)).first;
    ++live_arenas_;
  }
  return it->second + (addr & (kArenaSize - 1));
}

void PrivateMemory::release(uint64_t start, uint64_t end) {
  pieces(start, end, [&](uint64_t a, uint64_t n) {
    if (uint8_t* h = host(a, false)) ::madvise(h, n, MADV_DONTNEED);
  });
}

bool MemoryManager::map_host_memory(uint64_t start, uint64_t end, uint32_t prot,
                                    const std::shared_ptr<SharedMemory>& mem, uint64_t off) {
  prot &= kPROT_READ | kPROT_WRITE | kPROT_EXEC;
  if (claim(start, end, prot, mem.get(), off)) return true;
  return engine_->map_host(start, end - start, prot, mem->data() + off);
}

size_t MemoryManager::splits_at(uint64_t addr, uint64_t end) const {
  size_t n = 0;
  for (uint64_t a : {addr, end})
    if (const Vma* v = find(a); v && v->start < a) ++n;
  return n;
}

void MemoryManager::coalesce_regions() {
  maps_since_coalesce_ = 0;
  if (!unclaimed_.empty()) return;  // a reused engine's kept regions are not ours yet
  std::vector<cpu::Engine::Region> regs = engine_->regions();
  auto is_private = [&](uint64_t a) {
    const Vma* v = find(a);
    return v && !v->shared;
  };
  for (size_t i = 0; i < regs.size();) {
    size_t j = i + 1;
    if (is_private(regs[i].begin))
      while (j < regs.size() && regs[j].begin == regs[j - 1].end && regs[j].prot == regs[i].prot &&
             (regs[j].begin >> PrivateMemory::kArenaShift) == (regs[i].begin >> PrivateMemory::kArenaShift) &&
             is_private(regs[j].begin))
        ++j;
    if (j - i > 1) {
      // The same host bytes, one region: only translated code is lost.
      uint64_t s = regs[i].begin, e = regs[j - 1].end;
      engine_->unmap(s, e - s);
      engine_->map_host(s, e - s, regs[i].prot, private_.host(s, true));
    }
    i = j;
  }
}

bool MemoryManager::map_private(uint64_t start, uint64_t end, uint32_t prot) {
  prot &= kPROT_READ | kPROT_WRITE | kPROT_EXEC;
  claim(start, end, prot, nullptr, 0);
  if (++maps_since_coalesce_ >= kCoalesceEvery) coalesce_regions();
  bool ok = true;
  uint64_t done = start;
  PrivateMemory::pieces(start, end, [&](uint64_t a, uint64_t n) {
    uint8_t* h = ok ? private_.host(a, true) : nullptr;
    if (ok && h && engine_->map_host(a, n, prot, h)) done = a + n;
    else ok = false;
  });
  if (!ok && done > start) engine_->unmap(start, done - start);
  return ok;
}

uint8_t* MemoryManager::page_bytes(const Vma& v, uint64_t addr) {
  if (v.shared) return v.shared->data() + v.shared_offset + (addr - v.start);
  return private_.host(addr, false);
}

namespace {

// Which of the host pages [p, p + n) the host ever gave us: present in RAM
// or swapped out (/proc/self/pagemap bits 63 and 62; mincore() would miss
// swapped pages). A page never touched reads as zero. All true when the
// pagemap cannot be read.
void host_pages_in_use(const uint8_t* p, uint64_t n, std::vector<bool>& used) {
  // Opened again in a forked copy of Ditto (`ditto explore`'s schedules):
  // the descriptor names the process that opened it, not "self".
  static int fd = -1;
  static pid_t opened_by = 0;
  if (pid_t me = ::getpid(); me != opened_by) {
    if (fd >= 0) ::close(fd);
    fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    opened_by = me;
  }
  uint64_t pages = n / cpu::kPageSize;
  used.assign(pages, true);
  if (fd < 0) return;
  std::vector<uint64_t> entries(pages);
  uint64_t off = reinterpret_cast<uintptr_t>(p) / cpu::kPageSize * sizeof(uint64_t);
  ssize_t want = ssize_t(pages * sizeof(uint64_t));
  if (::pread(fd, entries.data(), size_t(want), off_t(off)) != want) return;
  for (uint64_t i = 0; i < pages; ++i) used[i] = (entries[i] >> 62) != 0;
}

}  // namespace

template <class F>
void MemoryManager::for_each_nonzero_page(const Vma& v, uint64_t start, uint64_t end, F&& fn) {
  static const uint8_t zero[cpu::kPageSize] = {};
  std::vector<bool> used;
  PrivateMemory::pieces(start, end, [&](uint64_t a, uint64_t n) {
    const uint8_t* base = page_bytes(v, a);
    if (!base) return;
    // Pages the host never gave us hold zeros: skipped without touching them.
    host_pages_in_use(base, n, used);
    for (uint64_t off = 0; off < n; off += cpu::kPageSize)
      if (used[off / cpu::kPageSize] && std::memcmp(base + off, zero, cpu::kPageSize) != 0) fn(a + off, base + off);
  });
}

void MemoryManager::visit_nonzero_pages(const std::function<void(uint64_t, const uint8_t*)>& fn,
                                        const std::function<void(const Vma&)>& frozen) {
  for (auto& [start, v] : vmas_) {
    if (v.cow) frozen(v);
    else for_each_nonzero_page(v, v.start, v.end, fn);
  }
}

bool MemoryManager::freeze(Vma& v) {
  uint64_t len = v.end - v.start;
  auto mem = std::make_shared<SharedMemory>(len);
  if (!mem->data()) return false;
  for_each_nonzero_page(v, v.start, v.end, [&](uint64_t a, const uint8_t* bytes) {
    std::memcpy(mem->data() + (a - v.start), bytes, cpu::kPageSize);
  });
  // Called from inside a syscall: the translated code of this range is
  // discarded with the old mapping and retranslated from the same bytes.
  uint32_t prot = v.prot & (kPROT_READ | kPROT_WRITE | kPROT_EXEC);
  engine_->unmap(v.start, len);
  if (!engine_->map_host(v.start, len, prot, mem->data())) {
    map_private(v.start, v.end, prot);  // cannot happen: the range was just unmapped
    return false;
  }
  private_.release(v.start, v.end);
  v.shared = std::move(mem);
  v.shared_offset = 0;
  v.cow = true;
  return true;
}

void MemoryManager::thaw(Vma& v) {
  Vma frozen = v;
  engine_->unmap(v.start, v.end - v.start);
  map_private(v.start, v.end, v.prot);
  // Private pages outside private mappings are released: these read as
  // zero until the frozen bytes are copied in.
  for_each_nonzero_page(frozen, v.start, v.end, [&](uint64_t a, const uint8_t* bytes) {
    std::memcpy(private_.host(a, true), bytes, cpu::kPageSize);
  });
  v.shared.reset();
  v.shared_offset = 0;
  v.cow = false;
}

void MemoryManager::sync_code_watch(uint32_t prot_involved) {
  if (!(prot_involved & kPROT_EXEC) && !engine_->watching_code()) return;
  std::vector<cpu::Engine::CodeRange> ranges;
  for (const auto& [start, v] : vmas_) {
    if (!(v.prot & kPROT_EXEC) || !((v.prot & kPROT_WRITE) || v.map_shared())) continue;
    // One range per piece of contiguous host memory.
    PrivateMemory::pieces(v.start, v.end, [&](uint64_t a, uint64_t n) {
      const uint8_t* host =
          v.shared ? v.shared->data() + v.shared_offset + (a - v.start) : private_.host(a, true);
      if (!ranges.empty() && ranges.back().end == a && ranges.back().host + (a - ranges.back().begin) == host)
        ranges.back().end = a + n;
      else
        ranges.push_back({a, a + n, host});
    });
  }
  engine_->watch_code(std::move(ranges));
}

std::shared_ptr<MemoryManager> MemoryManager::fork() {
  for (auto& [start, v] : vmas_)
    if (!v.shared && !(v.prot & kPROT_WRITE)) freeze(v);
  // A pooled engine keeps the frozen mappings that match ours exactly (and
  // their translated code); it loses the others.
  std::shared_ptr<MemoryManager> child = create(pool_, program);
  child->vmas_ = vmas_;
  child->brk_start_ = brk_start_;
  child->brk_ = brk_;
  child->mapped_ = mapped_;
  child->limit_ = limit_;
  child->data_cur_ = data_cur_, child->data_max_ = data_max_, child->stack_limit_ = stack_limit_;
  child->data_segment_ = data_segment_;
  // Charged whatever the room (clone checked it: Kernel::clone_memory_ok()).
  // Shared memory stays charged to the address space that made it.
  child->budget_ = budget_;
  child->committed_ = committed_;
  for (auto& [start, v] : child->vmas_)
    if (v.accounted && v.map_shared()) {
      v.accounted = false;
      child->committed_ -= v.end - v.start;
    }
  if (budget_) budget_->used += child->committed_;
  for (const auto& [start, v] : vmas_) {
    uint32_t prot = v.prot & (kPROT_READ | kPROT_WRITE | kPROT_EXEC);
    if (v.shared) {  // the same host pages: nothing to copy
      child->map_host_memory(v.start, v.end, prot, v.shared, v.shared_offset);
      continue;
    }
    // Only the pages that hold something are copied, host to host: the
    // child's fresh private memory reads as zero (most of a stack is untouched).
    child->map_private(v.start, v.end, prot);
    for_each_nonzero_page(v, v.start, v.end, [&](uint64_t a, const uint8_t* bytes) {
      std::memcpy(child->private_.host(a, true), bytes, cpu::kPageSize);
    });
  }
  child->settle();
  child->engine_->copy_timestamp_sites(*engine_);
  if (engine_->watching_code()) child->sync_code_watch(kPROT_EXEC);
  return child;
}

}  // namespace kernel
