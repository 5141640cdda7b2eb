/* Helpers shared by corpus programs: each program prints what it observes
 * so that native and Ditto runs can be compared line by line. */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static inline const char *errname(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF)
    E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV)
    E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(EFBIG) E(ENOSPC)
    E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY)
    E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP) E(EDEADLK) E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL)
    E(ENETUNREACH) E(EISCONN) E(ENOTCONN) E(ECONNREFUSED) E(EINPROGRESS) E(ENOTSOCK) E(EPROTOTYPE)
    E(ENOPROTOOPT) E(EPROTONOSUPPORT) E(EDESTADDRREQ) E(EMSGSIZE) E(ECONNRESET) E(EDOM)
#undef E
    default: {
      static char buf[32];
      snprintf(buf, sizeof buf, "errno%d", e);
      return buf;
    }
  }
}

/* Prints "what = R" or "what = -1 ENAME" for a libc/syscall-style result. */
static inline void show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, errname(errno));
  else printf("%s = %ld\n", what, r);
}

/* Waits for child `p`: its exit code, 128+N when signal N killed it, or -1. */
static inline long wait_code(pid_t p) {
  int st;
  if (waitpid(p, &st, 0) != p) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
