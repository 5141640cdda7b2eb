/* /proc/self/fdinfo/N of timerfd, epoll and inotify files against the
 * host: each kind's own lines, with what differs between machines (inode
 * and device numbers, the handle's generation, the nanoseconds a timer
 * has run) left out. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "corpus.h"

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Prints the fdinfo lines after the common four, each cut at `cut` if
 * given, sorted (Linux lists an epoll's files in kernel address order). */
static void dump(const char *what, int fd, const char *cut) {
  char p[64], l[512], *lines[64];
  int count = 0;
  snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
  FILE *f = fopen(p, "r");
  if (!f) {
    printf("%s: no fdinfo\n", what);
    return;
  }
  printf("%s:\n", what);
  int n = 0;
  while (fgets(l, sizeof l, f)) {
    if (n++ < 4) continue; /* pos, flags, mnt_id, ino */
    if (cut) {
      char *c = strstr(l, cut);
      if (c) strcpy(c, "\n");
    }
    unsigned wd, mask, ignored, bytes, type;
    if (sscanf(l, "inotify wd:%x ino:%*x sdev:%*x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x", &wd, &mask,
               &ignored, &bytes, &type) == 5) {
      snprintf(l, sizeof l, "inotify wd:%x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x\n", wd, mask,
               ignored, bytes, type);
    }
    if (!strncmp(l, "it_value:", 9)) {
      long s = 0, ns = 0;
      sscanf(l, "it_value: (%ld, %ld)", &s, &ns);
      printf("  it_value seconds %ld\n", s);
      continue;
    }
    if (count < 64) lines[count++] = strdup(l);
  }
  fclose(f);
  qsort(lines, (size_t)count, sizeof lines[0], by_text);
  for (int k = 0; k < count; k++) {
    printf("  %s", lines[k]);
    free(lines[k]);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  dump("timerfd, disarmed", t, NULL);
  struct itimerspec its = {{1, 500}, {10, 0}};
  timerfd_settime(t, 0, &its, NULL);
  dump("timerfd, 10 s then every 1.0000005 s", t, NULL);
  int t2 = timerfd_create(CLOCK_REALTIME, 0);
  struct itimerspec once = {{0, 0}, {0, 1}};
  timerfd_settime(t2, TFD_TIMER_ABSTIME, &once, NULL);
  dump("timerfd, absolute time in the past", t2, NULL);

  int e = epoll_create1(0);
  dump("epoll, empty", e, NULL);
  struct epoll_event ev = {EPOLLIN, {.u64 = 0x1234}};
  epoll_ctl(e, EPOLL_CTL_ADD, t, &ev);
  int pfd[2];
  pipe(pfd);
  ev.events = EPOLLOUT | EPOLLET | EPOLLONESHOT;
  ev.data.u64 = 0xfedcba9876543210ULL;
  epoll_ctl(e, EPOLL_CTL_ADD, pfd[1], &ev);
  dump("epoll, two files", e, "pos:");

  int i = inotify_init1(0);
  dump("inotify, no watch", i, NULL);
  close(open("/dev/shm/fdinfo_lines", O_CREAT | O_WRONLY, 0644));
  inotify_add_watch(i, "/dev/shm", IN_CREATE | IN_DELETE | IN_ONESHOT);
  inotify_add_watch(i, "/dev/shm/fdinfo_lines", IN_MODIFY | IN_EXCL_UNLINK);
  dump("inotify, two watches", i, NULL);
  unlink("/dev/shm/fdinfo_lines");
  return 0;
}
