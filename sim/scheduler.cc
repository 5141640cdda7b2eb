#include "sim/scheduler.h"

#include <map>
#include <stdexcept>

namespace sim {

namespace {

trace::Event schedule_event(const kernel::Kernel& k, const Decision& d, const std::string& reason) {
  trace::Event ev;
  ev.kind = trace::EventKind::kSchedule;
  ev.tid = d.tid;
  ev.tick = k.ticks();
  ev.data = reason;
  ev.budget = d.budget;
  return ev;
}

trace::Event preempt_event(const kernel::Kernel& k, uint32_t tid, uint64_t rip, const char* point,
                           uint64_t index) {
  trace::Event ev;
  ev.kind = trace::EventKind::kPreempt;
  ev.tid = tid;
  ev.tick = k.ticks();
  ev.rip = rip;
  ev.data = point;
  ev.budget = index;
  return ev;
}

// Whether the return from syscall `nr` is a scheduling point. Syscalls that
// only concern the caller (its memory map, signal mask, clocks, ids) are
// not: other tasks can neither see nor race with them, and a scheduling
// point after each would dilute a policy's choices (pthread_create alone
// makes a dozen of them).
bool scheduling_point(uint32_t nr) {
  switch (nr) {
    case 9: case 10: case 11: case 12: case 25: case 28:  // mmap mprotect munmap brk mremap madvise
    case 13: case 14: case 15:                             // rt_sigaction rt_sigprocmask rt_sigreturn
    case 39: case 102: case 104: case 107: case 108: case 110: case 186:  // get{pid,uid,gid,euid,egid,ppid,tid}
    case 63: case 97: case 158: case 160: case 204:       // uname getrlimit arch_prctl setrlimit sched_getaffinity
    case 96: case 201: case 228: case 229:                 // gettimeofday time clock_gettime clock_getres
    case 218: case 273: case 302: case 318: case 334:     // set_tid_address set_robust_list prlimit64 getrandom rseq
      return false;
    default:
      return true;
  }
}

bool holds(const std::vector<kernel::Task*>& tasks, uint32_t tid) {
  for (const kernel::Task* t : tasks)
    if (t->tid == tid) return true;
  return false;
}

class RecordingScheduler : public Scheduler {
 public:
  RecordingScheduler(kernel::Kernel& k, kernel::Io& io, std::unique_ptr<Policy> p)
      : k_(k), io_(io), policy_(std::move(p)) {}

  std::optional<Decision> pick(const std::vector<kernel::Task*>& runnable, SliceEnd why) override {
    Decision d = policy_->pick(PickView{runnable, previous_.tid, why, k_.ticks()});
    if (!holds(runnable, d.tid) || d.budget == 0)
      throw std::logic_error("policy " + policy_->describe() + " chose task " + std::to_string(d.tid) +
                             " with budget " + std::to_string(d.budget) + ", which cannot run");
    io_.emit(schedule_event(k_, d, to_string(why)));
    previous_ = d;
    runnable_ = runnable;
    return d;
  }

  bool preempt_after_syscall(const kernel::Task& t, uint32_t nr, uint64_t rip) override {
    if (!scheduling_point(nr)) return false;
    // The syscall may have made, woken or ended tasks.
    runnable_.clear();
    for (auto& [tid, o] : k_.tasks())
      if (o->run_state == kernel::RunState::kRunnable && !k_.group_stopped(*o)) runnable_.push_back(o.get());
    return point(t, 0, rip, "syscall");
  }

  // Between two syscalls no task is made, woken or ended: the runnable
  // tasks are those of the last pick or syscall.
  bool stop_before(uint64_t rip) override { return point(k_.current(), rip, rip, "site"); }
  void set_policy(std::unique_ptr<Policy> p) override { policy_ = std::move(p); }

 private:
  bool point(const kernel::Task& t, uint64_t site, uint64_t rip, const char* what) {
    uint64_t index = ++points_[t.tid];
    if (!policy_->preempt(PointView{t, site, runnable_, k_.ticks(), index})) return false;
    io_.emit(preempt_event(k_, t.tid, rip, what, index));
    return true;
  }

  kernel::Kernel& k_;
  kernel::Io& io_;
  std::unique_ptr<Policy> policy_;
  Decision previous_;
  std::vector<kernel::Task*> runnable_;
  std::map<uint32_t, uint64_t> points_;  // scheduling points met, by task
};

class ReplayingScheduler : public Scheduler {
 public:
  ReplayingScheduler(kernel::Kernel& k, kernel::Io& io) : k_(k), io_(io) {}

  std::optional<Decision> pick(const std::vector<kernel::Task*>& runnable, SliceEnd why) override {
    const trace::Event* rec = io_.next_recorded();
    if (!rec || rec->kind != trace::EventKind::kSchedule) {
      // The recording decided here (every pick is an event): anything else
      // means the replay went another way. The event shows where.
      io_.emit(schedule_event(k_, previous_, to_string(why)));
      return std::nullopt;
    }
    Decision d{rec->tid, rec->budget};
    io_.emit(schedule_event(k_, d, rec->data));
    if (io_.stop_requested()) return std::nullopt;
    if (!holds(runnable, d.tid) || d.budget == 0) {
      std::string who;
      for (const kernel::Task* t : runnable) who += " " + std::to_string(t->tid);
      io_.report_divergence("the recording runs task " + std::to_string(d.tid) +
                            " here (after a slice that ended: " + to_string(why) +
                            "), but the runnable tasks are" + who);
      return std::nullopt;
    }
    previous_ = d;
    return d;
  }

  bool preempt_after_syscall(const kernel::Task& t, uint32_t nr, uint64_t rip) override {
    if (!scheduling_point(nr)) return false;
    return point(t, rip, "syscall");
  }
  bool stop_before(uint64_t rip) override { return point(k_.current(), rip, "site"); }
  void set_policy(std::unique_ptr<Policy>) override { throw std::logic_error("a replay runs no policy"); }

 private:
  // The recording stopped the task here when its next event is this
  // preemption (tid, tick and place are then checked like any event's).
  bool point(const kernel::Task& t, uint64_t rip, const char* what) {
    uint64_t index = ++points_[t.tid];
    const trace::Event* rec = io_.next_recorded();
    if (!rec || rec->kind != trace::EventKind::kPreempt || rec->tid != t.tid || rec->rip != rip ||
        rec->tick != k_.ticks() || rec->data != what)
      return false;
    io_.emit(preempt_event(k_, t.tid, rip, what, index));
    return true;
  }

  kernel::Kernel& k_;
  kernel::Io& io_;
  Decision previous_;
  std::map<uint32_t, uint64_t> points_;
};

}  // namespace

std::unique_ptr<Scheduler> make_recording_scheduler(kernel::Kernel& k, kernel::Io& io,
                                                    std::unique_ptr<Policy> p) {
  return std::make_unique<RecordingScheduler>(k, io, std::move(p));
}

std::unique_ptr<Scheduler> make_replaying_scheduler(kernel::Kernel& k, kernel::Io& io) {
  return std::make_unique<ReplayingScheduler>(k, io);
}

}  // namespace sim
