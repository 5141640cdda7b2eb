/* RLIMIT_FSIZE against the host: a write that crosses the limit is cut
 * short there, one that starts at it raises SIGXFSZ and fails with EFBIG;
 * pwrite, ftruncate, truncate, fallocate and copy_file_range the same way;
 * shrinking, KEEP_SIZE and empty writes are free; pipes are not files; and
 * SIGXFSZ's default action kills (without a core while RLIMIT_CORE is 0). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

/* Above what this program prints, should stdout be a regular file. */
#define LIMIT 100000

static volatile sig_atomic_t xfsz;
static void on_xfsz(int sig) { (void)sig; xfsz++; }

static char buf[LIMIT];

static void report(const char *what, long r) {
  int seen = xfsz;
  xfsz = 0;
  if (r < 0) printf("%s = -1 %s, SIGXFSZ %d\n", what, errname(errno), seen);
  else printf("%s = %ld, SIGXFSZ %d\n", what, r, seen);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char dir[64], path[80], other[80];
  snprintf(dir, sizeof dir, "/tmp/ditto_fsize_%08d", (int)getpid());
  mkdir(dir, 0700);
  snprintf(path, sizeof path, "%s/f", dir);
  snprintf(other, sizeof other, "%s/g", dir);
  struct rlimit core = {0, RLIM_INFINITY};
  setrlimit(RLIMIT_CORE, &core);
  signal(SIGXFSZ, on_xfsz);
  struct rlimit rl = {LIMIT, RLIM_INFINITY};
  show("setrlimit", setrlimit(RLIMIT_FSIZE, &rl));
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  report("write under the limit", write(fd, buf, LIMIT - 1000));
  report("write across it", write(fd, buf, 4000));
  report("write at it", write(fd, buf, 1));
  report("empty write at it", write(fd, buf, 0));
  report("pwrite past it", pwrite(fd, buf, 10, LIMIT + 5));
  report("pwrite below it", pwrite(fd, buf, 10, 5));
  struct stat st;
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  report("ftruncate past it", ftruncate(fd, LIMIT + 1));
  report("ftruncate to it", ftruncate(fd, LIMIT));
  report("ftruncate down", ftruncate(fd, 5000));
  report("truncate past it", truncate(path, LIMIT * 2));
  report("fallocate past it", fallocate(fd, 0, 0, LIMIT + 4096));
  report("fallocate KEEP_SIZE past it", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, LIMIT + 4096));
  report("fallocate within it", fallocate(fd, 0, 0, 8192));
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  int out = open(other, O_CREAT | O_RDWR | O_TRUNC, 0600);
  lseek(fd, 0, SEEK_SET);
  loff_t at = LIMIT;
  report("copy_file_range to the limit", copy_file_range(fd, NULL, out, &at, 100, 0));
  at = LIMIT - 10;
  report("copy_file_range across it", copy_file_range(fd, NULL, out, &at, 100, 0));
  int p[2];
  pipe(p);
  report("a pipe is not a file", write(p[1], buf, 200));
  close(p[0]), close(p[1]);
  int app = open(path, O_WRONLY | O_APPEND);
  ftruncate(fd, LIMIT);
  report("O_APPEND at the limit", write(app, buf, 1));
  close(app);

  /* SIGXFSZ's default action. */
  pid_t c = fork();
  if (c == 0) {
    signal(SIGXFSZ, SIG_DFL);
    pwrite(fd, buf, 1, LIMIT);
    _exit(0);
  }
  int status;
  waitpid(c, &status, 0);
  printf("child: signaled %d sig %d core %d\n", WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0,
         WIFSIGNALED(status) ? WCOREDUMP(status) != 0 : 0);
  /* Ignored, the write just fails. */
  signal(SIGXFSZ, SIG_IGN);
  report("ignored", pwrite(fd, buf, 1, LIMIT));
  close(fd), close(out);
  unlink(path), unlink(other);
  rmdir(dir);
  return 0;
}
