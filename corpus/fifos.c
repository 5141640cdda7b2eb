/* Named FIFOs and mknod against the host: mkfifo and mknod's checks, a
 * reader and a writer in two processes (each open waits for the other), a
 * non-blocking reader that does not wait and a non-blocking writer that
 * fails with ENXIO, end of file when the writer goes, a FIFO's data gone
 * with its last opener, O_RDWR (both ends, never waits), what poll says
 * on each end, and device nodes (null, no device). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "corpus.h"

/* The events poll reports for one fd, at once. */
static int poll_mask(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  return n < 0 ? -1 : p.revents;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char dir[64], fifo[80], other[80], nul[80], nodev[80];
  snprintf(dir, sizeof dir, "/tmp/ditto_fifo_%08d", (int)getpid());
  mkdir(dir, 0700);
  snprintf(fifo, sizeof fifo, "%s/f", dir);
  snprintf(other, sizeof other, "%s/g", dir);
  snprintf(nul, sizeof nul, "%s/null", dir);
  snprintf(nodev, sizeof nodev, "%s/nodev", dir);
  umask(022);
  show("mkfifo", mkfifo(fifo, 0666));
  struct stat st;
  stat(fifo, &st);
  printf("fifo: %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 07777);
  show("mkfifo again", mkfifo(fifo, 0666));
  show("mknod a directory", mknod(other, S_IFDIR | 0755, 0));
  show("mknod a bad type", mknod(other, 0170000 | 0644, 0));
  show("mknod in a missing directory", mknod("/tmp/no/such/dir/x", S_IFIFO | 0644, 0));
  show("mknod a regular file", mknod(other, S_IFREG | 0640, 0));
  stat(other, &st);
  printf("regular: %d mode %o size %ld\n", S_ISREG(st.st_mode), st.st_mode & 07777, (long)st.st_size);
  show("mknodat a fifo", mknodat(AT_FDCWD, nodev, S_IFIFO | 0600, 0));
  unlink(nodev);

  show("open nonblocking writer, no reader", open(fifo, O_WRONLY | O_NONBLOCK));
  int r = open(fifo, O_RDONLY | O_NONBLOCK);
  show("open nonblocking reader", r >= 0);
  char buf[32];
  show("read, no writer yet", read(r, buf, sizeof buf));
  int w = open(fifo, O_WRONLY | O_NONBLOCK);
  show("open nonblocking writer with a reader", w >= 0);
  show("read, writer with nothing written", read(r, buf, sizeof buf));
  show("write", write(w, "abc", 3));
  show("read", read(r, buf, sizeof buf));
  close(w);
  show("read after the writer closed", read(r, buf, sizeof buf));
  close(r);

  /* Blocking opens meet across processes. */
  pid_t p = fork();
  if (p == 0) {
    int fd = open(fifo, O_WRONLY);
    if (write(fd, "from the child", 14) != 14) _exit(2);
    close(fd);
    _exit(0);
  }
  r = open(fifo, O_RDONLY);
  show("blocking open met the writer", r >= 0);
  int n, total = 0;
  while ((n = read(r, buf + total, sizeof buf - total)) > 0) total += n;
  printf("read '%.*s' then %d\n", total, buf, n);
  printf("child exit %ld\n", wait_code(p));
  close(r);
  p = fork();
  if (p == 0) {
    int fd = open(fifo, O_RDONLY);
    int got = read(fd, buf, sizeof buf);
    printf("child read %d '%.*s'\n", got, got > 0 ? got : 0, buf);
    _exit(0);
  }
  w = open(fifo, O_WRONLY);
  /* Printed after the child is done: its line and ours would race. */
  int met = w >= 0;
  long wrote = write(w, "hello", 5);
  close(w);
  long code = wait_code(p);
  show("blocking writer met the reader", met);
  show("write", wrote);
  printf("child exit %ld\n", code);

  /* What a FIFO held goes with its last opener. */
  r = open(fifo, O_RDONLY | O_NONBLOCK);
  w = open(fifo, O_WRONLY | O_NONBLOCK);
  write(w, "lost", 4);
  close(w), close(r);
  r = open(fifo, O_RDONLY | O_NONBLOCK);
  show("read a reopened fifo", read(r, buf, sizeof buf));
  close(r);

  /* O_RDWR is a reader and a writer at once and does not wait. */
  int rw = open(fifo, O_RDWR);
  show("open O_RDWR alone", rw >= 0);
  show("write to itself", write(rw, "self", 4));
  show("read back", read(rw, buf, sizeof buf));
  show("poll O_RDWR, empty", poll_mask(rw, POLLIN | POLLOUT));
  r = open(fifo, O_RDONLY);
  show("blocking reader meets the O_RDWR writer", r >= 0);
  w = open(fifo, O_WRONLY);
  show("blocking writer meets the O_RDWR reader", w >= 0);
  write(w, "xy", 2);
  show("poll O_RDWR, data", poll_mask(rw, POLLIN | POLLOUT));
  show("poll reader, data", poll_mask(r, POLLIN));
  show("read by the other reader", read(r, buf, sizeof buf));
  close(w), close(r);
  show("poll O_RDWR after the others left", poll_mask(rw, POLLIN | POLLOUT));
  close(rw);

  /* A non-blocking reader without a writer sees no hang-up until a writer
   * came and went; a writer whose readers left sees POLLERR. */
  r = open(fifo, O_RDONLY | O_NONBLOCK);
  show("poll a lone non-blocking reader", poll_mask(r, POLLIN));
  w = open(fifo, O_WRONLY | O_NONBLOCK);
  show("poll it with a writer", poll_mask(r, POLLIN));
  show("poll the writer", poll_mask(w, POLLOUT));
  close(w);
  show("poll it after the writer left", poll_mask(r, POLLIN));
  w = open(fifo, O_WRONLY | O_NONBLOCK);
  close(r);
  show("poll the writer after the reader left", poll_mask(w, POLLOUT));
  close(w);
  int pfd[2];
  pipe(pfd);
  close(pfd[1]);
  show("poll a pipe whose writer closed", poll_mask(pfd[0], POLLIN));
  close(pfd[0]);
  /* A pipe reopened O_RDWR through /proc holds both ends. */
  pipe(pfd);
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", pfd[0]);
  rw = open(link, O_RDWR);
  close(pfd[0]), close(pfd[1]);
  show("pipe reopened O_RDWR writes", write(rw, "pq", 2));
  show("and reads", read(rw, buf, sizeof buf));
  show("poll it", poll_mask(rw, POLLIN | POLLOUT));
  close(rw);

  /* Device nodes: /dev/null's numbers work, a device no one has is ENXIO. */
  show("mknod null", mknod(nul, S_IFCHR | 0666, makedev(1, 3)));
  stat(nul, &st);
  printf("char device %d, %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
  int fd = open(nul, O_RDWR);
  show("write to it", write(fd, "x", 1));
  show("read from it", read(fd, buf, 1));
  close(fd);
  show("mknod no device", mknod(nodev, S_IFCHR | 0666, makedev(250, 77)));
  show("open it", open(nodev, O_RDONLY));
  unlink(nul), unlink(nodev), unlink(fifo), unlink(other);
  rmdir(dir);
  return 0;
}
