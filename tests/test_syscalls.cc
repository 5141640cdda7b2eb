// Syscall argument checking, handler by handler, against a real loaded guest
// (corpus/hello): bad pointers are EFAULT, bad descriptors EBADF, bad flags
// EINVAL, and nothing the arguments say can crash the host.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "kernel/kernel.h"
#include "kernel/syscalls.h"
#include "sim/simulator.h"
#include "trace/event.h"

using namespace kernel;
using namespace kernel::abi;

namespace {

struct QuietIo : Io {
  void emit(trace::Event&&) override {}
  HostFile host_file(const std::string& p, uint32_t, uint64_t) override { return sim::read_host_file(p); }
  HostFile host_contents(const std::string& p, uint32_t, uint64_t) override { return sim::read_host_contents(p); }
  int64_t read_stdin(char*, size_t) override { return 0; }
  int64_t write_output(int, const char*, size_t n) override { return int64_t(n); }
  bool stop_requested() const override { return false; }
};

struct Booted {
  QuietIo io;
  Config cfg;
  std::unique_ptr<Kernel> k;
  Booted() {
    cfg.program_path = std::string(CORPUS_DIR) + "/hello";
    cfg.execfn = cfg.program_path;
    cfg.argv = {cfg.program_path};
    k = std::make_unique<Kernel>(cfg, io);
    REQUIRE(k->start().status == 0);
  }
  int64_t call(uint32_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
               uint64_t a4 = 0, uint64_t a5 = 0) {
    uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    SyscallFn fn = syscall_handler(nr);
    REQUIRE(fn);
    return fn(*k, args);
  }
  uint64_t scratch() {  // a fresh read-write page
    return uint64_t(k->mm().mmap(0, 4096, kPROT_READ | kPROT_WRITE, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, ""));
  }
};

constexpr uint64_t kKernelHalf = 0xffff800000000000ULL;

}  // namespace

TEST_CASE("bad guest pointers give EFAULT") {
  Booted b;
  uint64_t page = b.scratch();
  uint64_t ro = uint64_t(b.k->mm().mmap(0, 4096, kPROT_READ, kMAP_PRIVATE | kMAP_ANONYMOUS, {}, ""));
  CHECK(b.call(1, 1, 0, 10) == -kEFAULT);                // write from NULL
  CHECK(b.call(1, 1, kKernelHalf, 10) == -kEFAULT);      // write from kernel space
  CHECK(b.call(228, kCLOCK_MONOTONIC, ro) == -kEFAULT);  // clock_gettime into read-only memory
  CHECK(b.call(228, kCLOCK_MONOTONIC, page) == 0);
  CHECK(b.call(63, 8) == -kEFAULT);                      // uname
  CHECK(b.call(2, 1, kO_RDONLY) == -kEFAULT);            // open with a bad path pointer
  CHECK(b.call(318, page + 4000, 200, 0) == -kEFAULT);   // getrandom across the end of a mapping
  CHECK(b.call(22, ro) == -kEFAULT);                     // pipe into read-only memory
  Iovec iov{0, 10};
  REQUIRE(b.k->mm().write(UserPtr(page), iov));
  CHECK(b.call(20, 1, page, 1) == -kEFAULT);             // writev from an iovec based at NULL
  CHECK(b.call(20, 1, ro + 4090, 1) == -kEFAULT);        // the iovec array itself unreadable
}

