#include "sim/save.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "kernel/kernel.h"
#include "sim/simulator.h"

namespace sim {

std::optional<SaveRequest> parse_save(const std::string& spec) {
  SaveRequest r;
  size_t colon = spec.find(':');
  r.guest = spec.substr(0, colon);
  if (colon != std::string::npos) r.host = spec.substr(colon + 1);
  if (r.guest.empty() || r.guest[0] != '/') {
    std::cerr << "ditto: --save " << spec << ": the guest path must be absolute (GUEST_PATH[:HOST_PATH])\n";
    return std::nullopt;
  }
  if (r.host.empty()) {
    std::string base = r.guest;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    base = base.substr(base.rfind('/') + 1);
    if (base.empty()) {
      std::cerr << "ditto: --save " << spec << ": name a host path for the guest's root (GUEST_PATH:HOST_PATH)\n";
      return std::nullopt;
    }
    r.host = base;
  }
  return r;
}

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// The bytes of a regular file: the guest's copy, or, for a host file the
// guest never read, the host's (a replay may no longer have it).
std::string bytes_of(kernel::Inode& n, bool& ok) {
  ok = true;
  if (!n.contents_pending) return std::string(n.bytes());
  kernel::HostFile hf = read_host_contents(n.host_path);
  if (hf.err) {
    ok = false;
    errno = hf.err;
    return "";
  }
  return hf.content;
}

std::string write_file(const std::string& host, const std::string& data, uint32_t perm) {
  ::unlink(host.c_str());
  int fd = ::open(host.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, perm & 07777);
  if (fd < 0) return errno_text(host);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      std::string e = errno_text(host);
      ::close(fd);
      return e;
    }
    done += size_t(w);
  }
  ::fchmod(fd, perm & 07777);
  if (::close(fd) != 0) return errno_text(host);
  return "";
}

std::string make_dir(const std::string& host) {
  struct stat st;
  if (::lstat(host.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "";
  ::unlink(host.c_str());
  if (::mkdir(host.c_str(), 0700) != 0) return errno_text(host);
  return "";
}

// A part of the root view the guest never looked at is the host's as it is:
// copied from there, not through the kernel (whose captures are events).
std::string save_host_tree(const std::string& from, const std::string& guest, const std::string& host, int depth) {
  if (depth > 256) return guest + ": too deep";
  kernel::HostFile hf = read_host_file(from);
  if (hf.err) return guest + ": " + std::strerror(hf.err) + " (on the host, at " + from + ")";
  switch (hf.kind) {
    case kernel::HostFileKind::kRegular: {
      kernel::HostFile c = read_host_contents(from);
      if (c.err) return guest + ": " + std::strerror(c.err) + " (on the host, at " + from + ")";
      return write_file(host, c.content, hf.mode);
    }
    case kernel::HostFileKind::kSymlink:
      ::unlink(host.c_str());
      return ::symlink(hf.target.c_str(), host.c_str()) == 0 ? "" : errno_text(host);
    case kernel::HostFileKind::kDirectory: {
      if (std::string e = make_dir(host); !e.empty()) return e;
      for (const std::string& name : hf.entries)
        if (std::string e = save_host_tree(from + "/" + name, guest + "/" + name, host + "/" + name, depth + 1);
            !e.empty())
          return e;
      ::chmod(host.c_str(), hf.mode & 07777);
      return "";
    }
    default: return guest + ": missing on the host";
  }
}

std::string save_node(kernel::Kernel& k, const kernel::InodeRef& n, const std::string& guest, const std::string& host,
                      int depth) {
  if (depth > 256) return guest + ": too deep";
  if (n->host_pending && !n->implied) return save_host_tree(n->host_path, guest, host, depth);
  switch (n->kind) {
    case kernel::InodeKind::kRegular: {
      bool ok;
      std::string data = bytes_of(*n, ok);
      if (!ok) return errno_text(guest + " (a host file not captured in the trace)");
      return write_file(host, data, n->perm);
    }
    case kernel::InodeKind::kSymlink:
      ::unlink(host.c_str());
      if (::symlink(n->target.c_str(), host.c_str()) != 0) return errno_text(host);
      return "";
    case kernel::InodeKind::kDirectory: {
      if (std::string e = make_dir(host); !e.empty()) return e;
      // A directory of Ditto's own that also shows a host directory's
      // entries, not listed yet: those entries are the host's.
      if (n->host_pending && !n->host_path.empty()) {
        kernel::HostFile hf = read_host_file(n->host_path);
        for (const std::string& name : hf.entries)
          if (!n->children.count(name))
            if (std::string e = save_host_tree(n->host_path + "/" + name, guest + "/" + name, host + "/" + name,
                                               depth + 1);
                !e.empty())
              return e;
      }
      for (const auto& [name, c] : n->children) {
        std::string e = save_node(k, c, guest + (guest == "/" ? "" : "/") + name, host + "/" + name, depth + 1);
        if (!e.empty()) return e;
      }
      ::chmod(host.c_str(), n->perm & 07777);
      return "";
    }
    default:
      return guest + ": not a regular file, directory or symlink (devices and FIFOs are not saved)";
  }
}

}  // namespace

std::string save_guest_path(kernel::Kernel& k, const SaveRequest& req) {
  // The walk asks the host nothing through the kernel: a part of the path
  // the guest never reached is followed on the host itself.
  std::vector<std::string> todo = kernel::split_path(req.guest);
  std::reverse(todo.begin(), todo.end());
  kernel::InodeRef root = k.vfs().root(), cur = root;
  std::vector<kernel::InodeRef> up;
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!up.empty()) cur = up.back(), up.pop_back();
      continue;
    }
    if (cur->host_pending && !cur->implied) {
      std::string from = kernel::Vfs::host_child(cur, c);
      while (!todo.empty()) from += "/" + todo.back(), todo.pop_back();
      return save_host_tree(from, req.guest, req.host, 0);
    }
    if (!cur->is_dir()) return req.guest + ": " + std::strerror(ENOTDIR);
    auto it = cur->children.find(c);
    if (it == cur->children.end()) {
      if (cur->host_pending && !cur->host_path.empty()) {
        std::string from = kernel::Vfs::host_child(cur, c);
        while (!todo.empty()) from += "/" + todo.back(), todo.pop_back();
        return save_host_tree(from, req.guest, req.host, 0);
      }
      return req.guest + ": no such file or directory in the guest";
    }
    kernel::InodeRef next = it->second;
    if (next->kind == kernel::InodeKind::kSymlink && !todo.empty()) {
      if (++links > 40) return req.guest + ": " + std::strerror(ELOOP);
      std::vector<std::string> t = kernel::split_path(next->target);
      for (auto p = t.rbegin(); p != t.rend(); ++p) todo.push_back(*p);
      if (!next->target.empty() && next->target[0] == '/') cur = root, up.clear();
      continue;
    }
    up.push_back(cur);
    cur = next;
  }
  return save_node(k, cur, req.guest, req.host, 0);
}

bool save_all(kernel::Kernel& k, const std::vector<SaveRequest>& reqs) {
  bool ok = true;
  for (const SaveRequest& r : reqs) {
    std::string e = save_guest_path(k, r);
    if (!e.empty()) {
      std::cerr << "ditto: --save " << r.guest << ": " << e << "\n";
      ok = false;
    }
  }
  return ok;
}

}  // namespace sim
