/* Code that changes behind the mapping it runs from: the writable/executable
 * double mapping of JIT compilers (one memfd mapped twice), code written by
 * the kernel (pread into the writable view), and code another process writes
 * into MAP_SHARED memory the first one already ran. x86 keeps instruction
 * fetch coherent with every store, so each call runs the newest bytes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpus.h"

typedef int (*fn)(void);

/* Writes "mov eax, v; ret" at p. */
static void emit_return(unsigned char *p, int v) {
  unsigned char code[] = {0xb8, (unsigned char)v, (unsigned char)(v >> 8), 0, 0, 0xc3};
  memcpy(p, code, sizeof code);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int fd = memfd_create("code", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 8192) != 0) {
    show("memfd_create", -1);
    return 1;
  }
  unsigned char *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  unsigned char *x = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  if (w == MAP_FAILED || x == MAP_FAILED) {
    show("mmap", -1);
    return 1;
  }

  /* The same function rewritten through the writable view. */
  for (int v = 1; v <= 3; v++) {
    emit_return(w, v);
    printf("double mapping, version %d returns %d\n", v, ((fn)x)());
  }
  /* A second function in the same page, then the first one again. */
  emit_return(w + 64, 20);
  printf("second function returns %d\n", ((fn)(x + 64))());
  emit_return(w, 4);
  printf("first function, version 4 returns %d\n", ((fn)x)());
  /* A loop that calls the function while the page is rewritten each time. */
  int sum = 0;
  for (int v = 0; v < 50; v++) {
    emit_return(w + 4096, v);
    sum += ((fn)(x + 4096))();
  }
  printf("50 rewrites of one function sum to %d\n", sum);

  /* The kernel writes the code: pread() into the writable view. */
  int src = memfd_create("source", MFD_CLOEXEC);
  unsigned char code[8];
  emit_return(code, 300);
  if (src < 0 || pwrite(src, code, sizeof code, 0) != sizeof code) return 1;
  show("pread into the writable view", pread(src, w, sizeof code, 0));
  printf("code written by pread returns %d\n", ((fn)x)());

  /* Another process writes code this one has already run. */
  unsigned char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return 1;
  emit_return(s, 7);
  printf("shared code before the child: %d\n", ((fn)s)());
  pid_t p = fork();
  if (p == 0) {
    emit_return(s, 8);
    _exit(((fn)s)());
  }
  printf("child ran its own version: %ld\n", wait_code(p));
  printf("shared code after the child: %d\n", ((fn)s)());
  return 0;
}
