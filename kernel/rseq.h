// Restartable sequences (rseq(2), kernel/rseq.c): a thread registers a
// struct rseq in which Ditto keeps its CPU number, and whose rseq_cs field
// may name a critical section; a thread preempted or given a signal inside
// that section resumes at the section's abort handler.
#pragma once

#include <cstdint>

namespace kernel {

class Kernel;
struct Task;

// Before `t` resumes at `rip` after it was switched out, or before a
// signal frame saves `rip`: if `rip` lies in the registered critical
// section, it becomes the abort address. A broken registration or section
// (unreadable, a bad descriptor, the wrong signature) is SIGSEGV, as
// force_sigsegv() makes it: false then.
bool rseq_fixup(Kernel& k, Task& t, uint64_t& rip);

}  // namespace kernel
