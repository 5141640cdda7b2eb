/* Reads of stdin into buffers that fault: the data stays in the pipe for
 * the next read (fs/pipe.c pipe_read() takes a buffer's share whole or not
 * at all), though the bytes that fitted were already copied. Run with a
 * pipe on stdin that holds one short line. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(page + 4096, 4096, PROT_NONE);
  char *bad = page + 4096;
  show("read_faulting", syscall(SYS_read, 0, bad, 100));
  show("read_half_faulting", syscall(SYS_read, 0, bad - 3, 100));
  printf("placed = %.3s\n", bad - 3);
  char buf[100] = {0};
  show("read_whole", syscall(SYS_read, 0, buf, sizeof buf - 1));
  printf("line = %s", buf);
  show("read_eof_faulting", syscall(SYS_read, 0, bad, 10));
  return 0;
}
