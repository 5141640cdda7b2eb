/* Memory and process limits against the host: MAP_32BIT places mappings in
 * the second GiB; RLIMIT_AS stops mmap, mremap and brk;
 * RLIMIT_DATA stops private writable mappings and brk but not read-only
 * or shared ones; RLIMIT_STACK stops the stack's growth (SIGSEGV);
 * RLIMIT_NPROC stops fork and pthread_create of a non-root user, zombies
 * counting until reaped. Run as root. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

#define MiB (1UL << 20)

static long vm_size_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %ld", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static void *map(size_t len, int prot, int flags) { return mmap(NULL, len, prot, flags, -1, 0); }
static const char *ok(void *p) { return p == MAP_FAILED ? errname(errno) : "ok"; }

static void map_32bit(void) {
  char *a = map(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT);
  char *b = map(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT);
  char *c = mmap((void *)0x300000000UL, MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  uintptr_t lo = 1UL << 30, hi = 2UL << 30;
  /* (Linux picks a random start for each search, so their order varies.) */
  printf("MAP_32BIT: in the second GiB %d %d, a hint above it ignored %d\n",
         (uintptr_t)a >= lo && (uintptr_t)a < hi, (uintptr_t)b >= lo && (uintptr_t)b < hi,
         (uintptr_t)c >= lo && (uintptr_t)c < hi);
  munmap(a, MiB), munmap(b, MiB), munmap(c, MiB);
}

static void address_space(void) {
  long kb = vm_size_kb();
  struct rlimit r = {(rlim_t)kb * 1024 + 64 * MiB, RLIM_INFINITY};
  show("setrlimit(AS, now + 64 MiB)", setrlimit(RLIMIT_AS, &r));
  void *p = map(32 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("mmap 32 MiB: %s\n", ok(p));
  void *q = map(48 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("mmap 48 more: %s\n", ok(q));
  void *s = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
  printf("mmap 16 MiB shared: %s\n", ok(s));
  void *g = mremap(p, 32 * MiB, 96 * MiB, MREMAP_MAYMOVE);
  printf("mremap to 96 MiB: %s\n", ok(g));
  void *cur = sbrk(0);
  show("brk + 48 MiB", (long)syscall(SYS_brk, (char *)cur + 48 * MiB) == (long)((char *)cur + 48 * MiB));
  munmap(p, 32 * MiB);
  if (s != MAP_FAILED) munmap(s, 16 * MiB);
  p = map(48 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("mmap 48 MiB after munmap: %s\n", ok(p));
  if (p != MAP_FAILED) munmap(p, 48 * MiB);
  r.rlim_cur = RLIM_INFINITY;
  setrlimit(RLIMIT_AS, &r);
}

static void data(void) {
  struct rlimit r = {8 * MiB, RLIM_INFINITY};
  show("setrlimit(DATA, 8 MiB)", setrlimit(RLIMIT_DATA, &r));
  void *a = map(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("private writable 1 MiB: %s\n", ok(a));
  void *b = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("private writable 16 MiB: %s\n", ok(b));
  void *c = map(16 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("read-only 16 MiB: %s\n", ok(c));
  void *d = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
  printf("shared writable 16 MiB: %s\n", ok(d));
  void *e = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN);
  printf("grows-down 16 MiB: %s\n", ok(e));
  void *cur = sbrk(0);
  show("brk + 16 MiB", (long)syscall(SYS_brk, (char *)cur + 16 * MiB) == (long)((char *)cur + 16 * MiB));
  show("brk + 64 KiB", (long)syscall(SYS_brk, (char *)cur + 65536) == (long)((char *)cur + 65536));
  syscall(SYS_brk, cur);
  r.rlim_cur = 0;
  setrlimit(RLIMIT_DATA, &r);
  void *f = map(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  printf("soft limit 0, hard unlimited, 1 MiB: %s\n", ok(f));
  r.rlim_cur = RLIM_INFINITY;
  setrlimit(RLIMIT_DATA, &r);
  munmap(a, MiB), munmap(c, 16 * MiB), munmap(d, 16 * MiB), munmap(e, 16 * MiB), munmap(f, MiB);
}

static void __attribute__((noinline)) touch_below(size_t bytes) {
  uintptr_t sp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
  *(volatile char *)(sp - bytes) = 1;
}

static void stack(void) {
  for (int i = 0; i < 2; i++) {
    size_t depth = i ? 4 * MiB : 512 * 1024;
    pid_t p = fork();
    if (p == 0) {
      struct rlimit r = {2 * MiB, RLIM_INFINITY};
      setrlimit(RLIMIT_STACK, &r);
      touch_below(depth);
      _exit(0);
    }
    printf("stack limit 2 MiB, touching %zu KiB down: %ld\n", depth / 1024, wait_code(p));
  }
}

static void *idle(void *arg) { return arg; }

static void nproc(void) {
  pid_t p = fork();
  if (p == 0) {
    /* A user no other process on the machine runs as (the test suite runs
     * the four builds of this program one at a time). */
    if (setuid(54321) != 0) _exit(1);
    struct rlimit r = {1, 1};
    show("setrlimit(NPROC, 1)", setrlimit(RLIMIT_NPROC, &r));
    pid_t c = fork();
    if (c == 0) _exit(0);
    show("fork at the limit", c < 0 ? -1 : 0);
    pthread_t t;
    int e = pthread_create(&t, NULL, idle, NULL);
    printf("pthread_create at the limit: %s\n", e ? errname(e) : "ok");
    if (!e) pthread_join(t, NULL);
    _exit(0);
  }
  wait_code(p);
  p = fork();
  if (p == 0) {
    if (setuid(54321) != 0) _exit(1);
    struct rlimit r = {2, 2};
    setrlimit(RLIMIT_NPROC, &r);
    pid_t c = fork();
    if (c == 0) _exit(0);
    show("fork below the limit", c < 0 ? -1 : 0);
    usleep(20000);  /* the child is a zombie now */
    pid_t c2 = fork();
    if (c2 == 0) _exit(0);
    show("fork with a zombie", c2 < 0 ? -1 : 0);
    if (c2 > 0) wait_code(c2);
    wait_code(c);
    c2 = fork();
    if (c2 == 0) _exit(0);
    show("fork after reaping", c2 < 0 ? -1 : 0);
    if (c2 > 0) wait_code(c2);
    _exit(0);
  }
  wait_code(p);
  struct rlimit r = {1, 1};
  /* Root is not held to it. */
  p = fork();
  if (p == 0) {
    setrlimit(RLIMIT_NPROC, &r);
    pid_t c = fork();
    if (c == 0) _exit(0);
    show("root forks past the limit", c < 0 ? -1 : 0);
    if (c > 0) wait_code(c);
    _exit(0);
  }
  wait_code(p);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  map_32bit();
  address_space();
  data();
  stack();
  nproc();
  return 0;
}
