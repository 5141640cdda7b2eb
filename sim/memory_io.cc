#include "sim/memory_io.h"

#include <cstring>
#include <utility>

#include "sim/simulator.h"

namespace sim {

void MemoryIo::emit(trace::Event&& e) {
  e.seq = events.size();
  events.push_back(std::move(e));
}

void MemoryIo::input_touched() {
  if (at_first_input) std::exchange(at_first_input, nullptr)();
}

void MemoryIo::set_input(std::string bytes) {
  if (input_path == "-") {
    stdin_ = std::move(bytes);
    stdin_pos_ = 0;
  } else {
    input_ = std::move(bytes);
  }
}

namespace {
// The input file as the guest sees it: a regular file of the input's size,
// owned by root, readable by all, with no time of its own (the same for
// every input but for its size).
kernel::HostFile input_file(const std::string& bytes) {
  kernel::HostFile hf;
  hf.kind = kernel::HostFileKind::kRegular;
  hf.mode = 0644;
  hf.size = bytes.size();
  hf.content = bytes;
  return hf;
}
}  // namespace

kernel::HostFile MemoryIo::host_file(const std::string& path, uint32_t tid, uint64_t tick) {
  std::optional<kernel::HostFile> recorded =
      input_ && path == input_path ? input_file(*input_) : files ? files(path) : std::nullopt;
  kernel::HostFile hf = recorded ? *recorded : read_host_file(path);
  hf.content.clear();
  emit(host_file_event(path, tid, tick, hf));
  return hf;
}

kernel::HostFile MemoryIo::host_contents(const std::string& path, uint32_t tid, uint64_t tick) {
  std::optional<kernel::HostFile> recorded =
      input_ && path == input_path ? input_file(*input_) : files ? files(path) : std::nullopt;
  kernel::HostFile hf;
  if (recorded) {
    hf.kind = kernel::HostFileKind::kRegular;
    hf.err = recorded->err ? recorded->err : recorded->read_err;
    hf.content = std::move(recorded->content);
    hf.size = hf.content.size();
  } else {
    hf = read_host_contents(path);
  }
  trace::Event ev = host_contents_event(path, tid, tick, hf, true);
  if (!ev.blob.empty()) blobs.emplace(ev.blob, hf.content);
  emit(std::move(ev));
  return hf;
}

int64_t MemoryIo::read_stdin(char* buf, size_t n) {
  size_t take = std::min(n, stdin_.size() - stdin_pos_);
  std::memcpy(buf, stdin_.data() + stdin_pos_, take);
  stdin_pos_ += take;
  return int64_t(take);
}

int64_t MemoryIo::write_output(int fd, const char* buf, size_t n) {
  (fd == 2 ? err : out).append(buf, n);
  return int64_t(n);
}

}  // namespace sim
