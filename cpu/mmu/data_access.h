// The slow path of guest data accesses: what the interpreter's inline fast path (a RAM
// bounds check with the MMU off, the fast TLB with it on) does not complete. It performs
// the architectural checks in priority order (SCTLR_EL1.A alignment, translation faults,
// alignment faults caused by Device memory, permission faults), then either accesses RAM
// or leaves run() with an MMIO exit, as KVM does for a stage-2 fault outside every memory
// slot (KVM_EXIT_MMIO when the syndrome is valid, KVM_EXIT_ARM_NISV otherwise).
#pragma once

#include <cstdint>

#include "cpu/core.h"
#include "cpu/mmu/walk.h"

namespace cpu::mmu {

// The static description of one data access, fixed per handler.
struct DataAccess {
  uint16_t size;        // bytes transferred (a pair: both registers; DC ZVA: the block)
  uint16_t align;       // element size: the unit of SCTLR.A and Device alignment checks
  AccessType type;      // kRead or kWrite; read-modify-write accesses are kWrite (WnR = 1)
  bool unpriv = false;  // LDTR/STTR: EL0 permissions even at EL1
  // ESR ISV = 1 (Arm ARM D19.2 ESR_ELx ISS encoding for a Data Abort): a single
  // general-purpose register load or store without writeback, not exclusive and not an
  // atomic. Only these become ExitReason::kMmio.
  bool syndrome = false;
  bool sign_extend = false;  // SSE
  bool sixty_four = false;   // SF: the register is an X register
  bool device_faults = false;  // any access to Device memory is an Alignment fault (DC ZVA)
};

// Completes an access at va that the fast path missed, copying between buf (a.size bytes,
// little-endian) and guest RAM. Returns Flow::kNext when done, Flow::kRestart when a store
// wrote a page holding decoded code; any other flow is what the handler must return (an
// abort was taken, or the access became an MMIO exit).
Flow access_slow(Core& c, const DecodedInst& inst, uint64_t va, const DataAccess& a, uint8_t* buf);

// For accesses that need the memory itself (exclusives, atomics, DC ZVA): resolves a
// naturally aligned va to its host address in RAM. Returns Flow::kNext with host set, or
// the flow to return (abort, or an MMIO exit without syndrome).
Flow resolve_slow(Core& c, const DecodedInst& inst, uint64_t va, const DataAccess& a, uint8_t*& host);

}  // namespace cpu::mmu
