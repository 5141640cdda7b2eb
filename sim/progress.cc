#include "sim/progress.h"

#include <cstdio>
#include <cstdlib>

#include "kernel/kernel.h"

namespace sim {

Progress::Progress(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  double delay = 2.0;
  if (const char* d = std::getenv("DITTO_PROGRESS_DELAY")) delay = std::atof(d);
  start_ = std::chrono::steady_clock::now();
  next_ = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(delay));
}

void Progress::update(const kernel::Kernel& k, uint64_t events) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  next_ = now + std::chrono::seconds(1);
  double host = std::chrono::duration<double>(now - start_).count();
  double virt = double(k.monotonic_ns() - kernel::Kernel::kBootMonotonicNs) / 1e9;
  std::fprintf(stderr, "\r\033[K[ditto] %.0f s: virtual time %.3f s, %.3f G ticks, %llu events, %d processes",
               host, virt, double(k.ticks()) / 1e9, static_cast<unsigned long long>(events),
               k.live_processes());
  std::fflush(stderr);
  shown_ = true;
}

void Progress::finish() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace sim
