// epoll (fs/eventpoll.c): an epoll file watches (descriptor, open file)
// pairs. Readiness is each file's poll_events(), asked when the guest waits,
// so level-triggered items report while ready; an edge-triggered item
// reports when its file has woken waiters since (File::wake_count) or a bit
// rose; EPOLLONESHOT disables an item once it reported. Ready items are
// reported in a rotating order, as Linux's ready list moves a reported
// level-triggered item to its tail.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kEPOLLIN = 0x1, kEPOLLPRI = 0x2, kEPOLLOUT = 0x4, kEPOLLERR = 0x8, kEPOLLHUP = 0x10,
                   kEPOLLRDNORM = 0x40, kEPOLLRDBAND = 0x80, kEPOLLWRNORM = 0x100, kEPOLLWRBAND = 0x200,
                   kEPOLLMSG = 0x400, kEPOLLRDHUP = 0x2000, kEPOLLEXCLUSIVE = 1u << 28,
                   kEPOLLWAKEUP = 1u << 29, kEPOLLONESHOT = 1u << 30, kEPOLLET = 1u << 31;
// The flags that are not events (EP_PRIVATE_BITS).
constexpr uint32_t kPrivateBits = kEPOLLWAKEUP | kEPOLLONESHOT | kEPOLLET | kEPOLLEXCLUSIVE;
// What EPOLLEXCLUSIVE may be combined with (EPOLLEXCLUSIVE_OK_BITS).
constexpr uint32_t kExclusiveOk = kEPOLLIN | kEPOLLOUT | kEPOLLERR | kEPOLLHUP | kEPOLLWAKEUP | kEPOLLET |
                                  kEPOLLEXCLUSIVE;
constexpr int kEPOLL_CTL_ADD = 1, kEPOLL_CTL_DEL = 2, kEPOLL_CTL_MOD = 3;

#pragma pack(push, 1)
struct EpollEvent {  // packed on x86-64: 12 bytes
  uint32_t events;
  uint64_t data;
};
#pragma pack(pop)
static_assert(sizeof(EpollEvent) == 12);
constexpr uint64_t kMaxEvents = 0x7fffffff / sizeof(EpollEvent);  // EP_MAX_EVENTS

struct EpollItem {
  int fd;
  uint64_t file_serial;      // with fd, the item's key
  std::weak_ptr<File> file;  // the watch does not keep the file open
  uint32_t events;           // interest and flags, EPOLLERR|EPOLLHUP always
  uint64_t data;
  bool disabled = false;     // EPOLLONESHOT fired; EPOLL_CTL_MOD re-arms
  uint32_t last_ready = 0;   // edge-triggered: the bits seen at the last look
  uint64_t last_wakes = 0;   // edge-triggered: the file's wake count at the last report
};

class EpollFile : public AnonFile {
 public:
  using AnonFile::AnonFile;
  int64_t read(Kernel&, char*, size_t) override { return -kEINVAL; }
  int64_t write(Kernel&, const char*, size_t) override { return -kEINVAL; }
  bool pollable() const override { return true; }
  // An epoll file is readable while one of its items would report.
  uint32_t poll_events(Kernel& k) const override {
    for (const EpollItem& it : items_)
      if (would_report(k, it)) return kEPOLLIN | kEPOLLRDNORM;
    return 0;
  }
  int64_t next_ready_ns(Kernel& k) const override {
    int64_t best = -1;
    for (const EpollItem& it : items_)
      if (auto f = it.file.lock(); f && !it.disabled) {
        int64_t t = f->next_ready_ns(k);
        if (t >= 0 && (best < 0 || t < best)) best = t;
      }
    return best;
  }

  EpollItem* find(int fd, uint64_t serial) {
    for (EpollItem& it : items_)
      if (it.fd == fd && it.file_serial == serial) return &it;
    return nullptr;
  }
  void add(EpollItem it) { items_.push_back(std::move(it)); }
  void remove(int fd, uint64_t serial) {
    std::erase_if(items_, [&](const EpollItem& it) { return it.fd == fd && it.file_serial == serial; });
  }
  bool watches(const File* f) const {
    return std::any_of(items_.begin(), items_.end(), [&](const EpollItem& it) { return it.file.lock().get() == f; });
  }
  const std::vector<EpollItem>& items() const { return items_; }
  // fs/eventpoll.c ep_show_fdinfo(): a line per watched file (in the order
  // they were added; Linux's is by kernel address).
  std::string fdinfo(Kernel&) const override {
    std::string out;
    for (const EpollItem& it : items_) {
      auto f = it.file.lock();
      if (!f) continue;
      char line[160];
      std::snprintf(line, sizeof line, "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%llx sdev:%llx\n", it.fd,
                    it.events, static_cast<unsigned long long>(it.data), static_cast<long long>(f->offset()),
                    static_cast<unsigned long long>(f->inode() ? f->inode()->ino : 0),
                    static_cast<unsigned long long>(f->inode() ? f->inode()->dev : 0));
      out += line;
    }
    return out;
  }

