// Operand roles of every row of cpu/decoder/a64.inc: which of a DecodedInst's register
// fields (d, n, m, a) name V registers and which name X register slots, whether each is read
// or written, the flags, how a load or store forms its address, and the control-flow facts
// (link register, exception entry/return, end of block). The timing classifier
// (classify.cpp) and the block builder (decoder::ends_block) derive everything from them,
// so a new row states its roles once, beside its pattern.
//
// Convention: a V field holds the register number 0..31; an X field holds the CpuState::r
// slot already resolved for register 31 (rzr/wzr/rsp). The roles name DecodedInst fields,
// not pattern letters: a predecode may keep Rt in d (loads/stores) or in n (CBZ, TBZ, SYS,
// MSR), and the row's roles follow the predecode.
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

// X register slots (integer rows).
inline constexpr Roles kXdR = 1u << 16;  // reads X[d] (MOVK, BFM, a store's data register)
inline constexpr Roles kXaR = 1u << 17;  // reads X[a] (MADD's Ra, a store pair's Rt2)
inline constexpr Roles kXaW = 1u << 18;  // writes X[a] (a load pair's Rt2, CAS's old value)
inline constexpr Roles kXmW = 1u << 19;  // writes X[m] (a store-exclusive's status register)
// Control flow.
inline constexpr Roles kLinkW = 1u << 20;      // writes X30 (BL, BLR)
inline constexpr Roles kExcEntry = 1u << 21;   // retires, then an exception is taken (SVC)
inline constexpr Roles kExcReturn = 1u << 22;  // an exception return (ERET)
inline constexpr Roles kEndsBlock = 1u << 23;  // a basic block ends after it (branches, context changes)
// Rows whose class depends on fields inside the row.
// Integer single-register load/store: opc (bits 23:22) 00 stores X[d], anything else loads
// it, except size 11 opc 10 which is PRFM (a hint: no operands, no access). The row's class
// is kLoad; a load's base writeback completes in the address unit, off the load-use path,
// so only a store lists the written-back base as a destination.
inline constexpr Roles kLdStByOpc = 1u << 24;
// LDR (literal): opc (bits 31:30) 11 is PRFM (literal), a hint.
inline constexpr Roles kLitPrfm = 1u << 25;
// CASP: the register pairs Rs (DecodedInst::f0) and Rt (f1) are read, the pair at f0
// receives the old memory value.
inline constexpr Roles kCasPair = 1u << 26;

inline constexpr Roles kNone = 0;

}  // namespace cpu::decoder::roles
