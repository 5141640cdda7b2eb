// Open file descriptions (kernel::File and its kinds) and the per-process
// descriptor table (kernel::FdTable).
#pragma once

#include <cstdint>
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "kernel/abi.h"
#include "kernel/vfs.h"

namespace kernel {

class Kernel;

// Results of read/write are bytes or -errno; kWouldBlock asks the caller to
// block the task (or report a deadlock when nothing else can run).
constexpr int64_t kWouldBlock = -(1LL << 40);

// One open file description: shared by dup()ed descriptors, with its own
// offset and status flags.
class File {
 public:
  explicit File(InodeRef inode, uint32_t flags) : inode_(std::move(inode)), flags_(flags) {
    if (inode_) ++inode_->open_files;
  }
  // The open file's OFD and flock locks go with it; inotify hears it close.
  virtual ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // Who owns this open file's OFD and flock() locks (kernel/locks.h).
  uint64_t lock_owner() const { return lock_owner_; }

  virtual int64_t read(Kernel& k, char* buf, size_t n);
  virtual int64_t write(Kernel& k, const char* buf, size_t n);
  virtual int64_t pread(Kernel& k, char* buf, size_t n, uint64_t off);
  virtual int64_t pwrite(Kernel& k, const char* buf, size_t n, uint64_t off);
  virtual int64_t seek(int64_t off, int whence);
  virtual bool is_tty() const { return false; }
  // Bytes of a directory listing (linux_dirent64 records), advancing the offset.
  virtual int64_t getdents(char* buf, size_t n);
  virtual void stat(abi::Stat& st) const { fill_stat(*inode_, st); }
  virtual int64_t readable_bytes() const { return 0; }
  // Whether FIONREAD answers readable_bytes() (a pipe, an inotify file).
  virtual bool counts_readable_bytes() const { return false; }
  // read(2) into a guest buffer that takes only its first `room` of the `n`
  // bytes asked for (room < n; `buf` holds min(n, room + 1)): puts in `buf`
  // the `placed` bytes the guest gets even so and returns the bytes the
  // read consumed, or -errno. By default a short read of `room` bytes, and
  // EFAULT when there is no room at all.
  virtual int64_t read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed);
  // Writes that never look at the guest's bytes (/dev/null).
  virtual bool discards_writes() const { return false; }
  // poll(2) readiness (POLLIN, POLLOUT, POLLHUP, POLLERR bits).
  virtual uint32_t poll_events(Kernel& k) const;
  // Whether the file has a poll operation (epoll_ctl: EPERM when not):
  // regular files, directories and most devices do not.
  virtual bool pollable() const;
  // Counts the events that wake the file's waiters (data in, room out, a
  // close): an edge-triggered epoll reports again after each.
  virtual uint64_t wake_count(const Kernel&) const { return 0; }
  // Lines /proc/PID/fdinfo/N shows after pos, flags, mnt_id and ino (each
  // kind of file its own: eventfd-count, sigmask, ...).
  virtual std::string fdinfo(Kernel& k) const {
    (void)k;
    return "";
  }
  // How long a blocking read (or write) of the file may wait before it
  // fails with EAGAIN (a socket's SO_RCVTIMEO/SO_SNDTIMEO); -1: forever.
  virtual int64_t block_timeout_ns(bool write) const {
    (void)write;
    return -1;
  }
  // When the file becomes ready by itself (a timer), on the monotonic
  // clock; -1 never.
  virtual int64_t next_ready_ns(Kernel& k) const {
    (void)k;
    return -1;
  }

  const InodeRef& inode() const { return inode_; }
  uint32_t flags() const { return flags_; }
  void set_status_flags(uint32_t f);
  bool readable() const { return (flags_ & abi::kO_ACCMODE) != abi::kO_WRONLY && !(flags_ & abi::kO_PATH); }
  bool writable() const { return (flags_ & abi::kO_ACCMODE) != abi::kO_RDONLY && !(flags_ & abi::kO_PATH); }
  uint64_t offset() const { return offset_; }
  // Where a write at `off` lands: on an O_APPEND file, at the end whatever
  // the offset, for write() and pwrite() alike (pwrite(2), BUGS;
  // mm/filemap.c generic_write_checks()).
  uint64_t write_position(uint64_t off) const {
    bool append = (flags_ & abi::kO_APPEND) && inode_ && inode_->kind == InodeKind::kRegular;
    return append ? inode_->size() : off;
  }
  void advance(uint64_t n) { offset_ += n; }
  // Regular files read at an offset that only moves once the copy to the
  // guest succeeded (a failed copy_to_user leaves f_pos alone).
  bool positional() const { return inode_ && inode_->kind == InodeKind::kRegular && typeid(*this) == typeid(File); }
  std::string path;  // as opened (canonical), for /proc and messages
  // The name the file was opened by, for inotify's events on a watched
  // directory (null: none, as for a pipe).
  const std::shared_ptr<EntryName>& entry() const { return entry_; }
  void set_entry(std::shared_ptr<EntryName> e) { entry_ = std::move(e); }

