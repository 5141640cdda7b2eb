/* File-system and memory edge cases of the foundation's syscalls, each
 * printed as its result or errno: open flags, holes and SEEK_DATA/SEEK_HOLE,
 * O_APPEND, pipes and ESPIPE, rename/unlink rules, getdents64, fcntl flags,
 * getcwd, and mmap/mprotect/mremap/madvise argument rules. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "corpus.h"

#define D "/tmp/ditto_fs_edges"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in directory `path`, sorted (getdents64 order is the file system's). */
static void list(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  char buf[4096], *names[64];
  int n = 0;
  long r;
  while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
    for (long off = 0; off < r;) {
      struct dirent64 *d = (struct dirent64 *)(buf + off);
      if (n < 64) names[n++] = strdup(d->d_name);
      off += d->d_reclen;
    }
  qsort(names, n, sizeof *names, cmp_str);
  printf("%s:", path);
  for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
  printf("\n");
  close(fd);
}

/* rm -r, with getdents64 and unlinkat (a guest has no /bin/sh for system()). */
static void rm_tree(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    unlink(path);
    return;
  }
  char buf[4096], child[512];
  long r;
  while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
    for (long off = 0; off < r;) {
      struct dirent64 *d = (struct dirent64 *)(buf + off);
      off += d->d_reclen;
      if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) continue;
      snprintf(child, sizeof child, "%s/%s", path, d->d_name);
      rm_tree(child);
    }
  close(fd);
  rmdir(path);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char buf[256];
  rm_tree(D); /* a run killed earlier leaves it behind (natively) */
  show("mkdir", mkdir(D, 0755));
  show("mkdir in a missing parent", mkdir(D "/no/x", 0755));
  int fd = open(D "/f", O_CREAT | O_RDWR, 0644);
  show("write", write(fd, "hello", 5));
  show("open O_CREAT|O_EXCL existing", open(D "/f", O_CREAT | O_EXCL | O_RDWR, 0644));
  show("open O_DIRECTORY on a file", open(D "/f", O_RDONLY | O_DIRECTORY));
  show("open a directory O_WRONLY", open(D, O_WRONLY));
  show("open a directory O_RDWR", open(D, O_RDWR));
  show("open through a file", open(D "/f/x", O_RDONLY));
  show("open O_CREAT through a file", open(D "/f/x", O_CREAT | O_RDWR, 0644));
  show("open missing", open(D "/missing", O_RDONLY));
  show("open trailing slash on a file", open(D "/f/", O_RDONLY));
  show("read 0 bytes", read(fd, buf, 0));
  show("write 0 bytes", write(fd, buf, 0));

  /* Holes read as zeros; SEEK_DATA / SEEK_HOLE on a file without holes in the middle. */
  show("lseek past the end", lseek(fd, 100, SEEK_SET));
  show("write after a hole", write(fd, "end", 3));
  struct stat st;
  fstat(fd, &st);
  show("size", st.st_size);
  show("pread in the hole", pread(fd, buf, 4, 50));
  printf("hole bytes: %d %d %d %d\n", buf[0], buf[1], buf[2], buf[3]);
  show("lseek SEEK_END -200", lseek(fd, -200, SEEK_END));
  show("lseek SEEK_END -3", lseek(fd, -3, SEEK_END));
  show("lseek bad whence", lseek(fd, 0, 7));
  show("lseek SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
  show("lseek SEEK_DATA at the end", lseek(fd, 103, SEEK_DATA));
  show("lseek SEEK_HOLE past the end", lseek(fd, 200, SEEK_HOLE));
  show("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR));

  /* O_APPEND writes at the end whatever the offset; F_GETFL shows it (and O_LARGEFILE). */
  int ap = open(D "/f", O_WRONLY | O_APPEND);
  lseek(ap, 0, SEEK_SET);
  show("append", write(ap, "!", 1));
  show("offset after append", lseek(ap, 0, SEEK_CUR));
  printf("F_GETFL O_WRONLY|O_APPEND: %#lx\n", (long)fcntl(ap, F_GETFL));
  /* Positional writes on an O_APPEND file append whatever the offset (pwrite(2), BUGS). */
  show("pwrite at 0 with O_APPEND", pwrite(ap, "XY", 2, 0));
  struct iovec z = {"Z", 1};
  show("pwritev at 0 with O_APPEND", pwritev(ap, &z, 1, 0));
  show("pread the end", pread(fd, buf, 4, 103));
  printf("end bytes: %.4s\n", buf);
  show("F_SETFL clears O_APPEND", fcntl(ap, F_SETFL, O_RDWR | O_NONBLOCK));
  printf("F_GETFL after: %#lx\n", (long)fcntl(ap, F_GETFL));
  show("F_DUPFD from 20", fcntl(ap, F_DUPFD, 20));
  int cl = fcntl(ap, F_DUPFD_CLOEXEC, 0);
  printf("F_DUPFD_CLOEXEC: FD_CLOEXEC %ld\n", (long)fcntl(cl, F_GETFD));
  show("dup2 onto an open fd", dup2(ap, cl));
  printf("after dup2, FD_CLOEXEC %ld\n", (long)fcntl(cl, F_GETFD));
  show("dup3 O_CLOEXEC", dup3(ap, 30, O_CLOEXEC));
  printf("after dup3, FD_CLOEXEC %ld\n", (long)fcntl(30, F_GETFD));
  show("read on O_WRONLY", read(ap, buf, 1));
  show("write on O_RDONLY", write(open(D "/f", O_RDONLY), "x", 1));

  /* Vectored I/O: zero-length pieces, gather, scatter. */
  struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cd", 2}};
  show("pwritev", pwritev(fd, w, 3, 0));
  char x1[3] = {0}, x2[4] = {0};
  struct iovec r[2] = {{x1, 2}, {x2, 3}};
  show("preadv", preadv(fd, r, 2, 0));
  printf("preadv pieces: '%s' '%.3s'\n", x1, x2);
  lseek(fd, 1, SEEK_SET);
  show("preadv2 at offset -1 (the file's)", syscall(SYS_preadv2, fd, r, 2, -1L, 0L, 0));
  show("offset after it", lseek(fd, 0, SEEK_CUR));
  show("preadv2 unknown flag", syscall(SYS_preadv2, fd, r, 2, 0L, 0L, 1L << 20));
  show("pwritev2 RWF_DSYNC", syscall(SYS_pwritev2, fd, w, 3, 0L, 0L, 2));
  show("preadv negative offset, bad fd", syscall(SYS_preadv, 999, r, 2, -5L, 0L));
  /* Blocks of a file without holes: 8 per page it reaches (tmpfs and ext4 agree). */
  int dense = open(D "/dense", O_CREAT | O_RDWR, 0600);
  char page[5000] = {1};
  write(dense, page, sizeof page);
  fstat(dense, &st);
  printf("5000-byte file: blocks %ld blksize %ld nlink %lu\n", (long)st.st_blocks, (long)st.st_blksize,
         (unsigned long)st.st_nlink);
  unlink(D "/dense");
  show("O_TRUNC", open(D "/f", O_RDWR | O_TRUNC) >= 0);
  fstat(fd, &st);
  show("size after O_TRUNC", st.st_size);

  /* Pipes: no offsets; non-blocking reads; flags of pipe2. */
  int p[2];
  show("pipe2 O_NONBLOCK|O_CLOEXEC", pipe2(p, O_NONBLOCK | O_CLOEXEC));
  printf("pipe flags %#lx, FD_CLOEXEC %ld\n", (long)fcntl(p[0], F_GETFL), (long)fcntl(p[0], F_GETFD));
  show("read empty non-blocking pipe", read(p[0], buf, 1));
  show("lseek on a pipe", lseek(p[0], 0, SEEK_SET));
  show("pread on a pipe", pread(p[0], buf, 1, 0));
  show("pwrite on a pipe", pwrite(p[1], "x", 1, 0));
  show("pipe2 bad flags", pipe2(p, 0x1));

  /* rename and unlink rules. */
  mkdir(D "/d1", 0755);
  mkdir(D "/d2", 0755);
  close(open(D "/d2/inside", O_CREAT | O_WRONLY, 0644));
  close(open(D "/g", O_CREAT | O_WRONLY, 0644));
  show("rename a file over a file", rename(D "/g", D "/f"));
  show("rename a dir over a non-empty dir", rename(D "/d1", D "/d2"));
  show("rename a file over a dir", rename(D "/f", D "/d1"));
  show("rename a dir over a file", rename(D "/d1", D "/f"));
  show("rename a dir into itself", rename(D "/d2", D "/d2/sub"));
  show("rename a missing file", rename(D "/missing", D "/x"));
  show("rename onto itself", rename(D "/f", D "/f"));
  show("rename a dir over an empty dir", rename(D "/d1", D "/d3"));
  show("renameat relative to a dirfd", syscall(SYS_renameat, open(D, O_RDONLY), "d3", AT_FDCWD, D "/d4"));
  show("unlink a dir", unlink(D "/d4"));
  show("rmdir a non-empty dir", syscall(SYS_unlinkat, AT_FDCWD, D "/d2", AT_REMOVEDIR));
  show("rmdir a file", syscall(SYS_unlinkat, AT_FDCWD, D "/f", AT_REMOVEDIR));
  show("mkdirat relative to a dirfd", syscall(SYS_mkdirat, open(D, O_RDONLY), "d5", 0755));
  stat(D, &st);
  show("links of a dir with 3 subdirs", st.st_nlink);
  list(D);
  list(D "/d2");
  show("getdents64 with a tiny buffer", syscall(SYS_getdents64, open(D, O_RDONLY | O_DIRECTORY), buf, 8));

  /* getcwd and chdir. */
  show("chdir", chdir(D "/d2"));
  show("getcwd", getcwd(buf, sizeof buf) ? (long)strlen(buf) : -1);
  printf("cwd %s\n", buf);
  show("getcwd too small", syscall(SYS_getcwd, buf, 5));
  show("chdir to a file", chdir(D "/f"));
  show("open relative", open("inside", O_RDONLY) >= 0);
  show("chdir ..", chdir(".."));
  show("stat relative", stat("d2/inside", &st));

  /* Memory argument rules. */
  show("mmap length 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  show("mmap no type", (long)mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));
  show("mmap unaligned offset", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 1));
  show("mmap a directory", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, open(D, O_RDONLY), 0));
  show("mmap write-only fd", (long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, open(D "/f", O_WRONLY), 0));
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show("munmap unaligned", munmap(m + 1, 4096));
  show("munmap length 0", munmap(m, 0));
  show("mprotect unaligned", mprotect(m + 1, 4096, PROT_READ));
  show("mprotect bad bits", mprotect(m, 4096, 0x100));
  show("munmap the middle page", munmap(m + 4096, 4096));
  /* Linux changes the mappings before the hole, then fails (do_mprotect_pkey). */
  show("mprotect over the hole", mprotect(m, 3 * 4096, PROT_READ));
  int zero = open("/dev/zero", O_RDONLY);
  show("read into the page before the hole", read(zero, m, 1));
  show("read into the page after the hole", read(zero, m + 2 * 4096, 1));
  show("mprotect starting in the hole", mprotect(m + 4096, 2 * 4096, PROT_READ | PROT_WRITE));
  show("read into the page after the hole", read(zero, m + 2 * 4096, 1));
  mprotect(m, 4096, PROT_READ | PROT_WRITE);
  show("madvise bad advice", madvise(m, 4096, 12345));
  show("madvise over the hole", madvise(m, 3 * 4096, MADV_DONTNEED));
  show("mremap to 0", (long)mremap(m, 4096, 0, MREMAP_MAYMOVE));
  show("mremap bad flags", (long)mremap(m, 4096, 8192, 0x80));
  show("mremap FIXED without MAYMOVE", (long)mremap(m, 4096, 8192, MREMAP_FIXED, m + 8192));
  m[0] = 7;
  char *g = mremap(m, 4096, 64 * 4096, MREMAP_MAYMOVE);
  show("mremap grow keeps the byte", g == MAP_FAILED ? -1 : g[0]);
  show("brk(0) is the break", syscall(SYS_brk, 0) == syscall(SYS_brk, 0));
  /* mprotect's flag rules, in Linux's order (do_mprotect_pkey). */
  char *gd = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
  show("mprotect PROT_SEM", mprotect(g, 4096, PROT_READ | 0x8));
  show("mprotect unknown bit", mprotect(g, 4096, PROT_READ | 0x100));
  show("mprotect length 0, unknown bit", mprotect(g, 0, 0x100));
  show("mprotect unaligned, length 0", mprotect(g + 1, 0, PROT_READ));
  show("mprotect GROWSDOWN|GROWSUP", mprotect(g, 4096, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP));
  show("mprotect GROWSUP", mprotect(g, 4096, PROT_READ | PROT_GROWSUP));
  show("mprotect GROWSDOWN, plain mapping", mprotect(g, 4096, PROT_READ | PROT_GROWSDOWN));
  show("mprotect GROWSDOWN, growsdown mapping", mprotect(gd + 4096, 4096, PROT_READ | PROT_GROWSDOWN));
  show("read into its first page", read(zero, gd, 1));
  show("mprotect end overflow", mprotect(g, -4096UL, PROT_READ));

  rm_tree(D);
  return 0;
}
