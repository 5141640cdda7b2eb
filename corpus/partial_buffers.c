/* Reads and writes whose buffers fault part of the way: Linux copies what
 * it can and returns the short count; a buffer that cannot take one byte
 * is EFAULT, but only once the file has data (an empty pipe still blocks,
 * EOF is still 0); data a read could not store stays in the pipe. Pointers
 * outside the user half fail first (access_ok() in vfs_read/vfs_write). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "corpus.h"

#define SYS(name, ...) show(#name, syscall(__VA_ARGS__))
#define KERNEL_PTR ((void *)0xffff800000000000ULL)

int main(void) {
  /* One readable, writable page followed by an inaccessible one. */
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(page + 4096, 4096, PROT_NONE);
  char *bad = page + 4096;
  memset(page, 'p', 4096);

  int fd = open("/tmp/partial_buffers", O_CREAT | O_RDWR | O_TRUNC, 0600);
  SYS(write_half_faulting, SYS_write, fd, page, 8192);
  SYS(write_all_faulting, SYS_write, fd, bad, 100);
  SYS(write_kernel_half, SYS_write, fd, KERNEL_PTR, 1);
  SYS(write_huge_count, SYS_write, fd, page, (size_t)1 << 62);
  SYS(write_long_count, SYS_write, fd, page, (size_t)1 << 26);
  show("file_size", lseek(fd, 0, SEEK_END));
  lseek(fd, 0, SEEK_SET);
  SYS(read_half_faulting, SYS_read, fd, page + 100, 8192);
  show("offset_after_short_read", lseek(fd, 0, SEEK_CUR));
  SYS(read_all_faulting, SYS_read, fd, bad, 10);
  show("offset_after_efault", lseek(fd, 0, SEEK_CUR));
  lseek(fd, 0, SEEK_END);
  SYS(read_at_eof_faulting, SYS_read, fd, bad, 10);
  struct iovec wv[2] = {{page, 16}, {bad, 16}};
  SYS(writev_second_faulting, SYS_writev, fd, wv, 2);
  struct iovec big = {page, 1u << 26}; /* below TASK_SIZE from any mmap base */
  SYS(writev_long_iovec_faulting, SYS_writev, fd, &big, 1);
  SYS(pwrite_half_faulting, SYS_pwrite64, fd, page + 2048, 4096, 0);
  close(fd);
  unlink("/tmp/partial_buffers");

  int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
  SYS(read_dir_null, SYS_read, dfd, NULL, 10);
  SYS(read_dir_kernel_half, SYS_read, dfd, KERNEL_PTR, 10);
  close(dfd);

  int p[2];
  pipe2(p, O_NONBLOCK);
  SYS(read_empty_pipe_faulting, SYS_read, p[0], bad, 10);
  SYS(read_empty_pipe_kernel_half, SYS_read, p[0], KERNEL_PTR, 10);
  write(p[1], "0123456789abcdefghijklmnopqrstuv", 32);
  SYS(read_pipe_faulting, SYS_read, p[0], bad, 10);
  struct iovec rv[2] = {{page, 10}, {bad, 10}};
  SYS(readv_pipe_second_faulting, SYS_readv, p[0], rv, 2);
  printf("readv_got = %.10s\n", page);
  SYS(read_pipe_half_faulting, SYS_read, p[0], bad - 6, 20);
  printf("read_got = %.6s\n", bad - 6);
  memset(page, 0, 64);
  SYS(read_pipe_rest, SYS_read, p[0], page, 64);
  printf("rest = %s\n", page);
  memset(page, 'q', 4096);
  SYS(write_pipe_half_faulting, SYS_write, p[1], page + 4000, 8192);
  SYS(write_pipe_all_faulting, SYS_write, p[1], bad, 10);
  show("pipe_holds", read(p[0], page, 8192));
  close(p[1]);
  SYS(read_closed_pipe_faulting, SYS_read, p[0], bad, 10);
  close(p[0]);

  int u = open("/dev/urandom", O_RDONLY);
  SYS(urandom_faulting, SYS_read, u, bad, 16 << 20);
  SYS(urandom_half_faulting, SYS_read, u, bad - 8, 16 << 20);
  close(u);
  int z = open("/dev/zero", O_RDONLY);
  SYS(zero_faulting, SYS_read, z, bad, 100);
  SYS(zero_half_faulting, SYS_read, z, bad - 3, 100);
  close(z);
  int n = open("/dev/null", O_RDWR);
  SYS(null_read_faulting, SYS_read, n, bad, 100);
  SYS(null_write_faulting, SYS_write, n, bad, 100);
  close(n);
  return 0;
}
