// File attributes a process may change: mode (chmod family), owner (chown
// family) and times (utimensat, utimes, futimesat), with Linux's permission
// rules (fs/attr.c setattr_prepare(), fs/open.c chmod_common() and
// chown_common(), fs/utimes.c). Capabilities count in the initial user
// namespace, where every inode's owner is mapped.
#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kS_ISUID = 04000, kS_ISGID = 02000, kS_IXGRP = 010;
constexpr int64_t kUTIME_NOW = (1LL << 30) - 1, kUTIME_OMIT = (1LL << 30) - 2;

// What an attribute call changes, and the name it was reached by: a
// change is IN_ATTRIB to inotify, on the node and its directory's watch.
struct Target {
  InodeRef node;
  InodeRef dir;
  std::string name;
};

// The node an open file is on, by the name it was opened by.
Target file_target(const File& f) {
  Target t{f.inode(), nullptr, ""};
  if (const auto& e = f.entry()) t.dir = e->dir.lock(), t.name = e->name;
  return t;
}

// A change that succeeded is heard (notify_change(): fsnotify_change()).
int64_t heard(int64_t r, const Target& t) {
  if (r == 0) fsnotify::changed(t.node, t.dir, t.name, fsn::kAttrib);
  return r;
}

// The inode a path names, or with an empty path (AT_EMPTY_PATH) or a null
// one where `null_is_fd` (utimensat's futimens form) the descriptor itself.
int64_t target_inode(Kernel& k, int dirfd, uint64_t path_ptr, bool follow, bool empty_ok, Target& out,
                     bool null_is_fd = false) {
  std::string path;
  if (path_ptr || !null_is_fd) {
    if (int64_t r = read_path(k, path_ptr, path, empty_ok); r < 0) return r;
  }
  if (path.empty()) {
    if (int64_t r = empty_path_inode(k, dirfd, -kEBADF, out.node); r < 0) return r;
    if (dirfd != kAT_FDCWD) out = file_target(*get_file(k, uint64_t(uint32_t(dirfd))));
    return 0;
  }
  int64_t err;
  Lookup l = lookup_at(k, dirfd, path, follow, &err);
  if (err) return err;
  if (!l.node) return -kENOENT;
  out = {l.node, l.parent, l.name};
  return 0;
}

// The *at() form: AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH, any other flag EINVAL.
int64_t target_at(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t flags, Target& out) {
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  return target_inode(k, dirfd, path_ptr, !(flags & kAT_SYMLINK_NOFOLLOW), flags & kAT_EMPTY_PATH, out);
}

// The inode an open descriptor refers to (null for none or an O_PATH one: EBADF).
Target descriptor_target(Kernel& k, uint64_t fd) {
  auto f = get_file(k, fd);
  return f && !(f->flags() & kO_PATH) ? file_target(*f) : Target{};
}

int64_t change_mode(Kernel& k, Inode& n, uint32_t mode) {
  if (n.read_only) return -kEROFS;
  const Credentials& c = k.current().creds;
  if (!owner_or_capable(c, n)) return -kEPERM;
  mode &= 07777;
  // Only a member of the file's group (or CAP_FSETID) may set its set-group-ID bit.
  if ((mode & kS_ISGID) && !in_group(c, n.gid) && !c.capable_in(nullptr)) mode &= ~kS_ISGID;
  n.perm = mode;
  n.ctime_ns = k.realtime_ns();
  return 0;
}

int64_t sys_chmod(Kernel& k, const uint64_t* a) {
  Target t;
  if (int64_t r = target_inode(k, kAT_FDCWD, a[0], true, false, t); r < 0) return r;
  return heard(change_mode(k, *t.node, uint32_t(a[1])), t);
}

int64_t sys_fchmod(Kernel& k, const uint64_t* a) {
  Target t = descriptor_target(k, a[0]);
  return t.node ? heard(change_mode(k, *t.node, uint32_t(a[1])), t) : -kEBADF;
}

int64_t do_fchmodat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t mode, uint32_t flags) {
  Target t;
  if (int64_t r = target_at(k, dirfd, path_ptr, flags, t); r < 0) return r;
  // A symlink's own mode cannot change (fchmodat2 with AT_SYMLINK_NOFOLLOW).
  if (t.node->kind == InodeKind::kSymlink) return -kENOTSUP;
  return heard(change_mode(k, *t.node, mode), t);
}

int64_t sys_fchmodat(Kernel& k, const uint64_t* a) { return do_fchmodat(k, int(a[0]), a[1], uint32_t(a[2]), 0); }
int64_t sys_fchmodat2(Kernel& k, const uint64_t* a) {
  return do_fchmodat(k, int(a[0]), a[1], uint32_t(a[2]), uint32_t(a[3]));
}

// chown_common(): -1 leaves an id; a new owner takes CAP_CHOWN unless it is
// the owner already, a new group the owner's membership of it; a non-
// directory loses its set-user-ID bit, and set-group-ID with group exec.
int64_t change_owner(Kernel& k, Inode& n, uint32_t uid, uint32_t gid) {
  if (n.read_only) return -kEROFS;
  const Credentials& c = k.current().creds;
  constexpr uint32_t kKeep = ~uint32_t(0);
  // Ids are given as the caller's namespace maps them: a child namespace
  // with no maps written maps none.
  if (c.userns && (uid != kKeep || gid != kKeep)) return -kEINVAL;
  bool capable = c.capable_in(nullptr);
  if (uid != kKeep && !(capable || (c.fsuid == n.uid && uid == n.uid))) return -kEPERM;
  if (gid != kKeep && !(capable || (c.fsuid == n.uid && (gid == n.gid || in_group(c, gid))))) return -kEPERM;
  if (uid != kKeep) n.uid = uid;
  if (gid != kKeep) n.gid = gid;
  if (n.kind != InodeKind::kDirectory) {
    n.perm &= ~kS_ISUID;
    if (n.perm & kS_IXGRP) n.perm &= ~kS_ISGID;
  }
  n.ctime_ns = k.realtime_ns();
  return 0;
}

