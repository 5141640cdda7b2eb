#include "kernel/rseq.h"

#include "kernel/siginfo.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

constexpr uint32_t kRSEQ_FLAG_UNREGISTER = 1;
constexpr uint32_t kOrigRseqSize = 32;         // struct rseq of Linux 4.18, and its alignment
constexpr uint32_t kCpuIdUninitialized = ~0u;  // RSEQ_CPU_ID_UNINITIALIZED
// Offsets in struct rseq and struct rseq_cs (include/uapi/linux/rseq.h).
constexpr uint64_t kCpuIdStart = 0, kCpuId = 4, kRseqCs = 8, kNodeId = 20, kMmCid = 24;
struct RseqCs {
  uint32_t version, flags;
  uint64_t start_ip, post_commit_offset, abort_ip;
};
constexpr uint64_t kTaskSize = 0x7ffffffff000ULL;


// rseq_update_cpu_node_id(): the fields the kernel keeps current.
bool write_ids(Task& t, uint32_t cpu) {
  MemoryManager& mm = *t.mm;
  uint64_t a = t.rseq.area;
  uint32_t zero = 0, cpu_start = cpu == kCpuIdUninitialized ? 0 : cpu;
  return mm.write(UserPtr(a + kCpuIdStart), cpu_start) && mm.write(UserPtr(a + kCpuId), cpu) &&
         (t.rseq.len < kMmCid + 4 || (mm.write(UserPtr(a + kNodeId), zero) && mm.write(UserPtr(a + kMmCid), zero)));
}

// rseq(2): register (once per thread), or unregister with the same area,
// length and signature.
int64_t sys_rseq(Kernel& k, const uint64_t* a) {
  Task& t = k.current();
  uint64_t area = a[0];
  uint32_t len = uint32_t(a[1]), flags = uint32_t(a[2]), sig = uint32_t(a[3]);
  if (flags & kRSEQ_FLAG_UNREGISTER) {
    if (flags & ~kRSEQ_FLAG_UNREGISTER) return -kEINVAL;
    if (!t.rseq.area || t.rseq.area != area) return -kEINVAL;
    if (len != t.rseq.len) return -kEINVAL;
    if (sig != t.rseq.sig) return -kEPERM;
    if (!write_ids(t, kCpuIdUninitialized)) return -kEFAULT;
    t.rseq = {};
    return 0;
  }
  if (flags) return -kEINVAL;
  if (t.rseq.area) {
    if (t.rseq.area != area || len != t.rseq.len) return -kEINVAL;
    if (sig != t.rseq.sig) return -kEPERM;
    return -kEBUSY;
  }
  // The original size, aligned to itself; a longer one must hold every
  // field (offsetof(struct rseq, end), 28 here).
  if (len < kOrigRseqSize || area % kOrigRseqSize) return -kEINVAL;
  if (!MemoryManager::user_range(area, len)) return -kEFAULT;
  t.rseq = {area, len, sig};
  // On the way back to user space the ids are written (rseq_set_notify_resume()).
  if (!write_ids(t, k.cpu_of(t))) {
    SigInfo info{kSIGSEGV, kSI_KERNEL, 0, 0};
    k.force_fault_signal(t, info, {});
  }
  return 0;
}

}  // namespace

bool rseq_fixup(Kernel& k, Task& t, uint64_t& rip) {
  if (!t.rseq.area) return true;
  MemoryManager& mm = *t.mm;
  auto segv = [&] {
    SigInfo info{kSIGSEGV, kSI_KERNEL, 0, 0};
    k.force_fault_signal(t, info, {});
    return false;
  };
  uint64_t cs_ptr;
  if (!write_ids(t, k.cpu_of(t)) || !mm.read(UserPtr(t.rseq.area + kRseqCs), cs_ptr)) return segv();
  if (!cs_ptr) return true;
  RseqCs cs;
  if (cs_ptr >= kTaskSize || !mm.read(UserPtr(cs_ptr), cs)) return segv();
  // rseq_get_rseq_cs(): a descriptor Linux would refuse is fatal.
  if (cs.start_ip >= kTaskSize || cs.start_ip + cs.post_commit_offset >= kTaskSize || cs.abort_ip >= kTaskSize ||
      cs.version > 0 || cs.start_ip + cs.post_commit_offset < cs.start_ip)
    return segv();
  uint64_t zero = 0;
  if (rip - cs.start_ip >= cs.post_commit_offset)  // not inside: the section is over
    return mm.write(UserPtr(t.rseq.area + kRseqCs), zero) || segv();
  if (cs.abort_ip - cs.start_ip < cs.post_commit_offset) return segv();  // abort inside the section
  uint32_t sig;
  if (!mm.read(UserPtr(cs.abort_ip - 4), sig) || sig != t.rseq.sig) return segv();
  if (!mm.write(UserPtr(t.rseq.area + kRseqCs), zero)) return segv();
  rip = cs.abort_ip;
  return true;
}

void register_rseq_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_rseq(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
