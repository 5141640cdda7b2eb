// File-system syscalls: open/close/read/write and friends, stat, truncate,
// pipes, descriptors, ioctl (directories are sys_dir.cc). Errno choices
// follow the man pages and fs/*.c.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "kernel/fsnotify.h"
#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"
#include "kernel/user_buffers.h"

namespace kernel {

using namespace abi;

namespace {

constexpr size_t kMaxChunk = 16u << 20;  // largest single host buffer for one read

// read(2) and its forms into `dst`, at *pos if given: bytes or -errno. A
// buffer that faults part of the way gets what fits (see File::read_into).
int64_t read_some(Kernel& k, File& f, const UserBuffers& dst, const uint64_t* pos) {
  if (!f.readable()) return -kEBADF;
  if (f.inode() && f.inode()->is_dir()) return -kEISDIR;
  uint64_t count = std::min<uint64_t>(dst.total(), kMaxRwCount);
  if (count == 0) return 0;
  // Size the host buffer by what can come back.
  uint64_t want = count;
  bool at_offset = !pos && f.positional();
  if (f.inode() && f.inode()->kind == InodeKind::kRegular) {
    uint64_t off = pos ? *pos : f.offset();
    uint64_t size = f.inode()->size();
    want = off >= size ? 0 : std::min(count, size - off);
    if (want == 0) return 0;
  }
  want = std::min<uint64_t>(want, kMaxChunk);
  uint64_t room = dst.accessible(k.mm(), 0, want, kPROT_WRITE);
  if (room < want && !pos && !at_offset) {
    // Pipes, the host's stdin, devices: each decides what a short buffer gets.
    std::vector<char> tmp(std::min(want, room + 1));
    size_t placed = 0;
    int64_t r = f.read_into(k, tmp.data(), want, room, placed);
    dst.copy_out(k.mm(), 0, tmp.data(), placed);
    return r;
  }
  // Files with offsets read what fits (filemap_read() stops at the fault).
  if (room == 0) return -kEFAULT;
  std::vector<char> tmp(room);
  int64_t r = pos         ? f.pread(k, tmp.data(), room, *pos)
              : at_offset ? f.pread(k, tmp.data(), room, f.offset())
                          : f.read(k, tmp.data(), room);
  if (r <= 0) return r;  // including kWouldBlock
  if (!dst.copy_out(k.mm(), 0, tmp.data(), size_t(r))) return -kEFAULT;
  if (at_offset) f.advance(uint64_t(r));
  return r;
}

// A read that got bytes is IN_ACCESS to inotify (vfs_read()).
int64_t do_read(Kernel& k, File& f, const UserBuffers& dst, const uint64_t* pos) {
  int64_t r = read_some(k, f, dst, pos);
  if (r > 0) fsnotify::accessed(f);
  return r;
}

// One write of bytes [from, total) of `src`, at *pos if given: bytes or
// -errno. A buffer that faults part of the way writes what comes before the
// fault (a pipe: its whole pages before it), or is EFAULT.
int64_t write_some(Kernel& k, File& f, const UserBuffers& src, uint64_t from, const uint64_t* pos) {
  if (!f.writable()) return -kEBADF;
  uint64_t count = std::min<uint64_t>(src.total(), kMaxRwCount) - from;
  auto write_at = [&](const char* data, uint64_t n, uint64_t done) {
    return pos ? f.pwrite(k, data, n, f.write_position(*pos + done)) : f.write(k, data, n);
  };
  if (count == 0 || f.discards_writes()) return write_at("", count, 0);
  if (auto* pipe = dynamic_cast<PipeEnd*>(&f)) {
    uint64_t window = pipe->write_window(count);
    uint64_t readable = src.accessible(k.mm(), from, window, kPROT_READ);
    std::vector<char> tmp(readable);
    src.copy_in(k.mm(), from, tmp.data(), readable);
    // Past the window the pipe is full: what lies there is not looked at yet.
    return pipe->write_from(k, tmp.data(), count, readable < window ? readable : count);
  }
  uint64_t readable = src.accessible(k.mm(), from, count, kPROT_READ);
  if (readable == 0) return -kEFAULT;
  std::vector<char> tmp(std::min<uint64_t>(readable, kMaxChunk));
  uint64_t done = 0;
  while (done < readable) {
    uint64_t n = std::min<uint64_t>(readable - done, tmp.size());
    if (!src.copy_in(k.mm(), from + done, tmp.data(), n)) break;
    int64_t r = write_at(tmp.data(), n, done);
    if (r < 0) return done ? int64_t(done) : r;  // including kWouldBlock
    done += uint64_t(r);
    if (uint64_t(r) < n) break;
  }
  return done ? int64_t(done) : -kEFAULT;
}

// A write that wrote bytes is IN_MODIFY to inotify (vfs_write()).
int64_t do_write(Kernel& k, File& f, const UserBuffers& src, uint64_t from, const uint64_t* pos) {
  int64_t r = write_some(k, f, src, from, pos);
  if (r > 0) fsnotify::modified(f);
  return r;
}

// The descriptor and buffer checks of read(2) and write(2) in
// fs/read_write.c's order: the file, its mode, then access_ok().
std::shared_ptr<File> checked_rw_file(Kernel& k, const uint64_t* a, bool write, int64_t& err) {
  auto f = get_file(k, a[0]);
  err = !f ? -kEBADF : !(write ? f->writable() : f->readable()) ? -kEBADF
        : !MemoryManager::user_range(a[1], a[2])               ? -kEFAULT
                                                               : 0;
  return err ? nullptr : f;
}

int64_t sys_read(Kernel& k, const uint64_t* a) {
  int64_t err;
  auto f = checked_rw_file(k, a, false, err);
  if (!f) return err;
  UserBuffers dst(a[1], a[2]);
  // A file that becomes readable by itself (a timerfd) wakes its reader then.
  int64_t deadline = wait_deadline(k, *f, false), ready = f->next_ready_ns(k);
  return blocking(
      k, "read",
      [&k, f, dst, deadline] {
        int64_t r = do_read(k, *f, dst, nullptr);
        return r == kWouldBlock && past(k, deadline) ? -kEAGAIN : r;
      },
      ready < 0 || (deadline >= 0 && deadline < ready) ? deadline : ready);
}

// Writes `total` bytes to `f`, `attempt(offset)` making one write of what
// remains from `offset`. A blocking pipe takes all of them, waiting for room
// as needed (EPIPE midway reports what was written before it); anything
// else is written once, as write(2) and writev(2) do.
template <class Attempt>
int64_t write_through(Kernel& k, const std::shared_ptr<File>& f, const char* reason, uint64_t total,
                      Attempt attempt) {
  bool all = dynamic_cast<PipeEnd*>(f.get()) && !(f->flags() & kO_NONBLOCK);
  auto done = std::make_shared<uint64_t>(0);
  int64_t deadline = wait_deadline(k, *f, true);
  return blocking(k, reason, [&k, total, attempt, all, done, deadline]() mutable -> int64_t {
    do {
      int64_t r = attempt(*done);
      if (r == kWouldBlock && past(k, deadline)) return *done ? int64_t(*done) : -kEAGAIN;
      if (r == kWouldBlock) return *done && !all ? int64_t(*done) : kWouldBlock;
      if (r < 0) return *done ? int64_t(*done) : r;
      *done += uint64_t(r);
    } while (all && *done < total);
    return int64_t(*done);
  }, deadline);
}

int64_t sys_write(Kernel& k, const uint64_t* a) {
  int64_t err;
  auto f = checked_rw_file(k, a, true, err);
  if (!f) return err;
  UserBuffers src(a[1], std::min<uint64_t>(a[2], kMaxRwCount));
  return write_through(k, f, "write", src.total(),
                       [&k, f, src](uint64_t off) { return do_write(k, *f, src, off, nullptr); });
}

// The file of a positional read or write at `pos`, checked in Linux's order
// (fs/read_write.c ksys_pread64(), do_preadv()): a negative offset, then the
// descriptor, then a file without offsets (pipes, the host's stdio).
std::shared_ptr<File> positional_file(Kernel& k, uint64_t fd, uint64_t pos, int64_t& err) {
  err = int64_t(pos) < 0 ? -kEINVAL : 0;
  if (err) return nullptr;
  auto f = get_file(k, fd);
  err = !f ? -kEBADF : dynamic_cast<PipeEnd*>(f.get()) || dynamic_cast<HostStdio*>(f.get()) ? -kESPIPE : 0;
  return err ? nullptr : f;
}

int64_t sys_pread64(Kernel& k, const uint64_t* a) {
  int64_t err;
  auto f = positional_file(k, a[0], a[3], err);
  if (!f) return err;
  if (!f->readable()) return -kEBADF;
  if (!MemoryManager::user_range(a[1], a[2])) return -kEFAULT;
  return do_read(k, *f, UserBuffers(a[1], a[2]), &a[3]);
}

int64_t sys_pwrite64(Kernel& k, const uint64_t* a) {
  int64_t err;
  auto f = positional_file(k, a[0], a[3], err);
  if (!f) return err;
  if (!f->writable()) return -kEBADF;
  if (!MemoryManager::user_range(a[1], a[2])) return -kEFAULT;
  return do_write(k, *f, UserBuffers(a[1], std::min<uint64_t>(a[2], kMaxRwCount)), 0, &a[3]);
}

// readv(2), or preadv(2) at *pos.
int64_t do_readv(Kernel& k, const uint64_t* a, const uint64_t* pos = nullptr) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  std::vector<Iovec> iov;
  int64_t total = read_iovecs(k.mm(), a[1], a[2], iov);
  if (total < 0) return total;
  return do_read(k, *f, UserBuffers(std::move(iov)), pos);
}

// writev's iovecs, checked: 0 or -errno.
int64_t writev_buffers(Kernel& k, File& f, const uint64_t* a, std::shared_ptr<UserBuffers>& out) {
  std::vector<Iovec> iov;
  int64_t total = read_iovecs(k.mm(), a[1], a[2], iov);
  if (total < 0) return total;
  if (!f.writable()) return -kEBADF;
  out = std::make_shared<UserBuffers>(std::move(iov));
  return 0;
}

int64_t sys_readv(Kernel& k, const uint64_t* a) {
  std::array<uint64_t, 6> args;
  std::copy_n(a, 6, args.begin());
  auto f = get_file(k, a[0]);
  int64_t deadline = f ? wait_deadline(k, *f, false) : -1;
  return blocking(
      k, "readv",
      [&k, args, deadline] {
        int64_t r = do_readv(k, args.data());
        return r == kWouldBlock && past(k, deadline) ? -kEAGAIN : r;
      },
      deadline);
}

int64_t sys_writev(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  std::shared_ptr<UserBuffers> src;
  if (int64_t r = writev_buffers(k, *f, a, src); r < 0) return r;
  return write_through(k, f, "writev", src->total(),
                       [&k, f, src](uint64_t off) { return do_write(k, *f, *src, off, nullptr); });
}

// preadv(2), pwritev(2) and their *v2 forms (RWF_* flags, those of Linux 6.1
// which uname reports; an offset of -1 means the file's own, as readv/writev).
// On x86-64 the offset is one register: pos_h shifts out entirely
// (fs/read_write.c pos_from_hilo()).
constexpr uint64_t kRWF_HIPRI = 1, kRWF_DSYNC = 2, kRWF_SYNC = 4, kRWF_NOWAIT = 8, kRWF_APPEND = 16;

int64_t positional_v(Kernel& k, const uint64_t* a, uint64_t flags, bool write, uint32_t nr) {
  if (flags & ~(kRWF_HIPRI | kRWF_DSYNC | kRWF_SYNC | kRWF_NOWAIT | kRWF_APPEND)) return -kENOTSUP;
  // HIPRI (polled I/O) and the sync flags change nothing for memory-backed
  // files; NOWAIT and APPEND are not modelled.
  if (flags & (kRWF_NOWAIT | kRWF_APPEND)) return k.unsupported(nr, write ? "pwritev2 flags" : "preadv2 flags");
  if ((nr == 327 || nr == 328) && a[3] == ~uint64_t(0)) return write ? sys_writev(k, a) : sys_readv(k, a);
  int64_t err;
  auto f = positional_file(k, a[0], a[3], err);
  if (!f) return err;
  if (!write) return do_readv(k, a, &a[3]);
  std::shared_ptr<UserBuffers> src;
  if (int64_t r = writev_buffers(k, *f, a, src); r < 0) return r;
  return src->total() == 0 ? 0 : do_write(k, *f, *src, 0, &a[3]);
}

int64_t sys_preadv(Kernel& k, const uint64_t* a) { return positional_v(k, a, 0, false, 295); }
int64_t sys_pwritev(Kernel& k, const uint64_t* a) { return positional_v(k, a, 0, true, 296); }
int64_t sys_preadv2(Kernel& k, const uint64_t* a) { return positional_v(k, a, a[5], false, 327); }
int64_t sys_pwritev2(Kernel& k, const uint64_t* a) { return positional_v(k, a, a[5], true, 328); }

// An opened file gets its descriptor; inotify hears IN_OPEN, then the
// truncation of O_TRUNC (do_open(): handle_truncate() after vfs_open()).
int64_t install_opened(Kernel& k, const std::shared_ptr<File>& f, const Lookup& l, uint32_t flags, bool truncated) {
  f->set_entry(fsnotify::entry_for(f->inode(), l.parent, l.name));
  fsnotify::opened(*f);
  if (truncated) fsnotify::changed(*f, fsn::kModify);
  return k.current().fds->alloc(f, flags & kO_CLOEXEC);
}

int64_t do_openat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t flags, uint32_t mode) {
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path); r < 0) return r;
  // build_open_how(): O_PATH keeps only the flags that go with it (no
  // O_CREAT, no O_LARGEFILE).
  if (flags & kO_PATH) flags &= kO_PATH | kO_DIRECTORY | kO_NOFOLLOW | kO_CLOEXEC;
  if ((flags & kO_TMPFILE) == kO_TMPFILE) return k.unsupported(257, "open O_TMPFILE");
  bool follow = !(flags & kO_NOFOLLOW);
  int64_t err;
  Lookup l = lookup_at(k, dirfd, path, follow, &err);
  if (err) return err;
  uint32_t acc = flags & kO_ACCMODE;
  bool wants_write = acc == kO_WRONLY || acc == kO_RDWR || (flags & kO_TRUNC);
  InodeRef node = l.node;
  bool truncated = false;
  if (!node) {
    if (!(flags & kO_CREAT)) return -kENOENT;
    if (!l.parent) return -kENOENT;
    if (path.back() == '/') return -kEISDIR;
    if (l.parent->read_only) return -kEROFS;
    if (int64_t r = may_create_in(k.current().creds, *l.parent); r < 0) return r;
    node = k.vfs().make_node(InodeKind::kRegular, mode & 07777 & ~k.current().fs->umask);
    set_creator(k, *node, *l.parent);
    add_entry(k, l, node);
  } else {
    if ((flags & kO_CREAT) && (flags & kO_EXCL)) return -kEEXIST;
    if (node->kind == InodeKind::kSymlink) {
      // Only reached with O_NOFOLLOW (or O_PATH).
      if (!(flags & kO_PATH)) return -kELOOP;
    }
    if ((flags & kO_DIRECTORY) && !node->is_dir()) return -kENOTDIR;
    if (node->is_dir() && (wants_write || (flags & kO_CREAT))) return -kEISDIR;
    if (wants_write && node->read_only && !(flags & kO_PATH) && node->kind != InodeKind::kCharDevice)
      return -kEROFS;
    if (!(flags & kO_PATH)) {
      // may_open(): the mode bits for what the open asks (O_TRUNC writes),
      // and O_NOATIME for the owner only.
      uint32_t want = (acc != kO_WRONLY ? kMayRead : 0) | (wants_write ? kMayWrite : 0);
      if (acc == 3) want = kMayRead | kMayWrite;  // ACC_MODE(3)
      if (int64_t r = inode_permission(k.current().creds, *node, want); r < 0) return r;
      if ((flags & kO_NOATIME) && !owner_or_capable(k.current().creds, *node)) return -kEPERM;
    }
    if (wants_write && !(flags & kO_PATH) && node->kind == InodeKind::kRegular) {
      // A host file the guest changes is copied up first (the host's copy
      // is never written); one it truncates need not be read at all.
      if ((flags & kO_TRUNC) && !node->host_read_err) node->contents_pending = false;
      if (int e = k.vfs().load_contents(node)) return -e;
    }
    if ((flags & kO_TRUNC) && node->kind == InodeKind::kRegular && wants_write && !(flags & kO_PATH)) {
      node->truncate(0);
      node->mtime_ns = node->ctime_ns = k.realtime_ns();
      truncated = true;
    }
  }
  // A host file's bytes are captured when it is first opened to be read
  // (listing or stat-ing a directory of them stores none); a host file or
  // directory Ditto may not read is EACCES to the guest too.
  if (!(flags & kO_PATH) && acc != kO_WRONLY && (node->kind == InodeKind::kRegular || node->is_dir()))
    if (int e = k.vfs().load_contents(node)) return -e;
  if (!(flags & kO_PATH)) {
    // What /proc/PID/fd/N can lead to besides files: sockets and anonymous
    // inodes cannot be opened (ENXIO); the guest's stdio opens its pipe
    // to the host again, in the direction it goes.
    if (node->anonymous || node->kind == InodeKind::kSocket) return -kENXIO;
    if (node->host_stdio_fd >= 0) {
      bool out = node->host_stdio_fd != 0;
      if (acc != (out ? kO_WRONLY : kO_RDONLY)) return -kENXIO;
      auto f = std::make_shared<HostStdio>(node, node->host_stdio_fd, acc | (flags & kO_NONBLOCK) | kO_LARGEFILE);
      f->path = l.path;
      return install_opened(k, f, l, flags, false);
    }
  }
  if (node->kind == InodeKind::kFifo && !(flags & kO_PATH))
    return open_fifo(k, node, flags, l.path, fsnotify::entry_for(node, l.parent, l.name));
  // A device node of a device Ditto does not have (mknod): no such device.
  if (node->kind == InodeKind::kCharDevice && node->device == Device::kNone && !(flags & kO_PATH)) return -kENXIO;
  // 64-bit kernels open every file O_LARGEFILE (fs/open.c build_open_flags(),
  // force_o_largefile()): F_GETFL shows it.
  uint32_t large = (flags & kO_PATH) ? 0u : uint32_t(kO_LARGEFILE);
  auto f = open_inode(node, (flags | large) & ~(kO_CREAT | kO_EXCL | kO_NOCTTY | kO_TRUNC | kO_CLOEXEC));
  f->path = l.path;
  return install_opened(k, f, l, flags, truncated);
}

