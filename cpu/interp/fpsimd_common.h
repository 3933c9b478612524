// Shared by the SIMD&FP handlers (fp_*.cpp, simd_*.cpp): register-file access, FPCR/FPSR,
// and the CPACR_EL1.FPEN access check.
#pragma once

#include "cpu/arch/esr.h"
#include "cpu/core.h"
#include "cpu/fp/fp.h"
#include "cpu/fp/fp_fast.h"

namespace cpu::interp {

inline uint32_t fpcr(const Core& c) { return static_cast<uint32_t>(c.sysreg(SysSlot::FPCR)); }
// The cumulative exception bits of FPSR (Arm ARM D17.2.62): an operation only ever sets them.
inline void raise(Core& c, uint32_t flags) {
  const uint64_t fpsr = c.sysreg(SysSlot::FPSR);
  if ((fpsr | flags) != fpsr) c.set_sysreg(SysSlot::FPSR, fpsr | flags);
}
// An operation's environment: FPCR, and the cumulative flags FPSR already holds (raising
// one of those again changes nothing, which the fast paths use to skip work).
inline fp::Env fp_env(const Core& c) {
  return fp::Env{fpcr(c), static_cast<uint32_t>(c.sysreg(SysSlot::FPSR)) & fp::kCumulativeFlags};
}

inline VReg& V(Core& c, unsigned n) { return c.state().v[n & 31]; }

// A write of a scalar (B/H/S/D) or a 64-bit vector result clears the rest of the register
// (Arm ARM V[] setter: bits above the written width become zero).
inline void set_v64(Core& c, unsigned n, uint64_t lo) { c.state().v[n & 31].d = {lo, 0}; }
inline void set_v128(Core& c, unsigned n, uint64_t lo, uint64_t hi) { c.state().v[n & 31].d = {lo, hi}; }

// CPACR_EL1.FPEN (Arm ARM D19.2.30, AArch64.CheckFPAdvSIMDEnabled): 0b01 traps EL0 only,
// 0b11 traps nothing, 0b00 and 0b10 trap EL0 and EL1. EL2 is not modelled inside the
// guest core, so CPTR_EL2 does not apply.
inline bool fp_enabled(const Core& c) {
  const unsigned fpen = static_cast<unsigned>(c.sysreg(SysSlot::CPACR_EL1) >> 20) & 3u;
  return fpen == 3u || (fpen == 1u && c.state().el != 0);
}

// The trap itself: EC 0x07 to EL1, preferred return the instruction. The ISS of a trapped
// AArch64 instruction has CV = 1 and COND = 0b1110 (Arm ARM D19.2 ESR_ELx, "ISS encoding
// for an exception from an access to SIMD or floating-point functionality": the
// condition fields are only meaningful for AArch32, and AArch64 reports "always").
inline constexpr uint32_t kFpTrapIss = (1u << 24) | (0xEu << 20);
inline Flow fp_trap(Core& c, const DecodedInst& i) {
  return c.take_sync_exception(arch::esr::make(arch::esr::Ec::kFpAccess, kFpTrapIss), i.pc);
}

// A lane-wise (exact) handler and its packed form (cpu/fp/fp_packed.h), compiled for the
// host's FMA; host_handler() in fp_scalar.cpp and fp_vector.cpp chooses between them once,
// at predecode, from their own tables.
struct PackedPair {
  Handler exact, packed;
};
template <size_t K>
Handler packed_if_fma(Handler h, const PackedPair (&pairs)[K]) {
  if (fp::fast::has_fma())
    for (const PackedPair& p : pairs)
      if (p.exact == h) return p.packed;
  return h;
}

}  // namespace cpu::interp
