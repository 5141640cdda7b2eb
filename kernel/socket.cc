// Sockets: the Socket file (kernel/socket.h) and the socket syscalls, with
// Linux's checks in its order where programs can tell (net/socket.c first:
// the descriptor, then the address, then the protocol's own). Options are
// kernel/socket_options.cc.
#include "kernel/socket.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <functional>
#include <optional>

#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/socket_abi.h"
#include "kernel/syscalls.h"
#include "kernel/user_buffers.h"

namespace kernel {

using namespace abi;
using namespace sock;

namespace {

// What an AF_UNIX datagram or seqpacket message of `len` bytes takes from
// its sender's send buffer: the skb's truesize, a kmalloc'ed head (a
// power-of-two cache) holding up to SKB_MAX_ALLOC bytes with the shared
// info, the sk_buff, and whole pages for the rest (unix_dgram_sendmsg()).
uint64_t unix_truesize(uint64_t len) {
  constexpr uint64_t kShinfo = 320, kSkb = 256, kPage = 4096, kMaxLinear = 4 * kPage - kShinfo;
  uint64_t frags = len > kMaxLinear ? std::min<uint64_t>(len - kMaxLinear, 17 * kPage) : 0;
  uint64_t head = (len - frags + 63) / 64 * 64 + kShinfo, bucket = 512;
  while (bucket < head) bucket *= 2;
  return bucket + kSkb + (frags + kPage - 1) / kPage * kPage;
}

std::string inet_addr(uint32_t ip_be, uint16_t port) {
  std::string a(16, '\0');
  uint16_t fam = kAF_INET, p = uint16_t((port >> 8) | (port << 8));
  std::memcpy(&a[0], &fam, 2);
  std::memcpy(&a[2], &p, 2);
  std::memcpy(&a[4], &ip_be, 4);
  return a;
}

uint16_t port_of(const std::string& a) {
  if (a.size() < 4) return 0;
  return uint16_t((uint8_t(a[2]) << 8) | uint8_t(a[3]));
}

// A parsed socket address.
struct Addr {
  int family = 0;
  std::string bytes;       // canonical sockaddr
  uint16_t port = 0;       // inet
  bool any = false;        // inet: the wildcard address
  bool loopback = false;   // inet: 127/8, ::1, ::ffff:127.x
  std::string unix_name;   // AF_UNIX: the path, or "\0abstract"
  bool unix_autobind = false;  // AF_UNIX bind with only the family
};

// Reads and checks a sockaddr of the socket's family.
int64_t read_addr(Kernel& k, const Socket& s, uint64_t ptr, uint64_t len, Addr& out, bool binding) {
  if (len > 128) return -kEINVAL;  // sizeof(struct sockaddr_storage)
  std::string raw(len, '\0');
  if (len && !k.mm().copy_in(UserPtr(ptr), raw.data(), len)) return -kEFAULT;
  uint16_t fam = 0;
  if (len >= 2) std::memcpy(&fam, raw.data(), 2);
  out.family = s.family;
  if (s.family == kAF_UNIX) {
    if (len < 2 || fam != kAF_UNIX) return -kEINVAL;
    if (len == 2) {
      if (!binding) return -kEINVAL;
      out.unix_autobind = true;
      return 0;
    }
    if (raw[2] == '\0') {
      out.unix_name = raw.substr(2);  // abstract: every byte counts
    } else {
      out.unix_name = std::string(raw.c_str() + 2);
      if (out.unix_name.size() >= 108) return -kEINVAL;
    }
    out.bytes = raw.substr(0, out.unix_name[0] == '\0' ? len : 2 + out.unix_name.size() + 1);
    return 0;
  }
  if (s.family == kAF_INET) {
    if (len < 16) return -kEINVAL;
    if (fam != kAF_INET) return -kEAFNOSUPPORT;
    uint32_t ip;
    std::memcpy(&ip, &raw[4], 4);
    out.port = port_of(raw);
    out.any = ip == 0;
    out.loopback = (ip & 0xff) == 127;
    out.bytes = inet_addr(ip, out.port);
    return 0;
  }
  if (len < 24) return -kEINVAL;
  if (fam != kAF_INET6) return -kEAFNOSUPPORT;
  uint8_t ip[16];
  std::memcpy(ip, &raw[8], 16);
  out.port = port_of(raw);
  static const uint8_t zero[16] = {}, one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  out.any = std::memcmp(ip, zero, 16) == 0;
  out.loopback = std::memcmp(ip, one, 16) == 0 || (std::memcmp(ip, mapped, 12) == 0 && ip[12] == 127);
  out.bytes = std::string(28, '\0');
  uint16_t f6 = kAF_INET6;
  std::memcpy(&out.bytes[0], &f6, 2);
  std::memcpy(&out.bytes[2], &raw[2], 2);
  std::memcpy(&out.bytes[8], ip, 16);
  return 0;
}

// The loopback address of the family with `port`.
std::string loopback_addr(int family, uint16_t port) {
  if (family == kAF_INET) return inet_addr(0x0100007f, port);
  std::string a(28, '\0');
  uint16_t f6 = kAF_INET6, p = uint16_t((port >> 8) | (port << 8));
  std::memcpy(&a[0], &f6, 2);
  std::memcpy(&a[2], &p, 2);
  a[8 + 15] = 1;
  return a;
}

std::string unbound_addr(int family) {
  if (family == kAF_INET) return inet_addr(0, 0);
  if (family == kAF_INET6) return loopback_addr(kAF_INET6, 0).replace(8 + 15, 1, 1, '\0');
  return std::string("\x01\x00", 2);
}

// Writes an address out as accept/getsockname/recvfrom do: as much as fits,
// and the real length.
int64_t write_addr(Kernel& k, uint64_t addr, uint64_t len_ptr, const std::string& bytes) {
  if (!addr) return 0;
  int32_t len;
  if (!k.mm().read(UserPtr(len_ptr), len)) return -kEFAULT;
  if (len < 0) return -kEINVAL;
  size_t n = std::min<size_t>(size_t(len), bytes.size());
  if (n && !k.mm().copy_out(UserPtr(addr), bytes.data(), n)) return -kEFAULT;
  int32_t real = int32_t(bytes.size());
  return k.mm().write(UserPtr(len_ptr), real) ? 0 : -kEFAULT;
}


}  // namespace

uint16_t Network::ephemeral(int type) {
  for (int tries = 0; tries < 28232; ++tries) {
    uint16_t p = next_port;
    next_port = next_port >= 60999 ? 32768 : uint16_t(next_port + 1);
    auto it = ports.find({type, p});
    if (it == ports.end() || it->second.expired()) return p;
  }
  return 0;
}

void Socket::unix_autobind() {
  // An abstract name of five hex digits (unix_autobind(); Linux starts at
  // a random one, Ditto at 00000).
  static const char hex[] = "0123456789abcdef";
  std::string key;
  for (uint32_t n = 0;; ++n) {
    char name[6] = {'\0'};
    for (int i = 0; i < 5; ++i) name[5 - i] = hex[(n >> (4 * i)) & 0xf];
    key.assign(name, 6);
    if (!net->unix_names.count(key)) break;
  }
  net->unix_names[key] = weak_from_this();
  name_key = key;
  local = std::string("\x01\x00", 2) + key;
}

void Socket::autobind() {
  // An unbound AF_UNIX socket with SO_PASSCRED takes a name before it
  // connects or sends, so that the receiver learns one.
  if (family == kAF_UNIX) {
    if (local.empty() && passes_creds()) unix_autobind();
    return;
  }
  if (!local.empty()) return;
  port = net->ephemeral(type);
  local = loopback_addr(family, port);
  net->ports[{type, port}] = weak_from_this();
}

Socket::~Socket() {
  if (conn) {
    conn->open[side] = false;
    conn->dir[side].closed = true;
    ++conn->dir[0].wakes, ++conn->dir[1].wakes;
    // Bytes left unread reset the peer (an AF_UNIX peer learns it now).
    if (family == kAF_UNIX && !conn->dir[1 - side].attachments.empty())
      if (auto p = conn_peer.lock()) p->pending_error = kECONNRESET;
  }
  // Datagrams never read give their senders' buffers back (sock_wfree()).
  for (const Datagram& d : inbox)
    if (d.charged_to) *d.charged_to -= d.charge;
  if (net && !name_key.empty()) {
    auto it = net->unix_names.find(name_key);
    if (it != net->unix_names.end() && it->second.expired()) net->unix_names.erase(it);
  }
  if (net && port) {
    auto it = net->ports.find({type, port});
    if (it != net->ports.end() && it->second.expired()) net->ports.erase(it);
  }
}

// SIOCINQ (unix_inq_len(), tcp_ioctl(), udp_ioctl()): a listener has none to give.
int64_t Socket::readable_bytes() const {
  if (state == State::kListening) return -abi::kEINVAL;
  if (conn) return int64_t(conn->dir[1 - side].data.size());
  return inbox.empty() ? 0 : int64_t(inbox.front().data.size());
}

uint64_t Socket::wake_count(const Kernel&) const {
  if (conn) return conn->dir[0].wakes + conn->dir[1].wakes;
  return dgram_wakes + backlog.size();
}

uint32_t Socket::poll_events(Kernel&) const {
  uint32_t ev = pending_error ? kPOLLERR : 0;
  if (state == State::kListening) return ev | (backlog.empty() ? 0 : kPOLLIN | kPOLLRDNORM);
  if (!is_connected_kind(type)) return ev | (inbox.empty() ? 0 : kPOLLIN | kPOLLRDNORM) | kPOLLOUT | kPOLLWRNORM;
  // Not connected (TCP_CLOSE): a TCP socket also reads as shut down.
  if (!conn)
    return ev | kPOLLOUT | kPOLLWRNORM | kPOLLHUP | (family == kAF_UNIX ? 0 : kPOLLIN | kPOLLRDNORM | kPOLLRDHUP);
  const StreamPipe& in = conn->dir[1 - side];
  bool peer_gone = !conn->open[1 - side];
  if (!in.data.empty() || in.closed || shut_rd) ev |= kPOLLIN | kPOLLRDNORM;
  if (in.closed || shut_rd) ev |= kPOLLRDHUP;
  // Writable by the socket's own buffer, even once the peer is gone (the
  // write then says EPIPE).
  if (!shut_wr && conn->dir[side].data.size() < kStreamBuffer) ev |= kPOLLOUT | kPOLLWRNORM;
  // Both directions shut; an AF_UNIX peer's close shuts both at once.
  if ((in.closed && shut_wr) || (family == kAF_UNIX && peer_gone)) ev |= kPOLLHUP;
  return ev;
}

int64_t Socket::recv(Kernel& k, char* buf, size_t n, int flags, RecvInfo* info) {
  (void)k;
  bool nonblock = (flags_ & kO_NONBLOCK) || (flags & kMSG_DONTWAIT);
  if (!is_connected_kind(type)) {
    if (inbox.empty()) return shut_rd ? 0 : nonblock ? -kEAGAIN : kWouldBlock;
    Datagram& d = inbox.front();
    size_t take = std::min(n, d.data.size());
    std::memcpy(buf, d.data.data(), take);
    int64_t r = (flags & kMSG_TRUNC) ? int64_t(d.data.size()) : int64_t(take);
    if (info) {
      info->from = d.from;
      info->creds = d.creds;
      info->files = d.files;  // a peek sees them too (scm_fp_dup())
      info->truncated = take < d.data.size();
    }
    if (!(flags & kMSG_PEEK)) {
      inbox_bytes -= d.data.size();
      if (d.charged_to) *d.charged_to -= d.charge;
      inbox.pop_front();
      ++dgram_wakes;
    }
    return r;
  }
  if (!conn) return -kENOTCONN;
  StreamPipe& in = conn->dir[1 - side];
  if (type == kSOCK_SEQPACKET ? in.attachments.empty() : in.data.empty()) {
    // A peer that closed with bytes unread left ECONNRESET (unix_release_sock()).
    if (pending_error) return -std::exchange(pending_error, 0);
    if (in.closed || shut_rd) return 0;
    return nonblock ? -kEAGAIN : kWouldBlock;
  }
  if (type == kSOCK_SEQPACKET) {
    // One message a receive; what the buffer cannot take is lost.
    StreamAttachment& m = in.attachments.front();
    size_t take = std::min<uint64_t>(n, m.len);
    std::memcpy(buf, in.data.data(), take);
    int64_t r = (flags & kMSG_TRUNC) ? int64_t(m.len) : int64_t(take);
    if (info) {
      info->from = peer;
      info->creds = m.creds;
      info->files = m.files;
      info->truncated = take < m.len;
    }
    if (!(flags & kMSG_PEEK)) {
      in.data.erase(0, m.len);
      in.taken += m.len;
      in.charged -= m.charge;
      in.attachments.pop_front();
      ++in.wakes;
    }
    return r;
  }
  size_t take = std::min(n, in.data.size());
  // unix_stream_read_generic(): bytes sent with files end the read where
  // their send ends, and the files come with it; with SO_PASSCRED the read
  // also ends where another sender's bytes begin.
  bool creds = family == kAF_UNIX && passes_creds();
  auto& segs = in.attachments;
  StreamAttachment* with_files = nullptr;
  if (!segs.empty()) {
    if (info) info->creds = segs.front().creds;
    for (auto& seg : segs) {
      if (seg.at >= in.taken + take) break;
      if (creds && !(seg.creds == segs.front().creds)) {
        take = size_t(seg.at - in.taken);
        break;
      }
      if (!seg.files.empty()) {
        take = size_t(std::min<uint64_t>(take, seg.at + seg.len - in.taken));
        with_files = &seg;
        if (info) info->files = seg.files;
        break;
      }
    }
  }
  std::memcpy(buf, in.data.data(), take);
  if (!(flags & kMSG_PEEK)) {
    in.data.erase(0, take);
    in.taken += take;
    if (with_files) with_files->files.clear();  // taken, even if bytes of that send remain
    while (!segs.empty() && segs.front().at + segs.front().len <= in.taken) segs.pop_front();
    ++in.wakes;
  }
  if (info) info->from = peer;
  return int64_t(take);
}

// sk_sndbuf and sk_rcvbuf: TCP's tcp_wmem/tcp_rmem defaults, else
// net.core.wmem_default/rmem_default; a value set is doubled and clamped
// (sock_setsockopt()).
uint64_t Socket::send_buffer() const { return buffer_size(7, family != kAF_UNIX && type == kSOCK_STREAM ? 16384 : 212992); }
uint64_t Socket::receive_buffer() const {
  return buffer_size(8, family != kAF_UNIX && type == kSOCK_STREAM ? 131072 : 212992);
}
uint64_t Socket::buffer_size(int name, uint64_t default_size) const {
  auto it = options.find({1, name});
  if (it == options.end() || it->second.size() < 4) return default_size;
  int32_t v;
  std::memcpy(&v, it->second.data(), 4);
  uint64_t min = name == 7 ? 4608 : 2304, max = 2 * 212992;
  return std::clamp<uint64_t>(uint64_t(std::max(v, 0)) * 2, min, max);
}

bool Socket::passes_creds() const {
  auto it = options.find({1, 16});  // SOL_SOCKET, SO_PASSCRED
  if (it == options.end() || it->second.size() < 4) return false;
  int32_t v;
  std::memcpy(&v, it->second.data(), 4);
  return v != 0;
}

int64_t Socket::send(Kernel& k, const char* buf, size_t n, int flags, const std::string* to,
                     const PassedFiles* files, const SenderCreds* creds) {
  // By default a send says who made it: the process and its real ids (scm_send()).
  const Credentials& c = k.current().creds;
  SenderCreds who = creds ? *creds : SenderCreds{k.current().tgid, c.uid, c.gid};
  bool nonblock = (flags_ & kO_NONBLOCK) || (flags & kMSG_DONTWAIT);
  auto pipe_error = [&]() -> int64_t {
    if (!(flags & kMSG_NOSIGNAL)) k.send_signal_to_self(kSIGPIPE);
    return -kEPIPE;
  };
  if (!is_connected_kind(type)) {
    std::shared_ptr<Socket> dst;
    if (to) {
      auto it = net->unix_names.find(*to);
      if (family == kAF_UNIX) {
        if (it != net->unix_names.end()) dst = it->second.lock();
        if (!dst) return -kECONNREFUSED;
      } else {
        auto p = net->ports.find({type, port_of(*to)});
        if (p != net->ports.end()) dst = p->second.lock();
      }
    } else {
      dst = dgram_peer.lock();
      if (!dst && dgram_peer.expired() && peer.empty()) return -kEDESTADDRREQ;
      if (!dst && family == kAF_UNIX) return -kECONNREFUSED;
    }
    if (shut_wr) return pipe_error();
    if (family == kAF_UNIX) {
      // unix_dgram_sendmsg(): the sender's buffer limits what it has in
      // flight; a receiver that is not its peer takes max_dgram_qlen + 1.
      if (n > send_buffer() - 32) return -kEMSGSIZE;
      autobind();
      if (!dgram_charged) dgram_charged = std::make_shared<uint64_t>(0);
      bool peers = dst->dgram_peer.lock().get() == this;
      if (*dgram_charged >= send_buffer() || (dst.get() != this && !peers && dst->inbox.size() > kMaxDgramQlen))
        return nonblock ? -kEAGAIN : kWouldBlock;
      uint64_t charge = unix_truesize(n);
      *dgram_charged += charge;
      dst->inbox.push_back({std::string(buf, n), local, who, files ? *files : PassedFiles{}, dgram_charged, charge});
      dst->inbox_bytes += n;
      ++dst->dgram_wakes;
      return int64_t(n);
    }
    if (n > kDgramQueue) return -kEMSGSIZE;
    autobind();  // so that replies can come back
    if (!dst) return int64_t(n);  // UDP to a port no one holds: gone
    if (dst->inbox_bytes + n > kDgramQueue) return int64_t(n);  // a full UDP queue drops it
    dst->inbox.push_back({std::string(buf, n), local, who, files ? *files : PassedFiles{}, nullptr, 0});
    dst->inbox_bytes += n;
    ++dst->dgram_wakes;
    return int64_t(n);
  }
  if (!conn) return to && type == kSOCK_STREAM ? -kEOPNOTSUPP : -kENOTCONN;
  if (shut_wr || !conn->open[1 - side]) return pipe_error();
  StreamPipe& out = conn->dir[side];
  if (type == kSOCK_SEQPACKET) {
    // A message goes whole, or waits for room.
    if (n > send_buffer() - 32) return -kEMSGSIZE;
    // sock_alloc_send_pskb(): a send waits while the buffer is full, then
    // takes what it needs, even past the size.
    if (out.charged >= send_buffer()) return nonblock ? -kEAGAIN : kWouldBlock;
    uint64_t charge = unix_truesize(n);
    out.attachments.push_back({out.taken + out.data.size(), n, who, files ? *files : PassedFiles{}, charge});
    out.charged += charge;
    out.data.append(buf, n);
    ++out.wakes;
    return int64_t(n);
  }
  size_t room = kStreamBuffer - std::min(kStreamBuffer, out.data.size());
  if (room == 0) return nonblock ? -kEAGAIN : kWouldBlock;
  size_t take = std::min(n, room);
  if (take) out.attachments.push_back({out.taken + out.data.size(), take, who, files ? *files : PassedFiles{}, 0});
  out.data.append(buf, take);
  ++out.wakes;
  return int64_t(take);
}

namespace {

std::shared_ptr<Socket> make_socket(Kernel& k, int family, int type, int protocol, int flags) {
  auto s = std::make_shared<Socket>(k.vfs().make_node(InodeKind::kSocket, 0777), family, type, protocol,
                                    kO_RDWR | uint32_t(flags & kSOCK_NONBLOCK));
  s->net = k.network();
  set_caller_owner(k, *s->inode());
  s->path = "socket:[" + std::to_string(s->inode()->ino) + "]";
  return s;
}

int64_t check_type(int family, int type, int protocol) {
  if (family != kAF_UNIX && family != kAF_INET && family != kAF_INET6) return -kEAFNOSUPPORT;
  if (type != kSOCK_STREAM && type != kSOCK_DGRAM && type != kSOCK_SEQPACKET) return -kEINVAL;
  if (family == kAF_UNIX) return protocol == 0 ? 0 : -kEPROTONOSUPPORT;
  if (type == kSOCK_SEQPACKET) return -kEPROTONOSUPPORT;  // no SCTP
  if (type == kSOCK_STREAM && protocol != 0 && protocol != 6) return -kEPROTONOSUPPORT;
  if (type == kSOCK_DGRAM && protocol != 0 && protocol != 17) return -kEPROTONOSUPPORT;
  return 0;
}

int64_t sys_socket(Kernel& k, const uint64_t* a) {
  int family = int(a[0]), type = int(a[1]) & 0xf, flags = int(a[1]) & ~0xf, protocol = int(a[2]);
  if (flags & ~(kSOCK_NONBLOCK | kSOCK_CLOEXEC)) return -kEINVAL;
  if (family == 16 || family == 17) return k.unsupported(41, family == 16 ? "socket AF_NETLINK" : "socket AF_PACKET");
  if (int64_t r = check_type(family, type, protocol); r < 0) return r;
  auto s = make_socket(k, family, type, protocol, flags);
  return k.current().fds->alloc(s, flags & kSOCK_CLOEXEC);
}

int64_t sys_socketpair(Kernel& k, const uint64_t* a) {
  int family = int(a[0]), type = int(a[1]) & 0xf, flags = int(a[1]) & ~0xf, protocol = int(a[2]);
  if (flags & ~(kSOCK_NONBLOCK | kSOCK_CLOEXEC)) return -kEINVAL;
  if (int64_t r = check_type(family, type, protocol); r < 0) return r;
  if (family != kAF_UNIX) return -kEOPNOTSUPP;
  auto x = make_socket(k, family, type, protocol, flags), y = make_socket(k, family, type, protocol, flags);
  Task& t = k.current();
  if (is_connected_kind(type)) {
    auto c = std::make_shared<Connection>();
    for (int s = 0; s < 2; ++s) c->pid[s] = t.tgid, c->uid[s] = t.creds.euid, c->gid[s] = t.creds.egid;
    x->conn = y->conn = c;
    x->conn_peer = y, y->conn_peer = x;
    x->side = 0, y->side = 1;
    x->state = y->state = Socket::State::kConnected;
  } else {
    x->dgram_peer = y, y->dgram_peer = x;
    x->peer = y->peer = unbound_addr(kAF_UNIX);
  }
  FdTable& fds = *t.fds;
  int fx = fds.alloc(x, flags & kSOCK_CLOEXEC);
  if (fx < 0) return fx;
  int fy = fds.alloc(y, flags & kSOCK_CLOEXEC);
  if (fy < 0) {
    fds.close(fx);
    return fy;
  }
  int32_t sv[2] = {fx, fy};
  if (!k.mm().copy_out(UserPtr(a[3]), sv, sizeof sv)) {
    fds.close(fx), fds.close(fy);
    return -kEFAULT;
  }
  return 0;
}

// The AF_UNIX name a socket is known by in Network::unix_names: "\0..." for
// an abstract name, "#INO" for a socket file.
int64_t unix_key(Kernel& k, const Addr& addr, bool create, std::string& key) {
  if (addr.unix_name[0] == '\0') {
    key = addr.unix_name;
    return 0;
  }
  int64_t err;
  Lookup l = lookup_at(k, kAT_FDCWD, addr.unix_name, true, &err);
  if (err) return err;
  if (create) {
    if (l.node) return -kEADDRINUSE;
    if (!l.parent) return -kENOENT;
    if (l.parent->read_only) return -kEROFS;
    if (int64_t r = may_create_in(k.current().creds, *l.parent); r < 0) return r;
    auto n = k.vfs().make_node(InodeKind::kSocket, 0777 & ~k.current().fs->umask);
    set_creator(k, *n, *l.parent);
    add_entry(k, l, n);
    key = "#" + std::to_string(n->ino);
    return 0;
  }
  if (!l.node) return -kENOENT;
  // unix_find_bsd(): connecting writes to the socket file.
  if (int64_t r = inode_permission(k.current().creds, *l.node, kMayWrite); r < 0) return r;
  if (l.node->kind != InodeKind::kSocket) return -kECONNREFUSED;
  key = "#" + std::to_string(l.node->ino);
  return 0;
}

int64_t sys_bind(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  Addr addr;
  if (int64_t r = read_addr(k, *s, a[1], a[2], addr, true); r < 0) return r;
  if (!s->local.empty()) return -kEINVAL;
  if (s->family == kAF_UNIX) {
    std::string key;
    if (addr.unix_autobind) {
      s->unix_autobind();
      return 0;
    }
    if (addr.unix_name[0] == '\0' && s->net->unix_names.count(addr.unix_name)) return -kEADDRINUSE;
    if (int64_t r = unix_key(k, addr, true, key); r < 0) return r;
    s->net->unix_names[key] = s;
    s->name_key = key;
    s->local = addr.bytes;
    return 0;
  }
  if (!addr.any && !addr.loopback) return -kEADDRNOTAVAIL;
  uint16_t port = addr.port;
  if (port && port < 1024 && k.current().creds.euid != 0) return -kEACCES;
  if (port == 0) {
    port = s->net->ephemeral(s->type);
    if (!port) return -kEADDRINUSE;
  } else if (auto it = s->net->ports.find({s->type, port}); it != s->net->ports.end() && !it->second.expired()) {
    return -kEADDRINUSE;
  }
  s->net->ports[{s->type, port}] = s;
  s->port = port;
  s->local = addr.bytes;
  s->local[2] = char(port >> 8), s->local[3] = char(port & 0xff);
  return 0;
}

int64_t sys_listen(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  if (!is_connected_kind(s->type)) return -kEOPNOTSUPP;
  if (s->state == Socket::State::kConnected) return -kEINVAL;
  if (s->local.empty()) {
    if (s->family == kAF_UNIX) return -kEINVAL;
    uint16_t port = s->net->ephemeral(s->type);
    if (!port) return -kEADDRINUSE;
    s->net->ports[{s->type, port}] = s;
    s->port = port;
    s->local = s->family == kAF_INET ? inet_addr(0, port) : unbound_addr(kAF_INET6);
    if (s->family == kAF_INET6) s->local[2] = char(port >> 8), s->local[3] = char(port & 0xff);
  }
  s->state = Socket::State::kListening;
  Task& t = k.current();
  s->listen_pid = t.tgid, s->listen_uid = t.creds.euid, s->listen_gid = t.creds.egid;
  s->backlog_max = std::clamp(int(int32_t(a[1])), 0, 4096);
  return 0;
}

int64_t sys_connect(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  Addr addr;
  if (int64_t r = read_addr(k, *s, a[1], a[2], addr, false); r < 0) return r;
  if (s->family != kAF_UNIX && !addr.loopback && !addr.any) return -kENETUNREACH;
  std::shared_ptr<Socket> dst;
  std::string key;
  if (s->family == kAF_UNIX) {
    if (int64_t r = unix_key(k, addr, false, key); r < 0) return r;
    auto it = s->net->unix_names.find(key);
    if (it != s->net->unix_names.end()) dst = it->second.lock();
    if (!dst) return -kECONNREFUSED;
    // Abstract names are looked up by type, socket files by inode (unix_find_other()).
    if (dst->type != s->type) return key[0] == '\0' ? -kECONNREFUSED : -kEPROTOTYPE;
  } else {
    auto it = s->net->ports.find({s->type, addr.port});
    if (it != s->net->ports.end()) dst = it->second.lock();
  }
  if (!is_connected_kind(s->type)) {
    // A datagram socket's default destination.
    s->dgram_peer = dst;
    s->peer = addr.bytes;
    s->autobind();
    return 0;
  }
  if (s->state == Socket::State::kConnected) return -kEISCONN;
  if (s->state == Socket::State::kListening) return -kEINVAL;
  if (!dst || dst->state != Socket::State::kListening) return -kECONNREFUSED;
  // The server side of the connection waits in the listener's backlog.
  auto server = make_socket(k, dst->family, dst->type, dst->protocol, 0);
  auto c = std::make_shared<Connection>();
  Task& t = k.current();
  // SO_PEERCRED: the server side sees the client's at connect(), the client
  // the listener's at listen().
  c->pid[0] = t.tgid, c->uid[0] = t.creds.euid, c->gid[0] = t.creds.egid;
  c->pid[1] = dst->listen_pid, c->uid[1] = dst->listen_uid, c->gid[1] = dst->listen_gid;
  s->autobind();
  s->conn = server->conn = c;
  s->conn_peer = server, server->conn_peer = s;
  s->side = 0, server->side = 1;
  s->state = server->state = Socket::State::kConnected;
  s->peer = s->family == kAF_UNIX ? dst->local : addr.bytes;
  if (s->family != kAF_UNIX && addr.any) s->peer = loopback_addr(s->family, addr.port);
  server->local = s->family == kAF_UNIX ? dst->local : loopback_addr(dst->family, addr.port);
  server->peer = s->local.empty() ? unbound_addr(kAF_UNIX) : s->local;
  dst->backlog.push_back(server);
  // TCP says a non-blocking connect is under way even on loopback; the
  // connection is made already, so SO_ERROR then says 0.
  if (s->family != kAF_UNIX && (s->flags() & kO_NONBLOCK)) return -kEINPROGRESS;
  return 0;
}

int64_t do_accept(Kernel& k, uint64_t fd, uint64_t addr, uint64_t len_ptr, int flags) {
  if (flags & ~(kSOCK_NONBLOCK | kSOCK_CLOEXEC)) return -kEINVAL;
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, fd, s); r < 0) return r;
  if (!is_connected_kind(s->type)) return -kEOPNOTSUPP;
  if (s->state != Socket::State::kListening) return -kEINVAL;
  int64_t deadline = wait_deadline(k, *s, false);  // SO_RCVTIMEO (inet_csk_accept())
  auto attempt = [&k, s, addr, len_ptr, flags, deadline]() -> int64_t {
    if (s->backlog.empty()) return (s->flags() & kO_NONBLOCK) || past(k, deadline) ? -kEAGAIN : kBlocked;
    std::shared_ptr<Socket> c = s->backlog.front();
    if (int64_t r = write_addr(k, addr, len_ptr, c->peer); r < 0) return r;
    s->backlog.pop_front();
    if (flags & kSOCK_NONBLOCK) c->set_status_flags(c->flags() | kO_NONBLOCK);
    return k.current().fds->alloc(c, flags & kSOCK_CLOEXEC);
  };
  return k.attempt_or_block("accept", attempt, deadline);
}

