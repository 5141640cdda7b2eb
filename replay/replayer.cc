#include "replay/replayer.h"

#include <unistd.h>

#include <cstring>

namespace replay {

int Report::exit_status() const {
  switch (verdict) {
    case Verdict::kIdentical: return save_failed ? 125 : 0;
    case Verdict::kDiverged: return 3;
    case Verdict::kInvalid: return 4;
    case Verdict::kIncomplete: return 5;
    case Verdict::kInterrupted: return 6;
    case Verdict::kCancelled: return 128 + cancel_signal;
  }
  return 4;
}

ReplayIo::ReplayIo(trace::Store& store, int64_t run, bool complete, bool echo)
    : store_(store), reader_(store.reader(run)), complete_(complete), echo_(echo) {
  look_ahead();
}

void ReplayIo::look_ahead() {
  const trace::Event* rec = nullptr;
  try {
    rec = peek();
  } catch (const trace::TraceError& ex) {
    invalid(ex);
    return;
  }
  if (rec && rec->kind == trace::EventKind::kInterrupt) {
    limit_tick_ = rec->tick;  // the guest stops where the recording did
  } else if (!rec && !complete_) {
    stopped_ = true;
    report_.verdict = Verdict::kIncomplete;
    report_.events = checked_;
    report_.message = "the recording is incomplete (the recorder was killed after event #" +
                      std::to_string(checked_ ? checked_ - 1 : 0) + "); all " + std::to_string(checked_) +
                      " recorded events replayed identically";
  }
}

const trace::Event* ReplayIo::next_recorded() {
  if (stopped_) return nullptr;
  try {
    return peek();
  } catch (const trace::TraceError& ex) {
    invalid(ex);
    return nullptr;
  }
}

void ReplayIo::report_divergence(const std::string& what) {
  const trace::Event* rec = next_recorded();
  diverge("scheduling", rec, what);
}

void ReplayIo::end_at_interrupt(const trace::Event& interrupt) {
  stopped_ = true;
  report_.verdict = Verdict::kInterrupted;
  report_.events = checked_;
  report_.message = "the recording was interrupted by signal " + std::to_string(interrupt.signal) + " at tick " +
                    std::to_string(interrupt.tick) + "; all " + std::to_string(checked_) +
                    " events before it replayed identically";
}

const trace::Event* ReplayIo::peek() {
  if (!next_ && !exhausted_) {
    trace::Event e;
    if (reader_.next(e)) next_ = std::move(e);
    else exhausted_ = true;
  }
  return next_ ? &*next_ : nullptr;
}

void ReplayIo::diverge(const std::string& what, const trace::Event* expected, const std::string& actual) {
  if (stopped_) return;
  stopped_ = true;
  report_.verdict = Verdict::kDiverged;
  report_.events = checked_;
  std::string msg = "divergence at event #" + std::to_string(checked_);
  if (expected) {
    msg += " (tid " + std::to_string(expected->tid) + ", rip " + [&] {
      char b[24];
      std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(expected->rip));
      return std::string(b);
    }() + "): " + what + " differs";
    msg += "\n  expected: " + trace::describe(*expected);
  } else {
    msg += ": " + what;
  }
  msg += "\n  actual:   " + actual;
  report_.message = msg;
}

// The trace cannot be read further: the replay ends with exit status 4.
void ReplayIo::invalid(const trace::TraceError& ex) {
  stopped_ = true;
  report_.verdict = Verdict::kInvalid;
  report_.message = ex.what();
  report_.events = checked_;
}

void ReplayIo::emit(trace::Event&& e) {
  if (stopped_) return;
  e.seq = checked_;
  const trace::Event* rec = nullptr;
  try {
    rec = peek();
  } catch (const trace::TraceError& ex) {
    invalid(ex);
    return;
  }
  if (!rec) {
    diverge("the recording ends here but the guest went on", nullptr, trace::describe(e));
    return;
  }
  if (rec->kind == trace::EventKind::kInterrupt) {
    end_at_interrupt(*rec);  // what the guest does from here was never recorded
    return;
  }
  std::string field;
  if (!trace::same_event(*rec, e, &field)) {
    diverge(field, rec, trace::describe(e));
    return;
  }
  next_.reset();
  ++checked_;
  look_ahead();
}

kernel::HostFile ReplayIo::host_file(const std::string& path, uint32_t tid, uint64_t tick) {
  return recorded_host_file(path, tid, tick, false);
}

kernel::HostFile ReplayIo::host_contents(const std::string& path, uint32_t tid, uint64_t tick) {
  return recorded_host_file(path, tid, tick, true);
}

// The recorded capture of `path` (its metadata, or its bytes) answers the
// guest; the host is not asked.
kernel::HostFile ReplayIo::recorded_host_file(const std::string& path, uint32_t tid, uint64_t tick, bool contents) {
  kernel::HostFile hf;
  hf.err = ENOENT;
  if (stopped_) return hf;
  const trace::Event* rec = nullptr;
  auto matches = [&](const trace::Event* e) {
    return e && e->kind == trace::EventKind::kHostFile && e->path == path && e->contents == contents;
  };
  try {
    rec = peek();
    if (matches(rec) && rec->tid == tid && rec->tick == tick) {
      hf.err = rec->err;
      hf.kind = kernel::HostFileKind(rec->file_kind);
      hf.mode = rec->mode;
      hf.size = rec->size;
      hf.read_err = rec->read_err;
      hf.search_err = rec->search_err;
      hf.uid = rec->uid;
      hf.gid = rec->gid;
      hf.atime_ns = rec->atime_ns;
      hf.mtime_ns = rec->mtime_ns;
      hf.ctime_ns = rec->ctime_ns;
      hf.entries = rec->entries;
      hf.target = rec->target;
      if (contents && rec->err == 0) hf.content = store_.blob(rec->blob);
    }
  } catch (const trace::TraceError& ex) {
    invalid(ex);
    return hf;
  }
  // Checked like any other event: a matching recording is its own copy
  // (only tid and tick can still differ), anything else reports the mismatch.
  trace::Event ev;
  if (matches(rec)) ev = *rec;
  ev.kind = trace::EventKind::kHostFile;
  ev.contents = contents;
  ev.tid = tid;
  ev.tick = tick;
  ev.path = path;
  emit(std::move(ev));
  return hf;
}

