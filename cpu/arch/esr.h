// Exception syndrome classes and the syndrome builders the interpreter and the KVM model
// share (Arm ARM D17.2.37 ESR_ELx).
#pragma once

#include <cstdint>

namespace arch::esr {

enum class Ec : uint8_t {
  kUnknown = 0x00,        // UNDEFINED instruction
  kWfx = 0x01,
  kFpAccess = 0x07,       // SIMD&FP access trapped by CPACR_EL1.FPEN
  kIllegalState = 0x0E,
  kSvc64 = 0x15,
  kHvc64 = 0x16,
  kSmc64 = 0x17,
  kSys64 = 0x18,          // trapped MSR/MRS/SYS
  kInstAbortLower = 0x20,
  kInstAbortSame = 0x21,
  kPcAlign = 0x22,
  kDataAbortLower = 0x24,
  kDataAbortSame = 0x25,
  kSpAlign = 0x26,
  kBrk64 = 0x3C,
};

inline constexpr uint32_t kIl = 1u << 25;  // 32-bit instruction

constexpr uint32_t make(Ec ec, uint32_t iss, bool il = true) {
  return (uint32_t{static_cast<uint8_t>(ec)} << 26) | (il ? kIl : 0) | (iss & 0x1ffffff);
}

// Data/instruction abort status codes (DFSC/IFSC).
inline constexpr uint32_t kFscAlignment = 0x21;
inline constexpr uint32_t kFscSyncExternal = 0x10;
constexpr uint32_t kFscTranslation(unsigned level) { return 0x04 | level; }
constexpr uint32_t kFscAccessFlag(unsigned level) { return 0x08 | level; }
constexpr uint32_t kFscPermission(unsigned level) { return 0x0C | level; }

inline constexpr uint32_t kIssWnR = 1u << 6;  // data abort caused by a write

}  // namespace arch::esr