int64_t sys_open(Kernel& k, const uint64_t* a) { return do_openat(k, kAT_FDCWD, a[0], uint32_t(a[1]), uint32_t(a[2])); }
int64_t sys_openat(Kernel& k, const uint64_t* a) {
  return do_openat(k, int(a[0]), a[1], uint32_t(a[2]), uint32_t(a[3]));
}
// openat2(2) (fs/open.c build_open_flags()): struct open_how read as
// copy_struct_from_user() does (EINVAL below its first 24 bytes, E2BIG past
// a page or for nonzero bytes past what Ditto knows), then checks that
// open() leaves out: unknown flags, a mode without O_CREAT, O_PATH's
// companions, the resolve flags. RESOLVE_CACHED is honoured (every lookup
// here is cached); the other RESOLVE_* restrictions are not modelled yet.
int64_t sys_openat2(Kernel& k, const uint64_t* a) {
  struct OpenHow {
    uint64_t flags, mode, resolve;
  } how{};
  uint64_t usize = a[3];
  if (usize < sizeof how) return -kEINVAL;
  if (usize > cpu::kPageSize) return -kE2BIG;
  if (!k.mm().read(UserPtr(a[2]), how)) return -kEFAULT;
  for (uint64_t off = sizeof how; off < usize; ++off) {
    uint8_t b;
    if (!k.mm().read(UserPtr(a[2] + off), b)) return -kEFAULT;
    if (b) return -kE2BIG;
  }
  constexpr uint64_t kFASYNC = 020000;
  constexpr uint64_t kValidOpenFlags = kO_ACCMODE | kO_CREAT | kO_EXCL | kO_NOCTTY | kO_TRUNC | kO_APPEND |
                                       kO_NONBLOCK | kO_SYNC | kO_DSYNC | kFASYNC | kO_DIRECT | kO_LARGEFILE |
                                       kO_DIRECTORY | kO_NOFOLLOW | kO_NOATIME | kO_CLOEXEC | kO_PATH | kO_TMPFILE;
  constexpr uint64_t kRESOLVE_NO_XDEV = 1, kRESOLVE_NO_MAGICLINKS = 2, kRESOLVE_NO_SYMLINKS = 4,
                     kRESOLVE_BENEATH = 8, kRESOLVE_IN_ROOT = 0x10, kRESOLVE_CACHED = 0x20;
  constexpr uint64_t kValidResolve = kRESOLVE_NO_XDEV | kRESOLVE_NO_MAGICLINKS | kRESOLVE_NO_SYMLINKS |
                                     kRESOLVE_BENEATH | kRESOLVE_IN_ROOT | kRESOLVE_CACHED;
  uint64_t flags = how.flags;
  if (flags & ~kValidOpenFlags) return -kEINVAL;
  if (how.resolve & ~kValidResolve) return -kEINVAL;
  if ((how.resolve & kRESOLVE_BENEATH) && (how.resolve & kRESOLVE_IN_ROOT)) return -kEINVAL;
  bool creates = (flags & kO_CREAT) || (flags & kO_TMPFILE) == kO_TMPFILE;
  if (creates ? (how.mode & ~uint64_t(07777)) : how.mode) return -kEINVAL;
  if ((flags & kO_DIRECTORY) && (flags & kO_CREAT)) return -kEINVAL;
  constexpr uint64_t kPathFlags = kO_DIRECTORY | kO_NOFOLLOW | kO_PATH | kO_CLOEXEC;
  if ((flags & kO_PATH) && (flags & ~kPathFlags)) return -kEINVAL;
  if ((how.resolve & kRESOLVE_CACHED) && (flags & (kO_TRUNC | kO_CREAT | kO_TMPFILE))) return -kEAGAIN;
  if (how.resolve & ~kRESOLVE_CACHED) return k.unsupported(437, "openat2 RESOLVE_* restrictions");
  return do_openat(k, int(a[0]), a[1], uint32_t(flags), uint32_t(how.mode));
}

