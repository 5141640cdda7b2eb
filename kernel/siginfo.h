// siginfo_t as the guest sees it: which union member a signal's code
// selects (kernel/signal.c siginfo_layout()), and the 128 bytes of a
// handler's, sigtimedwait's or waitid's siginfo_t.
#pragma once

#include <cstdint>

#include "kernel/kernel.h"

namespace kernel {

constexpr int32_t kSI_KERNEL = 0x80, kSI_QUEUE = -1, kSI_TIMER = -2;

// The union members of siginfo_t (SIL_* in include/linux/signal.h).
enum class SigInfoLayout { kKill, kTimer, kPoll, kFault, kChild, kRt, kSys };
SigInfoLayout siginfo_layout(int sig, int32_t code);

// siginfo_t byte offsets on x86-64 (include/uapi/asm-generic/siginfo.h).
namespace siginfo_offset {
constexpr size_t kSigno = 0, kErrno = 4, kCode = 8;
constexpr size_t kPid = 16, kUid = 20, kValue = 24;         // kill, rt, child (kPid, kUid)
constexpr size_t kTimerId = 16, kOverrun = 20;               // timer (and kValue)
constexpr size_t kStatus = 24, kUtime = 32, kStime = 40;     // child
constexpr size_t kAddr = 16, kTrapno = 24, kAddrLsb = 24;    // fault
constexpr size_t kBand = 16, kFd = 24;                       // poll
constexpr size_t kCallAddr = 16, kSyscall = 24, kArch = 28;  // sys
constexpr size_t kUnion = 16, kUnionSize = 32;
}  // namespace siginfo_offset

// The guest's siginfo_t for `info`; `pid_in_ns` is the sender as the
// receiver sees it (Kernel::pid_for).
void encode_siginfo(const SigInfo& info, uint32_t pid_in_ns, uint8_t out[128]);

// A siginfo_t from the guest (rt_sigqueueinfo and friends) for signal `sig`:
// its union is kept byte for byte, as Linux keeps the kernel_siginfo it
// copied in, and the fields Ditto acts on are read by the layout.
SigInfo decode_siginfo(int sig, const uint8_t in[128]);

}  // namespace kernel
