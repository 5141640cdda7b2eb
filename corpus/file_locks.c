/* Advisory locks against the host: POSIX record locks (F_SETLK, F_SETLKW,
 * F_GETLK) between processes, their splitting and merging, release on any
 * close and at exit, EDEADLK for a cycle of waiters, EINTR; OFD locks
 * (owned by the open file, conflicting within a process); flock() (shared
 * by dup and fork, independent of fcntl locks); and the argument checks. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include "corpus.h"

static char path[64];

static int lk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) for a write lock on start..len: what blocks it. */
static void probe(const char *what, int fd, int cmd, off_t start, off_t len, pid_t owner) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, cmd, &fl) < 0) {
    printf("%s: -1 %s\n", what, errname(errno));
    return;
  }
  if (fl.l_type == F_UNLCK) {
    printf("%s: unlocked\n", what);
    return;
  }
  printf("%s: %s start %ld len %ld pid %s\n", what, fl.l_type == F_WRLCK ? "write" : "read", (long)fl.l_start,
         (long)fl.l_len, fl.l_pid == owner ? "owner" : fl.l_pid == -1 ? "-1" : "other");
}

/* Runs `fn` in a child and waits for it. */
static void in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    fn();
    fflush(stdout);
    _exit(0);
  }
  wait_code(p);
}

static pid_t parent;

static void child_probes(void) {
  int fd = open(path, O_RDWR);
  probe("child getlk 50", fd, F_GETLK, 50, 1, parent);
  probe("child getlk 30", fd, F_GETLK, 30, 1, parent);
  probe("child getlk 150", fd, F_GETLK, 150, 1, parent);
  probe("child getlk 1000", fd, F_GETLK, 1000, 10, parent);
  show("child setlk write 30", lk(fd, F_SETLK, F_WRLCK, 30, 1));
  show("child setlk read 150", lk(fd, F_SETLK, F_RDLCK, 150, 10));
  close(fd);
}

