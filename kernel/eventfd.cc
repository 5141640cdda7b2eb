// eventfd (fs/eventfd.c): a 64-bit counter that write() adds to and read()
// takes (whole, or one at a time with EFD_SEMAPHORE), blocking at zero and
// at the top (0xfffffffffffffffe).
#include <cstdio>
#include <cstring>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint64_t kCounterMax = 0xfffffffffffffffeULL;
constexpr uint32_t kEFD_SEMAPHORE = 1;
constexpr uint32_t kPOLLIN = 1, kPOLLOUT = 4, kPOLLERR = 8, kPOLLRDNORM = 0x40, kPOLLWRNORM = 0x100;

class EventFd : public AnonFile {
 public:
  EventFd(InodeRef inode, uint64_t count, bool semaphore, uint32_t flags)
      : AnonFile(std::move(inode), flags), count_(count), semaphore_(semaphore) {}
  int64_t read(Kernel& k, char* buf, size_t n) override {
    (void)k;
    if (n < 8) return -kEINVAL;
    if (count_ == 0) return (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
    uint64_t v = semaphore_ ? 1 : count_;
    count_ -= v;
    ++wakes_;
    std::memcpy(buf, &v, 8);
    return 8;
  }
  int64_t write(Kernel& k, const char* buf, size_t n) override {
    (void)k;
    if (n < 8) return -kEINVAL;
    uint64_t v;
    std::memcpy(&v, buf, 8);
    if (v == ~uint64_t(0)) return -kEINVAL;
    if (kCounterMax - count_ < v) return (flags_ & kO_NONBLOCK) ? -kEAGAIN : kWouldBlock;
    count_ += v;
    if (v) ++wakes_;
    return 8;
  }
  bool pollable() const override { return true; }
  uint32_t poll_events(Kernel&) const override {
    uint32_t ev = 0;
    if (count_ > 0) ev |= kPOLLIN | kPOLLRDNORM;
    if (count_ == ~uint64_t(0)) ev |= kPOLLERR;
    if (count_ < kCounterMax) ev |= kPOLLOUT | kPOLLWRNORM;
    return ev;
  }
  uint64_t wake_count(const Kernel&) const override { return wakes_; }
  uint64_t count() const { return count_; }
  // fs/eventfd.c eventfd_show_fdinfo() (its eventfd-id, a host-wide
  // allocation, is left out).
  std::string fdinfo(Kernel&) const override {
    char line[96];
    std::snprintf(line, sizeof line, "eventfd-count: %16llx\neventfd-semaphore: %d\n",
                  static_cast<unsigned long long>(count_), semaphore_ ? 1 : 0);
    return line;
  }

 private:
  uint64_t count_;
  bool semaphore_;
  uint64_t wakes_ = 0;
};

int64_t do_eventfd(Kernel& k, uint64_t initval, uint32_t flags) {
  if (flags & ~(uint32_t(kO_CLOEXEC) | kO_NONBLOCK | kEFD_SEMAPHORE)) return -kEINVAL;
  auto f = std::make_shared<EventFd>(k.vfs().make_anon_node(InodeKind::kFifo, 0600), uint32_t(initval),
                                     flags & kEFD_SEMAPHORE, kO_RDWR | (flags & kO_NONBLOCK));
  f->path = "anon_inode:[eventfd]";
  return k.current().fds->alloc(f, flags & kO_CLOEXEC);
}

int64_t sys_eventfd(Kernel& k, const uint64_t* a) { return do_eventfd(k, a[0], 0); }
int64_t sys_eventfd2(Kernel& k, const uint64_t* a) { return do_eventfd(k, a[0], uint32_t(a[1])); }

}  // namespace

void register_eventfd_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_eventfd(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
