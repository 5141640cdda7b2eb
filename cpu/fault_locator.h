// Which instruction of a block made a data access fault (fault_locator.cc).
#pragma once

#include <cstdint>

#include "cpu/engine.h"

namespace cpu {

// The address of the first instruction from `block_start` on that, run on
// `regs` (the guest's registers at the fault), accesses `fault_addr` in the
// faulting direction; `block_start` itself when none is found.
uint64_t find_faulting_instruction(Engine& guest, const Regs& regs, uint64_t block_start, uint64_t fault_addr,
                                   bool write);

}  // namespace cpu
