/* pthreads: create/join, mutexes, condition variables, barriers, rwlocks,
 * thread-local storage, detached threads, and pthread_exit from main. The
 * output does not depend on the interleaving. */
#define _GNU_SOURCE /* gettid */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "corpus.h"

#define N 4
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long counter, ready, shared_value;
static __thread long tls_value;

static void *worker(void *arg) {
  long id = (long)arg;
  tls_value = id * 100;
  for (int i = 0; i < 10000; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  pthread_barrier_wait(&barrier);
  pthread_rwlock_rdlock(&rw);
  long seen = shared_value;
  pthread_rwlock_unlock(&rw);
  pthread_mutex_lock(&lock);
  ready++;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  return (void *)(tls_value + seen + getpid() * 0 + (gettid() != getpid()));
}

static void *detached(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  ready += 100;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *last_one(void *arg) {
  (void)arg;
  usleep(2000);
  printf("last thread still running after main's pthread_exit\n");
  fflush(stdout);
  return NULL;
}

int main(void) {
  pthread_t t[N];
  pthread_barrier_init(&barrier, NULL, N);
  pthread_rwlock_wrlock(&rw);
  shared_value = 7;
  pthread_rwlock_unlock(&rw);
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  long sum = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    sum += (long)r;
  }
  printf("counter %ld (expected %d)\n", counter, N * 10000);
  printf("joined results sum %ld\n", sum);
  pthread_t d;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&d, &attr, detached, NULL);
  pthread_mutex_lock(&lock);
  while (ready < N + 100) pthread_cond_wait(&cond, &lock);
  pthread_mutex_unlock(&lock);
  printf("condition variable saw %ld\n", ready);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 1000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&lock);
  int r = pthread_cond_timedwait(&cond, &lock, &ts);
  pthread_mutex_unlock(&lock);
  printf("timed wait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "woken");
  pthread_t l;
  pthread_create(&l, NULL, last_one, NULL);
  fflush(stdout);
  pthread_exit(NULL);
}