int64_t do_fchownat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t uid, uint32_t gid, uint32_t flags) {
  Target t;
  if (int64_t r = target_at(k, dirfd, path_ptr, flags, t); r < 0) return r;
  return heard(change_owner(k, *t.node, uid, gid), t);
}

int64_t sys_chown(Kernel& k, const uint64_t* a) {
  return do_fchownat(k, kAT_FDCWD, a[0], uint32_t(a[1]), uint32_t(a[2]), 0);
}
int64_t sys_lchown(Kernel& k, const uint64_t* a) {
  return do_fchownat(k, kAT_FDCWD, a[0], uint32_t(a[1]), uint32_t(a[2]), kAT_SYMLINK_NOFOLLOW);
}
int64_t sys_fchownat(Kernel& k, const uint64_t* a) {
  return do_fchownat(k, int(a[0]), a[1], uint32_t(a[2]), uint32_t(a[3]), uint32_t(a[4]));
}
int64_t sys_fchown(Kernel& k, const uint64_t* a) {
  Target t = descriptor_target(k, a[0]);
  return t.node ? heard(change_owner(k, *t.node, uint32_t(a[1]), uint32_t(a[2])), t) : -kEBADF;
}

// Sets atime and mtime (UTIME_NOW, UTIME_OMIT or a time; null: both now).
// Now takes the owner, CAP_FOWNER or write permission; explicit times the
// owner or CAP_FOWNER (fs/attr.c inode_owner_or_capable()).
int64_t set_times(Kernel& k, Inode& n, const Timespec* times) {
  bool both_now = !times || (times[0].tv_nsec == kUTIME_NOW && times[1].tv_nsec == kUTIME_NOW);
  if (times && times[0].tv_nsec == kUTIME_OMIT && times[1].tv_nsec == kUTIME_OMIT) return 0;
  if (n.read_only) return -kEROFS;
  const Credentials& c = k.current().creds;
  if (!owner_or_capable(c, n)) {
    if (!both_now) return -kEPERM;
    if (int64_t r = inode_permission(c, n, kMayWrite); r < 0) return r;
  }
  int64_t now = k.realtime_ns();
  auto pick = [&](const Timespec* t, int64_t old) {
    if (!t || t->tv_nsec == kUTIME_NOW) return now;
    if (t->tv_nsec == kUTIME_OMIT) return old;
    return t->tv_sec * 1000000000 + t->tv_nsec;
  };
  n.atime_ns = pick(times ? &times[0] : nullptr, n.atime_ns);
  n.mtime_ns = pick(times ? &times[1] : nullptr, n.mtime_ns);
  n.ctime_ns = now;
  return 0;
}

bool valid_utime(const Timespec& t) {
  return t.tv_nsec == kUTIME_NOW || t.tv_nsec == kUTIME_OMIT || (t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
}

int64_t sys_utimensat(Kernel& k, const uint64_t* a) {
  int dirfd = int(a[0]);
  uint32_t flags = uint32_t(a[3]);
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  Timespec times[2];
  if (a[2]) {
    if (!k.mm().read(UserPtr(a[2]), times)) return -kEFAULT;
    if (!valid_utime(times[0]) || !valid_utime(times[1])) return -kEINVAL;
  }
  // A null path is the descriptor itself (futimens), without flags.
  if (!a[1] && dirfd != kAT_FDCWD && (flags & kAT_SYMLINK_NOFOLLOW)) return -kEINVAL;
  if (!a[1] && dirfd == kAT_FDCWD) return -kEFAULT;
  Target t;
  if (int64_t r = target_inode(k, dirfd, a[1], !(flags & kAT_SYMLINK_NOFOLLOW), flags & kAT_EMPTY_PATH, t, true);
      r < 0)
    return r;
  return heard(set_times(k, *t.node, a[2] ? times : nullptr), t);
}

// utimes/futimesat: microseconds, no UTIME_* values (EINVAL outside 0..999999).
int64_t do_futimesat(Kernel& k, int dirfd, uint64_t path_ptr, uint64_t times_ptr) {
  Timespec times[2];
  if (times_ptr) {
    Timeval tv[2];
    if (!k.mm().read(UserPtr(times_ptr), tv)) return -kEFAULT;
    for (int i = 0; i < 2; ++i) {
      if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) return -kEINVAL;
      times[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
    }
  }
  Target t;
  if (int64_t r = target_inode(k, dirfd, path_ptr, true, false, t); r < 0) return r;
  return heard(set_times(k, *t.node, times_ptr ? times : nullptr), t);
}

int64_t sys_utimes(Kernel& k, const uint64_t* a) { return do_futimesat(k, kAT_FDCWD, a[0], a[1]); }
int64_t sys_futimesat(Kernel& k, const uint64_t* a) { return do_futimesat(k, int(a[0]), a[1], a[2]); }

// utime(2): whole seconds, a null buffer meaning now.
int64_t sys_utime(Kernel& k, const uint64_t* a) {
  Timespec times[2];
  if (a[1]) {
    int64_t secs[2];
    if (!k.mm().read(UserPtr(a[1]), secs)) return -kEFAULT;
    times[0] = {secs[0], 0};
    times[1] = {secs[1], 0};
  }
  Target t;
  if (int64_t r = target_inode(k, kAT_FDCWD, a[0], true, false, t); r < 0) return r;
  return heard(set_times(k, *t.node, a[1] ? times : nullptr), t);
}

}  // namespace

void register_attr_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_attr(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
