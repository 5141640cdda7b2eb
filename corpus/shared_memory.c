/* MAP_SHARED anonymous memory stays shared across fork, and process-shared
 * mutexes and condition variables (futexes keyed by the shared object) work
 * between processes. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

struct shared {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  long counter;
  int stage;
};

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  show("mmap MAP_SHARED|MAP_ANONYMOUS", s == MAP_FAILED ? -1 : 0);
  char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->lock, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&s->cond, &ca);
  priv[0] = 'p';
  pid_t kids[3];
  for (int k = 0; k < 3; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      priv[0] = 'c'; /* private: the parent never sees this */
      for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&s->lock);
        s->counter++;
        pthread_mutex_unlock(&s->lock);
      }
      pthread_mutex_lock(&s->lock);
      s->stage++;
      pthread_cond_signal(&s->cond);
      pthread_mutex_unlock(&s->lock);
      _exit(0);
    }
  }
  pthread_mutex_lock(&s->lock);
  while (s->stage < 3) pthread_cond_wait(&s->cond, &s->lock);
  pthread_mutex_unlock(&s->lock);
  for (int k = 0; k < 3; k++) waitpid(kids[k], NULL, 0);
  printf("shared counter %ld (expected 6000), stage %d\n", s->counter, s->stage);
  printf("private page unchanged: %c\n", priv[0]);
  /* Partial unmap and protect of a shared mapping, then sharing again. */
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  show("munmap middle page of shared", munmap(m + 4096, 4096));
  show("mprotect first page read-only", mprotect(m, 4096, PROT_READ));
  pid_t c = fork();
  if (c == 0) {
    m[2 * 4096] = 'z';
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("child's write to the last page seen: %c\n", m[2 * 4096]);
  return 0;
}
