/* File attributes and who may change them (fs/attr.c, fs/open.c,
 * fs/utimes.c): chmod/fchmod/fchmodat/fchmodat2, chown/fchown/lchown/
 * fchownat, utimensat/futimens/utimes/utime, as root and as an
 * unprivileged user:
 * - modes through paths, symlinks (followed; a symlink's own mode cannot
 *   change: EOPNOTSUPP), descriptors (not O_PATH ones: EBADF); symlink()
 *   and its errors (EEXIST even over a dangling link, ENOENT);
 * - chown clears set-user-ID (and set-group-ID with group exec) of files;
 *   lchown changes the link; a set-group-ID directory gives its group and
 *   its bit to what is made in it; new files belong to their creator;
 * - explicit times, UTIME_NOW, UTIME_OMIT, and their argument checks;
 * - an unprivileged user: EPERM to chmod or chown what it does not own, to
 *   give away its file or set explicit times on another's; "now" needs
 *   write permission (EACCES). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "corpus.h"

static char dir[64], file[96], link_path[96], other[96];

static void show_mode(const char *what, const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    printf("%s: lstat -1 %s\n", what, errname(errno));
    return;
  }
  printf("%s: mode %04o uid %u gid %u\n", what, st.st_mode & 07777, st.st_uid, st.st_gid);
}

static void modes(void) {
  int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  close(fd);
  show("chmod(0600)", chmod(file, 0600));
  show_mode("after chmod", file);
  fd = open(file, O_RDONLY);
  show("fchmod(0755)", fchmod(fd, 0755));
  show_mode("after fchmod", file);
  close(fd);
  show("fchmodat(0640)", fchmodat(AT_FDCWD, file, 0640, 0));
  show_mode("after fchmodat", file);
  show("symlink", symlink(file, link_path));
  char dangling[128], buf[64];
  snprintf(dangling, sizeof dangling, "%s/dangling", dir);
  show("symlink(over an existing name)", symlink("x", file));
  show("symlink(empty target)", symlink("", dangling));
  show("symlink(in a missing directory)", symlink("x", "/tmp/ditto-no-such-dir/x"));
  show("symlink(dangling)", symlink("/ditto-no-such/target", dangling));
  ssize_t n = readlink(dangling, buf, sizeof buf);
  printf("  readlink: %.*s\n", (int)(n > 0 ? n : 0), buf);
  show("symlink(over a dangling link)", symlink("y", dangling));
  unlink(dangling);
  show("chmod(symlink, 0604)", chmod(link_path, 0604));
  show_mode("the target", file);
  show("fchmodat2(symlink, AT_SYMLINK_NOFOLLOW)", syscall(452, AT_FDCWD, link_path, 0600, AT_SYMLINK_NOFOLLOW));
  show("fchmodat2(bad flags)", syscall(452, AT_FDCWD, file, 0600, 0x8000));
  show("chmod(missing)", chmod("/tmp/ditto-no-such-file", 0600));
  show("chmod(NULL)", syscall(SYS_chmod, NULL, 0600));
  show("fchmod(bad fd)", fchmod(999, 0600));
  fd = open(file, O_PATH);
  show("fchmod(O_PATH fd)", fchmod(fd, 0600));
  close(fd);
  show("chmod(07777)", chmod(file, 07777));
  show_mode("all bits", file);
  show("chmod(0100644): file type bits ignored", chmod(file, 0100644));
  show_mode("after", file);
}

static void owners(void) {
  chmod(file, 06755);
  show("chown(1000, 1000)", chown(file, 1000, 1000));
  show_mode("set-ids cleared", file);
  chmod(file, 02745); /* set-group-ID without group exec stays */
  show("chown(-1, 1001)", chown(file, -1, 1001));
  show_mode("group changed", file);
  show("lchown(symlink, 7, 8)", lchown(link_path, 7, 8));
  show_mode("the link", link_path);
  show_mode("the target", file);
  show("fchownat(bad flags)", fchownat(AT_FDCWD, file, 1, 1, 0x4));
  int fd = open(file, O_RDONLY);
  show("fchown(0, 0)", fchown(fd, 0, 0));
  close(fd);
  show("fchownat(AT_EMPTY_PATH)", fchownat(open(file, O_RDONLY), "", 5, 5, AT_EMPTY_PATH));
  show_mode("after", file);
  chown(file, 0, 0);

  /* A set-group-ID directory. */
  char sgid[96], inner[128], sub[128];
  snprintf(sgid, sizeof sgid, "%s/sgid", dir);
  mkdir(sgid, 0775);
  chown(sgid, 0, 1234);
  chmod(sgid, 02775);
  snprintf(inner, sizeof inner, "%s/f", sgid);
  snprintf(sub, sizeof sub, "%s/d", sgid);
  close(open(inner, O_CREAT | O_WRONLY, 0644));
  mkdir(sub, 0755);
  show_mode("file in a set-group-ID directory", inner);
  show_mode("directory in it", sub);
  unlink(inner);
  rmdir(sub);
  rmdir(sgid);
}