int64_t ReplayIo::read_stdin(char* buf, size_t n) {
  if (stopped_) return 0;
  const trace::Event* rec = nullptr;
  try {
    rec = peek();
  } catch (const trace::TraceError&) {
    return 0;  // reported by the next emit()
  }
  if (!rec || rec->kind != trace::EventKind::kSyscall) return 0;
  // The bytes the host gave, even when the call failed afterwards (EFAULT
  // after the guest's buffer faulted: they stayed for the next read).
  if (rec->data.empty()) return rec->result < 0 ? rec->result : 0;
  size_t take = std::min(n, rec->data.size());
  std::memcpy(buf, rec->data.data(), take);
  return int64_t(take);
}

// What the host's descriptor took during the recording (all of it, part of
// it, or an error such as EPIPE): the recorded write's result.
int64_t ReplayIo::write_output(int fd, const char* buf, size_t n) {
  int64_t r = int64_t(n);
  if (stopped_) return r;
  try {
    const trace::Event* rec = peek();
    if (rec && rec->kind == trace::EventKind::kSyscall && rec->result <= int64_t(n)) r = rec->result;
  } catch (const trace::TraceError&) {
    return r;  // reported by the next emit()
  }
  for (size_t done = 0; echo_ && r > 0 && done < size_t(r);) {
    ssize_t w = ::write(fd, buf + done, size_t(r) - done);
    if (w <= 0) break;
    done += size_t(w);
  }
  return r;
}

void ReplayIo::finish() {
  if (stopped_) return;
  const trace::Event* rec = nullptr;
  try {
    rec = peek();
  } catch (const trace::TraceError& ex) {
    invalid(ex);
    return;
  }
  report_.events = checked_;
  if (rec && rec->kind == trace::EventKind::kInterrupt) {
    end_at_interrupt(*rec);
    return;
  }
  if (rec) {
    diverge("the guest ended but the recording goes on", rec, "(no more events)");
    return;
  }
  if (!complete_) {
    report_.verdict = Verdict::kIncomplete;
    report_.message = "the recording is incomplete; all " + std::to_string(checked_) +
                      " recorded events replayed identically";
  }
}

Report replay_trace(const std::string& path, const Options& opts) {
  Report rep;
  try {
    auto store = trace::Store::open(path);
    auto runs = store->runs();
    if (runs.empty()) throw trace::TraceError(path + " holds no run");
    int64_t run = opts.run ? opts.run : runs.back();
    trace::Header h = store->header(run);
    trace::RunInfo info = store->checked_run_info(run);
    ReplayIo io(*store, run, info.complete, opts.echo_output);
    sim::RunOptions run_opts;
    run_opts.progress = opts.progress;
    run_opts.interruptible = opts.interruptible;
    run_opts.slice_ticks = opts.slice_ticks;
    run_opts.fresh_engines = opts.fresh_engines;
    sim::replay_options_from(h, run_opts);
    if (!opts.saves.empty())
      run_opts.at_teardown = [&](kernel::Kernel& k) { rep.save_failed = !sim::save_all(k, opts.saves); };
    sim::RunResult res = sim::run_guest(sim::config_from(h), io, run_opts);
    if (res.load.status && !io.stop_requested()) {
      rep.verdict = Verdict::kDiverged;
      rep.message = "the program failed to load during replay: " + res.load.message;
      return rep;
    }
    if (res.outcome.interrupted) {
      rep.verdict = Verdict::kCancelled;
      rep.cancel_signal = res.outcome.interrupted;
      rep.events = io.event_count();
      rep.message = "stopped by signal " + std::to_string(res.outcome.interrupted) + " after " +
                    std::to_string(rep.events) + " events, all identical so far";
      return rep;
    }
    if (!res.error.empty() && !io.stop_requested()) {
      rep.verdict = Verdict::kDiverged;
      rep.events = io.event_count();
      rep.message = "the replay failed: " + res.error;
      return rep;
    }
    io.finish();
    rep = io.report();
    rep.level = h.events.empty() ? "all" : h.events;
    if (rep.verdict == Verdict::kDiverged && h.ditto_version != DITTO_VERSION)
      rep.message += "\n  note: the trace was recorded by Ditto " + h.ditto_version + " and this is Ditto " +
                     DITTO_VERSION + "; the difference may come from the change of version";
  } catch (const trace::TraceError& ex) {
    rep.verdict = Verdict::kInvalid;
    rep.message = ex.what();
    rep.unreadable = dynamic_cast<const trace::TraceFileError*>(&ex) != nullptr;
  } catch (const std::exception& ex) {
    rep.verdict = Verdict::kInvalid;
    rep.message = std::string("cannot replay ") + path + ": " + ex.what();
  }
  return rep;
}

}  // namespace replay
