/* Scheduling parameters against the host: nice values (getpriority's
 * 20 - nice, setpriority's checks, inheritance by fork), the normal
 * policies' priorities and ranges, sched_getscheduler/getparam, and
 * getcpu's arguments (the CPU number itself differs between hosts). */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  setpriority(PRIO_PROCESS, 0, 0);  /* a harness may run us niced */
  show("raw getpriority self", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  show("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
  show("raw getpriority after", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  show("setpriority clamps 50", setpriority(PRIO_PROCESS, 0, 50));
  show("raw getpriority clamped", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  show("setpriority back to 5 as root", setpriority(PRIO_PROCESS, 0, 5));
  show("getpriority bad which", syscall(SYS_getpriority, 7, 0));
  show("getpriority no such process", syscall(SYS_getpriority, PRIO_PROCESS, 999999));
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    show("child inherits", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    _exit(0);
  }
  wait_code(p);
  /* 7, SCHED_EXT, exists since Linux 6.12: not asked. */
  for (int pol = 0; pol <= 6; ++pol)
    printf("policy %d: max %d min %d\n", pol, sched_get_priority_max(pol), sched_get_priority_min(pol));
  show("sched_getscheduler self", sched_getscheduler(0));
  show("sched_getscheduler negative", sched_getscheduler(-1));
  show("sched_getscheduler none", sched_getscheduler(999999));
  struct sched_param sp = {.sched_priority = 7};
  show("sched_getparam", sched_getparam(0, &sp));
  printf("priority %d\n", sp.sched_priority);
  show("sched_getparam null", syscall(SYS_sched_getparam, 0, NULL));
  sp.sched_priority = 0;
  show("sched_setscheduler batch", sched_setscheduler(0, SCHED_BATCH, &sp));
  show("now", sched_getscheduler(0));
  show("sched_setparam keeps it", sched_setparam(0, &sp));
  show("still", sched_getscheduler(0));
  sp.sched_priority = 3;
  show("batch with a priority", sched_setscheduler(0, SCHED_BATCH, &sp));
  sp.sched_priority = 0;
  show("bad policy", sched_setscheduler(0, 42, &sp));
  show("back to other", sched_setscheduler(0, SCHED_OTHER, &sp));
  unsigned cpu = 99, node = 99;
  show("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
  printf("node %u, cpu in range %d\n", node, cpu < 1024);
  show("getcpu nulls", syscall(SYS_getcpu, NULL, NULL, NULL));
  show("getcpu bad pointer", syscall(SYS_getcpu, (void *)8, NULL, NULL));
  return 0;
}
