// Named FIFOs and mknod (fs/namei.c do_mknodat(), fs/pipe.c fifo_open()):
// a FIFO's pipe exists while someone has it open; opening one end waits
// for the other (O_NONBLOCK: a reader does not wait, a writer fails with
// ENXIO), and a wait ends when the other side has opened, even if it has
// closed again since. O_RDWR opens both ends and never waits.
#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

int64_t open_fifo(Kernel& k, const InodeRef& node, uint32_t flags, const std::string& path,
                  std::shared_ptr<EntryName> entry) {
  uint32_t acc = flags & kO_ACCMODE;
  // The pipe (and what it held) goes when the last opener closes it.
  if (!node->fifo || (!node->pipefs && node->fifo->readers == 0 && node->fifo->writers == 0))
    node->fifo = std::make_shared<Pipe>();
  std::shared_ptr<Pipe> pipe = node->fifo;
  bool nonblock = flags & kO_NONBLOCK;
  if (acc == kO_WRONLY && nonblock && pipe->readers == 0 && !node->pipefs) return -kENXIO;
  uint32_t file_flags = (flags | kO_LARGEFILE) & ~(kO_CREAT | kO_EXCL | kO_NOCTTY | kO_TRUNC | kO_CLOEXEC);
  auto end = std::make_shared<PipeEnd>(node, pipe, file_flags);
  end->path = path;
  end->set_entry(std::move(entry));
  if (end->readable()) ++pipe->reader_opens;
  if (end->writable()) ++pipe->writer_opens;
  ++pipe->wakes;
  // A reader that did not wait for a writer sees no hang-up until one came.
  if (acc == kO_RDONLY && nonblock && !node->pipefs && pipe->writers == 0) end->hide_hangup_until_writer();
  bool cloexec = flags & kO_CLOEXEC;
  // O_RDWR is both ends at once: POSIX leaves it undefined, Linux never waits.
  if (nonblock || node->pipefs || acc == kO_RDWR) {
    fsnotify::opened(*end);
    return k.current().fds->alloc(end, cloexec);
  }
  bool write = acc == kO_WRONLY;
  uint64_t seen = write ? pipe->reader_opens : pipe->writer_opens;
  auto attempt = [&k, end, pipe, write, seen, cloexec]() -> int64_t {
    bool partner = write ? (pipe->readers > 0 || pipe->reader_opens != seen)
                         : (pipe->writers > 0 || pipe->writer_opens != seen);
    if (!partner) return kBlocked;
    fsnotify::opened(*end);
    return k.current().fds->alloc(end, cloexec);
  };
  return k.attempt_or_block("open fifo", attempt);
}

namespace {

// mknodat(2): regular files, FIFOs and sockets for anyone; character and
// block devices for CAP_MKNOD only (EPERM); directories are EPERM.
int64_t do_mknodat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t mode, uint64_t dev) {
  uint32_t type = mode & kS_IFMT;
  switch (type) {
    case 0:
    case kS_IFREG:
    case kS_IFCHR:
    case kS_IFBLK:
    case kS_IFIFO:
    case kS_IFSOCK: break;
    case kS_IFDIR: return -kEPERM;
    default: return -kEINVAL;
  }
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path); r < 0) return r;
  int64_t err;
  Lookup l = lookup_at(k, dirfd, path, false, &err);
  if (err) return err;
  if (l.node) return -kEEXIST;
  if (!l.parent) return -kENOENT;
  if (path.back() == '/') return -kENOENT;
  if (l.parent->read_only) return -kEROFS;
  const Credentials& c = k.current().creds;
  if (int64_t r = may_create_in(c, *l.parent); r < 0) return r;  // vfs_mknod(): before CAP_MKNOD
  if ((type == kS_IFCHR || type == kS_IFBLK) && (c.userns || !c.capable())) return -kEPERM;  // CAP_MKNOD
  if (type == kS_IFBLK) return k.unsupported(259, "mknod of a block device");
  InodeKind kind = type == kS_IFIFO ? InodeKind::kFifo
                   : type == kS_IFCHR ? InodeKind::kCharDevice
                   : type == kS_IFSOCK ? InodeKind::kSocket
                                       : InodeKind::kRegular;
  auto n = k.vfs().make_node(kind, mode & 07777 & ~k.current().fs->umask);
  if (kind == InodeKind::kCharDevice) {
    // new_decode_dev(): the major and minor numbers of the device.
    n->rdev_major = uint32_t((dev & 0xfff00) >> 8);
    n->rdev_minor = uint32_t((dev & 0xff) | ((dev >> 12) & 0xfff00));
    // The memory devices Ditto models; others open as no device (ENXIO).
    if (n->rdev_major == 1) {
      switch (n->rdev_minor) {
        case 3: n->device = Device::kNull; break;
        case 5: n->device = Device::kZero; break;
        case 8:
        case 9: n->device = Device::kUrandom; break;
        default: break;
      }
    }
  }
  set_creator(k, *n, *l.parent);
  add_entry(k, l, n);
  return 0;
}

int64_t sys_mknod(Kernel& k, const uint64_t* a) { return do_mknodat(k, kAT_FDCWD, a[0], uint32_t(a[1]), a[2]); }
int64_t sys_mknodat(Kernel& k, const uint64_t* a) {
  return do_mknodat(k, int(a[0]), a[1], uint32_t(a[2]), a[3]);
}

}  // namespace

void register_fifo_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_fifo(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
