// The vPMU system-register descriptor table: ONE table, shared by the
// guest-trap path and the ONE_REG path, sorted by encoding and checked at compile time, with
// an O(1) lookup by the 16-bit encoding index. Rows are those of spec 1.2: the 74 registers
// KVM exposes through ONE_REG plus PMMIR_EL1, PMCEID0/1_EL0 and PMXEV{TYPER,CNTR}_EL0.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/vpmu/regs.h"

namespace kvm_model::vpmu {

class VcpuPmu;

// One step of a vCPU reset, for `--trace reset`: a reset function applied to a register (or a
// PMU-level action such as the default-PMU selection or folding a live counter).
struct ResetStep {
  std::string step;  // kernel function, e.g. "reset_pmu_reg (pmcr_n)", "kvm_pmu_vcpu_reset"
  std::string reg;   // register or state name, e.g. "PMCNTENSET_EL0", "kvm->arch.arm_pmu"
  uint64_t before = 0;
  uint64_t after = 0;
};
using ResetTrace = std::vector<ResetStep>;

// Outcome of a guest access (KVM's access handlers return true/false).
enum class AccessResult : uint8_t {
  kHandled,  // "return true": PC += 4, reads deliver regval to X[Rt]
  kUndef,    // kvm_inject_undefined(): EC 0x00, PC unchanged, Rt untouched
};

enum class Visibility : uint8_t { kVisible, kHidden };

// struct sys_reg_params: one trapped MRS/MSR. Its encoding is the row's (SysRegDesc::key):
// the row was found by it, so the handler reads it there instead of a per-trap copy.
struct SysRegParams {
  uint64_t regval = 0;   // in: MSR data; out: MRS result
  bool is_write = false;
  uint8_t el = 1;        // the guest's exception level; vcpu_mode_priv() is el >= 1
};

struct SysRegDesc {
  std::string_view name;
  arch::SysRegKey key;
  Slot slot = Slot::kNone;  // .reg; kNone = no storage
  AccessResult (*access)(VcpuPmu&, SysRegParams&, const SysRegDesc&) = nullptr;
  // Returns the value to store, or nullopt to leave the slot untouched. pcpu: the physical
  // CPU executing the reset (6.6 reads its PMCR_EL0).
  std::optional<uint64_t> (*reset)(const VcpuPmu&, const SysRegDesc&, uint32_t pcpu) = nullptr;
  int (*get_user)(const VcpuPmu&, const SysRegDesc&, uint64_t& out) = nullptr;
  int (*set_user)(VcpuPmu&, const SysRegDesc&, uint64_t val) = nullptr;
  Visibility (*visibility)(const VcpuPmu&, const SysRegDesc&) = nullptr;

  constexpr uint64_t one_reg_id() const { return key.to_one_reg_id(); }
  // Exposed to KVM_GET_REG_LIST / ONE_REG: has storage or a custom getter.
  constexpr bool user_visible() const { return slot != Slot::kNone || get_user != nullptr; }
};

// ---- the guest-trap route: one lookup per trapped access ----
namespace trap {
inline constexpr uint8_t kCounts = 1;       // settle the counters first (access_needs_counts)
inline constexpr uint8_t kClockSettle = 2;  // on the instruction clock, all of them (access_settles_clock)
inline constexpr uint8_t kExitWork = 4;     // a write after which requests and the level are processed
}  // namespace trap
inline constexpr uint8_t kNoRow = 0xff;    // a PMU encoding without a row: UNDEF
inline constexpr uint8_t kForeign = 0xfe;
inline constexpr uint8_t kPmmirRow = 2;    // PMMIR_EL1: trap_raz_wi, visible without the PMU  // not a PMU encoding (the vGIC's, the timer's, ...)
// Row of the table per SysRegKey::iss_index() (or kNoRow, kForeign), and each row's trap
// flags per ISS.Direction (index kNoRow: encodings without a row).
extern const std::array<uint8_t, 65536> kTrapRow;
extern const std::array<std::array<uint8_t, 2>, 256> kTrapFlags;
struct TrapRoute {
  uint8_t row;    // kNoRow: not a vPMU register; kForeign: not a PMU encoding
  uint8_t flags;  // trap::k*
};
inline TrapRoute route_trap(uint32_t esr_iss) {
  const uint8_t row = kTrapRow[arch::SysRegKey::iss_index(esr_iss)];
  return {row, kTrapFlags[row][esr_iss & 1]};
}

// ---- bound routes (cpu::SysRegPort::bind): the route plus what the encoding fixes ----
namespace trap {
// Accesses the trap path serves without the table's access handler: the hot registers of a
// self-profiling guest. Everything that depends on VM or vCPU state (PMU present, PMUSERENR,
// the effective N, the era) is still checked on every access; only the encoding is bound.
enum class Op : uint8_t {
  kRouted,           // the row's access handler
  kCounterRead,      // MRS PMEVCNTR<n>_EL0 / PMCCNTR_EL0 (index fixed)
  kCounterWrite,     // MSR PMEVCNTR<n>_EL0 / PMCCNTR_EL0 (index fixed)
  kSelCounterRead,   // MRS PMXEVCNTR_EL0 (index from PMSELR)
  kTyperRead,        // MRS PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 (index fixed)
  kPmcrRead,         // MRS PMCR_EL0
  kSelrWrite,        // MSR PMSELR_EL0
  kCntenRead,        // MRS PMCNTENSET_EL0 / PMCNTENCLR_EL0
  kTyperWrite,       // MSR PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 (index fixed)
  kCntenWrite,       // MSR PMCNTENSET_EL0 (idx 1) / PMCNTENCLR_EL0 (idx 0)
};
inline constexpr size_t kNumOps = 10;
}  // namespace trap
struct BoundRoute {
  TrapRoute route;
  trap::Op op;
  uint8_t idx;  // the counter a fixed-index op names
};
// Non-zero for every PMU encoding (bound), 0 for the others (the vGIC's, the timer's:
// unbound, they go through the full lookup). Never 0xffffffff.
uint32_t bind_trap(uint32_t esr_iss);
inline BoundRoute unpack_bound(uint32_t route) {
  return {{static_cast<uint8_t>(route), static_cast<uint8_t>(route >> 8)}, static_cast<trap::Op>((route >> 16) & 0xff),
          static_cast<uint8_t>((route >> 24) & 0x1f)};
}

// The table, sorted by SysRegKey::index(): 17 fixed rows, PMEVCNTR<n> and PMEVTYPER<n>.
inline constexpr size_t kNumPmuSysRegs = 17 + 2 * kMaxEventCounters;
extern const std::array<SysRegDesc, kNumPmuSysRegs> kPmuSysRegs;
// The same as a span.
std::span<const SysRegDesc> pmu_sys_reg_table();
// O(1): the row for an encoding, nullptr if it is not a vPMU register.
const SysRegDesc* find_pmu_sys_reg(arch::SysRegKey key);
// Name of the reset function a row runs in the given VcpuPmu's era (for --trace reset).
std::string_view reset_name(const VcpuPmu& v, const SysRegDesc& r);
// kvm_reset_sys_regs(), PMU rows: every row with a reset function, in table order (SET/CLR
// pairs reset their shared slot twice, identically). Used by vcpu_reset().
void reset_pmu_sys_regs(VcpuPmu& v, uint32_t pcpu, ResetTrace* trace);

}  // namespace kvm_model::vpmu
