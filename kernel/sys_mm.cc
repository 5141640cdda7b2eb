// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, mlock.
#include <algorithm>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

int64_t sys_brk(Kernel& k, const uint64_t* a) { return int64_t(k.mm().brk(a[0])); }

// The flags MAP_SHARED_VALIDATE accepts (include/linux/mman.h LEGACY_MAP_MASK,
// Linux 6.1): others, MAP_SYNC (no DAX here) and MAP_FIXED_NOREPLACE among
// them, are EOPNOTSUPP; plain MAP_SHARED ignores them.
constexpr uint32_t kLegacyMapMask = kMAP_SHARED | kMAP_PRIVATE | kMAP_FIXED | kMAP_ANONYMOUS | kMAP_DENYWRITE |
                                    kMAP_EXECUTABLE | 0x4000000 /* MAP_UNINITIALIZED */ | kMAP_GROWSDOWN |
                                    kMAP_LOCKED | kMAP_NORESERVE | kMAP_POPULATE | kMAP_NONBLOCK | kMAP_STACK |
                                    kMAP_HUGETLB | kMAP_32BIT | (21u << 26) | (30u << 26);  // MAP_HUGE_2MB/1GB

// mmap(2), with the checks in Linux's order (arch/x86 sys_mmap(),
// ksys_mmap_pgoff(), mm/mmap.c do_mmap()).
int64_t sys_mmap(Kernel& k, const uint64_t* a) {
  uint64_t addr = a[0], len = a[1], off = a[5];
  uint32_t prot = uint32_t(a[2]), flags = uint32_t(a[3]);
  uint32_t type = flags & kMAP_TYPE;
  if (off & (cpu::kPageSize - 1)) return -kEINVAL;
  std::shared_ptr<File> f;
  if (!(flags & kMAP_ANONYMOUS)) {
    f = get_file(k, uint64_t(uint32_t(a[4])));
    if (!f) return -kEBADF;
  }
  if (flags & kMAP_HUGETLB) return k.unsupported(9, "mmap MAP_HUGETLB");
  if (len == 0) return -kEINVAL;
  if (!f) {
    // Anonymous memory knows MAP_SHARED and MAP_PRIVATE only; shared memory
    // cannot grow down.
    if (type == kMAP_SHARED && (flags & kMAP_GROWSDOWN)) return -kEINVAL;
    if (type != kMAP_SHARED && type != kMAP_PRIVATE) return -kEINVAL;
    return k.mm().mmap(addr, len, prot, flags, {}, "", nullptr, 0);
  }
  if (type != kMAP_SHARED && type != kMAP_PRIVATE && type != kMAP_SHARED_VALIDATE) return -kEINVAL;
  if (type == kMAP_SHARED_VALIDATE && (flags & ~kLegacyMapMask)) return -kENOTSUP;
  bool shared = type != kMAP_PRIVATE;
  if (shared && (prot & kPROT_WRITE) && !f->writable()) return -kEACCES;
  if (!f->readable()) return -kEACCES;
  const InodeRef& n = f->inode();
  if (!n || n->kind == InodeKind::kDirectory || n->kind == InodeKind::kFifo || n->kind == InodeKind::kSymlink ||
      dynamic_cast<HostStdio*>(f.get()))
    return -kENODEV;
  std::string contents, name;
  std::shared_ptr<const Inode> file;
  if (n->kind == InodeKind::kCharDevice && n->device == Device::kZero) {
    // A mapping of /dev/zero is anonymous memory (shared or private).
    return k.mm().mmap(addr, len, prot, flags | kMAP_ANONYMOUS, {}, "", nullptr, 0);
  } else if (n->kind != InodeKind::kRegular) {
    return -kENODEV;
  }
  name = f->path;
  if (shared) {
    // The file's bytes move to host memory that read()/write() and every
    // mapping share; mapping past 1 GiB is refused like a huge file.
    if (off > Inode::kMaxSharedFileSize || len > Inode::kMaxSharedFileSize - off) return -kEFBIG;
    if (n->read_only && (prot & kPROT_WRITE)) return -kEACCES;
    if (!n->make_shared()) return -kENOMEM;
    // Without write access to the file the mapping can never become
    // writable (VM_MAYWRITE): mprotect(PROT_WRITE) is EACCES.
    bool may_write = f->writable() && !n->read_only;
    return k.mm().mmap_shared(addr, len, prot, flags, n->shm, off, name, may_write);
  }
  std::string_view b = n->bytes();
  if (off < b.size()) contents = std::string(b.substr(off, std::min<uint64_t>(len, b.size() - off)));
  file = n;
  return k.mm().mmap(addr, len, prot, flags, contents, name, file, off);
}