int64_t sys_creat(Kernel& k, const uint64_t* a) {
  return do_openat(k, kAT_FDCWD, a[0], kO_CREAT | kO_WRONLY | kO_TRUNC, uint32_t(a[1]));
}

int64_t sys_close(Kernel& k, const uint64_t* a) {
  if (a[0] > 0x7fffffff) return -kEBADF;
  return k.current().fds->close(int(a[0]));
}

// close_range(2) (fs/file.c): closes, or marks close-on-exec, every open
// descriptor from first to last; with CLOSE_RANGE_UNSHARE the task first
// gets a table of its own.
int64_t sys_close_range(Kernel& k, const uint64_t* a) {
  constexpr uint64_t kUnshare = 2, kCloexec = 4;
  uint32_t first = uint32_t(a[0]), last = uint32_t(a[1]);
  uint64_t flags = a[2];
  if (flags & ~(kUnshare | kCloexec)) return -kEINVAL;
  if (first > last) return -kEINVAL;
  Task& t = k.current();
  if ((flags & kUnshare) && t.fds.use_count() > 1) t.fds = std::make_shared<FdTable>(*t.fds);
  FdTable& fds = *t.fds;
  uint64_t end = std::min<uint64_t>(uint64_t(last) + 1, fds.entries().size());
  for (uint64_t fd = first; fd < end; ++fd) {
    FdEntry* e = fds.entry(int(fd));
    if (!e) continue;
    if (flags & kCloexec) e->cloexec = true;
    else fds.close(int(fd));
  }
  return 0;
}

