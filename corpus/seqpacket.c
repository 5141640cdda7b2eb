/* AF_UNIX SOCK_SEQPACKET against the host: connected sockets (socketpair,
 * and bind/listen/accept/connect on a path and an abstract name) that keep
 * message boundaries: a short buffer loses the rest of a message (MSG_TRUNC
 * in msg_flags, its length with the MSG_TRUNC flag), empty messages,
 * MSG_PEEK, a peer's close (0, then EPIPE), shutdown, poll, the socket's
 * type and addresses, and argument errors that differ from streams. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "corpus.h"

static void recv_show(const char *what, int s, size_t size, int flags) {
  char buf[64] = "";
  struct iovec iov = {buf, size};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  long n = recvmsg(s, &m, flags | MSG_DONTWAIT);
  if (n < 0) {
    printf("%s: -1 %s\n", what, errname(errno));
    return;
  }
  size_t shown = (size_t)n < size ? (size_t)n : size;
  printf("%s: %ld '%.*s'%s\n", what, n, (int)shown, buf, (m.msg_flags & MSG_TRUNC) ? " TRUNC" : "");
}

static void poll_show(const char *what, int s) {
  struct pollfd p = {s, POLLIN | POLLOUT | POLLRDHUP, 0};
  poll(&p, 1, 0);
  printf("%s: poll 0x%x\n", what, p.revents);
}

static void pair_checks(void) {
  int sv[2];
  show("socketpair(SEQPACKET)", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
  int type = 0;
  socklen_t len = sizeof type;
  getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len);
  printf("SO_TYPE %d\n", type);
  show("send 'hello'", send(sv[0], "hello", 5, 0));
  show("send 'worlds'", send(sv[0], "worlds", 6, 0));
  show("send ''", send(sv[0], "", 0, 0));
  show("send 'abc'", send(sv[0], "abc", 3, 0));
  int avail = -1;
  show("FIONREAD", ioctl(sv[1], FIONREAD, &avail));
  printf("FIONREAD value %d\n", avail);
  poll_show("with messages", sv[1]);
  recv_show("peek 3", sv[1], 3, MSG_PEEK);
  recv_show("recv 3 of hello", sv[1], 3, 0);
  recv_show("recv 10 (worlds)", sv[1], 10, MSG_TRUNC);
  recv_show("recv empty message", sv[1], 10, 0);
  recv_show("recv 2, MSG_TRUNC (abc)", sv[1], 2, MSG_TRUNC);
  recv_show("recv none left", sv[1], 10, 0);
  /* read() and write() keep the boundaries too. */
  write(sv[1], "one", 3);
  write(sv[1], "two", 3);
  char buf[16];
  show("read 16 (one)", read(sv[0], buf, sizeof buf));
  show("read 1 (two)", read(sv[0], buf, 1));
  show("read after", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
  /* A readv spans iovecs within one message. */
  send(sv[0], "abcdefgh", 8, 0);
  char a[3], b[3];
  struct iovec iov[2] = {{a, 3}, {b, 3}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  long n = recvmsg(sv[1], &m, 0);
  printf("recvmsg 2 iovecs: %ld '%.3s' '%.3s'%s\n", n, a, b, (m.msg_flags & MSG_TRUNC) ? " TRUNC" : "");
  /* sendto with an address on a connected socket: the address is ignored. */
  struct sockaddr_un nowhere = {AF_UNIX, "/nonexistent/x"};
  show("sendto(address)", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&nowhere, sizeof nowhere));
  recv_show("recv it", sv[1], 10, 0);
  /* Too big for the send buffer. */
  int sndbuf = 0;
  len = sizeof sndbuf;
  getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
  printf("SO_SNDBUF %d\n", sndbuf);
  char *big = calloc(1, 300000);
  show("send 300000", send(sv[0], big, 300000, MSG_DONTWAIT));
  show("send SO_SNDBUF - 31", send(sv[0], big, sndbuf - 31, MSG_DONTWAIT));
  show("send SO_SNDBUF - 32", send(sv[0], big, sndbuf - 32, MSG_DONTWAIT));
  recv_show("recv the big one", sv[1], 4, 0);
  free(big);
  /* Shutdown of writing: the peer reads 0 and polls RDHUP. */
  show("shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR));
  recv_show("recv after peer's SHUT_WR", sv[1], 10, 0);
  poll_show("after peer's SHUT_WR", sv[1]);
  show("send after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
  show("send the other way", send(sv[1], "back", 4, 0));
  recv_show("recv the other way", sv[0], 10, 0);
  close(sv[0]);
  close(sv[1]);

  /* A close: what was queued is still read, then 0; sending is EPIPE. */
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  send(sv[0], "last", 4, 0);
  close(sv[0]);
  poll_show("peer closed", sv[1]);
  recv_show("recv queued", sv[1], 10, 0);
  recv_show("recv at end", sv[1], 10, 0);
  show("send to closed", send(sv[1], "x", 1, MSG_NOSIGNAL));
  close(sv[1]);
  /* A close with unread data. */
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  send(sv[1], "unread", 6, 0);
  close(sv[0]);
  recv_show("recv after a close with unread data", sv[1], 10, 0);
  int err = 0;
  len = sizeof err;
  getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &len);
  printf("SO_ERROR %s\n", err ? errname(err) : "0");
  recv_show("recv again", sv[1], 10, 0);
  close(sv[1]);
  /* The same for a stream, and SO_ERROR before the read takes it. */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  send(sv[1], "unread", 6, 0);
  close(sv[0]);
  poll_show("stream peer closed with unread data", sv[1]);
  err = 0;
  getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &len);
  printf("stream SO_ERROR %s\n", err ? errname(err) : "0");
  recv_show("stream recv", sv[1], 10, 0);
  close(sv[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  send(sv[1], "unread", 6, 0);
  close(sv[0]);
  recv_show("stream recv (no SO_ERROR first)", sv[1], 10, 0);
  recv_show("stream recv again", sv[1], 10, 0);
  close(sv[1]);

  /* How many small messages fit before a non-blocking send waits. */
  socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv);
  int count = 0;
  while (send(sv[0], "m", 1, 0) == 1 && count < 100000) count++;
  printf("small messages queued: %s (%s)\n", count > 10 ? "more than 10" : "at most 10", errname(errno));
  close(sv[0]);
  close(sv[1]);

  /* A receiver that is not the sender's peer takes 11 datagrams; one that
   * is takes what the sender's buffer holds, and gives it back unread when
   * it closes. */
  struct sockaddr_un sa = {AF_UNIX, ""}, sb = {AF_UNIX, ""};
  snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "seqpacket-sa-%d", getpid());
  snprintf(sb.sun_path + 1, sizeof sb.sun_path - 1, "seqpacket-sb-%d", getpid());
  socklen_t salen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1);
  socklen_t sblen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sb.sun_path + 1);
  int snd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0), rcv = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(snd, (struct sockaddr *)&sa, salen);
  bind(rcv, (struct sockaddr *)&sb, sblen);
  count = 0;
  while (sendto(snd, "m", 1, 0, (struct sockaddr *)&sb, sblen) == 1 && count < 1000) count++;
  printf("datagrams to a receiver that is not the peer: %d (%s)\n", count, errname(errno));
  close(rcv);
  rcv = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(rcv, (struct sockaddr *)&sb, sblen);
  connect(rcv, (struct sockaddr *)&sa, salen);
  connect(snd, (struct sockaddr *)&sb, sblen);
  count = 0;
  while (send(snd, "m", 1, 0) == 1 && count < 1000) count++;
  printf("datagrams to the peer: %d (%s)\n", count, errname(errno));
  close(rcv);
  rcv = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(rcv, (struct sockaddr *)&sb, sblen);
  connect(rcv, (struct sockaddr *)&sa, salen);
  connect(snd, (struct sockaddr *)&sb, sblen);
  show("send after the peer closed unread", send(snd, "m", 1, 0));
  close(rcv);
  close(snd);
}

