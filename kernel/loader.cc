// Loading an ELF program (and its dynamic linker, PT_INTERP) into a fresh
// address space, as fs/binfmt_elf.c:load_elf_binary() does, and building the
// initial stack the way its create_elf_tables() does.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernel/elf.h"
#include "kernel/kernel.h"
#include "kernel/permission.h"

namespace kernel {

using namespace abi;

namespace {

// Linux: MAX_ARG_STRLEN (32 pages) per string; all of argv+envp within a
// quarter of the stack limit.
constexpr uint64_t kMaxArgStrlen = 32 * 4096;
constexpr uint64_t kMaxArgTotal = MemoryManager::kStackSize / 4;

}  // namespace

const Kernel::FrozenSegment* Kernel::frozen_segment(uint64_t start, uint64_t size, uint32_t prot, uint64_t pad,
                                                    std::string_view data) {
  for (auto it = frozen_segments_.begin(); it != frozen_segments_.end(); ++it) {
    if (it->start != start || it->mem->size() != size || it->prot != prot || it->pad != pad ||
        it->data_size != data.size())
      continue;
    // The same bytes, compared: a file may have changed since.
    if (std::memcmp(it->mem->data() + pad, data.data(), data.size()) != 0) continue;
    std::rotate(it, it + 1, frozen_segments_.end());
    return &frozen_segments_.back();
  }
  auto mem = std::make_shared<SharedMemory>(size);
  if (!mem->data() || pad + data.size() > size) return nullptr;
  std::memcpy(mem->data() + pad, data.data(), data.size());
  FrozenSegment f{start, pad, data.size(), prot, mem, {}};
  if (prot & kPROT_EXEC) f.rdtsc_offsets = cpu::Engine::find_timestamp_insns(mem->data(), size);
  if (frozen_segments_.size() >= kMaxFrozenSegments) frozen_segments_.erase(frozen_segments_.begin());
  frozen_segments_.push_back(std::move(f));
  return &frozen_segments_.back();
}

int Kernel::open_interpreter(const std::string& cwd, const std::string& path, Interpreter& out) {
  Lookup l = vfs_->resolve(cwd, path, true);
  if (l.err) return l.err;
  if (!l.node) return kENOENT;
  // open_exec(): a regular file the caller may execute.
  if (l.node->kind != InodeKind::kRegular) return kEACCES;
  if (current_ && inode_permission(current_->creds, *l.node, kMayExec) < 0) return kEACCES;
  if (!current_ && !(l.node->perm & 0111)) return kEACCES;  // the first program: Ditto's own start
  if (int e = vfs_->load_contents(l.node)) return e;
  // An interpreter that is not an ELF file for this machine: ELIBBAD.
  if (!parse_elf(l.node->bytes(), out.image).empty()) return kELIBBAD;
  out.node = l.node;
  out.path = l.path;
  return 0;
}

bool Kernel::map_elf(Task& t, const ElfImage& img, std::string_view content, uint64_t bias, const std::string& name,
                     const InodeRef& file) {
  MemoryManager& mm = *t.mm;
  for (const ElfSegment& s : img.loads) {
    uint64_t start = page_down(s.vaddr + bias);
    uint64_t end = page_up(s.vaddr + s.memsz + bias);
    if (end == start) continue;
    uint64_t head = (s.vaddr + bias) - start;  // bytes of the page before the segment
    uint32_t prot = 0;
    if (s.flags & 4) prot |= kPROT_READ;
    if (s.flags & 2) prot |= kPROT_WRITE;
    if (s.flags & 1) prot |= kPROT_EXEC;
    // The segment's pages: `pad` zero bytes, the file's bytes, zeros.
    uint64_t pad = s.offset >= head ? 0 : head - s.offset;
    std::string_view data = s.offset >= head ? content.substr(s.offset - head, head + s.filesz)
                                             : content.substr(0, s.offset + s.filesz);
    int64_t r = -kENOMEM;
    if (!(prot & kPROT_WRITE)) {
      if (const FrozenSegment* f = frozen_segment(start, end - start, prot, pad, data))
        r = mm.mmap_frozen(start, prot, f->mem, f->rdtsc_offsets, name);
    } else {
      std::string bytes = std::string(pad, '\0') + std::string(data);
      r = mm.mmap(start, end - start, prot, kMAP_PRIVATE | kMAP_FIXED, bytes, name, file,
                  s.offset >= head ? s.offset - head : 0);
    }
    if (r < 0) return false;
  }
  return true;
}

LoadError Kernel::load_program(Task& t, const std::string& content, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, const std::string& execfn_str,
                               const Interpreter* interp) {
  ElfImage img;
  std::string why = parse_elf(content, img);
  if (!why.empty()) return {126, why};
  MemoryManager& mm = *t.mm;

  uint64_t lo = page_down(img.loads.front().vaddr);
  uint64_t hi = 0;
  for (const ElfSegment& s : img.loads) hi = std::max(hi, page_up(s.vaddr + s.memsz));
  uint64_t bias = 0;
  if (img.pie && interp) {
    // A PIE with a dynamic linker goes at ELF_ET_DYN_BASE (2/3 of the
    // address space, without ASLR), the linker where mmap would put it.
    bias = MemoryManager::kStaticPieBrk - lo;
  } else if (img.pie) {
    // Static PIE: no interpreter, so Linux maps it where mmap would (load_bias
    // 0, then the first mapping lands top-down under mmap_base).
    uint64_t at = mm.free_area(hi - lo);
    if (at == 0) return {126, "no room in the address space for the program"};
    bias = at - lo;
  }
  mm.load_bias = bias;
  if (!map_elf(t, img, content, bias, t.exe, nullptr)) return {126, "cannot map the program's ELF segments"};
  mm.set_brk_start(img.pie && !interp ? MemoryManager::kStaticPieBrk : hi + bias);
  // binfmt_elf: start_data is the last segment's address, end_data the end
  // of the file bytes furthest up.
  uint64_t start_data = 0, end_data = 0;
  for (const ElfSegment& s : img.loads) start_data = std::max(start_data, s.vaddr), end_data = std::max(end_data, s.vaddr + s.filesz);
  mm.set_data_segment(end_data - start_data);
  uint64_t interp_bias = 0;
  if (interp) {
    const ElfImage& li = interp->image;
    uint64_t ilo = page_down(li.loads.front().vaddr), ihi = 0;
    for (const ElfSegment& s : li.loads) ihi = std::max(ihi, page_up(s.vaddr + s.memsz));
    if (li.pie) {
      uint64_t at = mm.free_area(ihi - ilo);
      if (at == 0) return {126, "no room in the address space for the dynamic linker"};
      interp_bias = at - ilo;
    }
    if (!map_elf(t, li, interp->node->bytes(), interp_bias, interp->path, interp->node))
      return {126, "cannot map the dynamic linker " + interp->path};
  }
  uint64_t start_rip = interp ? interp->image.entry + interp_bias : img.entry + bias;

  // ---- strings, from the top ----
  uint64_t total = 0;
  for (const auto* v : {&argv, &envp})
    for (const std::string& s : *v) {
      if (s.size() + 1 > kMaxArgStrlen) return {126, "an argument or environment string is too long (E2BIG)"};
      total += s.size() + 1 + 8;
    }
  if (total > kMaxArgTotal) return {126, "argument list too long (E2BIG)"};

  // Like Linux's setup_arg_pages(): the strings and tables plus 128 KiB; the
  // rest of RLIMIT_STACK is mapped on demand (MemoryManager::grow_stack()).
  uint64_t initial_stack = page_up(total + 64 * 1024) + 128 * 1024;
  int64_t stack = mm.mmap(MemoryManager::kStackTop - initial_stack, initial_stack,
                          kPROT_READ | kPROT_WRITE | (img.exec_stack ? uint32_t(kPROT_EXEC) : 0u),
                          kMAP_PRIVATE | kMAP_ANONYMOUS | kMAP_FIXED | kMAP_GROWSDOWN, {}, "[stack]");
  if (stack < 0) return {126, "cannot map the stack"};

  uint64_t sp = MemoryManager::kStackTop - 8;  // an 8-byte end marker, as Linux leaves
  auto push_bytes = [&](const void* p, size_t n) {
    sp -= n;
    mm.poke(sp, p, n);
    return sp;
  };
  auto push_string = [&](const std::string& s) { return push_bytes(s.c_str(), s.size() + 1); };
  uint64_t execfn = push_string(execfn_str);
  std::vector<uint64_t> env_ptrs, argv_ptrs;
  for (auto it = envp.rbegin(); it != envp.rend(); ++it) env_ptrs.insert(env_ptrs.begin(), push_string(*it));
  for (auto it = argv.rbegin(); it != argv.rend(); ++it) argv_ptrs.insert(argv_ptrs.begin(), push_string(*it));
  uint64_t platform = push_string("x86_64");
  char random[16];
  random_bytes(random, sizeof random);  // AT_RANDOM: stack protector and pointer guard
  sp &= ~uint64_t(15);
  uint64_t at_random = push_bytes(random, sizeof random);

  const auto& leaf1 = cpu::cpuid_table()[1];
  const Credentials& c = t.creds;
  std::vector<std::pair<uint64_t, uint64_t>> auxv = {
      {kAT_HWCAP, leaf1.edx},
      {kAT_PAGESZ, cpu::kPageSize},
      {kAT_CLKTCK, 100},
      {kAT_PHDR, img.phdr_vaddr + bias},
      {kAT_PHENT, img.phentsize},
      {kAT_PHNUM, img.phnum},
      {kAT_BASE, interp_bias},
      {kAT_FLAGS, 0},
      {kAT_ENTRY, img.entry + bias},
      {kAT_UID, c.view(c.uid)},
      {kAT_EUID, c.view(c.euid)},
      {kAT_GID, c.view(c.gid)},
      {kAT_EGID, c.view(c.egid)},
      // A set-id program: the dynamic linker and libc distrust the environment.
      {kAT_SECURE, c.euid != c.uid || c.egid != c.gid},
      {kAT_RANDOM, at_random},
      {kAT_HWCAP2, 0},
      {kAT_EXECFN, execfn},
      {kAT_PLATFORM, platform},
      {kAT_NULL, 0},
  };
  std::vector<uint64_t> words;
  words.push_back(argv.size());
  for (uint64_t p : argv_ptrs) words.push_back(p);
  words.push_back(0);
  for (uint64_t p : env_ptrs) words.push_back(p);
  words.push_back(0);
  for (auto [k, v] : auxv) {
    words.push_back(k);
    words.push_back(v);
  }
  sp -= words.size() * 8;
  sp &= ~uint64_t(15);  // the ABI wants %rsp 16-byte aligned at _start
  mm.poke(sp, words.data(), words.size() * 8);

  cpu::Regs regs;
  regs[cpu::Reg::rsp] = sp;
  regs[cpu::Reg::rip] = start_rip;
  regs[cpu::Reg::rflags] = 0x202;
  mm.engine().reset_cpu();  // the engine may have run another program
  mm.engine().set_regs(regs);
  t.resume_rip = start_rip;
  return {};
}

}  // namespace kernel
