// fallocate(2) on Ditto's files, with tmpfs's semantics (mm/shmem.c
// shmem_fallocate()): every regular file here is kept in memory, as tmpfs
// keeps it. Allocation (mode 0, or KEEP_SIZE past the end) and punching a
// hole are supported; the modes tmpfs lacks (ZERO_RANGE, COLLAPSE_RANGE,
// INSERT_RANGE, UNSHARE_RANGE, WRITE_ZEROES) are EOPNOTSUPP, as there.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kFALLOC_FL_KEEP_SIZE = 0x01, kFALLOC_FL_PUNCH_HOLE = 0x02, kFALLOC_FL_COLLAPSE_RANGE = 0x08,
                   kFALLOC_FL_ZERO_RANGE = 0x10, kFALLOC_FL_INSERT_RANGE = 0x20, kFALLOC_FL_UNSHARE_RANGE = 0x40,
                   kFALLOC_FL_WRITE_ZEROES = 0x80;
constexpr uint32_t kModeMask = kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_COLLAPSE_RANGE | kFALLOC_FL_ZERO_RANGE |
                               kFALLOC_FL_INSERT_RANGE | kFALLOC_FL_UNSHARE_RANGE | kFALLOC_FL_WRITE_ZEROES;

// The checks of fs/open.c vfs_fallocate(), in its order: the range, the
// mode, the descriptor's write access, the file's type, the largest offset.
int64_t sys_fallocate(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f || (f->flags() & kO_PATH)) return -kEBADF;
  uint32_t mode = uint32_t(a[1]);
  int64_t off = int64_t(a[2]), len = int64_t(a[3]);
  if (off < 0 || len <= 0) return -kEINVAL;
  if (mode & ~(kModeMask | kFALLOC_FL_KEEP_SIZE)) return -kENOTSUP;
  switch (mode & kModeMask) {
    case 0:
    case kFALLOC_FL_UNSHARE_RANGE:
    case kFALLOC_FL_ZERO_RANGE: break;
    case kFALLOC_FL_PUNCH_HOLE:
      if (!(mode & kFALLOC_FL_KEEP_SIZE)) return -kENOTSUP;
      break;
    case kFALLOC_FL_COLLAPSE_RANGE:
    case kFALLOC_FL_INSERT_RANGE:
    case kFALLOC_FL_WRITE_ZEROES:
      if (mode & kFALLOC_FL_KEEP_SIZE) return -kENOTSUP;
      break;
    default: return -kENOTSUP;  // two operations at once
  }
  if (!f->writable()) return -kEBADF;
  const InodeRef& n = f->inode();
  // Pipes and FIFOs only: eventfd and epoll files sit on anonymous inodes.
  if (dynamic_cast<PipeEnd*>(f.get())) return -kESPIPE;
  if (n && n->is_dir()) return -kEISDIR;
  if (!n || n->kind != InodeKind::kRegular || dynamic_cast<HostStdio*>(f.get()))
    return -kENODEV;
  if (off > INT64_MAX - len) return -kEFBIG;  // wraps past the largest offset
  if (mode & ~(kFALLOC_FL_KEEP_SIZE | kFALLOC_FL_PUNCH_HOLE)) return -kENOTSUP;  // not on tmpfs
  if (n->read_only) return -kEROFS;
  if (n->contents_pending) {  // a host file: copied up first, the host's left alone
    if (int e = k.vfs().load_contents(*n)) return -e;
  }
  if (!(mode & (kFALLOC_FL_KEEP_SIZE | kFALLOC_FL_PUNCH_HOLE)))
    if (int64_t r = limit_file_growth(k, n->size(), uint64_t(off + len)); r < 0) return r;
  if (mode & kFALLOC_FL_PUNCH_HOLE) {
    n->punch_hole(uint64_t(off), uint64_t(len));
  } else if (int e = n->allocate(uint64_t(off + len), mode & kFALLOC_FL_KEEP_SIZE)) {
    return e;
  }
  n->mtime_ns = n->ctime_ns = k.realtime_ns();
  fsnotify::modified(*f);
  return 0;
}

}  // namespace

void register_fallocate_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_fallocate(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
