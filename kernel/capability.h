// The capability sets a task's credentials give it (see capability.cc).
#pragma once

#include <cstdint>

#include "kernel/kernel.h"

namespace kernel {

struct CapSets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};
CapSets capability_sets(const Credentials& c);

}  // namespace kernel
