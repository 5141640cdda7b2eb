// Directory syscalls: the working directory (getcwd, chdir, fchdir),
// entries (mkdir, unlink, rmdir, rename, symlink, link, readlink) and
// listings (getdents, getdents64). Errno choices follow fs/namei.c and
// fs/readdir.c.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernel/fsnotify.h"
#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

int64_t sys_getcwd(Kernel& k, const uint64_t* a) {
  bool removed;
  const std::string& cwd = k.cwd_path(&removed);
  if (removed) return -kENOENT;  // getcwd(2): the directory was unlinked
  // fs/d_path.c: the path is built in a PATH_MAX buffer.
  if (cwd.size() + 1 > kPathMax) return -kENAMETOOLONG;
  if (a[1] < cwd.size() + 1) return -kERANGE;
  if (!k.mm().copy_out(UserPtr(a[0]), cwd.c_str(), cwd.size() + 1)) return -kEFAULT;
  return int64_t(cwd.size() + 1);
}

int64_t sys_chdir(Kernel& k, const uint64_t* a) {
  Lookup l;
  if (int64_t r = lookup_existing(k, kAT_FDCWD, a[0], true, l); r < 0) return r;
  if (!l.node->is_dir()) return -kENOTDIR;
  if (int64_t r = inode_permission(k.current().creds, *l.node, kMayExec); r < 0) return r;
  if (l.node->host_search_err) return -l.node->host_search_err;  // the host's answer
  k.current().fs->set_cwd(l.node, std::move(l.path), k.vfs().layout_generation());
  return 0;
}

int64_t sys_fchdir(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  if (!f->inode() || !f->inode()->is_dir()) return -kENOTDIR;
  if (int64_t r = inode_permission(k.current().creds, *f->inode(), kMayExec); r < 0) return r;
  if (f->inode()->host_search_err) return -f->inode()->host_search_err;
  // The directory may have been removed since it was opened: checked when used.
  k.current().fs->set_cwd(f->inode(), k.vfs().path_of(f->inode()), FsContext::kUnchecked);
  return 0;
}

int64_t do_mkdirat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t mode) {
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path); r < 0) return r;
  int64_t err;
  Lookup l = lookup_at(k, dirfd, path, false, &err);
  if (err == -kENOTDIR && !l.node && l.parent) err = 0;  // "newdir/" is fine
  if (err) return err;
  if (l.node) return -kEEXIST;
  if (!l.parent) return -kENOENT;
  if (l.parent->read_only) return -kEROFS;
  if (int64_t r = may_create_in(k.current().creds, *l.parent); r < 0) return r;
  auto d = k.vfs().make_node(InodeKind::kDirectory, mode & 01777 & ~k.current().fs->umask);
  set_creator(k, *d, *l.parent);
  add_entry(k, l, d);
  return 0;
}

int64_t sys_mkdir(Kernel& k, const uint64_t* a) { return do_mkdirat(k, kAT_FDCWD, a[0], uint32_t(a[1])); }
int64_t sys_mkdirat(Kernel& k, const uint64_t* a) {
  return do_mkdirat(k, int(a[0]), a[1], uint32_t(a[2]));
}

int64_t do_unlinkat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t flags) {
  if (flags & ~kAT_REMOVEDIR) return -kEINVAL;
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path); r < 0) return r;
  bool rmdir = flags & kAT_REMOVEDIR;
  int64_t err;
  Lookup l = lookup_at(k, dirfd, path, false, &err);
  if (err) return err;
  if (!l.node) return -kENOENT;
  if (rmdir) {
    // fs/namei.c:do_rmdir(): "." is EINVAL, ".." is ENOTEMPTY, "/" is EBUSY.
    if (l.name == ".") return -kEINVAL;
    if (l.name == "..") return -kENOTEMPTY;
    if (l.node == k.vfs().root()) return -kEBUSY;
  } else if (l.name == "." || l.name == ".." || l.node == k.vfs().root()) {
    return -kEISDIR;  // do_unlinkat(): not a plain name
  }
  if (l.parent->read_only) return -kEROFS;
  // may_delete(): permission before the kind of file.
  if (int64_t r = may_delete_from(k.current().creds, *l.parent, *l.node); r < 0) return r;
  if (rmdir) {
    if (!l.node->is_dir()) return -kENOTDIR;
    k.vfs().materialize(l.node);
    if (!l.node->children.empty()) return -kENOTEMPTY;
  } else {
    if (l.node->is_dir()) return -kEISDIR;
  }
  if (l.node->kind == InodeKind::kDirectory && !l.node->children.empty()) return -kENOTEMPTY;
  l.node->drop_entry();  // a removed directory is empty: only a cwd in it is affected, and sees this
  l.parent->children.erase(l.name);
  l.parent->mtime_ns = l.parent->ctime_ns = l.node->ctime_ns = k.realtime_ns();
  fsnotify::removed(l.parent, l.name, l.node);
  return 0;
}

