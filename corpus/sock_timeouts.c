/* SO_RCVTIMEO and SO_SNDTIMEO against the host: the value kept in jiffies
 * (a get gives it back rounded up to the 4 ms of HZ 250), EDOM and EINVAL,
 * and blocking recv, read, recvmsg, accept and send that give up with
 * EAGAIN once the time is over, having waited at least that long, or that
 * return what came before it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"

static long ms_since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void set(int s, int opt, long sec, long usec, socklen_t len, const char *what) {
  struct timeval tv = {sec, usec};
  show(what, setsockopt(s, SOL_SOCKET, opt, &tv, len));
  struct timeval out = {-7, -7};
  socklen_t l = sizeof out;
  getsockopt(s, SOL_SOCKET, opt, &out, &l);
  printf("  now %ld s %ld us (length %u)\n", (long)out.tv_sec, (long)out.tv_usec, (unsigned)l);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  set(sv[0], SO_RCVTIMEO, 0, 0, sizeof(struct timeval), "none");
  set(sv[0], SO_RCVTIMEO, 0, 10000, sizeof(struct timeval), "10 ms");
  set(sv[0], SO_SNDTIMEO, 0, 3, sizeof(struct timeval), "3 us");
  set(sv[0], SO_RCVTIMEO, 2, 999999, sizeof(struct timeval), "2.999999 s");
  set(sv[0], SO_RCVTIMEO, 0, 1000000, sizeof(struct timeval), "1000000 us");
  set(sv[0], SO_RCVTIMEO, 0, -1, sizeof(struct timeval), "-1 us");
  set(sv[0], SO_RCVTIMEO, 1, 0, 8, "8 bytes");
  set(sv[0], SO_RCVTIMEO, -1, 0, sizeof(struct timeval), "-1 s");

  char b[8];
  struct timespec t0;
  set(sv[0], SO_RCVTIMEO, 0, 30000, sizeof(struct timeval), "30 ms");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  show("recv", recv(sv[0], b, sizeof b, 0));
  printf("  waited 30 ms or more: %d\n", ms_since(&t0) >= 28);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  show("read", read(sv[0], b, sizeof b));
  printf("  waited 30 ms or more: %d\n", ms_since(&t0) >= 28);
  struct iovec iov = {b, sizeof b};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  show("recvmsg", recvmsg(sv[0], &m, 0));
  show("readv", readv(sv[0], &iov, 1));

  /* Data that comes in time is returned. */
  set(sv[0], SO_RCVTIMEO, 5, 0, sizeof(struct timeval), "5 s");
  pid_t c = fork();
  if (c == 0) {
    usleep(20000);
    write(sv[1], "late", 4);
    _exit(0);
  }
  show("recv before the timeout", recv(sv[0], b, sizeof b, 0));
  wait_code(c);

  /* A full socket: the send waits, then gives up. */
  int fl = fcntl(sv[1], F_GETFL);
  fcntl(sv[1], F_SETFL, fl | O_NONBLOCK);
  static char big[65536];
  long total = 0, n;
  while ((n = write(sv[1], big, sizeof big)) > 0) total += n;
  fcntl(sv[1], F_SETFL, fl);
  set(sv[1], SO_SNDTIMEO, 0, 20000, sizeof(struct timeval), "send 20 ms");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  show("send to a full socket", send(sv[1], "x", 1, 0));
  printf("  waited 20 ms or more: %d\n", ms_since(&t0) >= 18);
  show("write to a full socket", write(sv[1], "x", 1));

  /* accept honours SO_RCVTIMEO. */
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {AF_UNIX, ""};
  snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "sock-timeouts-%d", getpid());
  bind(l, (struct sockaddr *)&addr, sizeof(sa_family_t) + 1 + strlen(addr.sun_path + 1));
  listen(l, 1);
  set(l, SO_RCVTIMEO, 0, 20000, sizeof(struct timeval), "accept 20 ms");
  show("accept", accept(l, NULL, NULL));
  /* Datagrams too. */
  int dp[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
  set(dp[0], SO_RCVTIMEO, 0, 20000, sizeof(struct timeval), "datagram 20 ms");
  show("datagram recv", recv(dp[0], b, sizeof b, 0));
  return 0;
}
