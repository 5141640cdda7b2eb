#include "kernel/syscalls.h"

#include <array>

namespace kernel {

namespace {
std::array<SyscallFn, kMaxSyscall> build_table() {
  std::array<SyscallFn, kMaxSyscall> t{};
  register_fs_syscalls(t.data());
  register_mm_syscalls(t.data());
  register_process_syscalls(t.data());
  register_time_syscalls(t.data());
  return t;
}
}  // namespace

SyscallFn syscall_handler(uint32_t nr) {
  static const std::array<SyscallFn, kMaxSyscall> table = build_table();
  return nr < kMaxSyscall ? table[nr] : nullptr;
}

}  // namespace kernel