TEST_CASE("bad descriptors and flags give EBADF and EINVAL") {
  Booted b;
  uint64_t page = b.scratch();
  CHECK(b.call(0, 77, page, 1) == -kEBADF);
  CHECK(b.call(0, ~uint64_t(0), page, 1) == -kEBADF);
  CHECK(b.call(3, 1u << 31) == -kEBADF);
  CHECK(b.call(72, 500, kF_GETFD) == -kEBADF);
  CHECK(b.call(292, 1, 1, 0) == -kEINVAL);               // dup3 onto itself
  CHECK(b.call(293, page, 0x12345) == -kEINVAL);         // pipe2 flags
  CHECK(b.call(8, 1, 0, kSEEK_SET) == -kESPIPE);         // lseek on the stdout pipe
  CHECK(b.call(13, 10, 0, 0, 4) == -kEINVAL);            // rt_sigaction sigsetsize
  CHECK(b.call(318, page, 8, 0xff) == -kEINVAL);         // getrandom flags
  // mmap: the descriptor is looked up before the type is checked.
  CHECK(b.call(9, 0, 4096, kPROT_READ, kMAP_ANONYMOUS, ~uint64_t(0), 0) == -kEINVAL);  // no type
  CHECK(b.call(9, 0, 4096, kPROT_READ, 0, ~uint64_t(0), 0) == -kEBADF);
  CHECK(b.call(9, 0, 4096, kPROT_READ, kMAP_PRIVATE, 55, 0) == -kEBADF);
  CHECK(b.call(9, 0, 4096, kPROT_READ, kMAP_PRIVATE, 0, 0) == -kENODEV);  // a pipe cannot be mapped
  CHECK(b.call(9, 0, 4096, kPROT_READ, kMAP_PRIVATE, 1, 0) == -kEACCES);  // nor read from its write end
  CHECK(b.call(158, 0x9999, 0) == -kEINVAL);             // arch_prctl code
  CHECK(b.call(158, kARCH_SET_FS, kKernelHalf) == -kEPERM);
}

TEST_CASE("paths: ENOENT, ENAMETOOLONG, EROFS, ENOTDIR") {
  Booted b;
  uint64_t page = b.scratch();
  auto put = [&](const std::string& s) {
    REQUIRE(b.k->mm().copy_out(UserPtr(page), s.c_str(), s.size() + 1));
    return page;
  };
  CHECK(b.call(2, put(""), kO_RDONLY) == -kENOENT);
  CHECK(b.call(2, put("/nope/x"), kO_RDONLY) == -kENOENT);
  CHECK(b.call(2, put("/" + std::string(300, 'a')), kO_RDONLY) == -kENAMETOOLONG);
  CHECK(b.call(2, put(b.cfg.program_path), kO_RDWR) == -kEROFS);  // the program is read-only
  CHECK(b.call(83, put("/proc/x"), 0755) == -kEROFS);
  CHECK(b.call(83, put("/tmp/d"), 0755) == 0);
  CHECK(b.call(83, put("/tmp/d"), 0755) == -kEEXIST);
  CHECK(b.call(87, put("/tmp/d"), 0) == -kEISDIR);
  CHECK(b.call(84, put("/tmp/d/.."), 0) == -kENOTEMPTY);
  CHECK(b.call(84, put("/tmp/d"), 0) == 0);
  CHECK(b.call(80, put("/dev/null")) == -kENOTDIR);
  int64_t fd = b.call(2, put("/proc/self/exe"), kO_RDONLY);
  CHECK(fd >= 3);
  CHECK(b.call(217, uint64_t(fd), page, 4096) == -kENOTDIR);
}

TEST_CASE("fcntl and ioctl requests Ditto lacks are counted by name") {
  Booted b;
  uint64_t page = b.scratch();
  CHECK(b.call(72, 0, 8, 1) == -kENOSYS);                // F_SETOWN
  CHECK(b.call(72, 0, 1024, 0) == -kENOSYS);             // F_SETLEASE
  CHECK(b.call(72, 0, 0x7777) == -kEINVAL);              // no such command: not counted
  CHECK(b.call(16, 0, 0x5452, page) == 0);               // FIOASYNC of 0: nothing to do
  const auto& u = b.k->unsupported();
  CHECK(u.count("fcntl F_SETOWN") == 1);
  CHECK(u.count("fcntl F_SETLEASE") == 1);
  CHECK(u.size() == 2);
}

// kernel/syscall_table.inc is the only list: an entry that names a file has
// a handler (that file registered it), and `none` has none.
TEST_CASE("every syscall the table says is implemented has a handler, and no other") {
  std::vector<std::string> wrong;
#define DITTO_SYSCALL(nr, name, arity, where)                                           \
  if ((std::string(#where) != "none") != (kernel::syscall_handler(nr) != nullptr)) \
    wrong.push_back(#name);
#include "kernel/syscall_table.inc"
  std::string names;
  for (const std::string& w : wrong) names += w + " ";
  INFO("the table and the handlers disagree on: " << names);
  CHECK(wrong.empty());
  CHECK(kernel::syscall_arity(0) == 3);    // read(fd, buf, count)
  CHECK(kernel::syscall_arity(39) == 0);   // getpid()
  CHECK(std::string(trace::syscall_name(231)) == "exit_group");
}
