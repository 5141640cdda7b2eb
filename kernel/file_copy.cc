// In-kernel copies between open files: sendfile(2), copy_file_range(2),
// splice(2), tee(2) and vmsplice(2), with the checks of fs/splice.c and
// fs/read_write.c in their order. Linux moves page references through a
// pipe; Ditto copies the bytes but keeps what a program can observe of the
// pipe: one buffer per page of the source (never merged into the last
// one), the ring's free slots, and when a call waits.
//
// Where Ditto differs: vmsplice copies the guest's bytes at the call (on
// Linux the pipe refers to the guest's pages, so a change before the read
// shows); the guest's stdio is a pipe to the host that Ditto cannot look
// into, so tee(2) refuses it (EINVAL) and a copy from it to a full socket
// loses what the socket did not take.
#include <algorithm>
#include <cstring>
#include <string>
#include <typeinfo>
#include <vector>

#include "kernel/socket.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"
#include "kernel/user_buffers.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint32_t kSPLICE_F_NONBLOCK = 2, kSPLICE_F_ALL = 0xf;
constexpr uint64_t kChunk = 1u << 20;  // bytes a file-to-file copy moves per host buffer

// What an open file is to a splice.
enum class End {
  kPipe,      // an end of a pipe or FIFO (get_pipe_info())
  kHostPipe,  // the guest's stdio: a pipe to the host, in Ditto's model
  kRegular,   // a regular file, read and written at an offset
  kStream,    // a socket or a character device: its own read and write
  kNone,      // no splice_read or splice_write (directories, eventfd, epoll, timerfd, pidfd)
};

End end_of(const File& f) {
  if (dynamic_cast<const PipeEnd*>(&f)) return End::kPipe;
  if (dynamic_cast<const HostStdio*>(&f)) return End::kHostPipe;
  if (dynamic_cast<const Socket*>(&f) || dynamic_cast<const DeviceFile*>(&f)) return End::kStream;
  if (typeid(f) == typeid(File) && f.inode() && f.inode()->kind == InodeKind::kRegular) return End::kRegular;
  return End::kNone;
}

bool is_pipe(End e) { return e == End::kPipe || e == End::kHostPipe; }

// FMODE_PREAD / FMODE_PWRITE: whether a call may give the file an offset
// (character devices take one and ignore it).
bool takes_offset(const File& f, End e) { return e == End::kRegular || dynamic_cast<const DeviceFile*>(&f); }

Pipe& pipe_of(File& f) { return static_cast<PipeEnd&>(f).pipe(); }

// rw_verify_area(): a count or offset negative as a signed number, or an
// end past the largest offset, is EINVAL.
int64_t verify_area(int64_t pos, uint64_t count) {
  if (int64_t(count) < 0 || pos < 0 || int64_t(uint64_t(pos) + count) < 0) return -kEINVAL;
  return 0;
}

// Up to `n` bytes from the front of the pipe, left in it.
std::string peek(const Pipe& p, uint64_t n) {
  std::string out;
  for (const std::string& b : p.bufs) {
    if (out.size() >= n) break;
    out.append(b, 0, std::min<uint64_t>(b.size(), n - out.size()));
  }
  return out;
}

// Takes `n` bytes (already copied elsewhere) from the front of the pipe.
void consume(Pipe& p, uint64_t n) {
  while (n) {
    std::string& b = p.bufs.front();
    uint64_t take = std::min<uint64_t>(n, b.size());
    b.erase(0, take);
    n -= take;
    if (b.empty()) p.bufs.pop_front();
  }
  ++p.wakes;
}

// Adds `data` as buffers of one source page each; the first ends where
// the page holding `offset` ends.
void push_pages(Pipe& p, std::string_view data, uint64_t offset) {
  for (size_t at = 0; at < data.size();) {
    size_t take = std::min<size_t>(data.size() - at, kPage - (offset + at) % kPage);
    p.bufs.emplace_back(data.substr(at, take));
    at += take;
  }
  if (!data.empty()) ++p.wakes;
}

int64_t broken_pipe(Kernel& k) {
  k.send_signal_to_self(kSIGPIPE);
  return -kEPIPE;
}

// wait_for_space(): EPIPE (and SIGPIPE) without a reader, then a free
// slot, EAGAIN or a wait.
int64_t wait_for_room(Kernel& k, const Pipe& p, bool nonblock) {
  if (p.readers == 0) return broken_pipe(k);
  if (p.free_slots()) return 0;
  return nonblock ? -kEAGAIN : kWouldBlock;
}

