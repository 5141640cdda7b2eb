/* poll/ppoll on pipes (readable, writable, POLLHUP, timeouts, POLLNVAL)
 * and pidfds (CLONE_PIDFD, pidfd_open: readable when the process exits;
 * waitid P_PIDFD; pidfd_send_signal). */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  pipe(p);
  struct pollfd fds[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
  show("poll: empty pipe, room to write, bad fd", poll(fds, 3, 0));
  printf("  revents in %#x out %#x nval %#x\n", fds[0].revents, fds[1].revents, fds[2].revents);
  show("poll timeout 10ms on an empty pipe", poll(fds, 1, 10));
  pid_t c = fork();
  if (c == 0) {
    usleep(2000);
    write(p[1], "x", 1);
    _exit(0);
  }
  show("poll until the child writes", poll(fds, 1, -1));
  printf("  readable %d\n", (fds[0].revents & POLLIN) != 0);
  waitpid(c, NULL, 0);
  close(p[1]);
  char ch;
  read(p[0], &ch, 1);
  show("poll after the last writer closed", poll(fds, 1, 0));
  printf("  hangup %d\n", (fds[0].revents & POLLHUP) != 0);
  struct timespec ts = {0, 5000000};
  show("ppoll 5ms timeout", ppoll(fds + 2, 0, &ts, NULL));

  int gate[2];
  pipe(gate);
  pid_t d = fork();
  if (d == 0) {
    close(gate[1]);
    read(gate[0], &ch, 1); /* until the parent has polled once */
    _exit(11);
  }
  close(gate[0]);
  int pfd = (int)syscall(SYS_pidfd_open, d, 0);
  show("pidfd_open", pfd >= 0 ? 0 : -1);
  struct pollfd pp = {pfd, POLLIN, 0};
  show("pidfd not ready while the child runs", poll(&pp, 1, 0));
  close(gate[1]);
  show("pidfd readable when it exits", poll(&pp, 1, -1));
  siginfo_t si = {0};
  show("waitid P_PIDFD", waitid(P_PIDFD, pfd, &si, WEXITED));
  printf("  status %d\n", si.si_status);
  show("pidfd_open of a reaped child", syscall(SYS_pidfd_open, d, 0));
  show("pidfd_open bad flags", syscall(SYS_pidfd_open, getpid(), 0x1234));

  pid_t e = fork();
  if (e == 0) {
    for (;;) pause();
  }
  int efd = (int)syscall(SYS_pidfd_open, e, 0);
  show("pidfd_send_signal SIGKILL", syscall(SYS_pidfd_send_signal, efd, SIGKILL, NULL, 0));
  int st;
  waitpid(e, &st, 0);
  printf("  killed by SIGKILL %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  return 0;
}