static void child_probe_all(void) {
  int fd = open(path, O_RDWR);
  probe("child getlk all", fd, F_GETLK, 0, 0, parent);
  close(fd);
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  parent = getpid();
  snprintf(path, sizeof path, "/tmp/ditto_locks_%d", (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  if (write(fd, "0123456789", 10) != 10) return 1;

  /* Argument checks. */
  struct flock fl = {.l_type = 7, .l_whence = SEEK_SET};
  show("bad type", fcntl(fd, F_SETLK, &fl));
  fl.l_type = F_WRLCK, fl.l_whence = 9;
  show("bad whence", fcntl(fd, F_SETLK, &fl));
  fl.l_whence = SEEK_SET, fl.l_start = -1;
  show("negative start", fcntl(fd, F_SETLK, &fl));
  fl.l_start = 5, fl.l_len = -10;
  show("range before 0", fcntl(fd, F_SETLK, &fl));
  fl.l_start = 0x7fffffffffffffffL, fl.l_len = 2;
  show("overflow", fcntl(fd, F_SETLK, &fl));
  fl.l_type = F_UNLCK, fl.l_start = 0, fl.l_len = 0;
  show("getlk unlck", fcntl(fd, F_GETLK, &fl));
  show("getlk bad pointer", fcntl(fd, F_GETLK, (void *)8));
  int ro = open(path, O_RDONLY);
  show("write lock on O_RDONLY", lk(ro, F_SETLK, F_WRLCK, 0, 1));
  show("read lock on O_RDONLY", lk(ro, F_SETLK, F_RDLCK, 0, 1));
  show("unlock", lk(ro, F_SETLK, F_UNLCK, 0, 1));
  int wo = open(path, O_WRONLY);
  show("read lock on O_WRONLY", lk(wo, F_SETLK, F_RDLCK, 0, 1));
  close(wo);
  fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 5};
  show("ofd with l_pid", fcntl(fd, F_OFD_SETLK, &fl));
  show("ebadf", lk(99, F_SETLK, F_WRLCK, 0, 1));

  /* Split and merge: 0-99 written, 40-59 released; 100-199 and 200-299 read. */
  show("lock 0-99", lk(fd, F_SETLK, F_WRLCK, 0, 100));
  show("unlock 40-59", lk(fd, F_SETLK, F_UNLCK, 40, 20));
  show("read 100-199", lk(fd, F_SETLK, F_RDLCK, 100, 100));
  show("read 200-299", lk(fd, F_SETLK, F_RDLCK, 200, 100));
  show("own lock over own", lk(fd, F_SETLK, F_WRLCK, 10, 5));
  probe("own getlk", fd, F_GETLK, 0, 0, parent);
  in_child(child_probes);
  /* SEEK_CUR and SEEK_END ranges. */
  lseek(fd, 500, SEEK_SET);
  fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 10, .l_len = 5};
  show("seek_cur lock", fcntl(fd, F_SETLK, &fl));
  fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = -5, .l_len = 0};
  show("seek_end lock", fcntl(fd, F_SETLK, &fl));
  in_child(child_probe_all);

  /* Closing any descriptor of the file releases the process's locks. */
  close(ro);
  in_child(child_probe_all);

  /* A child's locks go at its exit; a waiter gets the lock when it is freed. */
  fflush(stdout);
  int go[2];
  if (pipe(go) != 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    int f2 = open(path, O_RDWR);
    lk(f2, F_SETLK, F_WRLCK, 0, 10);
    if (write(go[1], "x", 1) != 1) _exit(2);
    usleep(100000);
    _exit(0);
  }
  char b;
  if (read(go[0], &b, 1) != 1) return 1;
  show("setlk against child", lk(fd, F_SETLK, F_WRLCK, 0, 10));
  show("setlkw waits for child's exit", lk(fd, F_SETLKW, F_WRLCK, 0, 10));
  printf("child exit %ld\n", wait_code(c));
  lk(fd, F_SETLK, F_UNLCK, 0, 0);

  /* A cycle of waiters: EDEADLK for the one that would close it. */
  show("parent holds 0-9", lk(fd, F_SETLK, F_WRLCK, 0, 10));
  c = fork();
  if (c == 0) {
    int f2 = open(path, O_RDWR);
    lk(f2, F_SETLK, F_WRLCK, 10, 10);
    if (write(go[1], "x", 1) != 1) _exit(2);
    int r = lk(f2, F_SETLKW, F_WRLCK, 0, 10);  /* waits for the parent */
    printf("child got 0-9: %d\n", r);
    fflush(stdout);
    _exit(0);
  }
  if (read(go[0], &b, 1) != 1) return 1;
  usleep(200000);  /* the child is waiting by now */
  show("parent wants 10-19", lk(fd, F_SETLKW, F_WRLCK, 10, 10));
  lk(fd, F_SETLK, F_UNLCK, 0, 0);
  printf("child exit %ld\n", wait_code(c));

  /* A wait interrupted by a signal without SA_RESTART: EINTR. */
  c = fork();
  if (c == 0) {
    int f2 = open(path, O_RDWR);
    lk(f2, F_SETLK, F_WRLCK, 0, 1);
    if (write(go[1], "x", 1) != 1) _exit(2);
    usleep(300000);
    _exit(0);
  }
  if (read(go[0], &b, 1) != 1) return 1;
  struct sigaction sa = {.sa_handler = on_alarm};
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  show("setlkw interrupted", lk(fd, F_SETLKW, F_WRLCK, 0, 1));
  printf("child exit %ld\n", wait_code(c));

  /* OFD locks: owned by the open file, so two opens in one process conflict. */
  int a1 = open(path, O_RDWR), a2 = open(path, O_RDWR);
  show("ofd lock a1", lk(a1, F_OFD_SETLK, F_WRLCK, 0, 10));
  show("ofd lock a2", lk(a2, F_OFD_SETLK, F_WRLCK, 5, 10));
  probe("ofd getlk a2", a2, F_OFD_GETLK, 0, 0, parent);
  show("posix lock over ofd", lk(fd, F_SETLK, F_WRLCK, 0, 1));
  int a3 = dup(a1);
  close(a1);
  show("ofd lock a2 after close of a dup'ed a1", lk(a2, F_OFD_SETLK, F_WRLCK, 5, 10));
  close(a3);
  show("ofd lock a2 after the last close", lk(a2, F_OFD_SETLK, F_WRLCK, 5, 10));
  probe("posix getlk sees ofd", fd, F_GETLK, 0, 0, parent);
  close(a2);

  /* flock: per open file, shared by dup and fork, separate from fcntl locks. */
  int f1 = open(path, O_RDONLY), f2 = open(path, O_RDONLY);
  show("flock ex f1", flock(f1, LOCK_EX));
  show("flock ex|nb f2", flock(f2, LOCK_EX | LOCK_NB));
  show("flock sh|nb f2", flock(f2, LOCK_SH | LOCK_NB));
  int f3 = dup(f1);
  show("flock ex|nb dup of f1", flock(f3, LOCK_EX | LOCK_NB));
  show("fcntl lock beside flock", lk(fd, F_SETLK, F_WRLCK, 0, 1));
  fflush(stdout);
  c = fork();
  if (c == 0) {
    show("child flock ex|nb inherited f1", flock(f1, LOCK_EX | LOCK_NB));
    show("child flock ex|nb f2", flock(f2, LOCK_EX | LOCK_NB));
    _exit(0);
  }
  wait_code(c);
  show("flock sh f1 (convert)", flock(f1, LOCK_SH));
  show("flock sh|nb f2", flock(f2, LOCK_SH | LOCK_NB));
  show("flock ex|nb f2 over shared", flock(f2, LOCK_EX | LOCK_NB));
  show("flock un f1", flock(f1, LOCK_UN));
  show("flock un again", flock(f1, LOCK_UN));
  show("flock ex|nb f2 alone", flock(f2, LOCK_EX | LOCK_NB));
  show("flock bad op", flock(f1, 3));
  show("flock lock_mand", flock(f1, 32 | LOCK_SH));
  show("flock ebadf", flock(99, LOCK_SH));
  close(f1), close(f2), close(f3);
  unlink(path);
  return 0;
}
