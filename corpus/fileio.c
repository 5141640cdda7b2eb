/* File I/O in /tmp: create, write, seek, read, pread/pwrite, stat, rename,
 * directory listing, dup, fcntl, pipes, and the errnos of the common mistakes. */
#define _GNU_SOURCE /* pipe2 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "corpus.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
  char buf[256];
  mkdir("/tmp/ditto_fileio", 0755);
  show("mkdir again", mkdir("/tmp/ditto_fileio", 0755));
  int fd = open("/tmp/ditto_fileio/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  show("open a.txt", fd >= 0 ? 0 : -1);
  show("write", write(fd, "hello, file\n", 12));
  show("lseek end", lseek(fd, 0, SEEK_END));
  show("lseek set", lseek(fd, 0, SEEK_SET));
  memset(buf, 0, sizeof buf);
  show("read", read(fd, buf, sizeof buf));
  printf("content: %s", buf);
  show("pwrite", pwrite(fd, "HELLO", 5, 0));
  memset(buf, 0, sizeof buf);
  show("pread", pread(fd, buf, 5, 0));
  printf("pread got: %s\n", buf);
  show("lseek past end", lseek(fd, 100, SEEK_SET));
  show("write after hole", write(fd, "x", 1));
  struct stat st;
  show("fstat", fstat(fd, &st));
  printf("size %lld regular %d mode %o\n", (long long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777);
  show("pread in hole", pread(fd, buf, 4, 50));
  printf("hole bytes zero: %d\n", buf[0] == 0 && buf[3] == 0);
  struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
  show("writev", writev(fd, iov, 2));
  show("ftruncate-free seek", lseek(fd, -4, SEEK_END));
  char v1[3] = {0}, v2[3] = {0};
  struct iovec riov[2] = {{v1, 2}, {v2, 2}};
  show("readv", readv(fd, riov, 2));
  printf("readv got %s %s\n", v1, v2);
  show("lseek negative", lseek(fd, -1000, SEEK_SET));
  show("lseek bad whence", lseek(fd, 0, 42));
  int fd2 = dup(fd);
  show("dup shares offset", lseek(fd2, 0, SEEK_CUR) == lseek(fd, 0, SEEK_CUR));
  show("dup2", dup2(fd, 20));
  show("fcntl getfd", fcntl(20, F_GETFD));
  show("fcntl setfd", fcntl(20, F_SETFD, FD_CLOEXEC));
  show("fcntl getfd after", fcntl(20, F_GETFD));
  show("fcntl getfl", fcntl(fd, F_GETFL) & O_ACCMODE);
  show("fcntl dupfd 50", fcntl(fd, F_DUPFD, 50));
  show("close 50", close(50));
  show("close 50 again", close(50));
  show("close", close(fd));
  show("close dup", close(fd2));
  show("close 20", close(20));

  show("open O_EXCL existing", open("/tmp/ditto_fileio/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
  show("open missing", open("/tmp/ditto_fileio/nope", O_RDONLY));
  show("open dir for write", open("/tmp/ditto_fileio", O_WRONLY));
  show("open file as dir", open("/tmp/ditto_fileio/a.txt/x", O_RDONLY));
  show("open O_DIRECTORY on file", open("/tmp/ditto_fileio/a.txt", O_RDONLY | O_DIRECTORY));
  show("stat", stat("/tmp/ditto_fileio/a.txt", &st));
  show("rename", rename("/tmp/ditto_fileio/a.txt", "/tmp/ditto_fileio/b.txt"));
  show("stat old", stat("/tmp/ditto_fileio/a.txt", &st));
  show("access b", access("/tmp/ditto_fileio/b.txt", R_OK | W_OK));
  show("access x", access("/tmp/ditto_fileio/b.txt", X_OK));
  int c = open("/tmp/ditto_fileio/c.txt", O_CREAT | O_WRONLY, 0600);
  close(c);
  mkdir("/tmp/ditto_fileio/sub", 0700);
  show("rmdir non-empty", rmdir("/tmp/ditto_fileio"));
  show("unlink dir", unlink("/tmp/ditto_fileio/sub"));
  show("rename file over dir", rename("/tmp/ditto_fileio/c.txt", "/tmp/ditto_fileio/sub"));

  DIR *d = opendir("/tmp/ditto_fileio");
  char *names[16];
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) && n < 16) names[n++] = strdup(de->d_name);
  if (d) closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("listing:");
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");

  int p[2];
  show("pipe", pipe(p));
  show("pipe write", write(p[1], "through a pipe", 14));
  memset(buf, 0, sizeof buf);
  show("pipe read", read(p[0], buf, sizeof buf));
  printf("pipe got: %s\n", buf);
  show("lseek pipe", lseek(p[0], 0, SEEK_SET));
  close(p[1]);
  show("pipe eof", read(p[0], buf, sizeof buf));
  close(p[0]);
  show("pipe2 bad flags", pipe2(p, 12345678));

  char cwd[256];
  show("chdir", chdir("/tmp/ditto_fileio"));
  printf("cwd: %s\n", getcwd(cwd, sizeof cwd));
  show("relative open", open("b.txt", O_RDONLY) >= 0 ? 0 : -1);
  show("getcwd small", getcwd(cwd, 3) ? 0 : -1);

  show("unlink b", unlink("/tmp/ditto_fileio/b.txt"));
  show("unlink c", unlink("/tmp/ditto_fileio/c.txt"));
  show("rmdir sub", rmdir("/tmp/ditto_fileio/sub"));
  show("chdir /", chdir("/"));
  show("rmdir", rmdir("/tmp/ditto_fileio"));
  show("rmdir again", rmdir("/tmp/ditto_fileio"));
  return 0;
}