 protected:
  InodeRef inode_;
  uint32_t flags_;
  uint64_t offset_ = 0;
  std::vector<std::string> dir_snapshot_;
  // Lock owners are numbered in creation order, never reused in a run.
  static inline uint64_t next_lock_owner_ = 0;
  uint64_t lock_owner_ = ++next_lock_owner_;
  std::shared_ptr<EntryName> entry_;
};

// RLIMIT_FSIZE (fs/attr.c inode_newsize_ok()): growing a file from
// `old_size` to `new_size` past the process's limit raises SIGXFSZ and is
// EFBIG; 0 when it may.
int64_t limit_file_growth(Kernel& k, uint64_t old_size, uint64_t new_size);

// A file on an anonymous inode that has no position (eventfd, epoll,
// timerfd, signalfd): pread and pwrite are ESPIPE, and lseek is Linux's
// noop_llseek, which succeeds and moves nothing.
class AnonFile : public File {
 public:
  using File::File;
  int64_t pread(Kernel&, char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t pwrite(Kernel&, const char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t seek(int64_t, int) override { return int64_t(offset_); }
};

// Anonymous pipe shared by its two ends.
// An anonymous pipe as fs/pipe.c keeps it: a ring of page-sized buffers
// (16 by default). A write merges into the last buffer only when what does
// not fill whole pages fits there; otherwise it takes new buffers, so the
// byte count a pipe accepts depends on the write sizes, as on Linux.
struct Pipe {
  std::deque<std::string> bufs;  // each at most a page
  size_t capacity = abi::kPipeBufSize;
  int readers = 0, writers = 0;
  uint64_t wakes = 0;  // reads, writes and closes (File::wake_count)
  uint64_t reader_opens = 0, writer_opens = 0;  // a named FIFO's opens, ever (fifo_open()'s counters)
  size_t bytes() const {
    size_t n = 0;
    for (const auto& b : bufs) n += b.size();
    return n;
  }
  size_t slots() const { return capacity / 4096; }
  // Buffers that can still be added (none when F_SETPIPE_SZ shrank it below its contents).
  size_t free_slots() const { return slots() - std::min(slots(), bufs.size()); }
};

class PipeEnd : public File {
 public:
  // The access mode in `flags` says which end this is; a FIFO opened
  // O_RDWR is both (fs/pipe.c fifo_open()).
  PipeEnd(InodeRef inode, std::shared_ptr<Pipe> pipe, uint32_t flags);
  ~PipeEnd() override;
  int64_t read(Kernel& k, char* buf, size_t n) override;
  int64_t write(Kernel& k, const char* buf, size_t n) override { return write_from(k, buf, n, n); }
  int64_t pread(Kernel&, char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t pwrite(Kernel&, const char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t seek(int64_t, int) override { return -abi::kESPIPE; }
  int64_t readable_bytes() const override { return int64_t(pipe_->bytes()); }
  bool counts_readable_bytes() const override { return true; }
  // fs/pipe.c:pipe_read() copies each pipe buffer's share whole or stops:
  // a share the guest cannot take stays in the pipe (EFAULT if it is the first).
  int64_t read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed) override;
  // A write of `n` bytes of which only the first `readable` can be copied
  // (`buf` holds them, or at least write_window(n) of them): fs/pipe.c's
  // pipe_write() takes the merged remainder and each page whole or stops
  // there (EFAULT if nothing was taken).
  int64_t write_from(Kernel& k, const char* buf, size_t n, size_t readable);
  // The most bytes of a write of `n` that the pipe can take now.
  size_t write_window(size_t n) const;
  Pipe& pipe() { return *pipe_; }
  uint32_t poll_events(Kernel& k) const override;
  uint64_t wake_count(const Kernel&) const override { return pipe_->wakes; }
  // fifo_open(): a non-blocking reader opened with no writer polls without
  // POLLHUP until a writer has opened the FIFO since.
  void hide_hangup_until_writer() { hangup_hidden_at_ = pipe_->writer_opens; }

 private:
  std::shared_ptr<Pipe> pipe_;
  bool reader_, writer_;
  std::optional<uint64_t> hangup_hidden_at_;
};

// The guest's stdin/stdout/stderr: pipes to the host, in Ditto's model, so
// that what the guest sees does not depend on how Ditto itself was started.
class HostStdio : public File {
 public:
  HostStdio(InodeRef inode, int host_fd, uint32_t flags) : File(std::move(inode), flags), host_fd_(host_fd) {}
  int64_t read(Kernel& k, char* buf, size_t n) override;
  int64_t write(Kernel& k, const char* buf, size_t n) override;
  int64_t pread(Kernel&, char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t pwrite(Kernel&, const char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t seek(int64_t, int) override { return -abi::kESPIPE; }
  // Bytes read from the host that the guest could not take stay here for
  // the next read, as they would stay in a pipe.
  int64_t read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed) override;

 private:
  int host_fd_;
  std::string unread_;
};

// A pidfd (pidfd_open(2), CLONE_PIDFD): readable once its process exited.
class PidFd : public File {
 public:
  PidFd(InodeRef inode, uint32_t pid, uint32_t flags) : File(std::move(inode), flags), pid_(pid) {}
  bool pollable() const override { return true; }
  int64_t read(Kernel&, char*, size_t) override { return -abi::kEINVAL; }
  int64_t read_into(Kernel&, char*, size_t, size_t, size_t&) override { return -abi::kEINVAL; }
  int64_t write(Kernel&, const char*, size_t) override { return -abi::kEINVAL; }
  int64_t pread(Kernel&, char*, size_t, uint64_t) override { return -abi::kEINVAL; }
  int64_t pwrite(Kernel&, const char*, size_t, uint64_t) override { return -abi::kEINVAL; }
  int64_t seek(int64_t, int) override { return -abi::kESPIPE; }
  uint32_t poll_events(Kernel& k) const override;
  uint32_t pid() const { return pid_; }

 private:
  uint32_t pid_;
};

class DeviceFile : public File {
 public:
  using File::File;
  int64_t read(Kernel& k, char* buf, size_t n) override;
  int64_t read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed) override;
  int64_t write(Kernel& k, const char* buf, size_t n) override;
  bool discards_writes() const override;
  int64_t pread(Kernel& k, char* buf, size_t n, uint64_t) override { return read(k, buf, n); }
  int64_t pwrite(Kernel& k, const char* buf, size_t n, uint64_t) override { return write(k, buf, n); }
  int64_t seek(int64_t, int) override { return 0; }
};

struct FdEntry {
  std::shared_ptr<File> file;
  bool cloexec = false;
};

class FdTable {
 public:
  static constexpr int kDefaultMaxFds = 1024;  // RLIMIT_NOFILE soft limit
  FdTable() = default;
  // A copy (fork without CLONE_FILES, unshare, exec) is a new owner of
  // POSIX locks; closing its descriptors releases none of the original's.
  FdTable(const FdTable& o) : fds_(o.fds_), max_fds_(o.max_fds_), first_free_(o.first_free_) {}
  FdTable& operator=(const FdTable&) = delete;
  // Closing the table's last descriptors releases its POSIX locks.
  ~FdTable();
  // Who owns the POSIX record locks set through this table (fs/locks.c:
  // current->files), 0 for none.
  uint64_t lock_owner() const { return lock_owner_; }
  // exec: the new table of a process that did not share its old one goes
  // on owning the old one's locks (they survive execve).
  void take_lock_owner(FdTable& from) { lock_owner_ = from.lock_owner_, from.lock_owner_ = 0; }
  // Lowest free descriptor >= min_fd, or -EMFILE.
  int alloc(std::shared_ptr<File> f, bool cloexec, int min_fd = 0);
  std::shared_ptr<File> get(int fd) const;
  FdEntry* entry(int fd);
  int close(int fd);
  // dup2/dup3 semantics: install at exactly `fd`, closing what was there.
  int install(int fd, std::shared_ptr<File> f, bool cloexec);
  int max_fds() const { return max_fds_; }
  void set_max_fds(int n) { max_fds_ = n; }
  const std::vector<FdEntry>& entries() const { return fds_; }

 private:
  std::vector<FdEntry> fds_;
  int max_fds_ = kDefaultMaxFds;
  // Every descriptor below this one is in use (Linux's next_fd): the
  // search for the lowest free one starts here, not at 0.
  int first_free_ = 0;
  static inline uint64_t next_lock_owner_ = 0;
  uint64_t lock_owner_ = ++next_lock_owner_;
  // Closing `f` through this table releases the table's POSIX locks on it.
  void release_locks(const File& f) const;
};

std::shared_ptr<File> open_inode(const InodeRef& inode, uint32_t flags);

}  // namespace kernel
