/* SCM_RIGHTS against the host: open files passed over AF_UNIX stream and
 * datagram sockets, what recvmsg says when the control buffer is short or
 * missing (MSG_CTRUNC), where a stream read stops when files came with the
 * bytes, MSG_PEEK, MSG_CMSG_CLOEXEC, read() dropping them, and sendmsg's
 * checks of the control messages. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

/* Sends `data` with the descriptors `fds` (n of them) in one SCM_RIGHTS message. */
static long send_fds(int s, const char *data, const int *fds, int n) {
  char ctl[CMSG_SPACE(sizeof(int) * 300)];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {(void *)data, strlen(data)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n > 0) {
    m.msg_control = ctl;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  /* The system call itself: musl's wrapper refuses control buffers over 1 KiB. */
  return syscall(SYS_sendmsg, s, &m, 0);
}

/* Receives into a buffer of `size` with `room` descriptors of control
 * space (-1: none at all) and prints what came. Returns the first fd. */
static int recv_fds(const char *what, int s, size_t size, int room, int flags) {
  char data[256] = "";
  char ctl[CMSG_SPACE(sizeof(int) * 8)];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {data, size};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  if (room >= 0) {
    m.msg_control = ctl;
    m.msg_controllen = room ? CMSG_SPACE(sizeof(int) * room) : sizeof(struct cmsghdr) - 1;
  }
  long n = recvmsg(s, &m, flags | MSG_DONTWAIT);  /* never hangs if nothing came */
  if (n < 0) {
    printf("%s: -1 %s\n", what, errname(errno));
    return -1;
  }
  printf("%s: %ld bytes '%.*s', controllen %zu, flags%s%s", what, n, (int)n, data, (size_t)m.msg_controllen,
         (m.msg_flags & MSG_CTRUNC) ? " CTRUNC" : "", (m.msg_flags & MSG_TRUNC) ? " TRUNC" : "");
  int first = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    printf(", level %d type %d with %d fds", c->cmsg_level, c->cmsg_type, count);
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (first < 0) first = fd;
      printf(" [cloexec %d]", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    }
  }
  printf("\n");
  return first;
}

static int same_file(int a, int b) {
  struct stat x, y;
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int sp[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  int p[2];
  pipe(p);
  write(p[1], "through the passed pipe", 23);

  show("send one fd", send_fds(sp[0], "a", &p[0], 1));
  int got = recv_fds("receive it", sp[1], 64, 4, 0);
  printf("a new descriptor %d, the same pipe %d\n", got != p[0], same_file(got, p[0]));
  char buf[64];
  long n = read(got, buf, sizeof buf);
  printf("read through it: '%.*s'\n", (int)(n > 0 ? n : 0), buf);
  close(got);

  int two[2] = {p[0], p[1]};
  send_fds(sp[0], "b", two, 2);
  got = recv_fds("two fds, room for one", sp[1], 64, 1, 0);
  close(got);
  send_fds(sp[0], "c", two, 2);
  recv_fds("two fds, no control buffer", sp[1], 64, -1, 0);
  send_fds(sp[0], "d", two, 1);
  recv_fds("one fd, a buffer smaller than a header", sp[1], 64, 0, 0);
  send_fds(sp[0], "e", two, 2);
  got = recv_fds("MSG_CMSG_CLOEXEC", sp[1], 64, 4, MSG_CMSG_CLOEXEC);
  close(got), close(got + 1);

  /* A read that meets bytes sent with files stops where their send ends. */
  send_fds(sp[0], "abc", NULL, 0);
  send_fds(sp[0], "def", &p[0], 1);
  send_fds(sp[0], "ghi", NULL, 0);
  got = recv_fds("read across", sp[1], 64, 4, 0);
  close(got);
  recv_fds("the rest", sp[1], 64, 4, 0);
  send_fds(sp[0], "jklmno", &p[0], 1);
  got = recv_fds("part of bytes with a file", sp[1], 3, 4, 0);
  close(got);
  recv_fds("the rest of them", sp[1], 64, 4, 0);

  /* MSG_PEEK installs a copy; the real receive another. */
  send_fds(sp[0], "p", &p[0], 1);
  int peeked = recv_fds("peek", sp[1], 64, 4, MSG_PEEK);
  got = recv_fds("then receive", sp[1], 64, 4, 0);
  printf("two descriptors %d\n", peeked != got && peeked >= 0 && got >= 0);
  close(peeked), close(got);

  /* read() drops passed files: the pipe's write end goes away. */
  int q[2];
  pipe(q);
  send_fds(sp[0], "w", &q[1], 1);
  close(q[1]);
  n = read(sp[1], buf, sizeof buf);
  printf("read() took %ld byte\n", n);
  n = read(q[0], buf, sizeof buf);
  printf("the pipe's reader then sees %ld\n", n);
  close(q[0]);

  /* sendmsg's checks. */
  int bad = 999;
  show("a closed descriptor", send_fds(sp[0], "x", &bad, 1));
  int many[254];
  for (int i = 0; i < 254; i++) many[i] = p[0];
  show("254 descriptors", send_fds(sp[0], "x", many, 254));
  show("253 descriptors", send_fds(sp[0], "x", many, 253));
  got = recv_fds("receive 253 into room for 8", sp[1], 64, 8, 0);
  for (int i = 0; i < 8; i++) close(got + i);
  char ctl[64];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {"y", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = 24};
  struct cmsghdr *c = (struct cmsghdr *)ctl;
  c->cmsg_len = 8;
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  show("cmsg_len below a header", sendmsg(sp[0], &m, 0));
  c->cmsg_len = 40;
  show("cmsg_len beyond the buffer", sendmsg(sp[0], &m, 0));
  c->cmsg_len = 20;
  c->cmsg_type = 99;
  show("an unknown SOL_SOCKET type", sendmsg(sp[0], &m, 0));
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = 1;
  show("another level (skipped)", sendmsg(sp[0], &m, 0));
  m.msg_controllen = 8;
  show("a buffer smaller than a header", sendmsg(sp[0], &m, 0));
  n = recv(sp[1], buf, sizeof buf, 0);
  printf("those sent %ld bytes\n", n);

  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  m.msg_name = &to;
  m.msg_namelen = sizeof to;
  m.msg_controllen = CMSG_SPACE(sizeof(int));
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[0], sizeof(int));
  show("SCM_RIGHTS over UDP", sendmsg(u, &m, 0));
  close(u);

  /* Datagrams: each keeps its own files. */
  int dp[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
  send_fds(dp[0], "first", &p[0], 1);
  send_fds(dp[0], "second", two, 2);
  got = recv_fds("datagram one", dp[1], 64, 4, 0);
  close(got);
  got = recv_fds("datagram two, truncated", dp[1], 3, 4, 0);
  close(got), close(got + 1);
  close(dp[0]), close(dp[1]);
  close(sp[0]), close(sp[1]);
  return 0;
}
