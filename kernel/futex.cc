// futex(2): wait queues keyed by (address space, address). Waiters are woken
// first come, first woken, so which waiter a wake picks is a function of the
// (deterministic) schedule; the woken task's futex event records it.
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr int kFUTEX_WAIT = 0, kFUTEX_WAKE = 1, kFUTEX_REQUEUE = 3, kFUTEX_CMP_REQUEUE = 4,
              kFUTEX_WAKE_OP = 5, kFUTEX_WAIT_BITSET = 9, kFUTEX_WAKE_BITSET = 10;
constexpr int kFUTEX_PRIVATE_FLAG = 128, kFUTEX_CLOCK_REALTIME = 256;

using Key = std::pair<const void*, uint64_t>;

// Private futexes are keyed by address space and address; futexes in shared
// memory by the shared object and offset, so processes meet on them
// (kernel/futex/core.c:get_futex_key()).
Key futex_key(MemoryManager& mm, uint64_t addr) {
  if (const Vma* v = mm.find(addr); v && v->map_shared())
    return {v->shared.get(), v->shared_offset + (addr - v->start)};
  return {&mm, addr};
}

// Blocks the current task on `key` until a wake or the monotonic deadline.
int64_t futex_wait(Kernel& k, Key key, uint32_t bitset, int64_t deadline) {
  Task& t = k.current();
  t.futex_woken = false;
  k.futex_queues()[key].push_back({t.tid, bitset});
  Task* tp = &t;
  return k.block("futex wait", [&k, tp, key, deadline]() -> int64_t {
    if (tp->futex_woken) {
      tp->futex_woken = false;
      return 0;
    }
    if (deadline >= 0 && k.monotonic_ns() >= deadline) {
      auto& q = k.futex_queues()[key];
      std::erase_if(q, [tp](const Kernel::FutexWaiter& w) { return w.tid == tp->tid; });
      return -kETIMEDOUT;
    }
    return kBlocked;
  }, deadline);
}

// FUTEX_WAKE and FUTEX_WAKE_OP wake a waiter before they compare the count
// woken with the one asked for (kernel/futex/waitwake.c): a count of 0, or
// a negative one, wakes one. (FUTEX_REQUEUE's count of 0 wakes none.)
int at_least_one(uint32_t count) {
  int n = int32_t(count);
  return n < 1 ? 1 : n;
}

// futex_wake_op's encoded operation (linux/futex.h FUTEX_OP).
bool wake_op_condition(uint32_t encoded, int32_t oldval) {
  int cmp = (encoded >> 24) & 15;
  int32_t cmparg = int32_t(encoded << 20) >> 20;
  switch (cmp) {
    case 0: return oldval == cmparg;
    case 1: return oldval != cmparg;
    case 2: return oldval < cmparg;
    case 3: return oldval <= cmparg;
    case 4: return oldval > cmparg;
    case 5: return oldval >= cmparg;
  }
  return false;
}

