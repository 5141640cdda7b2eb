// Socket options (setsockopt(2), getsockopt(2)): the ones programs set
// are kept and read back, with what Linux computes itself (SO_TYPE,
// SO_ERROR, SO_PEERCRED, the buffer sizes, the timeouts); others are
// ENOPROTOOPT, counted.
#include <algorithm>
#include <cstring>
#include <string>

#include "kernel/socket_abi.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;
using namespace sock;

namespace {

int64_t sys_setsockopt(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  int level = int(a[1]), name = int(a[2]);
  uint64_t len = uint32_t(a[4]);
  if (int32_t(a[4]) < 0) return -kEINVAL;
  static const std::pair<int, int> known[] = {
      {1, 1}, {1, 2}, {1, 5}, {1, 6}, {1, 7}, {1, 8}, {1, 9}, {1, 10}, {1, 13}, {1, 15}, {1, 16}, {1, 18},
      {1, 20}, {1, 21}, {6, 1}, {6, 2}, {6, 4}, {6, 5}, {6, 6}, {6, 12}, {6, 18}, {0, 1}, {0, 2}, {41, 26}};
  bool ok = std::find(std::begin(known), std::end(known), std::make_pair(level, name)) != std::end(known);
  if (!ok) {
    k.unsupported(54, "setsockopt level " + std::to_string(level) + " option " + std::to_string(name));
    return -kENOPROTOOPT;
  }
  if (len < 4) return -kEINVAL;
  std::string v(std::min<uint64_t>(len, 64), '\0');
  if (!k.mm().copy_in(UserPtr(a[3]), v.data(), v.size())) return -kEFAULT;
  if (level == 1 && (name == 20 || name == 21)) {
    // sock_set_timeout(): a struct timeval, kept in jiffies of the host's
    // HZ (Debian's 250): {0, 0} is no timeout, a negative one none at all.
    int64_t tv[2] = {0, 0};
    if (v.size() < 16) return -kEINVAL;
    std::memcpy(tv, v.data(), 16);
    if (tv[1] < 0 || tv[1] >= 1000000) return -kEDOM;
    int64_t jiffies = tv[0] < 0 ? 0 : (tv[0] == 0 && tv[1] == 0) ? -1
                      : tv[0] >= INT64_MAX / Socket::kHz / 2 ? -1
                                                             : tv[0] * Socket::kHz + (tv[1] + 3999) / 4000;
    s->timeout_jiffies[name == 21] = jiffies;
    return 0;
  }
  s->options[{level, name}] = v;
  return 0;
}

int64_t sys_getsockopt(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  int level = int(a[1]), name = int(a[2]);
  int32_t len;
  if (!k.mm().read(UserPtr(a[4]), len)) return -kEFAULT;
  if (len < 0) return -kEINVAL;
  std::string v;
  auto as_int = [&](int32_t x) { v.assign(reinterpret_cast<const char*>(&x), 4); };
  auto stored = s->options.find({level, name});
  if (level == 1 && name == 3) as_int(s->type);
  else if (level == 1 && name == 39) as_int(s->family);
  else if (level == 1 && name == 38) as_int(s->family == kAF_UNIX ? 0 : s->type == kSOCK_STREAM ? 6 : 17);
  else if (level == 1 && name == 30) as_int(s->state == Socket::State::kListening);
  else if (level == 1 && name == 4) as_int(s->pending_error), s->pending_error = 0;
  else if (level == 1 && name == 17) {
    if (s->family != kAF_UNIX) return -kENOPROTOOPT;
    int32_t cred[3] = {0, -1, -1};
    if (s->conn) {
      int o = 1 - s->side;
      cred[0] = int32_t(k.vpid(*k.current().pidns, s->conn->pid[o]));
      cred[1] = int32_t(k.current().creds.view(s->conn->uid[o]));
      cred[2] = int32_t(k.current().creds.view(s->conn->gid[o]));
    }
    v.assign(reinterpret_cast<const char*>(cred), 12);
  } else if (level == 1 && (name == 7 || name == 8)) {
    as_int(int32_t(name == 7 ? s->send_buffer() : s->receive_buffer()));
  } else if (level == 1 && (name == 20 || name == 21)) {
    int64_t j = s->timeout_jiffies[name == 21], tv[2] = {0, 0};
    if (j >= 0) tv[0] = j / Socket::kHz, tv[1] = (j % Socket::kHz) * (1000000 / Socket::kHz);
    v.assign(reinterpret_cast<const char*>(tv), 16);
  } else if (stored != s->options.end()) {
    v = stored->second;
  } else {
    static const std::pair<int, int> known[] = {{1, 1}, {1, 2}, {1, 5}, {1, 6}, {1, 9}, {1, 10}, {1, 15},
                                                {1, 16}, {1, 18}, {6, 1}, {6, 4}, {6, 5}, {6, 6}, {0, 2},
                                                {41, 26}, {1, 13}, {1, 20}, {1, 21}};
    bool ok = std::find(std::begin(known), std::end(known), std::make_pair(level, name)) != std::end(known);
    if (!ok) {
      k.unsupported(55, "getsockopt level " + std::to_string(level) + " option " + std::to_string(name));
      return -kENOPROTOOPT;
    }
    int32_t dflt = level == 1 && name == 18 ? 1 : level == 0 && name == 2 ? 64 : level == 6 && name == 4 ? 7200
                   : level == 6 && name == 5 ? 75 : level == 6 && name == 6 ? 9 : 0;
    if ((level == 1 && (name == 13 || name == 20 || name == 21)))
      v.assign(name == 13 ? 8 : 16, '\0');
    else
      as_int(dflt);
  }
  size_t n = std::min<size_t>(size_t(len), v.size());
  if (n && !k.mm().copy_out(UserPtr(a[3]), v.data(), n)) return -kEFAULT;
  int32_t real = int32_t(n);
  return k.mm().write(UserPtr(a[4]), real) ? 0 : -kEFAULT;
}

}  // namespace

void register_socket_option_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_socket_options(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
