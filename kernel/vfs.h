// kernel::Vfs — Ditto's in-memory file system: a writable /tmp, /dev/null,
// /dev/zero, /dev/urandom, /proc/self/exe, the guest program at its host path,
// host directories exposed read-only (--mount), and, unless the world is
// hermetic, a host directory as "/" with copy-on-write (--root). Host content
// is captured through kernel::Io when first touched, so replay needs no host
// files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/abi.h"
#include "kernel/io.h"
#include "kernel/locks.h"
#include "kernel/memory_budget.h"
#include "kernel/shared_memory.h"

namespace kernel {

struct Pipe;
struct InotifyMark;
struct EntryName;

enum class InodeKind : uint8_t { kRegular, kDirectory, kSymlink, kCharDevice, kFifo, kSocket };
enum class Device : uint8_t { kNone, kNull, kZero, kUrandom };

struct Inode {
  InodeKind kind = InodeKind::kRegular;
  uint32_t perm = 0644;  // permission bits only
  uint32_t uid = 0, gid = 0;  // owner (global ids)
  uint64_t ino = 0;
  uint64_t dev = 1;
  bool read_only = false;
  bool unlinked = false;  // no directory holds it any more (nlink 0), though it may be open
  uint32_t links = 1;     // directory entries naming a non-directory (hard links)
  int64_t mtime_ns = 0, ctime_ns = 0, atime_ns = 0;
  std::string data;                                         // regular file
  // Once a regular file is mapped MAP_SHARED its bytes move to host memory
  // that the mappings and read()/write() share (shm_size is the file size).
  std::shared_ptr<SharedMemory> shm;
  uint64_t shm_size = 0;
  // The largest file (EFBIG beyond); tmpfs space (--memory) ends it sooner.
  static constexpr uint64_t kMaxFileSize = 1ULL << 40;
  // A file mapped MAP_SHARED lives in a host mapping of this fixed size.
  static constexpr uint64_t kMaxSharedFileSize = 1ULL << 30;
  std::string_view bytes() const {
    return shm ? std::string_view(reinterpret_cast<const char*>(shm->data()), shm_size) : std::string_view(data);
  }
  // Writes at `off`, growing the file (zero-filled gaps): the bytes written
  // (fewer when the file system fills up), -EFBIG past Ditto's file size
  // bound or -ENOSPC when nothing fits.
  int64_t write_at(uint64_t off, const char* buf, uint64_t n);
  // 0, -EFBIG, or -ENOSPC (the bytes of a sparse file are real here).
  int truncate(uint64_t size);
  // fallocate(): makes room for the bytes up to `end` (zeros), growing the
  // file to it unless `keep_size`: 0, -ENOSPC (checked first, as tmpfs
  // does) or -EFBIG. Room past the end is charged to the file system.
  int allocate(uint64_t end, bool keep_size);
  // A punched hole: the bytes in [off, off + n) inside the file read as
  // zeros; room allocated past the end that the hole covers is given back.
  void punch_hole(uint64_t off, uint64_t n);
  // The file system space the file's bytes come from (null: uncounted, as
  // for files captured from the host), and how much of it they hold.
  std::shared_ptr<FileSpace> space;
  uint64_t charged = 0;
  ~Inode();
  // Moves the contents to shared host memory (for MAP_SHARED); false on failure.
  bool make_shared();
  std::map<std::string, std::shared_ptr<Inode>> children;  // directory
  std::weak_ptr<Inode> parent;                             // directory
  std::string target;                                       // symlink
  Device device = Device::kNone;                            // char device
  uint32_t rdev_major = 0, rdev_minor = 0;
  // A host-backed node not yet captured: its kind/metadata/content arrive
  // through Io::host_file() on first use.
  std::string host_path;
  bool host_pending = false;
  // A host regular file whose bytes are not captured yet (Vfs::load_contents
  // does, when the guest first opens it to read, maps or runs it); its size
  // is the host's until then.
  bool contents_pending = false;
  uint64_t host_size = 0;
  // The errno the host gave Ditto for reading this file or listing this
  // directory (EACCES when Ditto's user may not), 0 when it could.
  int host_read_err = 0;
  int host_search_err = 0;  // a host directory Ditto may not search (chdir: EACCES)
  // A directory made only to hold a path: to the program, its symlinks or
  // the working directory. Under a --mount it also shows the host's entries.
  bool implied = false;
  std::string proc_path;  // a /proc directory: its path below /proc (relisted live)
  FileLocks locks;        // fcntl and flock locks on the file
  std::shared_ptr<Pipe> fifo;  // a named FIFO's pipe, while it is open (kernel/fifo.cc); an anonymous pipe's
  // A /proc magic link (/proc/PID/fd/N): following it lands on this node,
  // whatever its name is now or if it has none (nd_jump_link()).
  std::weak_ptr<Inode> jump;
  // An anonymous pipe's node (pipefs): reopening it (/proc/PID/fd/N)
  // never waits for the other end, as fifo_open() does not for pipefs.
  bool pipefs = false;
  // An anon_inode (eventfd, epoll, timerfd, pidfd): open() of it is ENXIO.
  bool anonymous = false;
  // The guest's stdin/stdout/stderr, pipes to the host: which host fd.
  int host_stdio_fd = -1;
  // inotify's watches on the node, the names its open files reached it by,
  // and how many open files it has (kernel/fsnotify.h).
  std::vector<std::shared_ptr<InotifyMark>> marks;
  std::vector<std::weak_ptr<EntryName>> open_names;
  uint32_t open_files = 0;

