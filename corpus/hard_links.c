/* link(2)/linkat(2) against the host, in a tmpfs directory (/dev/shm):
 * st_nlink as names come and go, data that survives the removal of one
 * name, rename over a link, a link to a symlink with and without
 * AT_SYMLINK_FOLLOW, AT_EMPTY_PATH on an open descriptor (also after its
 * last name is gone), and the errno of each refused case. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

static char dir[64];

static const char *at(const char *name) {
  static char buf[4][128];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
  return buf[i];
}

static void nlink_of(const char *name) {
  struct stat s;
  if (lstat(at(name), &s) != 0) printf("lstat %s = -1 %s\n", name, errname(errno));
  else printf("%s: nlink %ld %s\n", name, (long)s.st_nlink, S_ISLNK(s.st_mode) ? "symlink" : S_ISREG(s.st_mode) ? "file" : "other");
}

static void contents(const char *name) {
  char buf[64] = {0};
  int fd = open(at(name), O_RDONLY);
  if (fd < 0) {
    printf("open %s = -1 %s\n", name, errname(errno));
    return;
  }
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("%s holds %ld bytes: %s\n", name, n, buf);
}

int main(void) {
  snprintf(dir, sizeof dir, "/dev/shm/ditto_links_%d", (int)getpid());
  if (mkdir(dir, 0700) != 0) return 1;
  int fd = open(at("a"), O_RDWR | O_CREAT, 0644);
  write(fd, "first", 5);
  close(fd);

  show("link a b", link(at("a"), at("b")));
  show("linkat a c", linkat(AT_FDCWD, at("a"), AT_FDCWD, at("c"), 0));
  nlink_of("a");
  fd = open(at("b"), O_WRONLY | O_APPEND);
  write(fd, "+b", 2);
  close(fd);
  contents("c");
  show("unlink a", unlink(at("a")));
  nlink_of("b");
  contents("b");

  /* The ctime of the inode changes with its link count; the mtime does not. */
  struct stat before, after;
  stat(at("b"), &before);
  usleep(20000);
  link(at("b"), at("d"));
  stat(at("b"), &after);
  printf("link changes ctime: %d, mtime: %d\n", after.st_ctim.tv_nsec != before.st_ctim.tv_nsec || after.st_ctime != before.st_ctime,
         after.st_mtim.tv_nsec != before.st_mtim.tv_nsec || after.st_mtime != before.st_mtime);
  nlink_of("c");

  /* rename of one name over another name of the same inode does nothing. */
  show("rename b over c", rename(at("b"), at("c")));
  nlink_of("b");
  nlink_of("c");
  fd = open(at("e"), O_RDWR | O_CREAT, 0644);
  write(fd, "other", 5);
  close(fd);
  show("rename e over d", rename(at("e"), at("d")));
  nlink_of("c");
  contents("d");

  /* Symlinks: the link itself, or (AT_SYMLINK_FOLLOW) its target. */
  symlink("c", at("s"));
  show("linkat s s1", linkat(AT_FDCWD, at("s"), AT_FDCWD, at("s1"), 0));
  show("linkat s s2 follow", linkat(AT_FDCWD, at("s"), AT_FDCWD, at("s2"), AT_SYMLINK_FOLLOW));
  nlink_of("s");
  nlink_of("s1");
  nlink_of("s2");
  nlink_of("c");

  /* Refusals. */
  show("link to existing", link(at("c"), at("d")));
  show("link missing", link(at("nothing"), at("x")));
  show("link into missing dir", link(at("c"), at("no/x")));
  show("link to trailing slash", link(at("c"), at("x/")));
  show("link from trailing slash", link(at("c/"), at("x")));
  show("link to existing, trailing slash", link(at("c"), at("d/")));
  show("symlink to trailing slash", symlink("c", at("y/")));
  mkdir(at("sub"), 0700);
  show("link a directory", link(at("sub"), at("x")));
  show("linkat bad flags", linkat(AT_FDCWD, at("c"), AT_FDCWD, at("x"), 0x1));
  show("linkat bad dirfd", linkat(99, "c", AT_FDCWD, at("x"), 0));
  show("link bad pointer", syscall(SYS_link, (void *)8, at("x")));
  show("link empty old", link("", at("x")));
  show("linkat empty, no flag", linkat(AT_FDCWD, "", AT_FDCWD, at("x"), 0));

  /* AT_EMPTY_PATH: the file a descriptor is open on (root only). */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  fd = open(at("c"), O_RDONLY);
  show("linkat fd empty path", linkat(fd, "", dfd, "byfd", AT_EMPTY_PATH));
  nlink_of("byfd");
  int tmp = open(at("gone"), O_RDWR | O_CREAT, 0644);
  unlink(at("gone"));
  show("linkat unlinked fd", linkat(tmp, "", dfd, "revived", AT_EMPTY_PATH));
  show("linkat dir fd empty path", linkat(dfd, "", dfd, "dirlink", AT_EMPTY_PATH));
  show("linkat relative", linkat(dfd, "c", dfd, "rel", 0));
  nlink_of("rel");
  close(fd);
  close(tmp);

  const char *names[] = {"a", "b", "c", "d", "e", "s", "s1", "s2", "byfd", "revived", "rel", "x"};
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++) unlink(at(names[i]));
  rmdir(at("sub"));
  close(dfd);
  show("rmdir", rmdir(dir));
  return 0;
}
