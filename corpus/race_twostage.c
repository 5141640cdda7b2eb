/* race_twostage: the SCTBench "twostage" pattern. data1 and data2 are
 * protected by two different mutexes; each of WRITERS writers sets
 * data1 = 1 in one critical section and data2 = data1 + 1 in a second one;
 * a reader reads data1 and (if it is set) data2 in two critical sections
 * and asserts data2 == data1 + 1.
 *
 * Bug: a writer finishes stage 1 (data1 = 1) and is preempted before stage
 * 2; the reader then reads data1 == 1 and data2 == 0. It must hit the
 * FIRST writer (once any writer has done stage 2, data2 stays 2), and the
 * reader, not another writer, must run next. Racing accesses: writer's
 * store of data1 < reader's loads of data1 and data2 < writer's store of
 * data2.
 * Preemptions: 1 (writer -> reader between the writer's two critical
 * sections, at its pthread_mutex_unlock/lock calls) when main has created
 * every thread before the first writer runs; 2 if the first writer runs
 * before main has created the reader (main -> writer, then writer -> main
 * after stage 1; main creates the reader and blocks, and the reader runs
 * next). PCT finds it with depth 2, like race_reorder.
 * Failure: "BUG: ..." on stdout, exit 1.
 * FIXED: the writer does stage 2 before it releases data1's mutex. */
#include <pthread.h>
#include <stdio.h>

#define WRITERS 3

static pthread_mutex_t lock1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock2 = PTHREAD_MUTEX_INITIALIZER;
static int data1, data2;

static void *writer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock1);
  data1 = 1;                /* RACE: stage 1 */
  int v = data1;
#ifndef FIXED
  pthread_mutex_unlock(&lock1);
#endif
  pthread_mutex_lock(&lock2);
  data2 = v + 1;            /* RACE: stage 2, may come after the reader */
  pthread_mutex_unlock(&lock2);
#ifdef FIXED
  pthread_mutex_unlock(&lock1);
#endif
  return NULL;
}

static int t1 = -1, t2 = -1;

static void *reader(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock1);
  t1 = data1;               /* RACE: reads stage 1 */
  pthread_mutex_unlock(&lock1);
  if (t1 == 0) return (void *)1;  /* nothing written yet */
  pthread_mutex_lock(&lock2);
  t2 = data2;               /* RACE: reads stage 2 */
  pthread_mutex_unlock(&lock2);
  return (void *)(long)(t2 == t1 + 1);
}

int main(void) {
  pthread_t w[WRITERS], r;
  for (int i = 0; i < WRITERS; i++) pthread_create(&w[i], NULL, writer, NULL);
  pthread_create(&r, NULL, reader, NULL);
  void *good;
  pthread_join(r, &good);
  for (int i = 0; i < WRITERS; i++) pthread_join(w[i], NULL);
  if (!good) {
    printf("BUG: reader saw data1 = %d but data2 = %d\n", t1, t2);
    return 1;
  }
  printf("ok: data2 == data1 + 1 whenever data1 was set\n");
  return 0;
}
