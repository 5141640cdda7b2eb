// A synthesized /proc, rebuilt from the kernel's state whenever a guest
// walks into it: /proc/self, /proc/PID/{exe,cmdline,comm,stat,status,maps,
// fd/,task/}, /proc/meminfo, /proc/cpuinfo (the CPUID table's CPU),
// /proc/uptime, /proc/sys/kernel/pid_max. Every value is deterministic.
#include <cinttypes>
#include <cstdio>

#include "kernel/kernel.h"

namespace kernel {

using namespace abi;

namespace {

std::string hex16(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%016" PRIx64, v);
  return b;
}

char state_letter(const Task& t) {
  if (t.run_state == RunState::kExited) return t.exit_state == ExitState::kDead ? 'X' : 'Z';
  return t.run_state == RunState::kBlocked ? 'S' : 'R';
}

const char* state_name(char c) {
  switch (c) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'Z': return "Z (zombie)";
    default: return "X (dead)";
  }
}

std::string cpuinfo(int cpus) {
  const auto& leaf1 = cpu::cpuid_table()[1];
  static const char* edx_names[32] = {"fpu", nullptr, "de", "pse", "tsc", "msr", "pae", nullptr,
                                      "cx8", nullptr, nullptr, "sep", nullptr, "pge", nullptr, "cmov",
                                      "pat", nullptr, nullptr, "clflush", nullptr, nullptr, nullptr, "mmx",
                                      "fxsr", "sse", "sse2"};
  std::string flags;
  for (int i = 0; i < 32; ++i)
    if ((leaf1.edx >> i & 1) && edx_names[i]) flags += std::string(flags.empty() ? "" : " ") + edx_names[i];
  flags += " syscall nx lm";
  const std::pair<int, const char*> ecx_names[] = {{0, "pni"}, {9, "ssse3"}, {13, "cx16"}, {19, "sse4_1"},
                                                   {20, "sse4_2"}, {23, "popcnt"}};
  for (auto [bit, name] : ecx_names)
    if (leaf1.ecx >> bit & 1) flags += std::string(" ") + name;
  flags += " lahf_lm";
  std::string out;
  for (int c = 0; c < cpus; ++c) {
    char head[640];
    std::snprintf(head, sizeof head,
                  "processor\t: %d\nvendor_id\t: GenuineIntel\ncpu family\t: %u\nmodel\t\t: %u\n"
                  "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: 1000.000\ncache size\t: 8192 KB\n"
                  "physical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\n"
                  "initial apicid\t: %d\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 11\nwp\t\t: yes\n",
                  c, (leaf1.eax >> 8) & 0xf, ((leaf1.eax >> 4) & 0xf) | (((leaf1.eax >> 16) & 0xf) << 4),
                  cpu::cpu_model_name().c_str(), leaf1.eax & 0xf, cpus, c, cpus, c, c);
    out += std::string(head) + "flags\t\t: " + flags +
           "\nbogomips\t: 2000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
           "address sizes\t: 48 bits physical, 48 bits virtual\npower management:\n\n";
  }
  return out;
}

// /proc/meminfo of the guest machine (--memory): what the processes and
// tmpfs hold is used, the rest free; no swap, no page cache.
std::string meminfo(const MemoryBudget& m, const FileSpace& tmpfs) {
  char buf[512];
  uint64_t total = m.limit >> 10, free = m.room() >> 10;
  std::snprintf(buf, sizeof buf,
                "MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64 " kB\nMemAvailable:   %8" PRIu64 " kB\n"
                "Buffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
                "SwapTotal:             0 kB\nSwapFree:              0 kB\nShmem:          %8" PRIu64 " kB\n"
                "CommitLimit:    %8" PRIu64 " kB\nCommitted_AS:   %8" PRIu64 " kB\n",
                total, free, free, tmpfs.used >> 10, total, (m.used - std::min(m.used, tmpfs.used)) >> 10);
  return buf;
}

// /proc/stat: the run's CPU time (ticks as 1 ns, in USER_HZ 100 units) as
// all user time of cpu0; the other CPUs idle alike.
std::string stat_file(int cpus, uint64_t busy_ns, uint64_t up_ns, uint64_t forks, int running, int blocked) {
  uint64_t user = busy_ns / 10000000, up = up_ns / 10000000;
  std::string s;
  char line[160];
  std::snprintf(line, sizeof line, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\n", static_cast<unsigned long long>(user),
                static_cast<unsigned long long>(up * uint64_t(cpus) > user ? up * uint64_t(cpus) - user : 0));
  s += line;
  for (int c = 0; c < cpus; ++c) {
    uint64_t u = c == 0 ? user : 0;
    std::snprintf(line, sizeof line, "cpu%d %llu 0 0 %llu 0 0 0 0 0 0\n", c, static_cast<unsigned long long>(u),
                  static_cast<unsigned long long>(up > u ? up - u : 0));
    s += line;
  }
  std::snprintf(line, sizeof line,
                "intr 0\nctxt 0\nbtime %lld\nprocesses %llu\nprocs_running %d\nprocs_blocked %d\nsoftirq 0\n",
                static_cast<long long>(kernel::Kernel::kBootRealtimeSec), static_cast<unsigned long long>(forks),
                running, blocked);
  return s + line;
}

}  // namespace

