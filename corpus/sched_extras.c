/* Scheduling and memory-locking calls against the host: sched_setaffinity
 * and sched_getaffinity (masks as the online CPUs'), getcpu following the
 * affinity, sched_rr_get_interval, sched_getattr/sched_setattr for the
 * normal policies, membarrier's commands and registrations, and the
 * argument checks of mlock, mlock2, munlock, mlockall. Run as root. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <time.h>

#include "corpus.h"

/* The mask as the online CPUs' (the host's count differs from Ditto's). */
static void print_mask(const char *what, uint64_t m) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  uint64_t online = n >= 64 ? ~0ULL : (1ULL << n) - 1;
  if (m == online) printf("%s: every online CPU\n", what);
  else printf("%s: 0x%llx\n", what, (unsigned long long)m);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  show("mb query", syscall(SYS_membarrier, 0, 0, 0));
  show("mb query flags", syscall(SYS_membarrier, 0, 1, 0));
  show("mb global", syscall(SYS_membarrier, 1, 0, 0));
  show("mb private exp unreg", syscall(SYS_membarrier, 8, 0, 0));
  show("mb reg private exp", syscall(SYS_membarrier, 16, 0, 0));
  show("mb private exp", syscall(SYS_membarrier, 8, 0, 0));
  show("mb global exp unreg", syscall(SYS_membarrier, 2, 0, 0));
  show("mb reg global exp", syscall(SYS_membarrier, 4, 0, 0));
  show("mb global exp", syscall(SYS_membarrier, 2, 0, 0));
  show("mb rseq unreg", syscall(SYS_membarrier, 128, 0, 0));
  show("mb get regs", syscall(SYS_membarrier, 512, 0, 0));
  show("mb bad", syscall(SYS_membarrier, 1024, 0, 0));
  show("mb 3", syscall(SYS_membarrier, 3, 0, 0));
  uint64_t m = 0; 
  show("getaff 8", syscall(SYS_sched_getaffinity, 0, 8, &m)); print_mask("mask", m);
  show("getaff 4", syscall(SYS_sched_getaffinity, 0, 4, &m));
  show("getaff 16", syscall(SYS_sched_getaffinity, 0, 16, &m));
  uint64_t one = 2; show("setaff {1}", syscall(SYS_sched_setaffinity, 0, 8, &one));
  unsigned cpu; syscall(SYS_getcpu, &cpu, 0, 0); printf("cpu %u\n", cpu);
  m=0; syscall(SYS_sched_getaffinity, 0, 8, &m); print_mask("mask", m);
  pid_t child = fork();
  if (child == 0) {
    m = 0; syscall(SYS_sched_getaffinity, 0, 8, &m); print_mask("child inherits", m);
    _exit(0);
  }
  wait_code(child);
  uint64_t big = 1ULL<<40; show("setaff {40}", syscall(SYS_sched_setaffinity, 0, 8, &big));
  uint64_t z = 0; show("setaff {}", syscall(SYS_sched_setaffinity, 0, 8, &z));
  show("setaff len 0", syscall(SYS_sched_setaffinity, 0, 0, &one));
  show("setaff len 3", syscall(SYS_sched_setaffinity, 0, 3, &one));
  show("setaff bad ptr", syscall(SYS_sched_setaffinity, 0, 8, (void*)8));
  show("setaff pid 999999", syscall(SYS_sched_setaffinity, 999999, 8, &one));
  show("setaff pid -1", syscall(SYS_sched_setaffinity, -1, 8, &one));
  uint64_t all=~0ULL; show("setaff all", syscall(SYS_sched_setaffinity, 0, 8, &all));
  m=0; syscall(SYS_sched_getaffinity, 0, 8, &m); print_mask("mask", m);
  struct timespec ts; show("rr interval", syscall(SYS_sched_rr_get_interval, 0, &ts)); printf("%ld %ld\n", ts.tv_sec, ts.tv_nsec);
  show("rr bad pid", syscall(SYS_sched_rr_get_interval, -1, &ts));
  show("rr bad ptr", syscall(SYS_sched_rr_get_interval, 0, (void*)8));
  char buf[128]; memset(buf, 0x55, sizeof buf);
  show("getattr 48", syscall(SYS_sched_getattr, 0, buf, 48, 0)); printf("size %u pol %u nice %d\n", *(uint32_t*)buf, *(uint32_t*)(buf+4), *(int32_t*)(buf+16));
  show("getattr 128", syscall(SYS_sched_getattr, 0, buf, 128, 0)); printf("size %u\n", *(uint32_t*)buf);
  show("getattr 47", syscall(SYS_sched_getattr, 0, buf, 47, 0));
  show("getattr flags", syscall(SYS_sched_getattr, 0, buf, 48, 1));
  show("getattr 8192", syscall(SYS_sched_getattr, 0, buf, 8192, 0));
  memset(buf,0,sizeof buf); *(uint32_t*)buf = 48; *(int32_t*)(buf+16) = 5;
  show("setattr nice 5", syscall(SYS_sched_setattr, 0, buf, 0)); printf("nice now %d\n", nice(0));
  *(uint32_t*)buf = 0; show("setattr size 0", syscall(SYS_sched_setattr, 0, buf, 0));
  *(uint32_t*)buf = 20; show("setattr size 20", syscall(SYS_sched_setattr, 0, buf, 0)); printf("size back %u\n", *(uint32_t*)buf);
  *(uint32_t*)buf = 48; *(uint32_t*)(buf+4)=9; show("setattr pol 9", syscall(SYS_sched_setattr, 0, buf, 0));
  *(uint32_t*)(buf+4)=0; show("setattr flags", syscall(SYS_sched_setattr, 0, buf, 1));
  *(uint32_t*)(buf+4)=0; *(uint32_t*)(buf+20)=5; show("setattr prio 5", syscall(SYS_sched_setattr, 0, buf, 0));
  char *p = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  show("mlock", mlock(p, 8192)); show("mlock unaligned", mlock(p+1, 10)); show("munlock", munlock(p, 8192));
  show("mlock unmapped", mlock((void*)0x10000, 4096)); show("munlock unmapped", munlock((void*)0x10000, 4096));
  show("mlock2 bad flag", syscall(SYS_mlock2, p, 4096, 2)); show("mlock2 onfault", syscall(SYS_mlock2, p, 4096, 1));
  show("mlockall 0", mlockall(0)); show("mlockall 8", mlockall(8)); show("mlockall onfault only", mlockall(MCL_ONFAULT));
  show("mlockall cur", mlockall(MCL_CURRENT)); show("munlockall", munlockall());
  show("mlock 0 len", mlock(p, 0)); show("mlock wrap", mlock(p, ~0UL));
}