int64_t sys_lseek(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  if (uint32_t(a[2]) > 4) return -kEINVAL;  // past SEEK_HOLE, for every kind of file (ksys_lseek())
  return f->seek(int64_t(a[1]), int(a[2]));
}

// Writes `st` out with its owner as the caller's user namespace shows it.
int64_t write_stat(Kernel& k, Stat st, uint64_t buf) {
  st.st_uid = k.current().creds.view(st.st_uid);
  st.st_gid = k.current().creds.view(st.st_gid);
  return k.mm().write(UserPtr(buf), st) ? 0 : -kEFAULT;
}

int64_t stat_out(Kernel& k, const Inode& n, uint64_t buf) {
  Stat st;
  fill_stat(n, st);
  return write_stat(k, st, buf);
}

int64_t do_fstatat(Kernel& k, int dirfd, uint64_t path_ptr, uint64_t buf, uint32_t flags) {
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH | kAT_NO_AUTOMOUNT)) return -kEINVAL;
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path, flags & kAT_EMPTY_PATH); r < 0) return r;
  if (path.empty()) {
    if (dirfd == kAT_FDCWD) return stat_out(k, *k.current().fs->cwd_node, buf);
    auto f = get_file(k, uint64_t(uint32_t(dirfd)));
    if (!f) return -kEBADF;
    Stat st;
    f->stat(st);
    return write_stat(k, st, buf);
  }
  int64_t err;
  Lookup l = lookup_at(k, dirfd, path, !(flags & kAT_SYMLINK_NOFOLLOW), &err);
  if (err) return err;
  if (!l.node) return -kENOENT;
  return stat_out(k, *l.node, buf);
}