// splice_from_pipe_next(): 1 when the pipe holds bytes, 0 when it is empty
// and has no writer left, else EAGAIN or a wait.
int64_t wait_for_data(const Pipe& p, bool nonblock) {
  if (!p.bufs.empty()) return 1;
  if (p.writers == 0) return 0;
  return nonblock ? -kEAGAIN : kWouldBlock;
}

// One read from a file that is not one of Ditto's pipes: a regular file at
// `pos`, anything else at its own position. Bytes, 0 at its end, -errno,
// or kWouldBlock.
int64_t read_from(Kernel& k, File& f, End e, uint64_t pos, char* buf, size_t n, bool nonblock) {
  if (e == End::kRegular) return f.pread(k, buf, n, pos);
  auto* s = dynamic_cast<Socket*>(&f);
  int64_t r = s ? s->recv(k, buf, n, nonblock ? kMSG_DONTWAIT : 0, nullptr) : f.read(k, buf, n);
  return r == kWouldBlock && nonblock ? -kEAGAIN : r;
}

int64_t write_to(Kernel& k, File& f, End e, uint64_t pos, const char* buf, size_t n) {
  return e == End::kRegular ? f.pwrite(k, buf, n, pos) : f.write(k, buf, n);
}

// splice_file_to_pipe(): up to `len` bytes of `in` into the pipe, as many
// as its free slots take.
int64_t source_to_pipe(Kernel& k, File& in, End e, uint64_t& pos, Pipe& p, uint64_t len, bool nonblock) {
  if (int64_t r = wait_for_room(k, p, nonblock); r != 0) return r;
  uint64_t first = e == End::kRegular ? pos % kPage : 0;
  len = std::min<uint64_t>({len, p.free_slots() * kPage - first, kMaxRwCount});
  if (int64_t r = verify_area(int64_t(pos), len); r < 0) return r;
  if (e == End::kNone) return -kEINVAL;
  std::string data(len, '\0');
  int64_t r = read_from(k, in, e, pos, data.data(), len, nonblock);
  if (r <= 0) return r;
  data.resize(size_t(r));
  push_pages(p, data, first);
  if (e == End::kRegular) pos += uint64_t(r);
  return r;
}

// do_splice_from(): up to `len` bytes of what the pipe holds into `out`,
// once it holds any.
int64_t pipe_to_sink(Kernel& k, Pipe& p, File& out, End e, uint64_t& pos, uint64_t len, bool nonblock) {
  if (e == End::kNone) return -kEINVAL;
  if (int64_t r = wait_for_data(p, nonblock); r <= 0) return r;
  std::string data = peek(p, std::min(len, kMaxRwCount));
  int64_t w = write_to(k, out, e, pos, data.data(), data.size());
  if (w <= 0) return w;
  consume(p, uint64_t(w));
  if (e == End::kRegular) pos += uint64_t(w);
  return w;
}

// splice_pipe_to_pipe(), or tee's link_pipe() when `keep`: whole buffers
// (the last one cut to `len`) from `in` to `out` while both last.
int64_t pipe_to_pipe(Kernel& k, Pipe& in, Pipe& out, uint64_t len, bool nonblock, bool keep) {
  if (in.bufs.empty() && in.writers) return nonblock ? -kEAGAIN : kWouldBlock;
  if (!out.free_slots()) return out.readers == 0 ? broken_pipe(k) : nonblock ? -kEAGAIN : kWouldBlock;
  if (out.readers == 0) return broken_pipe(k);
  uint64_t moved = 0;
  for (size_t i = 0; moved < len && out.free_slots() && i < in.bufs.size();) {
    std::string& b = in.bufs[i];
    uint64_t take = std::min<uint64_t>(b.size(), len - moved);
    out.bufs.emplace_back(b, 0, take);
    moved += take;
    if (keep) {
      ++i;
    } else {
      b.erase(0, take);
      if (b.empty()) in.bufs.pop_front();
    }
  }
  if (moved) {
    ++out.wakes;
    if (!keep) ++in.wakes;
  }
  return int64_t(moved);
}

