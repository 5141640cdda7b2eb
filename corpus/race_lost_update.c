/* race_lost_update: two threads each add 1 to a shared counter ITERS times
 * with an unprotected read-modify-write, `counter = bump(counter)`.
 *
 * Bug: T1 reads counter (= v), is preempted before it writes v+1 back; T2
 * reads the same v and writes v+1; T1 then writes v+1 too: one update is
 * lost. Racing accesses: T1's read, T2's write (or read), T1's write.
 * Preemptions: 1 (T1 between its read and its write; the call to bump()
 * ends a basic block there, so a block-boundary switch suffices).
 * Failure: "BUG: lost update ..." on stdout, exit 1.
 * Natively T1 has finished its few iterations before T2 exists.
 * FIXED: the read-modify-write holds a mutex. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ITERS 3

static volatile int counter;
#ifdef FIXED
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
#endif

static __attribute__((noinline)) int bump(int v) { return v + 1; }

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < ITERS; i++) {
#ifdef FIXED
    pthread_mutex_lock(&lock);
#endif
    int v = counter;   /* RACE: read of the shared counter */
    v = bump(v);
    counter = v;       /* RACE: write back, may overwrite the other thread's update */
#ifdef FIXED
    pthread_mutex_unlock(&lock);
#endif
  }
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  if (counter != THREADS * ITERS) {
    printf("BUG: lost update: counter = %d, expected %d\n", counter, THREADS * ITERS);
    return 1;
  }
  printf("ok: counter = %d\n", counter);
  return 0;
}