int64_t sys_stat(Kernel& k, const uint64_t* a) { return do_fstatat(k, kAT_FDCWD, a[0], a[1], 0); }
int64_t sys_lstat(Kernel& k, const uint64_t* a) {
  return do_fstatat(k, kAT_FDCWD, a[0], a[1], kAT_SYMLINK_NOFOLLOW);
}
int64_t sys_newfstatat(Kernel& k, const uint64_t* a) {
  return do_fstatat(k, int(a[0]), a[1], a[2], uint32_t(a[3]));
}
int64_t sys_fstat(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  Stat st;
  f->stat(st);
  return write_stat(k, st, a[1]);
}

int64_t sys_statx(Kernel& k, const uint64_t* a) {
  int dirfd = int(a[0]);
  uint32_t flags = uint32_t(a[2]), mask = uint32_t(a[3]);
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH | kAT_NO_AUTOMOUNT | kAT_STATX_SYNC_TYPE))
    return -kEINVAL;
  if ((flags & kAT_STATX_SYNC_TYPE) == kAT_STATX_SYNC_TYPE) return -kEINVAL;
  if (mask & kSTATX__RESERVED) return -kEINVAL;
  std::string path;
  if (int64_t r = read_path(k, a[1], path, flags & kAT_EMPTY_PATH); r < 0) return r;
  Stat st;
  if (path.empty()) {
    auto f = dirfd == kAT_FDCWD ? nullptr : get_file(k, uint64_t(uint32_t(dirfd)));
    if (dirfd == kAT_FDCWD) {
      fill_stat(*k.current().fs->cwd_node, st);
    } else if (!f) {
      return -kEBADF;
    } else {
      f->stat(st);
    }
  } else {
    int64_t err;
    Lookup l = lookup_at(k, dirfd, path, !(flags & kAT_SYMLINK_NOFOLLOW), &err);
    if (err) return err;
    if (!l.node) return -kENOENT;
    fill_stat(*l.node, st);
  }
  Statx sx{};
  sx.stx_mask = kSTATX_BASIC_STATS;
  sx.stx_blksize = uint32_t(st.st_blksize);
  sx.stx_nlink = uint32_t(st.st_nlink);
  sx.stx_uid = k.current().creds.view(st.st_uid);
  sx.stx_gid = k.current().creds.view(st.st_gid);
  sx.stx_mode = uint16_t(st.st_mode);
  sx.stx_ino = st.st_ino;
  sx.stx_size = uint64_t(st.st_size);
  sx.stx_blocks = uint64_t(st.st_blocks);
  sx.stx_atime = {st.st_atim.tv_sec, uint32_t(st.st_atim.tv_nsec), 0};
  sx.stx_mtime = {st.st_mtim.tv_sec, uint32_t(st.st_mtim.tv_nsec), 0};
  sx.stx_ctime = {st.st_ctim.tv_sec, uint32_t(st.st_ctim.tv_nsec), 0};
  sx.stx_rdev_major = uint32_t(st.st_rdev >> 8);
  sx.stx_rdev_minor = uint32_t(st.st_rdev & 0xff);
  sx.stx_dev_major = 0;
  sx.stx_dev_minor = uint32_t(st.st_dev);
  return k.mm().write(UserPtr(a[4]), sx) ? 0 : -kEFAULT;
}

