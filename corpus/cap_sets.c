/* capget/capset against the host: the header's version handshake, pid
 * checks, and how the sets follow uid changes (capabilities(7)): root has
 * its sets full, a non-zero effective uid empties the effective set, a
 * non-zero fsuid takes the file-system capabilities out of it, every uid
 * non-zero empties the permitted set; capset may restate them but not
 * raise them. Printed as relations, not masks: a container's root may lack
 * some capabilities. Run as root (natively too). */
#define _GNU_SOURCE
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corpus.h"

/* <linux/capability.h>'s, which musl's tool chain lacks. */
struct __user_cap_header_struct {
  unsigned int version;
  int pid;
};
struct __user_cap_data_struct {
  unsigned int effective, permitted, inheritable;
};
#define _LINUX_CAPABILITY_VERSION_1 0x19980330
#define _LINUX_CAPABILITY_VERSION_3 0x20080522

static long capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) {
  return syscall(SYS_capget, h, d);
}
static long capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) {
  return syscall(SYS_capset, h, d);
}

static void describe(const char *who) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (capget_(&h, d)) {
    printf("%s: capget -1 %s\n", who, errname(errno));
    return;
  }
  unsigned long long eff = d[0].effective | (unsigned long long)d[1].effective << 32;
  unsigned long long prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
  unsigned long long inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
  unsigned long long fs = 0x1f;  /* CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID */
  printf("%s: permitted %s, effective %s, fs caps effective %s, inheritable %s\n", who,
         prm ? "non-empty" : "empty", !eff ? "empty" : eff == prm ? "= permitted" : "< permitted",
         (eff & fs) == fs ? "all" : (eff & fs) ? "some" : "none", inh ? "non-empty" : "empty");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct __user_cap_header_struct h = {0x12345678, 0};
  struct __user_cap_data_struct d[2];
  show("capget with a bad version", capget_(&h, d));
  printf("header now %#x\n", h.version);
  h.version = 0x12345678;
  show("capget probe (no data)", capget_(&h, NULL));
  printf("header now %#x\n", h.version);
  h.version = _LINUX_CAPABILITY_VERSION_3;
  h.pid = -1;
  show("capget pid -1", capget_(&h, d));
  h.pid = 999999;
  show("capget of no such pid", capget_(&h, d));
  h.pid = getpid();
  show("capget of our own pid", capget_(&h, d));
  show("capget with a bad data pointer", capget_(&h, (void *)8));
  h.version = _LINUX_CAPABILITY_VERSION_1;
  h.pid = 0;
  struct __user_cap_data_struct v1[2] = {{0}, {0xdead, 0xbeef, 0xf00d}};
  show("capget version 1", capget_(&h, v1));
  printf("version 1 leaves the second struct alone: %d\n", v1[1].effective == 0xdead);
  describe("root");

  h.version = _LINUX_CAPABILITY_VERSION_3;
  h.pid = 0;
  capget_(&h, d);
  show("capset restating the sets", capset_(&h, d));
  h.pid = getppid();
  show("capset of another process", capset_(&h, d));
  h.pid = 0;
  struct __user_cap_data_struct bad[2];
  memcpy(bad, d, sizeof bad);
  bad[0].permitted = 0;
  bad[1].permitted = 0;
  show("capset effective beyond permitted", capset_(&h, bad));

  pid_t c = fork();
  if (c == 0) {
    setfsuid(1000);
    describe("root, fsuid 1000");
    setfsuid(0);
    if (setresuid(1000, 1000, 0)) perror("setresuid");
    describe("uids 1000 1000 0");
    if (setresuid(-1, 0, -1)) perror("seteuid");
    describe("effective uid back to 0");
    if (setresuid(1000, 1000, 1000)) perror("setresuid");
    describe("uids 1000 1000 1000");
    struct __user_cap_header_struct hh = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct dd[2] = {{1, 1, 0}, {0, 0, 0}};
    show("capset raising a capability", capset_(&hh, dd));
    memset(dd, 0, sizeof dd);
    show("capset restating empty sets", capset_(&hh, dd));
    _exit(0);
  }
  printf("child: %ld\n", wait_code(c));
  return 0;
}
