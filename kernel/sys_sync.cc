// The sync family: fsync, fdatasync, sync_file_range, syncfs, sync, msync.
// Every file Ditto holds is in memory (a tmpfs), so nothing is written back;
// what remains is Linux's argument checks and which files have an fsync at
// all (pipes, terminals and devices do not: EINVAL).
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

// vfs_fsync_range(): files without an fsync operation are EINVAL; an O_PATH
// descriptor is none at all (EBADF).
int64_t do_fsync(Kernel& k, uint64_t fd) {
  auto f = get_file(k, fd);
  if (!f || (f->flags() & kO_PATH)) return -kEBADF;
  const InodeRef& n = f->inode();
  if (!n || (n->kind != InodeKind::kRegular && !n->is_dir())) return -kEINVAL;
  return 0;
}

int64_t sys_fsync(Kernel& k, const uint64_t* a) { return do_fsync(k, a[0]); }
int64_t sys_fdatasync(Kernel& k, const uint64_t* a) { return do_fsync(k, a[0]); }

// fs/sync.c ksys_sync_file_range(): flags, then the range, then the file.
int64_t sys_sync_file_range(Kernel& k, const uint64_t* a) {
  constexpr uint32_t kValid = 1 | 2 | 4;  // WAIT_BEFORE, WRITE, WAIT_AFTER
  int64_t off = int64_t(a[1]), n = int64_t(a[2]);
  uint32_t flags = uint32_t(a[3]);
  if (flags & ~kValid) return -kEINVAL;
  int64_t end = off + n;
  if (off < 0 || n < 0 || (n && end < off)) return -kEINVAL;
  auto f = get_file(k, a[0]);
  if (!f || (f->flags() & kO_PATH)) return -kEBADF;
  const InodeRef& node = f->inode();
  if (!node || (node->kind != InodeKind::kRegular && !node->is_dir())) return -kESPIPE;
  return 0;
}

int64_t sys_syncfs(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f || (f->flags() & kO_PATH)) return -kEBADF;
  return 0;
}

int64_t sys_sync(Kernel&, const uint64_t*) { return 0; }

int64_t sys_msync(Kernel& k, const uint64_t* a) { return k.mm().msync(a[0], a[1], int(a[2])); }

}  // namespace

void register_sync_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_sync(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
