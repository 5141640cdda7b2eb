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
    const std::pair<uint32_t, uint8_t> known[] = {
        {0, 3},   {1, 3},   {2, 3},   {3, 1},   {4, 2},   {5, 2},   {6, 2},   {8, 3},
        {9, 6},   {10, 3},  {11, 2},  {12, 1},  {13, 4},  {14, 4},  {16, 3},  {17, 4},
        {18, 4},  {19, 3},  {20, 3},  {21, 2},  {22, 1},  {24, 0},  {25, 5},  {28, 3},
        {32, 1},  {33, 2},  {35, 2},  {39, 0},  {60, 1},  {62, 2},  {63, 1},  {72, 3},
        {79, 2},  {80, 1},  {81, 1},  {82, 2},  {83, 2},  {84, 1},  {85, 2},  {87, 1},
        {89, 3},  {95, 1},  {96, 2},  {97, 2},  {102, 0}, {104, 0}, {107, 0}, {108, 0},
        {110, 0}, {131, 2}, {158, 2}, {160, 2}, {186, 0}, {200, 2}, {201, 1}, {204, 3},
        {217, 3}, {218, 1}, {228, 2}, {229, 2}, {230, 4}, {231, 1}, {234, 3}, {257, 4},
        {258, 3}, {262, 4}, {263, 3}, {264, 4}, {267, 4}, {269, 3}, {273, 2}, {274, 3},
        {292, 3}, {293, 2}, {302, 4}, {316, 5}, {318, 3}, {332, 5}, {334, 4}, {439, 4},
        {56, 5},  {57, 0},  {58, 0},  {59, 3},  {61, 4},  {109, 2}, {111, 0}, {112, 0},
        {121, 1}, {124, 1}, {202, 6}, {435, 2}, {15, 0}, {34, 0}, {130, 2}, {157, 5}, {247, 5}, {98, 2}, {100, 1}, {76, 2}, {77, 2}, {319, 2}, {105, 1}, {106, 1}, {113, 2}, {114, 2},
        {115, 2}, {116, 2}, {117, 3}, {118, 3}, {119, 3}, {120, 3}, {170, 2}, {171, 2}, {272, 1},
        {7, 3},   {271, 5}, {434, 2}, {424, 4}, {322, 5}, {295, 5}, {296, 5}, {127, 2},
        {128, 4}, {129, 3}, {297, 4}, {36, 2},  {37, 1},  {38, 3},  {222, 3}, {223, 4}, {224, 2}, {225, 1}, {226, 1},
    };
    for (auto [nr, n] : known) a[nr] = n;
    return a;
  }();
  return nr < kMaxSyscall ? arity[nr] : 6;
}

}  // namespace kernel
