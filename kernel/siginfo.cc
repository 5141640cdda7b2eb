// siginfo_t layouts and the guest's bytes (see siginfo.h).
#include "kernel/siginfo.h"

#include <cstring>

namespace kernel {

namespace {

// The highest code each signal's own codes go to (NSIGILL, NSIGFPE, ...):
// above it a code is read as SI_USER's layout, or SIGPOLL's up to NSIGPOLL.
int32_t own_code_limit(int sig) {
  switch (sig) {
    case abi::kSIGILL: return 11;
    case abi::kSIGFPE: return 15;
    case abi::kSIGSEGV: return 10;
    case abi::kSIGBUS: return 5;
    case abi::kSIGTRAP: return 6;
    case abi::kSIGCHLD: return 6;
    case abi::kSIGIO: return 6;
    case abi::kSIGSYS: return 2;
    default: return 0;
  }
}

}  // namespace

SigInfoLayout siginfo_layout(int sig, int32_t code) {
  constexpr int32_t kNSIGPOLL = 6, kSI_SIGIO = -5;
  if (code > 0 && code < kSI_KERNEL) {
    if (code > own_code_limit(sig)) return code <= kNSIGPOLL ? SigInfoLayout::kPoll : SigInfoLayout::kKill;
    switch (sig) {
      case abi::kSIGCHLD: return SigInfoLayout::kChild;
      case abi::kSIGIO: return SigInfoLayout::kPoll;
      case abi::kSIGSYS: return SigInfoLayout::kSys;
      default: return SigInfoLayout::kFault;
    }
  }
  if (code == kSI_TIMER) return SigInfoLayout::kTimer;
  if (code == kSI_SIGIO) return SigInfoLayout::kPoll;
  return code < 0 ? SigInfoLayout::kRt : SigInfoLayout::kKill;
}

void encode_siginfo(const SigInfo& info, uint32_t pid_in_ns, uint8_t out[128]) {
  std::memset(out, 0, 128);
  auto put32 = [&](size_t off, int32_t v) { std::memcpy(out + off, &v, 4); };
  auto put64 = [&](size_t off, uint64_t v) { std::memcpy(out + off, &v, 8); };
  put32(0, info.signo);
  put32(4, info.errno_);
  put32(8, info.code);
  if (info.given_union) {
    std::memcpy(out + siginfo_offset::kUnion, info.given_union->data(), siginfo_offset::kUnionSize);
    return;
  }
  switch (siginfo_layout(info.signo, info.code)) {
    case SigInfoLayout::kFault: put64(16, info.addr); break;
    case SigInfoLayout::kTimer:
      put32(16, info.timer_id);
      put32(20, info.overrun);
      put64(24, info.value);
      break;
    case SigInfoLayout::kPoll:
    case SigInfoLayout::kSys:
      break;  // only ever given by the guest
    case SigInfoLayout::kChild:
    case SigInfoLayout::kRt:
    case SigInfoLayout::kKill:
      if (info.code != kSI_KERNEL) put32(16, int32_t(pid_in_ns));
      put32(20, info.uid);
      if (info.code < 0) put64(24, info.value);
      if (siginfo_layout(info.signo, info.code) == SigInfoLayout::kChild) put32(24, info.status);
      break;
  }
}

SigInfo decode_siginfo(int sig, const uint8_t in[128]) {
  auto get32 = [&](size_t off) { int32_t v; std::memcpy(&v, in + off, 4); return v; };
  auto get64 = [&](size_t off) { uint64_t v; std::memcpy(&v, in + off, 8); return v; };
  SigInfo info;
  info.signo = sig;
  info.errno_ = get32(4);
  info.code = get32(8);
  info.pid_as_given = true;
  info.given_union.emplace();
  std::memcpy(info.given_union->data(), in + siginfo_offset::kUnion, siginfo_offset::kUnionSize);
  switch (siginfo_layout(sig, info.code)) {
    case SigInfoLayout::kFault: info.addr = get64(16); break;
    case SigInfoLayout::kTimer:
      info.timer_id = get32(16);
      info.overrun = get32(20);
      info.value = get64(24);
      break;
    default:
      info.pid = get32(16);
      info.uid = get32(20);
      info.value = get64(24);
      info.status = get32(24);
      break;
  }
  return info;
}


}  // namespace kernel
