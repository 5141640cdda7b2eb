#include "sim/scheduler.h"

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

trace::Event preempt_event(const kernel::Kernel& k, uint32_t tid, uint64_t rip, const char* point) {
  trace::Event ev;
  ev.kind = trace::EventKind::kPreempt;
  ev.tid = tid;
  ev.tick = k.ticks();
  ev.rip = rip;
  ev.data = point;
  return ev;
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
    if (!(d == previous_)) io_.emit(schedule_event(k_, d, to_string(why)));
    previous_ = d;
    runnable_ = runnable;
    return d;
  }

  bool preempt_after_syscall(const kernel::Task& t, uint64_t rip) override {
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
    if (!policy_->preempt(PointView{t, site, runnable_, k_.ticks()})) return false;
    io_.emit(preempt_event(k_, t.tid, rip, what));
    return true;
  }

  kernel::Kernel& k_;
  kernel::Io& io_;
  std::unique_ptr<Policy> policy_;
  Decision previous_;
  std::vector<kernel::Task*> runnable_;
};

class ReplayingScheduler : public Scheduler {
 public:
  ReplayingScheduler(kernel::Kernel& k, kernel::Io& io) : k_(k), io_(io) {}

  std::optional<Decision> pick(const std::vector<kernel::Task*>& runnable, SliceEnd why) override {
    const trace::Event* rec = io_.next_recorded();
    Decision d = previous_;
    if (rec && rec->kind == trace::EventKind::kSchedule) {
      d = {rec->tid, rec->budget};
      io_.emit(schedule_event(k_, d, rec->data));
    }
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

  bool preempt_after_syscall(const kernel::Task& t, uint64_t rip) override {
    return point(t, rip, "syscall");
  }
  bool stop_before(uint64_t rip) override { return point(k_.current(), rip, "site"); }
  void set_policy(std::unique_ptr<Policy>) override { throw std::logic_error("a replay runs no policy"); }

 private:
  // The recording stopped the task here when its next event is this
  // preemption (tid, tick and place are then checked like any event's).
  bool point(const kernel::Task& t, uint64_t rip, const char* what) {
    const trace::Event* rec = io_.next_recorded();
    if (!rec || rec->kind != trace::EventKind::kPreempt || rec->tid != t.tid || rec->rip != rip ||
        rec->tick != k_.ticks() || rec->data != what)
      return false;
    io_.emit(preempt_event(k_, t.tid, rip, what));
    return true;
  }

  kernel::Kernel& k_;
  kernel::Io& io_;
  Decision previous_;
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
