// SysRegKey: the (op0, op1, CRn, CRm, op2) name of a system register, and its three codecs:
// MRS/MSR instruction bits, the ESR_ELx ISS of an EC 0x18 trap, and the KVM ONE_REG id.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

#include "cpu/arch/bits.h"

namespace arch {

struct SysRegKey {
  uint8_t op0 = 0, op1 = 0, crn = 0, crm = 0, op2 = 0;

  constexpr auto operator<=>(const SysRegKey&) const = default;

  // A dense 16-bit index: op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2. Same layout as the
  // low bits of the ONE_REG id, which makes O(1) table lookups by encoding possible.
  constexpr uint16_t index() const {
    return static_cast<uint16_t>((op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2);
  }
  static constexpr SysRegKey from_index(uint16_t i) {
    return {static_cast<uint8_t>(i >> 14), static_cast<uint8_t>((i >> 11) & 7),
            static_cast<uint8_t>((i >> 7) & 15), static_cast<uint8_t>((i >> 3) & 15),
            static_cast<uint8_t>(i & 7)};
  }

  // MRS/MSR (register) word: op0 is encoded as o0 = op0-2 in bit 19 (Arm ARM C5.2.x).
  static constexpr SysRegKey from_mrs_bits(uint32_t insn) {
    return {static_cast<uint8_t>(2 + bit<19>(insn)), static_cast<uint8_t>(bits<18, 16>(insn)),
            static_cast<uint8_t>(bits<15, 12>(insn)), static_cast<uint8_t>(bits<11, 8>(insn)),
            static_cast<uint8_t>(bits<7, 5>(insn))};
  }

  // ISS of ESR_ELx for EC 0x18 (trapped MSR/MRS/System instruction), Arm ARM D17.2.37:
  // Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10] Rt[9:5] CRm[4:1] Direction[0] (1 = read).
  constexpr uint32_t to_esr_iss(unsigned rt, bool is_read) const {
    return (uint32_t{op0} << 20) | (uint32_t{op2} << 17) | (uint32_t{op1} << 14) |
           (uint32_t{crn} << 10) | (rt << 5) | (uint32_t{crm} << 1) | (is_read ? 1u : 0u);
  }
  static constexpr SysRegKey from_esr_iss(uint32_t iss) {
    return {static_cast<uint8_t>(bits<21, 20>(iss)), static_cast<uint8_t>(bits<16, 14>(iss)),
            static_cast<uint8_t>(bits<13, 10>(iss)), static_cast<uint8_t>(bits<4, 1>(iss)),
            static_cast<uint8_t>(bits<19, 17>(iss))};
  }

  // The five encoding fields of an EC 0x18 ISS kept in ISS order (Op0 Op2 Op1 CRn, then
  // CRm), Rt and Direction dropped: a 16-bit table index two shifts away from the ISS, for
  // dispatch on the trap path without unpacking the fields.
  static constexpr uint16_t iss_index(uint32_t iss) {
    return static_cast<uint16_t>(((iss >> 6) & 0xfff0) | ((iss >> 1) & 0xf));
  }
  static constexpr SysRegKey from_iss_index(uint16_t i) { return from_esr_iss((uint32_t{i} & 0xfff0) << 6 | (uint32_t{i} & 0xf) << 1); }

  // KVM ONE_REG id: KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | index().
  static constexpr uint64_t kOneRegSysregBase = 0x6030000000130000ull;
  constexpr uint64_t to_one_reg_id() const { return kOneRegSysregBase | index(); }
  // Rejects ids with bits outside the sysreg fields, as the kernel's index_to_params does.
  static constexpr std::optional<SysRegKey> from_one_reg_id(uint64_t id) {
    if ((id & ~uint64_t{0xffff}) != kOneRegSysregBase) return std::nullopt;
    return from_index(static_cast<uint16_t>(id & 0xffff));
  }
};

constexpr SysRegKey sysreg(uint8_t op0, uint8_t op1, uint8_t crn, uint8_t crm, uint8_t op2) {
  return {op0, op1, crn, crm, op2};
}

}  // namespace arch
