// Advisory file locks, as fs/locks.c keeps them: POSIX record locks (fcntl
// F_SETLK/F_SETLKW/F_GETLK), owned by a descriptor table and released when
// it closes any descriptor of the file; open-file-description locks (F_OFD_*)
// and flock() locks, owned by the open file and released with its last
// reference. Each inode holds its own (Inode::locks).
#pragma once

#include <cstdint>
#include <vector>

namespace kernel {

// Linux's OFFSET_MAX: the end of a lock "to the end of the file".
constexpr int64_t kOffsetMax = INT64_MAX;

struct RecordLock {
  uint64_t owner = 0;   // FdTable::lock_owner() (POSIX) or File::lock_owner() (OFD)
  bool ofd = false;
  uint32_t pid = 0;     // POSIX: the process that set it (F_GETLK's l_pid)
  bool write = false;   // F_WRLCK, else F_RDLCK
  int64_t start = 0, end = 0;  // bytes start..end inclusive

  bool same_owner(const RecordLock& o) const { return owner == o.owner && ofd == o.ofd; }
  bool overlaps(const RecordLock& o) const { return start <= o.end && o.start <= end; }
  bool conflicts(const RecordLock& o) const { return !same_owner(o) && overlaps(o) && (write || o.write); }
};

struct FlockLock {
  uint64_t owner = 0;  // File::lock_owner()
  bool exclusive = false;
};

struct FileLocks {
  std::vector<RecordLock> records;  // each owner's in address order
  std::vector<FlockLock> flocks;
  bool empty() const { return records.empty() && flocks.empty(); }

  // The first lock that keeps `want` from being granted, or null.
  const RecordLock* conflict(const RecordLock& want) const;
  // Sets (or, with `unlock`, removes) `want`'s range for its owner: its own
  // locks there are replaced, neighbours of the same type merged.
  void set(const RecordLock& want, bool unlock);
  // What closing a descriptor (POSIX) or the open file (OFD, flock) releases.
  void release_posix(uint64_t table);
  void release_file(uint64_t file);
};

}  // namespace kernel
