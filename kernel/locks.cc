// fcntl record locks and flock(2): the lock rules (kernel/locks.h) and the
// syscalls. Blocking waits (F_SETLKW, flock without LOCK_NB) retry until the
// lock is free; a POSIX wait that would close a cycle of waiting owners is
// EDEADLK (fs/locks.c posix_locks_deadlock()); OFD and flock waits are not
// checked, as on Linux.
#include "kernel/locks.h"

#include <algorithm>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

const RecordLock* FileLocks::conflict(const RecordLock& want) const {
  for (const RecordLock& l : records)
    if (l.conflicts(want)) return &l;
  return nullptr;
}

void FileLocks::set(const RecordLock& want, bool unlock) {
  // Cut the range out of the owner's locks (one may split in two).
  std::vector<RecordLock> out;
  for (const RecordLock& l : records) {
    if (!l.same_owner(want) || !l.overlaps(want)) {
      out.push_back(l);
      continue;
    }
    if (l.start < want.start) {
      RecordLock head = l;
      head.end = want.start - 1;
      out.push_back(head);
    }
    if (l.end > want.end) {
      RecordLock tail = l;
      tail.start = want.end + 1;
      out.push_back(tail);
    }
  }
  if (!unlock) {
    // Merge with the owner's adjacent locks of the same type.
    RecordLock merged = want;
    std::vector<RecordLock> kept;
    for (const RecordLock& l : out) {
      bool touches = l.same_owner(want) && l.write == want.write &&
                     (l.overlaps(merged) || (merged.end != kOffsetMax && l.start == merged.end + 1) ||
                      (l.end != kOffsetMax && l.end + 1 == merged.start));
      if (touches) {
        merged.start = std::min(merged.start, l.start);
        merged.end = std::max(merged.end, l.end);
      } else {
        kept.push_back(l);
      }
    }
    kept.push_back(merged);
    out = std::move(kept);
  }
  // Each owner's locks in address order (what F_GETLK finds first).
  std::stable_sort(out.begin(), out.end(), [](const RecordLock& a, const RecordLock& b) {
    if (a.ofd != b.ofd) return a.ofd < b.ofd;
    if (a.owner != b.owner) return a.owner < b.owner;
    return a.start < b.start;
  });
  records = std::move(out);
}

void FileLocks::release_posix(uint64_t table) {
  std::erase_if(records, [&](const RecordLock& l) { return !l.ofd && l.owner == table; });
}

void FileLocks::release_file(uint64_t file) {
  std::erase_if(records, [&](const RecordLock& l) { return l.ofd && l.owner == file; });
  std::erase_if(flocks, [&](const FlockLock& l) { return l.owner == file; });
}

