/* Synchronous faults become catchable signals (arch/x86/kernel/traps.c,
 * arch/x86/mm/fault.c): for each fault the handler prints the siginfo
 * (si_signo, si_code, si_addr) and the sigcontext (trap number, error code,
 * cr2, and whether rip is exactly the faulting instruction), then leaves by
 * siglongjmp, fixes the fault and returns, or rewrites the context:
 * - reads and writes of unmapped memory (SEGV_MAPERR), of PROT_NONE and of
 *   read-only pages (SEGV_ACCERR), and a jump into non-executable memory;
 * - the faulting instruction deep in a basic block whose earlier
 *   instructions changed registers and the stack: returning after an
 *   mprotect() runs it again, and nothing before it twice;
 * - divide error (FPE_INTDIV), ud2 (ILL_ILLOPN), int3 (SIGTRAP, SI_KERNEL,
 *   rip after it), hlt (#GP: SIGSEGV, SI_KERNEL);
 * - a fault whose signal is blocked or ignored kills the process anyway. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "corpus.h"

/* Each routine's faulting instruction has a global label, so the handler
 * can compare the context's rip with it. Several instructions come first
 * in the same block, changing registers and the stack. */
__asm__(
    ".text\n"
    ".globl load_after_work\n"
    "load_after_work:\n"
    "  mov $1, %eax\n"
    "  mov $2, %ecx\n"
    "  add %ecx, %eax\n"
    "  nop\n"
    ".globl load_insn\n"
    "load_insn:\n"
    "  movl (%rdi), %eax\n"
    "  ret\n"
    ".globl store_after_push\n"
    "store_after_push:\n"
    "  push %rbx\n"
    "  mov $5, %ebx\n"
    "  lea 1(%rbx), %ebx\n"
    ".globl store_insn\n"
    "store_insn:\n"
    "  movl %ebx, (%rdi)\n"
    "  mov %ebx, %eax\n"
    "  pop %rbx\n"
    "  ret\n"
    ".globl divide\n"
    "divide:\n"
    "  mov %rdi, %rax\n"
    "  cqo\n"
    ".globl div_insn\n"
    "div_insn:\n"
    "  idivq %rsi\n"
    "  ret\n"
    ".globl undefined\n"
    "undefined:\n"
    "  nop\n"
    ".globl ud2_insn\n"
    "ud2_insn:\n"
    "  ud2\n"
    "  ret\n"
    ".globl breakpoint\n"
    "breakpoint:\n"
    "  mov $3, %eax\n"
    "  int3\n"
    ".globl after_int3\n"
    "after_int3:\n"
    "  add $4, %eax\n"
    "  ret\n"
    ".globl halt\n"
    "halt:\n"
    ".globl hlt_insn\n"
    "hlt_insn:\n"
    "  hlt\n"
    "  ret\n");
int load_after_work(const int *p);
int store_after_push(int *p);
long divide(long a, long b);
void undefined(void);
int breakpoint(void);
void halt(void);
extern const char load_insn[], store_insn[], div_insn[], ud2_insn[], after_int3[], hlt_insn[];

static sigjmp_buf escape;
static const char *expected_rip;
static void *page;     /* the page a fixing handler makes accessible */
static int fix_prot;   /* 0: leave by siglongjmp; else mprotect(page, fix_prot) and return */
static int handled;

static void report(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  char addr[32];
  if ((uintptr_t)si->si_addr < 4096) snprintf(addr, sizeof addr, "%ld", (long)(uintptr_t)si->si_addr);
  else if (page && (char *)si->si_addr >= (char *)page && (char *)si->si_addr < (char *)page + 4096)
    snprintf(addr, sizeof addr, "page+%ld", (long)((char *)si->si_addr - (char *)page));
  else if ((const char *)si->si_addr == expected_rip) snprintf(addr, sizeof addr, "rip");
  else snprintf(addr, sizeof addr, "other");
  long rip_off = (long)((const char *)g[REG_RIP] - expected_rip);
  printf("  signal %d code %d addr %s trapno %lld", sig, si->si_code, addr, (long long)g[REG_TRAPNO]);
  if (sig == SIGSEGV && si->si_code != SI_KERNEL) {
    long cr2 = (long)((char *)g[REG_CR2] - (char *)si->si_addr);
    printf(" err %#llx cr2-addr %ld", (long long)g[REG_ERR], cr2);
  }
  printf(" rip %s%+ld\n", rip_off == 0 ? "exact" : "off", rip_off);
}

