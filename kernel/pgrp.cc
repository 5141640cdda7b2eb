// Process groups and sessions: getpgrp, getpgid, setpgid, getsid, setsid
// (kernel/sys.c).
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

int64_t sys_getpgrp(Kernel& k, const uint64_t*) { return k.vpid(k.current().pgid); }

int64_t sys_getpgid(Kernel& k, const uint64_t* a) {
  uint32_t pid = uint32_t(a[0]);
  Task* t = pid == 0 ? &k.current() : k.task(k.gpid(pid));
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  return k.vpid(t->pgid);
}

int64_t sys_getsid(Kernel& k, const uint64_t* a) {
  uint32_t pid = uint32_t(a[0]);
  Task* t = pid == 0 ? &k.current() : k.task(k.gpid(pid));
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  return k.vpid(t->sid);
}

int64_t sys_setsid(Kernel& k, const uint64_t*) {
  Task& self = k.current();
  // setsid(2): EPERM for a process group leader.
  for (auto& [tid, t] : k.tasks())
    if (t->run_state != RunState::kExited && t->pgid == self.tgid) return -kEPERM;
  self.sid = self.pgid = self.tgid;
  return k.vpid(self.sid);
}

int64_t sys_setpgid(Kernel& k, const uint64_t* a) {
  Task& self = k.current();
  int64_t pid = int32_t(a[0]), pgid = int32_t(a[1]);
  if (pgid < 0) return -kEINVAL;
  Task* t = pid == 0 ? &self : k.task(k.gpid(uint32_t(pid)));
  if (!t || t->run_state == RunState::kExited) return -kESRCH;
  if (t != &self && t->ppid != self.tgid) return -kESRCH;  // only itself or a child
  if (t->sid != self.sid) return -kEPERM;
  if (t->sid == t->tgid) return -kEPERM;  // a session leader cannot move
  uint32_t target = pgid == 0 ? t->tgid : k.gpid(uint32_t(pgid));
  if (!target) return -kEPERM;
  if (target != t->tgid) {
    bool exists = false;
    for (auto& [tid, o] : k.tasks())
      if (o->run_state != RunState::kExited && o->pgid == target && o->sid == self.sid) exists = true;
    if (!exists) return -kEPERM;
  }
  t->pgid = target;
  return 0;
}

}  // namespace

void register_pgrp_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_pgrp(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