namespace {

constexpr int kF_GETLK = 5, kF_SETLK = 6, kF_SETLKW = 7, kF_OFD_GETLK = 36, kF_OFD_SETLK = 37, kF_OFD_SETLKW = 38;
constexpr int16_t kF_RDLCK = 0, kF_WRLCK = 1, kF_UNLCK = 2;

// struct flock on x86-64.
struct Flock {
  int16_t l_type;
  int16_t l_whence;
  int32_t pad0;
  int64_t l_start;
  int64_t l_len;
  int32_t l_pid;
  int32_t pad1;
};
static_assert(sizeof(Flock) == 32);

// fs/locks.c flock64_to_posix_lock(): the byte range, and the type.
int64_t to_range(const File& f, const Flock& fl, RecordLock& out) {
  int64_t base;
  switch (fl.l_whence) {
    case kSEEK_SET: base = 0; break;
    case kSEEK_CUR: base = int64_t(f.offset()); break;
    case kSEEK_END: base = int64_t(f.inode()->size()); break;
    default: return -kEINVAL;
  }
  if (fl.l_start > kOffsetMax - base) return -kEOVERFLOW;
  int64_t start = base + fl.l_start;
  if (start < 0) return -kEINVAL;
  int64_t end;
  if (fl.l_len > 0) {
    if (fl.l_len - 1 > kOffsetMax - start) return -kEOVERFLOW;
    end = start + (fl.l_len - 1);
  } else if (fl.l_len < 0) {
    if (start + fl.l_len < 0) return -kEINVAL;
    end = start - 1;
    start += fl.l_len;
  } else {
    end = kOffsetMax;
  }
  out.start = start;
  out.end = end;
  if (fl.l_type != kF_RDLCK && fl.l_type != kF_WRLCK && fl.l_type != kF_UNLCK) return -kEINVAL;
  out.write = fl.l_type == kF_WRLCK;
  return 0;
}

// Whether the POSIX owner `me`, waiting for `blocker`, would wait forever:
// the owner of `blocker` waits (F_SETLKW) for a lock whose owner waits ...
// for one of `me`'s. Followed at most 10 steps, as Linux does.
bool would_deadlock(Kernel& k, const RecordLock& me, const RecordLock* blocker) {
  for (int depth = 0; blocker && !blocker->ofd && depth < 10; ++depth) {
    if (blocker->owner == me.owner) return true;
    const RecordLock* next = nullptr;
    for (auto& [tid, t] : k.tasks()) {
      if (t->run_state != RunState::kBlocked || !t->lock_wait.inode || t->blocked.reason != "fcntl F_SETLKW")
        continue;
      const RecordLock& w = t->lock_wait.want;
      if (w.ofd || w.owner != blocker->owner) continue;
      next = t->lock_wait.inode->locks.conflict(w);
      if (next) break;
    }
    blocker = next;
  }
  return false;
}

int64_t fcntl_lock(Kernel& k, const std::shared_ptr<File>& f, int cmd, uint64_t arg) {
  Flock fl;
  if (!k.mm().copy_in(UserPtr(arg), &fl, sizeof fl)) return -kEFAULT;
  bool get = cmd == kF_GETLK || cmd == kF_OFD_GETLK;
  bool ofd = cmd == kF_OFD_GETLK || cmd == kF_OFD_SETLK || cmd == kF_OFD_SETLKW;
  bool wait = cmd == kF_SETLKW || cmd == kF_OFD_SETLKW;
  if (get && fl.l_type != kF_RDLCK && fl.l_type != kF_WRLCK) return -kEINVAL;
  const InodeRef& node = f->inode();
  if (!node || (f->flags() & kO_PATH)) return -kEBADF;
  RecordLock want;
  if (int64_t r = to_range(*f, fl, want); r < 0) return r;
  Task& t = k.current();
  want.ofd = ofd;
  want.owner = ofd ? f->lock_owner() : t.fds->lock_owner();
  want.pid = t.tgid;
  if (!get) {
    // check_fmode_for_setlk(): a read lock needs the file open for reading,
    // a write lock for writing.
    if (fl.l_type == kF_RDLCK && !f->readable()) return -kEBADF;
    if (fl.l_type == kF_WRLCK && !f->writable()) return -kEBADF;
  }
  if (ofd && fl.l_pid != 0) return -kEINVAL;
  if (get) {
    const RecordLock* c = node->locks.conflict(want);
    if (!c) {
      fl.l_type = kF_UNLCK;
    } else {
      fl.l_type = c->write ? kF_WRLCK : kF_RDLCK;
      fl.l_whence = kSEEK_SET;
      fl.l_start = c->start;
      fl.l_len = c->end == kOffsetMax ? 0 : c->end - c->start + 1;
      fl.l_pid = c->ofd ? -1 : int32_t(k.vpid(*t.pidns, c->pid));
    }
    return k.mm().copy_out(UserPtr(arg), &fl, sizeof fl) ? 0 : -kEFAULT;
  }
  if (fl.l_type == kF_UNLCK) {
    node->locks.set(want, true);
    return 0;
  }
  InodeRef held = node;  // the wait keeps the inode, not the descriptor
  auto attempt = [&k, held, want, wait]() -> int64_t {
    Task& me = k.current();
    const RecordLock* c = held->locks.conflict(want);
    if (!c) {
      me.lock_wait = {};
      held->locks.set(want, false);
      return 0;
    }
    if (!wait) return -kEAGAIN;
    if (!want.ofd && would_deadlock(k, want, c)) {
      me.lock_wait = {};
      return -kEDEADLK;
    }
    me.lock_wait = {held, want};
    return kBlocked;
  };
  return k.attempt_or_block(ofd ? "fcntl F_OFD_SETLKW" : "fcntl F_SETLKW", attempt);
}

// flock(2) (fs/locks.c flock_lock_inode()): a lock of the open file; a
// conversion drops the old lock first, so it is not atomic.
int64_t sys_flock(Kernel& k, const uint64_t* a) {
  auto f = get_file(k, a[0]);
  if (!f) return -kEBADF;
  constexpr uint32_t kLOCK_SH = 1, kLOCK_EX = 2, kLOCK_NB = 4, kLOCK_UN = 8, kLOCK_MAND = 32;
  uint32_t op = uint32_t(a[1]);
  // LOCK_MAND never worked and is ignored (with a warning) since Linux 5.15.
  if (op & kLOCK_MAND) return 0;
  uint32_t kind = op & ~kLOCK_NB;
  if (kind != kLOCK_SH && kind != kLOCK_EX && kind != kLOCK_UN) return -kEINVAL;
  if (kind != kLOCK_UN && !f->readable() && !f->writable()) return -kEBADF;
  if (!f->inode()) return -kEBADF;
  InodeRef node = f->inode();
  uint64_t owner = f->lock_owner();
  bool exclusive = kind == kLOCK_EX;
  auto& mine = node->locks.flocks;
  auto it = std::find_if(mine.begin(), mine.end(), [&](const FlockLock& l) { return l.owner == owner; });
  if (it != mine.end()) {
    if (kind != kLOCK_UN && it->exclusive == exclusive) return 0;
    mine.erase(it);
  }
  if (kind == kLOCK_UN) return 0;
  auto attempt = [node, owner, exclusive, nonblock = (op & kLOCK_NB) != 0]() -> int64_t {
    auto& all = node->locks.flocks;
    bool busy = std::any_of(all.begin(), all.end(), [&](const FlockLock& l) {
      return l.owner != owner && (l.exclusive || exclusive);
    });
    if (!busy) {
      all.push_back({owner, exclusive});
      return 0;
    }
    return nonblock ? -kEAGAIN : kBlocked;  // EWOULDBLOCK
  };
  return k.attempt_or_block("flock", attempt);
}

}  // namespace

int64_t fcntl_record_lock(Kernel& k, const std::shared_ptr<File>& f, int cmd, uint64_t arg) {
  return fcntl_lock(k, f, cmd, arg);
}

void register_locks_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_locks(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