// A copy where neither side is one of Ditto's pipes: do_splice_direct()
// from a regular file (to its end or a short write), or one read of at
// most a pipe's worth from anything else. Into the guest's stdio, at most
// what an empty pipe takes, as splice_file_to_pipe() would.
int64_t copy_through(Kernel& k, File& in, End ie, uint64_t& in_pos, File& out, End oe, uint64_t& out_pos,
                     uint64_t len, bool nonblock) {
  if (ie != End::kRegular || oe == End::kHostPipe)
    len = std::min(len, kPipeBufSize - (ie == End::kRegular ? in_pos % kPage : 0));
  std::vector<char> buf(std::min(len, kChunk));
  uint64_t done = 0;
  int64_t err = 0;
  while (done < len) {
    size_t n = std::min<uint64_t>(len - done, buf.size());
    int64_t r = read_from(k, in, ie, in_pos + done, buf.data(), n, nonblock);
    if (r <= 0) {
      err = r;
      break;
    }
    int64_t w = write_to(k, out, oe, out_pos + done, buf.data(), size_t(r));
    if (w < 0) {
      err = w;
      break;
    }
    done += uint64_t(w);
    if (w < r || ie != End::kRegular) break;
  }
  if (done == 0) return err;
  if (ie == End::kRegular) in_pos += done;
  if (oe == End::kRegular) out_pos += done;
  return int64_t(done);
}

// Moves up to `len` bytes between any two files that can splice.
int64_t move(Kernel& k, File& in, End ie, uint64_t& in_pos, File& out, End oe, uint64_t& out_pos, uint64_t len,
             bool nonblock) {
  if (ie == End::kPipe && oe == End::kPipe) return pipe_to_pipe(k, pipe_of(in), pipe_of(out), len, nonblock, false);
  if (ie == End::kPipe) return pipe_to_sink(k, pipe_of(in), out, oe, out_pos, len, nonblock);
  if (oe == End::kPipe) return source_to_pipe(k, in, ie, in_pos, pipe_of(out), len, nonblock);
  return copy_through(k, in, ie, in_pos, out, oe, out_pos, len, nonblock);
}

// One side of a copy: its file, and the guest's offset variable if the
// call gave one (else the file's own offset moves, for a regular file).
struct Side {
  std::shared_ptr<File> file;
  End end;
  uint64_t offset_ptr;
  int64_t offset;  // the variable's value when given
  uint64_t start() const { return offset_ptr ? uint64_t(offset) : file->offset(); }
  // After a copy of `r` bytes that left the position at `pos`.
  bool finish(Kernel& k, int64_t r, uint64_t pos) const {
    if (offset_ptr) return k.mm().write(UserPtr(offset_ptr), int64_t(pos));
    if (r > 0 && end == End::kRegular) file->advance(uint64_t(r));
    return true;
  }
};

// Runs the copy (waiting while it would block), then stores the offsets.
int64_t run_copy(Kernel& k, const char* name, Side in, Side out, uint64_t len, bool nonblock) {
  return blocking(k, name, [&k, in, out, len, nonblock]() -> int64_t {
    uint64_t in_pos = in.start(), out_pos = out.start();
    int64_t r = move(k, *in.file, in.end, in_pos, *out.file, out.end, out_pos, len, nonblock);
    if (r == kWouldBlock || r < 0) return r;
    bool stored = in.finish(k, r, in_pos);
    stored = out.finish(k, r, out_pos) && stored;
    if (r > 0) {  // do_sendfile(), do_splice(), vfs_copy_file_range()
      fsnotify::accessed(*in.file);
      fsnotify::modified(*out.file);
    }
    return stored ? r : -kEFAULT;
  });
}

// sendfile(2) (fs/read_write.c do_sendfile(); x86-64's number 40 is
// sendfile64): into a pipe, splice_file_to_pipe(); elsewhere only from a
// regular file, and never onto an O_APPEND one.
int64_t sys_sendfile(Kernel& k, const uint64_t* a) {
  Side in{nullptr, End::kNone, a[2], 0}, out{nullptr, End::kNone, 0, 0};
  if (in.offset_ptr && !k.mm().read(UserPtr(in.offset_ptr), in.offset)) return -kEFAULT;
  in.file = get_file(k, a[1]);
  if (!in.file || !in.file->readable()) return -kEBADF;
  in.end = end_of(*in.file);
  if (in.offset_ptr && !takes_offset(*in.file, in.end)) return -kESPIPE;
  uint64_t count = a[3];
  if (int64_t r = verify_area(int64_t(in.start()), count); r < 0) return r;
  count = std::min(count, kMaxRwCount);
  out.file = get_file(k, a[0]);
  if (!out.file || !out.file->writable()) return -kEBADF;
  out.end = end_of(*out.file);
  bool nonblock = false;
  if (out.end == End::kPipe) {
    nonblock = out.file->flags() & kO_NONBLOCK;
  } else if (out.end != End::kHostPipe) {
    if (int64_t r = verify_area(int64_t(out.file->offset()), count); r < 0) return r;
    if (out.file->flags() & kO_APPEND) return -kEINVAL;
    if (in.end != End::kRegular || out.end == End::kNone) return -kEINVAL;
  }
  return run_copy(k, "sendfile", in, out, count, nonblock);
}