  bool is_dir() const { return kind == InodeKind::kDirectory; }
  uint32_t mode() const;  // S_IFMT bits | perm
  uint64_t size() const;
  uint32_t nlink() const;
  // One directory entry naming this node is gone (unlink, or replaced by
  // rename): a file with no entries left, or a directory, is unlinked.
  void drop_entry() {
    if (kind == InodeKind::kDirectory || --links == 0) unlinked = true;
  }
};
using InodeRef = std::shared_ptr<Inode>;

// Result of walking a path.
struct Lookup {
  int err = 0;           // positive errno, 0 on success
  InodeRef node;         // the final node (null if it does not exist)
  InodeRef parent;       // directory holding the last component (when it exists)
  std::string name;      // last component
  std::string path;      // canonical absolute path of `node`/(parent + name)
};

class Vfs {
 public:
  // `space` holds the bytes of the files the guest writes.
  Vfs(Io& io, std::function<int64_t()> now_ns, std::shared_ptr<FileSpace> space);
  InodeRef root() const { return root_; }

  // Path resolution relative to the absolute directory path `cwd`.
  // follow_last: follow a symlink in the final component.
  Lookup resolve(const std::string& cwd, const std::string& path, bool follow_last);
  // The same from the directory `dir`, whose canonical path is `dir_path`
  // (the working directory: no walk down to it first).
  Lookup resolve_from(const InodeRef& dir, const std::string& dir_path, const std::string& path, bool follow_last);
  // Fills in a pending host-backed node.
  void materialize(const InodeRef& node);
  // Captures the bytes of a host file, if not yet: 0, or the errno the
  // guest gets for wanting them (EACCES when the host refused).
  int load_contents(Inode& node);
  int load_contents(const InodeRef& node) { return load_contents(*node); }