static void listen_checks(int abstract) {
  struct sockaddr_un addr = {AF_UNIX, ""};
  socklen_t alen;
  if (abstract) {
    snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "seqpacket-%d", getpid());
    alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(addr.sun_path + 1);
  } else {
    snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/seqpacket-%d", getpid());
    unlink(addr.sun_path);
    alen = sizeof addr;
  }
  printf("-- %s\n", abstract ? "abstract" : "path");
  int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  char buf[16];
  show("recv before connect", recv(l, buf, sizeof buf, MSG_DONTWAIT));
  show("send before connect", send(l, "x", 1, MSG_NOSIGNAL));
  show("bind", bind(l, (struct sockaddr *)&addr, alen));
  show("accept before listen", accept(l, NULL, NULL));
  show("listen", listen(l, 4));
  fcntl(l, F_SETFL, O_NONBLOCK);
  show("accept none (nonblocking)", accept(l, NULL, NULL));
  fcntl(l, F_SETFL, 0);
  int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
  show("dgram connect to seqpacket", connect(dgram, (struct sockaddr *)&addr, alen));
  int stream = socket(AF_UNIX, SOCK_STREAM, 0);
  show("stream connect to seqpacket", connect(stream, (struct sockaddr *)&addr, alen));
  close(dgram);
  close(stream);
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  poll_show("listener before connect", l);
  show("connect", connect(c, (struct sockaddr *)&addr, alen));
  show("connect again", connect(c, (struct sockaddr *)&addr, alen));
  poll_show("listener with a connection", l);
  send(c, "ping", 4, 0);
  struct sockaddr_un peer;
  socklen_t plen = sizeof peer;
  int a = accept(l, (struct sockaddr *)&peer, &plen);
  printf("accept: %s, peer address length %u\n", a >= 0 ? "ok" : errname(errno), (unsigned)plen);
  recv_show("server recv", a, 10, 0);
  send(a, "pong!", 5, 0);
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  long n = recvfrom(c, buf, 2, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
  int same = abstract ? flen == alen && memcmp(&from, &addr, alen) == 0 : strcmp(from.sun_path, addr.sun_path) == 0;
  printf("client recvfrom 2: %ld '%.2s', from the bound name %d\n", n, buf, same);
  struct sockaddr_un name;
  socklen_t nlen = sizeof name;
  getpeername(c, (struct sockaddr *)&name, &nlen);
  same = abstract ? nlen == alen && memcmp(&name, &addr, alen) == 0 : strcmp(name.sun_path, addr.sun_path) == 0;
  printf("getpeername matches %d\n", same);
  close(c);
  recv_show("server recv after client closed", a, 10, 0);
  close(a);
  close(l);
  if (!abstract) unlink(addr.sun_path);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGPIPE, SIG_IGN);
  pair_checks();
  listen_checks(0);
  listen_checks(1);
  /* Blocking: a receiver waits for a message from another process. */
  int sv[2];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  pid_t p = fork();
  if (p == 0) {
    usleep(20000);
    send(sv[1], "late message", 12, 0);
    _exit(0);
  }
  char buf[64];
  long n = recv(sv[0], buf, 4, 0);
  printf("blocking recv: %ld '%.4s'\n", n, buf);
  wait_code(p);
  show("recv after child exit (its copy closed, ours open)", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
  return 0;
}