void Kernel::build_proc(const InodeRef& proc) {
  proc->children.clear();
  auto add = [&](const InodeRef& dir, const std::string& name, InodeRef n) {
    n->read_only = true;
    n->parent = dir;
    dir->children[name] = n;
    return n;
  };
  auto file = [&](const InodeRef& dir, const std::string& name, std::string data) {
    auto n = vfs_->make_node(InodeKind::kRegular, 0444);
    n->data = std::move(data);
    return add(dir, name, n);
  };
  auto link = [&](const InodeRef& dir, const std::string& name, const std::string& target) {
    auto n = vfs_->make_node(InodeKind::kSymlink, 0777);
    n->target = target;
    return add(dir, name, n);
  };
  auto dir = [&](const InodeRef& parent, const std::string& name) {
    auto n = vfs_->make_node(InodeKind::kDirectory, 0555);
    n->proc_path = (parent == proc ? "" : parent->proc_path + "/") + name;
    return add(parent, name, n);
  };

  Task* self = current_ ? current_ : task(init_tid_);
  uint32_t self_pid = self ? self->tgid : 0;
  link(proc, "self", std::to_string(self_pid));
  if (self) link(proc, "thread-self", std::to_string(self_pid) + "/task/" + std::to_string(self->tid));
  int64_t up = monotonic_ns();
  char buf[256];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%02" PRId64 " %" PRId64 ".%02" PRId64 "\n", up / 1000000000,
                up / 10000000 % 100, up / 1000000000, up / 10000000 % 100);
  file(proc, "uptime", buf);
  file(proc, "meminfo", meminfo(*memory_, *tmpfs_));
  file(proc, "cpuinfo", cpuinfo(cfg_.cpus));
  {
    int running = 0, blocked = 0;
    for (auto& [tid, t] : tasks_) {
      if (t->run_state == RunState::kRunnable) ++running;
      if (t->run_state == RunState::kBlocked) ++blocked;
    }
    file(proc, "stat", stat_file(cfg_.cpus, ticks() * cfg_.ns_per_tick, uint64_t(monotonic_ns()), next_tid_ - kFirstPid,
                                 running, blocked));
  }
  auto kdir = dir(dir(proc, "sys"), "kernel");
  file(kdir, "pid_max", "4194304\n");
  file(kdir, "ostype", "Linux\n");
  file(kdir, "osrelease", "6.1.0-ditto\n");
  file(kdir, "hostname", "ditto\n");

  for (auto& [tid, tp] : tasks_) {
    Task& t = *tp;
    if (t.tid != t.tgid || t.exit_state == ExitState::kDead) continue;
    auto pdir = dir(proc, std::to_string(t.tgid));
    int threads = live_threads(t.tgid);
    auto stat_of = [&](const Task& x) {
      char s[512];
      uint64_t vsize = x.mm ? x.mm->mapped_bytes() : 0;
      std::snprintf(s, sizeof s,
                    "%u (%s) %c %u %u %u 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 %d 0 0 %" PRIu64
                    " %" PRIu64 " 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 %d\n",
                    x.tid, x.comm.c_str(), state_letter(x), x.ppid, x.pgid, x.sid, threads, vsize,
                    vsize / 4096, x.run_state == RunState::kExited ? x.exit_code : 0);
      return std::string(s);
    };
    auto status_of = [&](const Task& x) {
      uint64_t ignored = 0, caught = 0;
      for (int sig = 1; sig <= kNSIG; ++sig) {
        uint64_t h = x.sighand->actions[size_t(sig)].handler;
        if (h == kSIG_IGN) ignored |= 1ULL << (sig - 1);
        else if (h != kSIG_DFL) caught |= 1ULL << (sig - 1);
      }
      char st = state_letter(x);
      // Ids as the reader's user namespace shows them; capability sets
      // follow Credentials' model.
      const Credentials& me = current_ ? current_->creds : x.creds;
      const Credentials& c = x.creds;
      auto ids = [&](uint32_t a, uint32_t b, uint32_t d, uint32_t e) {
        return std::to_string(me.view(a)) + "\t" + std::to_string(me.view(b)) + "\t" + std::to_string(me.view(d)) +
               "\t" + std::to_string(me.view(e));
      };
      bool permitted = c.userns ? c.userns_caps : (c.uid == 0 || c.euid == 0 || c.suid == 0);
      std::string s = "Name:\t" + x.comm + "\nUmask:\t0022\nState:\t" + state_name(st) +
                      "\nTgid:\t" + std::to_string(x.tgid) + "\nNgid:\t0\nPid:\t" + std::to_string(x.tid) +
                      "\nPPid:\t" + std::to_string(x.ppid) +
                      "\nTracerPid:\t0\nUid:\t" + ids(c.uid, c.euid, c.suid, c.fsuid) +
                      "\nGid:\t" + ids(c.gid, c.egid, c.sgid, c.fsgid) +
                      "\nFDSize:\t64\nGroups:\t\n" +
                      "VmSize:\t" + std::to_string((x.mm ? x.mm->mapped_bytes() : 0) / 1024) + " kB\n" +
                      "Threads:\t" + std::to_string(threads) + "\nSigQ:\t0/4096\nSigPnd:\t" +
                      hex16(x.sigpending) + "\nShdPnd:\t0000000000000000\nSigBlk:\t" + hex16(x.sigmask) +
                      "\nSigIgn:\t" + hex16(ignored) + "\nSigCgt:\t" + hex16(caught) +
                      "\nCapInh:\t0000000000000000\nCapPrm:\t" + (permitted ? "000001ffffffffff" : "0000000000000000") +
                      "\nCapEff:\t" + (c.capable() ? "000001ffffffffff" : "0000000000000000") + "\n"
                      "NoNewPrivs:\t" + std::to_string(x.no_new_privs ? 1 : 0) +
                      "\nSeccomp:\t0\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n";
      return s;
    };
    if (t.run_state != RunState::kExited) link(pdir, "exe", t.exe);
    file(pdir, "cmdline", t.run_state == RunState::kExited ? "" : t.cmdline);
    file(pdir, "comm", t.comm + "\n");
    file(pdir, "stat", stat_of(t));
    file(pdir, "status", status_of(t));
    // The initial user namespace maps every id to itself; a child one maps
    // nothing until its maps are written (not modelled yet).
    std::string idmap = t.creds.userns ? "" : "         0          0 4294967295\n";
    file(pdir, "uid_map", idmap);
    file(pdir, "gid_map", idmap);
    std::string maps;
    if (t.mm && t.run_state != RunState::kExited) {
      for (const auto& [start, v] : t.mm->vmas()) {
        char line[160];
        int n = std::snprintf(line, sizeof line, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c 00000000 00:00 0", v.start,
                              v.end, (v.prot & kPROT_READ) ? 'r' : '-', (v.prot & kPROT_WRITE) ? 'w' : '-',
                              (v.prot & kPROT_EXEC) ? 'x' : '-', v.map_shared() ? 's' : 'p');
        std::string l(line, size_t(n));
        if (!v.name.empty()) l += std::string(l.size() < 73 ? 73 - l.size() : 1, ' ') + v.name;
        maps += l + "\n";
      }
    }
    file(pdir, "maps", maps);
    auto fddir = dir(pdir, "fd");
    if (t.fds)
      for (size_t fd = 0; fd < t.fds->entries().size(); ++fd)
        if (const auto& f = t.fds->entries()[fd].file) link(fddir, std::to_string(fd), f->path);
    auto taskdir = dir(pdir, "task");
    for (auto& [otid, o] : tasks_) {
      if (o->tgid != t.tgid || (o->run_state == RunState::kExited && o.get() != &t)) continue;
      auto td = dir(taskdir, std::to_string(otid));
      file(td, "stat", stat_of(*o));
      file(td, "status", status_of(*o));
      file(td, "comm", o->comm + "\n");
    }
  }
}

}  // namespace kernel
