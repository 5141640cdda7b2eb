// capget(2) and capset(2) (kernel/capability.c). Ditto keeps no capability
// sets of its own: they follow from the ids as capabilities(7) describes
// for a process that never set them (root's are full; a uid change away
// from 0 in every id empties the permitted set, one of the effective uid
// empties the effective set, one of the fsuid drops the file-system
// capabilities from it), and a child user namespace grants all until exec.
// capset may restate those sets; changing them is not modelled and is
// counted as unsupported.
#include "kernel/capability.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kVersion1 = 0x19980330, kVersion2 = 0x20071026, kVersion3 = 0x20080522;
constexpr int kLastCap = 40;  // CAP_CHECKPOINT_RESTORE
constexpr uint64_t kAllCaps = (uint64_t(1) << (kLastCap + 1)) - 1;
// CAP_FS_MASK: CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID,
// LINUX_IMMUTABLE, MKNOD, MAC_OVERRIDE.
constexpr uint64_t kFsCaps = 0x1f | (1ULL << 9) | (1ULL << 27) | (1ULL << 32);

}  // namespace

CapSets capability_sets(const Credentials& c) {
  CapSets s;
  if (c.userns) {
    if (c.userns_caps) s.effective = s.permitted = kAllCaps;
    return s;
  }
  if (c.uid == 0 || c.euid == 0 || c.suid == 0) s.permitted = kAllCaps;
  s.effective = (c.euid == 0 ? s.permitted & ~kFsCaps : 0) | (c.fsuid == 0 ? s.permitted & kFsCaps : 0);
  return s;
}

namespace {

struct CapHeader {
  uint32_t version;
  int32_t pid;
};
struct CapData {
  uint32_t effective, permitted, inheritable;
};

// cap_validate_magic(): how many 32-bit data structs the version takes;
// an unknown version is EINVAL, and the header is told the preferred one.
int64_t validate_version(Kernel& k, uint64_t header_ptr, CapHeader& h, size_t& words) {
  if (!k.mm().read(UserPtr(header_ptr), h.version)) return -kEFAULT;
  switch (h.version) {
    case kVersion1: words = 1; return 0;
    case kVersion2:
    case kVersion3: words = 2; return 0;
    default:
      if (!k.mm().write(UserPtr(header_ptr), kVersion3)) return -kEFAULT;
      return -kEINVAL;
  }
}

int64_t sys_capget(Kernel& k, const uint64_t* a) {
  CapHeader h;
  size_t words = 0;
  int64_t r = validate_version(k, a[0], h, words);
  // A null data pointer asks only which version is preferred.
  if (!a[1] || r < 0) return !a[1] && r == -kEINVAL ? 0 : r;
  if (!k.mm().read(UserPtr(a[0] + 4), h.pid)) return -kEFAULT;
  if (h.pid < 0) return -kEINVAL;
  const Task* t = &k.current();
  if (h.pid != 0 && uint32_t(h.pid) != k.vpid(*t->pidns, t->tid)) {
    t = k.task(k.gpid(uint32_t(h.pid)));
    if (!t || t->run_state == RunState::kExited) return -kESRCH;
  }
  CapSets s = capability_sets(t->creds);
  CapData d[2];
  for (size_t i = 0; i < 2; ++i)
    d[i] = {uint32_t(s.effective >> (32 * i)), uint32_t(s.permitted >> (32 * i)),
            uint32_t(s.inheritable >> (32 * i))};
  return k.mm().copy_out(UserPtr(a[1]), d, words * sizeof(CapData)) ? 0 : -kEFAULT;
}

int64_t sys_capset(Kernel& k, const uint64_t* a) {
  CapHeader h;
  size_t words = 0;
  if (int64_t r = validate_version(k, a[0], h, words); r < 0) return r;
  if (!k.mm().read(UserPtr(a[0] + 4), h.pid)) return -kEFAULT;
  const Task& t = k.current();
  // Only one's own (the capability to set another's went away in 2.6.24).
  if (h.pid != 0 && uint32_t(h.pid) != k.vpid(*t.pidns, t.tid)) return -kEPERM;
  CapData d[2] = {};
  if (!k.mm().copy_in(UserPtr(a[1]), d, words * sizeof(CapData))) return -kEFAULT;
  CapSets want;
  for (size_t i = 0; i < words && i < 2; ++i) {
    want.effective |= uint64_t(d[i].effective) << (32 * i);
    want.permitted |= uint64_t(d[i].permitted) << (32 * i);
    want.inheritable |= uint64_t(d[i].inheritable) << (32 * i);
  }
  want.effective &= kAllCaps, want.permitted &= kAllCaps, want.inheritable &= kAllCaps;
  CapSets now = capability_sets(t.creds);
  if (words == 1) {  // version 1 speaks for the low 32 capabilities only
    want.effective |= now.effective & ~0xffffffffULL;
    want.permitted |= now.permitted & ~0xffffffffULL;
    want.inheritable |= now.inheritable & ~0xffffffffULL;
  }
  // cap_capset(): inheritable within old inheritable + permitted unless
  // CAP_SETPCAP (bit 8) is effective; permitted may only shrink; effective
  // within the new permitted.
  auto subset = [](uint64_t x, uint64_t of) { return (x & ~of) == 0; };
  bool setpcap = now.effective & (1ULL << 8);
  if (!setpcap && !subset(want.inheritable, now.inheritable | now.permitted)) return -kEPERM;
  if (!subset(want.permitted, now.permitted)) return -kEPERM;
  if (!subset(want.effective, want.permitted)) return -kEPERM;
  if (want.effective == now.effective && want.permitted == now.permitted && want.inheritable == now.inheritable)
    return 0;
  return k.unsupported(126, "capset changing the capability sets");
}

}  // namespace

void register_capability_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_capability(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
