/* race_lost_wakeup: a waiter waits for `done` on a condition variable, but
 * tests the flag outside the mutex and waits without a predicate loop.
 *
 * Bug: the waiter reads done == 0, is preempted before it waits; the
 * signaller sets done = 1 and signals with nobody waiting (the signal is
 * lost); the waiter then waits forever. Racing accesses: the waiter's
 * unlocked load of done, then the signaller's store of done and its
 * pthread_cond_signal, then the waiter's pthread_cond_wait.
 * Preemptions: 1 (the waiter between its check and its wait; the check is
 * a branch and the lock a call, so a block-boundary switch suffices).
 * Failure: deadlock (waiter in pthread_cond_wait, main in pthread_join,
 * no timeout anywhere).
 * Natively the waiter is waiting long before the signaller exists.
 * FIXED: the flag is tested under the mutex in a while loop. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int done;

static void *waiter(void *arg) {
  (void)arg;
#ifdef FIXED
  pthread_mutex_lock(&m);
  while (!done) pthread_cond_wait(&c, &m);
  pthread_mutex_unlock(&m);
#else
  if (!*(volatile int *)&done) {   /* RACE: unlocked check of done */
    pthread_mutex_lock(&m);
    pthread_cond_wait(&c, &m);     /* RACE: waits for a signal that may be gone */
    pthread_mutex_unlock(&m);
  }
#endif
  return NULL;
}

static void *signaller(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  done = 1;                        /* RACE: store of done */
  pthread_cond_signal(&c);         /* RACE: lost if the waiter is not waiting yet */
  pthread_mutex_unlock(&m);
  return NULL;
}

int main(void) {
  pthread_t w, s;
  pthread_create(&w, NULL, waiter, NULL);
  pthread_create(&s, NULL, signaller, NULL);
  pthread_join(w, NULL);
  pthread_join(s, NULL);
  printf("ok: the waiter woke up\n");
  return 0;
}
