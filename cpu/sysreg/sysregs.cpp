#include "cpu/sysreg/sysregs.h"

#include <algorithm>
#include <array>
#include <memory>

namespace cpu::sysreg {
namespace {

using arch::sysreg;

// SCTLR_EL1 reset: RES1 bits (29:28, 23:22, 20, 11) plus nTWE/nTWI/UCT/DZE/UCI set so EL0
// may use WFI/WFE, CTR_EL0, DC ZVA and cache maintenance, as Linux leaves it.
constexpr uint64_t kSctlrReset = 0x30D00800ull | (1u << 18) | (1u << 16) | (1u << 15) | (1u << 14) |
                                 (1u << 26);

uint64_t read_sp_el0(const Core& c) { return c.state().spsel ? c.state().sp_el0 : c.sp(); }
void write_sp_el0(Core& c, uint64_t v) {
  if (c.state().spsel) c.state().sp_el0 = v; else c.set_sp(v);
}
void write_spsel(Core& c, uint64_t v) { c.switch_sp(c.state().el, static_cast<uint8_t>(v & 1)); }

// Registers stage-1 translation depends on: the write lands in the slot, then the MMU
// drops what the new value makes stale (the TLB for SCTLR.{M,WXN}, TCR and MAIR changes,
// the current context for TTBRn).
template <SysSlot kSlot>
void write_translation_reg(Core& c, uint64_t v) {
  c.set_sysreg(kSlot, v);
  c.sync_translation_regs();
}

constexpr Info kTableRows[] = {
    {"MIDR_EL1", sysreg(3,0,0,0,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().midr; }, nullptr},
    {"MPIDR_EL1", sysreg(3,0,0,0,5), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().mpidr; }, nullptr},
    {"REVIDR_EL1", sysreg(3,0,0,0,6), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().revidr; }, nullptr},
    {"ID_AA64PFR0_EL1", sysreg(3,0,0,4,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64pfr0; }, nullptr},
    {"ID_AA64PFR1_EL1", sysreg(3,0,0,4,1), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64pfr1; }, nullptr},
    {"ID_AA64DFR0_EL1", sysreg(3,0,0,5,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64dfr0; }, nullptr},
    {"ID_AA64DFR1_EL1", sysreg(3,0,0,5,1), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64dfr1; }, nullptr},
    {"ID_AA64ISAR0_EL1", sysreg(3,0,0,6,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64isar0; }, nullptr},
    {"ID_AA64ISAR1_EL1", sysreg(3,0,0,6,1), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64isar1; }, nullptr},
    {"ID_AA64ISAR2_EL1", sysreg(3,0,0,6,2), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64isar2; }, nullptr},
    {"ID_AA64ZFR0_EL1", sysreg(3,0,0,4,4), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64zfr0; }, nullptr},
    {"ID_AA64MMFR0_EL1", sysreg(3,0,0,7,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64mmfr0; }, nullptr},
    {"ID_AA64MMFR1_EL1", sysreg(3,0,0,7,1), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64mmfr1; }, nullptr},
    {"ID_AA64MMFR2_EL1", sysreg(3,0,0,7,2), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().id_aa64mmfr2; }, nullptr},
    // The rest of the ID register space (op0 3, op1 0, CRn 0, CRm 1-7): the encodings this
    // table has no row for are reserved, RAZ at EL1 (Arm ARM D19.1.1, "Reserved ID
    // registers"; AArch32 ID registers read UNKNOWN without AArch32, 0 here as under KVM),
    // UNDEFINED at EL0 without FEAT_IDST. Index() maps every such encoding to this row.
    {"reserved ID register", sysreg(3,0,0,7,7), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core&) -> uint64_t { return 0; }, nullptr},
    {"CLIDR_EL1", sysreg(3,1,0,0,1), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().clidr; }, nullptr},
    {"CTR_EL0", sysreg(3,3,0,0,1), Kind::kCustom, SysSlot::kCount, El0::kUct, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().ctr; }, nullptr},
    {"DCZID_EL0", sysreg(3,3,0,0,7), Kind::kCustom, SysSlot::kCount, El0::kReadOnly, true, false, 0, [](const Core& c) -> uint64_t { return c.ids().dczid; }, nullptr},
    {"CCSIDR_EL1", sysreg(3,1,0,0,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core&) -> uint64_t { return 0x700fe01a; }, nullptr},
    {"AIDR_EL1", sysreg(3,1,0,0,7), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core&) -> uint64_t { return 0; }, nullptr},
    {"CSSELR_EL1", sysreg(3,2,0,0,0), Kind::kSlot, SysSlot::CSSELR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"SCTLR_EL1", sysreg(3,0,1,0,0), Kind::kSlot, SysSlot::SCTLR_EL1, El0::kNever, true, true, kSctlrReset, nullptr, &write_translation_reg<SysSlot::SCTLR_EL1>},
    {"ACTLR_EL1", sysreg(3,0,1,0,1), Kind::kSlot, SysSlot::ACTLR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"CPACR_EL1", sysreg(3,0,1,0,2), Kind::kSlot, SysSlot::CPACR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"TTBR0_EL1", sysreg(3,0,2,0,0), Kind::kSlot, SysSlot::TTBR0_EL1, El0::kNever, true, true, 0, nullptr, &write_translation_reg<SysSlot::TTBR0_EL1>},
    {"TTBR1_EL1", sysreg(3,0,2,0,1), Kind::kSlot, SysSlot::TTBR1_EL1, El0::kNever, true, true, 0, nullptr, &write_translation_reg<SysSlot::TTBR1_EL1>},
    {"TCR_EL1", sysreg(3,0,2,0,2), Kind::kSlot, SysSlot::TCR_EL1, El0::kNever, true, true, 0, nullptr, &write_translation_reg<SysSlot::TCR_EL1>},
    {"AFSR0_EL1", sysreg(3,0,5,1,0), Kind::kSlot, SysSlot::AFSR0_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"AFSR1_EL1", sysreg(3,0,5,1,1), Kind::kSlot, SysSlot::AFSR1_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"ESR_EL1", sysreg(3,0,5,2,0), Kind::kSlot, SysSlot::ESR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"FAR_EL1", sysreg(3,0,6,0,0), Kind::kSlot, SysSlot::FAR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"PAR_EL1", sysreg(3,0,7,4,0), Kind::kSlot, SysSlot::PAR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"MAIR_EL1", sysreg(3,0,10,2,0), Kind::kSlot, SysSlot::MAIR_EL1, El0::kNever, true, true, 0, nullptr, &write_translation_reg<SysSlot::MAIR_EL1>},
    {"AMAIR_EL1", sysreg(3,0,10,3,0), Kind::kSlot, SysSlot::AMAIR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"VBAR_EL1", sysreg(3,0,12,0,0), Kind::kSlot, SysSlot::VBAR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"CONTEXTIDR_EL1", sysreg(3,0,13,0,1), Kind::kSlot, SysSlot::CONTEXTIDR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"TPIDR_EL1", sysreg(3,0,13,0,4), Kind::kSlot, SysSlot::TPIDR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"CNTKCTL_EL1", sysreg(3,0,14,1,0), Kind::kSlot, SysSlot::CNTKCTL_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"TPIDR_EL0", sysreg(3,3,13,0,2), Kind::kSlot, SysSlot::TPIDR_EL0, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"TPIDRRO_EL0", sysreg(3,3,13,0,3), Kind::kCustom, SysSlot::kCount, El0::kReadOnly, true, true, 0, [](const Core& c) { return c.sysreg(SysSlot::TPIDRRO_EL0); }, [](Core& c, uint64_t v) { c.set_sysreg(SysSlot::TPIDRRO_EL0, v); }},
    {"ELR_EL1", sysreg(3,0,4,0,1), Kind::kSlot, SysSlot::ELR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"SPSR_EL1", sysreg(3,0,4,0,0), Kind::kSlot, SysSlot::SPSR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"SP_EL0", sysreg(3,0,4,1,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, true, 0, &read_sp_el0, &write_sp_el0},
    {"SPSel", sysreg(3,0,4,2,0), Kind::kCustom, SysSlot::kCount, El0::kNever, true, true, 0, [](const Core& c) -> uint64_t { return c.state().spsel; }, &write_spsel},
    {"CurrentEL", sysreg(3,0,4,2,2), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) -> uint64_t { return uint64_t{c.state().el} << 2; }, nullptr},
    {"DAIF", sysreg(3,3,4,2,1), Kind::kCustom, SysSlot::kCount, El0::kUma, true, true, 0, [](const Core& c) -> uint64_t { return c.state().daif; }, [](Core& c, uint64_t v) { c.state().daif = static_cast<uint32_t>(v & 0x3c0); }},
    {"NZCV", sysreg(3,3,4,2,0), Kind::kCustom, SysSlot::kCount, El0::kAlways, true, true, 0, [](const Core& c) -> uint64_t { return c.state().nzcv; }, [](Core& c, uint64_t v) { c.state().nzcv = static_cast<uint32_t>(v & 0xf0000000u); }},
    {"FPCR", sysreg(3,3,4,4,0), Kind::kCustom, SysSlot::kCount, El0::kAlways, true, true, 0, [](const Core& c) { return c.sysreg(SysSlot::FPCR); }, [](Core& c, uint64_t v) { c.set_sysreg(SysSlot::FPCR, v & 0x07ff9f00); }},
    {"FPSR", sysreg(3,3,4,4,1), Kind::kCustom, SysSlot::kCount, El0::kAlways, true, true, 0, [](const Core& c) { return c.sysreg(SysSlot::FPSR); }, [](Core& c, uint64_t v) { c.set_sysreg(SysSlot::FPSR, v & 0xf800009f); }},
    {"MDSCR_EL1", sysreg(2,0,0,2,2), Kind::kSlot, SysSlot::MDSCR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"MDCCINT_EL1", sysreg(2,0,0,2,0), Kind::kSlot, SysSlot::MDCCINT_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"OSLAR_EL1", sysreg(2,0,1,0,4), Kind::kCustom, SysSlot::kCount, El0::kNever, false, true, 0, nullptr, [](Core& c, uint64_t v) { c.set_sysreg(SysSlot::OSLSR_EL1, (c.sysreg(SysSlot::OSLSR_EL1) & ~uint64_t{2}) | ((v & 1) << 1)); }},
    {"OSLSR_EL1", sysreg(2,0,1,1,4), Kind::kCustom, SysSlot::kCount, El0::kNever, true, false, 0, [](const Core& c) { return c.sysreg(SysSlot::OSLSR_EL1); }, nullptr},
    {"OSDLR_EL1", sysreg(2,0,1,3,4), Kind::kSlot, SysSlot::OSDLR_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    // Breakpoints and watchpoints: storage only (no debug events are generated; the guest
    // kernel programs them only when a debugger or perf asks). All 16 of each exist here,
    // whatever ID_AA64DFR0_EL1.{BRPs,WRPs} advertise.
    {"DBGBVR0_EL1", sysreg(2,0,0,0,4), Kind::kSlot, SysSlot::DBGBVR0_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR1_EL1", sysreg(2,0,0,1,4), Kind::kSlot, SysSlot::DBGBVR1_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR2_EL1", sysreg(2,0,0,2,4), Kind::kSlot, SysSlot::DBGBVR2_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR3_EL1", sysreg(2,0,0,3,4), Kind::kSlot, SysSlot::DBGBVR3_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR4_EL1", sysreg(2,0,0,4,4), Kind::kSlot, SysSlot::DBGBVR4_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR5_EL1", sysreg(2,0,0,5,4), Kind::kSlot, SysSlot::DBGBVR5_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR6_EL1", sysreg(2,0,0,6,4), Kind::kSlot, SysSlot::DBGBVR6_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR7_EL1", sysreg(2,0,0,7,4), Kind::kSlot, SysSlot::DBGBVR7_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR8_EL1", sysreg(2,0,0,8,4), Kind::kSlot, SysSlot::DBGBVR8_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR9_EL1", sysreg(2,0,0,9,4), Kind::kSlot, SysSlot::DBGBVR9_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR10_EL1", sysreg(2,0,0,10,4), Kind::kSlot, SysSlot::DBGBVR10_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR11_EL1", sysreg(2,0,0,11,4), Kind::kSlot, SysSlot::DBGBVR11_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR12_EL1", sysreg(2,0,0,12,4), Kind::kSlot, SysSlot::DBGBVR12_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR13_EL1", sysreg(2,0,0,13,4), Kind::kSlot, SysSlot::DBGBVR13_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR14_EL1", sysreg(2,0,0,14,4), Kind::kSlot, SysSlot::DBGBVR14_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBVR15_EL1", sysreg(2,0,0,15,4), Kind::kSlot, SysSlot::DBGBVR15_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR0_EL1", sysreg(2,0,0,0,5), Kind::kSlot, SysSlot::DBGBCR0_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR1_EL1", sysreg(2,0,0,1,5), Kind::kSlot, SysSlot::DBGBCR1_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR2_EL1", sysreg(2,0,0,2,5), Kind::kSlot, SysSlot::DBGBCR2_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR3_EL1", sysreg(2,0,0,3,5), Kind::kSlot, SysSlot::DBGBCR3_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR4_EL1", sysreg(2,0,0,4,5), Kind::kSlot, SysSlot::DBGBCR4_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR5_EL1", sysreg(2,0,0,5,5), Kind::kSlot, SysSlot::DBGBCR5_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR6_EL1", sysreg(2,0,0,6,5), Kind::kSlot, SysSlot::DBGBCR6_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR7_EL1", sysreg(2,0,0,7,5), Kind::kSlot, SysSlot::DBGBCR7_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR8_EL1", sysreg(2,0,0,8,5), Kind::kSlot, SysSlot::DBGBCR8_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR9_EL1", sysreg(2,0,0,9,5), Kind::kSlot, SysSlot::DBGBCR9_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR10_EL1", sysreg(2,0,0,10,5), Kind::kSlot, SysSlot::DBGBCR10_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR11_EL1", sysreg(2,0,0,11,5), Kind::kSlot, SysSlot::DBGBCR11_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR12_EL1", sysreg(2,0,0,12,5), Kind::kSlot, SysSlot::DBGBCR12_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR13_EL1", sysreg(2,0,0,13,5), Kind::kSlot, SysSlot::DBGBCR13_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR14_EL1", sysreg(2,0,0,14,5), Kind::kSlot, SysSlot::DBGBCR14_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGBCR15_EL1", sysreg(2,0,0,15,5), Kind::kSlot, SysSlot::DBGBCR15_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR0_EL1", sysreg(2,0,0,0,6), Kind::kSlot, SysSlot::DBGWVR0_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR1_EL1", sysreg(2,0,0,1,6), Kind::kSlot, SysSlot::DBGWVR1_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR2_EL1", sysreg(2,0,0,2,6), Kind::kSlot, SysSlot::DBGWVR2_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR3_EL1", sysreg(2,0,0,3,6), Kind::kSlot, SysSlot::DBGWVR3_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR4_EL1", sysreg(2,0,0,4,6), Kind::kSlot, SysSlot::DBGWVR4_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR5_EL1", sysreg(2,0,0,5,6), Kind::kSlot, SysSlot::DBGWVR5_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR6_EL1", sysreg(2,0,0,6,6), Kind::kSlot, SysSlot::DBGWVR6_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR7_EL1", sysreg(2,0,0,7,6), Kind::kSlot, SysSlot::DBGWVR7_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR8_EL1", sysreg(2,0,0,8,6), Kind::kSlot, SysSlot::DBGWVR8_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR9_EL1", sysreg(2,0,0,9,6), Kind::kSlot, SysSlot::DBGWVR9_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR10_EL1", sysreg(2,0,0,10,6), Kind::kSlot, SysSlot::DBGWVR10_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR11_EL1", sysreg(2,0,0,11,6), Kind::kSlot, SysSlot::DBGWVR11_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR12_EL1", sysreg(2,0,0,12,6), Kind::kSlot, SysSlot::DBGWVR12_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR13_EL1", sysreg(2,0,0,13,6), Kind::kSlot, SysSlot::DBGWVR13_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR14_EL1", sysreg(2,0,0,14,6), Kind::kSlot, SysSlot::DBGWVR14_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWVR15_EL1", sysreg(2,0,0,15,6), Kind::kSlot, SysSlot::DBGWVR15_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR0_EL1", sysreg(2,0,0,0,7), Kind::kSlot, SysSlot::DBGWCR0_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR1_EL1", sysreg(2,0,0,1,7), Kind::kSlot, SysSlot::DBGWCR1_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR2_EL1", sysreg(2,0,0,2,7), Kind::kSlot, SysSlot::DBGWCR2_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR3_EL1", sysreg(2,0,0,3,7), Kind::kSlot, SysSlot::DBGWCR3_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR4_EL1", sysreg(2,0,0,4,7), Kind::kSlot, SysSlot::DBGWCR4_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR5_EL1", sysreg(2,0,0,5,7), Kind::kSlot, SysSlot::DBGWCR5_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR6_EL1", sysreg(2,0,0,6,7), Kind::kSlot, SysSlot::DBGWCR6_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR7_EL1", sysreg(2,0,0,7,7), Kind::kSlot, SysSlot::DBGWCR7_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR8_EL1", sysreg(2,0,0,8,7), Kind::kSlot, SysSlot::DBGWCR8_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR9_EL1", sysreg(2,0,0,9,7), Kind::kSlot, SysSlot::DBGWCR9_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR10_EL1", sysreg(2,0,0,10,7), Kind::kSlot, SysSlot::DBGWCR10_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR11_EL1", sysreg(2,0,0,11,7), Kind::kSlot, SysSlot::DBGWCR11_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR12_EL1", sysreg(2,0,0,12,7), Kind::kSlot, SysSlot::DBGWCR12_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR13_EL1", sysreg(2,0,0,13,7), Kind::kSlot, SysSlot::DBGWCR13_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR14_EL1", sysreg(2,0,0,14,7), Kind::kSlot, SysSlot::DBGWCR14_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    {"DBGWCR15_EL1", sysreg(2,0,0,15,7), Kind::kSlot, SysSlot::DBGWCR15_EL1, El0::kNever, true, true, 0, nullptr, nullptr},
    // GICv3 CPU interface and generic timer: owned by the interrupt controller and timer
    // models (under KVM, the in-kernel vGIC and arch timer), reached through the port.
    {"ICC_PMR_EL1", sysreg(3,0,4,6,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_IAR0_EL1", sysreg(3,0,12,8,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_EOIR0_EL1", sysreg(3,0,12,8,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_HPPIR0_EL1", sysreg(3,0,12,8,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_BPR0_EL1", sysreg(3,0,12,8,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP0R0_EL1", sysreg(3,0,12,8,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP0R1_EL1", sysreg(3,0,12,8,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP0R2_EL1", sysreg(3,0,12,8,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP0R3_EL1", sysreg(3,0,12,8,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP1R0_EL1", sysreg(3,0,12,9,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP1R1_EL1", sysreg(3,0,12,9,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP1R2_EL1", sysreg(3,0,12,9,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_AP1R3_EL1", sysreg(3,0,12,9,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_DIR_EL1", sysreg(3,0,12,11,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_RPR_EL1", sysreg(3,0,12,11,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_SGI1R_EL1", sysreg(3,0,12,11,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_ASGI1R_EL1", sysreg(3,0,12,11,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_SGI0R_EL1", sysreg(3,0,12,11,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_IAR1_EL1", sysreg(3,0,12,12,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_EOIR1_EL1", sysreg(3,0,12,12,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_HPPIR1_EL1", sysreg(3,0,12,12,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_BPR1_EL1", sysreg(3,0,12,12,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_CTLR_EL1", sysreg(3,0,12,12,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_SRE_EL1", sysreg(3,0,12,12,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_IGRPEN0_EL1", sysreg(3,0,12,12,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"ICC_IGRPEN1_EL1", sysreg(3,0,12,12,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTFRQ_EL0", sysreg(3,3,14,0,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTPCT_EL0", sysreg(3,3,14,0,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTVCT_EL0", sysreg(3,3,14,0,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTP_TVAL_EL0", sysreg(3,3,14,2,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTP_CTL_EL0", sysreg(3,3,14,2,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTP_CVAL_EL0", sysreg(3,3,14,2,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTV_TVAL_EL0", sysreg(3,3,14,3,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTV_CTL_EL0", sysreg(3,3,14,3,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"CNTV_CVAL_EL0", sysreg(3,3,14,3,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    // PMUv3: owned by the PMU (bare) or the hypervisor (KVM).
    {"PMCR_EL0", sysreg(3,3,9,12,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMCNTENSET_EL0", sysreg(3,3,9,12,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMCNTENCLR_EL0", sysreg(3,3,9,12,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMOVSCLR_EL0", sysreg(3,3,9,12,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMSWINC_EL0", sysreg(3,3,9,12,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMSELR_EL0", sysreg(3,3,9,12,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMCEID0_EL0", sysreg(3,3,9,12,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMCEID1_EL0", sysreg(3,3,9,12,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMCCNTR_EL0", sysreg(3,3,9,13,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMXEVTYPER_EL0", sysreg(3,3,9,13,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMXEVCNTR_EL0", sysreg(3,3,9,13,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMUSERENR_EL0", sysreg(3,3,9,14,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMOVSSET_EL0", sysreg(3,3,9,14,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMINTENSET_EL1", sysreg(3,0,9,14,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMINTENCLR_EL1", sysreg(3,0,9,14,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMMIR_EL1", sysreg(3,0,9,14,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMCCFILTR_EL0", sysreg(3,3,14,15,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR0_EL0", sysreg(3,3,14,8,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR1_EL0", sysreg(3,3,14,8,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR2_EL0", sysreg(3,3,14,8,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR3_EL0", sysreg(3,3,14,8,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR4_EL0", sysreg(3,3,14,8,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR5_EL0", sysreg(3,3,14,8,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR6_EL0", sysreg(3,3,14,8,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR7_EL0", sysreg(3,3,14,8,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR8_EL0", sysreg(3,3,14,9,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR9_EL0", sysreg(3,3,14,9,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR10_EL0", sysreg(3,3,14,9,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR11_EL0", sysreg(3,3,14,9,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR12_EL0", sysreg(3,3,14,9,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR13_EL0", sysreg(3,3,14,9,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR14_EL0", sysreg(3,3,14,9,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR15_EL0", sysreg(3,3,14,9,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR16_EL0", sysreg(3,3,14,10,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR17_EL0", sysreg(3,3,14,10,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR18_EL0", sysreg(3,3,14,10,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR19_EL0", sysreg(3,3,14,10,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR20_EL0", sysreg(3,3,14,10,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR21_EL0", sysreg(3,3,14,10,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR22_EL0", sysreg(3,3,14,10,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR23_EL0", sysreg(3,3,14,10,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR24_EL0", sysreg(3,3,14,11,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR25_EL0", sysreg(3,3,14,11,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR26_EL0", sysreg(3,3,14,11,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR27_EL0", sysreg(3,3,14,11,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR28_EL0", sysreg(3,3,14,11,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR29_EL0", sysreg(3,3,14,11,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVCNTR30_EL0", sysreg(3,3,14,11,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER0_EL0", sysreg(3,3,14,12,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER1_EL0", sysreg(3,3,14,12,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER2_EL0", sysreg(3,3,14,12,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER3_EL0", sysreg(3,3,14,12,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER4_EL0", sysreg(3,3,14,12,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER5_EL0", sysreg(3,3,14,12,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER6_EL0", sysreg(3,3,14,12,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER7_EL0", sysreg(3,3,14,12,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER8_EL0", sysreg(3,3,14,13,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER9_EL0", sysreg(3,3,14,13,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER10_EL0", sysreg(3,3,14,13,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER11_EL0", sysreg(3,3,14,13,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER12_EL0", sysreg(3,3,14,13,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER13_EL0", sysreg(3,3,14,13,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER14_EL0", sysreg(3,3,14,13,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER15_EL0", sysreg(3,3,14,13,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER16_EL0", sysreg(3,3,14,14,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER17_EL0", sysreg(3,3,14,14,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER18_EL0", sysreg(3,3,14,14,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER19_EL0", sysreg(3,3,14,14,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER20_EL0", sysreg(3,3,14,14,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER21_EL0", sysreg(3,3,14,14,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER22_EL0", sysreg(3,3,14,14,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER23_EL0", sysreg(3,3,14,14,7), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER24_EL0", sysreg(3,3,14,15,0), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER25_EL0", sysreg(3,3,14,15,1), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER26_EL0", sysreg(3,3,14,15,2), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER27_EL0", sysreg(3,3,14,15,3), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER28_EL0", sysreg(3,3,14,15,4), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER29_EL0", sysreg(3,3,14,15,5), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
    {"PMEVTYPER30_EL0", sysreg(3,3,14,15,6), Kind::kTrap, SysSlot::kCount, El0::kAlways, true, true, 0, nullptr, nullptr},
};
constexpr std::span<const Info> kTable{kTableRows};

constexpr bool keys_unique() {
  for (size_t i = 0; i < kTable.size(); ++i)
    for (size_t j = i + 1; j < kTable.size(); ++j)
      if (kTable[i].key == kTable[j].key) return false;
  return true;
}
static_assert(keys_unique(), "two system-register rows share an encoding");

struct Index {
  std::unique_ptr<std::array<int16_t, 65536>> by_key = std::make_unique<std::array<int16_t, 65536>>();
  Index() {
    by_key->fill(-1);
    for (size_t i = 0; i < kTable.size(); ++i) (*by_key)[kTable[i].key.index()] = static_cast<int16_t>(i);
    const int16_t reserved_id = (*by_key)[sysreg(3, 0, 0, 7, 7).index()];
    for (uint8_t crm = 1; crm <= 7; ++crm)
      for (uint8_t op2 = 0; op2 <= 7; ++op2) {
        int16_t& slot = (*by_key)[sysreg(3, 0, 0, crm, op2).index()];
        if (slot < 0) slot = reserved_id;
      }
  }
};
const Index& index() {
  static const Index idx;  // immutable after construction
  return idx;
}

}  // namespace

std::span<const Info> table() { return kTable; }
int find(arch::SysRegKey key) { return (*index().by_key)[key.index()]; }
const Info& at(int idx) { return kTable[static_cast<size_t>(idx)]; }

void reset_all(Core& core) {
  for (const auto& r : kTable) {
    if (r.kind == Kind::kSlot) core.set_sysreg(r.slot, r.reset);
  }
  // OSLSR_EL1.OSLM = 0b10 (OS lock implemented); the lock is set out of reset (OSLK = 1).
  core.set_sysreg(SysSlot::OSLSR_EL1, 0xA);
}

}  // namespace cpu::sysreg