int64_t sys_accept(Kernel& k, const uint64_t* a) { return do_accept(k, a[0], a[1], a[2], 0); }
int64_t sys_accept4(Kernel& k, const uint64_t* a) { return do_accept(k, a[0], a[1], a[2], int(a[3])); }

int64_t sys_shutdown(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  int how = int(a[1]);
  if (how < 0 || how > 2) return -kEINVAL;
  if (is_connected_kind(s->type) && !s->conn) return -kENOTCONN;
  if (how != 1) s->shut_rd = true;
  if (how != 0) {
    s->shut_wr = true;
    if (s->conn) {
      s->conn->dir[s->side].closed = true;
      ++s->conn->dir[s->side].wakes;
    }
  }
  return 0;
}

int64_t do_name(Kernel& k, const uint64_t* a, bool peer) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  if (peer && s->peer.empty()) return -kENOTCONN;
  if (peer && s->conn && !s->conn->open[1 - s->side] && s->family != kAF_UNIX) return -kENOTCONN;
  const std::string& name = peer ? s->peer : s->local.empty() ? unbound_addr(s->family) : s->local;
  return write_addr(k, a[1], a[2], name);
}

int64_t sys_getsockname(Kernel& k, const uint64_t* a) { return do_name(k, a, false); }
int64_t sys_getpeername(Kernel& k, const uint64_t* a) { return do_name(k, a, true); }

