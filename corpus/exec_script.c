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
static void run(const char *what, const char *path, char *const argv[]) {
  pid_t p = fork();
  if (p == 0) {
    execve(path, argv, (char *[]){"MODE=child", NULL});
    printf("  %s: execve = -1 %s\n", what, errname(errno));
    _exit(99);
  }
  printf("%s: status %ld\n", what, wait_code(p));
}
static void run_at(const char *what, int dirfd, const char *path, int flags) {
  pid_t p = fork();
  if (p == 0) {
    syscall(SYS_execveat, dirfd, path, (char *[]){"zero", "one", NULL},
            (char *[]){flags & AT_EMPTY_PATH ? "MODE=fd" : "MODE=child", NULL}, flags);
    printf("  %s: execveat = -1 %s\n", what, errname(errno));
    _exit(99);
  }
  printf("%s: status %ld\n", what, wait_code(p));
}
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
  char *av[] = {"argv-zero", "a1", "a2", NULL};
  write_file(D "/s1", "#!" D "/interp\n", 0755);
  run("plain script", D "/s1", av);
  write_file(D "/s2", "#!  " D "/interp   one arg with spaces   \nrest", 0755);
  run("interpreter argument with spaces", D "/s2", av);
  write_file(D "/s3", "#!" D "/interp", 0755);
  run("no newline", D "/s3", av);
  write_file(D "/s4", "#!\n", 0755);
  run("no interpreter", D "/s4", av);
  write_file(D "/s5", "#!" D "/s1 nested\n", 0755);
  run("script as interpreter", D "/s5", av);
  write_file(D "/s6", "#!" D "/missing\n", 0755);
  run("missing interpreter", D "/s6", av);
  write_file(D "/s7", "#!" D "/s7\n", 0755);
  run("interpreter loop", D "/s7", av);
  write_file(D "/s8", "#!" D "/s1\n", 0644);
  run("script not executable", D "/s8", av);
  char longline[400] = "#!";
  memset(longline + 2, 'x', 300);
  longline[302] = '\n';
  longline[303] = 0;
  write_file(D "/s9", longline, 0755);
  run("interpreter path past 256 bytes", D "/s9", av);
  run("empty argv", D "/s1", (char *[]){NULL});
  run("the interpreter by itself", D "/interp", av);
  int dfd = open(D, O_RDONLY | O_DIRECTORY);
  run_at("execveat relative to a dirfd", dfd, "s1", 0);
  int sfd = open(D "/s1", O_RDONLY);
  run_at("execveat AT_EMPTY_PATH", sfd, "", AT_EMPTY_PATH);
  int cfd = open(D "/s1", O_RDONLY | O_CLOEXEC);
  run_at("execveat AT_EMPTY_PATH close-on-exec script", cfd, "", AT_EMPTY_PATH);
  int ifd = open(D "/interp", O_RDONLY | O_CLOEXEC);
  run_at("execveat AT_EMPTY_PATH close-on-exec binary", ifd, "", AT_EMPTY_PATH);
  const char *names[] = {"interp", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"};
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
    char p[64];
    snprintf(p, sizeof p, D "/%s", names[i]);
    unlink(p);
  }
  rmdir(D);
  return 0;
}
