// Discretionary access control (fs/namei.c generic_permission(),
// may_delete(), may_create(), may_linkat()): what a task's file-system
// credentials may do to an inode by its owner, group and mode bits, and
// where capabilities override them.
#pragma once

#include <cstdint>

#include "kernel/kernel.h"

namespace kernel {

constexpr uint32_t kMayExec = 1, kMayWrite = 2, kMayRead = 4;

// Whether the file-system capabilities (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
// CAP_FOWNER) hold: in the initial user namespace while the fsuid is 0 (a
// setfsuid or seteuid away from 0 drops them, cap_task_fix_setuid()). In a
// child user namespace they never reach an inode: no id is mapped there.
bool fs_capable(const Credentials& c);
// The fsgid or a supplementary group (in_group_p()).
bool in_group(const Credentials& c, uint32_t gid);
// inode_owner_or_capable(): the owner, or CAP_FOWNER.
bool owner_or_capable(const Credentials& c, const Inode& n);

// generic_permission() for `mask` (kMay* bits): 0 or -EACCES. Write to a
// read-only file system is the caller's (EROFS comes first where Linux
// checks it).
int64_t inode_permission(const Credentials& c, const Inode& n, uint32_t mask);
// may_create(): write and search in `dir`.
int64_t may_create_in(const Credentials& c, const Inode& dir);
// may_delete(): write and search in `dir`, and in a sticky directory only
// the owner of the file or of the directory (EPERM).
int64_t may_delete_from(const Credentials& c, const Inode& dir, const Inode& victim);
// may_linkat() with fs.protected_hardlinks = 1: a file one does not own may
// be linked only if it is a plain regular file one may read and write.
int64_t may_link(const Credentials& c, const Inode& n);

// The credentials access(2) checks with: the real ids, and every
// capability when the real uid is 0, none otherwise (do_faccessat()).
Credentials access_credentials(const Credentials& c);

}  // namespace kernel
