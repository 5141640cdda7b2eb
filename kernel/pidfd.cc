// pidfds (kernel/pid.c pidfd_open(), kernel/signal.c pidfd_send_signal()).
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

// pidfd_open(2): a pidfd for a live thread-group leader.
int64_t sys_pidfd_open(Kernel& k, const uint64_t* a) {
  int64_t pid = int32_t(a[0]);
  if (a[1] & ~uint64_t(kO_NONBLOCK)) return -kEINVAL;
  if (pid <= 0) return -kEINVAL;
  Task* t = k.task(k.gpid(uint32_t(pid)));
  if (!t || t->exit_state == ExitState::kDead) return -kESRCH;
  if (t->tid != t->tgid) return -kENOENT;  // a thread, not a process (before PIDFD_THREAD)
  auto f = std::make_shared<PidFd>(k.vfs().make_anon_node(InodeKind::kRegular, 0600), t->tgid,
                                   kO_RDWR | uint32_t(a[1] & kO_NONBLOCK));
  f->path = "anon_inode:[pidfd]";
  return k.current().fds->alloc(f, true);
}

int64_t sys_pidfd_send_signal(Kernel& k, const uint64_t* a) {
  auto f = std::dynamic_pointer_cast<PidFd>(k.current().fds->get(int(a[0])));
  if (!k.current().fds->get(int(a[0]))) return -kEBADF;
  if (!f) return -kEBADF;
  int sig = int(a[1]);
  if (a[3]) return -kEINVAL;  // flags
  if (a[2]) {
    // kernel/signal.c pidfd_send_signal(): the siginfo must name the same
    // signal, and only a process itself may forge kernel or kill() codes.
    SigInfo info;
    int32_t given = 0;
    if (int64_t r = read_guest_siginfo(k, a[2], sig, info, &given); r < 0) return r;
    if (given != sig) return -kEINVAL;
    if ((info.code >= 0 || info.code == -6) && f->pid() != k.current_tid()) return -kEPERM;
    if (sig < 0 || sig > kNSIG) return -kEINVAL;
    Task* t = k.task(f->pid());
    if (!t || t->exit_state == ExitState::kDead) return -kESRCH;
    if (!k.may_signal(*t, sig)) return -kEPERM;
    if (t->run_state == RunState::kExited && !k.alive_thread(t->tgid)) return 0;
    return k.send_group_signal(t->tgid, sig, info);
  }
  if (sig < 0 || sig > kNSIG) return -kEINVAL;
  return k.kill_process_by_pid(f->pid(), sig);
}

}  // namespace

void register_pidfd_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_pidfd(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