// copy_file_range(2): regular files only (generic_file_rw_checks()), the
// length cut at the input's end, no overlap within one file
// (generic_copy_file_checks()). Ditto has one file system, so never EXDEV.
int64_t sys_copy_file_range(Kernel& k, const uint64_t* a) {
  Side in{get_file(k, a[0]), End::kNone, a[1], 0}, out{nullptr, End::kNone, a[3], 0};
  if (!in.file) return -kEBADF;
  out.file = get_file(k, a[2]);
  if (!out.file) return -kEBADF;
  if (in.offset_ptr && !k.mm().read(UserPtr(in.offset_ptr), in.offset)) return -kEFAULT;
  if (out.offset_ptr && !k.mm().read(UserPtr(out.offset_ptr), out.offset)) return -kEFAULT;
  if (uint32_t(a[5]) != 0) return -kEINVAL;
  const InodeRef& ni = in.file->inode();
  const InodeRef& no = out.file->inode();
  if ((ni && ni->is_dir()) || (no && no->is_dir())) return -kEISDIR;
  in.end = end_of(*in.file), out.end = end_of(*out.file);
  if (in.end != End::kRegular || out.end != End::kRegular) return -kEINVAL;
  if (!in.file->readable() || !out.file->writable() || (out.file->flags() & kO_APPEND)) return -kEBADF;
  int64_t pin = int64_t(in.start()), pout = int64_t(out.start());
  uint64_t len = a[4];
  if (uint64_t(pin) + len < uint64_t(pin) || uint64_t(pout) + len < uint64_t(pout)) return -kEOVERFLOW;
  int64_t size_in = int64_t(ni->size());
  len = pin >= size_in ? 0 : std::min(len, uint64_t(size_in - pin));
  if (ni == no && pout + int64_t(len) > pin && pout < pin + int64_t(len)) return -kEINVAL;
  if (int64_t r = verify_area(pin, len); r < 0) return r;
  if (int64_t r = verify_area(pout, len); r < 0) return r;
  if (len == 0) return 0;
  return run_copy(k, "copy_file_range", in, out, std::min(len, kMaxRwCount), false);
}

// splice(2) (fs/splice.c): one side a pipe; an offset only for the other
// side, and only where the file has offsets.
int64_t sys_splice(Kernel& k, const uint64_t* a) {
  uint64_t len = a[4];
  uint32_t flags = uint32_t(a[5]);
  if (len == 0) return 0;
  if (flags & ~kSPLICE_F_ALL) return -kEINVAL;
  Side in{get_file(k, a[0]), End::kNone, a[1], 0}, out{nullptr, End::kNone, a[3], 0};
  if (!in.file) return -kEBADF;
  out.file = get_file(k, a[2]);
  if (!out.file) return -kEBADF;
  in.end = end_of(*in.file), out.end = end_of(*out.file);
  if ((is_pipe(in.end) && in.offset_ptr) || (is_pipe(out.end) && out.offset_ptr)) return -kESPIPE;
  if (out.offset_ptr && !k.mm().read(UserPtr(out.offset_ptr), out.offset)) return -kEFAULT;
  if (in.offset_ptr && !k.mm().read(UserPtr(in.offset_ptr), in.offset)) return -kEFAULT;
  if (!in.file->readable() || !out.file->writable()) return -kEBADF;
  bool nonblock = flags & kSPLICE_F_NONBLOCK;
  if (is_pipe(in.end) && is_pipe(out.end)) {
    if (in.end == End::kPipe && out.end == End::kPipe && &pipe_of(*in.file) == &pipe_of(*out.file)) return -kEINVAL;
    nonblock |= bool((in.file->flags() | out.file->flags()) & kO_NONBLOCK);
  } else if (is_pipe(in.end)) {
    if (out.offset_ptr && !takes_offset(*out.file, out.end)) return -kEINVAL;
    if (out.file->flags() & kO_APPEND) return -kEINVAL;
    if (int64_t r = verify_area(int64_t(out.start()), len); r < 0) return r;
    nonblock |= bool(in.file->flags() & kO_NONBLOCK);
  } else if (is_pipe(out.end)) {
    if (in.offset_ptr && !takes_offset(*in.file, in.end)) return -kEINVAL;
    nonblock |= bool(out.file->flags() & kO_NONBLOCK);
  } else {
    return -kEINVAL;
  }
  return run_copy(k, "splice", in, out, len, nonblock);
}

