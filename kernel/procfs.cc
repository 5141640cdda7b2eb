// A synthesized /proc, made from the kernel's state as a guest walks into
// it: /proc/self, /proc/PID/{exe,cmdline,comm,stat,status,maps,
// fd/,task/}, /proc/meminfo, /proc/cpuinfo (the CPUID table's CPU),
// /proc/uptime, /proc/sys/kernel/pid_max. Every value is deterministic.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <vector>

#include "kernel/capability.h"
#include "kernel/fsnotify.h"
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

// One /proc directory at a time, when a walk passes through it (only the
// entry it looks up: opening /proc/self/status costs the same with 1 task
// or 1000) or a getdents lists it (all of them). Directories already made
// are kept, so an open /proc/PID stays the same directory while its process
// lives; files are made afresh: an open one keeps what it said when opened.
void Kernel::fill_proc(const InodeRef& at, const std::string* only) {
  std::vector<std::string> where;
  {
    std::string rest = at->proc_path;
    for (size_t i = 0; i < rest.size();) {
      size_t j = rest.find('/', i);
      if (j == std::string::npos) j = rest.size();
      where.push_back(rest.substr(i, j - i));
      i = j + 1;
    }
  }
  std::map<std::string, InodeRef> old;
  if (only) {
    if (auto it = at->children.find(*only); it != at->children.end()) {
      old.insert(*it);
      at->children.erase(it);
    }
  } else {
    old = std::move(at->children);
    at->children.clear();
  }
  auto want = [&](const std::string& name) { return !only || *only == name; };
  // What a process's directory holds belongs to its effective ids
  // (fs/proc/base.c task_dump_owner()).
  const Task* owner = nullptr;
  auto add = [&](const std::string& name, InodeRef n) {
    n->read_only = true;
    n->parent = at;
    if (owner) {
      n->uid = owner->creds.euid;
      n->gid = owner->creds.egid;
    }
    at->children[name] = n;
  };
  auto file = [&](const std::string& name, const auto& make_text) {
    if (!want(name)) return;
    auto n = vfs_->make_node(InodeKind::kRegular, 0444);
    n->data = make_text();
    add(name, n);
  };
  auto link = [&](const std::string& name, const std::string& target, const InodeRef& jump = nullptr) {
    if (!want(name)) return;
    auto n = vfs_->make_node(InodeKind::kSymlink, 0777);
    n->target = target;
    n->jump = jump;
    add(name, n);
  };
  auto dir = [&](const std::string& name) {
    if (!want(name)) return;
    std::string path = (at->proc_path.empty() ? "" : at->proc_path + "/") + name;
    auto it = old.find(name);
    if (it != old.end() && it->second->is_dir() && it->second->proc_path == path) {
      add(name, it->second);
      old.erase(it);
      return;
    }
    auto n = vfs_->make_node(InodeKind::kDirectory, 0555);
    n->proc_path = path;
    add(name, n);
  };
  // A directory that is no longer listed leaves working directories in it
  // removed (getcwd: ENOENT).
  struct DroppedDirs {
    Vfs& vfs;
    std::map<std::string, InodeRef>& old;
    ~DroppedDirs() {
      for (auto& [name, n] : old)
        if (n->is_dir()) {
          n->unlinked = true;
          vfs.directories_changed();
        }
    }
  } dropped{*vfs_, old};
  // The number a name spells, or 0 (no pid is 0).
  auto number = [](const std::string& text) -> uint32_t {
    if (text.empty() || text.size() > 9 || text[0] == '0') return 0;
    uint32_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return 0;
      v = v * 10 + uint32_t(c - '0');
    }
    return v;
  };
  // Processes and threads /proc shows: every one not yet reaped.
  auto process = [&](uint32_t tgid) -> Task* {
    Task* t = task(tgid);
    return t && t->tid == t->tgid && t->exit_state != ExitState::kDead ? t : nullptr;
  };
  auto thread_of = [&](const Task& leader, uint32_t tid) -> Task* {
    Task* o = task(tid);
    if (!o || o->tgid != leader.tgid || (o->run_state == RunState::kExited && o != &leader)) return nullptr;
    return o;
  };

  if (where.empty()) {
    Task* self = current_ ? current_ : task(init_tid_);
    uint32_t self_pid = self ? self->tgid : 0;
    link("self", std::to_string(self_pid));
    if (self) link("thread-self", std::to_string(self_pid) + "/task/" + std::to_string(self->tid));
    file("uptime", [&] {
      int64_t up = monotonic_ns();
      char buf[256];
      std::snprintf(buf, sizeof buf, "%" PRId64 ".%02" PRId64 " %" PRId64 ".%02" PRId64 "\n", up / 1000000000,
                    up / 10000000 % 100, up / 1000000000, up / 10000000 % 100);
      return std::string(buf);
    });
    file("meminfo", [&] { return meminfo(*memory_, *tmpfs_); });
    file("cpuinfo", [&] { return cpuinfo(cfg_.cpus); });
    file("stat", [&] {
      int running = 0, blocked = 0;
      for (auto& [tid, t] : tasks_) {
        if (t->run_state == RunState::kRunnable) ++running;
        if (t->run_state == RunState::kBlocked) ++blocked;
      }
      return stat_file(cfg_.cpus, ticks() * cfg_.ns_per_tick, uint64_t(monotonic_ns()), next_tid_ - kFirstPid,
                       running, blocked);
    });
    dir("sys");
    if (only) {
      if (uint32_t pid = number(*only); pid && (owner = process(pid))) dir(*only);
    } else {
      for (auto& [tid, t] : tasks_)
        if ((owner = process(tid))) dir(std::to_string(tid));
    }
    return;
  }
  if (where[0] == "sys") {
    if (where.size() == 1) {
      dir("kernel");
      dir("fs");
    } else if (where.size() == 2 && where[1] == "fs") {
      dir("inotify");
    } else if (where.size() == 3 && where[1] == "fs" && where[2] == "inotify") {
      auto number_file = [&](const char* name, long v) {
        file(name, [v] { return std::to_string(v) + "\n"; });
      };
      number_file("max_queued_events", long(fsn::kMaxQueuedEvents));
      number_file("max_user_instances", fsn::kMaxUserInstances);
      number_file("max_user_watches", fsn::kMaxUserWatches);
    } else if (where.size() == 2 && where[1] == "kernel") {
      file("pid_max", [] { return std::string("4194304\n"); });
      file("ostype", [] { return std::string("Linux\n"); });
      file("osrelease", [] { return std::string("6.1.0-ditto\n"); });
      file("hostname", [] { return std::string("ditto\n"); });
    }
    return;
  }
  Task* leader = process(number(where[0]));
  if (!leader) return;  // gone: the directory is empty
  Task& t = *leader;
  owner = leader;
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
    CapSets caps = capability_sets(c);
    std::string s = "Name:\t" + x.comm + "\nUmask:\t0022\nState:\t" + state_name(st) +
                    "\nTgid:\t" + std::to_string(x.tgid) + "\nNgid:\t0\nPid:\t" + std::to_string(x.tid) +
                    "\nPPid:\t" + std::to_string(x.ppid) +
                    "\nTracerPid:\t0\nUid:\t" + ids(c.uid, c.euid, c.suid, c.fsuid) +
                    "\nGid:\t" + ids(c.gid, c.egid, c.sgid, c.fsgid) +
                    "\nFDSize:\t64\nGroups:\t\n" +
                    "VmSize:\t" + std::to_string((x.mm ? x.mm->mapped_bytes() : 0) / 1024) + " kB\n" +
                    "Threads:\t" + std::to_string(threads) + "\nSigQ:\t0/4096\nSigPnd:\t" +
                    hex16(x.sigpending) + "\nShdPnd:\t" + hex16(shared_pending(x)) + "\nSigBlk:\t" + hex16(x.sigmask) +
                    "\nSigIgn:\t" + hex16(ignored) + "\nSigCgt:\t" + hex16(caught) +
                    "\nCapInh:\t" + hex16(caps.inheritable) + "\nCapPrm:\t" + hex16(caps.permitted) +
                    "\nCapEff:\t" + hex16(caps.effective) + "\n"
                    "NoNewPrivs:\t" + std::to_string(x.no_new_privs ? 1 : 0) +
                    "\nSeccomp:\t0\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n";
    return s;
  };
  if (where.size() == 1) {
    if (t.run_state != RunState::kExited) link("exe", t.exe);
    file("cmdline", [&] { return t.run_state == RunState::kExited ? std::string() : t.cmdline; });
    file("comm", [&] { return t.comm + "\n"; });
    file("stat", [&] { return stat_of(t); });
    file("status", [&] { return status_of(t); });
    // The initial user namespace maps every id to itself; a child one maps
    // nothing until its maps are written (not modelled yet).
    auto idmap = [&] { return std::string(t.creds.userns ? "" : "         0          0 4294967295\n"); };
    file("uid_map", idmap);
    file("gid_map", idmap);
    file("maps", [&] {
      std::string maps;
      if (!t.mm || t.run_state == RunState::kExited) return maps;
      for (const auto& [start, v] : t.mm->vmas()) {
        char line[160];
        int n = std::snprintf(line, sizeof line, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c 00000000 00:00 0", v.start,
                              v.end, (v.prot & kPROT_READ) ? 'r' : '-', (v.prot & kPROT_WRITE) ? 'w' : '-',
                              (v.prot & kPROT_EXEC) ? 'x' : '-', v.map_shared() ? 's' : 'p');
        std::string l(line, size_t(n));
        if (!v.name.empty()) l += std::string(l.size() < 73 ? 73 - l.size() : 1, ' ') + v.name;
        maps += l + "\n";
      }
      return maps;
    });
    dir("fd");
    if (auto fd = at->children.find("fd"); fd != at->children.end()) fd->second->perm = 0500;  // dr-x------
    dir("fdinfo");
    if (auto fd = at->children.find("fdinfo"); fd != at->children.end()) fd->second->perm = 0500;
    dir("task");
  } else if (where.size() == 2 && (where[1] == "fd" || where[1] == "fdinfo")) {
    // The descriptors the listing shows: the one looked up ("0" is a
    // descriptor, though number() refuses it as a pid), or all of them.
    if (!t.fds) return;
    const auto& fds = t.fds->entries();
    bool links = where[1] == "fd";
    auto one = [&](size_t fd) {
      if (fd >= fds.size() || !fds[fd].file) return;
      const File& f = *fds[fd].file;
      std::string name = std::to_string(fd);
      if (links) {
        const InodeRef& n = f.inode();
        bool deleted = n && n->unlinked && !f.path.empty() && f.path[0] == '/';
        link(name, f.path + (deleted ? " (deleted)" : ""), n);
      } else {
        // fs/proc/fd.c seq_show(): the position, the status flags (with
        // O_CLOEXEC for a close-on-exec descriptor), the mount and the inode.
        char head[128];
        std::snprintf(head, sizeof head, "pos:\t%" PRIu64 "\nflags:\t0%o\nmnt_id:\t%d\nino:\t%" PRIu64 "\n",
                      f.offset(), f.flags() | (fds[fd].cloexec ? uint32_t(kO_CLOEXEC) : 0u), 1,
                      f.inode() ? f.inode()->ino : 0);
        std::string text = head + f.fdinfo(*this);
        file(name, [&] { return text; });
      }
      // A link's mode says how the descriptor is open (proc_fd_link's i_mode).
      if (auto e = at->children.find(name); e != at->children.end())
        e->second->perm = !links ? 0400 : (f.readable() ? 0500 : 0) | (f.writable() ? 0300 : 0);
    };
    if (only) {
      if (*only == "0") one(0);
      else if (uint32_t fd = number(*only)) one(fd);
    } else {
      for (size_t fd = 0; fd < fds.size(); ++fd) one(fd);
    }
  } else if (where.size() == 2 && where[1] == "task") {
    if (only) {
      if (uint32_t tid = number(*only); tid && thread_of(t, tid)) dir(*only);
    } else {
      for (auto& [otid, o] : tasks_)
        if (thread_of(t, otid)) dir(std::to_string(otid));
    }
  } else if (where.size() == 3 && where[1] == "task") {
    Task* o = thread_of(t, number(where[2]));
    if (!o) return;
    file("stat", [&] { return stat_of(*o); });
    file("status", [&] { return status_of(*o); });
    file("comm", [&] { return o->comm + "\n"; });
  }
}

}  // namespace kernel
