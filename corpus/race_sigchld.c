/* race_sigchld: the parent forks CHILDREN children that exit (almost) at once,
 * and records each pid in a table after fork() returns. The SIGCHLD handler
 * reaps children with waitpid(WNOHANG) and marks their table entry.
 *
 * Bug: a child exits and the parent takes SIGCHLD after fork() returned
 * but before it stored the pid in the table: the handler reaps a pid it
 * cannot find, so that child is never accounted for. Racing accesses: the
 * handler's lookup in the table (run because of the child's exit) and the
 * parent's store of the pid into the table.
 * Preemptions: 1 (the parent between fork's return and its table store;
 * the child runs and exits; the signal is delivered when the parent runs
 * again, before the store).
 * Failure: "BUG: ..." on stdout, exit 1 (without the `lost` check the
 * parent would wait for that child forever).
 * Natively a child that exits at once beats the parent's store often (a
 * third of the runs on a 2-vCPU VM), so the child first pre-faults 16 MiB
 * (see child()); then the native failure is rare.
 * FIXED: SIGCHLD is blocked from before fork() until the pid is stored. */
#define _GNU_SOURCE /* MAP_POPULATE */
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 2

static volatile pid_t table[CHILDREN];
static volatile sig_atomic_t exited[CHILDREN], lost;

static void on_sigchld(int sig) {
  (void)sig;
  pid_t p;
  int st;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    int found = 0;
    for (int i = 0; i < CHILDREN; i++)
      if (table[i] == p) exited[i] = 1, found = 1;   /* RACE: lookup of the pid */
    if (!found) lost++;                               /* reaped, but not in the table yet */
  }
}

/* The child pre-faults a 16 MiB buffer and exits. This is only there to
 * make the bug rare natively: it takes milliseconds on a real kernel, so
 * the parent has long recorded the pid; under Ditto it is one system call
 * that does not block, so the child's exit can still come first. */
static void child(void) {
  mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  _exit(0);
}

static int all_accounted(void) {
  for (int i = 0; i < CHILDREN; i++)
    if (!exited[i]) return 0;
  return 1;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (int i = 0; i < CHILDREN; i++) {
#ifdef FIXED
    sigprocmask(SIG_BLOCK, &chld, &old);
#endif
    pid_t p = fork();
    if (p == 0) child();
    table[i] = p;                                     /* RACE: the pid is recorded after fork returns */
#ifdef FIXED
    sigprocmask(SIG_SETMASK, &old, NULL);
#endif
  }
  /* Wait for every child with SIGCHLD blocked except inside sigsuspend. */
  sigprocmask(SIG_BLOCK, &chld, &old);
  while (!all_accounted() && !lost) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (lost) {
    printf("BUG: SIGCHLD handler reaped a child before its pid was recorded\n");
    return 1;
  }
  printf("ok: every child accounted for\n");
  return 0;
}