int64_t sys_futex(Kernel& k, const uint64_t* a) {
  uint64_t uaddr = a[0];
  int op = int(a[1]);
  uint32_t val = uint32_t(a[2]);
  uint64_t timeout_ptr = a[3], uaddr2 = a[4];
  uint32_t val3 = uint32_t(a[5]);
  int cmd = op & ~(kFUTEX_PRIVATE_FLAG | kFUTEX_CLOCK_REALTIME);
  if ((op & kFUTEX_CLOCK_REALTIME) && cmd != kFUTEX_WAIT_BITSET && cmd != kFUTEX_WAIT)
    return -kENOSYS;  // kernel/futex/syscalls.c: only the waits take a clock
  if (uaddr & 3) return -kEINVAL;
  MemoryManager& mm = k.mm();
  Key key = futex_key(mm, uaddr);
  switch (cmd) {
    case kFUTEX_WAIT:
    case kFUTEX_WAIT_BITSET: {
      uint32_t bitset = cmd == kFUTEX_WAIT ? ~0u : val3;
      if (bitset == 0) return -kEINVAL;
      int64_t deadline = -1;
      if (timeout_ptr) {
        int64_t ns;
        if (int64_t r = read_timespec_ns(k, timeout_ptr, &ns); r < 0) return r;
        if (cmd == kFUTEX_WAIT) {
          deadline = k.monotonic_ns() + ns;  // relative
        } else if (op & kFUTEX_CLOCK_REALTIME) {
          deadline = k.monotonic_ns() + (ns - k.realtime_ns());  // absolute, realtime
        } else {
          deadline = ns;  // absolute, monotonic
        }
      }
      uint32_t cur;
      if (!mm.read(UserPtr(uaddr), cur)) return -kEFAULT;
      if (cur != val) return -kEAGAIN;
      if (deadline >= 0 && k.monotonic_ns() >= deadline) return -kETIMEDOUT;
      return futex_wait(k, key, bitset, deadline);
    }
    case kFUTEX_WAKE:
    case kFUTEX_WAKE_BITSET: {
      uint32_t bitset = cmd == kFUTEX_WAKE ? ~0u : val3;
      if (bitset == 0) return -kEINVAL;
      return k.futex_wake(mm, uaddr, at_least_one(val), bitset);
    }
    case kFUTEX_REQUEUE:
    case kFUTEX_CMP_REQUEUE: {
      if (uaddr2 & 3) return -kEINVAL;
      int64_t nr_requeue = int64_t(uint32_t(timeout_ptr));  // val2 travels in the timeout slot
      if (int32_t(val) < 0 || int32_t(nr_requeue) < 0) return -kEINVAL;
      if (cmd == kFUTEX_CMP_REQUEUE) {
        uint32_t cur;
        if (!mm.read(UserPtr(uaddr), cur)) return -kEFAULT;
        if (cur != val3) return -kEAGAIN;
      }
      int woken = k.futex_wake(mm, uaddr, int(val), ~0u);
      auto& from = k.futex_queues()[key];
      auto& to = k.futex_queues()[futex_key(mm, uaddr2)];
      int moved = 0;
      while (!from.empty() && moved < nr_requeue) {
        to.push_back(from.front());
        from.erase(from.begin());
        ++moved;
      }
      return woken + moved;
    }
    case kFUTEX_WAKE_OP: {
      if (uaddr2 & 3) return -kEINVAL;
      uint32_t encoded = val3;
      int opk = (encoded >> 28) & 7;
      bool shift = (encoded >> 31) & 1;
      int32_t oparg = int32_t(encoded << 8) >> 20;
      if (shift) oparg = (oparg < 0 || oparg > 31) ? 0 : (1 << oparg);
      int32_t oldval;
      if (!mm.read(UserPtr(uaddr2), oldval)) return -kEFAULT;
      int32_t newval;
      switch (opk) {
        case 0: newval = oparg; break;            // SET
        case 1: newval = oldval + oparg; break;   // ADD
        case 2: newval = oldval | oparg; break;   // OR
        case 3: newval = oldval & ~oparg; break;  // ANDN
        case 4: newval = oldval ^ oparg; break;   // XOR
        default: return -kENOSYS;
      }
      if (!mm.write(UserPtr(uaddr2), newval)) return -kEFAULT;
      int woken = k.futex_wake(mm, uaddr, at_least_one(val), ~0u);
      if (wake_op_condition(encoded, oldval))
        woken += k.futex_wake(mm, uaddr2, at_least_one(uint32_t(timeout_ptr)), ~0u);
      return woken;
    }
    default:
      return k.unsupported(202, "futex op " + std::to_string(cmd));
  }
}

}  // namespace

int Kernel::futex_wake(MemoryManager& mm, uint64_t addr, int n, uint32_t bitset) {
  auto it = futexes_.find(futex_key(mm, addr));
  if (it == futexes_.end()) return 0;
  auto& q = it->second;
  int woken = 0;
  for (auto w = q.begin(); w != q.end() && woken < n;) {
    if (!(w->bitset & bitset)) {
      ++w;
      continue;
    }
    if (Task* t = task(w->tid); t && t->run_state == RunState::kBlocked) {
      t->futex_woken = true;
      ++woken;
    }
    w = q.erase(w);
  }
  if (q.empty()) futexes_.erase(it);
  return woken;
}

// A task leaving a futex wait other than by a wake (signal, exit).
void Kernel::futex_forget(uint32_t tid) {
  for (auto it = futexes_.begin(); it != futexes_.end();) {
    std::erase_if(it->second, [tid](const FutexWaiter& w) { return w.tid == tid; });
    it = it->second.empty() ? futexes_.erase(it) : std::next(it);
  }
}

void Kernel::exit_robust_list(Task& t) {
  if (!t.robust_list || !t.mm) return;
  MemoryManager& mm = *t.mm;
  constexpr uint32_t kTidMask = 0x3fffffff, kOwnerDied = 0x40000000, kWaiters = 0x80000000u;
  constexpr int kRobustListLimit = 2048;
  struct Head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t op_pending;
  } head;
  if (!mm.read(UserPtr(t.robust_list), head)) return;
  auto handle_death = [&](uint64_t entry) {
    uint64_t addr = entry + uint64_t(head.futex_offset);
    uint32_t v;
    if ((addr & 3) || !mm.read(UserPtr(addr), v) || (v & kTidMask) != vpid(*t.pidns, t.tid)) return;
    uint32_t nv = (v & kWaiters) | kOwnerDied;
    if (!mm.write(UserPtr(addr), nv)) return;
    if (v & kWaiters) futex_wake(mm, addr, 1, ~0u);
  };
  uint64_t entry = head.next;
  for (int i = 0; entry && entry != t.robust_list && i < kRobustListLimit; ++i) {
    uint64_t next;
    if (!mm.read(UserPtr(entry), next)) break;
    if (entry != head.op_pending) handle_death(entry);
    entry = next;
  }
  if (head.op_pending) handle_death(head.op_pending);
  t.robust_list = 0;
}

void register_futex_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_futex(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
