// Declarations of the per-row predecode functions, generated from the instruction table
// so the two can never drift apart. Definitions live in the file of the row's encoding
// group (data_processing.cpp, branch_system.cpp, loads_stores.cpp).
#pragma once

#include <cstdint>

#include "cpu/core.h"

namespace cpu::interp {

#define A64(name, ...) bool pre_##name(DecodedInst& inst, uint32_t insn);
#include "cpu/decoder/a64.inc"
#undef A64

// Raises the UNDEFINED exception (ESR EC 0x00).
Flow op_undefined(Core& c, const DecodedInst& inst);

// A SUBS (CMP) whose block ends with the B.cond right after it: gives it the handler that
// also runs the branch while the block chains (data_processing.cpp, op_subs_b_cond), if
// its form has one (immediate, or register with no shift). The B.cond keeps its own
// handler. Returns whether it did.
bool fuse_with_b_cond(DecodedInst& subs);
// The same for a SUBS (CMP) followed in its block by CSEL/CSINC/CSINV/CSNEG (and their
// aliases): while the block chains, the SUBS's handler also runs the select, which keeps
// its own handler (data_processing.cpp, op_subs_csel).
bool fuse_with_csel(DecodedInst& subs, const DecodedInst& sel);
// The same for an LDR Wt/Xt (unsigned or unscaled immediate offset) followed by the
// CBZ/CBNZ (nonzero) of Rt that ends its block (loads_stores.cpp, op_ldr_cbz).
// Which pairs are tried, and where, is the table of cpu/interp/fusion.h.
bool fuse_load_with_cbz(DecodedInst& load, const DecodedInst& cbz, bool nonzero);

// An MSR predecoded as a write to a register the port owns (PMU, GIC CPU interface,
// timer): it changes no translation or PSTATE state, so it need not end its block. For a
// freshly predecoded instruction only (the port may later install its own handler).
bool is_port_write(const DecodedInst& inst);

}  // namespace cpu::interp
