/* Syscall argument checking through raw syscalls (no libc pre-checks):
 * bad pointers give EFAULT, bad descriptors EBADF, bad flags EINVAL,
 * unknown numbers ENOSYS; none of them may crash the kernel model. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "corpus.h"

#define SYS(name, ...) show(#name, syscall(__VA_ARGS__))

int main(void) {
  char buf[64];
  struct stat st;
  SYS(write_bad_buffer, SYS_write, 1, (void *)1, 10);
  SYS(write_bad_fd, SYS_write, 99, "x", 1);
  SYS(write_to_stdin_fd_readonly, SYS_write, 0, "x", 0);
  SYS(read_bad_fd, SYS_read, -1, buf, 1);
  int fd = open("/tmp/errno_checks", O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(fd, "data", 4);
  lseek(fd, 0, SEEK_SET);
  SYS(read_into_null, SYS_read, fd, NULL, 4);
  SYS(read_into_kernel_half, SYS_read, fd, (void *)0xffff800000000000ULL, 4);
  SYS(open_bad_path_ptr, SYS_open, (void *)1, O_RDONLY);
  SYS(open_empty_path, SYS_open, "", O_RDONLY);
  SYS(stat_bad_buf, SYS_stat, "/tmp", (void *)1);
  SYS(fstat_bad_fd, SYS_fstat, 1234, &st);
  SYS(newfstatat_bad_flags, SYS_newfstatat, AT_FDCWD, "/tmp", &st, 0x4000000);
  SYS(fcntl_bad_fd, SYS_fcntl, 77, F_GETFD);
  SYS(fcntl_bad_cmd, SYS_fcntl, fd, 999999);
  SYS(dup3_same_fd, SYS_dup3, fd, fd, 0);
  SYS(dup3_bad_flags, SYS_dup3, fd, 40, 1);
  SYS(dup2_same_fd, SYS_dup2, fd, fd);
  SYS(pipe_bad_ptr, SYS_pipe, (void *)8);
  SYS(readv_too_many, SYS_readv, fd, buf, 5000);
  SYS(writev_bad_iov, SYS_writev, 1, (void *)8, 1);
  struct iovec neg = {buf, (size_t)-1};
  SYS(readv_negative_len, SYS_readv, fd, &neg, 1);
  SYS(pread_negative_off, SYS_pread64, fd, buf, 1, -1);
  SYS(lseek_bad_fd, SYS_lseek, 55, 0, SEEK_SET);
  SYS(getcwd_size0, SYS_getcwd, buf, 0);
  SYS(getcwd_bad_ptr, SYS_getcwd, (void *)8, 64);
  SYS(unknown_syscall, 999);
  SYS(unknown_syscall_hi, 100000);
  SYS(rt_sigaction_bad_size, SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4);
  SYS(rt_sigaction_sigkill, SYS_rt_sigaction, SIGKILL, buf, NULL, 8);
  SYS(rt_sigaction_bad_sig, SYS_rt_sigaction, 65, NULL, NULL, 8);
  SYS(rt_sigprocmask_bad_how, SYS_rt_sigprocmask, 7, buf, NULL, 8);
  SYS(uname_bad_ptr, SYS_uname, (void *)8);
  SYS(arch_prctl_bad_code, SYS_arch_prctl, 0x9999, 0);
  SYS(arch_prctl_get_fs_bad_ptr, SYS_arch_prctl, 0x1003, (void *)8);
  SYS(set_robust_list_bad_len, SYS_set_robust_list, buf, 1);
  SYS(prlimit_bad_resource, SYS_prlimit64, 0, 99, NULL, buf);
  SYS(prlimit_other_pid, SYS_prlimit64, 999999, 0, NULL, buf);
  SYS(sched_getaffinity_small, SYS_sched_getaffinity, 0, 4, buf);
  SYS(readlink_bad_size, SYS_readlink, "/proc/self/exe", buf, 0);
  SYS(readlink_not_link, SYS_readlink, "/tmp", buf, sizeof buf);
  SYS(mkdir_existing, SYS_mkdir, "/tmp", 0755);
  SYS(unlinkat_bad_flags, SYS_unlinkat, AT_FDCWD, "/tmp/x", 0x1);
  SYS(access_bad_mode, SYS_access, "/tmp", 0x100);
  SYS(faccessat2_bad_flags, SYS_faccessat2, AT_FDCWD, "/tmp", 0, 0x1);
  SYS(getdents_not_dir, SYS_getdents64, fd, buf, sizeof buf);
  SYS(ioctl_tcgets_on_file, SYS_ioctl, fd, 0x5401, buf);
  SYS(ioctl_winsz_on_pipe, SYS_ioctl, 1, 0x5413, buf);
  SYS(kill_bad_signal, SYS_kill, 0, 200);
  SYS(tgkill_bad_tgid, SYS_tgkill, 0, 1, 0);
  SYS(statx_reserved_mask, SYS_statx, AT_FDCWD, "/tmp", 0, 0x80000000u, buf);
  SYS(clock_nanosleep_thread_clock, SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, buf, NULL);
  SYS(path_too_long_component, SYS_open, "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", O_RDONLY);
  unlink("/tmp/errno_checks");
  return 0;
}
