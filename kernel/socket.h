// Sockets inside the simulation (net/socket.c, net/unix/af_unix.c, a
// loopback-only net/ipv4): AF_UNIX and AF_INET/AF_INET6 stream and datagram
// sockets between guest processes. Nothing reaches the host's network: a
// connection to anything but loopback is unreachable.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/fd.h"

namespace kernel {

class Socket;

// Open files in flight (SCM_RIGHTS): they travel with the bytes of one send.
using PassedFiles = std::vector<std::shared_ptr<File>>;

// Who sent bytes (SCM_CREDENTIALS): a global pid and kernel ids; the
// sender's own, or what it named in an SCM_CREDENTIALS message.
struct SenderCreds {
  uint32_t pid = 0, uid = 0, gid = 0;
  bool operator==(const SenderCreds&) const = default;
};

// What one send put in a stream: bytes [at, at + len) (one skb in Linux),
// who sent them, and the files that came with them.
struct StreamAttachment {
  uint64_t at, len;
  SenderCreds creds;
  PassedFiles files;
  uint64_t charge = 0;  // a seqpacket message's share of the send buffer
};

// What a receive learns besides the bytes.
struct RecvInfo {
  std::string from;     // the sender's address (sockaddr bytes), "" unnamed
  PassedFiles files;    // files that came with the bytes
  SenderCreds creds;    // who sent them
  bool truncated = false;  // a datagram longer than the buffer (MSG_TRUNC in msg_flags)
};

// One direction of a stream connection.
struct StreamPipe {
  std::string data;
  uint64_t taken = 0;  // bytes read from the stream so far: where data[0] sits in it
  std::deque<StreamAttachment> attachments;  // one per send, in stream order
  bool closed = false;  // the writer shut down writing or went away
  uint64_t wakes = 0;
  uint64_t charged = 0;  // seqpacket: the send buffer its queued messages take
};

// A connected pair of stream sockets: dir[s] carries what side s writes.
struct Connection {
  StreamPipe dir[2];
  bool open[2] = {true, true};  // the side's socket still exists
  uint32_t pid[2] = {0, 0}, uid[2] = {0, 0}, gid[2] = {0, 0};  // SO_PEERCRED of each side
};

struct Datagram {
  std::string data;
  std::string from;  // the sender's address (sockaddr bytes), "" unnamed
  SenderCreds creds;
  PassedFiles files;
  std::shared_ptr<uint64_t> charged_to;  // an AF_UNIX sender's send buffer, given back when read
  uint64_t charge = 0;
};

// The loopback's names: bound ports, abstract and path AF_UNIX names.
class Network {
 public:
  std::map<std::pair<int, uint16_t>, std::weak_ptr<Socket>> ports;  // (type, port)
  std::map<std::string, std::weak_ptr<Socket>> unix_names;  // "@abstract" or the inode's "#ino"
  uint16_t next_port = 32768;  // ephemeral ports, handed out in order (ip_local_port_range)
  // A free ephemeral port for `type`, or 0.
  uint16_t ephemeral(int type);
};

class Socket : public File, public std::enable_shared_from_this<Socket> {
 public:
  Socket(InodeRef inode, int family, int type, int protocol, uint32_t flags)
      : File(std::move(inode), flags), family(family), type(type), protocol(protocol) {}
  ~Socket() override;
  int64_t read(Kernel& k, char* buf, size_t n) override { return recv(k, buf, n, 0, nullptr); }
  int64_t write(Kernel& k, const char* buf, size_t n) override { return send(k, buf, n, 0, nullptr); }
  int64_t pread(Kernel&, char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t pwrite(Kernel&, const char*, size_t, uint64_t) override { return -abi::kESPIPE; }
  int64_t seek(int64_t, int) override { return -abi::kESPIPE; }
  int64_t readable_bytes() const override;
  bool counts_readable_bytes() const override { return true; }
  bool pollable() const override { return true; }
  uint32_t poll_events(Kernel& k) const override;
  uint64_t wake_count(const Kernel&) const override;

  // One receive or send: bytes, 0 at end of stream, -errno, or kWouldBlock.
  // `info` learns the sender and the files that came with the bytes (a
  // receive that takes files ends with the send that carried them, as
  // unix_stream_read_generic() does; with no `info` they are dropped,
  // closed). `to` names the destination of an unconnected datagram socket;
  // `files` go with the bytes sent.
  int64_t recv(Kernel& k, char* buf, size_t n, int flags, RecvInfo* info);
  int64_t send(Kernel& k, const char* buf, size_t n, int flags, const std::string* to,
               const PassedFiles* files = nullptr, const SenderCreds* creds = nullptr);
  // SO_PASSCRED: receives say who sent, and a stream read never joins the
  // bytes of two senders.
  bool passes_creds() const;
  // The send and receive buffer sizes (SO_SNDBUF, SO_RCVBUF).
  uint64_t send_buffer() const;
  uint64_t receive_buffer() const;

  // An unbound TCP or UDP socket takes an ephemeral loopback port (its
  // first connect or send), an AF_UNIX one with SO_PASSCRED an abstract
  // name (unix_dgram_sendmsg(), unix_stream_connect()).
  void autobind();
  // bind() with only the family: an abstract name of Ditto's choosing.
  void unix_autobind();

  // SO_RCVTIMEO and SO_SNDTIMEO in jiffies (-1: wait forever).
  static constexpr int64_t kHz = 250;
  int64_t timeout_jiffies[2] = {-1, -1};
  int64_t block_timeout_ns(bool write) const override {
    int64_t j = timeout_jiffies[write];
    return j < 0 ? -1 : j * (1000000000 / kHz);
  }

  const int family, type, protocol;
  enum class State { kFree, kListening, kConnected } state = State::kFree;
  std::string local;   // bound address (sockaddr bytes), "" when unbound
  std::string peer;    // the connected peer's address
  std::shared_ptr<Connection> conn;  // streams
  std::weak_ptr<Socket> conn_peer;   // the connection's other socket
  int side = 0;
  bool shut_rd = false, shut_wr = false;
  std::deque<std::shared_ptr<Socket>> backlog;  // listeners: connections to accept
  int backlog_max = 0;
  uint32_t listen_pid = 0, listen_uid = 0, listen_gid = 0;  // who called listen() (SO_PEERCRED)
  std::deque<Datagram> inbox;                   // datagram sockets
  size_t inbox_bytes = 0;
  std::weak_ptr<Socket> dgram_peer;             // a connected datagram socket's peer
  uint64_t dgram_wakes = 0;
  std::shared_ptr<uint64_t> dgram_charged;      // AF_UNIX: its send buffer that datagrams in flight take
  int pending_error = 0;                        // SO_ERROR
  std::map<std::pair<int, int>, std::string> options;  // set by setsockopt
  std::shared_ptr<Network> net;
  std::string name_key;  // its entry in net->unix_names or "" (released when it goes)
  uint16_t port = 0;     // its entry in net->ports, or 0

 private:
  uint64_t buffer_size(int name, uint64_t default_size) const;
};

}  // namespace kernel
