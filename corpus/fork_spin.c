/* A process that starts another task and then spins without blocking until
 * that task has done something: on a MAP_SHARED flag, on a non-blocking pipe
 * read that answers EAGAIN, and on a flag a thread sets. The scheduler must
 * preempt the spinner (Linux's does), or the run never ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpus.h"

static atomic_int thread_flag;

static void *set_flag(void *arg) {
  (void)arg;
  atomic_store(&thread_flag, 1);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  volatile int *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t p = fork();
  if (p == 0) {
    *flag = 1;
    _exit(7);
  }
  while (!*flag) {
  }
  printf("the child set the shared flag; it exited %ld\n", wait_code(p));

  int fds[2];
  if (pipe2(fds, O_NONBLOCK) != 0) return 1;
  p = fork();
  if (p == 0) {
    if (write(fds[1], "x", 1) != 1) _exit(1);
    _exit(0);
  }
  char c = 0;
  /* Whether EAGAIN came first depends on the host's timing: not printed. */
  while (read(fds[0], &c, 1) < 0 && errno == EAGAIN) {
  }
  printf("read '%c' from the child; it exited %ld\n", c, wait_code(p));

  pthread_t t;
  pthread_create(&t, NULL, set_flag, NULL);
  while (!atomic_load(&thread_flag)) {
  }
  pthread_join(t, NULL);
  printf("the thread set its flag\n");
  return 0;
}