int64_t sys_unlink(Kernel& k, const uint64_t* a) { return do_unlinkat(k, kAT_FDCWD, a[0], 0); }
int64_t sys_rmdir(Kernel& k, const uint64_t* a) { return do_unlinkat(k, kAT_FDCWD, a[0], kAT_REMOVEDIR); }
int64_t sys_unlinkat(Kernel& k, const uint64_t* a) {
  return do_unlinkat(k, int(a[0]), a[1], uint32_t(a[2]));
}

bool is_ancestor(const InodeRef& maybe_parent, InodeRef node) {
  while (node) {
    if (node == maybe_parent) return true;
    node = node->parent.lock();
  }
  return false;
}

int64_t do_renameat2(Kernel& k, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp, uint32_t flags) {
  if (flags & ~(kRENAME_NOREPLACE | kRENAME_EXCHANGE | kRENAME_WHITEOUT)) return -kEINVAL;
  if ((flags & kRENAME_EXCHANGE) && (flags & (kRENAME_NOREPLACE | kRENAME_WHITEOUT))) return -kEINVAL;
  if (flags & kRENAME_WHITEOUT) return k.unsupported(316, "renameat2 RENAME_WHITEOUT");
  std::string op, np;
  if (int64_t r = read_path(k, oldp, op); r < 0) return r;
  if (int64_t r = read_path(k, newp, np); r < 0) return r;
  int64_t err;
  Lookup from = lookup_at(k, olddirfd, op, false, &err);
  if (err) return err;
  if (!from.node) return -kENOENT;
  Lookup to = lookup_at(k, newdirfd, np, false, &err);
  if (err == -kENOTDIR && !to.node && to.parent && from.node->is_dir()) err = 0;
  if (err) return err;
  if (!to.parent) return -kENOENT;
  if (from.name == "." || from.name == ".." || to.name == "." || to.name == "..") return -kEBUSY;
  if (from.parent->read_only || to.parent->read_only) return -kEROFS;
  const Credentials& c = k.current().creds;
  // vfs_rename(): the old entry may be deleted, the new one deleted or
  // created; a directory changing parents has its ".." rewritten (write).
  auto permitted = [&]() -> int64_t {
    if (int64_t r = may_delete_from(c, *from.parent, *from.node); r < 0) return r;
    if (int64_t r = to.node ? may_delete_from(c, *to.parent, *to.node) : may_create_in(c, *to.parent); r < 0) return r;
    if (from.parent != to.parent) {
      if (from.node->is_dir())
        if (int64_t r = inode_permission(c, *from.node, kMayWrite); r < 0) return r;
      if ((flags & kRENAME_EXCHANGE) && to.node->is_dir())
        if (int64_t r = inode_permission(c, *to.node, kMayWrite); r < 0) return r;
    }
    return 0;
  };
  if (flags & kRENAME_EXCHANGE) {
    if (!to.node) return -kENOENT;
    if (to.node != from.node)
      if (int64_t r = permitted(); r < 0) return r;
    std::swap(from.parent->children[from.name], to.parent->children[to.name]);
    k.vfs().directories_changed();
    from.parent->children[from.name]->parent = from.parent;
    to.parent->children[to.name]->parent = to.parent;
    if (to.node != from.node) {
      // vfs_rename(): one move each way.
      fsnotify::renamed(from.parent, from.name, to.parent, to.name, from.node, nullptr, k.next_fsnotify_cookie());
      fsnotify::renamed(to.parent, to.name, from.parent, from.name, to.node, nullptr, k.next_fsnotify_cookie());
    }
    return 0;
  }
  if (to.node == from.node) return 0;  // same file: nothing to do (rename(2))
  if (to.node && (flags & kRENAME_NOREPLACE)) return -kEEXIST;
  if (from.node->is_dir() && is_ancestor(from.node, to.parent)) return -kEINVAL;  // into its own subtree
  if (int64_t r = permitted(); r < 0) return r;
  if (from.node->is_dir()) {
    if (to.node && !to.node->is_dir()) return -kENOTDIR;
    if (to.node && !to.node->children.empty()) return -kENOTEMPTY;
  } else if (to.node && to.node->is_dir()) {
    return -kEISDIR;
  }
  InodeRef moving = from.node;
  if (to.node) to.node->drop_entry();  // replaced
  from.parent->children.erase(from.name);
  to.parent->children[to.name] = moving;
  if (moving->is_dir()) {
    moving->parent = to.parent;
    k.vfs().directories_changed();
  }
  int64_t now = k.realtime_ns();
  from.parent->mtime_ns = to.parent->mtime_ns = moving->ctime_ns = now;
  fsnotify::renamed(from.parent, from.name, to.parent, to.name, moving, to.node, k.next_fsnotify_cookie());
  return 0;
}

