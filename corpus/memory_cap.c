/* The guest machine's memory is bounded (ditto --memory): /tmp (a tmpfs of
 * half the memory) fills with a short write, then ENOSPC, and unlinking gives
 * the space back; private writable mappings, brk and fork are refused with
 * ENOMEM past what is left, as Linux with vm.overcommit_memory=2 does, while
 * PROT_NONE reservations cost nothing until made writable. Prints what it
 * sees, relative to the memory sysinfo() reports. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "corpus.h"

static unsigned long free_ram(void) {
  struct sysinfo si;
  sysinfo(&si);
  return si.freeram * si.mem_unit;
}

static unsigned long meminfo_kb(const char *key) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[128];
  unsigned long v = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, strlen(key)) == 0) sscanf(line + strlen(key), " %lu", &v);
  if (f) fclose(f);
  return v;
}

int main(void) {
  struct sysinfo si;
  if (sysinfo(&si) != 0) return 1;
  unsigned long total = si.totalram * si.mem_unit;
  if (total > (2UL << 30)) {
    /* Natively this would fill the host's /tmp: it is meant for a small guest. */
    fprintf(stderr, "memory_cap: %lu MiB of memory; run it as: ditto run --memory 256M memory_cap\n", total >> 20);
    return 2;
  }
  printf("totalram = %lu MiB, mem_unit %u\n", total >> 20, si.mem_unit);
  printf("MemTotal = %lu MiB\n", meminfo_kb("MemTotal:") >> 10);

  /* /tmp fills at half the memory: the write that crosses it is short. */
  static char chunk[1 << 20];
  memset(chunk, 'x', sizeof chunk);
  int fd = open("/tmp/fill", O_CREAT | O_WRONLY | O_TRUNC, 0600);
  unsigned long before = free_ram(), written = 0;
  long r = write(fd, chunk, 100);
  written += r;
  for (;;) {
    r = write(fd, chunk, sizeof chunk);
    if (r < (long)sizeof chunk) break;
    written += r;
  }
  printf("short write: %ld of %zu bytes\n", r, sizeof chunk);
  if (r > 0) {
    written += r;
    show("next write", write(fd, chunk, sizeof chunk));
  }
  printf("tmpfs full at %lu KiB = half the memory: %s\n", written >> 10, written == total / 2 ? "yes" : "no");
  printf("free memory fell by the file: %s\n", before - free_ram() == total / 2 ? "yes" : "no");
  show("ftruncate past the space", ftruncate(fd, total));
  close(fd);
  unlink("/tmp/fill");
  printf("unlink gave it back: %s\n", free_ram() == before ? "yes" : "no");

  /* Private writable memory is charged when mapped. */
  void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show("mmap(all memory, rw)", p == MAP_FAILED ? -1 : 0);
  p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  show("mmap(all memory, rw, MAP_NORESERVE)", p == MAP_FAILED ? -1 : 0);
  p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show("mmap(all memory, PROT_NONE)", p == MAP_FAILED ? -1 : 0);
  show("mprotect(all of it, rw)", mprotect(p, total, PROT_READ | PROT_WRITE));
  show("mprotect(a quarter, rw)", mprotect(p, total / 4, PROT_READ | PROT_WRITE));
  ((char *)p)[total / 4 - 1] = 1;
  show("munmap", munmap(p, total));
  show("shared mmap(all memory)",
       mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
  show("sbrk(all memory)", sbrk(total) == (void *)-1 ? -1 : 0);

  /* malloc runs out below the memory size and recovers after free(). */
  enum { kMax = 4096 };
  static void *blocks[kMax];
  int n = 0;
  while (n < kMax && (blocks[n] = malloc(1 << 20)) != NULL) ++n;
  printf("malloc(1 MiB) ran out between half and all of it: %s\n",
         (unsigned long)n << 20 > total / 2 && (unsigned long)n << 20 < total ? "yes" : "no");
  for (int i = 0; i < n; ++i) free(blocks[i]);
  void *again = malloc(1 << 20);
  printf("malloc after free: %s\n", again ? "ok" : "NULL");
  free(again);

  /* A fork is charged what the parent's memory holds. */
  void *big = mmap(NULL, total / 10 * 6, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show("mmap(60%, rw)", big == MAP_FAILED ? -1 : 0);
  pid_t c = fork();
  if (c == 0) _exit(0);
  show("fork holding 60%", c > 0 ? 0 : -1);
  if (c > 0) wait_code(c);
  munmap(big, total / 10 * 6);
  c = fork();
  if (c == 0) _exit(7);
  printf("fork after munmap: child exit %ld\n", c > 0 ? wait_code(c) : -1L);
  return 0;
}
