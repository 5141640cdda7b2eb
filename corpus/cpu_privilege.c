/* What user mode may not do, and how syscall numbers are read: cli, sti,
 * hlt, in and int $0x80 (Linux without its 32-bit ABI, as Ditto models it)
 * each kill a child with SIGSEGV; the upper 32 bits of a syscall number are
 * ignored (0x100000027 is getpid); the x32 bit (0x40000000) is ENOSYS, as on
 * a kernel built without x32 (Debian's). */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int killed_by(void (*f)(void)) {
  pid_t p = fork();
  if (p == 0) {
    f();
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  return WIFSIGNALED(st) ? WTERMSIG(st) : -WEXITSTATUS(st);
}
static void do_cli(void) { __asm__ volatile("cli"); }
static void do_sti(void) { __asm__ volatile("sti"); }
static void do_hlt(void) { __asm__ volatile("hlt"); }
static void do_in(void) {
  unsigned char v;
  __asm__ volatile("inb $0x60, %0" : "=a"(v));
}
static void do_int80(void) {
  long r = 20;
  __asm__ volatile("int $0x80" : "+a"(r));
}

static long raw(long nr) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
  return r;
}

int main(void) {
  printf("cli %d sti %d hlt %d in %d int80 %d\n", killed_by(do_cli), killed_by(do_sti), killed_by(do_hlt),
         killed_by(do_in), killed_by(do_int80));
  printf("0x100000027 is getpid: %s\n", raw(0x100000027L) == getpid() ? "yes" : "no");
  printf("0x40000027: %s\n", raw(0x40000027L) == -ENOSYS ? "ENOSYS" : "something else");
  return 0;
}