int64_t sys_rename(Kernel& k, const uint64_t* a) { return do_renameat2(k, kAT_FDCWD, a[0], kAT_FDCWD, a[1], 0); }
int64_t sys_renameat(Kernel& k, const uint64_t* a) {
  return do_renameat2(k, int(a[0]), a[1], int(a[2]), a[3], 0);
}
int64_t sys_renameat2(Kernel& k, const uint64_t* a) {
  return do_renameat2(k, int(a[0]), a[1], int(a[2]), a[3], uint32_t(a[4]));
}

// symlink(2)/symlinkat(2) (fs/namei.c do_symlinkat()): the target is kept
// as written (it may dangle); an empty one is ENOENT; the new name must not
// exist, not even as a dangling link (EEXIST).
int64_t do_symlinkat(Kernel& k, uint64_t target_ptr, int dirfd, uint64_t path_ptr) {
  std::string target, path;
  if (int64_t r = read_path(k, target_ptr, target); r < 0) return r;
  if (int64_t r = read_path(k, path_ptr, path); r < 0) return r;
  int64_t err;
  Lookup l = lookup_new_name(k, dirfd, path, &err);
  if (err) return err;
  if (l.node) return -kEEXIST;
  if (!l.parent) return -kENOENT;
  if (l.parent->read_only) return -kEROFS;
  if (int64_t r = may_create_in(k.current().creds, *l.parent); r < 0) return r;
  auto s = k.vfs().make_node(InodeKind::kSymlink, 0777);
  s->target = target;
  set_creator(k, *s, *l.parent);
  add_entry(k, l, s);
  return 0;
}

int64_t sys_symlink(Kernel& k, const uint64_t* a) { return do_symlinkat(k, a[0], kAT_FDCWD, a[1]); }