static void times(void) {
  struct timespec ts[2] = {{1000000000, 500}, {1200000000, 999999999}};
  show("utimensat(explicit)", utimensat(AT_FDCWD, file, ts, 0));
  struct stat st;
  stat(file, &st);
  printf("  atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  struct timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  struct timespec before;
  clock_gettime(CLOCK_REALTIME, &before);
  show("utimensat(OMIT, NOW)", utimensat(AT_FDCWD, file, omit_now, 0));
  stat(file, &st);
  printf("  atime kept: %s, mtime now: %s\n", st.st_atim.tv_sec == 1000000000 ? "yes" : "no",
         st.st_mtim.tv_sec >= before.tv_sec ? "yes" : "no");
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  show("utimensat(nsec 1e9)", utimensat(AT_FDCWD, file, bad, 0));
  show("utimensat(bad flags)", utimensat(AT_FDCWD, file, ts, 0x4));
  show("utimensat(bad times pointer)", syscall(SYS_utimensat, AT_FDCWD, file, (void *)8, 0));
  show("utimensat(AT_FDCWD, NULL path)", syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));
  int fd = open(file, O_RDONLY);
  show("futimens", futimens(fd, ts));
  show("utimensat(fd, NULL, AT_SYMLINK_NOFOLLOW)", syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW));
  close(fd);
  struct timeval tv[2] = {{300, 1}, {400, 2}};
  show("utimes", utimes(file, tv));
  stat(file, &st);
  printf("  atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
  show("utimes(usec 1000000)", utimes(file, badtv));
  struct utimbuf ub = {500, 600};
  show("utime", utime(file, &ub));
  stat(file, &st);
  printf("  atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  show("utimensat(symlink, AT_SYMLINK_NOFOLLOW)", utimensat(AT_FDCWD, link_path, ts, AT_SYMLINK_NOFOLLOW));
  lstat(link_path, &st);
  printf("  the link's mtime %ld\n", (long)st.st_mtim.tv_sec);
}

static void unprivileged(void) {
  close(open(other, O_CREAT | O_WRONLY, 0666));
  chmod(other, 0666);
  chmod(dir, 0777);
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    show("nobody: chmod(root's file)", chmod(file, 0777));
    show("nobody: chown(root's file, nobody)", chown(file, 65534, 65534));
    struct timespec ts[2] = {{5, 0}, {6, 0}};
    show("nobody: utimensat(root's file, explicit)", utimensat(AT_FDCWD, other, ts, 0));
    show("nobody: utimensat(root's 0666 file, now)", utimensat(AT_FDCWD, other, NULL, 0));
    chmod(file, 0644);
    show("nobody: utimensat(root's 0644 file, now)", utimensat(AT_FDCWD, file, NULL, 0));
    char mine[128];
    snprintf(mine, sizeof mine, "%s/mine", dir);
    close(open(mine, O_CREAT | O_WRONLY, 0644));
    show_mode("nobody's new file", mine);
    show("nobody: chmod(own file, 0600)", chmod(mine, 0600));
    show("nobody: chown(own file, root)", chown(mine, 0, -1));
    show("nobody: chown(own file, -1, group 0)", chown(mine, -1, 0));
    show("nobody: chown(own file, itself)", chown(mine, 65534, 65534));
    show("nobody: chmod(own file, 02755) as a group member", chmod(mine, 02755));
    show_mode("nobody's file", mine);
    unlink(mine);
    _exit(0);
  }
  wait_code(c);
  chmod(dir, 0755);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  umask(022);
  snprintf(dir, sizeof dir, "/tmp/ditto-attrs-%d", (int)getpid());
  snprintf(file, sizeof file, "%s/file", dir);
  snprintf(link_path, sizeof link_path, "%s/link", dir);
  snprintf(other, sizeof other, "%s/other", dir);
  if (mkdir(dir, 0755) != 0) return 1;
  modes();
  owners();
  times();
  unprivileged();
  unlink(link_path);
  unlink(file);
  unlink(other);
  rmdir(dir);
  return 0;
}
