// statfs, fstatfs and fadvise64. Which file system a file is on follows
// from where it is: /proc, /sys, Ditto's tmpfs (/tmp, /dev/shm, /dev), and
// the root: the copy-on-write view of the host (reported as an overlay, as
// that is what it is), or a tmpfs when the world is hermetic. Sizes are the
// guest machine's (--memory), not the host's disks.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

struct Statfs {
  int64_t f_type, f_bsize;
  uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
static_assert(sizeof(Statfs) == 120);

constexpr int64_t kTMPFS_MAGIC = 0x01021994, kPROC_SUPER_MAGIC = 0x9fa0, kSYSFS_MAGIC = 0x62656572,
                  kOVERLAYFS_SUPER_MAGIC = 0x794c7630;
constexpr int64_t kST_NOSUID = 2, kST_NODEV = 4, kST_NOEXEC = 8, kST_RELATIME = 0x400, kST_VALID = 0x20;

bool under(const std::string& path, const char* dir) {
  size_t n = std::char_traits<char>::length(dir);
  return path.compare(0, n, dir) == 0 && (path.size() == n || path[n] == '/');
}

Statfs describe(Kernel& k, const std::string& path) {
  Statfs s{};
  s.f_bsize = s.f_frsize = 4096;
  s.f_namelen = 255;
  uint64_t pages = k.tmpfs_space().limit / 4096;  // tmpfs: half the memory
  if (under(path, "/proc")) {
    s.f_type = kPROC_SUPER_MAGIC;
    s.f_flags = kST_VALID | kST_NOSUID | kST_NODEV | kST_NOEXEC | kST_RELATIME;
    return s;
  }
  if (under(path, "/sys")) {
    s.f_type = kSYSFS_MAGIC;
    s.f_flags = kST_VALID | kST_NOSUID | kST_NODEV | kST_NOEXEC | kST_RELATIME;
    return s;
  }
  bool own = under(path, "/tmp") || under(path, "/dev") || k.config().root_dir.empty();
  s.f_type = own ? kTMPFS_MAGIC : kOVERLAYFS_SUPER_MAGIC;
  s.f_blocks = pages;
  s.f_bfree = s.f_bavail = k.tmpfs_space().room() / 4096;
  s.f_files = pages;
  s.f_ffree = pages - std::min<uint64_t>(pages, k.vfs().inodes_made());
  s.f_flags = kST_VALID | kST_RELATIME | (under(path, "/tmp") || under(path, "/dev") ? kST_NOSUID | kST_NODEV : 0);
  return s;
}

int64_t sys_statfs(Kernel& k, const uint64_t* a) {
  Lookup l;
  if (int64_t r = lookup_existing(k, kAT_FDCWD, a[0], true, l); r < 0) return r;
  Statfs s = describe(k, l.path);
  return k.mm().copy_out(UserPtr(a[1]), &s, sizeof s) ? 0 : -kEFAULT;
}

int64_t sys_fstatfs(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  // Pipes, sockets and anonymous files live on their own pseudo file
  // systems; the guest's stdio are pipes in Ditto's model.
  std::string path = f->path.empty() || f->path[0] != '/' ? "/dev" : f->path;
  Statfs s = describe(k, path);
  return k.mm().copy_out(UserPtr(a[1]), &s, sizeof s) ? 0 : -kEFAULT;
}

// posix_fadvise (mm/fadvise.c generic_fadvise()): a hint; FIFOs are ESPIPE.
int64_t sys_fadvise64(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  const InodeRef& n = f->inode();
  if (n && n->kind == InodeKind::kFifo && !n->anonymous) return -kESPIPE;  // an eventfd has no S_IFIFO
  if (int64_t(a[2]) < 0) return -kEINVAL;
  if (a[3] > 5) return -kEINVAL;  // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, NOREUSE
  return 0;
}

}  // namespace

void register_statfs_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_statfs(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