  // One look at every item: up to `max` events, with their side effects
  // (oneshot disarming, the edge state, the order's rotation).
  std::vector<EpollEvent> harvest(Kernel& k, size_t max) {
    std::erase_if(items_, [](const EpollItem& it) { return it.file.expired(); });
    std::vector<EpollEvent> out;
    std::vector<size_t> to_back;
    for (size_t i = 0; i < items_.size() && out.size() < max; ++i) {
      EpollItem& it = items_[i];
      auto f = it.file.lock();
      if (it.disabled) continue;
      uint32_t ready = f->poll_events(k) & it.events & ~kPrivateBits;
      if (it.events & kEPOLLET) {
        bool fresh = ready && ((ready & ~it.last_ready) != 0 || f->wake_count(k) != it.last_wakes);
        it.last_ready = ready;
        if (!fresh) continue;
        it.last_wakes = f->wake_count(k);
      } else if (!ready) {
        continue;
      }
      out.push_back({ready, it.data});
      if (it.events & kEPOLLONESHOT) it.disabled = true;
      if (!(it.events & (kEPOLLET | kEPOLLONESHOT))) to_back.push_back(i);
    }
    // Reported level-triggered items go to the back, in their order.
    if (!to_back.empty()) {
      std::vector<EpollItem> front, back;
      size_t j = 0;
      for (size_t i = 0; i < items_.size(); ++i) {
        if (j < to_back.size() && to_back[j] == i) {
          back.push_back(std::move(items_[i]));
          ++j;
        } else {
          front.push_back(std::move(items_[i]));
        }
      }
      front.insert(front.end(), std::make_move_iterator(back.begin()), std::make_move_iterator(back.end()));
      items_ = std::move(front);
    }
    return out;
  }

 private:
  bool would_report(Kernel& k, const EpollItem& it) const {
    auto f = it.file.lock();
    if (!f || it.disabled) return false;
    uint32_t ready = f->poll_events(k) & it.events & ~kPrivateBits;
    if (!(it.events & kEPOLLET)) return ready != 0;
    return ready && ((ready & ~it.last_ready) != 0 || f->wake_count(k) != it.last_wakes);
  }
  std::vector<EpollItem> items_;  // in report order
};

int64_t do_epoll_create(Kernel& k, uint32_t flags) {
  if (flags & ~uint32_t(kO_CLOEXEC)) return -kEINVAL;
  auto f = std::make_shared<EpollFile>(k.vfs().make_anon_node(InodeKind::kFifo, 0600), kO_RDWR);
  f->path = "anon_inode:[eventpoll]";
  return k.current().fds->alloc(f, flags & kO_CLOEXEC);
}

int64_t sys_epoll_create(Kernel& k, const uint64_t* a) {
  if (int32_t(a[0]) <= 0) return -kEINVAL;  // the size hint must be positive
  return do_epoll_create(k, 0);
}
int64_t sys_epoll_create1(Kernel& k, const uint64_t* a) { return do_epoll_create(k, uint32_t(a[0])); }

// Whether watching `target` from `ep` would close a loop of epoll files.
bool closes_loop(const EpollFile& ep, const File& target, int depth = 0) {
  auto* t = dynamic_cast<const EpollFile*>(&target);
  if (!t) return false;
  if (t == &ep || depth > 4) return true;  // EP_MAX_NESTS
  for (const EpollItem& it : t->items())
    if (auto f = it.file.lock(); f && closes_loop(ep, *f, depth + 1)) return true;
  return false;
}

