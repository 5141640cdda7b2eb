/* race_order_violation: main starts a worker, then publishes a pointer to
 * the configuration and only then loads it (`cfg = &config;` before
 * load_config(&config)): the initialisation must come before the
 * publication, and here it comes after. The worker takes the published
 * pointer as soon as it is non-NULL (waiting on a condition variable while
 * it is NULL) and reads config.name.
 *
 * Bug: main stores cfg and is preempted before load_config() stores
 * config.name; the worker sees cfg != NULL and dereferences the still-NULL
 * name. Racing accesses: main's store of cfg < the worker's load of cfg
 * and of cfg->name < main's store of config.name.
 * Preemptions: 1 (main between its store of cfg and the call to
 * load_config(); the worker must not be waiting on the condition variable
 * yet, which is the case when it has not run before: main does not block
 * before that point).
 * Failure: SIGSEGV (the worker reads a byte at address 0).
 * Natively main's window is a call and two stores with no system call in
 * it: the worker is either waiting on the condition variable (woken only
 * after the load) or starts later.
 * FIXED: load_config() before the publication. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

struct config { int verbose; const char *name; };
static struct config config;
static struct config *_Atomic cfg;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t published = PTHREAD_COND_INITIALIZER;

static __attribute__((noinline)) void load_config(struct config *c) {
  c->verbose = 1;
  c->name = "ditto";       /* RACE: initialisation, after the publication */
}

static void *worker(void *arg) {
  (void)arg;
  struct config *c = atomic_load(&cfg);   /* RACE: load of the published pointer */
  if (!c) {
    pthread_mutex_lock(&m);
    while (!(c = atomic_load(&cfg))) pthread_cond_wait(&published, &m);
    pthread_mutex_unlock(&m);
  }
  const char *name = c->name;             /* RACE: NULL if not loaded yet */
  long len = 0;
  while (name[len]) len++;                /* SIGSEGV on NULL */
  return (void *)len;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
#ifdef FIXED
  load_config(&config);
#endif
  atomic_store(&cfg, &config);            /* RACE: publication */
#ifndef FIXED
  load_config(&config);
#endif
  pthread_mutex_lock(&m);
  pthread_cond_broadcast(&published);
  pthread_mutex_unlock(&m);
  void *len;
  pthread_join(t, &len);
  if ((long)len != 5) {
    printf("BUG: worker read a bad name length %ld\n", (long)len);
    return 1;
  }
  printf("ok: worker read the name\n");
  return 0;
}
