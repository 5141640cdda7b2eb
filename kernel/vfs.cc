#include "kernel/vfs.h"

#include <algorithm>
#include <cstring>
#include <deque>

namespace kernel {

using namespace abi;

uint32_t Inode::mode() const {
  if (anonymous) return perm;  // anon_inode_mkinode(): no file type bits
  switch (kind) {
    case InodeKind::kRegular: return kS_IFREG | perm;
    case InodeKind::kDirectory: return kS_IFDIR | perm;
    case InodeKind::kSymlink: return kS_IFLNK | perm;
    case InodeKind::kCharDevice: return kS_IFCHR | perm;
    case InodeKind::kFifo: return kS_IFIFO | perm;
    case InodeKind::kSocket: return kS_IFSOCK | perm;
  }
  return perm;
}

uint64_t Inode::size() const {
  switch (kind) {
    case InodeKind::kRegular: return contents_pending ? host_size : shm ? shm_size : data.size();
    case InodeKind::kSymlink: return target.size();
    case InodeKind::kDirectory: return 4096;
    default: return 0;
  }
}

uint32_t Inode::nlink() const {
  if (unlinked) return 0;
  if (kind != InodeKind::kDirectory) return links;
  uint32_t n = 2;
  for (const auto& [name, c] : children)
    if (c->kind == InodeKind::kDirectory) ++n;
  return n;
}

namespace {
uint64_t pages_of(uint64_t bytes) { return (bytes + 4095) & ~uint64_t(4095); }
}  // namespace

Inode::~Inode() {
  if (space) space->uncharge(charged);
}

int64_t Inode::write_at(uint64_t off, const char* buf, uint64_t n) {
  uint64_t bound = shm ? kMaxSharedFileSize : kMaxFileSize;
  if (off > bound || n > bound - off) return -kEFBIG;
  uint64_t end = off + n;
  if (space && pages_of(end) > charged) {
    // A full tmpfs takes the pages that fit (shmem_write_begin() fails at
    // the first one that does not).
    uint64_t room = charged + (space->room() & ~uint64_t(4095));
    if (pages_of(end) > room) {
      if (room <= off) return n ? -kENOSPC : 0;
      end = room;
      n = end - off;
    }
    space->charge(pages_of(end) - charged);
    charged = pages_of(end);
  }
  if (shm) {
    if (n) std::memcpy(shm->data() + off, buf, n);  // the gap, if any, is already zero
    shm_size = std::max(shm_size, end);
    return int64_t(n);
  }
  if (data.size() < end) data.resize(end, '\0');
  if (n) std::memcpy(data.data() + off, buf, n);  // buf may be null when n is 0
  return int64_t(n);
}

int Inode::truncate(uint64_t size) {
  if (size > (shm ? kMaxSharedFileSize : kMaxFileSize)) return -kEFBIG;
  if (space) {
    uint64_t want = pages_of(size);
    if (want > charged && !space->charge(want - charged)) return -kENOSPC;
    if (want < charged) space->uncharge(charged - want);
    charged = want;
  }
  if (shm) {
    if (size < shm_size) std::memset(shm->data() + size, 0, shm_size - size);
    shm_size = size;
  } else {
    data.resize(size, '\0');
  }
  return 0;
}

int Inode::allocate(uint64_t end, bool keep_size) {
  bool grows_room = space && pages_of(end) > charged;
  if (grows_room && pages_of(end) - charged > space->room()) return -kENOSPC;
  if (end > (shm ? kMaxSharedFileSize : kMaxFileSize)) return -kEFBIG;
  if (grows_room) {
    space->charge(pages_of(end) - charged);
    charged = pages_of(end);
  }
  if (!keep_size && end > size()) return truncate(end);
  return 0;
}

void Inode::punch_hole(uint64_t off, uint64_t n) {
  uint64_t size_now = size();
  uint64_t end = n > UINT64_MAX - off ? UINT64_MAX : off + n;
  if (off < size_now) {
    uint64_t stop = std::min(end, size_now);
    char* bytes_at = shm ? reinterpret_cast<char*>(shm->data()) : data.data();
    std::memset(bytes_at + off, 0, stop - off);
  }
  // Pages wholly inside the hole and past the end were preallocated only.
  uint64_t keep = std::max(pages_of(size_now), pages_of(off));
  if (space && end >= charged && keep < charged) {
    space->uncharge(charged - keep);
    charged = keep;
  }
}

bool Inode::make_shared() {
  if (shm) return true;
  if (data.size() > kMaxSharedFileSize) return false;
  auto m = std::make_shared<SharedMemory>(kMaxSharedFileSize);
  if (!m->data()) return false;
  std::memcpy(m->data(), data.data(), data.size());
  shm_size = data.size();
  shm = std::move(m);
  std::string().swap(data);
  return true;
}

void fill_stat(const Inode& n, Stat& st) {
  st = Stat{};
  st.st_dev = n.dev;
  st.st_ino = n.ino;
  st.st_nlink = n.nlink();
  st.st_mode = n.mode();
  st.st_uid = n.uid;
  st.st_gid = n.gid;
  st.st_rdev = (uint64_t(n.rdev_major) << 8) | n.rdev_minor;
  st.st_size = int64_t(n.size());
  st.st_blksize = 4096;
  // Files are kept whole, in pages: like tmpfs (and ext4 for files without
  // holes), a file holds 8 blocks of 512 bytes for each page it reaches.
  st.st_blocks = int64_t((n.size() + 4095) / 4096 * 8);
  // Directories: one block of 4096 bytes, as on ext4. Short symlinks live in
  // the inode (tmpfs, ext4): no blocks.
  if (n.kind == InodeKind::kCharDevice || n.kind == InodeKind::kSymlink) st.st_blocks = 0;
  st.st_atim = {n.atime_ns / 1000000000, n.atime_ns % 1000000000};
  st.st_mtim = {n.mtime_ns / 1000000000, n.mtime_ns % 1000000000};
  st.st_ctim = {n.ctime_ns / 1000000000, n.ctime_ns % 1000000000};
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

Vfs::Vfs(Io& io, std::function<int64_t()> now_ns, std::shared_ptr<FileSpace> space)
    : io_(io), now_ns_(std::move(now_ns)), space_(std::move(space)) {
  root_ = make_node(InodeKind::kDirectory, 0755);
  auto tmp = ensure_dir("/tmp", false);
  tmp->perm = 01777;
  auto dev = ensure_dir("/dev", false);
  auto add_dev = [&](const char* name, Device d, uint32_t minor) {
    auto n = make_node(InodeKind::kCharDevice, 0666);
    n->device = d;
    n->rdev_major = 1;
    n->rdev_minor = minor;
    dev->children[name] = n;
  };
  add_dev("null", Device::kNull, 3);
  add_dev("zero", Device::kZero, 5);
  add_dev("urandom", Device::kUrandom, 9);
  add_dev("random", Device::kUrandom, 8);
  ensure_dir("/dev/shm", false)->perm = 01777;
  // As udev makes them: the descriptors of whoever looks.
  add_symlink("/dev/fd", "/proc/self/fd");
  add_symlink("/dev/stdin", "/proc/self/fd/0");
  add_symlink("/dev/stdout", "/proc/self/fd/1");
  add_symlink("/dev/stderr", "/proc/self/fd/2");
  proc_ = ensure_dir("/proc", true);
  proc_->perm = 0555;
}

InodeRef Vfs::make_node(InodeKind kind, uint32_t perm) {
  auto n = std::make_shared<Inode>();
  n->kind = kind;
  n->perm = perm;
  n->ino = next_ino_++;
  n->mtime_ns = n->ctime_ns = n->atime_ns = now_ns_();
  n->space = space_;
  return n;
}

InodeRef Vfs::ensure_dir(const std::string& abs_path, bool read_only, bool implied) {
  InodeRef cur = root_;
  for (const std::string& c : split_path(abs_path)) {
    auto it = cur->children.find(c);
    if (it == cur->children.end() || !it->second->is_dir()) {
      auto d = make_node(InodeKind::kDirectory, 0755);
      d->read_only = read_only;
      d->implied = implied;
      d->parent = cur;
      cur->children[c] = d;
      cur = d;
    } else {
      cur = it->second;
    }
  }
  return cur;
}

InodeRef Vfs::ensure_parent(const std::string& abs_path, bool read_only, bool implied, std::string& name) {
  auto parts = split_path(abs_path);
  if (parts.empty()) return nullptr;
  name = parts.back();
  std::string dir;
  for (size_t i = 0; i + 1 < parts.size(); ++i) dir += "/" + parts[i];
  return ensure_dir(dir, read_only, implied);
}

std::string Vfs::host_child(const InodeRef& dir, const std::string& name) {
  return (dir->host_path == "/" ? "" : dir->host_path) + "/" + name;
}

InodeRef Vfs::add_pending_host_node(const InodeRef& dir, const std::string& name, const std::string& host_path,
                                    bool read_only) {
  auto c = make_node(InodeKind::kRegular, 0);
  c->host_path = host_path;
  c->host_pending = true;
  c->read_only = read_only;
  c->parent = dir;
  dir->children[name] = c;
  return c;
}

void Vfs::add_program(const std::string& path, uint32_t mode, std::string content) {
  std::string name;
  InodeRef d = ensure_parent(path, false, true, name);
  if (!d) return;
  auto f = make_node(InodeKind::kRegular, mode & 07777);
  f->data = std::move(content);
  f->read_only = true;
  d->children[name] = f;
}

void Vfs::add_file(const std::string& path, std::string content) {
  std::string name;
  InodeRef d = ensure_parent(path, true, false, name);
  if (!d) return;
  auto f = make_node(InodeKind::kRegular, 0444);
  f->data = std::move(content);
  f->read_only = true;
  f->parent = d;
  d->children[name] = f;
}

void Vfs::add_symlink(const std::string& path, const std::string& target) {
  std::string name;
  InodeRef d = ensure_parent(path, false, true, name);
  if (!d || d->children.count(name)) return;
  auto l = make_node(InodeKind::kSymlink, 0777);
  l->target = target;
  l->read_only = true;
  d->children[name] = l;
}

void Vfs::add_mount(const std::string& host, const std::string& guest) {
  InodeRef d = ensure_dir(guest, true);
  d->implied = false;  // the host's directory, read-only, even where the program's path made one
  d->host_path = host;
  d->host_pending = true;
  d->read_only = true;
}

void Vfs::add_file_mount(const std::string& host, const std::string& guest) {
  std::string name;
  if (InodeRef d = ensure_parent(guest, false, true, name)) add_pending_host_node(d, name, host, true);
}

void Vfs::set_root_dir(const std::string& host) {
  // The root keeps what Ditto made in it (/tmp, /dev, /proc, /sys, paths to
  // the program and the working directory) and shows the host's other
  // entries, writable in memory only.
  root_->host_path = host;
  root_->host_pending = true;
  root_->implied = true;
  root_->read_only = false;
}

void Vfs::refresh_proc(const InodeRef& dir, const std::string* only) {
  if (!proc_gen_ || (dir != proc_ && dir->proc_path.empty())) return;
  proc_gen_(dir, only);
}

namespace {
// The host file's owner, mode and times, as the guest sees them.
void take_host_attributes(Inode& node, const HostFile& hf) {
  node.perm = hf.mode & 07777;
  node.uid = hf.uid;
  node.gid = hf.gid;
  node.atime_ns = hf.atime_ns;
  node.mtime_ns = hf.mtime_ns;
  node.ctime_ns = hf.ctime_ns;
}
}  // namespace

void Vfs::materialize(const InodeRef& node) {
  if (!node || !node->host_pending) return;
  node->host_pending = false;
  if (on_watched_ && node->host_path == watched_path_) on_watched_();
  HostFile hf = io_.host_file(node->host_path, tid_, tick_);
  if (node->implied) {
    // A directory of Ditto's own under a mount: it keeps what it holds (the
    // program file) and its kind, and shows the host directory's entries too.
    // The host's owner, mode and times too: permission checks see them.
    if (hf.err == 0 && hf.kind == HostFileKind::kDirectory) {
      add_host_entries(node, hf.entries);
      take_host_attributes(*node, hf);
    }
    return;
  }
  if (hf.err != 0 || hf.kind == HostFileKind::kMissing) {
    // Gone on the host (or unreadable): remove it from its directory. A
    // lookup that finds it so says EACCES when that was the host's answer.
    node->host_read_err = hf.err;
    if (auto p = node->parent.lock()) {
      for (auto it = p->children.begin(); it != p->children.end(); ++it)
        if (it->second == node) {
          p->children.erase(it);
          break;
        }
    }
    node->kind = InodeKind::kRegular;
    node->perm = 0;
    return;
  }
  take_host_attributes(*node, hf);
  node->host_read_err = hf.read_err;
  node->host_search_err = hf.search_err;
  switch (hf.kind) {
    case HostFileKind::kRegular:
      node->kind = InodeKind::kRegular;
      node->host_size = hf.size;
      node->contents_pending = hf.read_err == 0;
      break;
    case HostFileKind::kSymlink:
      node->kind = InodeKind::kSymlink;
      node->target = std::move(hf.target);
      break;
    case HostFileKind::kDirectory:
      node->kind = InodeKind::kDirectory;
      add_host_entries(node, hf.entries);
      break;
    case HostFileKind::kMissing: break;
  }
}

// A host directory Ditto may search but not list (mode 0711 to its user):
// names in it are asked of the host one at a time, as they are looked up.
void Vfs::probe_host_entry(const InodeRef& dir, const std::string& name) {
  if (!dir->children.count(name)) add_pending_host_node(dir, name, host_child(dir, name), dir->read_only);
}

int Vfs::load_contents(Inode& node) {
  if (node.host_read_err) return node.host_read_err;
  if (!node.contents_pending) return 0;
  node.contents_pending = false;
  if (on_watched_ && node.host_path == watched_path_) on_watched_();
  HostFile hf = io_.host_contents(node.host_path, tid_, tick_);
  if (hf.err) {
    // Readable when looked at, not now: the guest's read fails as the host's did.
    node.host_read_err = hf.err;
    return hf.err;
  }
  node.data = std::move(hf.content);
  return 0;
}

void Vfs::add_host_entries(const InodeRef& dir, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (auto it = dir->children.find(name); it != dir->children.end()) {
      // Ours already (the program file, a path to it, or a nested mount): a
      // directory made for a path shows the host's entries as well.
      const InodeRef& c = it->second;
      if (c->implied && c->host_path.empty()) {
        c->host_path = host_child(dir, name);
        c->host_pending = true;
      }
      continue;
    }
    add_pending_host_node(dir, name, host_child(dir, name), dir->read_only);
  }
}

bool Vfs::names(const std::string& path, const InodeRef& node) const {
  InodeRef cur = root_;
  for (const std::string& c : split_path(path)) {
    auto it = cur->children.find(c);
    if (it == cur->children.end()) return false;
    cur = it->second;
  }
  return cur == node;
}

bool Vfs::attached(const InodeRef& dir) const {
  for (InodeRef cur = dir; cur != root_;) {
    InodeRef p = cur->parent.lock();
    if (!p || std::none_of(p->children.begin(), p->children.end(), [&](const auto& c) { return c.second == cur; }))
      return false;
    cur = p;
  }
  return true;
}

std::string Vfs::path_of(const InodeRef& dir) const {
  std::vector<std::string> parts;
  InodeRef cur = dir;
  while (cur && cur != root_) {
    InodeRef p = cur->parent.lock();
    if (!p) break;
    for (const auto& [name, c] : p->children)
      if (c == cur) {
        parts.push_back(name);
        break;
      }
    cur = p;
  }
  std::string s;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) s += "/" + *it;
  return s.empty() ? "/" : s;
}