// Sends and receives over guest buffers, blocking as the socket says.
int64_t do_send(Kernel& k, const std::shared_ptr<Socket>& s, std::vector<Iovec> iov, int flags,
                std::optional<std::string> to, PassedFiles files = {},
                std::optional<SenderCreds> creds = std::nullopt) {
  uint64_t total = 0;
  for (const Iovec& v : iov) total += v.len;
  std::string data(total, '\0');
  UserBuffers src(std::move(iov));
  if (total && !src.copy_in(k.mm(), 0, data.data(), total)) return -kEFAULT;
  auto done = std::make_shared<uint64_t>(0);
  bool all = s->type == kSOCK_STREAM;
  auto passed = std::make_shared<PassedFiles>(std::move(files));
  int64_t deadline = wait_deadline(k, *s, true);
  return k.attempt_or_block("send", [&k, s, data, flags, to, done, all, passed, creds, deadline]() -> int64_t {
    do {
      // The files go with the first bytes that leave.
      const PassedFiles* with = *done == 0 ? passed.get() : nullptr;
      int64_t r = s->send(k, data.data() + *done, data.size() - *done, flags, to ? &*to : nullptr, with,
                          creds ? &*creds : nullptr);
      if (r == kWouldBlock) {
        if (*done && !all) return int64_t(*done);
        if (!past(k, deadline)) return kBlocked;
        return *done ? int64_t(*done) : -kEAGAIN;  // SO_SNDTIMEO
      }
      if (r < 0) return *done ? int64_t(*done) : r;
      *done += uint64_t(r);
    } while (all && *done < data.size());
    return int64_t(*done);
  }, deadline);
}

