// kernel/fsnotify — file system change notification, as Linux's fsnotify
// feeds inotify (fs/notify/): the file system operations report what they
// did here, and each inotify instance watching the inode, or the directory
// it was reached through, queues an event. The instances themselves (the
// file and its syscalls) are kernel/inotify.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "kernel/vfs.h"

namespace kernel {

class File;

namespace fsn {
// Event bits of <linux/inotify.h>.
constexpr uint32_t kAccess = 0x1, kModify = 0x2, kAttrib = 0x4, kCloseWrite = 0x8, kCloseNoWrite = 0x10,
                   kOpen = 0x20, kMovedFrom = 0x40, kMovedTo = 0x80, kCreate = 0x100, kDelete = 0x200,
                   kDeleteSelf = 0x400, kMoveSelf = 0x800, kAllEvents = 0xfff, kUnmount = 0x2000,
                   kQueueOverflow = 0x4000, kIgnored = 0x8000, kOnlyDir = 0x01000000,
                   kDontFollow = 0x02000000, kExclUnlink = 0x04000000, kMaskCreate = 0x10000000,
                   kMaskAdd = 0x20000000, kIsDir = 0x40000000, kOneShot = 0x80000000;
// What a watch's mask may hold (ALL_INOTIFY_BITS): a mask with none of
// these is EINVAL.
constexpr uint32_t kValidBits = kAllEvents | kUnmount | kQueueOverflow | kIgnored | kOnlyDir | kDontFollow |
                                kExclUnlink | kMaskCreate | kMaskAdd | kIsDir | kOneShot;
// Events a directory's watch reports for the files in it, with their names.
constexpr uint32_t kChildEvents = kAccess | kModify | kAttrib | kCloseWrite | kCloseNoWrite | kOpen;
// /proc/sys/fs/inotify defaults.
constexpr size_t kMaxQueuedEvents = 16384;
constexpr int kMaxUserInstances = 128;
constexpr int kMaxUserWatches = 1048576;
}  // namespace fsn

// One name of an inode that an open file was reached through, as a dentry
// is: it follows renames, and stays (marked unlinked) when the name goes,
// so that events on the open file still reach the old directory's watches
// with the current name.
struct EntryName {
  std::weak_ptr<Inode> dir;
  std::string name;
  bool unlinked = false;
};

struct InotifyGroup;

// One watch of one inotify instance on one inode.
struct InotifyMark {
  InotifyMark(std::weak_ptr<InotifyGroup> g, int w, uint32_t m);
  ~InotifyMark();
  std::weak_ptr<InotifyGroup> group;
  int wd;
  uint32_t mask;  // events and IN_ONESHOT / IN_EXCL_UNLINK
};

// An inotify instance's watches and queue (fs/notify/inotify/).
struct InotifyGroup {
  struct Event {
    int32_t wd;
    uint32_t mask, cookie;
    std::string name;
    // The bytes read() gives for it: the header and the name padded with
    // NULs to a multiple of the header's 16 bytes.
    size_t record_size() const { return 16 + padded_name(); }
    size_t padded_name() const { return name.empty() ? 0 : (name.size() + 16) / 16 * 16; }
  };
  struct Watch {
    InodeRef node;
    std::shared_ptr<InotifyMark> mark;
  };
  std::deque<Event> queue;
  bool overflow_queued = false;
  uint64_t wakes = 0;  // events queued (File::wake_count)
  std::map<int, Watch> watches;  // by watch descriptor
  int last_wd = 0;               // wds are handed out cyclically, from 1

  // Queues an event, unless it repeats the last one queued; past the
  // queue's limit one IN_Q_OVERFLOW stands for everything lost.
  void push(int wd, uint32_t mask, uint32_t cookie, std::string_view name);
  // The watch goes, and IN_IGNORED says so.
  void remove_watch(int wd);
  // The instance is closed: every watch goes, silently.
  void detach_all();
  size_t queued_bytes() const;
};

namespace fsnotify {
// Whether any watch exists at all: the hooks cost nothing otherwise.
bool watching();

// The entry an open file reached `node` through (its `name` in `dir`).
std::shared_ptr<EntryName> entry_for(const InodeRef& node, const InodeRef& dir, const std::string& name);

// Events on an open file (fsnotify_open/access/modify/close): to the
// inode's watches and its directory's (IN_EXCL_UNLINK ones skip it once
// it is unlinked).
void opened(const File& f);
void accessed(const File& f);
void modified(const File& f);
void closed(const File& f);
// A change of the node's attributes or size (notify_change(): IN_ATTRIB,
// or IN_MODIFY for a truncate), reached as `name` in `dir` (null: through
// a file with no directory entry).
void changed(const InodeRef& node, const InodeRef& dir, const std::string& name, uint32_t mask);
void changed(const File& f, uint32_t mask);
// A new entry: a file, directory, symlink, node or socket was made.
void created(const InodeRef& dir, const std::string& name, const Inode& node);
// A second name for `node` (link(2)): its link count changed.
void linked(const InodeRef& dir, const std::string& name, const InodeRef& node);
// unlink/rmdir removed `name` from `dir`; `node` was what it named.
void removed(const InodeRef& dir, const std::string& name, const InodeRef& node);
// rename: `moved` went from old_dir/old_name to new_dir/new_name,
// replacing `replaced` (null if nothing was there); `cookie` pairs the
// IN_MOVED_FROM with its IN_MOVED_TO.
void renamed(const InodeRef& old_dir, const std::string& old_name, const InodeRef& new_dir,
             const std::string& new_name, const InodeRef& moved, const InodeRef& replaced, uint32_t cookie);
// The last open file of `node` is gone: an unlinked node is deleted now.
void released(Inode& node);
}  // namespace fsnotify

}  // namespace kernel
