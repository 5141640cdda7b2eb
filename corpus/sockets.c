/* Sockets against the host's loopback: TCP and UDP on 127.0.0.1, AF_UNIX
 * stream and datagram sockets on paths, abstract names and socketpairs;
 * names, options, shutdown, readiness and the errno of each misuse. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "corpus.h"

static void pollstate(const char *what, int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  int n = poll(&p, 1, 0);
  printf("%s: poll %d revents %#x\n", what, n, p.revents);
}

static int int_opt(int fd, int level, int name) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) < 0) return -1000 - errno;
  return v;
}

static void tcp(void) {
  show("socket bad domain", socket(12345, SOCK_STREAM, 0));
  show("socket bad type", socket(AF_INET, 99, 0));
  show("socket bad protocol", socket(AF_INET, SOCK_STREAM, 17));
  int sv[2];
  show("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, sv));
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  show("getpeername unconnected", getpeername(l, (struct sockaddr *)&a, &(socklen_t){sizeof a}));
  show("accept before listen", accept(l, NULL, NULL));
  show("shutdown unconnected", shutdown(l, SHUT_RD));
  pollstate("fresh tcp", l);
  show("bind short", bind(l, (struct sockaddr *)&a, 4));
  show("bind", bind(l, (struct sockaddr *)&a, sizeof a));
  show("bind again", bind(l, (struct sockaddr *)&a, sizeof a));
  socklen_t len = sizeof a;
  getsockname(l, (struct sockaddr *)&a, &len);
  printf("bound: len %u family %d loopback %d port set %d\n", len, a.sin_family, a.sin_addr.s_addr == htonl(INADDR_LOOPBACK), a.sin_port != 0);
  int other = socket(AF_INET, SOCK_STREAM, 0);
  show("bind a used port", bind(other, (struct sockaddr *)&a, sizeof a));
  show("listen", listen(l, 8));
  printf("SO_ACCEPTCONN %d SO_TYPE %d SO_PROTOCOL %d SO_DOMAIN %d\n", int_opt(l, SOL_SOCKET, SO_ACCEPTCONN),
         int_opt(l, SOL_SOCKET, SO_TYPE), int_opt(l, SOL_SOCKET, SO_PROTOCOL), int_opt(l, SOL_SOCKET, SO_DOMAIN));
  pollstate("listener idle", l);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  show("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  show("connect again", connect(c, (struct sockaddr *)&a, sizeof a));
  pollstate("listener with a connection", l);
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int s = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
  show("accept4", s >= 0);
  struct sockaddr_in cname;
  socklen_t clen = sizeof cname;
  getsockname(c, (struct sockaddr *)&cname, &clen);
  printf("accepted peer is the client: %d, len %u\n", peer.sin_port == cname.sin_port && peer.sin_addr.s_addr == cname.sin_addr.s_addr, plen);
  struct sockaddr_in sp;
  socklen_t splen = sizeof sp;
  getpeername(c, (struct sockaddr *)&sp, &splen);
  printf("client's peer is the listener's port: %d\n", sp.sin_port == a.sin_port);
  fcntl(l, F_SETFL, O_NONBLOCK);
  show("accept nonblocking, none waiting", accept(l, NULL, NULL));
  fcntl(l, F_SETFL, 0);
  /* musl's accept4 retries a refused one as accept(): the raw call. */
  show("accept4 bad flags", syscall(SYS_accept4, l, NULL, NULL, 1));
  char buf[64];
  pollstate("connected", c);
  show("send", send(c, "hello", 5, 0));
  show("write", write(c, " world", 6));
  show("recv peek", recv(s, buf, 3, MSG_PEEK));
  show("recv", recv(s, buf, sizeof buf, 0));
  printf("got '%.11s'\n", buf);
  show("shutdown bad how", shutdown(c, 7));
  show("shutdown wr", shutdown(c, SHUT_WR));
  pollstate("server after the client's shutdown", s);
  show("recv at end", recv(s, buf, sizeof buf, 0));
  show("server sends back", send(s, "bye", 3, 0));
  show("client recv", recv(c, buf, sizeof buf, 0));
  int one = 1;
  show("TCP_NODELAY", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  printf("TCP_NODELAY now %d\n", int_opt(c, IPPROTO_TCP, TCP_NODELAY));
  show("SO_REUSEADDR", setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  printf("SO_REUSEADDR now %d, SO_ERROR %d\n", int_opt(other, SOL_SOCKET, SO_REUSEADDR), int_opt(c, SOL_SOCKET, SO_ERROR));
  show("setsockopt short", setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, 2));
  close(s), close(c);
  /* A non-blocking connect is under way, then made. */
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  show("nonblocking connect", connect(c, (struct sockaddr *)&a, sizeof a));
  struct pollfd p = {.fd = c, .events = POLLOUT};
  show("poll until writable", poll(&p, 1, 1000));
  printf("SO_ERROR %d\n", int_opt(c, SOL_SOCKET, SO_ERROR));
  s = accept(l, NULL, NULL);
  show("accepted", s >= 0);
  close(s), close(c);
  close(l);
  c = socket(AF_INET, SOCK_STREAM, 0);
  show("connect to a closed port", connect(c, (struct sockaddr *)&a, sizeof a));
  close(c), close(other);
}

