// signalfd (fs/signalfd.c): a file that reads the reader's own pending
// signals of a set, as struct signalfd_siginfo records, instead of having
// them delivered. What it reads is always the calling thread's (its own
// pending set, then its group's), whoever created the file; poll says
// readable when such a signal is pending for the poller.
#include <cstdio>
#include <cstring>

#include "kernel/siginfo.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kSFD_CLOEXEC = kO_CLOEXEC, kSFD_NONBLOCK = kO_NONBLOCK;
constexpr uint32_t kPOLLIN = 1, kPOLLRDNORM = 0x40;
constexpr size_t kRecordSize = 128;  // sizeof(struct signalfd_siginfo)
constexpr uint64_t kUnblockable = (1ULL << (kSIGKILL - 1)) | (1ULL << (kSIGSTOP - 1));

// struct signalfd_siginfo's fields from the siginfo_t the signal carries,
// by its layout (fs/signalfd.c signalfd_copyinfo()).
void encode_record(const uint8_t si[128], uint8_t out[kRecordSize]) {
  namespace o = siginfo_offset;
  auto get32 = [&](size_t off) { uint32_t v; std::memcpy(&v, si + off, 4); return v; };
  auto get64 = [&](size_t off) { uint64_t v; std::memcpy(&v, si + off, 8); return v; };
  auto put32 = [&](size_t off, uint32_t v) { std::memcpy(out + off, &v, 4); };
  auto put64 = [&](size_t off, uint64_t v) { std::memcpy(out + off, &v, 8); };
  // Offsets in struct signalfd_siginfo (include/uapi/linux/signalfd.h).
  constexpr size_t kSigno = 0, kErrno = 4, kCode = 8, kPid = 12, kUid = 16, kFd = 20, kTid = 24, kBand = 28,
                   kOverrun = 32, kTrapno = 36, kStatus = 40, kInt = 44, kPtr = 48, kUtime = 56, kStime = 64,
                   kAddr = 72, kAddrLsb = 80, kSyscall = 84, kCallAddr = 88, kArch = 96;
  std::memset(out, 0, kRecordSize);
  int sig = int(get32(o::kSigno));
  int32_t code = int32_t(get32(o::kCode));
  put32(kSigno, uint32_t(sig));
  put32(kErrno, get32(o::kErrno));
  put32(kCode, uint32_t(code));
  switch (siginfo_layout(sig, code)) {
    case SigInfoLayout::kKill:
      put32(kPid, get32(o::kPid));
      put32(kUid, get32(o::kUid));
      break;
    case SigInfoLayout::kTimer:
      put32(kTid, get32(o::kTimerId));
      put32(kOverrun, get32(o::kOverrun));
      put64(kPtr, get64(o::kValue));
      put32(kInt, get32(o::kValue));
      break;
    case SigInfoLayout::kPoll:
      put32(kBand, uint32_t(get64(o::kBand)));
      put32(kFd, get32(o::kFd));
      break;
    case SigInfoLayout::kFault:
      put64(kAddr, get64(o::kAddr));
      // BUS_MCEERR_AR/AO carry the address's least significant bit.
      if (sig == kSIGBUS && (code == 4 || code == 5)) {
        uint16_t lsb;
        std::memcpy(&lsb, si + o::kAddrLsb, 2);
        std::memcpy(out + kAddrLsb, &lsb, 2);
      }
      (void)kTrapno;  // SIL_FAULT_TRAPNO is SPARC's and Alpha's only
      break;
    case SigInfoLayout::kChild:
      put32(kPid, get32(o::kPid));
      put32(kUid, get32(o::kUid));
      put32(kStatus, get32(o::kStatus));
      put64(kUtime, get64(o::kUtime));
      put64(kStime, get64(o::kStime));
      break;
    case SigInfoLayout::kRt:
      put32(kPid, get32(o::kPid));
      put32(kUid, get32(o::kUid));
      put64(kPtr, get64(o::kValue));
      put32(kInt, get32(o::kValue));
      break;
    case SigInfoLayout::kSys:
      put64(kCallAddr, get64(o::kCallAddr));
      put32(kSyscall, get32(o::kSyscall));
      put32(kArch, get32(o::kArch));
      break;
  }
}

