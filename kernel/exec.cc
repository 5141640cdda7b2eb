// execve and execveat (fs/exec.c): the path, "#!" scripts, a new image
// (begin_new_exec()), and de_thread(), which leaves the exec'ing thread
// alone in its group.
#include <algorithm>
#include <cstring>

#include "kernel/elf.h"
#include "kernel/permission.h"
#include "kernel/sys_util.h"
#include "kernel/syscalls.h"

namespace kernel {

using namespace abi;

namespace {

// Reads a NULL-terminated array of string pointers (execve's argv/envp).
int64_t read_string_array(Kernel& k, uint64_t ptr, std::vector<std::string>& out, uint64_t& total) {
  if (!ptr) return 0;  // Linux treats NULL as an empty array
  for (size_t i = 0;; ++i) {
    uint64_t p;
    if (!k.mm().read(UserPtr(ptr + i * 8), p)) return -kEFAULT;
    if (!p) return 0;
    std::string s;
    int64_t r = k.mm().read_cstring(UserPtr(p), 32 * 4096, s);  // MAX_ARG_STRLEN
    if (r == -kENAMETOOLONG) return -kE2BIG;
    if (r < 0) return r;
    total += s.size() + 1 + 8;
    if (total > MemoryManager::kStackSize / 4) return -kE2BIG;
    out.push_back(std::move(s));
  }
}

// bprm_fill_uid() and the rest of execve(2)'s id rules: a set-user-ID file
// runs with its owner as the effective uid, a set-group-ID one (with group
// execute) with its group, unless no_new_privs or a child user namespace
// (which maps neither) stops it; the saved and fs ids then follow the
// effective ones. A #! script's own bits count for nothing: `file` is the
// program that runs.
void take_exec_ids(Task& t, const Inode& file) {
  constexpr uint32_t kS_ISUID = 04000, kS_ISGID = 02000, kS_IXGRP = 010;
  Credentials& c = t.creds;
  if (!t.no_new_privs && !c.userns) {
    if (file.perm & kS_ISUID) c.euid = file.uid;
    if ((file.perm & (kS_ISGID | kS_IXGRP)) == (kS_ISGID | kS_IXGRP)) c.egid = file.gid;
  }
  c.suid = c.fsuid = c.euid;
  c.sgid = c.fsgid = c.egid;
}

// execve(2) and execveat(2): dirfd-relative paths, AT_EMPTY_PATH (the
// descriptor itself), AT_SYMLINK_NOFOLLOW (ELOOP on a final symlink), and
// "#!" scripts, which run their interpreter (up to 5 nested, then ELOOP:
// fs/exec.c exec_binprm()).
int64_t do_execveat(Kernel& k, int dirfd, uint64_t path_ptr, uint64_t argv_ptr, uint64_t envp_ptr, uint32_t flags) {
  if (flags & ~(kAT_EMPTY_PATH | kAT_SYMLINK_NOFOLLOW)) return -kEINVAL;
  std::string path;
  if (int64_t r = read_path(k, path_ptr, path, flags & kAT_EMPTY_PATH); r < 0) return r;
  std::vector<std::string> argv, envp;
  uint64_t total = 0;
  if (int64_t r = read_string_array(k, argv_ptr, argv, total); r < 0) return r;
  if (int64_t r = read_string_array(k, envp_ptr, envp, total); r < 0) return r;
  // The name the new program is given (AT_EXECFN, its comm, a script's
  // argument): the path itself, or /dev/fd/N[/path] for a descriptor
  // (fs/exec.c alloc_bprm()). A script behind a close-on-exec descriptor
  // could not be opened by its interpreter: ENOENT.
  std::string filename = path;
  bool inaccessible = false;
  Lookup l;
  if (path.empty()) {
    FdEntry* e = k.current().fds->entry(dirfd);
    if (!e || !e->file) return -kEBADF;
    l.node = e->file->inode();
    l.path = e->file->path;
    filename = "/dev/fd/" + std::to_string(dirfd);
    inaccessible = e->cloexec;
  } else {
    if (dirfd != kAT_FDCWD && path[0] != '/') {
      FdEntry* e = k.current().fds->entry(dirfd);
      filename = "/dev/fd/" + std::to_string(dirfd) + "/" + path;
      inaccessible = e && e->cloexec;
    }
    int64_t err;
    l = lookup_at(k, dirfd, path, !(flags & kAT_SYMLINK_NOFOLLOW), &err);
    if (err) return err;
    if (!l.node) return -kENOENT;
    if (l.node->kind == InodeKind::kSymlink) return -kELOOP;
  }
  if (!l.node || l.node->kind != InodeKind::kRegular) return -kEACCES;
  if (int64_t r = inode_permission(k.current().creds, *l.node, kMayExec); r < 0) return r;
  if (int e = k.vfs().load_contents(l.node)) return -e;
  std::string content(l.node->bytes());
  // Scripts: argv becomes interpreter, its argument, the script's name, then
  // argv[1..] (argv[0] is dropped).
  std::string script_name = filename;
  for (int depth = 0; content.compare(0, 2, "#!") == 0; ++depth) {
    if (depth == 5) return -kELOOP;
    std::string interp, arg;
    if (int64_t r = parse_shebang(content, interp, arg); r < 0) return r;
    if (inaccessible) return -kENOENT;
    std::vector<std::string> args{interp};
    if (!arg.empty()) args.push_back(arg);
    args.push_back(script_name);
    args.insert(args.end(), argv.begin() + (argv.empty() ? 0 : 1), argv.end());
    argv = std::move(args);
    int64_t err;
    l = lookup_at(k, kAT_FDCWD, interp, true, &err);
    if (err) return err;
    if (!l.node) return -kENOENT;
    if (l.node->kind != InodeKind::kRegular) return -kEACCES;
    if (int64_t r = inode_permission(k.current().creds, *l.node, kMayExec); r < 0) return r;
    if (int e = k.vfs().load_contents(l.node)) return -e;
    content = std::string(l.node->bytes());
    script_name = interp;
  }
  ElfImage img;
  if (!parse_elf(content, img).empty()) return -kENOEXEC;
  // The dynamic linker is opened before the point of no return: its errors
  // are execve's (fs/binfmt_elf.c load_elf_binary()).
  Kernel::Interpreter interp;
  if (!img.interp.empty())
    if (int e = k.open_interpreter(k.current().fs->cwd, img.interp, interp)) return -e;
  // The name is the last component of the path; for a descriptor, Linux
  // (since 6.14, bprm->comm_from_dentry) takes the name of the file that
  // runs, rather than "N".
  const std::string& named = path.empty() ? l.path : filename;
  std::string comm = named.substr(named.rfind('/') + 1);
  Task& t = k.current();
  k.de_thread(t);
  take_exec_ids(t, *l.node);
  LoadError le = k.exec_image(t, l.path, filename, comm, content, argv, envp, img.interp.empty() ? nullptr : &interp);
  if (le.status) {
    // Past the point of no return: Linux kills the process with SIGSEGV.
    k.exit_process(t, 0, kSIGSEGV, false);
  }
  return 0;
}

int64_t sys_execve(Kernel& k, const uint64_t* a) { return do_execveat(k, kAT_FDCWD, a[0], a[1], a[2], 0); }
int64_t sys_execveat(Kernel& k, const uint64_t* a) {
  return do_execveat(k, int(a[0]), a[1], a[2], a[3], uint32_t(a[4]));
}

}  // namespace

LoadError Kernel::exec_image(Task& t, const std::string& exe, const std::string& execfn, const std::string& comm,
                             const std::string& content, const std::vector<std::string>& argv,
                             const std::vector<std::string>& envp, const Interpreter* interp) {
  // fs/exec.c:begin_new_exec(): a fresh address space, close-on-exec
  // descriptors closed, caught signals back to default, no alternate stack,
  // POSIX timers deleted (itimers and alarm stay).
  std::shared_ptr<MemoryManager> old = t.mm;
  t.mm = MemoryManager::create(engine_pool_, exe);
  apply_memory_rlimits(t);
  t.mm->set_budget(memory_);
  adopt_engine(*t.mm);
  t.mm->active_tid = t.tid;
  t.exe = exe;
  LoadError err = load_program(t, content, argv, envp, execfn, interp);
  t.mm->settle();
  if (err.status) return err;
  auto fds = std::make_shared<FdTable>(*t.fds);
  if (t.fds.use_count() == 1) fds->take_lock_owner(*t.fds);
  for (size_t fd = 0; fd < fds->entries().size(); ++fd)
    if (fds->entries()[fd].cloexec) fds->close(int(fd));
  t.fds = fds;
  t.sighand = std::make_shared<SignalHandlers>(*t.sighand);
  reset_handlers(*t.sighand);
  // Capabilities are recomputed from the new ids: in a child user namespace
  // that maps no uid 0 nobody is root, so they are gone (capabilities(7)).
  if (t.creds.userns) t.creds.userns_caps = false;
  t.altstack = {0, kSS_DISABLE, 0, 0};
  timers_.remove_posix(t.tgid);
  t.clear_child_tid = 0;
  t.robust_list = 0;
  t.rseq = {};  // rseq_execve()
  t.membarrier_registrations = 0;  // a new mm
  t.comm = comm.substr(0, 15);  // TASK_COMM_LEN - 1
  t.exe = exe;
  t.cmdline.clear();
  for (const std::string& a : argv) t.cmdline += a + std::string(1, '\0');
  release_vfork_parent(t);
  set_resume(t, t.resume_rip);
  if (old.get() == slice_mm_.get()) slice_mm_->engine().request_stop();
  return {};
}

void Kernel::de_thread(Task& t) {
  std::vector<Task*> killed;
  for (auto& [tid, o] : tasks_) {
    if (o.get() == &t || o->tgid != t.tgid || o->run_state == RunState::kExited) continue;
    begin_exit(*o);
    retire(*o, o->tid == o->tgid ? ExitState::kZombie : ExitState::kDead);
    killed.push_back(o.get());
  }
  for (Task* o : killed) reparent_from_thread(*o);  // to t, the one left
  if (t.tid == t.tgid) return;
  Task& leader = *task(t.tgid);
  t.ppid = leader.ppid;
  t.pgid = leader.pgid;
  t.sid = leader.sid;
  t.children = std::move(leader.children);
  t.exit_signal_to_parent = leader.exit_signal_to_parent;
  t.child_subreaper = leader.child_subreaper;
  // The process's CPU time, and its children's, survive the exec.
  t.gone_thread_ticks += leader.ticks_run + leader.gone_thread_ticks;
  t.child_ticks += leader.child_ticks;
  t.shared_pending = leader.shared_pending;  // the process's pending signals stay
  t.shared_info = leader.shared_info;
  t.group_stopped = false;
  uint32_t old_tid = t.tid;
  auto self_node = tasks_.extract(old_tid);
  tasks_.erase(t.tgid);  // the old leader is gone for good
  t.tid = t.tgid;
  self_node.key() = t.tid;
  tasks_.insert(std::move(self_node));
  if (t.mm && t.mm->active_tid == old_tid) t.mm->active_tid = t.tid;
  for (auto& [tid, o] : tasks_)
    if (o->parent_thread == old_tid) o->parent_thread = t.tid;
}

void register_exec_syscalls(SyscallFn* t) {
#define DITTO_SYSCALL(nr, name, arity, where) DITTO_IN_##where(t[nr] = sys_##name;)
#define DITTO_IN_exec(entry) entry
#include "kernel/syscall_table.inc"
}

}  // namespace kernel
