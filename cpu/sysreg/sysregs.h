// The system registers the core itself implements, as one table: encoding, name, storage
// slot, EL0 access rule, reset value and read/write hooks. Registers marked kTrap (the PMU)
// are not the core's: accesses go to the SysRegPort with an EC 0x18 syndrome.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "cpu/arch/sysreg_key.h"
#include "cpu/core.h"

namespace cpu::sysreg {

// When an EL0 access is allowed; a failed condition traps to EL1 with EC 0x18, except
// kNever which is UNDEFINED at EL0 (Arm ARM D1.x "configurable instruction controls").
enum class El0 : uint8_t { kNever, kAlways, kUma, kUct, kDze, kUci, kReadOnly };

enum class Kind : uint8_t { kSlot, kCustom, kTrap };

struct Info {
  std::string_view name;
  arch::SysRegKey key;
  Kind kind;
  SysSlot slot;
  El0 el0;
  bool readable;
  bool writable;
  uint64_t reset;
  uint64_t (*read)(const Core&);         // kCustom reads
  void (*write)(Core&, uint64_t);        // kCustom writes; on a kSlot row, an optional guest
                                         // write hook that stores and applies side effects
};

std::span<const Info> table();
// O(1): a 64K-entry index by SysRegKey::index(); -1 when the encoding is not implemented.
int find(arch::SysRegKey key);
const Info& at(int idx);

// Resets every slot-backed register to its table reset value.
void reset_all(Core& core);

}  // namespace cpu::sysreg
