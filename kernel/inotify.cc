// inotify (fs/notify/inotify/inotify_user.c): an instance is a file whose
// reads give the events kernel/fsnotify.cc queued for its watches, whole
// records only (EINVAL when the first does not fit), readable by poll and
// epoll, blocking when empty unless non-blocking.
#include <cstdio>
#include <cstring>

#include "kernel/fsnotify.h"
#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kPOLLIN = 1, kPOLLRDNORM = 0x40;

class InotifyFile : public AnonFile {
 public:
  InotifyFile(InodeRef inode, uint32_t flags)
      : AnonFile(std::move(inode), flags), group_(std::make_shared<InotifyGroup>()) {}
  ~InotifyFile() override { group_->detach_all(); }

  int64_t read(Kernel& k, char* buf, size_t n) override {
    size_t placed = 0;
    return read_into(k, buf, n, n, placed);
  }
  // Records are copied one by one (copy_event_to_user()): one that would
  // land past `room` is lost, and the read is EFAULT.
  int64_t read_into(Kernel&, char* buf, size_t n, size_t room, size_t& placed) override {
    auto& q = group_->queue;
    if (q.empty()) return (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
    size_t done = 0;
    while (!q.empty()) {
      const InotifyGroup::Event& e = q.front();
      size_t size = e.record_size();
      if (size > n - done) break;
      if (done + size > room) {
        pop();
        placed = done;
        return -kEFAULT;
      }
      char header[16];
      uint32_t len = uint32_t(e.padded_name());
      std::memcpy(header, &e.wd, 4);
      std::memcpy(header + 4, &e.mask, 4);
      std::memcpy(header + 8, &e.cookie, 4);
      std::memcpy(header + 12, &len, 4);
      std::memcpy(buf + done, header, 16);
      std::memset(buf + done + 16, 0, len);
      std::memcpy(buf + done + 16, e.name.data(), e.name.size());
      done += size;
      pop();
    }
    placed = done;
    return done ? int64_t(done) : -kEINVAL;
  }
  bool pollable() const override { return true; }
  uint32_t poll_events(Kernel&) const override { return group_->queue.empty() ? 0 : kPOLLIN | kPOLLRDNORM; }
  uint64_t wake_count(const Kernel&) const override { return group_->wakes; }
  int64_t readable_bytes() const override { return int64_t(group_->queued_bytes()); }
  bool counts_readable_bytes() const override { return true; }
  const std::shared_ptr<InotifyGroup>& group() const { return group_; }
  // fs/notify/fdinfo.c inotify_fdinfo(): a line per watch, the newest
  // first, with the file handle tmpfs gives (shmem_encode_fh(): the
  // generation, 0 here, then the inode number's two halves).
  std::string fdinfo(Kernel&) const override {
    std::string out;
    for (auto it = group_->watches.rbegin(); it != group_->watches.rend(); ++it) {
      const auto& [wd, w] = *it;
      uint64_t ino = w.node->ino;
      uint32_t handle[3] = {0, uint32_t(ino), uint32_t(ino >> 32)};
      char line[256];
      int n = std::snprintf(line, sizeof line,
                            "inotify wd:%x ino:%llx sdev:%llx mask:%x ignored_mask:0 fhandle-bytes:c fhandle-type:1 f_handle:",
                            wd, static_cast<unsigned long long>(ino), static_cast<unsigned long long>(w.node->dev),
                            w.mark->mask);
      out.append(line, size_t(n));
      const auto* bytes = reinterpret_cast<const unsigned char*>(handle);
      for (size_t i = 0; i < sizeof handle; ++i) {
        std::snprintf(line, sizeof line, "%02x", bytes[i]);
        out += line;
      }
      out += '\n';
    }
    return out;
  }

 private:
  void pop() {
    if (group_->queue.front().mask & fsn::kQueueOverflow) group_->overflow_queued = false;
    group_->queue.pop_front();
  }
  std::shared_ptr<InotifyGroup> group_;
};

int64_t do_inotify_init(Kernel& k, uint32_t flags) {
  if (flags & ~uint32_t(kO_CLOEXEC | kO_NONBLOCK)) return -kEINVAL;
  auto node = k.vfs().make_anon_node(InodeKind::kFifo, 0600);
  set_caller_owner(k, *node);
  auto f = std::make_shared<InotifyFile>(node, kO_RDONLY | (flags & kO_NONBLOCK));
  f->path = "anon_inode:inotify";
  return k.current().fds->alloc(f, flags & kO_CLOEXEC);
}

int64_t sys_inotify_init(Kernel& k, const uint64_t*) { return do_inotify_init(k, 0); }
int64_t sys_inotify_init1(Kernel& k, const uint64_t* a) { return do_inotify_init(k, uint32_t(a[0])); }

// The instance behind `fd`: EBADF for no descriptor, EINVAL for another file.
InotifyFile* instance(Kernel& k, uint64_t fd, int64_t& err, std::shared_ptr<File>& hold) {
  hold = get_file(k, uint32_t(fd));
  auto* in = dynamic_cast<InotifyFile*>(hold.get());
  err = !hold ? -kEBADF : !in ? -kEINVAL : 0;
  return in;
}

// inotify_add_watch(2): the mask first, then the descriptor, the path
// (followed unless IN_DONT_FOLLOW, a directory for IN_ONLYDIR) and read
// permission on it. A node already watched keeps its wd; its mask is
// replaced, or added to with IN_MASK_ADD (IN_MASK_CREATE: EEXIST).
int64_t sys_inotify_add_watch(Kernel& k, const uint64_t* a) {
  uint32_t mask = uint32_t(a[2]);
  if (!(mask & fsn::kValidBits)) return -kEINVAL;
  if ((mask & fsn::kMaskAdd) && (mask & fsn::kMaskCreate)) return -kEINVAL;
  int64_t err;
  std::shared_ptr<File> hold;
  InotifyFile* in = instance(k, a[0], err, hold);
  if (!in) return err;
  Lookup l;
  if (int64_t r = lookup_existing(k, kAT_FDCWD, a[1], !(mask & fsn::kDontFollow), l); r < 0) return r;
  if ((mask & fsn::kOnlyDir) && !l.node->is_dir()) return -kENOTDIR;
  if (int64_t r = inode_permission(k.current().creds, *l.node, kMayRead); r < 0) return r;
  k.vfs().materialize(l.node);
  uint32_t kept = mask & (fsn::kAllEvents | fsn::kOneShot | fsn::kExclUnlink);
  InotifyGroup& g = *in->group();
  for (auto& [wd, w] : g.watches) {
    if (w.node != l.node) continue;
    if (mask & fsn::kMaskCreate) return -kEEXIST;
    w.mark->mask = (mask & fsn::kMaskAdd) ? w.mark->mask | kept : kept;
    return wd;
  }
  if (g.watches.size() >= size_t(fsn::kMaxUserWatches)) return -kENOSPC;
  int wd = g.last_wd;
  do wd = wd == INT32_MAX ? 1 : wd + 1;
  while (g.watches.count(wd));
  g.last_wd = wd;
  auto mark = std::make_shared<InotifyMark>(in->group(), wd, kept);
  l.node->marks.push_back(mark);
  g.watches[wd] = {l.node, mark};
  return wd;
}

int64_t sys_inotify_rm_watch(Kernel& k, const uint64_t* a) {
  int64_t err;
  std::shared_ptr<File> hold;
  InotifyFile* in = instance(k, a[0], err, hold);
  if (!in) return err;
  InotifyGroup& g = *in->group();
  int wd = int(a[1]);
  if (!g.watches.count(wd)) return -kEINVAL;
  g.remove_watch(wd);
  return 0;
}

}  // namespace

void register_inotify_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_inotify(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
