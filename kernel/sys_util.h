// Helpers shared by the syscall families (internal to kernel/).
#pragma once

#include <functional>

#include <string>

#include "kernel/fsnotify.h"
#include "kernel/kernel.h"

namespace kernel {

// Reads a path argument: 0, -EFAULT, -ENAMETOOLONG; "" gives -ENOENT unless
// `allow_empty` (AT_EMPTY_PATH).
inline int64_t read_path(Kernel& k, uint64_t ptr, std::string& out, bool allow_empty = false) {
  int64_t r = k.mm().read_cstring(UserPtr(ptr), abi::kPathMax, out);
  if (r < 0) return r;
  if (out.empty() && !allow_empty) return -abi::kENOENT;
  return 0;
}

// Resolves `path` relative to `dirfd` (AT_FDCWD or a directory descriptor).
inline Lookup lookup_at(Kernel& k, int dirfd, const std::string& path, bool follow, int64_t* err) {
  *err = 0;
  std::string base = "/";
  if (path.empty() || path[0] != '/') {
    bool removed = false;
    base = dirfd == abi::kAT_FDCWD ? k.cwd_path(&removed) : k.dirfd_path(dirfd, err);
    if (*err) return {};
    if (removed) {
      // A removed directory is empty and nothing can be created in it
      // (ENOENT); "." is itself and ".." still its old parent.
      Lookup l;
      const InodeRef& dead = k.current().fs->cwd_node;
      InodeRef up = dead->parent.lock();
      if (path == "." || path == "./") {
        l.node = dead;
      } else if ((path == ".." || path.rfind("../", 0) == 0) && up && k.vfs().attached(up)) {
        std::string rest = path.size() > 3 ? path.substr(3) : ".";
        l = k.vfs().resolve(k.vfs().path_of(up), rest, follow);
        if (l.err) *err = -l.err;
      } else {
        *err = -abi::kENOENT;
      }
      return l;
    }
  }
  // From the directory itself: no walk down to it first.
  InodeRef from = k.vfs().root();
  if (!path.empty() && path[0] != '/')
    from = dirfd == abi::kAT_FDCWD ? k.current().fs->cwd_node : k.current().fds->get(dirfd)->inode();
  Lookup l = k.vfs().resolve_from(from, base, path, follow);
  if (l.err) *err = -l.err;
  return l;
}

// The new name of a non-directory (link, symlink): as filename_create()
// resolves it, trailing slashes do not make an existing node an error other
// than EEXIST (the caller's), but a missing one with a slash is ENOENT.
inline Lookup lookup_new_name(Kernel& k, int dirfd, const std::string& path, int64_t* err) {
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos || end + 1 == path.size()) return lookup_at(k, dirfd, path, false, err);
  Lookup l = lookup_at(k, dirfd, path.substr(0, end + 1), false, err);
  if (!*err && !l.node) *err = -abi::kENOENT;
  return l;
}

// Reads a path argument and resolves it to an existing node: 0 or -errno.
inline int64_t lookup_existing(Kernel& k, int dirfd, uint64_t path_ptr, bool follow, Lookup& out) {
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path); r < 0) return r;
  int64_t err;
  out = lookup_at(k, dirfd, path, follow, &err);
  if (err) return err;
  return out.node ? 0 : -abi::kENOENT;
}

// Reads a struct timespec argument as nanoseconds: 0, -EFAULT, or -EINVAL
// (negative, or tv_nsec of a second or more). Huge values clamp to about 73
// years, past any virtual clock, so callers can add them without overflow.
inline int64_t read_timespec_ns(Kernel& k, uint64_t ptr, int64_t* ns) {
  abi::Timespec ts;
  if (!k.mm().read(UserPtr(ptr), ts)) return -abi::kEFAULT;
  constexpr int64_t kNsPerSec = 1000000000, kForever = INT64_MAX / 4;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= kNsPerSec) return -abi::kEINVAL;
  *ns = ts.tv_sec >= kForever / kNsPerSec ? kForever : ts.tv_sec * kNsPerSec + ts.tv_nsec;
  return 0;
}

// A file with no directory (a pipe, a socket, a memfd) belongs to the
// caller's fsuid and fsgid (get_pipe_inode(), sock_alloc()).
inline void set_caller_owner(Kernel& k, Inode& n) {
  n.uid = k.current().creds.fsuid;
  n.gid = k.current().creds.fsgid;
}