// link(2)/linkat(2) (fs/namei.c do_linkat()): a second directory entry for
// the same inode. The old name's symlink is followed only with
// AT_SYMLINK_FOLLOW; AT_EMPTY_PATH links the file `olddirfd` is open on
// (root may: CAP_DAC_READ_SEARCH), unless no entry names it any more.
// Directories cannot be linked (EPERM); a --mount is its own file system
// (EXDEV).
int64_t do_linkat(Kernel& k, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp, uint32_t flags) {
  if (flags & ~(kAT_SYMLINK_FOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  std::string op, np;
  bool empty_ok = (flags & kAT_EMPTY_PATH) && k.current().creds.capable_in(nullptr);
  if (int64_t r = read_path(k, oldp, op, empty_ok); r < 0) return r;
  Lookup from;
  int64_t err = 0;
  if (op.empty()) {
    if (int64_t r = empty_path_inode(k, olddirfd, -kENOENT, from.node); r < 0) return r;
    if (from.node->unlinked && !from.node->is_dir()) return -kENOENT;
  } else {
    from = lookup_at(k, olddirfd, op, flags & kAT_SYMLINK_FOLLOW, &err);
    if (err) return err;
    if (!from.node) return -kENOENT;
  }
  if (int64_t r = read_path(k, newp, np); r < 0) return r;
  Lookup to = lookup_new_name(k, newdirfd, np, &err);
  if (err) return err;
  if (to.node) return -kEEXIST;
  if (!to.parent) return -kENOENT;
  if (to.parent->read_only) return -kEROFS;
  if (from.node->read_only) return -kEXDEV;
  if (int64_t r = may_link(k.current().creds, *from.node); r < 0) return r;
  if (int64_t r = may_create_in(k.current().creds, *to.parent); r < 0) return r;
  if (from.node->is_dir()) return -kEPERM;
  k.vfs().materialize(from.node);
  ++from.node->links;
  to.parent->children[to.name] = from.node;
  int64_t now = k.realtime_ns();
  to.parent->mtime_ns = to.parent->ctime_ns = from.node->ctime_ns = now;
  fsnotify::linked(to.parent, to.name, from.node);
  return 0;
}

int64_t sys_link(Kernel& k, const uint64_t* a) { return do_linkat(k, kAT_FDCWD, a[0], kAT_FDCWD, a[1], 0); }
int64_t sys_linkat(Kernel& k, const uint64_t* a) {
  return do_linkat(k, int(a[0]), a[1], int(a[2]), a[3], uint32_t(a[4]));
}
int64_t sys_symlinkat(Kernel& k, const uint64_t* a) { return do_symlinkat(k, a[0], int(a[1]), a[2]); }

int64_t do_readlinkat(Kernel& k, int dirfd, uint64_t path_ptr, uint64_t buf, uint64_t size) {
  if (int32_t(size) <= 0) return -kEINVAL;  // fs/stat.c checks bufsiz before the path
  Lookup l;
  if (int64_t r = lookup_existing(k, dirfd, path_ptr, false, l); r < 0) return r;
  if (l.node->kind != InodeKind::kSymlink) return -kEINVAL;
  size_t n = std::min<uint64_t>(size, l.node->target.size());
  if (!k.mm().copy_out(UserPtr(buf), l.node->target.data(), n)) return -kEFAULT;
  return int64_t(n);
}

int64_t sys_readlink(Kernel& k, const uint64_t* a) { return do_readlinkat(k, kAT_FDCWD, a[0], a[1], a[2]); }
int64_t sys_readlinkat(Kernel& k, const uint64_t* a) {
  return do_readlinkat(k, int(a[0]), a[1], a[2], a[3]);
}

// getdents64(2), or with `old_layout` getdents(2): struct linux_dirent,
// whose records are as long as linux_dirent64's (the name one byte
// earlier, d_type in the record's last byte), so the same entries fit.
int64_t read_directory(Kernel& k, const uint64_t* a, bool old_layout) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  if (!f->inode() || !f->inode()->is_dir()) return -kENOTDIR;
  k.vfs().materialize(f->inode());
  k.vfs().refresh_proc(f->inode());
  uint64_t count = std::min<uint64_t>(a[2], 1 << 20);
  std::vector<char> tmp(count);
  int64_t r = f->getdents(tmp.data(), count);
  if (r >= 0 && !f->inode()->unlinked) fsnotify::accessed(*f);  // iterate_dir(), even at the end
  if (r <= 0) return r;
  if (old_layout) {
    // linux_dirent64: ino(8) off(8) reclen(2) type(1) name; linux_dirent:
    // ino(8) off(8) reclen(2) name ... type at reclen - 1.
    for (int64_t at = 0; at < r;) {
      char* rec = tmp.data() + at;
      uint16_t reclen;
      std::memcpy(&reclen, rec + 16, 2);
      char type = rec[18];
      std::memmove(rec + 18, rec + 19, reclen - 19);
      rec[reclen - 1] = type;
      at += reclen;
    }
  }
  if (!k.mm().copy_out(UserPtr(a[1]), tmp.data(), size_t(r))) return -kEFAULT;
  return r;
}

int64_t sys_getdents64(Kernel& k, const uint64_t* a) { return read_directory(k, a, false); }
int64_t sys_getdents(Kernel& k, const uint64_t* a) { return read_directory(k, a, true); }

}  // namespace

void register_dir_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_dir(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
