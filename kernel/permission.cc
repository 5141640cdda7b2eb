// Discretionary access control (see permission.h).
#include "kernel/permission.h"

namespace kernel {

namespace {
constexpr uint32_t kS_ISUID = 04000, kS_ISGID = 02000, kS_ISVTX = 01000, kS_IXGRP = 010, kS_IXUGO = 0111;
}  // namespace

bool fs_capable(const Credentials& c) { return !c.userns && c.fsuid == 0; }

bool in_group(const Credentials& c, uint32_t gid) {
  if (c.fsgid == gid) return true;
  for (uint32_t g : c.groups)
    if (g == gid) return true;
  return false;
}

bool owner_or_capable(const Credentials& c, const Inode& n) { return c.fsuid == n.uid || fs_capable(c); }

int64_t inode_permission(const Credentials& c, const Inode& n, uint32_t mask) {
  mask &= kMayRead | kMayWrite | kMayExec;
  // The owner's bits, else the group's, else the others' (acl_permission_check()).
  uint32_t bits = c.fsuid == n.uid ? n.perm >> 6 : in_group(c, n.gid) ? n.perm >> 3 : n.perm;
  if ((mask & ~bits & 7) == 0) return 0;
  if (!fs_capable(c)) return -abi::kEACCES;
  // Directories: CAP_DAC_READ_SEARCH reads and searches, CAP_DAC_OVERRIDE
  // does everything. Other files: CAP_DAC_OVERRIDE all but executing a
  // file with no x bit at all.
  if (n.is_dir()) return 0;
  if (!(mask & kMayExec) || (n.perm & kS_IXUGO)) return 0;
  return -abi::kEACCES;
}

int64_t may_create_in(const Credentials& c, const Inode& dir) {
  return inode_permission(c, dir, kMayWrite | kMayExec);
}

int64_t may_delete_from(const Credentials& c, const Inode& dir, const Inode& victim) {
  if (int64_t r = inode_permission(c, dir, kMayWrite | kMayExec); r < 0) return r;
  bool sticky = dir.perm & kS_ISVTX;
  if (sticky && c.fsuid != victim.uid && c.fsuid != dir.uid && !fs_capable(c)) return -abi::kEPERM;
  return 0;
}

int64_t may_link(const Credentials& c, const Inode& n) {
  if (owner_or_capable(c, n)) return 0;
  bool safe = n.kind == InodeKind::kRegular && !(n.perm & kS_ISUID) &&
              (n.perm & (kS_ISGID | kS_IXGRP)) != (kS_ISGID | kS_IXGRP) &&
              inode_permission(c, n, kMayRead | kMayWrite) == 0;
  return safe ? 0 : -abi::kEPERM;
}

Credentials access_credentials(const Credentials& c) {
  Credentials a = c;
  a.fsuid = c.uid;
  a.fsgid = c.gid;
  return a;
}

}  // namespace kernel
