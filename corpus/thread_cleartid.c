/* CLONE_CHILD_CLEARTID / set_tid_address (kernel/fork.c:mm_release()): when
 * a thread exits while others still use the address space, its tid word is
 * zeroed and one futex waiter woken (seen here from another process through
 * MAP_SHARED memory); the last user of the address space leaves its word
 * alone. Threads are raw clones that make only raw syscalls. */
#define _GNU_SOURCE
#define FUTEX_WAIT 0 /* <linux/futex.h>: not among musl-gcc's headers */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static volatile int32_t *words; /* MAP_SHARED: seen by every process here */

static int exit_thread(void *arg) {
  (void)arg;
  syscall(SYS_exit, 0);
  return 0;
}

/* Waits until the main thread's word is zero, then ends the whole group. */
static int last_one_out(void *arg) {
  (void)arg;
  while (__atomic_load_n(&words[2], __ATOMIC_SEQ_CST) != 0) syscall(SYS_sched_yield);
  syscall(SYS_exit_group, 3);
  return 0;
}

static void *pthread_exits(void *arg) {
  (void)arg;
  usleep(1000);
  pthread_exit((void *)42);
}

static char *stack_top(void) {
  char *s = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return s + 64 * 1024;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  words = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

  /* 1. A thread exits while main lives: its word is cleared, and a waiter
   *    in another process is woken. */
  words[0] = -1; /* CLONE_CHILD_SETTID puts the tid here, the exit 0 */
  pid_t watcher = fork();
  if (watcher == 0) {
    int32_t v;
    while ((v = __atomic_load_n(&words[0], __ATOMIC_SEQ_CST)) != 0)
      syscall(SYS_futex, &words[0], FUTEX_WAIT, v, NULL, NULL, 0);
    printf("watcher: the thread's word went to 0\n");
    _exit(0);
  }
  pid_t t = clone(exit_thread, stack_top(), THREAD_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, NULL, NULL,
                  NULL, &words[0]);
  int st;
  waitpid(watcher, &st, 0);
  printf("thread created: %d; watcher exited %d\n", t > 0, WEXITSTATUS(st));

  /* 2. A single-threaded process: the last user of its address space. */
  words[1] = 12345;
  pid_t c = fork();
  if (c == 0) {
    syscall(SYS_set_tid_address, &words[1]);
    _exit(0);
  }
  waitpid(c, &st, 0);
  printf("single-threaded exit leaves the word: %d\n", words[1] == 12345);

  /* 3. Main thread exits first (cleared: a thread remains), then the last
   *    thread ends the group (its own word stays). */
  words[2] = 777;
  c = fork();
  if (c == 0) {
    syscall(SYS_set_tid_address, &words[2]);
    clone(last_one_out, stack_top(), THREAD_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, NULL, NULL, NULL,
          &words[3]);
    syscall(SYS_exit, 0);
  }
  waitpid(c, &st, 0);
  printf("main's word cleared: %d; last thread's word kept: %d; status %d\n", words[2] == 0, words[3] != 0,
         WEXITSTATUS(st));

  /* 4. pthread_join sleeps on the word until the exiting thread clears it. */
  c = fork();
  if (c == 0) {
    pthread_t th;
    void *r;
    pthread_create(&th, NULL, pthread_exits, NULL);
    pthread_join(th, &r);
    printf("joined a thread that called pthread_exit: %ld\n", (long)r);
    _exit(5);
  }
  waitpid(c, &st, 0);
  printf("join via cleartid: exited %d\n", WEXITSTATUS(st));
  return 0;
}