int64_t sys_munmap(Kernel& k, const uint64_t* a) { return k.mm().munmap(a[0], a[1]); }
int64_t sys_mprotect(Kernel& k, const uint64_t* a) { return k.mm().mprotect(a[0], a[1], uint32_t(a[2])); }
int64_t sys_mremap(Kernel& k, const uint64_t* a) {
  return k.mm().mremap(a[0], a[1], a[2], uint32_t(a[3]), a[4]);
}
int64_t sys_madvise(Kernel& k, const uint64_t* a) { return k.mm().madvise(a[0], a[1], int(a[2])); }

}  // namespace

// The mlock family (mm/mlock.c). Ditto's guest memory is never paged out,
// so every page is as resident as mlock asks; the calls keep Linux's
// checks: flags, RLIMIT_MEMLOCK for callers without CAP_IPC_LOCK (EPERM
// when it is 0, ENOMEM past it: each request on its own, since Ditto keeps
// no count of what is locked) and ENOMEM for a range with unmapped pages.
int64_t lock_range(Kernel& k, uint64_t addr, uint64_t len, bool lock) {
  const Credentials& c = k.current().creds;
  uint64_t limit = k.task(k.current().tgid)->rlimits[kRLIMIT_MEMLOCK].cur;
  if (lock && limit == 0 && !c.capable()) return -kEPERM;
  uint64_t start = addr & ~(cpu::kPageSize - 1);
  len = (len + (addr - start) + cpu::kPageSize - 1) & ~(cpu::kPageSize - 1);  // wraps to 0 as PAGE_ALIGN does
  if (lock && len > limit && !c.capable()) return -kENOMEM;
  if (start + len < start) return -kEINVAL;
  if (len == 0) return 0;
  return k.mm().mapped(start, len) ? 0 : -kENOMEM;
}

int64_t sys_mlock(Kernel& k, const uint64_t* a) { return lock_range(k, a[0], a[1], true); }
int64_t sys_munlock(Kernel& k, const uint64_t* a) { return lock_range(k, a[0], a[1], false); }
int64_t sys_mlock2(Kernel& k, const uint64_t* a) {
  constexpr uint64_t kMLOCK_ONFAULT = 1;
  if (a[2] & ~kMLOCK_ONFAULT) return -kEINVAL;
  return lock_range(k, a[0], a[1], true);
}

int64_t sys_mlockall(Kernel& k, const uint64_t* a) {
  constexpr uint64_t kMCL_CURRENT = 1, kMCL_FUTURE = 2, kMCL_ONFAULT = 4;
  uint64_t flags = a[0];
  if (!flags || (flags & ~(kMCL_CURRENT | kMCL_FUTURE | kMCL_ONFAULT)) || flags == kMCL_ONFAULT) return -kEINVAL;
  const Credentials& c = k.current().creds;
  uint64_t limit = k.task(k.current().tgid)->rlimits[kRLIMIT_MEMLOCK].cur;
  if (limit == 0 && !c.capable()) return -kEPERM;
  if ((flags & kMCL_CURRENT) && k.mm().mapped_bytes() > limit && !c.capable()) return -kENOMEM;
  return 0;
}

int64_t sys_munlockall(Kernel&, const uint64_t*) { return 0; }

void register_mm_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_mm(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
