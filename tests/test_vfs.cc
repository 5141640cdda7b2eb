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
    kernel::HostFile hf = it->second;
    hf.size = hf.content.size();
    hf.content.clear();
    return hf;
  }
  kernel::HostFile host_contents(const std::string& p, uint32_t, uint64_t) override {
    ++content_reads;
    kernel::HostFile hf;
    auto it = files.find(p);
    if (it == files.end()) hf.err = 2;
    else hf.content = it->second.content;
    return hf;
  }
  int content_reads = 0;
  int64_t read_stdin(char*, size_t) override { return 0; }
  int64_t write_output(int, const char*, size_t n) override { return int64_t(n); }
  bool stop_requested() const override { return false; }
};
std::shared_ptr<kernel::FileSpace> space(uint64_t limit = 1 << 20) {
  return std::make_shared<kernel::FileSpace>(std::make_shared<kernel::MemoryBudget>(limit * 2), limit);
}
}  // namespace

TEST_CASE("path resolution follows Linux rules") {
  FakeIo io;
  kernel::Vfs vfs(io, [] { return int64_t(0); }, space());
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
  kernel::Vfs vfs(io, [] { return int64_t(0); }, space());
  vfs.add_mount("/host", "/mnt");
  CHECK(io.lookups == 0);
  auto l = vfs.resolve("/", "/mnt/a.txt", true);
  REQUIRE(l.node);
  // Metadata first; the bytes only when wanted, once.
  CHECK(l.node->size() == 3);
  CHECK(l.node->data.empty());
  CHECK(io.content_reads == 0);
  CHECK(vfs.load_contents(l.node) == 0);
  CHECK(l.node->data == "AAA");
  CHECK(vfs.load_contents(l.node) == 0);
  CHECK(io.content_reads == 1);
  CHECK(l.node->read_only);
  CHECK(io.lookups == 2);
  vfs.resolve("/", "/mnt/a.txt", true);
  CHECK(io.lookups == 2);
  // "sub" vanished on the host: it disappears from the guest's view too.
  CHECK(vfs.resolve("/", "/mnt/sub", true).node == nullptr);
}

TEST_CASE("tmpfs files are charged by the page and fill up with ENOSPC") {
  FakeIo io;
  auto fs = space(3 * 4096);
  kernel::Vfs vfs(io, [] { return int64_t(0); }, fs);
  auto a = vfs.make_node(kernel::InodeKind::kRegular, 0644);
  std::string block(4096, 'x');
  CHECK(a->write_at(0, block.data(), 1) == 1);
  CHECK(fs->used == 4096);
  CHECK(a->write_at(1, block.data(), 4095) == 4095);
  CHECK(fs->used == 4096);
  // Two pages left: a write of three gets two of them, then ENOSPC.
  std::string big(3 * 4096, 'y');
  CHECK(a->write_at(4096, big.data(), big.size()) == 2 * 4096);
  CHECK(a->bytes().size() == 3 * 4096);
  CHECK(a->write_at(3 * 4096, big.data(), 1) == -kernel::abi::kENOSPC);
  // A sparse extension is charged too; shrinking gives the space back.
  CHECK(a->truncate(8 * 4096) == -kernel::abi::kENOSPC);
  CHECK(a->truncate(4096) == 0);
  CHECK(fs->used == 4096);
  CHECK(fs->memory->used == 4096);
  a.reset();
  CHECK(fs->used == 0);
  CHECK(fs->memory->used == 0);
}
