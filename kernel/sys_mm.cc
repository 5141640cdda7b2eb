// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise.
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

void register_mm_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_mm(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