// `give_from` hands the sender's address and the files that came to the
// caller (recvfrom, recvmsg); without it files are dropped.
int64_t do_recv(Kernel& k, const std::shared_ptr<Socket>& s, std::vector<Iovec> iov, int flags,
                std::function<int64_t(RecvInfo&)> give_from) {
  uint64_t total = 0;
  for (const Iovec& v : iov) total += v.len;
  UserBuffers dst(std::move(iov));
  int64_t deadline = wait_deadline(k, *s, false);
  return k.attempt_or_block("recv", [&k, s, dst, total, flags, give_from, deadline]() -> int64_t {
    std::string buf(std::min<uint64_t>(total, 1 << 20), '\0');
    // MSG_WAITALL on a stream: wait until all of it is there (or the end).
    if ((flags & kMSG_WAITALL) && s->type == kSOCK_STREAM && s->conn &&
        s->conn->dir[1 - s->side].data.size() < buf.size() && !s->conn->dir[1 - s->side].closed &&
        !(s->flags() & kO_NONBLOCK) && !(flags & kMSG_DONTWAIT) && !past(k, deadline))
      return kBlocked;
    RecvInfo info;
    int64_t r = s->recv(k, buf.data(), buf.size(), flags, &info);
    if (r == kWouldBlock) return past(k, deadline) ? -kEAGAIN : kBlocked;  // SO_RCVTIMEO
    if (r < 0) return r;
    size_t copied = std::min<size_t>(size_t(r), buf.size());
    if (copied && !dst.copy_out(k.mm(), 0, buf.data(), copied)) return -kEFAULT;
    if (give_from)
      if (int64_t e = give_from(info); e < 0) return e;
    return r;
  }, deadline);
}

