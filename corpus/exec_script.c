/* execve of "#!" scripts (fs/binfmt_script.c): the interpreter's argv (its
 * optional single argument, the script's name, argv[1..]), nesting and its
 * ELOOP limit, the 256-byte line, ENOEXEC/ENOENT/EACCES; and the name a new
 * program gets (AT_EXECFN and comm) for paths, dirfds and AT_EMPTY_PATH. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"
#define D "/tmp/ditto_sb"
static void report(int argc, char **argv) {
  char comm[32] = {0};
  prctl(PR_GET_NAME, comm);
  printf("  run as interpreter: argc %d:", argc);
  for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
  /* A descriptor's comm is "N" before Linux 6.14 and the file's name after: not compared. */
  if (strcmp(getenv("MODE"), "fd") == 0)
    printf(" execfn [%s]\n", (char *)getauxval(AT_EXECFN));
  else
    printf(" comm [%s] execfn [%s]\n", comm, (char *)getauxval(AT_EXECFN));
}
static void write_file(const char *path, const char *text, int mode) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
  write(fd, text, strlen(text));
  close(fd);
}
/* Runs `path` in a child (execve, or execveat relative to `dirfd`) and
 * prints how it ended. */
static void spawn(const char *what, int dirfd, const char *path, char *const argv[], int flags) {
  pid_t p = fork();
  if (p == 0) {
    char *env[] = {flags & AT_EMPTY_PATH ? "MODE=fd" : "MODE=child", NULL};
    if (dirfd == AT_FDCWD)
      execve(path, argv, env);
    else
      syscall(SYS_execveat, dirfd, path, argv, env, flags);
    printf("  %s: %s = -1 %s\n", what, dirfd == AT_FDCWD ? "execve" : "execveat", errname(errno));
    _exit(99);
  }
  printf("%s: status %ld\n", what, wait_code(p));
}
/* The scripts, each written then run with `av`. */
static const struct {
  const char *name, *text;
  int mode;
  const char *what;
} scripts[] = {
    {"s1", "#!" D "/interp\n", 0755, "plain script"},
    {"s2", "#!  " D "/interp   one arg with spaces   \nrest", 0755, "interpreter argument with spaces"},
    {"s3", "#!" D "/interp", 0755, "no newline"},
    {"s4", "#!\n", 0755, "no interpreter"},
    {"s5", "#!" D "/s1 nested\n", 0755, "script as interpreter"},
    {"s6", "#!" D "/missing\n", 0755, "missing interpreter"},
    {"s7", "#!" D "/s7\n", 0755, "interpreter loop"},
    {"s8", "#!" D "/s1\n", 0644, "script not executable"},
};
int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (getenv("MODE")) {
    report(argc, argv);
    return 7;
  }
  mkdir(D, 0755);
  {
    int in = open("/proc/self/exe", O_RDONLY), out = open(D "/interp", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    char b[65536];
    long n;
    while ((n = read(in, b, sizeof b)) > 0) write(out, b, n);
    close(in);
    close(out);
  }
  char *av[] = {"argv-zero", "a1", "a2", NULL}, *zero_one[] = {"zero", "one", NULL}, path[64];
  for (unsigned i = 0; i < sizeof scripts / sizeof *scripts; i++) {
    snprintf(path, sizeof path, D "/%s", scripts[i].name);
    write_file(path, scripts[i].text, scripts[i].mode);
    spawn(scripts[i].what, AT_FDCWD, path, av, 0);
  }
  char longline[400] = "#!";
  memset(longline + 2, 'x', 300);
  longline[302] = '\n';
  longline[303] = 0;
  write_file(D "/s9", longline, 0755);
  spawn("interpreter path past 256 bytes", AT_FDCWD, D "/s9", av, 0);
  spawn("empty argv", AT_FDCWD, D "/s1", (char *[]){NULL}, 0);
  spawn("the interpreter by itself", AT_FDCWD, D "/interp", av, 0);
  int dfd = open(D, O_RDONLY | O_DIRECTORY);
  spawn("execveat relative to a dirfd", dfd, "s1", zero_one, 0);
  int sfd = open(D "/s1", O_RDONLY);
  spawn("execveat AT_EMPTY_PATH", sfd, "", zero_one, AT_EMPTY_PATH);
  int cfd = open(D "/s1", O_RDONLY | O_CLOEXEC);
  spawn("execveat AT_EMPTY_PATH close-on-exec script", cfd, "", zero_one, AT_EMPTY_PATH);
  int ifd = open(D "/interp", O_RDONLY | O_CLOEXEC);
  spawn("execveat AT_EMPTY_PATH close-on-exec binary", ifd, "", zero_one, AT_EMPTY_PATH);
  for (unsigned i = 0; i < sizeof scripts / sizeof *scripts; i++) {
    snprintf(path, sizeof path, D "/%s", scripts[i].name);
    unlink(path);
  }
  unlink(D "/s9");
  unlink(D "/interp");
  rmdir(D);
  return 0;
}
