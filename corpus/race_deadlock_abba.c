/* race_deadlock_abba: thread 1 takes lock A then B, thread 2 takes B then A.
 *
 * Bug: T1 locks A and is preempted before it locks B; T2 locks B and then
 * blocks on A; T1 resumes and blocks on B. Racing accesses: T1's
 * lock(A) < T2's lock(B) < T2's lock(A) / T1's lock(B).
 * Preemptions: 1 (T1 between its two pthread_mutex_lock calls).
 * Failure: deadlock (T1 and T2 in pthread_mutex_lock, main in
 * pthread_join, no timeout anywhere).
 * Natively T1 has released both locks before T2 exists.
 * FIXED: T2 takes the locks in the same order, A then B. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t B = PTHREAD_MUTEX_INITIALIZER;
static int balance_a = 10, balance_b = 10;

static void *t1(void *arg) {   /* moves 1 from a to b */
  (void)arg;
  pthread_mutex_lock(&A);      /* RACE: T1 holds A ... */
  pthread_mutex_lock(&B);      /* RACE: ... and waits for B */
  balance_a--, balance_b++;
  pthread_mutex_unlock(&B);
  pthread_mutex_unlock(&A);
  return NULL;
}

static void *t2(void *arg) {   /* moves 2 from b to a */
  (void)arg;
#ifdef FIXED
  pthread_mutex_lock(&A);
  pthread_mutex_lock(&B);
#else
  pthread_mutex_lock(&B);      /* RACE: T2 holds B ... */
  pthread_mutex_lock(&A);      /* RACE: ... and waits for A */
#endif
  balance_b -= 2, balance_a += 2;
  pthread_mutex_unlock(&A);
  pthread_mutex_unlock(&B);
  return NULL;
}

int main(void) {
  pthread_t x, y;
  pthread_create(&x, NULL, t1, NULL);
  pthread_create(&y, NULL, t2, NULL);
  pthread_join(x, NULL);
  pthread_join(y, NULL);
  printf("ok: balances %d %d\n", balance_a, balance_b);
  return 0;
}
