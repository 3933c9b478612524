// Operand roles of the SIMD&FP rows (the A64X rows of cpu/decoder/a64.inc): which of a
// DecodedInst's register fields (d, n, m, a) name V registers and which name X register
// slots, whether each is read or written, and how a load or store forms its address. The
// timing classifier derives dependencies and the address mode from them, so a new row
// states its roles once, beside its pattern.
//
// Convention for these rows: a V field holds the register number 0..31; an X field holds
// the CpuState::r slot already resolved for register 31 (rzr/wzr/rsp), as for the integer
// rows.
#pragma once

#include <cstdint>

namespace cpu::decoder::roles {

using Roles = uint32_t;

// V registers.
inline constexpr Roles kVdW = 1u << 0;  // writes V[d]
inline constexpr Roles kVdR = 1u << 1;  // reads V[d] (accumulators, INS, BSL, a store's data)
inline constexpr Roles kVnR = 1u << 2;
inline constexpr Roles kVmR = 1u << 3;
inline constexpr Roles kVaR = 1u << 4;  // third source (FMADD's Ra) or a pair's second data register
inline constexpr Roles kVaW = 1u << 5;  // a pair load's second destination
// X register slots.
inline constexpr Roles kXdW = 1u << 6;  // writes X[d] (UMOV, FMOV Xd, FCVTZS Xd, ...)
inline constexpr Roles kXnR = 1u << 7;  // reads X[n] (DUP from a general register, SCVTF, a base register)
inline constexpr Roles kXmR = 1u << 8;  // reads X[m] (register offset or post-index register)
inline constexpr Roles kXnWb = 1u << 9;  // writes the base X[n] back when the form has writeback
// PSTATE.NZCV.
inline constexpr Roles kFlagsW = 1u << 10;  // FCMP, FCCMP
inline constexpr Roles kFlagsR = 1u << 11;  // FCSEL, FCCMP

// Address mode (loads and stores only), bits [15:12].
inline constexpr unsigned kAmShift = 12;
inline constexpr Roles kAmMask = 0xfu << kAmShift;
inline constexpr Roles kAmBaseImm = 1u << kAmShift;   // X[n] + imm
inline constexpr Roles kAmBase = 2u << kAmShift;      // X[n]
inline constexpr Roles kAmBaseReg = 3u << kAmShift;   // X[n] + extended X[m]
inline constexpr Roles kAmLiteral = 4u << kAmShift;   // PC-relative, resolved at decode (imm)
// Single register, bits [11:10]: 01 post-index (X[n]), otherwise X[n] + imm.
inline constexpr Roles kAmSingleIdx = 5u << kAmShift;
// Pair, bits [24:23]: 01 post-index (X[n]), otherwise X[n] + imm.
inline constexpr Roles kAmPairIdx = 6u << kAmShift;
// Structure loads/stores: post-index when bit 23 is set, always at X[n].
inline constexpr Roles kAmStruct = 7u << kAmShift;

inline constexpr Roles kNone = 0;

}  // namespace cpu::decoder::roles
