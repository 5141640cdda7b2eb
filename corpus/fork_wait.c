/* Processes: fork, exit statuses through wait4/waitpid, WNOHANG, ECHILD,
 * pipes between processes (blocking reads, EOF when the last writer closes,
 * EPIPE/SIGPIPE when the last reader closes), kill with default actions,
 * vfork + _exit, fork + execve, process groups. Prints no pid values. */
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static void describe(const char *what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %s%s\n", what, strsignal(WTERMSIG(st)), WCOREDUMP(st) ? " (core)" : "");
  else printf("%s: status %#x\n", what, st);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) {
    printf("exec mode: argv[1]=%s FROM_EXEC=%s\n", argv[1], getenv("FROM_EXEC"));
    return 42;
  }
  int st;
  /* Exit codes, reaped in an order of our choosing. */
  pid_t kids[3];
  for (int i = 0; i < 3; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(10 + i);
  }
  for (int i = 2; i >= 0; i--) {
    pid_t r = waitpid(kids[i], &st, 0);
    printf("waitpid got the right child: %d\n", r == kids[i]);
    describe("child", st);
  }
  show("wait with no children", wait(&st));

  /* A pipe: the child writes slowly, the parent blocks in read. */
  int p[2];
  pipe(p);
  pid_t w = fork();
  if (w == 0) {
    close(p[0]);
    for (int i = 0; i < 3; i++) {
      char msg[32];
      int n = snprintf(msg, sizeof msg, "line %d\n", i);
      write(p[1], msg, n);
      usleep(1000);
    }
    _exit(0);
  }
  close(p[1]);
  char buf[128];
  int total = 0;
  ssize_t n;
  while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
  buf[total] = 0;
  printf("read until EOF: %d bytes: %s", total, buf);
  close(p[0]);
  waitpid(w, &st, 0);
  describe("writer", st);

  /* WNOHANG while the child still runs, then SIGTERM kills it. */
  int q[2];
  pipe(q);
  pid_t sleeper = fork();
  if (sleeper == 0) {
    close(q[1]);
    read(q[0], buf, 1); /* blocks forever */
    _exit(99);
  }
  show("waitpid WNOHANG on a running child", waitpid(sleeper, &st, WNOHANG));
  show("kill SIGTERM", kill(sleeper, SIGTERM));
  waitpid(sleeper, &st, 0);
  describe("sleeper", st);
  close(q[0]);
  close(q[1]);
  show("kill a reaped child", kill(sleeper, SIGTERM));

  /* Writing to a pipe nobody reads: EPIPE, and SIGPIPE kills by default. */
  int r[2], go[2];
  pipe(r);
  pipe(go);
  pid_t pw = fork();
  if (pw == 0) {
    close(r[0]);
    close(go[1]);
    char g;
    read(go[0], &g, 1); /* until the parent has closed its read end too */
    write(r[1], "x", 1);
    _exit(0);
  }
  close(r[0]);
  close(r[1]);
  close(go[0]);
  close(go[1]); /* EOF on `go`: the child goes on */
  waitpid(pw, &st, 0);
  describe("writer to a closed pipe", st);
  signal(SIGPIPE, SIG_IGN);
  pipe(r);
  close(r[0]);
  show("write with SIGPIPE ignored", write(r[1], "x", 1));
  close(r[1]);

  /* vfork: the parent waits until the child exits. */
  pid_t v = vfork();
  if (v == 0) _exit(7);
  waitpid(v, &st, 0);
  describe("vfork child", st);

  /* fork + exec of this same program in "exec mode". */
  pid_t e = fork();
  if (e == 0) {
    char *args[] = {argv[0], "exec-mode", NULL};
    char *env[] = {"FROM_EXEC=yes", NULL};
    execve(argv[0], args, env);
    _exit(127);
  }
  waitpid(e, &st, 0);
  describe("exec'd child", st);
  show("execve of a missing file", execve("/nonexistent", argv, NULL));
  show("execveat bad flags", syscall(SYS_execveat, AT_FDCWD, argv[0], argv, NULL, 0x4));
  int dirfd = open("/tmp", O_RDONLY | O_DIRECTORY);
  show("execveat relative to /tmp, missing", syscall(SYS_execveat, dirfd, "nope", argv, NULL, 0));
  close(dirfd);
  pid_t ea = fork();
  if (ea == 0) {
    /* execveat(fd, "", AT_EMPTY_PATH): run the program open on fd. */
    int fd = open(argv[0], O_RDONLY);
    char *args[] = {argv[0], "exec-mode", NULL};
    char *env[] = {"FROM_EXEC=via-execveat", NULL};
    syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
    _exit(126);
  }
  waitpid(ea, &st, 0);
  describe("execveat AT_EMPTY_PATH child", st);
  show("execve of a directory", execve("/tmp", argv, NULL));

  /* Process groups. */
  pid_t g = fork();
  if (g == 0) {
    setpgid(0, 0);
    printf("child leads its group: %d\n", getpgrp() == getpid());
    _exit(0);
  }
  waitpid(g, &st, 0);
  printf("parent group unchanged: %d\n", getpgrp() != g);
  show("setpgid of a stranger", setpgid(1, 0));
  show("waitpid bad options", waitpid(-1, &st, 0x1000));
  return 3;
}