static void on_fault(int sig, siginfo_t *si, void *ctx) {
  ++handled;
  report(sig, si, ctx);
  if (!fix_prot) siglongjmp(escape, 1);
  if (mprotect(page, 4096, fix_prot) != 0) _exit(3);
}

/* Skips the faulting load and makes it return 42, as a runtime that turns
 * faults into exceptions rewrites the context. */
static void on_fault_rewrite(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  report(sig, si, ctx);
  uc->uc_mcontext.gregs[REG_RIP] += 2; /* movl (%rdi), %eax is 2 bytes */
  uc->uc_mcontext.gregs[REG_RAX] = 42;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *)) {
  struct sigaction sa = {0};
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, 0);
}

static void escape_case(const char *what, const char *rip, void (*body)(void)) {
  printf("%s\n", what);
  expected_rip = rip;
  fix_prot = 0;
  if (sigsetjmp(escape, 1) == 0) {
    body();
    printf("  no fault\n");
  }
}

static void read_null(void) { load_after_work((const int *)0); }
static void write_null(void) { store_after_push((int *)8); }
static void read_none(void) { load_after_work(page); }
static void write_unmapped(void) { store_after_push((int *)((char *)page + 100)); }
static void divide_zero(void) { printf("  = %ld\n", divide(7, 0)); }
static void divide_overflow(void) { printf("  = %ld\n", divide(INT64_MIN, -1)); }
static void ud2(void) { undefined(); }
static void hlt(void) { halt(); }
static void jump_nx(void) { ((void (*)(void))page)(); }

static void child_dies(const char *what, int block, int ignore) {
  pid_t c = fork();
  if (c == 0) {
    if (block) {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGSEGV);
      sigprocmask(SIG_BLOCK, &s, 0);
    }
    if (ignore) signal(SIGSEGV, SIG_IGN);
    load_after_work((const int *)16);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("%s: %s %d\n", what, WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  install(SIGSEGV, on_fault);
  install(SIGFPE, on_fault);
  install(SIGILL, on_fault);
  install(SIGTRAP, on_fault);

  escape_case("read of address 0", load_insn, read_null);
  escape_case("write to address 8", store_insn, write_null);

  page = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  escape_case("read of a PROT_NONE page", load_insn, read_none);

  /* Fix and return: the load runs again and reads the page. */
  printf("read of a PROT_NONE page, fixed by the handler\n");
  expected_rip = load_insn;
  fix_prot = PROT_READ | PROT_WRITE;
  handled = 0;
  int loaded = load_after_work(page);
  printf("  loaded %d after %d signal(s)\n", loaded, handled);

  /* A read-only page: the store faults after a push; returning must not push twice. */
  ((int *)page)[1] = 77;
  mprotect(page, 4096, PROT_READ);
  printf("write to a read-only page, fixed by the handler\n");
  expected_rip = store_insn;
  handled = 0;
  int r = store_after_push((int *)page + 1);
  printf("  returned %d, stored %d after %d signal(s)\n", r, ((int *)page)[1], handled);

  /* Rewriting the context: skip the load, return 42. */
  mprotect(page, 4096, PROT_NONE);
  install(SIGSEGV, on_fault_rewrite);
  printf("read of a PROT_NONE page, skipped by the handler\n");
  expected_rip = load_insn;
  printf("  loaded %d\n", load_after_work(page));
  install(SIGSEGV, on_fault);

  /* Not executable: the fault is at the target, rip is the target. */
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
  *(unsigned char *)page = 0xc3; /* ret */
  escape_case("jump into a non-executable page", page, jump_nx);

  munmap(page, 4096);
  escape_case("write to an unmapped page", store_insn, write_unmapped);
  page = 0;

  escape_case("divide by zero", div_insn, divide_zero);
  escape_case("divide overflow", div_insn, divide_overflow);
  escape_case("ud2", ud2_insn, ud2);
  escape_case("hlt", hlt_insn, hlt);

  printf("int3, returning\n");
  expected_rip = after_int3;
  /* The handler returns (its mprotect of a spare page changes nothing). */
  page = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fix_prot = PROT_READ;
  printf("  returned %d\n", breakpoint());

  child_dies("fault with SIGSEGV blocked", 1, 0);
  child_dies("fault with SIGSEGV ignored", 0, 1);
  return 0;
}
