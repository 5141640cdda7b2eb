/* SCM_CREDENTIALS and SO_PASSCRED against the host: a receiver with
 * SO_PASSCRED learns who sent (the sender's pid and real ids, or what it
 * named and may name), a stream read never joins two senders' bytes,
 * MSG_CTRUNC for a missing or short control buffer, credentials before
 * files, and sendmsg's checks (scm_check_creds()). Run as root. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "corpus.h"

static pid_t parent;

static long send_creds(int s, const char *data, pid_t pid, uid_t uid, gid_t gid, int len_fix) {
  char ctl[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {(void *)data, strlen(data)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                     .msg_controllen = CMSG_SPACE(sizeof(struct ucred))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred)) + len_fix;
  struct ucred u = {pid, uid, gid};
  memcpy(CMSG_DATA(c), &u, sizeof u);
  return syscall(SYS_sendmsg, s, &m, 0);
}

static void receive(const char *what, int s, size_t size, size_t ctl_size) {
  char data[64] = "";
  char ctl[256];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {data, size};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl_size ? ctl : NULL,
                     .msg_controllen = ctl_size};
  long n = recvmsg(s, &m, MSG_DONTWAIT);
  if (n < 0) {
    printf("%s: -1 %s\n", what, errname(errno));
    return;
  }
  printf("%s: %ld bytes '%.*s', controllen %zu%s", what, n, (int)n, data, (size_t)m.msg_controllen,
         (m.msg_flags & MSG_CTRUNC) ? " CTRUNC" : "");
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    printf(", type %d len %zu", c->cmsg_type, (size_t)c->cmsg_len);
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred u;
      memcpy(&u, CMSG_DATA(c), sizeof u);
      printf(" (pid %s, uid %u, gid %u)", u.pid == getpid() ? "ours" : u.pid == parent ? "the parent's" : "another",
             u.uid, u.gid);
    }
    if (c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      close(fd);
    }
  }
  printf("\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  parent = getpid();
  int sp[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  int on = 1;
  show("SO_PASSCRED", setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  int v = 0;
  socklen_t vl = sizeof v;
  getsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &v, &vl);
  printf("reads back %d\n", v);
  write(sp[0], "hi", 2);
  receive("plain write", sp[1], 64, 64);
  show("explicit credentials", send_creds(sp[0], "ex", getpid(), 0, 0, 0));
  receive("them", sp[1], 64, 64);
  /* Another live process: a child waiting on a pipe. */
  int hold[2];
  pipe(hold);
  pid_t other = fork();
  if (other == 0) {
    char b;
    read(hold[0], &b, 1);
    _exit(0);
  }
  show("credentials of another process (root may)", send_creds(sp[0], "ot", other, 0, 0, 0));
  receive("them", sp[1], 64, 64);
  show("a pid that does not exist", send_creds(sp[0], "x", 999999, 0, 0, 0));
  show("uid -1", send_creds(sp[0], "x", getpid(), (uid_t)-1, 0, 0));
  show("a short cmsg_len", send_creds(sp[0], "x", getpid(), 0, 0, -4));
  show("a long cmsg_len", send_creds(sp[0], "x", getpid(), 0, 0, 4));
  write(sp[0], "nc", 2);
  receive("no control buffer", sp[1], 64, 0);
  write(sp[0], "sc", 2);
  receive("a 20-byte control buffer", sp[1], 64, 20);
  write(sp[0], "tc", 2);
  receive("a 12-byte control buffer", sp[1], 64, 12);

  /* Credentials come before files. */
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {"f", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int zero = 0;
  memcpy(CMSG_DATA(c), &zero, sizeof zero);
  sendmsg(sp[0], &m, 0);
  receive("with a file", sp[1], 64, 64);

  /* Two senders' bytes are never joined: ours, then a uid-1000 child's. */
  write(sp[0], "aa", 2);
  pid_t child = fork();
  if (child == 0) {
    if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(100);
    write(sp[0], "bb", 2);
    show("child: claiming uid 0", send_creds(sp[0], "x", getpid(), 0, 1000, 0));
    show("child: claiming the parent's pid", send_creds(sp[0], "x", getppid(), 1000, 1000, 0));
    _exit(0);
  }
  printf("child: %ld\n", wait_code(child));
  receive("first read", sp[1], 64, 64);
  receive("second read", sp[1], 64, 64);
  on = 0;
  setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  write(sp[0], "cc", 2);
  write(sp[0], "dd", 2);
  receive("without SO_PASSCRED", sp[1], 64, 64);

  /* Datagrams: each says who sent it. */
  int dp[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
  on = 1;
  setsockopt(dp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  write(dp[0], "dg", 2);
  send_creds(dp[0], "dx", other, 0, 0, 0);
  receive("datagram", dp[1], 64, 64);
  receive("datagram with credentials", dp[1], 64, 64);

  /* An unbound sender with SO_PASSCRED gets an abstract name of five hex
   * digits when it sends or connects; without it, it stays unnamed. */
  for (int passcred = 0; passcred < 2; passcred++) {
    struct sockaddr_un to = {AF_UNIX, ""}, from;
    snprintf(to.sun_path + 1, sizeof to.sun_path - 1, "scm-creds-%d-%d", getpid(), passcred);
    socklen_t tolen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(to.sun_path + 1);
    int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(r, (struct sockaddr *)&to, tolen);
    setsockopt(s, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof passcred);
    sendto(s, "n", 1, 0, (struct sockaddr *)&to, tolen);
    socklen_t flen = sizeof from;
    char b;
    recvfrom(r, &b, 1, 0, (struct sockaddr *)&from, &flen);
    printf("datagram sender %s SO_PASSCRED: from length %u%s\n", passcred ? "with" : "without", (unsigned)flen,
           flen == 8 && from.sun_path[0] == '\0' ? ", an abstract name" : "");
    close(r), close(s);
    int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&to, tolen);
    listen(l, 1);
    setsockopt(c, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof passcred);
    connect(c, (struct sockaddr *)&to, tolen);
    flen = sizeof from;
    int a = accept(l, (struct sockaddr *)&from, &flen);
    printf("stream client %s SO_PASSCRED: peer address length %u\n", passcred ? "with" : "without", (unsigned)flen);
    close(a), close(c), close(l);
  }
  write(hold[1], "x", 1);
  printf("other: %ld\n", wait_code(other));
  return 0;
}
