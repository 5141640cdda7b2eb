/* race_aba_stack: a lock-free Treiber stack over a pool of 3 nodes (A, B,
 * C, by index), with the index of the top node packed with a tag in one
 * 64-bit word that pop and push CAS. Initially A -> B -> C.
 * T1 pops one node; T2 pops two (A, B) and pushes the first back (A).
 *
 * Bug (ABA): T1 reads top == A and A.next == B, and is preempted before its
 * CAS; T2 pops A, pops B, pushes A again (top == A, A.next == C); T1's
 * CAS(top: A -> B) succeeds because top is "A" again, so B, which T2 holds,
 * is back on the stack and C is lost. Racing accesses: T1's load of
 * A.next < T2's CASes of top < T1's CAS of top.
 * Preemptions: 1 (T1 between its load of next and its CAS; the sanity
 * check on next is a branch between them, so a block-boundary switch
 * suffices). T2 runs to its end, then T1 continues.
 * Failure: "BUG: node ..." on stdout, exit 1.
 * Natively T1 has finished before T2 exists.
 * FIXED: every successful CAS increments the tag, so T1's stale CAS fails
 * and it retries. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NODES 3
#define NIL 0xffffffffu
#define IDX(w) ((uint32_t)(w))
#define TAG(w) ((uint32_t)((w) >> 32))
#define PACK(i, tag) ((uint64_t)(tag) << 32 | (uint32_t)(i))
#ifdef FIXED
#define NEXT_TAG(w) (TAG(w) + 1)
#else
#define NEXT_TAG(w) TAG(w)   /* the bug: the tag never changes */
#endif

static _Atomic uint32_t next[NODES];
static _Atomic uint64_t top = PACK(NIL, 0);

static uint32_t pop(void) {
  uint64_t old = atomic_load(&top);
  for (;;) {
    uint32_t i = IDX(old);
    if (i == NIL) return NIL;
    uint32_t n = atomic_load_explicit(&next[i], memory_order_relaxed);  /* RACE: reads next of top */
    if (n == i) abort();   /* a node pointing at itself: corrupt */
    if (atomic_compare_exchange_strong(&top, &old, PACK(n, NEXT_TAG(old))))  /* RACE: ABA CAS */
      return i;
  }
}

static void push(uint32_t i) {
  uint64_t old = atomic_load(&top);
  do atomic_store_explicit(&next[i], IDX(old), memory_order_relaxed);
  while (!atomic_compare_exchange_strong(&top, &old, PACK(i, NEXT_TAG(old))));  /* RACE: pushes A back */
}

static uint32_t held1, held2;

static void *t1(void *arg) {
  (void)arg;
  held1 = pop();
  return NULL;
}

static void *t2(void *arg) {
  (void)arg;
  uint32_t x = pop();
  held2 = pop();
  push(x);
  return NULL;
}

int main(void) {
  for (uint32_t i = NODES; i-- > 0;) push(i);   /* top: 0 (A) -> 1 (B) -> 2 (C) */
  pthread_t x, y;
  pthread_create(&x, NULL, t1, NULL);
  pthread_create(&y, NULL, t2, NULL);
  pthread_join(x, NULL);
  pthread_join(y, NULL);
  /* Every node must be in exactly one place: held by T1, held by T2, or on the stack. */
  int count[NODES] = {0};
  if (held1 != NIL) count[held1]++;
  if (held2 != NIL) count[held2]++;
  int steps = 0;
  for (uint32_t i = IDX(atomic_load(&top)); i != NIL && steps <= NODES; i = atomic_load(&next[i]), steps++)
    count[i]++;
  for (int i = 0; i < NODES; i++)
    if (count[i] != 1) {
      printf("BUG: node %c is %s\n", 'A' + i, count[i] ? "in two places" : "lost");
      return 1;
    }
  printf("ok: every node in exactly one place\n");
  return 0;
}