static void udp(void) {
  int u = socket(AF_INET, SOCK_DGRAM, 0), v = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(u, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(u, (struct sockaddr *)&a, &len);
  show("listen on udp", listen(u, 1));
  show("send unconnected", send(v, "x", 1, 0));
  show("sendto", sendto(v, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a));
  show("sendto again", sendto(v, "second", 6, 0, (struct sockaddr *)&a, sizeof a));
  char buf[64];
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  show("recvfrom short buffer", recvfrom(u, buf, 4, 0, (struct sockaddr *)&from, &flen));
  struct sockaddr_in vname;
  socklen_t vlen = sizeof vname;
  getsockname(v, (struct sockaddr *)&vname, &vlen);
  printf("from the sender: %d (len %u)\n", from.sin_port == vname.sin_port, flen);
  show("recv truncated", recv(u, buf, 2, MSG_TRUNC));
  show("recv nonblocking, empty", recv(u, buf, sizeof buf, MSG_DONTWAIT));
  show("connect udp", connect(v, (struct sockaddr *)&a, sizeof a));
  show("send connected", send(v, "third", 5, 0));
  show("recv", recv(u, buf, sizeof buf, 0));
  pollstate("udp", u);
  close(u), close(v);
}

static void unix_sockets(void) {
  char path[64];
  /* The length of the name shows in getpeername: a fixed width. */
  snprintf(path, sizeof path, "/tmp/ditto_sock_%08d", (int)getpid());
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strcpy(a.sun_path, path);
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
  show("listen unbound", listen(l, 1));
  show("bind path", bind(l, (struct sockaddr *)&a, alen));
  struct stat st;
  stat(path, &st);
  printf("a socket file: %d\n", S_ISSOCK(st.st_mode));
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  show("bind the same path", bind(again, (struct sockaddr *)&a, alen));
  show("listen", listen(l, 4));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  show("connect", connect(c, (struct sockaddr *)&a, alen));
  int s = accept(l, NULL, NULL);
  struct ucred cr;
  socklen_t crl = sizeof cr;
  getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crl);
  printf("peer cred: pid ours %d uid %d gid %d len %u\n", cr.pid == getpid(), (int)cr.uid, (int)cr.gid, crl);
  struct sockaddr_un got;
  socklen_t glen = sizeof got;
  getpeername(c, (struct sockaddr *)&got, &glen);
  printf("client's peer: %s (len %u)\n", strcmp(got.sun_path, path) == 0 ? "the path" : got.sun_path, glen);
  glen = sizeof got;
  getsockname(c, (struct sockaddr *)&got, &glen);
  printf("client's own name length %u\n", glen);
  show("send", send(c, "ping", 4, 0));
  show("recv", recv(s, (char[8]){0}, 8, 0));
  close(s);
  pollstate("client after the server closed", c);
  char b;
  show("recv after the peer closed", recv(c, &b, 1, 0));
  show("send after the peer closed", send(c, "x", 1, MSG_NOSIGNAL));
  close(c);
  close(l);
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  show("connect after the listener closed", connect(c, (struct sockaddr *)&a, alen));
  unlink(path);
  show("connect to a missing path", connect(c, (struct sockaddr *)&a, alen));
  int reg = open(path, O_CREAT | O_WRONLY, 0600);
  close(reg);
  show("connect to a regular file", connect(c, (struct sockaddr *)&a, alen));
  unlink(path);
  close(c), close(again);
  /* Abstract names. */
  struct sockaddr_un ab = {.sun_family = AF_UNIX};
  memcpy(ab.sun_path, "\0ditto-abstract", 15);
  socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 15;
  int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  show("bind abstract", bind(d1, (struct sockaddr *)&ab, ablen));
  show("bind abstract again", bind(d2, (struct sockaddr *)&ab, ablen));
  show("sendto abstract", sendto(d2, "abc", 3, 0, (struct sockaddr *)&ab, ablen));
  char buf[16];
  show("recv", recv(d1, buf, sizeof buf, 0));
  glen = sizeof got;
  getsockname(d1, (struct sockaddr *)&got, &glen);
  printf("abstract name length %u\n", glen);
  close(d1), close(d2);
  /* Pairs. */
  int sv[2];
  show("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  show("write", write(sv[0], "one", 3));
  show("write", write(sv[0], "two", 3));
  show("read merges", read(sv[1], buf, sizeof buf));
  show("shutdown rd", shutdown(sv[1], SHUT_RD));
  pollstate("after shutdown rd", sv[1]);
  close(sv[0]), close(sv[1]);
  show("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  write(sv[0], "one", 3);
  write(sv[0], "two", 3);
  show("read one message", read(sv[1], buf, sizeof buf));
  show("read the next", read(sv[1], buf, sizeof buf));
  close(sv[0]);
  show("send to a closed pair", send(sv[1], "x", 1, MSG_NOSIGNAL));
  close(sv[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  tcp();
  udp();
  unix_sockets();
  return 0;
}