int64_t read_iov(Kernel& k, uint64_t ptr, uint64_t count, std::vector<Iovec>& out) {
  if (count > 1024) return -kEMSGSIZE;
  out.resize(count);
  if (count && !k.mm().copy_in(UserPtr(ptr), out.data(), count * sizeof(Iovec))) return -kEFAULT;
  for (const Iovec& v : out)
    if (int64_t(v.len) < 0) return -kEINVAL;
  return 0;
}

int64_t sys_sendto(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  std::optional<std::string> to;
  if (a[4]) {
    Addr addr;
    if (int64_t r = read_addr(k, *s, a[4], a[5], addr, false); r < 0) return r;
    if (s->type == kSOCK_SEQPACKET) {
      // unix_seqpacket_sendmsg() drops the address.
    } else if (is_connected_kind(s->type)) {
      // An address on a stream: AF_UNIX refuses it, TCP ignores it once
      // connected and says EPIPE before.
      if (s->family == kAF_UNIX) return s->conn ? -kEISCONN : -kEOPNOTSUPP;
      if (!s->conn) return -kEPIPE;
    } else if (s->family == kAF_UNIX) {
      std::string key;
      if (int64_t r = unix_key(k, addr, false, key); r < 0) return r;
      to = key;
    } else {
      if (!addr.loopback && !addr.any) return -kENETUNREACH;
      to = addr.bytes;
    }
  }
  return do_send(k, s, {{a[1], a[2]}}, int(a[3]), to);
}

