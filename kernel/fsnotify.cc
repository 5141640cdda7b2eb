#include "kernel/fsnotify.h"

#include <algorithm>
#include <utility>

#include "kernel/fd.h"

namespace kernel {

namespace {

uint64_t live_marks = 0;

bool is_dir(const Inode& n) { return n.kind == InodeKind::kDirectory; }
uint32_t dir_flag(const Inode& n) { return is_dir(n) ? fsn::kIsDir : 0; }

// Queues the event in every instance watching `target` for it. `name` is
// the child's for a directory's watch; `unlinked_child` is set for an
// event through an open file whose name was removed (IN_EXCL_UNLINK).
void deliver(Inode& target, uint32_t mask, uint32_t cookie, std::string_view name, bool unlinked_child = false) {
  if (target.marks.empty()) return;
  // A one-shot watch leaves the list as it fires.
  std::vector<std::shared_ptr<InotifyMark>> marks = target.marks;
  for (const auto& m : marks) {
    if (!(m->mask & mask & fsn::kAllEvents)) continue;
    if (unlinked_child && (m->mask & fsn::kExclUnlink)) continue;
    auto g = m->group.lock();
    if (!g) continue;
    auto w = g->watches.find(m->wd);
    if (w == g->watches.end() || w->second.mark != m) continue;  // already removed
    g->push(m->wd, mask, cookie, name);
    if (m->mask & fsn::kOneShot) g->remove_watch(m->wd);
  }
}

// The inode is gone (no name, no open file): IN_DELETE_SELF, then every
// watch on it ends with IN_IGNORED (fsnotify_inoderemove()).
void deleted(Inode& node) {
  if (node.marks.empty()) return;
  deliver(node, fsn::kDeleteSelf, 0, "");
  std::vector<std::shared_ptr<InotifyMark>> marks = node.marks;
  for (const auto& m : marks)
    if (auto g = m->group.lock()) g->remove_watch(m->wd);
}

bool gone(const Inode& node) { return node.unlinked && node.open_files == 0; }

// The open files' names of `node` that are `name` in `dir`.
template <class Fn>
void each_entry(Inode& node, const InodeRef& dir, const std::string& name, Fn fn) {
  auto& names = node.open_names;
  names.erase(std::remove_if(names.begin(), names.end(), [](const auto& w) { return w.expired(); }), names.end());
  for (const auto& w : names)
    if (auto e = w.lock(); e && !e->unlinked && e->name == name && e->dir.lock() == dir) fn(e);
}

// The directory and name `node` is reached by as `name` in `dir`: a
// directory reached as ".", "..", or through a /proc link goes by its own
// name in its parent.
std::pair<InodeRef, std::string> name_in_directory(const InodeRef& node, const InodeRef& dir,
                                                   const std::string& name) {
  if (!is_dir(*node)) return {dir, name};
  InodeRef d = node->parent.lock();
  if (d && (name.empty() || name == "." || name == ".." || dir != d)) {
    for (const auto& [child, ref] : d->children)
      if (ref == node) return {d, child};
    return {d, ""};
  }
  return {d, name};
}

// A file's event: to its directory's watches under its current name, then
// to the inode's own.
void file_event(const File& f, uint32_t mask) {
  if (!fsnotify::watching() || !f.inode() || (f.flags() & abi::kO_PATH)) return;
  Inode& node = *f.inode();
  mask |= dir_flag(node);
  if (const auto& e = f.entry())
    if (auto dir = e->dir.lock()) deliver(*dir, mask, 0, e->name, e->unlinked);
  deliver(node, mask, 0, "");
}

}  // namespace

InotifyMark::InotifyMark(std::weak_ptr<InotifyGroup> g, int w, uint32_t m) : group(std::move(g)), wd(w), mask(m) {
  ++live_marks;
}
InotifyMark::~InotifyMark() { --live_marks; }

void InotifyGroup::push(int wd, uint32_t mask, uint32_t cookie, std::string_view name) {
  if (queue.size() >= fsn::kMaxQueuedEvents) {
    if (overflow_queued) return;
    overflow_queued = true;
    queue.push_back({-1, fsn::kQueueOverflow, 0, ""});
    ++wakes;
    return;
  }
  if (!queue.empty()) {
    const Event& last = queue.back();
    if (last.wd == wd && last.mask == mask && last.cookie == cookie && last.name == name) return;
  }
  queue.push_back({wd, mask, cookie, std::string(name)});
  ++wakes;
}

void InotifyGroup::remove_watch(int wd) {
  auto w = watches.find(wd);
  if (w == watches.end()) return;
  auto& marks = w->second.node->marks;
  marks.erase(std::remove(marks.begin(), marks.end(), w->second.mark), marks.end());
  watches.erase(w);
  push(wd, fsn::kIgnored, 0, "");
}

void InotifyGroup::detach_all() {
  for (auto& [wd, w] : watches) {
    auto& marks = w.node->marks;
    marks.erase(std::remove(marks.begin(), marks.end(), w.mark), marks.end());
  }
  watches.clear();
}

size_t InotifyGroup::queued_bytes() const {
  size_t n = 0;
  for (const Event& e : queue) n += e.record_size();
  return n;
}

namespace fsnotify {

bool watching() { return live_marks != 0; }

std::shared_ptr<EntryName> entry_for(const InodeRef& node, const InodeRef& dir, const std::string& name) {
  auto [d, n] = name_in_directory(node, dir, name);
  if (!d || n.empty()) return nullptr;
  std::shared_ptr<EntryName> found;
  each_entry(*node, d, n, [&](const std::shared_ptr<EntryName>& e) { found = e; });
  if (found) return found;
  auto e = std::make_shared<EntryName>(EntryName{d, n, false});
  node->open_names.push_back(e);
  return e;
}

void opened(const File& f) { file_event(f, fsn::kOpen); }
void accessed(const File& f) { file_event(f, fsn::kAccess); }
void modified(const File& f) { file_event(f, fsn::kModify); }
void closed(const File& f) { file_event(f, f.writable() ? fsn::kCloseWrite : fsn::kCloseNoWrite); }

void changed(const InodeRef& node, const InodeRef& dir, const std::string& name, uint32_t mask) {
  if (!watching()) return;
  mask |= dir_flag(*node);
  // A directory's own change reaches its parent's watch under its name.
  bool self = is_dir(*node) && (name.empty() || name == "." || name == "..");
  auto [d, n] = self ? name_in_directory(node, dir, name) : std::make_pair(dir, name);
  if (d && !n.empty() && d != node) deliver(*d, mask, 0, n);
  deliver(*node, mask, 0, "");
}

void changed(const File& f, uint32_t mask) {
  if (!watching() || !f.inode()) return;
  const auto& e = f.entry();
  InodeRef dir = e ? e->dir.lock() : nullptr;
  changed(f.inode(), dir, e ? e->name : std::string(), mask);
}

void created(const InodeRef& dir, const std::string& name, const Inode& node) {
  if (watching()) deliver(*dir, fsn::kCreate | dir_flag(node), 0, name);
}

void linked(const InodeRef& dir, const std::string& name, const InodeRef& node) {
  if (!watching()) return;
  deliver(*node, fsn::kAttrib, 0, "");
  deliver(*dir, fsn::kCreate, 0, name);
}

void removed(const InodeRef& dir, const std::string& name, const InodeRef& node) {
  each_entry(*node, dir, name, [](const std::shared_ptr<EntryName>& e) { e->unlinked = true; });
  if (!watching()) return;
  if (!is_dir(*node)) deliver(*node, fsn::kAttrib, 0, "");  // its link count fell
  if (gone(*node)) deleted(*node);
  deliver(*dir, fsn::kDelete | dir_flag(*node), 0, name);
}

void renamed(const InodeRef& old_dir, const std::string& old_name, const InodeRef& new_dir,
             const std::string& new_name, const InodeRef& moved, const InodeRef& replaced, uint32_t cookie) {
  if (replaced) each_entry(*replaced, new_dir, new_name, [](const std::shared_ptr<EntryName>& e) { e->unlinked = true; });
  each_entry(*moved, old_dir, old_name, [&](const std::shared_ptr<EntryName>& e) { e->dir = new_dir, e->name = new_name; });
  if (!watching()) return;
  uint32_t flag = dir_flag(*moved);
  deliver(*old_dir, fsn::kMovedFrom | flag, cookie, old_name);
  deliver(*new_dir, fsn::kMovedTo | flag, cookie, new_name);
  if (replaced) deliver(*replaced, fsn::kAttrib | dir_flag(*replaced), 0, "");
  deliver(*moved, fsn::kMoveSelf, 0, "");
  if (replaced && gone(*replaced)) deleted(*replaced);
}

void released(Inode& node) {
  if (gone(node)) deleted(node);
}

}  // namespace fsnotify

}  // namespace kernel
