#include "kernel/fd.h"

#include <algorithm>
#include <cstring>

#include "kernel/fsnotify.h"
#include "kernel/kernel.h"

namespace kernel {

using namespace abi;

void File::set_status_flags(uint32_t f) {
  // F_SETFL may change only these (fcntl(2)); the access mode stays.
  constexpr uint32_t kSettable = kO_APPEND | kO_NONBLOCK | kO_DIRECT | kO_NOATIME;
  flags_ = (flags_ & ~kSettable) | (f & kSettable);
}

int64_t File::read(Kernel& k, char* buf, size_t n) {
  int64_t r = pread(k, buf, n, offset_);
  if (r > 0) offset_ += uint64_t(r);
  return r;
}

int64_t File::write(Kernel& k, const char* buf, size_t n) {
  offset_ = write_position(offset_);
  int64_t r = pwrite(k, buf, n, offset_);
  if (r > 0) offset_ += uint64_t(r);
  return r;
}

int64_t File::pread(Kernel&, char* buf, size_t n, uint64_t off) {
  if (inode_->is_dir()) return -kEISDIR;
  std::string_view d = inode_->bytes();
  if (off >= d.size()) return 0;
  size_t take = std::min<uint64_t>(n, d.size() - off);
  std::memcpy(buf, d.data() + off, take);
  return int64_t(take);
}

namespace {
uint64_t file_size_limit(Kernel& k) { return k.task(k.current().tgid)->rlimits[kRLIMIT_FSIZE].cur; }
}  // namespace

int64_t limit_file_growth(Kernel& k, uint64_t old_size, uint64_t new_size) {
  if (new_size <= old_size || new_size <= file_size_limit(k)) return 0;
  k.send_signal_to_self(kSIGXFSZ);
  return -kEFBIG;
}

int64_t File::pwrite(Kernel& k, const char* buf, size_t n, uint64_t off) {
  if (inode_->is_dir()) return -kEISDIR;
  if (inode_->read_only) return -kEROFS;
  if (n == 0) return 0;  // generic_write_checks(): nothing to write, nothing checked or changed
  // generic_write_check_limits(): a write starting at RLIMIT_FSIZE or past
  // it raises SIGXFSZ and is EFBIG; one that crosses it is cut short there.
  if (uint64_t limit = file_size_limit(k); limit != kRlimInfinity && inode_->kind == InodeKind::kRegular) {
    if (off >= limit) {
      k.send_signal_to_self(kSIGXFSZ);
      return -kEFBIG;
    }
    n = size_t(std::min<uint64_t>(n, limit - off));
  }
  // Past Ditto's own file size bound (Inode::kMaxFileSize) a write is EFBIG.
  int64_t w = inode_->write_at(off, buf, n);
  if (w < 0) return w;
  n = size_t(w);
  inode_->mtime_ns = inode_->ctime_ns = k.realtime_ns();
  return int64_t(n);
}

int64_t File::seek(int64_t off, int whence) {
  int64_t base;
  switch (whence) {
    case kSEEK_SET: base = 0; break;
    case kSEEK_CUR: base = int64_t(offset_); break;
    case kSEEK_END: base = int64_t(inode_->size()); break;
    case kSEEK_DATA:
    case kSEEK_HOLE: {
      // No holes in an in-memory file: data everywhere, one hole at the end.
      int64_t size = int64_t(inode_->size());
      if (off < 0 || off >= size) return -kENXIO;
      offset_ = uint64_t(whence == kSEEK_DATA ? off : size);
      return int64_t(offset_);
    }
    default: return -kEINVAL;
  }
  if (inode_->is_dir()) {
    // Directory offsets are entry indexes; only rewinding and SEEK_SET make sense.
    if (whence == kSEEK_END) return -kEINVAL;
  }
  int64_t pos;
  if (__builtin_add_overflow(base, off, &pos)) return -kEOVERFLOW;
  if (pos < 0) return -kEINVAL;
  offset_ = uint64_t(pos);
  if (inode_->is_dir() && pos == 0) dir_snapshot_.clear();
  return pos;
}

int64_t File::getdents(char* buf, size_t n) {
  if (!inode_->is_dir()) return -kENOTDIR;
  // Entries: ".", "..", then children by name. A snapshot taken at offset 0
  // keeps the listing stable while the guest unlinks what it reads.
  if (offset_ == 0 || dir_snapshot_.empty()) {
    dir_snapshot_ = {".", ".."};
    for (const auto& [name, c] : inode_->children) dir_snapshot_.push_back(name);
  }
  size_t used = 0;
  while (offset_ < dir_snapshot_.size()) {
    const std::string& name = dir_snapshot_[offset_];
    uint64_t ino = inode_->ino;
    uint8_t type = kDT_DIR;
    if (name == "..") {
      auto p = inode_->parent.lock();
      ino = p ? p->ino : inode_->ino;
    } else if (name != ".") {
      auto it = inode_->children.find(name);
      if (it == inode_->children.end()) {  // removed since the snapshot
        ++offset_;
        continue;
      }
      const Inode& c = *it->second;
      ino = c.ino;
      if (c.host_pending) type = kDT_UNKNOWN;
      else switch (c.kind) {
        case InodeKind::kRegular: type = kDT_REG; break;
        case InodeKind::kDirectory: type = kDT_DIR; break;
        case InodeKind::kSymlink: type = kDT_LNK; break;
        case InodeKind::kCharDevice: type = kDT_CHR; break;
        case InodeKind::kFifo: type = kDT_FIFO; break;
        case InodeKind::kSocket: type = 12; break;  // DT_SOCK
      }
    }
    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    size_t reclen = (8 + 8 + 2 + 1 + name.size() + 1 + 7) & ~size_t(7);
    if (used + reclen > n) {
      if (used == 0) return -kEINVAL;  // buffer too small for one entry
      break;
    }
    char* p = buf + used;
    std::memset(p, 0, reclen);
    int64_t next_off = int64_t(offset_ + 1);
    uint16_t rl = uint16_t(reclen);
    std::memcpy(p, &ino, 8);
    std::memcpy(p + 8, &next_off, 8);
    std::memcpy(p + 16, &rl, 2);
    p[18] = char(type);
    std::memcpy(p + 19, name.data(), name.size());
    used += reclen;
    ++offset_;
  }
  return int64_t(used);
}

PipeEnd::PipeEnd(InodeRef inode, std::shared_ptr<Pipe> pipe, uint32_t flags)
    : File(std::move(inode), flags), pipe_(std::move(pipe)), reader_(readable()), writer_(writable()) {
  pipe_->readers += reader_;
  pipe_->writers += writer_;
}

PipeEnd::~PipeEnd() {
  pipe_->readers -= reader_;
  pipe_->writers -= writer_;
  ++pipe_->wakes;
}

int64_t PipeEnd::read(Kernel& k, char* buf, size_t n) {
  if (n == 0) return 0;
  size_t placed;
  return read_into(k, buf, n, n, placed);
}

int64_t PipeEnd::read_into(Kernel&, char* buf, size_t n, size_t room, size_t& placed) {
  placed = 0;
  if (pipe_->bufs.empty()) {
    if (pipe_->writers == 0) return 0;
    return (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
  }
  size_t done = 0;
  while (done < n && !pipe_->bufs.empty()) {
    std::string& b = pipe_->bufs.front();
    size_t take = std::min(n - done, b.size());
    if (done + take > room) {
      // The guest got the bytes that fitted, but the buffer keeps them all.
      std::memcpy(buf + done, b.data(), room - done);
      placed = room;
      return done ? int64_t(done) : -kEFAULT;
    }
    std::memcpy(buf + done, b.data(), take);
    b.erase(0, take);
    done += take;
    placed = done;
    if (b.empty()) pipe_->bufs.pop_front();
  }
  if (done) ++pipe_->wakes;
  return int64_t(done);
}

size_t PipeEnd::write_window(size_t n) const {
  return std::min(n, (n & 4095) + pipe_->free_slots() * 4096);
}

int64_t PipeEnd::write_from(Kernel& k, const char* buf, size_t n, size_t readable) {
  if (n == 0) return 0;  // fs/pipe.c:pipe_write() returns before looking for readers
  if (pipe_->readers == 0) {
    // pipe(7): EPIPE, and SIGPIPE to the writer.
    k.send_signal_to_self(kSIGPIPE);
    return -kEPIPE;
  }
  constexpr size_t kPage = 4096;
  Pipe& p = *pipe_;
  size_t done = 0;
  // fs/pipe.c:pipe_write(): the sub-page remainder merges into the last
  // buffer when it fits there.
  size_t chars = n & (kPage - 1);
  if (chars && !p.bufs.empty() && p.bufs.back().size() + chars <= kPage) {
    if (readable < chars) return -kEFAULT;
    p.bufs.back().append(buf, chars);
    done = chars;
    ++p.wakes;
    if (done == n) return int64_t(n);
  }
  // Writes of at most PIPE_BUF bytes are atomic: they took a free buffer
  // above or get one here, or wait whole.
  bool faulted = false;
  while (done < n && p.bufs.size() < p.slots()) {
    size_t take = std::min(kPage, n - done);
    if (done + take > readable) {
      faulted = true;
      break;
    }
    p.bufs.emplace_back(buf + done, take);
    done += take;
  }
  if (done == 0) return faulted ? -kEFAULT : (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
  ++p.wakes;
  return int64_t(done);
}

namespace {
constexpr uint32_t kPOLLIN = 1, kPOLLOUT = 4, kPOLLERR = 8, kPOLLHUP = 16, kPOLLRDNORM = 0x40,
                   kPOLLWRNORM = 0x100;
}  // namespace

bool File::pollable() const {
  if (!inode_) return true;
  switch (inode_->kind) {
    case InodeKind::kRegular:
    case InodeKind::kDirectory:
    case InodeKind::kSymlink: return false;
    case InodeKind::kCharDevice: return inode_->device == Device::kUrandom;  // random_poll()
    case InodeKind::kFifo:
    case InodeKind::kSocket: return true;
  }
  return true;
}

uint32_t File::poll_events(Kernel&) const {
  // Regular files and devices never block (poll(2)).
  uint32_t ev = 0;
  if (readable()) ev |= kPOLLIN | kPOLLRDNORM;
  if (writable()) ev |= kPOLLOUT | kPOLLWRNORM;
  return ev;
}

uint32_t PipeEnd::poll_events(Kernel&) const {
  // fs/pipe.c:pipe_poll().
  uint32_t ev = 0;
  if (reader_) {
    if (!pipe_->bufs.empty()) ev |= kPOLLIN | kPOLLRDNORM;
    bool hidden = hangup_hidden_at_ && *hangup_hidden_at_ == pipe_->writer_opens;
    if (pipe_->writers == 0 && !hidden) ev |= kPOLLHUP;
  }
  if (writer_) {
    if (pipe_->bufs.size() < pipe_->slots()) ev |= kPOLLOUT | kPOLLWRNORM;
    if (pipe_->readers == 0) ev |= kPOLLERR;
  }
  return ev;
}

uint32_t PidFd::poll_events(Kernel& k) const {
  Task* t = k.task(pid_);
  bool gone = !t || t->run_state == RunState::kExited;
  return gone ? (kPOLLIN | kPOLLRDNORM) : 0;
}

int64_t HostStdio::read(Kernel& k, char* buf, size_t n) {
  size_t placed;
  return read_into(k, buf, n, n, placed);
}

int64_t HostStdio::read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed) {
  placed = 0;
  if (host_fd_ != 0) return -kEBADF;
  if (n == 0) return 0;
  if (unread_.empty()) {
    // What the read asks for (at most what a pipe holds): the bytes the
    // guest cannot take stay here.
    unread_.resize(std::min<size_t>(n, kPipeBufSize));
    if (k.config().input == "-") k.touch_input();
    int64_t r = k.io().read_stdin(unread_.data(), unread_.size());
    unread_.resize(r > 0 ? size_t(r) : 0);
    // An end of file or an error came from the host too (its event is kept
    // at every recording level, so that replay answers this read with it).
    k.append_host_input(unread_.data(), unread_.size());
    if (r <= 0) return r;
  }
  // What came from the host counts as page-sized pipe buffers, each taken
  // whole or not at all (the host writer's own buffer bounds are unknown).
  size_t done = 0, want = std::min(n, unread_.size());
  while (done < want) {
    size_t share = std::min<size_t>(want - done, 4096 - done % 4096);
    if (done + share > room) {
      std::memcpy(buf + done, unread_.data() + done, room - done);
      placed = room;
      break;
    }
    std::memcpy(buf + done, unread_.data() + done, share);
    done += share;
    placed = done;
  }
  unread_.erase(0, done);
  return done ? int64_t(done) : -kEFAULT;
}

int64_t HostStdio::write(Kernel& k, const char* buf, size_t n) {
  if (host_fd_ == 0) return -kEBADF;
  if (n == 0) return 0;
  // The host's own pipe or file decides, as it would for a native program:
  // a reader that went away is EPIPE and SIGPIPE (pipe(7)).
  int64_t r = k.io().write_output(host_fd_, buf, n);
  if (r > 0) k.append_event_data(buf, size_t(r));
  if (r == -kEPIPE) k.send_signal_to_self(kSIGPIPE);
  return r;
}

int64_t File::read_into(Kernel& k, char* buf, size_t, size_t room, size_t& placed) {
  placed = 0;
  if (room == 0) return -kEFAULT;
  int64_t r = read(k, buf, room);
  if (r > 0) placed = size_t(r);
  return r;
}

int64_t DeviceFile::read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed) {
  // /dev/null has nothing to copy; /dev/zero and /dev/urandom copy what fits
  // (drivers/char/mem.c read_iter_zero(), random.c get_random_bytes_user()).
  placed = 0;
  if (inode_->device == Device::kNull) return 0;
  return File::read_into(k, buf, n, room, placed);
}

bool DeviceFile::discards_writes() const { return inode_->device != Device::kUrandom; }

int64_t DeviceFile::read(Kernel& k, char* buf, size_t n) {
  switch (inode_->device) {
    case Device::kNull: return 0;
    case Device::kZero: std::memset(buf, 0, n); return int64_t(n);
    case Device::kUrandom:
      k.random_bytes(buf, n);
      k.append_event_data(buf, n);
      return int64_t(n);
    case Device::kNone: break;
  }
  return -kEINVAL;
}

int64_t DeviceFile::write(Kernel&, const char*, size_t n) { return int64_t(n); }

std::shared_ptr<File> open_inode(const InodeRef& inode, uint32_t flags) {
  if (inode->kind == InodeKind::kCharDevice) return std::make_shared<DeviceFile>(inode, flags);
  return std::make_shared<File>(inode, flags);
}

int FdTable::alloc(std::shared_ptr<File> f, bool cloexec, int min_fd) {
  for (int fd = std::max(min_fd, first_free_); fd < max_fds_; ++fd) {
    if (fd >= int(fds_.size())) fds_.resize(size_t(fd) + 1);
    if (!fds_[size_t(fd)].file) {
      fds_[size_t(fd)] = {std::move(f), cloexec};
      if (min_fd <= first_free_) first_free_ = fd + 1;
      return fd;
    }
  }
  return -kEMFILE;
}

std::shared_ptr<File> FdTable::get(int fd) const {
  if (fd < 0 || fd >= int(fds_.size())) return nullptr;
  return fds_[size_t(fd)].file;
}

FdEntry* FdTable::entry(int fd) {
  if (fd < 0 || fd >= int(fds_.size()) || !fds_[size_t(fd)].file) return nullptr;
  return &fds_[size_t(fd)];
}

File::~File() {
  if (!inode_) return;
  if (!inode_->locks.empty()) inode_->locks.release_file(lock_owner_);
  fsnotify::closed(*this);
  --inode_->open_files;
  fsnotify::released(*inode_);
}

void FdTable::release_locks(const File& f) const {
  const InodeRef& n = f.inode();
  if (lock_owner_ && n && !n->locks.records.empty()) n->locks.release_posix(lock_owner_);
}

FdTable::~FdTable() {
  for (const FdEntry& e : fds_)
    if (e.file) release_locks(*e.file);
}

int FdTable::close(int fd) {
  FdEntry* e = entry(fd);
  if (!e) return -kEBADF;
  release_locks(*e->file);
  *e = FdEntry{};
  first_free_ = std::min(first_free_, fd);
  return 0;
}

int FdTable::install(int fd, std::shared_ptr<File> f, bool cloexec) {
  if (fd < 0 || fd >= max_fds_) return -kEBADF;
  if (fd >= int(fds_.size())) fds_.resize(size_t(fd) + 1);
  if (fds_[size_t(fd)].file) release_locks(*fds_[size_t(fd)].file);
  fds_[size_t(fd)] = {std::move(f), cloexec};
  return fd;
}

}  // namespace kernel
