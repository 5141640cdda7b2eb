/* Benchmark: N cycles of pthread_create + pthread_join. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *body(void *arg) { return arg; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  long ok = 0;
  for (long i = 0; i < n; i++) {
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, body, (void *)i);
    pthread_join(t, &r);
    ok += (long)r == i;
  }
  printf("%ld create+join cycles ok\n", ok);
  return ok == n ? 0 : 1;
}
