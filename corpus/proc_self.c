/* /proc as programs read it: /proc/self/{stat,status,cmdline,exe,fd,task,
 * maps}, a zombie's state letter, /proc/meminfo and /proc/cpuinfo. Prints
 * comparisons, not values that differ between machines. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static char *slurp(const char *path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = 0;
  return buf;
}

static long status_field(const char *name) {
  char *s = slurp("/proc/self/status");
  char *p = s ? strstr(s, name) : NULL;
  return p ? atol(p + strlen(name)) : -1;
}

static int count_entries(const char *path) {
  DIR *d = opendir(path);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  if (d) closedir(d);
  return n;
}

static int gate[2];

static void *idle(void *arg) {
  (void)arg;
  char c;
  read(gate[0], &c, 1); /* alive until main has looked */
  return NULL;
}

int main(int argc, char **argv) {
  (void)argc;
  char *stat = slurp("/proc/self/stat");
  int pid, ppid, pgrp;
  char state;
  char comm[64];
  sscanf(stat, "%d (%63[^)]) %c %d %d", &pid, comm, &state, &ppid, &pgrp);
  printf("stat: pid %d ppid %d pgrp %d state %c comm %s\n", pid == getpid(), ppid == getppid(), pgrp == getpgrp(),
         state, comm);
  printf("status: Pid %d Tgid %d PPid %d\n", status_field("\nPid:") == getpid(), status_field("Tgid:") == getpid(),
         status_field("PPid:") == getppid());
  char *cmd = slurp("/proc/self/cmdline");
  printf("cmdline is argv[0]: %d\n", strcmp(cmd, argv[0]) == 0);
  char exe[4096], real[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n < 0 ? 0 : n] = 0;
  printf("exe is the real path: %d\n", realpath(argv[0], real) && strcmp(exe, real) == 0);
  printf("fds open: %d\n", count_entries("/proc/self/fd"));
  pthread_t t;
  pipe(gate);
  pthread_create(&t, NULL, idle, NULL);
  printf("threads listed: %d, Threads: %ld\n", count_entries("/proc/self/task"), status_field("Threads:"));
  write(gate[1], "x", 1);
  pthread_join(t, NULL);
  close(gate[0]);
  close(gate[1]);
  char *maps = slurp("/proc/self/maps");
  printf("maps shows the program: %d\n", strstr(maps, real) != NULL);
  pid_t c = fork();
  if (c == 0) _exit(0);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT); /* a zombie now, still unreaped */
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  char *cs = slurp(path);
  char *close_paren = cs ? strrchr(cs, ')') : NULL;
  printf("zombie child state: %c\n", close_paren ? close_paren[2] : '?');
  waitpid(c, NULL, 0);
  printf("reaped child gone from /proc: %d\n", slurp(path) == NULL);
  printf("meminfo has MemTotal: %d\n", strstr(slurp("/proc/meminfo"), "MemTotal:") != NULL);
  printf("cpuinfo has a processor: %d\n", strstr(slurp("/proc/cpuinfo"), "processor\t: 0") != NULL);
  printf("pid_max positive: %d\n", atol(slurp("/proc/sys/kernel/pid_max")) > 0);
  return 0;
}
