/* Children belong to the thread that forked them (Linux's real_parent):
 * wait(__WNOTHREAD) sees only the caller's own; a plain wait sees the whole
 * group's, the caller's first; when the forking thread exits its children
 * pass to another thread of the group and PR_SET_PDEATHSIG fires. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#ifndef __WNOTHREAD
#define __WNOTHREAD 0x20000000
#endif

static pid_t spawn(int code) {
  pid_t p = fork();
  if (p == 0) _exit(code);
  return p;
}

/* Blocks until `pid` is a zombie, without reaping it. */
static void until_zombie(pid_t pid) {
  siginfo_t si;
  waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
}

static void wait_show(const char *who, int options) {
  int st = 0;
  pid_t r = waitpid(-1, &st, options);
  if (r < 0) printf("%s: -1 %s\n", who, errname(errno));
  else printf("%s: a child exited with %d\n", who, WEXITSTATUS(st));
}

static pid_t main_child, thread_child;

static void *first(void *arg) {
  (void)arg;
  wait_show("thread, __WNOTHREAD, main has a child", __WNOTHREAD);
  wait_show("thread, no flag: main's child", 0);
  thread_child = spawn(12);
  return NULL;
}

static int sync_pipe[2], report_pipe[2];

static void on_pdeath(int sig) {
  char msg[64];
  int n = snprintf(msg, sizeof msg, "pdeath signal %d\n", sig);
  write(report_pipe[1], msg, (size_t)n);
}

static int go_pipe[2], done_pipe[2];

/* Forks a child, tells main, and stays alive until main has waited. */
static void *forker_staying(void *arg) {
  (void)arg;
  thread_child = spawn(12);
  write(go_pipe[1], "g", 1);
  char c;
  read(done_pipe[0], &c, 1);
  wait_show("thread, __WNOTHREAD, after main reaped its child", __WNOTHREAD | WNOHANG);
  return NULL;
}

static pid_t pdeath_child;

static void *forker_then_exit(void *arg) {
  (void)arg;
  pdeath_child = fork();
  if (pdeath_child == 0) {
    signal(SIGUSR1, on_pdeath);
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    write(sync_pipe[1], "r", 1);
    for (;;) pause();
  }
  char c;
  read(sync_pipe[0], &c, 1);  /* the child is ready */
  return NULL;                /* this thread exits: the child gets SIGUSR1 */
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  main_child = spawn(11);
  pthread_t t;
  pthread_create(&t, NULL, first, NULL);
  pthread_join(t, NULL);
  /* The thread that forked it is gone: the child is main's now. */
  wait_show("main, __WNOTHREAD, child of a finished thread", __WNOTHREAD);

  /* Two zombies, the thread's forked first: main's own comes first. */
  pipe(go_pipe);
  pipe(done_pipe);
  pthread_create(&t, NULL, forker_staying, NULL);
  char g;
  read(go_pipe[0], &g, 1);
  pid_t mine = spawn(14);
  until_zombie(thread_child);
  until_zombie(mine);
  wait_show("main, two zombies", 0);
  wait_show("main, __WNOTHREAD, only the thread's left", __WNOTHREAD | WNOHANG);
  wait_show("main, the other", 0);
  write(done_pipe[1], "d", 1);
  pthread_join(t, NULL);
  wait_show("main, none left", WNOHANG);

  pipe(sync_pipe);
  pipe(report_pipe);
  pthread_create(&t, NULL, forker_then_exit, NULL);
  pthread_join(t, NULL);
  char buf[128];
  ssize_t n = read(report_pipe[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("child says: %s", buf);
  printf("child's parent thread gone; main kills and reaps it\n");
  kill(pdeath_child, SIGKILL);
  int st;
  pid_t r = waitpid(pdeath_child, &st, __WNOTHREAD);
  printf("main, __WNOTHREAD: reaped it: %d, killed by %d\n", r == pdeath_child, WTERMSIG(st));
  return 0;
}