int64_t sys_recvfrom(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  uint64_t addr = a[4], len_ptr = a[5];
  return do_recv(k, s, {{a[1], a[2]}}, int(a[3]), [&k, addr, len_ptr](RecvInfo& info) -> int64_t {
    const std::string& from = info.from;
    return from.empty() ? (addr ? k.mm().write(UserPtr(len_ptr), int32_t(0)) ? 0 : -kEFAULT : 0)
                        : write_addr(k, addr, len_ptr, from);
  });
}

struct Msghdr {
  uint64_t name;
  uint32_t namelen, pad0;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad1;
};
static_assert(sizeof(Msghdr) == 56);

constexpr uint64_t kCmsgHeader = 16;  // struct cmsghdr: size_t len; int level, type
constexpr int kSOL_SOCKET = 1, kSCM_RIGHTS = 1, kSCM_CREDENTIALS = 2, kSCM_MAX_FD = 253;
constexpr int kMSG_CTRUNC = 8, kMSG_CMSG_CLOEXEC = 0x40000000;
constexpr uint64_t kMaxControl = 128 * 1024;  // net.core.optmem_max: a larger buffer is ENOBUFS
uint64_t cmsg_align(uint64_t n) { return (n + 7) & ~uint64_t(7); }

// A sendmsg's ancillary data (net/core/scm.c __scm_send()): SCM_RIGHTS
// carries open files over AF_UNIX, at most 253 of them; a malformed header
// or another SOL_SOCKET message is EINVAL, messages of other levels are
// not for AF_UNIX and are skipped.
int64_t read_control(Kernel& k, const Socket& s, uint64_t ptr, uint64_t len, PassedFiles& files,
                     std::optional<SenderCreds>& creds) {
  if (len > kMaxControl) return -kENOBUFS;
  std::string ctl(len, '\0');
  if (len && !k.mm().copy_in(UserPtr(ptr), ctl.data(), len)) return -kEFAULT;
  for (uint64_t at = 0; at + kCmsgHeader <= len;) {
    uint64_t cmsg_len;
    int32_t level, type;
    std::memcpy(&cmsg_len, ctl.data() + at, 8);
    std::memcpy(&level, ctl.data() + at + 8, 4);
    std::memcpy(&type, ctl.data() + at + 12, 4);
    if (cmsg_len < kCmsgHeader || cmsg_len > len - at) return -kEINVAL;
    if (level == kSOL_SOCKET) {
      if (type == kSCM_RIGHTS && s.family == kAF_UNIX) {
        for (uint64_t i = 0; i < (cmsg_len - kCmsgHeader) / 4; ++i) {
          if (files.size() >= size_t(kSCM_MAX_FD)) return -kEINVAL;
          int32_t fd;
          std::memcpy(&fd, ctl.data() + at + kCmsgHeader + 4 * i, 4);
          auto f = k.current().fds->get(fd);  // O_PATH descriptors travel too (fget_raw())
          if (!f) return -kEBADF;
          files.push_back(std::move(f));
        }
      } else if (type == kSCM_CREDENTIALS && s.family == kAF_UNIX) {
        // scm_check_creds(): one's own pid unless CAP_SYS_ADMIN (then one
        // that exists), one's real, effective or saved ids unless
        // CAP_SETUID/CAP_SETGID; -1 is no id at all.
        if (cmsg_len != kCmsgHeader + 12) return -kEINVAL;
        int32_t u[3];
        std::memcpy(u, ctl.data() + at + kCmsgHeader, 12);
        const Task& t = k.current();
        const Credentials& c = t.creds;
        uint32_t pid = uint32_t(u[0]), uid = uint32_t(u[1]), gid = uint32_t(u[2]);
        if (uid == ~0u || gid == ~0u || c.userns) return -kEINVAL;  // unmapped
        bool own_pid = pid == k.vpid(*t.pidns, t.tgid);
        if (!(own_pid || c.capable()) || !(uid == c.uid || uid == c.euid || uid == c.suid || c.capable()) ||
            !(gid == c.gid || gid == c.egid || gid == c.sgid || c.capable()))
          return -kEPERM;
        uint32_t global = own_pid ? t.tgid : k.gpid(pid);
        Task* named = global ? k.task(global) : nullptr;
        if (!named || named->run_state == RunState::kExited) return -kESRCH;
        creds = SenderCreds{named->tgid, uid, gid};
      } else if (s.family != kAF_UNIX && (type == kSCM_RIGHTS || type == kSCM_CREDENTIALS)) {
        // IP sockets pass them over in silence (__sock_cmsg_send()).
      } else if (s.family != kAF_UNIX && (type == 36 || type == 37 || type == 61)) {
        return k.unsupported(46, "sendmsg SO_MARK, SO_TIMESTAMPING or SCM_TXTIME");
      } else {
        return -kEINVAL;
      }
    } else if (s.family != kAF_UNIX) {
      return k.unsupported(46, "sendmsg ancillary data of level " + std::to_string(level));
    }
    at += cmsg_align(cmsg_len);
  }
  return 0;
}