Lookup Vfs::resolve(const std::string& cwd, const std::string& path, bool follow_last) {
  InodeRef start = root_;
  if (!path.empty() && path[0] != '/') {
    // cwd is canonical and made of directories.
    for (const std::string& c : split_path(cwd)) {
      materialize(start);
      auto it = start->children.find(c);
      if (it == start->children.end() || !it->second->is_dir()) {
        Lookup r;
        r.err = kENOENT;
        return r;
      }
      start = it->second;
    }
  }
  return resolve_from(start, cwd, path, follow_last);
}

// The walk keeps the directory it is in and that directory's canonical
// path; ".." goes to the parent the directory records (directories have
// one), so a walk costs what the path names, not the depth it starts at.
Lookup Vfs::resolve_from(const InodeRef& dir, const std::string& dir_path, const std::string& path,
                         bool follow_last) {
  Lookup r;
  if (path.empty()) {
    r.err = kENOENT;
    return r;
  }
  if (path.size() >= kPathMax) {
    r.err = kENAMETOOLONG;
    return r;
  }
  bool trailing_slash = path.back() == '/';
  if (trailing_slash) follow_last = true;
  InodeRef cur = root_;
  std::string cur_path = "/";
  if (path[0] != '/') {
    cur = dir;
    cur_path = dir_path;
  }
  auto up = [&]() {
    if (cur == root_) return;
    InodeRef p = cur->parent.lock();
    cur = p ? p : root_;
    size_t slash = cur_path.rfind('/');
    cur_path.resize(slash == 0 || slash == std::string::npos ? 1 : slash);
  };
  auto parent_of = [&](const InodeRef& n) {
    InodeRef p = n == root_ ? nullptr : n->parent.lock();
    return p ? p : root_;
  };
  std::deque<std::string> pending;
  for (const std::string& c : split_path(path)) pending.push_back(c);
  if (pending.empty()) {  // "/" or "///"
    r.node = root_;
    r.parent = root_;
    r.name = "/";
    r.path = "/";
    return r;
  }
  int links = 0;
  InodeRef holder;  // the directory the last component was found in
  std::string last_name;
  while (!pending.empty()) {
    std::string comp = std::move(pending.front());
    pending.pop_front();
    bool last = pending.empty();
    if (!cur->is_dir()) {
      r.err = kENOTDIR;
      return r;
    }
    materialize(cur);
    if (search_check_)
      if (int e = search_check_(*cur)) {
        r.err = e;
        return r;
      }
    if (comp.size() > kNameMax) {
      r.err = kENAMETOOLONG;
      return r;
    }
    if (comp == "." || comp == "..") {
      if (comp == "..") up();
      if (last) {
        r.node = cur;
        r.parent = parent_of(cur);
        r.name = comp;
        r.path = cur_path;
        return r;
      }
      continue;
    }
    materialize(cur);
    refresh_proc(cur, &comp);
    if (cur->host_read_err && !cur->host_path.empty()) probe_host_entry(cur, comp);
    auto it = cur->children.find(comp);
    if (it == cur->children.end()) {
      if (!last) {
        r.err = kENOENT;
        return r;
      }
      r.parent = cur;
      r.name = comp;
      r.path = (cur_path == "/" ? "" : cur_path) + "/" + comp;
      return r;
    }
    InodeRef next = it->second;
    materialize(next);
    if (next->host_pending == false && cur->children.find(comp) == cur->children.end()) {
      // Vanished from the host while being captured, or the host would not
      // let Ditto look (a directory it may not search).
      if (next->host_read_err == kEACCES) {
        r.err = kEACCES;
        return r;
      }
      if (!last) {
        r.err = kENOENT;
        return r;
      }
      r.parent = cur;
      r.name = comp;
      return r;
    }
    if (next->kind == InodeKind::kSymlink && (!last || follow_last)) {
      if (++links > 40) {
        r.err = kELOOP;
        return r;
      }
      if (InodeRef to = next->jump.lock()) {
        InodeRef up = to->parent.lock();
        holder = up ? up : root_;
        last_name = next->target.substr(next->target.rfind('/') + 1);
        cur_path = next->target;
        cur = std::move(to);
        continue;
      }
      if (next->target.empty()) {
        r.err = kENOENT;
        return r;
      }
      if (next->target[0] == '/') {
        cur = root_;
        cur_path = "/";
      }
      auto parts = split_path(next->target);
      for (auto p = parts.rbegin(); p != parts.rend(); ++p) pending.push_front(*p);
      if (pending.empty()) {  // target was "/"
        r.node = root_;
        r.parent = root_;
        r.name = "/";
        r.path = "/";
        return r;
      }
      continue;
    }
    holder = cur;
    last_name = comp;
    if (cur_path.size() > 1) cur_path += '/';
    cur_path += comp;
    cur = std::move(next);
  }
  r.node = cur;
  r.parent = holder ? holder : root_;
  r.name = last_name.empty() ? "/" : last_name;
  r.path = std::move(cur_path);
  if (trailing_slash && !r.node->is_dir()) {
    r.err = kENOTDIR;
  }
  return r;
}

}  // namespace kernel
