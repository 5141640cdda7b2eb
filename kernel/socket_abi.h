// What the socket files (kernel/socket.cc, kernel/socket_options.cc)
// share: the numbers of <sys/socket.h> and the errnos abi.h lacks, and the
// descriptor-to-socket lookup.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernel/socket.h"
#include "kernel/sys_util.h"

namespace kernel::sock {

constexpr int kAF_UNIX = 1, kAF_INET = 2, kAF_INET6 = 10;
constexpr int kSOCK_STREAM = 1, kSOCK_DGRAM = 2, kSOCK_SEQPACKET = 5;
constexpr int kSOCK_NONBLOCK = 04000, kSOCK_CLOEXEC = 02000000;
constexpr int kMSG_PEEK = 2, kMSG_TRUNC = 0x20, kMSG_WAITALL = 0x100,
              kMSG_NOSIGNAL = 0x4000;
constexpr int kEDOM = 33, kEAFNOSUPPORT = 97, kEADDRINUSE = 98, kEADDRNOTAVAIL = 99, kENETUNREACH = 101,
              kEISCONN = 106, kENOTCONN = 107, kECONNREFUSED = 111, kEINPROGRESS = 115, kENOTSOCK = 88,
              kEPROTOTYPE = 91, kENOPROTOOPT = 92, kEPROTONOSUPPORT = 93, kEOPNOTSUPP = 95,
              kEDESTADDRREQ = 89, kEMSGSIZE = 90, kECONNRESET = 104, kENOBUFS = 105;
constexpr size_t kStreamBuffer = 1 << 20;  // bytes a direction holds before a writer waits
constexpr size_t kDgramQueue = 212992;     // net.core.rmem_default
constexpr size_t kMaxDgramQlen = 10;        // net.unix.max_dgram_qlen
constexpr uint32_t kPOLLIN = 1, kPOLLOUT = 4, kPOLLERR = 8, kPOLLHUP = 16, kPOLLRDNORM = 0x40,
                   kPOLLWRNORM = 0x100, kPOLLRDHUP = 0x2000;

// Stream and seqpacket sockets connect (listen, accept, a peer for life);
// seqpacket ones keep each send a message of its own.
inline bool is_connected_kind(int type) { return type == kSOCK_STREAM || type == kSOCK_SEQPACKET; }

// The descriptor as a socket: EBADF for none, ENOTSOCK for another file.
inline int64_t socket_of(Kernel& k, uint64_t fd, std::shared_ptr<Socket>& out) {
  auto f = get_file(k, fd);
  if (!f) return -abi::kEBADF;
  out = std::dynamic_pointer_cast<Socket>(f);
  return out ? 0 : -kENOTSOCK;
}

}  // namespace kernel::sock
