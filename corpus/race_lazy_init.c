/* race_lazy_init: two threads call get(), which initialises a shared object
 * on first use with check-then-act: `if (!instance) instance = make();`.
 *
 * Bug: T1 reads instance == NULL (the check), is preempted before it stores
 * the result of make(); T2 also sees NULL and calls make(): the object is
 * initialised twice and the threads hold different objects. Racing
 * accesses: T1's load of instance, T2's load, T1's/T2's store.
 * Preemptions: 1 (T1 after the check and before the store; the check is a
 * branch and make() a call, so block-boundary switches suffice).
 * Failure: "BUG: initialised twice ..." on stdout, exit 1.
 * Natively T1 has finished before T2 exists.
 * FIXED: pthread_once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

struct obj { int value; };
static struct obj pool[2];
static atomic_int inits;
static struct obj *instance;
static struct obj *seen[2];

static __attribute__((noinline)) struct obj *make(void) {
  struct obj *o = &pool[atomic_fetch_add(&inits, 1) & 1];
  o->value = 42;
  return o;
}

#ifdef FIXED
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) { instance = make(); }
#endif

static struct obj *get(void) {
#ifdef FIXED
  pthread_once(&once, init_once);
#else
  if (!instance)          /* RACE: check (load of instance) */
    instance = make();    /* RACE: act (store of instance), may be done twice */
#endif
  return instance;
}

static void *worker(void *arg) {
  seen[(long)arg] = get();
  return NULL;
}

int main(void) {
  pthread_t t[2];
  for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  int n = atomic_load(&inits);
  if (n != 1 || seen[0] != seen[1]) {
    printf("BUG: initialised twice: %d inits, threads %s the same object\n", n,
           seen[0] == seen[1] ? "saw" : "did not see");
    return 1;
  }
  printf("ok: initialised once, value %d\n", seen[0]->value);
  return 0;
}