int64_t do_faccessat(Kernel& k, int dirfd, uint64_t path_ptr, uint32_t mode, uint32_t flags) {
  if (mode & ~uint32_t(kR_OK | kW_OK | kX_OK)) return -kEINVAL;
  if (flags & ~(kAT_EACCESS | kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path, flags & kAT_EMPTY_PATH); r < 0) return r;
  // The walk and the check use the real ids unless AT_EACCESS
  // (do_faccessat(): access_override_creds()).
  struct Override {
    Credentials& creds;
    Credentials saved;
    ~Override() { creds = saved; }
  } override_{k.current().creds, k.current().creds};
  if (!(flags & kAT_EACCESS)) k.current().creds = access_credentials(override_.saved);
  InodeRef node;
  if (path.empty()) {
    auto f = get_file(k, uint64_t(uint32_t(dirfd)));
    if (!f) return -kEBADF;
    node = f->inode();
  } else {
    int64_t err;
    Lookup l = lookup_at(k, dirfd, path, !(flags & kAT_SYMLINK_NOFOLLOW), &err);
    if (err) return err;
    if (!l.node) return -kENOENT;
    node = l.node;
  }
  if ((mode & kW_OK) && node->read_only && node->kind != InodeKind::kCharDevice) return -kEROFS;
  return inode_permission(k.current().creds, *node, mode & (kR_OK | kW_OK | kX_OK));
}

int64_t sys_access(Kernel& k, const uint64_t* a) { return do_faccessat(k, kAT_FDCWD, a[0], uint32_t(a[1]), 0); }
int64_t sys_faccessat(Kernel& k, const uint64_t* a) {
  return do_faccessat(k, int(a[0]), a[1], uint32_t(a[2]), 0);
}
int64_t sys_faccessat2(Kernel& k, const uint64_t* a) {
  return do_faccessat(k, int(a[0]), a[1], uint32_t(a[2]), uint32_t(a[3]));
}

int64_t do_pipe2(Kernel& k, uint64_t fds_ptr, uint32_t flags) {
  if (flags & ~(kO_CLOEXEC | kO_NONBLOCK | kO_DIRECT)) return -kEINVAL;
  auto pipe = std::make_shared<Pipe>();
  auto node = k.vfs().make_node(InodeKind::kFifo, 0600);
  set_caller_owner(k, *node);
  node->fifo = pipe;  // reopened through /proc/PID/fd/N as a FIFO
  node->pipefs = true;
  auto r = std::make_shared<PipeEnd>(node, pipe, kO_RDONLY | (flags & kO_NONBLOCK));
  auto w = std::make_shared<PipeEnd>(node, pipe, kO_WRONLY | (flags & kO_NONBLOCK));
  r->path = w->path = "pipe:[" + std::to_string(node->ino) + "]";
  FdTable& t = *k.current().fds;
  int rfd = t.alloc(r, flags & kO_CLOEXEC);
  if (rfd < 0) return rfd;
  int wfd = t.alloc(w, flags & kO_CLOEXEC);
  if (wfd < 0) {
    t.close(rfd);
    return wfd;
  }
  int32_t out[2] = {rfd, wfd};
  if (!k.mm().copy_out(UserPtr(fds_ptr), out, sizeof out)) {
    t.close(rfd);
    t.close(wfd);
    return -kEFAULT;
  }
  return 0;
}

int64_t sys_pipe(Kernel& k, const uint64_t* a) { return do_pipe2(k, a[0], 0); }
int64_t sys_pipe2(Kernel& k, const uint64_t* a) { return do_pipe2(k, a[0], uint32_t(a[1])); }

int64_t sys_dup(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  return k.current().fds->alloc(f, false);
}

int64_t sys_dup2(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  if (a[0] == a[1]) return int64_t(a[1]);
  if (a[1] >= uint64_t(k.current().fds->max_fds())) return -kEBADF;
  return k.current().fds->install(int(a[1]), f, false);
}

