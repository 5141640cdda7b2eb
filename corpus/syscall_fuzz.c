/* Robustness, not a differential test (it must never run natively: random
 * syscalls would damage the host). Calls every syscall number with arguments
 * from a fixed generator: pointers into mapped, unmapped, read-only and
 * kernel memory, huge lengths, odd flags. Ditto must answer each one with a
 * result or an errno and never crash; the guest prints how many ran. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t state = 0x243f6a8885a308d3ULL;
static uint64_t next(void) {
  state ^= state << 13, state ^= state >> 7, state ^= state << 17;
  return state;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 20000;
  if (getenv("DITTO_FUZZ_NATIVE_OK") == NULL && getpid() != 1000) {
    printf("refusing to run outside Ditto\n");
    return 2;
  }
  char *rw = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t pointers[] = {0, 1, 8, (uint64_t)rw, (uint64_t)rw + 65535, (uint64_t)ro,
                         0xffff800000000000ULL, ~0ULL, 0x7ffffffff000ULL, (uint64_t)"/tmp",
                         (uint64_t)"/proc/self/exe", (uint64_t)""};
  long done = 0;
  for (long i = 0; i < rounds; i++) {
    long nr = (long)(next() % 460);
    /* Ending the run or blocking forever is legal but stops the fuzzing. */
    if (nr == SYS_exit || nr == SYS_exit_group || nr == SYS_kill || nr == SYS_tkill ||
        nr == SYS_tgkill || nr == SYS_read || nr == SYS_readv || nr == SYS_pread64 ||
        nr == SYS_munmap || nr == SYS_mremap || nr == SYS_mprotect || nr == SYS_brk ||
        nr == SYS_arch_prctl || nr == SYS_rt_sigreturn || nr == SYS_execve ||
        nr == SYS_execveat || nr == SYS_vfork || nr == SYS_fork || nr == SYS_clone ||
        nr == SYS_clone3 || nr == SYS_madvise || nr == SYS_mmap || nr == SYS_dup2 ||
        nr == SYS_dup3 || nr == SYS_close || nr == SYS_rt_sigprocmask || nr == SYS_pause ||
        nr == SYS_rt_sigsuspend || nr == SYS_write || nr == SYS_writev || nr == SYS_pwrite64 ||
        nr == SYS_sigaltstack || nr == SYS_set_tid_address || nr == SYS_alarm || nr == SYS_setitimer ||
        nr == SYS_timer_settime || nr == SYS_rt_sigqueueinfo || nr == SYS_rt_tgsigqueueinfo ||
        nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2 || nr == SYS_select ||
        nr == SYS_pselect6 || nr == SYS_accept || nr == SYS_accept4 || nr == SYS_recvfrom ||
        nr == SYS_recvmsg || nr == SYS_sendto || nr == SYS_sendmsg || nr == SYS_flock || nr == SYS_fcntl ||
        nr == SYS_timerfd_settime)
      continue;
    uint64_t a[6];
    for (int k = 0; k < 6; k++) {
      uint64_t r = next();
      switch (r % 4) {
        case 0: a[k] = pointers[(r >> 8) % (sizeof pointers / sizeof pointers[0])]; break;
        case 1: a[k] = (r >> 8) % 64; break;
        case 2: a[k] = r; break;
        default: a[k] = (uint64_t)-(long)((r >> 8) % 200); break;
      }
    }
    syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    done++;
  }
  printf("survived %ld random syscalls\n", done);
  return 0;
}