  // Builds /dev, /tmp, /proc/self and the program file.
  void add_program(const std::string& path, uint32_t mode, std::string content);
  // A symlink at `path` (made with its parent directories), unless
  // something is there already.
  void add_symlink(const std::string& path, const std::string& target);
  // A read-only file of Ditto's own (the parts of /sys programs read).
  void add_file(const std::string& path, std::string content);
  void add_mount(const std::string& host, const std::string& guest);
  // Shows the host directory `host` as "/": its files read from the host
  // when first used, the guest's changes to them kept in memory (writes,
  // new and removed entries, modes), the host never written.
  void set_root_dir(const std::string& host);
  // One host file (or symlink) at `guest`, read-only, captured when used.
  void add_file_mount(const std::string& host, const std::string& guest);
  // A /proc directory is filled from the kernel's state whenever a path
  // walks through it (`only`: the one entry looked up) or it is listed
  // (null: all of them), so it always describes the current tasks.
  using ProcFiller = std::function<void(const InodeRef& dir, const std::string* only)>;
  void set_proc_generator(ProcFiller fn) { proc_gen_ = std::move(fn); }
  // Asked of every directory a walk goes through, before the component in
  // it (fs/namei.c may_lookup()): 0, or the positive errno the walk fails with.
  using SearchCheck = std::function<int(const Inode& dir)>;
  void set_search_check(SearchCheck fn) { search_check_ = std::move(fn); }
  // `fn` runs before the host is first asked about `host_path` (a corpus
  // input's file mount: Kernel::touch_input()).
  void watch_host_path(std::string host_path, std::function<void()> fn) {
    watched_path_ = std::move(host_path);
    on_watched_ = std::move(fn);
  }
  void refresh_proc(const InodeRef& dir, const std::string* only = nullptr);
  // Counts changes that can move or detach a directory other than by
  // removing it (rename; a /proc directory, with its subdirectories, whose
  // process is gone): a path known to name a directory that is not
  // `unlinked` still does while the count is unchanged.
  uint64_t layout_generation() const { return layout_gen_; }
  void directories_changed() { ++layout_gen_; }
  void set_current_tid(uint32_t tid, uint64_t tick) { tid_ = tid, tick_ = tick; }
  // The process /proc/self names.
  void set_current_pid(uint32_t pid) { pid_ = pid; }

  // An anon_inode's node (eventfd, epoll, timerfd, pidfd): it has no name,
  // and reaching it through /proc/PID/fd/N does not open it.
  InodeRef make_anon_node(InodeKind kind, uint32_t perm) {
    InodeRef n = make_node(kind, perm);
    n->anonymous = true;
    return n;
  }
  InodeRef make_node(InodeKind kind, uint32_t perm);
  uint64_t inodes_made() const { return next_ino_ - 2; }
  // The host path of `name` in the host-backed directory `dir`.
  static std::string host_child(const InodeRef& dir, const std::string& name);
  // Canonical absolute path of a directory node (for getcwd).
  std::string path_of(const InodeRef& dir) const;
  // Whether `path` (canonical, absolute) names `node` now; nothing is read
  // from the host.
  bool names(const std::string& path, const InodeRef& node) const;
  // Whether `dir` is still in the tree (not removed, nor inside a removed
  // directory).
  bool attached(const InodeRef& dir) const;

 private:
  InodeRef ensure_dir(const std::string& abs_path, bool read_only, bool implied = false);
  // The directory that holds `abs_path` (made as ensure_dir() does) and the
  // path's last component in `name`; null for "/".
  InodeRef ensure_parent(const std::string& abs_path, bool read_only, bool implied, std::string& name);
  // A read-only node in `dir` for `host_path`, captured when first used.
  InodeRef add_pending_host_node(const InodeRef& dir, const std::string& name, const std::string& host_path,
                                 bool read_only);
  InodeRef child(const InodeRef& dir, const std::string& name);
  // Adds host-backed entries, not yet captured, for `names` in `dir`.
  void add_host_entries(const InodeRef& dir, const std::vector<std::string>& names);
  void probe_host_entry(const InodeRef& dir, const std::string& name);
  Io& io_;
  std::string watched_path_;
  std::function<void()> on_watched_;
  std::function<int64_t()> now_ns_;
  SearchCheck search_check_;
  std::shared_ptr<FileSpace> space_;
  InodeRef root_;
  uint64_t next_ino_ = 2;
  uint32_t tid_ = 0;
  uint32_t pid_ = 0;
  InodeRef proc_;
  ProcFiller proc_gen_;
  uint64_t layout_gen_ = 0;
  uint64_t tick_ = 0;
};

// Fills a guest `struct stat` from an inode.
void fill_stat(const Inode& n, abi::Stat& st);
// Splits "a//b/c/" into {"a","b","c"}.
std::vector<std::string> split_path(const std::string& path);

}  // namespace kernel