int64_t sys_dup3(Kernel& k, const uint64_t* a) {
  if (a[2] & ~uint64_t(kO_CLOEXEC)) return -kEINVAL;
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  if (a[0] == a[1]) return -kEINVAL;
  if (a[1] >= uint64_t(k.current().fds->max_fds())) return -kEBADF;
  return k.current().fds->install(int(a[1]), f, a[2] & kO_CLOEXEC);
}

int64_t sys_fcntl(Kernel& k, const uint64_t* a) {
  FdTable& t = *k.current().fds;
  FdEntry* e = a[0] > 0x7fffffff ? nullptr : t.entry(int(a[0]));
  if (!e) return -kEBADF;
  int cmd = int(a[1]);
  switch (cmd) {
    case kF_DUPFD:
    case kF_DUPFD_CLOEXEC:
      if (a[2] >= uint64_t(t.max_fds())) return -kEINVAL;
      return t.alloc(e->file, cmd == kF_DUPFD_CLOEXEC, int(a[2]));
    case kF_GETFD: return e->cloexec ? kFD_CLOEXEC : 0;
    case kF_SETFD: e->cloexec = a[2] & kFD_CLOEXEC; return 0;
    case kF_GETFL: return int64_t(e->file->flags());
    case kF_SETFL: e->file->set_status_flags(uint32_t(a[2])); return 0;
    case 5:   // F_GETLK
    case 6:   // F_SETLK
    case 7:   // F_SETLKW
    case 36:  // F_OFD_GETLK
    case 37:  // F_OFD_SETLK
    case 38:  // F_OFD_SETLKW
      return fcntl_record_lock(k, e->file, cmd, a[2]);
    case kF_GETPIPE_SZ:
    case kF_SETPIPE_SZ: {
      auto* p = dynamic_cast<PipeEnd*>(e->file.get());
      if (!p) return -kEBADF;
      if (cmd == kF_GETPIPE_SZ) return int64_t(p->pipe().capacity);
      // fs/pipe.c: rounded up to a power-of-two number of pages, at most
      // /proc/sys/fs/pipe-max-size (1 MiB); never below what is buffered.
      uint64_t want = a[2] & 0xffffffffu;
      if (want > (1u << 20)) return -kEPERM;
      uint64_t size = cpu::kPageSize;
      while (size < want) size <<= 1;
      if (size / 4096 < p->pipe().bufs.size()) return -kEBUSY;
      p->pipe().capacity = size;
      return int64_t(size);
    }
    default: {
      // Known to Linux but not modelled yet (locks, owners, leases, seals,
      // hints): counted by name. Anything else is EINVAL, as on Linux.
      static const std::pair<int, const char*> known[] = {
          {8, "F_SETOWN"},
          {9, "F_GETOWN"},       {10, "F_SETSIG"},      {11, "F_GETSIG"},        {15, "F_SETOWN_EX"},
          {16, "F_GETOWN_EX"},
          {1024, "F_SETLEASE"},  {1025, "F_GETLEASE"},  {1026, "F_NOTIFY"},      {1033, "F_ADD_SEALS"},
          {1034, "F_GET_SEALS"}, {1035, "F_GET_RW_HINT"}, {1036, "F_SET_RW_HINT"}, {1037, "F_GET_FILE_RW_HINT"},
          {1038, "F_SET_FILE_RW_HINT"}};
      for (auto [c, name] : known)
        if (c == cmd) return k.unsupported(72, std::string("fcntl ") + name);
      return -kEINVAL;
    }
  }
}

// ioctl(2): the requests fs/ioctl.c do_vfs_ioctl() answers for every file,
// then the file's own (a pipe's FIONREAD). There is no terminal in Ditto's
// model, so terminal requests (TCGETS, TIOCGWINSZ, ...) and requests a
// file does not know are ENOTTY, as Linux says for a pipe or a file; those
// Linux's tmpfs would answer and Ditto does not are counted as unsupported.
int64_t sys_ioctl(Kernel& k, const uint64_t* a) {
  FdTable& t = *k.current().fds;
  FdEntry* e = a[0] > 0x7fffffff ? nullptr : t.entry(int(a[0]));
  if (!e || (e->file->flags() & kO_PATH)) return -kEBADF;  // fdget(): O_PATH descriptors do no ioctl
  File& f = *e->file;
  const Inode* node = f.inode().get();
  bool regular = node && node->kind == InodeKind::kRegular;
  auto read_int = [&](int32_t& v) { return k.mm().read(UserPtr(a[2]), v); };
  auto tmpfs_would = [&](const char* name) -> int64_t {
    if (regular || (node && node->is_dir())) k.unsupported(16, name);
    return -kENOTTY;
  };
  switch (uint32_t(a[1])) {
    case kFIOCLEX: e->cloexec = true; return 0;
    case kFIONCLEX: e->cloexec = false; return 0;
    case kFIONBIO: {
      int32_t on;
      if (!read_int(on)) return -kEFAULT;
      f.set_status_flags(on ? f.flags() | kO_NONBLOCK : f.flags() & ~kO_NONBLOCK);
      return 0;
    }
    case kFIOASYNC: {
      int32_t on;
      if (!read_int(on)) return -kEFAULT;
      // Nothing to change is 0; turning O_ASYNC on needs the file's fasync
      // (tmpfs and device files have none: ENOTTY); a pipe's would send
      // SIGIO, which Ditto does not model.
      if (!on) return 0;
      if (dynamic_cast<PipeEnd*>(&f)) return k.unsupported(16, "ioctl FIOASYNC"), -kENOTTY;
      return -kENOTTY;
    }
    case kFIOQSIZE: {
      // The bytes the file occupies (inode_get_bytes()): whole pages here.
      if (!node || !(regular || node->is_dir() || node->kind == InodeKind::kSymlink)) return -kENOTTY;
      int64_t bytes = int64_t((node->size() + cpu::kPageSize - 1) / cpu::kPageSize * cpu::kPageSize);
      return k.mm().write(UserPtr(a[2]), bytes) ? 0 : -kEFAULT;
    }
    case kFIGETBSZ: {
      int32_t size = int32_t(cpu::kPageSize);  // the file system's block size
      return k.mm().write(UserPtr(a[2]), size) ? 0 : -kEFAULT;
    }
    case kFIONREAD: {
      int32_t n;
      if (regular)  // i_size - f_pos, as an int (negative past the end)
        n = int32_t(int64_t(node->size()) - int64_t(f.offset()));
      else if (!f.counts_readable_bytes())
        return -kENOTTY;
      else if (int64_t bytes = f.readable_bytes(); bytes < 0)
        return bytes;  // a listening socket: EINVAL
      else
        n = int32_t(bytes);
      return k.mm().write(UserPtr(a[2]), n) ? 0 : -kEFAULT;
    }
    // Inode flags and fsxattr: tmpfs has them (chattr, lsattr), Ditto not yet.
    case kFS_IOC_GETFLAGS: return tmpfs_would("ioctl FS_IOC_GETFLAGS");
    case kFS_IOC_SETFLAGS: return tmpfs_would("ioctl FS_IOC_SETFLAGS");
    case kFS_IOC_FSGETXATTR: return tmpfs_would("ioctl FS_IOC_FSGETXATTR");
    case kFS_IOC_FSSETXATTR: return tmpfs_would("ioctl FS_IOC_FSSETXATTR");
    default:
      return -kENOTTY;
  }
}