// put_cmsg(): one control message into what is left of the buffer at
// `ptr` (`room` bytes), cut short with MSG_CTRUNC if it does not fit;
// moves `ptr` and `room` past it and adds what it took to `used`.
void put_cmsg(Kernel& k, uint64_t& ptr, uint64_t& room, int type, const void* data, uint64_t len, uint64_t& used,
              int32_t& msg_flags) {
  if (!ptr || room < kCmsgHeader) {
    msg_flags |= kMSG_CTRUNC;
    return;
  }
  uint64_t cmsg_len = kCmsgHeader + len;
  if (room < cmsg_len) {
    msg_flags |= kMSG_CTRUNC;
    cmsg_len = room;
  }
  std::string msg(cmsg_len, '\0');
  int32_t level = kSOL_SOCKET;
  std::memcpy(msg.data(), &cmsg_len, 8);
  std::memcpy(msg.data() + 8, &level, 4);
  std::memcpy(msg.data() + 12, &type, 4);
  std::memcpy(msg.data() + kCmsgHeader, data, cmsg_len - kCmsgHeader);
  if (!k.mm().copy_out(UserPtr(ptr), msg.data(), msg.size())) msg_flags |= kMSG_CTRUNC;
  uint64_t step = std::min(cmsg_align(kCmsgHeader + len), room);
  ptr += step;
  room -= step;
  used += step;
}

