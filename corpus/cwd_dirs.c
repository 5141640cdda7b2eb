/* Directories and the working directory: getdents64 and d_type, reading a
 * directory, dirfds, O_PATH, fchdir, trailing slashes, "." and "..", and a
 * working directory that is renamed (getcwd follows it) or removed (getcwd
 * ENOENT, "." and ".." still work, nothing can be created, nlink 0). Also
 * nlink 0 of an open file that was unlinked. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

#define D "/tmp/ditto_dd"

static void renamed_and_removed_cwd(void) {
  struct stat st;
  char rbuf[256];
  mkdir("/tmp/ditto_rn", 0755);
  mkdir("/tmp/ditto_rn/a", 0755);
  mkdir("/tmp/ditto_rn/a/b", 0755);
  close(open("/tmp/ditto_rn/a/b/f", O_CREAT | O_WRONLY, 0644));
  show("chdir", chdir("/tmp/ditto_rn/a/b"));
  show("rename an ancestor", rename("/tmp/ditto_rn/a", "/tmp/ditto_rn/z"));
  show("getcwd", syscall(SYS_getcwd, rbuf, sizeof rbuf));
  printf("cwd %s\n", rbuf);
  show("open relative after the rename", open("f", O_RDONLY) >= 0);
  show("rename the cwd itself", rename("/tmp/ditto_rn/z/b", "/tmp/ditto_rn/y"));
  syscall(SYS_getcwd, rbuf, sizeof rbuf);
  printf("cwd %s\n", rbuf);
  show("stat . nlink", stat(".", &st) == 0 ? (long)st.st_nlink : -1);
  unlink("f");
  show("rmdir the cwd by path", rmdir("/tmp/ditto_rn/y"));
  show("stat . after", stat(".", &st) == 0 ? (long)st.st_nlink : -1);
  show("fstatat AT_EMPTY_PATH", fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH) == 0 ? (long)st.st_nlink : -1);
  show("chdir ..", chdir(".."));
  show("getcwd after chdir ..", syscall(SYS_getcwd, rbuf, sizeof rbuf));
  rmdir("/tmp/ditto_rn/z");
  rmdir("/tmp/ditto_rn");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char buf[8192];
  mkdir(D, 0755);
  close(open(D "/file", O_CREAT | O_WRONLY, 0644));
  mkdir(D "/sub", 0755);
  int d = open(D, O_RDONLY | O_DIRECTORY);
  show("read a directory", read(d, buf, 10));
  show("write a directory fd", write(d, "x", 1));
  long n = syscall(SYS_getdents64, d, buf, sizeof buf);
  int types[3] = {0}, count = 0;
  for (long off = 0; off < n;) {
    struct dirent64 *e = (struct dirent64 *)(buf + off);
    if (!strcmp(e->d_name, "file")) types[0] = e->d_type;
    if (!strcmp(e->d_name, "sub")) types[1] = e->d_type;
    if (!strcmp(e->d_name, "..")) types[2] = e->d_type;
    count++;
    off += e->d_reclen;
  }
  printf("entries %d, d_type file %d sub %d .. %d\n", count, types[0], types[1], types[2]);
  show("getdents64 at the end", syscall(SYS_getdents64, d, buf, sizeof buf));
  show("lseek a directory to 0", lseek(d, 0, SEEK_SET));
  show("getdents64 again", syscall(SYS_getdents64, d, buf, sizeof buf) > 0);
  int f = open(D "/file", O_RDONLY);
  show("openat with a file as dirfd", openat(f, "x", O_RDONLY));
  show("openat absolute ignores dirfd", openat(f, D "/file", O_RDONLY) >= 0);
  show("openat bad dirfd", openat(999, "x", O_RDONLY));
  show("openat bad dirfd absolute", openat(999, D "/file", O_RDONLY) >= 0);
  int p = open(D "/file", O_PATH);
  show("O_PATH fd", p >= 0);
  show("read on O_PATH", read(p, buf, 1));
  struct stat st;
  show("fstat on O_PATH", fstat(p, &st));
  show("fchdir to a file", fchdir(f));
  show("fchdir to a dir", fchdir(d));
  show("open relative after fchdir", open("file", O_RDONLY) >= 0);
  show("mkdir trailing slash", mkdir(D "/new/", 0755));
  show("unlink trailing slash on a file", unlink(D "/file/"));
  show("rmdir trailing slash", rmdir(D "/new/"));
  show("rmdir .", rmdir(D "/sub/."));
  show("rmdir ..", rmdir(D "/sub/.."));
  show("mkdir /", mkdir("/", 0755));
  show("rename to a path under a file", rename(D "/sub", D "/file/sub"));
  show("open /.. is /", open("/..", O_RDONLY | O_DIRECTORY) >= 0);
  show("stat /tmp/./ditto_dd/../ditto_dd/file", stat("/tmp/./ditto_dd/../ditto_dd/file", &st));
  char *longp = malloc(5000);
  memset(longp, 'a', 4999);
  longp[0] = '/';
  longp[4999] = 0;
  show("path longer than PATH_MAX", open(longp, O_RDONLY));
  show("getcwd", syscall(SYS_getcwd, buf, sizeof buf));
  printf("cwd %s\n", buf);
  show("unlinkat a file with a dirfd", unlinkat(d, "file", 0));
  show("rmdir sub", rmdir(D "/sub"));
  show("rmdir cwd", rmdir(D));
  show("getcwd of a removed dir", syscall(SYS_getcwd, buf, sizeof buf));
  show("open . in a removed dir", open(".", O_RDONLY) >= 0);
  show("create in a removed dir", open("x", O_CREAT | O_WRONLY, 0644));
  /* An open file that was unlinked has no links left. */
  show("chdir /", chdir("/"));
  int u = open("/tmp/ditto_dd_unlinked", O_CREAT | O_RDWR | O_TRUNC, 0600);
  unlink("/tmp/ditto_dd_unlinked");
  show("fstat nlink of an unlinked open file", fstat(u, &st) == 0 ? (long)st.st_nlink : -1);
  renamed_and_removed_cwd();
  return 0;
}
