/* race_teardown: main gives a job to a worker, and frees it early if the
 * worker's `finished` flag is already set (a flag check without waiting);
 * otherwise it joins the worker first. But the worker sets the flag before
 * its last use of the job (it checks the job's magic to log it).
 *
 * Bug: the worker sets finished = 1 and is preempted before its last use;
 * main sees the flag, poisons the job (magic = DEAD, as a destructor would)
 * and frees it; the worker then reads the poisoned magic: a use after
 * free, detected deterministically. Racing accesses: the worker's store of
 * finished < main's load of finished and store of job->magic (and free) <
 * the worker's load of job->magic.
 * Preemptions: 2 (main after pthread_create, so that the worker runs
 * before main's flag check; the worker between its store of finished and
 * the call to log_job()). Main then blocks in pthread_join.
 * Failure: "BUG: use after free ..." on stdout, exit 1.
 * Natively main checks the flag right after pthread_create, before the
 * worker has started, and takes the joining path; the worker's window is a
 * store and a call, with no system call in it.
 * FIXED: main always joins the worker before it destroys the job. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define LIVE 0x10b5a11eu
#define DEAD 0xdeadbeefu

struct job { volatile unsigned magic; int input, output; };
static atomic_int finished;

static __attribute__((noinline)) void log_job(struct job *j) {
  if (j->magic != LIVE) {           /* RACE: last use of the job */
    printf("BUG: use after free: the worker read a destroyed job\n");
    fflush(stdout);
    _exit(1);
  }
}

static void *worker(void *arg) {
  struct job *j = arg;
  j->output = j->input * 2;
  atomic_store(&finished, 1);       /* RACE: "finished", too early */
  log_job(j);
  return NULL;
}

static void destroy(struct job *j) {
  j->magic = DEAD;                  /* RACE: poison, then free */
  free(j);
}

int main(void) {
  struct job *j = malloc(sizeof *j);
  j->magic = LIVE, j->input = 21, j->output = 0;
  pthread_t t;
  pthread_create(&t, NULL, worker, j);
  int out = -1;
#ifndef FIXED
  if (atomic_load(&finished)) {     /* RACE: frees on the flag, without waiting */
    out = j->output;
    destroy(j);
    j = NULL;
  }
#endif
  pthread_join(t, NULL);
  if (j) {
    out = j->output;
    destroy(j);
  }
  printf("ok: result %d\n", out);
  return 0;
}
