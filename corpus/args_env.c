/* Echoes argv and the environment variables named DITTO_* (sorted by the caller). */
#include <stdlib.h>

#include "corpus.h"

extern char **environ;

int main(int argc, char **argv) {
  printf("argc %d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d] = \"%s\"\n", i, argv[i]);
  for (char **e = environ; *e; e++)
    if (strncmp(*e, "DITTO_", 6) == 0) printf("env %s\n", *e);
  const char *v = getenv("DITTO_GREETING");
  printf("getenv DITTO_GREETING: %s\n", v ? v : "(unset)");
  return argc > 3 ? 3 : 0;
}
