/* Things that are cheap on Linux stay cheap: 100,000 open descriptors
 * (each open takes the lowest free one), a directory tree 100,000 levels
 * deep made and removed with relative mkdir/chdir/rmdir, and /proc opens
 * while 100 other processes live. Ditto once took quadratic time on each
 * (the deep tree did not finish in 300 s); the test's timeout bounds it.
 * Prints only what Linux decides, so that native and Ditto runs compare. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

enum { kFiles = 100000, kDepth = 100000, kChildren = 100 };

int main(void) {
  char top[] = "/tmp/scale_cliffs.XXXXXX";
  if (!mkdtemp(top) || chdir(top) != 0) return 1;

  /* Descriptors: as many as the limit allows, up to kFiles. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = kFiles + 16;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) want = rl.rlim_max;
  rl.rlim_cur = want;
  setrlimit(RLIMIT_NOFILE, &rl);
  int fd = open("f", O_CREAT | O_RDWR, 0600);
  int last = fd, opened = 1;
  while ((fd = open("f", O_RDONLY)) >= 0) {
    if (fd != last + 1) {
      printf("open gave %d after %d\n", fd, last);
      return 1;
    }
    last = fd;
    ++opened;
  }
  show("open past the limit", fd);
  printf("descriptors were handed out in order: %s\n", opened > 1000 ? "yes" : "no");
  close(500);
  close(200);
  show("lowest free after closing 500 and 200", open("f", O_RDONLY));
  show("next", open("f", O_RDONLY));
  show("next (full again)", open("f", O_RDONLY));
  for (int i = 3; i <= last; ++i) close(i);
  show("after closing all", open("f", O_RDONLY));
  close(3);
  unlink("f");

  /* A deep tree, relative names only. */
  int depth = 0;
  while (depth < kDepth && mkdir("d", 0755) == 0 && chdir("d") == 0) ++depth;
  printf("depth reached: %d\n", depth);
  /* The raw syscall: glibc's getcwd() would walk ".." itself after it. */
  char buf[64];
  show("getcwd at the bottom", syscall(SYS_getcwd, buf, sizeof buf));
  show("stat(\"..\")", stat("..", &(struct stat){0}));
  int removed = 0;
  while (depth > 0 && chdir("..") == 0 && rmdir("d") == 0) --depth, ++removed;
  printf("removed %d levels\n", removed);

  /* /proc with many processes. */
  pid_t kids[kChildren];
  for (int i = 0; i < kChildren; ++i) {
    kids[i] = fork();
    if (kids[i] == 0) {
      pause();
      _exit(0);
    }
  }
  int ok = 0;
  for (int i = 0; i < 2000; ++i) {
    int f = open("/proc/self/status", O_RDONLY);
    if (f >= 0) ++ok, close(f);
  }
  printf("/proc/self/status opened %d times with %d children\n", ok, kChildren);
  snprintf(buf, sizeof buf, "/proc/%d/stat", kids[kChildren / 2]);
  show("a child's /proc stat", access(buf, R_OK));
  for (int i = 0; i < kChildren; ++i) kill(kids[i], SIGKILL);
  int reaped = 0;
  for (int i = 0; i < kChildren; ++i)
    if (wait_code(kids[i]) == 128 + SIGKILL) ++reaped;
  printf("children killed and reaped: %d\n", reaped);
  show("the child's /proc stat after", access(buf, R_OK));
  chdir("/");
  show("rmdir top", rmdir(top));
  return 0;
}
