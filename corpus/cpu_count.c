/* How many CPUs a program believes it has, by each of the usual ways:
 * sched_getaffinity, glibc's get_nprocs (/sys/devices/system/cpu/online),
 * get_nprocs_conf (the cpuN directories), sysconf, and /proc/cpuinfo.
 * Under Ditto all say --cpus (4 unless told otherwise), on every host. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

int main(void) {
  cpu_set_t s;
  CPU_ZERO(&s);
  sched_getaffinity(0, sizeof s, &s);
  int listed = 0;
  FILE* f = fopen("/proc/cpuinfo", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "processor", 9) == 0) ++listed;
  if (f) fclose(f);
  printf("affinity %d nprocs %d conf %d sysconf %ld cpuinfo %d\n", CPU_COUNT(&s), get_nprocs(), get_nprocs_conf(),
         sysconf(_SC_NPROCESSORS_ONLN), listed);
  return 0;
}