// epoll_ctl(2), in fs/eventpoll.c do_epoll_ctl()'s order of checks.
int64_t sys_epoll_ctl(Kernel& k, const uint64_t* a) {
  int op = int(a[1]);
  int fd = int(a[2]);
  EpollEvent ev{};
  if (op != kEPOLL_CTL_DEL && !k.mm().copy_in(UserPtr(a[3]), &ev, sizeof ev)) return -kEFAULT;
  auto epf = get_file(k, a[0]);
  if (!epf) return -kEBADF;
  auto target = a[2] > 0x7fffffff ? nullptr : get_file(k, a[2]);
  if (!target) return -kEBADF;
  if (!target->pollable()) return -kEPERM;
  auto* ep = dynamic_cast<EpollFile*>(epf.get());
  if (!ep || epf == target) return -kEINVAL;
  if (op != kEPOLL_CTL_DEL) ev.events &= ~kEPOLLWAKEUP;  // without CAP_BLOCK_SUSPEND it is dropped
  if (op != kEPOLL_CTL_DEL && (ev.events & kEPOLLEXCLUSIVE)) {
    if (op == kEPOLL_CTL_MOD) return -kEINVAL;
    if (op == kEPOLL_CTL_ADD && (dynamic_cast<EpollFile*>(target.get()) || (ev.events & ~kExclusiveOk)))
      return -kEINVAL;
  }
  EpollItem* it = ep->find(fd, target->lock_owner());
  switch (op) {
    case kEPOLL_CTL_ADD: {
      if (it) return -kEEXIST;
      if (closes_loop(*ep, *target)) return -kELOOP;
      EpollItem n{fd, target->lock_owner(), target, ev.events | kEPOLLERR | kEPOLLHUP, ev.data};
      ep->add(std::move(n));
      return 0;
    }
    case kEPOLL_CTL_DEL:
      if (!it) return -kENOENT;
      ep->remove(fd, target->lock_owner());
      return 0;
    case kEPOLL_CTL_MOD:
      if (!it) return -kENOENT;
      if (it->events & kEPOLLEXCLUSIVE) return -kEINVAL;
      it->events = ev.events | kEPOLLERR | kEPOLLHUP;
      it->data = ev.data;
      it->disabled = false;
      it->last_ready = 0;
      return 0;
    default: return -kEINVAL;
  }
}

// The wait of epoll_wait/epoll_pwait/epoll_pwait2: `deadline` monotonic, -1
// for none, 0 for a look without waiting.
int64_t do_epoll_wait(Kernel& k, uint64_t epfd, uint64_t events, int64_t maxevents, int64_t deadline) {
  if (maxevents <= 0 || uint64_t(maxevents) > kMaxEvents) return -kEINVAL;
  if (events + uint64_t(maxevents) * sizeof(EpollEvent) > MemoryManager::kTaskSize) return -kEFAULT;
  auto f = get_file(k, epfd);
  if (!f) return -kEBADF;
  auto ep = std::dynamic_pointer_cast<EpollFile>(f);
  if (!ep) return -kEINVAL;
  int64_t wake = ep->next_ready_ns(k);
  if (deadline >= 0 && (wake < 0 || deadline < wake)) wake = deadline;
  auto attempt = [&k, ep, events, maxevents, deadline]() -> int64_t {
    std::vector<EpollEvent> got = ep->harvest(k, size_t(maxevents));
    if (got.empty() && (deadline < 0 || k.monotonic_ns() < deadline)) return kBlocked;
    if (!got.empty() && !k.mm().copy_out(UserPtr(events), got.data(), got.size() * sizeof(EpollEvent)))
      return -kEFAULT;
    return int64_t(got.size());
  };
  return k.attempt_or_block("epoll_wait", attempt, wake);
}

int64_t ms_deadline(Kernel& k, int32_t ms) { return ms < 0 ? -1 : k.monotonic_ns() + int64_t(ms) * 1000000; }

int64_t sys_epoll_wait(Kernel& k, const uint64_t* a) {
  return do_epoll_wait(k, a[0], a[1], int32_t(a[2]), ms_deadline(k, int32_t(a[3])));
}

int64_t sys_epoll_pwait(Kernel& k, const uint64_t* a) {
  int64_t deadline = ms_deadline(k, int32_t(a[3]));
  return with_temporary_sigmask(k, a[4], a[5],
                                [&] { return do_epoll_wait(k, a[0], a[1], int32_t(a[2]), deadline); });
}

int64_t sys_epoll_pwait2(Kernel& k, const uint64_t* a) {
  int64_t deadline;
  if (int64_t r = timespec_deadline(k, a[3], &deadline); r < 0) return r;
  return with_temporary_sigmask(k, a[4], a[5],
                                [&] { return do_epoll_wait(k, a[0], a[1], int32_t(a[2]), deadline); });
}

}  // namespace

void register_epoll_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_epoll(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