// Installs received files in the caller's table and puts their SCM_RIGHTS
// message in the buffer (net/core/scm.c scm_detach_fds()): as many as the
// buffer and the table hold, MSG_CTRUNC when some are left out (and closed).
void deliver_files(Kernel& k, PassedFiles& files, uint64_t& ptr, uint64_t& room, int flags, uint64_t& used,
                   int32_t& msg_flags) {
  if (files.empty()) return;
  size_t fit = ptr && room > kCmsgHeader ? size_t((room - kCmsgHeader) / 4) : 0;
  std::vector<int32_t> fds;
  for (size_t i = 0; i < std::min(fit, files.size()); ++i) {
    int fd = k.current().fds->alloc(files[i], flags & kMSG_CMSG_CLOEXEC);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  if (!fds.empty()) put_cmsg(k, ptr, room, kSCM_RIGHTS, fds.data(), 4 * fds.size(), used, msg_flags);
  if (fds.size() < files.size()) msg_flags |= kMSG_CTRUNC;
}

int64_t sys_sendmsg(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  Msghdr m;
  if (!k.mm().copy_in(UserPtr(a[1]), &m, sizeof m)) return -kEFAULT;
  std::vector<Iovec> iov;
  if (int64_t r = read_iov(k, m.iov, m.iovlen, iov); r < 0) return r;
  PassedFiles files;
  std::optional<SenderCreds> creds;
  if (m.controllen)
    if (int64_t r = read_control(k, *s, m.control, m.controllen, files, creds); r < 0) return r;
  std::optional<std::string> to;
  if (m.name && !is_connected_kind(s->type)) {
    Addr addr;
    if (int64_t r = read_addr(k, *s, m.name, m.namelen, addr, false); r < 0) return r;
    if (s->family == kAF_UNIX) {
      std::string key;
      if (int64_t r = unix_key(k, addr, false, key); r < 0) return r;
      to = key;
    } else {
      to = addr.bytes;
    }
  }
  return do_send(k, s, std::move(iov), int(a[2]), to, std::move(files), creds);
}

int64_t sys_recvmsg(Kernel& k, const uint64_t* a) {
  std::shared_ptr<Socket> s;
  if (int64_t r = socket_of(k, a[0], s); r < 0) return r;
  Msghdr m;
  if (!k.mm().copy_in(UserPtr(a[1]), &m, sizeof m)) return -kEFAULT;
  std::vector<Iovec> iov;
  if (int64_t r = read_iov(k, m.iov, m.iovlen, iov); r < 0) return r;
  uint64_t hdr = a[1];
  int flags = int(a[2]);
  return do_recv(k, s, std::move(iov), flags, [&k, s, m, hdr, flags](RecvInfo& info) -> int64_t {
    const std::string& from = info.from;
    Msghdr out = m;
    if (m.name) {
      size_t n = std::min<size_t>(m.namelen, from.size());
      if (n && !k.mm().copy_out(UserPtr(m.name), from.data(), n)) return -kEFAULT;
      out.namelen = uint32_t(from.size());
    }
    out.flags = info.truncated ? kMSG_TRUNC : 0;
    // scm_recv(): the sender's credentials first (SO_PASSCRED), then the files.
    uint64_t ctl = m.control, room = m.controllen, used = 0;
    if (s->family == kAF_UNIX && s->passes_creds()) {
      const Task& me = k.current();
      const Task* sender = k.task(info.creds.pid);
      int32_t ucred[3] = {int32_t(sender ? k.vpid(*me.pidns, info.creds.pid) : 0),
                          int32_t(me.creds.view(info.creds.uid)), int32_t(me.creds.view(info.creds.gid))};
      put_cmsg(k, ctl, room, kSCM_CREDENTIALS, ucred, sizeof ucred, used, out.flags);
    }
    deliver_files(k, info.files, ctl, room, flags, used, out.flags);
    out.controllen = used;
    return k.mm().copy_out(UserPtr(hdr), &out, sizeof out) ? 0 : -kEFAULT;
  });
}

// Socket options: the ones programs set are kept (and read back); those
// Ditto does not know are counted by name and ENOPROTOOPT.
}  // namespace

void register_socket_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_socket(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
