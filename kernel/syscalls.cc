#include "kernel/syscalls.h"

#include <array>

namespace kernel {

namespace {
std::array<SyscallFn, kMaxSyscall> build_table() {
  std::array<SyscallFn, kMaxSyscall> t{};
  register_fs_syscalls(t.data());
  register_dir_syscalls(t.data());
  register_mm_syscalls(t.data());
  register_process_syscalls(t.data());
  register_time_syscalls(t.data());
  register_clone_syscalls(t.data());
  register_exit_syscalls(t.data());
  register_wait_syscalls(t.data());
  register_exec_syscalls(t.data());
  register_kill_syscalls(t.data());
  register_pgrp_syscalls(t.data());
  register_pidfd_syscalls(t.data());
  register_futex_syscalls(t.data());
  register_signal_syscalls(t.data());
  register_poll_syscalls(t.data());
  register_timer_syscalls(t.data());
  register_attr_syscalls(t.data());
  register_locks_syscalls(t.data());
  register_sync_syscalls(t.data());
  register_epoll_syscalls(t.data());
  register_eventfd_syscalls(t.data());
  register_timerfd_syscalls(t.data());
  register_signalfd_syscalls(t.data());
  register_inotify_syscalls(t.data());
  register_rseq_syscalls(t.data());
  register_capability_syscalls(t.data());
  register_socket_syscalls(t.data());
  register_socket_option_syscalls(t.data());
  register_statfs_syscalls(t.data());
  register_fallocate_syscalls(t.data());
  register_file_copy_syscalls(t.data());
  register_fifo_syscalls(t.data());
  register_sched_syscalls(t.data());
  return t;
}
}  // namespace

SyscallFn syscall_handler(uint32_t nr) {
  static const std::array<SyscallFn, kMaxSyscall> table = build_table();
  return nr < kMaxSyscall ? table[nr] : nullptr;
}

uint8_t syscall_arity(uint32_t nr) {
  static const std::array<uint8_t, kMaxSyscall> arity = [] {
    std::array<uint8_t, kMaxSyscall> a;
    a.fill(6);
#define DITTO_SYSCALL(nr, name, n, where) a[nr] = n;
#include "kernel/syscall_table.inc"
    return a;
  }();
  return nr < kMaxSyscall ? arity[nr] : 6;
}

}  // namespace kernel
