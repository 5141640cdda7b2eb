/* race_counter4: four threads each increment an unprotected global counter
 * 1,000,000 times (load, add, store: `counter++` on a volatile int).
 *
 * Bug: a lost update, as in race_lost_update, but with long loops: a
 * thread preempted between its load and its store of counter while another
 * thread increments loses updates. The load, add and store are one basic
 * block together with the loop's counter and back edge, so the needed
 * switch falls INSIDE a basic block: a scheduler that switches only at
 * block boundaries (between iterations) cannot find this bug.
 * Preemptions: 1. Failure: "BUG: total ..." on stdout, exit 1.
 * This one is NOT rare natively: on a multi-core host the threads overlap
 * and it fails most of the time. It runs about 16 million instructions.
 * FIXED: atomic_fetch_add. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define THREADS 4
#define ITERS 1000000

#ifdef FIXED
static atomic_int counter;
#else
static volatile int counter;
#endif

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < ITERS; i++) {
#ifdef FIXED
    atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
#else
    counter++;   /* RACE: load, add, store of the shared counter */
#endif
  }
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  int total = counter;
  if (total != THREADS * ITERS) {
    printf("BUG: total %d, expected %d\n", total, THREADS * ITERS);
    return 1;
  }
  printf("ok: total %d\n", total);
  return 0;
}
