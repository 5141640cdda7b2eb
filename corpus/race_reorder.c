/* race_reorder: the SCTBench "reorder" pattern. SETTERS threads each store
 * `a = 1; b = -1;` and one checker asserts that it sees either none or both
 * of the stores: (a == 0 && b == 0) || (a == 1 && b == -1).
 *
 * Bug: the first setter to run stores a = 1 and is preempted before it
 * stores b = -1; the checker then reads a == 1, b == 0. Racing accesses:
 * setter's `a = 1` < checker's loads of a and b < setter's `b = -1`.
 * Once any setter has stored both values the bug can no longer happen, so
 * the switch must hit the FIRST setter to store, and the checker must be
 * the next thread to run (not another setter). The other failing
 * interleaving is the mirror image: the checker reads a == 0 before any
 * setter has stored, is preempted before it reads b, a setter stores both,
 * and the checker reads b == -1.
 * Preemptions: 1 (setter -> checker, between the two stores) when main has
 * created every thread before the first setter runs (main blocks in
 * pthread_join, then that setter runs, is preempted after `a = 1`, and the
 * checker runs next); 2 if the first setter runs before main has created
 * the checker (main -> setter, then setter -> main after `a = 1`; main
 * creates the checker and blocks, and the checker runs next). PCT finds it
 * with depth 2 (one priority change point, just after `a = 1`, and the
 * checker out-ranking the setters that have not run).
 * The two stores are one basic block (two movs, no call or branch between
 * them; likewise the checker's two loads), so the needed switch falls
 * INSIDE a basic block, in either interleaving: a scheduler that switches
 * only at block boundaries or system calls cannot find this bug.
 * Failure: "BUG: ..." on stdout, exit 1.
 * FIXED: the setters and the checker hold a mutex around their accesses. */
#include <pthread.h>
#include <stdio.h>

#define SETTERS 4

static volatile int a, b;
#ifdef FIXED
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&m)
#define UNLOCK() pthread_mutex_unlock(&m)
#else
#define LOCK() (void)0
#define UNLOCK() (void)0
#endif

static void *setter(void *arg) {
  (void)arg;
  LOCK();
  a = 1;    /* RACE: first store */
  b = -1;   /* RACE: second store (same basic block as the first) */
  UNLOCK();
  return NULL;
}

static int seen_a, seen_b;

static void *checker(void *arg) {
  (void)arg;
  LOCK();
  int x = a;   /* RACE: load of a */
  int y = b;   /* RACE: load of b */
  UNLOCK();
  seen_a = x, seen_b = y;
  return (void *)(long)((x == 0 && y == 0) || (x == 1 && y == -1));
}

int main(void) {
  pthread_t s[SETTERS], c;
  for (int i = 0; i < SETTERS; i++) pthread_create(&s[i], NULL, setter, NULL);
  pthread_create(&c, NULL, checker, NULL);
  void *good;
  pthread_join(c, &good);
  for (int i = 0; i < SETTERS; i++) pthread_join(s[i], NULL);
  if (!good) {
    printf("BUG: checker saw a = %d, b = %d\n", seen_a, seen_b);
    return 1;
  }
  printf("ok: the checker saw both stores or neither\n");
  return 0;
}