// tee(2): duplicates the bytes of one pipe into another (both Ditto's
// pipes, not the same one), leaving them in the first.
int64_t sys_tee(Kernel& k, const uint64_t* a) {
  uint64_t len = a[2];
  uint32_t flags = uint32_t(a[3]);
  if (flags & ~kSPLICE_F_ALL) return -kEINVAL;
  if (len == 0) return 0;
  auto in = get_file(k, a[0]);
  if (!in) return -kEBADF;
  auto out = get_file(k, a[1]);
  if (!out) return -kEBADF;
  if (!in->readable() || !out->writable()) return -kEBADF;
  if (end_of(*in) != End::kPipe || end_of(*out) != End::kPipe || &pipe_of(*in) == &pipe_of(*out)) return -kEINVAL;
  bool nonblock = (flags & kSPLICE_F_NONBLOCK) || ((in->flags() | out->flags()) & kO_NONBLOCK);
  return blocking(k, "tee", [&k, in, out, len, nonblock] {
    return pipe_to_pipe(k, pipe_of(*in), pipe_of(*out), len, nonblock, true);
  });
}

// vmsplice_to_pipe(): each page the guest's buffers touch becomes a pipe
// buffer while free slots last; a fault ends it (EFAULT if first).
int64_t user_to_pipe(Kernel& k, Pipe& p, const std::vector<Iovec>& iov, bool nonblock) {
  if (int64_t r = wait_for_room(k, p, nonblock); r != 0) return r;
  uint64_t done = 0;
  for (const Iovec& v : iov) {
    for (uint64_t at = 0; at < v.len;) {
      if (!p.free_slots()) return int64_t(done);
      uint64_t addr = v.base + at;
      uint64_t take = std::min(v.len - at, kPage - addr % kPage);
      std::string b(take, '\0');
      if (!k.mm().copy_in(UserPtr(addr), b.data(), take)) return done ? int64_t(done) : -kEFAULT;
      p.bufs.push_back(std::move(b));
      ++p.wakes;
      at += take;
      done += take;
    }
  }
  return int64_t(done);
}

// vmsplice_to_user(): pipe_to_user() copies buffer by buffer; one the
// guest cannot take whole stays in the pipe (EFAULT if it is the first).
int64_t pipe_to_user(Kernel& k, Pipe& p, const UserBuffers& dst, bool nonblock) {
  if (int64_t r = wait_for_data(p, nonblock); r <= 0) return r;
  uint64_t done = 0;
  while (done < dst.total() && !p.bufs.empty()) {
    std::string& b = p.bufs.front();
    uint64_t take = std::min<uint64_t>(b.size(), dst.total() - done);
    uint64_t ok = dst.accessible(k.mm(), done, take, kPROT_WRITE);
    dst.copy_out(k.mm(), done, b.data(), ok);
    if (ok < take) break;
    consume(p, take);
    done += take;
  }
  return done ? int64_t(done) : -kEFAULT;
}

// vmsplice(2): the guest's buffers into a pipe's write end, or out of its
// read end. Only the write direction heeds O_NONBLOCK, as on Linux.
int64_t sys_vmsplice(Kernel& k, const uint64_t* a) {
  uint32_t flags = uint32_t(a[3]);
  if (flags & ~kSPLICE_F_ALL) return -kEINVAL;
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  bool to_pipe = f->writable();
  if (!to_pipe && !f->readable()) return -kEBADF;
  std::vector<Iovec> iov;
  int64_t total = read_iovecs(k.mm(), a[1], a[2], iov);
  if (total <= 0) return total;
  if (end_of(*f) != End::kPipe) return -kEBADF;
  bool nonblock = flags & kSPLICE_F_NONBLOCK;
  if (to_pipe) {
    nonblock |= bool(f->flags() & kO_NONBLOCK);
    return blocking(k, "vmsplice", [&k, f, iov, nonblock] { return user_to_pipe(k, pipe_of(*f), iov, nonblock); });
  }
  UserBuffers dst(std::move(iov));
  return blocking(k, "vmsplice", [&k, f, dst, nonblock] { return pipe_to_user(k, pipe_of(*f), dst, nonblock); });
}

}  // namespace

void register_file_copy_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_file_copy(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
