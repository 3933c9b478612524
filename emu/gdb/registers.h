// The registers gdb sees, in gdb's numbering (the order of the target description): the
// org.gnu.gdb.aarch64.core feature (x0-x30, sp, pc, cpsr), org.gnu.gdb.aarch64.fpu
// (v0-v31, fpsr, fpcr) and org.pmuemu.aarch64.sysregs (the EL1 system registers a kernel
// developer reads and every PMUv3 register), each with the KVM ONE_REG id it is read and
// written through.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pmuemu::gdb {

enum class RegKind : uint8_t {
  kPlain,  // one ONE_REG id
  kSp,     // the stack pointer PSTATE selects: SP_EL0, or SP_EL1 at EL1 with SPSel = 1
};

struct RegDesc {
  std::string name;
  unsigned bits;        // 32, 64 or 128
  std::string type;     // the target description's type
  std::string feature;  // "core", "fpu" or "sysregs"
  RegKind kind;
  uint64_t one_reg;     // kPlain: the id (kSp: SP_EL0's)
};

// Every register, index = gdb register number.
std::span<const RegDesc> registers();
// The registers of the g and G packets: core and fpu (the system registers are read one by
// one with p, which gdb does for registers past the end of g's reply).
size_t g_register_count();
// The target description annexes served by qXfer:features:read ("target.xml" includes the
// other two); nullopt for an unknown annex.
std::optional<std::string> target_description(std::string_view annex);

}  // namespace pmuemu::gdb
