/* Pipes as Linux has them: 64 KiB capacity (F_GETPIPE_SZ), EAGAIN when a
 * non-blocking write does not fit, PIPE_BUF writes are atomic, a big
 * blocking write completes as the reader drains it, EOF once every writer
 * (in every process) closed, EPIPE + SIGPIPE once every reader did. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

/* A new pipe in p and a child that reads it to EOF and says how much it
 * got; the parent keeps the write end. */
static pid_t spawn_reader(int p[2], const char *what) {
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    static char rb[4096];
    close(p[1]);
    long got = 0;
    ssize_t n;
    while ((n = read(p[0], rb, sizeof rb)) > 0) got += n;
    printf("child read %ld bytes%s, then EOF\n", got, what);
    _exit(0);
  }
  close(p[0]);
  return c;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  pipe2(p, O_NONBLOCK);
  show("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
  static char buf[1 << 20];
  memset(buf, 'x', sizeof buf);
  long total = 0, r;
  while ((r = write(p[1], buf, 1000)) > 0) total += r;
  printf("non-blocking writes filled %ld bytes, then %s\n", total, errname(errno));
  show("a PIPE_BUF write into 64000 of 65536: all or nothing", write(p[1], buf, 4096));
  char rb[4096];
  show("read 4096", read(p[0], rb, sizeof rb));
  show("then it fits", write(p[1], buf, 4096));
  show("F_SETPIPE_SZ 100000 rounds up", fcntl(p[1], F_SETPIPE_SZ, 100000));
  show("F_SETPIPE_SZ below the content", fcntl(p[1], F_SETPIPE_SZ, 4096));
  close(p[0]);
  close(p[1]);

  /* A blocking 1 MiB write into a child that reads everything. */
  pid_t c = spawn_reader(p, "");
  show("blocking 1 MiB write", write(p[1], buf, sizeof buf));
  close(p[1]);
  waitpid(c, NULL, 0);

  /* The same through writev: two 512 KiB pieces, all written. */
  c = spawn_reader(p, " from writev");
  struct iovec iov[2] = {{buf, sizeof buf / 2}, {buf + sizeof buf / 2, sizeof buf / 2}};
  show("blocking 1 MiB writev", writev(p[1], iov, 2));
  close(p[1]);
  waitpid(c, NULL, 0);

  /* EOF needs every writer closed, including a copy in another process. */
  pipe(p);
  pid_t holder = fork();
  if (holder == 0) {
    close(p[0]);
    usleep(2000);
    write(p[1], "late", 4);
    _exit(0); /* closes the last writer */
  }
  close(p[1]);
  ssize_t n = read(p[0], rb, sizeof rb);
  printf("read from the other writer: %zd\n", n);
  show("then EOF", read(p[0], rb, sizeof rb));
  waitpid(holder, NULL, 0);
  close(p[0]);

  /* No readers: EPIPE with SIGPIPE ignored; killed by SIGPIPE by default. */
  signal(SIGPIPE, SIG_IGN);
  pipe(p);
  close(p[0]);
  show("write without readers", write(p[1], "x", 1));
  close(p[1]);
  signal(SIGPIPE, SIG_DFL);
  pipe(p);
  int go[2];
  pipe(go);
  pid_t w = fork();
  if (w == 0) {
    close(p[0]);
    close(go[1]);
    char g;
    read(go[0], &g, 1); /* until the parent has closed the read end too */
    write(p[1], "x", 1);
    _exit(0);
  }
  close(p[0]);
  close(p[1]);
  close(go[0]);
  close(go[1]);
  int st;
  waitpid(w, &st, 0);
  printf("writer killed by SIGPIPE: %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
  return 0;
}
