/* Robust futexes: a process dies holding a PTHREAD_MUTEX_ROBUST mutex in
 * shared memory; the next locker gets EOWNERDEAD and can make it consistent.
 * Also a thread exiting while holding one. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static pthread_mutex_t *m;

static void *grab_and_exit(void *arg) {
  (void)arg;
  pthread_mutex_lock(m);
  return NULL; /* exits holding it */
}

int main(void) {
  m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &a);
  pid_t c = fork();
  if (c == 0) {
    pthread_mutex_lock(m);
    _exit(0); /* dies holding the mutex */
  }
  waitpid(c, NULL, 0);
  int r = pthread_mutex_lock(m);
  printf("lock after the owner process died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : r == 0 ? "0" : "other");
  if (r == EOWNERDEAD) show("pthread_mutex_consistent", pthread_mutex_consistent(m));
  show("unlock", pthread_mutex_unlock(m));
  pthread_t t;
  pthread_create(&t, NULL, grab_and_exit, NULL);
  pthread_join(t, NULL);
  r = pthread_mutex_lock(m);
  printf("lock after the owner thread exited: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : r == 0 ? "0" : "other");
  return 0;
}
