// Dispatch by syscall number. kernel/syscall_table.inc is the one list of
// syscalls (number, name, arity, implementing file); each file installs its
// own handlers from it with register_*_syscalls(). Handlers return the value
// for RAX: a result, or -errno.
#pragma once

#include <cstdint>
#include <memory>

namespace kernel {

class Kernel;
class File;
struct Inode;
struct EntryName;
using InodeRef = std::shared_ptr<Inode>;
using SyscallFn = int64_t (*)(Kernel& k, const uint64_t* args);
constexpr uint32_t kMaxSyscall = 512;

// Null for numbers Ditto does not implement (they return -ENOSYS, counted).
SyscallFn syscall_handler(uint32_t nr);

// How many argument registers syscall `nr` reads (6 when unknown): the trace
// records exactly those.
uint8_t syscall_arity(uint32_t nr);

// Per-family registration, called once to build the table.
void register_fs_syscalls(SyscallFn* table);
void register_dir_syscalls(SyscallFn* table);
void register_mm_syscalls(SyscallFn* table);
void register_process_syscalls(SyscallFn* table);
void register_time_syscalls(SyscallFn* table);
void register_clone_syscalls(SyscallFn* table);
void register_exit_syscalls(SyscallFn* table);
void register_wait_syscalls(SyscallFn* table);
void register_exec_syscalls(SyscallFn* table);
void register_kill_syscalls(SyscallFn* table);
void register_pgrp_syscalls(SyscallFn* table);
void register_pidfd_syscalls(SyscallFn* table);
void register_futex_syscalls(SyscallFn* table);
void register_signal_syscalls(SyscallFn* table);
void register_poll_syscalls(SyscallFn* table);
void register_timer_syscalls(SyscallFn* table);
void register_attr_syscalls(SyscallFn* table);
void register_locks_syscalls(SyscallFn* table);
void register_sync_syscalls(SyscallFn* table);
void register_epoll_syscalls(SyscallFn* table);
void register_eventfd_syscalls(SyscallFn* table);
void register_timerfd_syscalls(SyscallFn* table);
void register_signalfd_syscalls(SyscallFn* table);
void register_inotify_syscalls(SyscallFn* table);
void register_rseq_syscalls(SyscallFn* table);
void register_capability_syscalls(SyscallFn* table);
void register_socket_syscalls(SyscallFn* table);
void register_socket_option_syscalls(SyscallFn* table);
void register_statfs_syscalls(SyscallFn* table);
void register_fallocate_syscalls(SyscallFn* table);
void register_file_copy_syscalls(SyscallFn* table);
void register_fifo_syscalls(SyscallFn* table);
void register_sched_syscalls(SyscallFn* table);
// open(2) of a named FIFO (kernel/fifo.cc): a pipe end, waiting for the
// other side as fs/pipe.c fifo_open() does.
// `entry`: the name it was opened by (File::entry()).
int64_t open_fifo(Kernel& k, const InodeRef& node, uint32_t flags, const std::string& path,
                  std::shared_ptr<EntryName> entry);
// fcntl's F_GETLK/F_SETLK/F_SETLKW and the F_OFD_* variants (kernel/locks.cc).
int64_t fcntl_record_lock(Kernel& k, const std::shared_ptr<File>& f, int cmd, uint64_t arg);

}  // namespace kernel
