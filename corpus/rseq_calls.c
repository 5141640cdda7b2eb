/* rseq(2) against the host: registration's argument checks (flags, length,
 * alignment, EBUSY/EINVAL/EPERM for a second one), the CPU number the
 * kernel writes (as getcpu says), unregistering, a child process keeping
 * the registration, and a critical section aborted by a signal delivered
 * inside it: the handler's frame holds the abort address and rseq_cs is
 * cleared. glibc registers every thread itself; the program takes its
 * registration down first and puts it back at the end. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

#define RSEQ_SIG 0x53053053
struct rseq_area {
  uint32_t cpu_id_start, cpu_id;
  uint64_t rseq_cs;
  uint32_t flags, node_id, mm_cid, pad;
} __attribute__((aligned(32)));
struct rseq_cs_desc {
  uint32_t version, flags;
  uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));

static long rseq(void *area, uint32_t len, int flags, uint32_t sig) {
  return syscall(SYS_rseq, area, len, flags, sig);
}

static struct rseq_area mine, other;
static struct rseq_cs_desc desc;
static volatile int handled;
static void on_usr1(int s) { (void)s; handled++; }

#ifdef __GLIBC__
extern const ptrdiff_t __rseq_offset;
extern const unsigned int __rseq_size;
#endif

static void *libc_area(void) {
#ifdef __GLIBC__
  if (__rseq_size) return (char *)__builtin_thread_pointer() + __rseq_offset;
#endif
  return NULL;
}

/* A critical section that sends itself SIGUSR1 (a syscall inside it): the
 * signal is delivered inside, so the section aborts. */
static int critical_section(void) {
  int result;
  long tid = syscall(SYS_gettid);
  __asm__ volatile(
      "leaq 1f(%%rip), %%rax\n\t"
      "movq %%rax, %[start]\n\t"
      "leaq 3f(%%rip), %%rax\n\t"
      "movq %%rax, %[abort]\n\t"
      "leaq 2f(%%rip), %%rax\n\t"
      "subq %[start], %%rax\n\t"
      "movq %%rax, %[post]\n\t"
      "leaq %[desc], %%rax\n\t"
      "movq %%rax, %[cs]\n\t"
      "1:\n\t"
      "movl $234, %%eax\n\t"  /* tgkill(pid, tid, SIGUSR1) */
      "movl %[pid], %%edi\n\t"
      "movl %[tid], %%esi\n\t"
      "movl $10, %%edx\n\t"
      "syscall\n\t"
      "movl $1, %[res]\n\t"
      "2:\n\t"
      "jmp 4f\n\t"
      ".long 0x53053053\n\t"
      "3:\n\t"
      "movl $2, %[res]\n\t"
      "4:\n\t"
      : [res] "=m"(result), [start] "=m"(desc.start_ip), [abort] "=m"(desc.abort_ip),
        [post] "=m"(desc.post_commit_offset), [cs] "=m"(mine.rseq_cs)
      : [desc] "m"(desc), [pid] "r"((int)getpid()), [tid] "r"((int)tid)
      : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
  return result;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct rseq_area *libc = libc_area();
  if (libc) show("unregister libc's", rseq(libc, 32, 1, RSEQ_SIG));
  show("unregister none", rseq(&mine, 32, 1, RSEQ_SIG));
  show("bad flags", rseq(&mine, 32, 2, RSEQ_SIG));
  show("unregister + other flag", rseq(&mine, 32, 3, RSEQ_SIG));
  show("length 31", rseq(&mine, 31, 0, RSEQ_SIG));
  show("length 0", rseq(&mine, 0, 0, RSEQ_SIG));
  show("misaligned", rseq((char *)&mine + 8, 32, 0, RSEQ_SIG));
  show("kernel address", rseq((void *)0xffff800000000000ULL, 32, 0, RSEQ_SIG));
  mine.cpu_id = 12345;
  mine.cpu_id_start = 12345;
  show("register", rseq(&mine, 32, 0, RSEQ_SIG));
  unsigned cpu = 99;
  syscall(SYS_getcpu, &cpu, NULL, NULL);
  printf("cpu_id is getcpu's %d, cpu_id_start too %d\n", mine.cpu_id == cpu, mine.cpu_id_start == cpu);
  show("again", rseq(&mine, 32, 0, RSEQ_SIG));
  show("again, other signature", rseq(&mine, 32, 0, 0x12345678));
  show("again, other length", rseq(&mine, 64, 0, RSEQ_SIG));
  show("another area", rseq(&other, 32, 0, RSEQ_SIG));
  pid_t p = fork();
  if (p == 0) {
    /* The child's registration is its parent's. */
    show("child: again", rseq(&mine, 32, 0, RSEQ_SIG));
    _exit(0);
  }
  wait_code(p);
  signal(SIGUSR1, on_usr1);
  int r = critical_section();
  printf("critical section: %s, handler ran %d, rseq_cs %s\n", r == 2 ? "aborted" : r == 1 ? "committed" : "?",
         handled, mine.rseq_cs ? "set" : "cleared");
  /* Outside any section: nothing happens, and rseq_cs is cleared lazily. */
  mine.rseq_cs = (uint64_t)&desc;
  raise(SIGUSR1);
  printf("signal outside: handler ran %d, rseq_cs %s\n", handled, mine.rseq_cs ? "set" : "cleared");
  show("unregister, other signature", rseq(&mine, 32, 1, 0x12345678));
  show("unregister, other length", rseq(&mine, 64, 1, RSEQ_SIG));
  show("unregister, other area", rseq(&other, 32, 1, RSEQ_SIG));
  show("unregister", rseq(&mine, 32, 1, RSEQ_SIG));
  printf("after: cpu_id %d, cpu_id_start %u\n", (int)mine.cpu_id, mine.cpu_id_start);
  show("register a longer area", rseq(&other, 64, 0, RSEQ_SIG));
  show("unregister it", rseq(&other, 64, 1, RSEQ_SIG));
  if (libc) show("register libc's again", rseq(libc, 32, 0, RSEQ_SIG));
  return 0;
}
