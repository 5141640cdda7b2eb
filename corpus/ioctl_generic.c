#define _GNU_SOURCE
/* The ioctl requests every file answers (fs/ioctl.c do_vfs_ioctl()) and
 * a pipe's FIONREAD, on a pipe, a regular file and /dev/null: FIONBIO sets
 * O_NONBLOCK as F_SETFL would, FIOCLEX/FIONCLEX the close-on-exec flag,
 * FIONREAD counts what a read would get (negative past a file's end),
 * FIOASYNC of 0 is a no-op and turning it on for a file without fasync is
 * ENOTTY, terminal requests on non-terminals are ENOTTY, an O_PATH
 * descriptor is EBADF, a bad argument pointer EFAULT. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 1;
  int on = 1, off = 0, n = -1;
  show("FIONBIO on (pipe)", ioctl(p[0], FIONBIO, &on));
  printf("O_NONBLOCK after: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
  char c;
  show("read of the empty pipe", read(p[0], &c, 1));
  show("FIONBIO off", ioctl(p[0], FIONBIO, &off));
  printf("O_NONBLOCK after: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
  show("FIONBIO with a bad pointer", ioctl(p[0], FIONBIO, (int *)8));
  show("write 5", write(p[1], "hello", 5));
  show("FIONREAD (pipe)", ioctl(p[0], FIONREAD, &n));
  printf("n = %d\n", n);
  show("FIONREAD with a bad pointer", ioctl(p[0], FIONREAD, (int *)8));
  show("FIOCLEX", ioctl(p[0], FIOCLEX));
  printf("FD_CLOEXEC: %d\n", fcntl(p[0], F_GETFD) & FD_CLOEXEC);
  show("FIONCLEX", ioctl(p[0], FIONCLEX));
  printf("FD_CLOEXEC: %d\n", fcntl(p[0], F_GETFD) & FD_CLOEXEC);
  struct termios t;
  show("TCGETS (pipe)", ioctl(p[0], TCGETS, &t));
  struct winsize ws;
  show("TIOCGWINSZ (pipe)", ioctl(p[1], TIOCGWINSZ, &ws));
  show("an unknown request (pipe)", ioctl(p[0], 0x12345678, &n));

  char path[] = "/tmp/ioctl_generic.XXXXXX";
  int f = mkstemp(path);
  if (f < 0) return 1;
  unlink(path);
  show("write 10 (file)", write(f, "0123456789", 10));
  lseek(f, 3, SEEK_SET);
  show("FIONREAD (file at 3)", ioctl(f, FIONREAD, &n));
  printf("n = %d\n", n);
  lseek(f, 25, SEEK_SET);
  show("FIONREAD (file past its end)", ioctl(f, FIONREAD, &n));
  printf("n = %d\n", n);
  show("FIOASYNC off (file)", ioctl(f, FIOASYNC, &off));
  show("FIOASYNC on (file)", ioctl(f, FIOASYNC, &on));
  show("FIOASYNC bad pointer", ioctl(f, FIOASYNC, (int *)8));
  show("FIONBIO on (file)", ioctl(f, FIONBIO, &on));
  printf("O_NONBLOCK after: %d\n", (fcntl(f, F_GETFL) & O_NONBLOCK) != 0);
  show("TCGETS (file)", ioctl(f, TCGETS, &t));

  int null = open("/dev/null", O_RDWR);
  show("FIONREAD (/dev/null)", ioctl(null, FIONREAD, &n));
  show("TCGETS (/dev/null)", ioctl(null, TCGETS, &t));
  show("FIONBIO (/dev/null)", ioctl(null, FIONBIO, &on));
  int o = open("/tmp", O_PATH);
  show("FIOCLEX (O_PATH)", ioctl(o, FIOCLEX));
  show("FIONREAD (directory)", ioctl(open("/tmp", O_RDONLY | O_DIRECTORY), FIONREAD, &n));
  show("ioctl(bad fd)", ioctl(99, FIOCLEX));
  return 0;
}
