// The timing classifier: for each decoded instruction, what the timing model needs to know
// statically, read from the row's class and roles in the instruction table (cpu::InstTiming: its OpClass, source and destination registers, how its data
// address is formed, whether it enters or leaves an exception). Computed once per
// instruction when a block is built, into a side array of the block, so DecodedInst stays
// as it is and the functional run loop never looks at it.
#pragma once

#include "cpu/core.h"
#include "cpu/decoder/decoder.h"

namespace cpu::decoder {

// `inst` is the DecodedInst decode() produced for row `id`: register fields are read from
// it (already resolved for the XZR/SP meaning of register 31), the rest from inst.raw.
InstTiming classify(InsnId id, const DecodedInst& inst);

}  // namespace cpu::decoder