class SignalFd : public AnonFile {
 public:
  SignalFd(InodeRef inode, uint64_t mask, uint32_t flags) : AnonFile(std::move(inode), flags), mask_(mask) {}
  void set_mask(uint64_t mask) { mask_ = mask; }

  int64_t read(Kernel& k, char* buf, size_t n) override {
    size_t placed;
    return read_into(k, buf, n, n, placed);
  }
  // One record per signal while whole records fit in `n`; only the first
  // may wait. A record the guest's buffer cannot take is lost with its
  // signal, as signalfd_read() loses it (EFAULT if it was the first).
  int64_t read_into(Kernel& k, char* buf, size_t n, size_t room, size_t& placed) override {
    placed = 0;
    size_t count = n / kRecordSize;
    if (count == 0) return -kEINVAL;
    Task& t = k.current();
    size_t done = 0;
    for (; done < count; ++done) {
      SigInfo info;
      int sig = k.dequeue_signal(t, mask_, info);
      if (!sig) break;
      uint8_t si[128], record[kRecordSize];
      encode_siginfo(info, k.pid_for(t, info), si);
      encode_record(si, record);
      size_t at = done * kRecordSize;
      if (at + kRecordSize > room) {
        std::memcpy(buf + at, record, room - at);
        placed = room;
        return done ? int64_t(at) : -kEFAULT;
      }
      std::memcpy(buf + at, record, kRecordSize);
      placed = at + kRecordSize;
    }
    if (done) return int64_t(done * kRecordSize);
    return (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
  }
  int64_t write(Kernel&, const char*, size_t) override { return -kEINVAL; }
  bool pollable() const override { return true; }
  uint32_t poll_events(Kernel& k) const override {
    const Task& t = k.current();
    bool ready = ((t.sigpending | k.shared_pending(t)) & mask_) != 0;
    return ready ? kPOLLIN | kPOLLRDNORM : 0;
  }
  uint64_t wake_count(const Kernel& k) const override { return k.signals_queued(); }
  std::string fdinfo(Kernel&) const override {  // signalfd_show_fdinfo()
    char line[40];
    std::snprintf(line, sizeof line, "sigmask:\t%016llx\n", static_cast<unsigned long long>(mask_));
    return line;
  }

 private:
  uint64_t mask_;  // the signals it reads (never SIGKILL or SIGSTOP)
};

// signalfd4(2): a new signalfd for fd -1, or a new mask for an existing one
// (EINVAL if fd is another kind of file). The size is checked, then the
// mask read, then the flags (fs/signalfd.c).
int64_t do_signalfd4(Kernel& k, int fd, uint64_t mask_ptr, uint64_t size, uint32_t flags) {
  if (size != 8) return -kEINVAL;
  uint64_t mask;
  if (!k.mm().read(UserPtr(mask_ptr), mask)) return -kEFAULT;
  if (flags & ~(kSFD_CLOEXEC | kSFD_NONBLOCK)) return -kEINVAL;
  mask &= ~kUnblockable;
  if (fd != -1) {
    auto f = k.current().fds->get(fd);
    if (!f || (f->flags() & kO_PATH)) return -kEBADF;  // fdget() skips O_PATH files
    auto* s = dynamic_cast<SignalFd*>(f.get());
    if (!s) return -kEINVAL;
    s->set_mask(mask);
    return fd;
  }
  auto f = std::make_shared<SignalFd>(k.vfs().make_anon_node(InodeKind::kFifo, 0600), mask,
                                      kO_RDWR | (flags & kSFD_NONBLOCK));
  f->path = "anon_inode:[signalfd]";
  return k.current().fds->alloc(f, flags & kSFD_CLOEXEC);
}

int64_t sys_signalfd(Kernel& k, const uint64_t* a) { return do_signalfd4(k, int(a[0]), a[1], a[2], 0); }
int64_t sys_signalfd4(Kernel& k, const uint64_t* a) {
  return do_signalfd4(k, int(a[0]), a[1], a[2], uint32_t(a[3]));
}

}  // namespace

void register_signalfd_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_signalfd(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
