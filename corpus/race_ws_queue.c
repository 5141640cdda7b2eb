/* race_ws_queue: a Chase-Lev work-stealing deque (fixed array, no resize).
 * The owner (main) pushes ITEMS items at the bottom, starts a thief that
 * tries one steal at the top, and pops items at the bottom until empty.
 * Each item must be taken exactly once.
 *
 * Bug: the owner's take() omits the CAS on top for the LAST element (the
 * t == b case), so it does not race the thieves for it. The thief reads
 * top (t) and bottom (t + 1, one item left) and is preempted before its
 * CAS; the owner decrements bottom, reads top == t, sees the last element
 * and takes it; the thief's CAS(top, t, t + 1) still succeeds and it takes
 * the same item. Racing accesses: thief's load of bottom < owner's store
 * of bottom and load of top < thief's CAS of top.
 * Preemptions: 2 (main -> thief while at least one item is left, e.g.
 * right after pthread_create; thief -> main between its load of bottom
 * and its CAS, after the `t < b` branch). Main then pops the rest and
 * blocks in pthread_join, so the thief's CAS runs without a preemption.
 * Failure: "BUG: item N taken twice" on stdout, exit 1.
 * Natively main has emptied the deque before the thief starts.
 * FIXED: take() CASes top for the last element, as in Chase-Lev. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define ITEMS 3
#define EMPTY (-1)

static int buf[ITEMS];
static atomic_long top, bottom;
static atomic_int taken[ITEMS];

static void push(int x) {   /* owner only */
  long b = atomic_load(&bottom);
  buf[b] = x;
  atomic_store(&bottom, b + 1);
}

static int take(void) {     /* owner only */
  long b = atomic_load(&bottom) - 1;
  atomic_store(&bottom, b);                 /* RACE: owner claims index b */
  long t = atomic_load(&top);               /* RACE: owner reads top */
  if (t > b) {                              /* empty */
    atomic_store(&bottom, b + 1);
    return EMPTY;
  }
  int x = buf[b];
#ifdef FIXED
  if (t == b) {                             /* last element: race the thieves */
    if (!atomic_compare_exchange_strong(&top, &t, t + 1)) x = EMPTY;
    atomic_store(&bottom, b + 1);
  }
#endif
  return x;
}

static int steal(void) {    /* any thread */
  long t = atomic_load(&top);
  long b = atomic_load(&bottom);            /* RACE: thief reads bottom */
  if (t >= b) return EMPTY;
  int x = buf[t];
  if (!atomic_compare_exchange_strong(&top, &t, t + 1))  /* RACE: thief's CAS */
    return EMPTY;
  return x;
}

static void *thief(void *arg) {
  (void)arg;
  int x = steal();
  if (x != EMPTY) atomic_fetch_add(&taken[x], 1);
  return NULL;
}

int main(void) {
  for (int i = 0; i < ITEMS; i++) push(i);
  pthread_t th;
  pthread_create(&th, NULL, thief, NULL);
  for (int x; (x = take()) != EMPTY;) atomic_fetch_add(&taken[x], 1);
  pthread_join(th, NULL);
  for (int i = 0; i < ITEMS; i++) {
    int n = atomic_load(&taken[i]);
    if (n != 1) {
      printf("BUG: item %d taken %s\n", i, n == 0 ? "never" : "twice");
      return 1;
    }
  }
  printf("ok: every item taken exactly once\n");
  return 0;
}