// A new file belongs to its creator's fsuid, and to its fsgid unless the
// directory is set-group-ID: then to the directory's group, and a new
// directory inherits the bit (inode_init_owner()).
inline void set_creator(Kernel& k, Inode& n, const Inode& dir) {
  const Credentials& c = k.current().creds;
  n.uid = c.fsuid;
  n.gid = c.fsgid;
  if (dir.perm & 02000) {
    n.gid = dir.gid;
    if (n.kind == InodeKind::kDirectory) n.perm |= 02000;
  }
}

// When a blocking read or write of `f` starting now gives up with EAGAIN
// (a socket's SO_RCVTIMEO, SO_SNDTIMEO), -1 for never; and whether that
// time has come.
inline int64_t wait_deadline(Kernel& k, const File& f, bool write) {
  int64_t ns = f.block_timeout_ns(write);
  return ns < 0 ? -1 : k.monotonic_ns() + ns;
}
inline bool past(Kernel& k, int64_t deadline) { return deadline >= 0 && k.monotonic_ns() >= deadline; }

// A new node takes the name a lookup ended at (open O_CREAT, mkdir, mknod,
// symlink, bind): the directory's times change, and inotify hears IN_CREATE.
inline void add_entry(Kernel& k, const Lookup& l, const InodeRef& node) {
  node->parent = l.parent;
  l.parent->children[l.name] = node;
  l.parent->mtime_ns = l.parent->ctime_ns = k.realtime_ns();
  fsnotify::created(l.parent, l.name, *node);
}

// A timeout argument (struct timespec, null for none) as a deadline on the
// monotonic clock, -1 for none: 0 or read_timespec_ns()'s errno.
inline int64_t timespec_deadline(Kernel& k, uint64_t ptr, int64_t* deadline) {
  *deadline = -1;
  if (!ptr) return 0;
  int64_t ns;
  if (int64_t r = read_timespec_ns(k, ptr, &ns); r < 0) return r;
  *deadline = k.monotonic_ns() + ns;
  return 0;
}

// The temporary signal mask of ppoll, pselect6 and epoll_pwait: set for
// the wait (as sigsuspend's, restored after a handler), and put back at
// once when the wait ends with nothing to deliver. `mask_ptr` null: none.
inline int64_t with_temporary_sigmask(Kernel& k, uint64_t mask_ptr, uint64_t size,
                                      const std::function<int64_t()>& wait) {
  if (mask_ptr) {
    if (size != 8) return -abi::kEINVAL;
    uint64_t mask;
    if (!k.mm().read(UserPtr(mask_ptr), mask)) return -abi::kEFAULT;
    k.set_temporary_sigmask(k.current(), mask);
  }
  int64_t r = wait();
  Task& t = k.current();
  if (r != kBlocked && t.restore_sigmask && !k.has_deliverable(t)) {
    t.sigmask = t.saved_sigmask;
    t.restore_sigmask = false;
  }
  return r;
}

// Runs `op` now; when it would block, parks the task and runs it again each
// time the scheduler looks, until it completes (pipe(7) blocking I/O).
template <class Op>
int64_t blocking(Kernel& k, const char* reason, Op op, int64_t wake_at_ns = -1) {
  return k.attempt_or_block(
      reason,
      [op]() mutable {
        int64_t r = op();
        return r == kWouldBlock ? kBlocked : r;
      },
      wake_at_ns);
}

inline std::shared_ptr<File> get_file(Kernel& k, uint64_t fd) {
  if (fd > 0x7fffffff) return nullptr;
  return k.current().fds->get(int(fd));
}

// The inode an empty path names under AT_EMPTY_PATH: the working directory
// for AT_FDCWD, else the file `dirfd` is open on. EBADF for no such
// descriptor; `no_inode_err` for one with no inode (chmod and utimensat say
// EBADF, linkat ENOENT: nothing on a file system to link).
inline int64_t empty_path_inode(Kernel& k, int dirfd, int64_t no_inode_err, InodeRef& out) {
  if (dirfd == abi::kAT_FDCWD) {
    out = k.current().fs->cwd_node;
    return 0;
  }
  auto f = get_file(k, uint64_t(uint32_t(dirfd)));
  if (!f) return -abi::kEBADF;
  out = f->inode();
  return out ? 0 : no_inode_err;
}

}  // namespace kernel
