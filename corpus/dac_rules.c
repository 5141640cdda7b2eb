/* Discretionary access control against the host: root builds a tree under
 * /tmp, then children with other credentials try it. Search permission on
 * every directory of a walk, open by the owner/group/other bits, creating
 * and deleting by the directory's bits, the sticky directory, chdir and
 * fchdir, truncate, access() with the real ids (and AT_EACCESS), utimensat,
 * protected hard links, exec, mknod, AF_UNIX bind/connect, setfsuid, and
 * what a new file's owner is. Run as root (natively too). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "corpus.h"

static char d[64];

static const char *at(const char *name) {
  static char bufs[4][160];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, 160, "%s/%s", d, name);
  return b;
}

static void make(const char *name, mode_t mode, uid_t uid, gid_t gid) {
  int fd = open(at(name), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd >= 0) {
    if (write(fd, "data\n", 5) != 5) perror("write");
    close(fd);
  }
  if (chown(at(name), uid, gid) || chmod(at(name), mode)) perror(name);
}

static void mkdir_as(const char *name, mode_t mode) {
  mkdir(at(name), 0700);
  chmod(at(name), mode);
}

static int open_result(const char *name, int flags) {
  int fd = open(at(name), flags);
  if (fd >= 0) close(fd);
  return fd < 0 ? -1 : 0;
}

static int open_result_abs(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd >= 0) close(fd);
  return fd < 0 ? -1 : 0;
}

static int opendir_result(const char *name) {
  DIR *dir = opendir(at(name));
  if (!dir) return -1;
  closedir(dir);
  return 0;
}

static void become(uid_t ruid, uid_t euid, gid_t gid) {
  if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(ruid, euid, euid)) {
    perror("become");
    _exit(100);
  }
}

static void prctl_no_new_privs(void) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) perror("prctl");
}

static void as_user(void) {
  become(1000, 1000, 1000);
  printf("-- as uid 1000\n");
  show("open 0600 root file", open_result("secret", O_RDONLY));
  show("open 0444 file to read", open_result("ro", O_RDONLY));
  show("open 0444 file to write", open_result("ro", O_WRONLY));
  show("open 0444 file O_TRUNC", open_result("ro", O_RDONLY | O_TRUNC));
  show("open 0666 file to read and write", open_result("rw", O_RDWR));
  show("open 0640 file of our group", open_result("grp", O_RDONLY));
  show("write 0640 file of our group", open_result("grp", O_WRONLY));
  show("open 0604 file of our group", open_result("grp_other", O_RDONLY));
  show("open O_PATH of a 0600 file", open_result("secret", O_PATH));
  show("O_NOATIME on another's file", open_result("rw", O_RDONLY | O_NOATIME));
  struct stat st;
  show("stat through a 0700 directory", stat(at("private/f"), &st));
  show("open through a 0700 directory", open_result("private/f", O_RDONLY));
  show("stat through it and back", stat(at("private/../ro"), &st));
  show("opendir a 0700 directory", opendir_result("private"));
  show("stat a 0700 directory itself", stat(at("private"), &st));
  show("stat through a 0711 directory", stat(at("exec_only/known"), &st));
  show("opendir a 0711 directory", opendir_result("exec_only"));
  show("stat through a 0744 directory", stat(at("read_only_dir/f"), &st));
  show("opendir a 0744 directory", opendir_result("read_only_dir"));
  show("create in a 0755 root directory", open(at("newfile"), O_CREAT | O_WRONLY, 0644));
  show("mkdir in it", mkdir(at("newdir"), 0755));
  show("symlink in it", symlink("ro", at("newlink")));
  show("mkfifo in it", mkfifo(at("newfifo"), 0644));
  int fd = open(at("open/mine"), O_CREAT | O_WRONLY, 0640);
  show("create in a 0777 directory", fd >= 0);
  close(fd);
  stat(at("open/mine"), &st);
  printf("new file: owner %u group %u mode %o\n", st.st_uid, st.st_gid, st.st_mode & 07777);
  show("mkdir in a 0777 directory", mkdir(at("open/sub"), 0700));
  show("unlink in a 0755 root directory", unlink(at("ro")));
  show("rmdir in it", rmdir(at("empty")));
  show("unlink a missing name in it", unlink(at("missing")));
  show("rename out of it", rename(at("ro"), at("open/ro")));
  show("rename into it", rename(at("open/mine"), at("mine")));
  show("rename within the 0777 directory", rename(at("open/mine"), at("open/mine2")));
  show("rename a root-owned directory to another parent", rename(at("open/rootdir"), at("sticky/rootdir")));
  show("unlink another's file in a sticky directory", unlink(at("sticky/roots")));
  show("rename it", rename(at("sticky/roots"), at("sticky/z")));
  show("replace it by rename", rename(at("open/mine2"), at("sticky/roots")));
  show("create in the sticky directory", open(at("sticky/mine"), O_CREAT | O_WRONLY, 0600) >= 0);
  show("unlink our own there", unlink(at("sticky/mine")));
  show("unlink a root file in a 0777 directory", unlink(at("open/rootfile")));
  show("chdir into a 0700 directory", chdir(at("private")));
  show("chdir into a 0711 directory", chdir(at("exec_only")));
  show("stat a relative name there", stat("known", &st));
  show("unlink \".\" there", unlink("."));
  int pp[2];
  pipe(pp);
  fstat(pp[0], &st);
  printf("our pipe: owner %u group %u\n", st.st_uid, st.st_gid);
  char self_fd[64];
  snprintf(self_fd, sizeof self_fd, "/proc/self/fd/%d", pp[0]);
  show("reopen our pipe through /proc", open_result_abs(self_fd, O_RDONLY | O_NONBLOCK));
  close(pp[0]), close(pp[1]);
  int us = socket(AF_UNIX, SOCK_STREAM, 0);
  fstat(us, &st);
  printf("our socket: owner %u group %u\n", st.st_uid, st.st_gid);
  close(us);
  int pd = open(at("private"), O_PATH | O_DIRECTORY);
  show("O_PATH open of the 0700 directory", pd >= 0);
  show("fchdir to it", fchdir(pd));
  show("openat through it", openat(pd, "f", O_RDONLY));
  close(pd);
  show("truncate a 0444 file", truncate(at("ro"), 0));
  show("truncate a 0666 file", truncate(at("rw"), 2));
  show("access R_OK on a 0600 root file", access(at("secret"), R_OK));
  show("access R_OK on a 0444 file", access(at("ro"), R_OK));
  show("access W_OK on a 0444 file", access(at("ro"), W_OK));
  show("access X_OK on a 0755 file", access(at("prog"), X_OK));
  show("access F_OK through a 0700 directory", access(at("private/f"), F_OK));
  show("utimensat now on a 0666 file", utimensat(AT_FDCWD, at("rw"), NULL, 0));
  show("utimensat now on a 0444 file", utimensat(AT_FDCWD, at("ro"), NULL, 0));
  struct timespec ts[2] = {{1, 0}, {2, 0}};
  show("utimensat explicit times on a 0666 file", utimensat(AT_FDCWD, at("rw"), ts, 0));
  show("chmod another's file", chmod(at("rw"), 0777));
  show("link another's 0600 file", link(at("secret"), at("open/l1")));
  show("link another's 0666 file", link(at("rw"), at("open/l2")));
  show("link another's 0755 program", link(at("prog"), at("open/l3")));
  show("mknod a character device", mknod(at("open/null"), S_IFCHR | 0666, makedev(1, 3)));
  show("mknod in a 0755 root directory", mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)));
  show("mkfifo in a 0777 directory", mkfifo(at("open/fifo"), 0600));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_max += 1;
  show("raise a hard limit", setrlimit(RLIMIT_NOFILE, &rl));
  show("kill our root parent", kill(getppid(), 0));
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
  show("bind in a 0755 root directory", bind(s, (struct sockaddr *)&sa, sizeof sa));
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("open/sock"));
  show("bind in a 0777 directory", bind(s, (struct sockaddr *)&sa, sizeof sa));
  close(s);
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("rootsock"));
  show("connect to a 0755 root socket", connect(s, (struct sockaddr *)&sa, sizeof sa));
  close(s);
  char *ids[] = {"prog", "--ids", NULL};
  pid_t c = fork();
  if (c == 0) {
    execv(at("prog_suid"), ids);
    _exit(99);
  }
  printf("set-user-ID and set-group-ID program: %ld\n", wait_code(c));
  c = fork();
  if (c == 0) {
    prctl_no_new_privs();
    execv(at("prog_suid"), ids);
    _exit(99);
  }
  printf("the same with no_new_privs: %ld\n", wait_code(c));
  char *args[] = {"prog", "--exit", NULL};
  show("exec a 0700 root program", execv(at("prog_private"), args));
  show("exec a 0644 file", execv(at("rw"), args));
  show("exec a directory", execv(at("open"), args));
  execv(at("prog"), args);
  show("exec a 0755 program", -1);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--exit") == 0) {
    printf("exec'd program running as uid %u\n", getuid());
    return 7;
  }
  if (argc > 1 && strcmp(argv[1], "--ids") == 0) {
    uid_t r, e, sv;
    getresuid(&r, &e, &sv);
    printf("set-id program: uids %u %u %u, egid %u, AT_SECURE %lu, AT_EUID %lu\n", r, e, sv, getegid(),
           getauxval(AT_SECURE), getauxval(AT_EUID));
    return 8;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  umask(022);
  snprintf(d, sizeof d, "/tmp/ditto_dac_%08d", (int)getpid());
  mkdir(d, 0755);
  chmod(d, 0755);
  make("secret", 0600, 0, 0);
  make("ro", 0444, 0, 0);
  make("rw", 0666, 0, 0);
  make("grp", 0640, 0, 1000);
  make("grp_other", 0604, 0, 1000);
  mkdir_as("private", 0700);
  make("private/f", 0644, 0, 0);
  mkdir_as("exec_only", 0711);
  make("exec_only/known", 0644, 0, 0);
  mkdir_as("read_only_dir", 0744);
  make("read_only_dir/f", 0644, 0, 0);
  mkdir_as("empty", 0755);
  mkdir_as("open", 0777);
  make("open/rootfile", 0644, 0, 0);
  mkdir_as("open/rootdir", 0755);
  mkdir_as("sticky", 01777);
  make("sticky/roots", 0666, 0, 0);
  /* Two copies of this program: one anyone may run, one only root. */
  int in = open("/proc/self/exe", O_RDONLY);
  int out = open(at("prog"), O_CREAT | O_WRONLY, 0755);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, n) != n) perror("copy");
  close(in), close(out);
  chmod(at("prog"), 0755);
  in = open(at("prog"), O_RDONLY);
  out = open(at("prog_private"), O_CREAT | O_WRONLY, 0700);
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, n) != n) perror("copy");
  close(in), close(out);
  /* A set-user-ID and set-group-ID copy owned by 2000:3000. */
  in = open(at("prog"), O_RDONLY);
  out = open(at("prog_suid"), O_CREAT | O_WRONLY, 0700);
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, n) != n) perror("copy");
  close(in), close(out);
  if (chown(at("prog_suid"), 2000, 3000) || chmod(at("prog_suid"), 06755)) perror("prog_suid");
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("rootsock"));
  bind(ls, (struct sockaddr *)&sa, sizeof sa);
  listen(ls, 4);

  printf("-- as root\n");
  show("open 0600 file", open_result("secret", O_RDWR));
  show("opendir a 0700 directory", opendir_result("private"));
  show("access X_OK on a 0644 file", access(at("rw"), X_OK));
  show("access X_OK on a 0700 directory", access(at("private"), X_OK));
  char *args[] = {"prog", "--exit", NULL};
  show("exec a 0644 file", execv(at("rw"), args));

  pid_t c = fork();
  if (c == 0) {
    as_user();
    _exit(1);
  }
  printf("uid 1000 child: %ld\n", wait_code(c));

  /* Real uid 1000, effective 0: open works, access() asks as uid 1000. */
  c = fork();
  if (c == 0) {
    become(1000, 0, 0);
    printf("-- real uid 1000, effective 0\n");
    show("open 0600 root file", open_result("secret", O_RDONLY));
    show("access R_OK", access(at("secret"), R_OK));
    show("faccessat AT_EACCESS", faccessat(AT_FDCWD, at("secret"), R_OK, AT_EACCESS));
    show("access through a 0700 directory", access(at("private/f"), F_OK));
    _exit(0);
  }
  printf("mixed child: %ld\n", wait_code(c));

  /* Root with fsuid 1000: file access goes by the fsuid. */
  c = fork();
  if (c == 0) {
    setfsuid(1000);
    printf("-- root with fsuid 1000\n");
    show("open 0600 root file", open_result("secret", O_RDONLY));
    show("open 0666 file", open_result("rw", O_RDWR));
    int fd = open(at("open/by_fsuid"), O_CREAT | O_WRONLY, 0600);
    struct stat st;
    fstat(fd, &st);
    printf("new file owner %u\n", st.st_uid);
    close(fd);
    show("getuid", getuid());
    _exit(0);
  }
  printf("fsuid child: %ld\n", wait_code(c));
  close(ls);

  /* Clean up without a shell: the tree is small and known. */
  const char *files[] = {"secret", "ro", "rw", "grp", "grp_other", "private/f", "exec_only/known",
                         "read_only_dir/f", "open/rootfile", "sticky/roots", "sticky/z", "prog", "prog_private",
                         "rootsock", "prog_suid", "open/mine", "open/mine2", "open/l1", "open/l2", "open/l3", "open/fifo",
                         "open/sock", "open/ro", "open/by_fsuid", "mine", "newfile", "newlink", "newfifo", "sock",
                         "null", "open/null", "sticky/mine"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(at(files[i]));
  const char *dirs[] = {"private", "exec_only", "read_only_dir", "empty", "open/sub", "open/rootdir",
                        "sticky/rootdir", "open", "sticky", "newdir"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) rmdir(at(dirs[i]));
  show("cleaned up", rmdir(d));
  return 0;
}
