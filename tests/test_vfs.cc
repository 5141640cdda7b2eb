#include <catch2/catch.hpp>
#include <map>

#include "kernel/vfs.h"

namespace {
// Host files served from a map, counting lookups.
struct FakeIo : kernel::Io {
  std::map<std::string, kernel::HostFile> files;
  int lookups = 0;
  void emit(trace::Event&&) override {}
  kernel::HostFile host_file(const std::string& p, uint32_t, uint64_t) override {
    ++lookups;
    auto it = files.find(p);
    if (it == files.end()) {
      kernel::HostFile hf;
      hf.err = 2;
      return hf;
    }
    return it->second;
  }
  int64_t read_stdin(char*, size_t) override { return 0; }
  int64_t write_output(int, const char*, size_t n) override { return int64_t(n); }
  bool stop_requested() const override { return false; }
};
}  // namespace

TEST_CASE("path resolution follows Linux rules") {
  FakeIo io;
  kernel::Vfs vfs(io, [] { return int64_t(0); });
  auto tmp = vfs.resolve("/", "/tmp", true).node;
  REQUIRE(tmp);
  CHECK(tmp->is_dir());
  auto file = vfs.make_node(kernel::InodeKind::kRegular, 0644);
  tmp->children["f"] = file;
  auto link = vfs.make_node(kernel::InodeKind::kSymlink, 0777);
  link->target = "f";
  tmp->children["l"] = link;
  auto loop = vfs.make_node(kernel::InodeKind::kSymlink, 0777);
  loop->target = "loop";
  tmp->children["loop"] = loop;

  CHECK(vfs.resolve("/", "/tmp/f", true).node == file);
  CHECK(vfs.resolve("/tmp", "f", true).node == file);
  CHECK(vfs.resolve("/", "/tmp/./../tmp//f", true).node == file);
  CHECK(vfs.resolve("/", "/../../tmp/f", true).node == file);
  CHECK(vfs.resolve("/", "/tmp/l", true).node == file);
  CHECK(vfs.resolve("/", "/tmp/l", false).node == link);
  CHECK(vfs.resolve("/", "/tmp/f/x", true).err == kernel::abi::kENOTDIR);
  CHECK(vfs.resolve("/", "/tmp/f/", true).err == kernel::abi::kENOTDIR);
  CHECK(vfs.resolve("/", "/tmp/loop", true).err == kernel::abi::kELOOP);
  CHECK(vfs.resolve("/", "/nope/x", true).err == kernel::abi::kENOENT);
  auto missing = vfs.resolve("/", "/tmp/new", true);
  CHECK(missing.err == 0);
  CHECK_FALSE(missing.node);
  CHECK(missing.parent == tmp);
  CHECK(missing.name == "new");
  CHECK(vfs.resolve("/", "", true).err == kernel::abi::kENOENT);
  CHECK(vfs.resolve("/", "/" + std::string(300, 'a'), true).err == kernel::abi::kENAMETOOLONG);
  CHECK(vfs.resolve("/", std::string(5000, '/'), true).err == kernel::abi::kENAMETOOLONG);
  CHECK(vfs.path_of(tmp) == "/tmp");
}

TEST_CASE("host mounts are captured lazily, once") {
  FakeIo io;
  kernel::HostFile dir;
  dir.kind = kernel::HostFileKind::kDirectory;
  dir.mode = 0755;
  dir.entries = {"a.txt", "sub"};
  io.files["/host"] = dir;
  kernel::HostFile a;
  a.kind = kernel::HostFileKind::kRegular;
  a.mode = 0644;
  a.content = "AAA";
  io.files["/host/a.txt"] = a;
  kernel::Vfs vfs(io, [] { return int64_t(0); });
  vfs.add_mount("/host", "/mnt");
  CHECK(io.lookups == 0);
  auto l = vfs.resolve("/", "/mnt/a.txt", true);
  REQUIRE(l.node);
  CHECK(l.node->data == "AAA");
  CHECK(l.node->read_only);
  CHECK(io.lookups == 2);
  vfs.resolve("/", "/mnt/a.txt", true);
  CHECK(io.lookups == 2);
  // "sub" vanished on the host: it disappears from the guest's view too.
  CHECK(vfs.resolve("/", "/mnt/sub", true).node == nullptr);
}
