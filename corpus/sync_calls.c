/* The sync family against the host: fsync/fdatasync on files, directories,
 * pipes and devices, sync_file_range's checks, syncfs, sync, and msync's
 * (alignment, flags, holes in the range). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpus.h"

int main(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/ditto_sync_%d", (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, "data", 4) != 4) return 1;
  show("fsync file", fsync(fd));
  show("fdatasync file", fdatasync(fd));
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  show("fsync dir", fsync(dir));
  int p[2];
  if (pipe(p) != 0) return 1;
  show("fsync pipe", fsync(p[0]));
  show("fdatasync pipe", fdatasync(p[1]));
  int null = open("/dev/null", O_WRONLY);
  show("fsync /dev/null", fsync(null));
  int opath = open(path, O_PATH);
  show("fsync O_PATH", fsync(opath));
  show("fsync ebadf", fsync(99));
  show("sync_file_range", sync_file_range(fd, 0, 4, SYNC_FILE_RANGE_WRITE));
  show("sync_file_range bad flags", sync_file_range(fd, 0, 4, 8));
  show("sync_file_range negative offset", sync_file_range(fd, -1, 4, 0));
  show("sync_file_range negative length", sync_file_range(fd, 0, -4, 0));
  show("sync_file_range pipe", sync_file_range(p[0], 0, 4, 0));
  show("sync_file_range ebadf", sync_file_range(99, 0, 4, 0));
  show("syncfs", syncfs(fd));
  show("syncfs pipe", syncfs(p[0]));
  show("syncfs ebadf", syncfs(99));
  sync();
  printf("sync returned\n");
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 1;
  show("msync", msync(m, 4096, MS_SYNC));
  show("msync async", msync(m, 3 * 4096, MS_ASYNC));
  show("msync invalidate", msync(m, 10, MS_INVALIDATE));
  show("msync unaligned", msync(m + 1, 10, MS_SYNC));
  show("msync both", msync(m, 10, MS_SYNC | MS_ASYNC));
  show("msync bad flags", msync(m, 10, 8));
  show("msync zero length", msync(m, 0, MS_SYNC));
  munmap(m + 4096, 4096);
  show("msync over a hole", msync(m, 3 * 4096, MS_SYNC));
  show("msync unmapped", msync(m + 4096, 4096, MS_SYNC));
  unlink(path);
  return 0;
}