// `by_path`: truncate(2), which needs write permission (an open file was
// checked when opened).
int64_t do_truncate(Kernel& k, Inode& n, int64_t len, bool by_path) {
  if (len < 0) return -kEINVAL;
  if (n.is_dir()) return -kEISDIR;
  if (n.kind != InodeKind::kRegular) return -kEINVAL;
  if (n.read_only) return -kEROFS;
  if (by_path)
    if (int64_t r = inode_permission(k.current().creds, n, kMayWrite); r < 0) return r;
  if (int64_t r = limit_file_growth(k, n.size(), uint64_t(len)); r < 0) return r;
  if (n.contents_pending) {  // a host file: copied up, the host's left alone
    if (len == 0 && !n.host_read_err) n.contents_pending = false;
    if (int e = k.vfs().load_contents(n)) return -e;
  }
  if (int e = n.truncate(uint64_t(len))) return e;
  n.mtime_ns = n.ctime_ns = k.realtime_ns();
  return 0;
}

int64_t sys_ftruncate(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  // Not a regular file, or not open for writing: EINVAL (fs/open.c:do_sys_ftruncate()).
  if (!f->writable() || !f->inode() || f->inode()->kind != InodeKind::kRegular ||
      dynamic_cast<PipeEnd*>(f.get()) || dynamic_cast<HostStdio*>(f.get()))
    return -kEINVAL;
  if (f->flags() & kO_APPEND) return -kEPERM;  // Linux refuses O_APPEND files
  int64_t r = do_truncate(k, *f->inode(), int64_t(a[1]), false);
  if (r == 0) fsnotify::changed(*f, fsn::kModify);
  return r;
}

int64_t sys_truncate(Kernel& k, const uint64_t* a) {
  if (int64_t(a[1]) < 0) return -kEINVAL;  // before the path (do_sys_truncate())
  Lookup l;
  if (int64_t r = lookup_existing(k, kAT_FDCWD, a[0], true, l); r < 0) return r;
  int64_t r = do_truncate(k, *l.node, int64_t(a[1]), true);
  if (r == 0) fsnotify::changed(l.node, l.parent, l.name, fsn::kModify);
  return r;
}

int64_t sys_memfd_create(Kernel& k, const uint64_t* a) {
  constexpr uint64_t kMFD_CLOEXEC = 1, kMFD_ALLOW_SEALING = 2, kMFD_HUGETLB = 4;
  uint64_t flags = a[1] & 0xffffffffu;
  if (flags & ~(kMFD_CLOEXEC | kMFD_ALLOW_SEALING | kMFD_HUGETLB)) return -kEINVAL;
  if (flags & kMFD_HUGETLB) return k.unsupported(319, "memfd_create MFD_HUGETLB");
  std::string name;
  int64_t r = k.mm().read_cstring(UserPtr(a[0]), 250, name);  // mm/memfd.c: MFD_NAME_MAX_LEN 249
  if (r == -kENAMETOOLONG) return -kEINVAL;
  if (r < 0) return r;
  // An anonymous regular file that no directory holds (memfd_create(2)).
  auto node = k.vfs().make_node(InodeKind::kRegular, 0777);
  set_caller_owner(k, *node);
  auto f = open_inode(node, kO_RDWR | kO_LARGEFILE);
  f->path = "/memfd:" + name + " (deleted)";
  return k.current().fds->alloc(f, flags & kMFD_CLOEXEC);
}

int64_t sys_umask(Kernel& k, const uint64_t* a) {
  uint32_t old = k.current().fs->umask;
  k.current().fs->umask = uint32_t(a[0]) & 0777;
  return old;
}

}  // namespace

void register_fs_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_sys_fs(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
