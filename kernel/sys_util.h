// Helpers shared by the syscall families (internal to kernel/).
#pragma once

#include <string>

#include "kernel/kernel.h"

namespace kernel {

// Reads a path argument: 0, -EFAULT, -ENAMETOOLONG; "" gives -ENOENT unless
// `allow_empty` (AT_EMPTY_PATH).
inline int64_t read_path(Kernel& k, uint64_t ptr, std::string& out, bool allow_empty = false) {
  int64_t r = k.mm().read_cstring(UserPtr(ptr), abi::kPathMax, out);
  if (r < 0) return r;
  if (out.empty() && !allow_empty) return -abi::kENOENT;
  return 0;
}

// Resolves `path` relative to `dirfd` (AT_FDCWD or a directory descriptor).
inline Lookup lookup_at(Kernel& k, int dirfd, const std::string& path, bool follow, int64_t* err) {
  *err = 0;
  std::string base = k.current().fs->cwd;
  if (path.empty() || path[0] != '/') {
    base = k.dirfd_path(dirfd, err);
    if (*err) return {};
  }
  Lookup l = k.vfs().resolve(base, path, follow);
  if (l.err) *err = -l.err;
  return l;
}

inline std::shared_ptr<File> get_file(Kernel& k, uint64_t fd) {
  if (fd > 0x7fffffff) return nullptr;
  return k.current().fds->get(int(fd));
}

}  // namespace kernel
