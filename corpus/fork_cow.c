/* fork() keeps private mappings private: read-only mappings that parent and
 * child later make writable (RELRO-style mprotect), madvise(MADV_DONTNEED) on
 * them, partial mprotect, mremap, and a private read-only file mapping. After
 * each change the other process must still see the old bytes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static const char rodata_text[] = "the program's own read-only data";

static unsigned sum(const unsigned char *p, size_t n) {
  unsigned s = 0;
  for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
  return s;
}

static void fill(unsigned char *p, size_t n, int seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 7 + seed);
}

static int pipe_wait(int fd) {
  char c;
  return read(fd, &c, 1) == 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const size_t len = 16 * 4096;
  unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(a, len, 1);
  show("mprotect(a, READ)", mprotect(a, len, PROT_READ));
  unsigned before = sum(a, len);

  /* A private file mapping, read-only. */
  const char *path = "/tmp/ditto_fork_cow.dat";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  unsigned char page[4096];
  fill(page, sizeof page, 9);
  write(fd, page, sizeof page);
  unsigned char *f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  unlink(path);

  int to_child[2], to_parent[2];
  pipe(to_child);
  pipe(to_parent);
  pid_t pid = fork();
  if (pid == 0) {
    /* Child: make half of `a` writable and scribble on it. */
    printf("child: same bytes after fork: %d\n", sum(a, len) == before);
    show("child: mprotect(a + 4 pages, 8 pages, RW)", mprotect(a + 4 * 4096, 8 * 4096, PROT_READ | PROT_WRITE));
    memset(a + 4 * 4096, 0xcc, 8 * 4096);
    printf("child: a[0]=%d a[4*4096]=%d a[12*4096]=%d\n", a[0], a[4 * 4096], a[12 * 4096]);
    show("child: mprotect(f, RW)", mprotect(f, 4096, PROT_READ | PROT_WRITE));
    f[0] = 0xee;
    write(to_parent[1], "x", 1);
    pipe_wait(to_child[0]);
    /* The parent has written its copy: ours is unchanged. */
    printf("child: a[0]=%d a[15*4096+5]=%d f[0]=%d rodata=%s\n", a[0], a[15 * 4096 + 5], f[0], rodata_text);
    show("child: madvise(a, DONTNEED)", madvise(a, 4096, MADV_DONTNEED));
    printf("child: a[0] after DONTNEED=%d a[1]=%d\n", a[0], a[1]);
    /* mremap a still read-only part (grown in place or moved, as the layout
     * allows): the contents follow. */
    unsigned char *m = mremap(a + 12 * 4096, 4 * 4096, 8 * 4096, MREMAP_MAYMOVE);
    printf("child: mremap m[0]=%d m[4*4096-1]=%d m[4*4096]=%d\n", m[0],
           m[4 * 4096 - 1], m[4 * 4096]);
    _exit(0);
  }
  pipe_wait(to_parent[0]);
  /* The child's writes are its own. */
  printf("parent: same bytes after child wrote: %d f[0]=%d\n", sum(a, len) == before, f[0]);
  show("parent: mprotect(a, RW)", mprotect(a, len, PROT_READ | PROT_WRITE));
  a[0] = 0xaa;
  a[15 * 4096 + 5] = 0xbb;
  show("parent: mprotect(f, RW)", mprotect(f, 4096, PROT_READ | PROT_WRITE));
  f[0] = 0xdd;
  write(to_child[1], "x", 1);
  int st;
  waitpid(pid, &st, 0);
  printf("parent: child status %d; a[0]=%d a[4*4096]=%d f[0]=%d f[1]=%d\n", st, a[0], a[4 * 4096], f[0], f[1]);

  /* A second generation: fork twice from a frozen mapping, each child
   * thaws its own copy; the grandparent's copy stays. */
  show("mprotect(a, READ) again", mprotect(a, len, PROT_READ));
  for (int i = 0; i < 2; i++) {
    pid_t c = fork();
    if (c == 0) {
      mprotect(a, len, PROT_READ | PROT_WRITE);
      a[100] = (unsigned char)(50 + i);
      pid_t g = fork();
      if (g == 0) {
        printf("grandchild %d: a[100]=%d\n", i, a[100]);
        _exit(0);
      }
      waitpid(g, NULL, 0);
      _exit(a[100]);
    }
    waitpid(c, &st, 0);
    printf("child %d exited %d; a[100]=%d\n", i, WEXITSTATUS(st), a[100]);
  }
  return 0;
}
