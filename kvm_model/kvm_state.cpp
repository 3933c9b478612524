// The vCPU and VM state a VMM saves and restores across a migration, beyond the core
// registers and the vPMU: the EL1 system registers the core owns and the virtual timer
// through ONE_REG (as KVM exposes them), the power state (KVM_{GET,SET}_MP_STATE) and the
// vGIC (pmuemu's stand-in for the KVM_DEV_ARM_VGIC_GRP_*_REGS attribute groups).
#include <algorithm>
#include <optional>

#include "cpu/sysreg/sysregs.h"
#include "kvm_model/kvm.h"

namespace kvm_model {
namespace {

// The core's own EL1 registers that carry state (the table's slot-backed rows).
const cpu::sysreg::Info* core_sysreg(uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  if (!key) return nullptr;
  const int idx = cpu::sysreg::find(*key);
  if (idx < 0) return nullptr;
  const cpu::sysreg::Info& info = cpu::sysreg::at(idx);
  return info.kind == cpu::sysreg::Kind::kSlot ? &info : nullptr;
}

// KVM's timer ONE_REG ids (arch/arm64/include/uapi/asm/kvm.h): the virtual timer's CTL,
// CNT and CVAL. CNT and CVAL are deliberately swapped relative to the architectural
// encodings (a historical uapi quirk KVM keeps).
constexpr uint64_t kTimerCtl = arch::SysRegKey{3, 3, 14, 3, 1}.to_one_reg_id();
constexpr uint64_t kTimerCnt = arch::SysRegKey{3, 3, 14, 3, 2}.to_one_reg_id();
constexpr uint64_t kTimerCval = arch::SysRegKey{3, 3, 14, 0, 2}.to_one_reg_id();
// KVM_REG_ARM_PTIMER_CTL/CVAL: the EL1 physical timer (architectural encodings).
constexpr uint64_t kPtimerCtl = arch::SysRegKey{3, 3, 14, 2, 1}.to_one_reg_id();
constexpr uint64_t kPtimerCval = arch::SysRegKey{3, 3, 14, 2, 2}.to_one_reg_id();

// The ID register space KVM exposes through ONE_REG (arch/arm64/kvm/sys_regs.c: op0 3,
// op1 0, CRn 0; CRm 0 holds MIDR, MPIDR and REVIDR, CRm 1-7 the feature registers, every
// unallocated slot reading as zero). Values are the vCPU's, as its guest reads them; the
// AArch32 registers are zero (no AArch32 at EL1 on the emulated cores).
using IdMember = uint64_t cpu::IdRegs::*;
struct IdSlot {
  uint8_t crm, op2;
  IdMember member;  // nullptr: reads as zero
};
constexpr IdSlot kIdSlots[] = {
    {0, 0, &cpu::IdRegs::midr},         {0, 5, &cpu::IdRegs::mpidr},        {0, 6, &cpu::IdRegs::revidr},
    {4, 0, &cpu::IdRegs::id_aa64pfr0},  {4, 1, &cpu::IdRegs::id_aa64pfr1},  {4, 4, &cpu::IdRegs::id_aa64zfr0},
    {5, 0, &cpu::IdRegs::id_aa64dfr0},  {5, 1, &cpu::IdRegs::id_aa64dfr1},  {6, 0, &cpu::IdRegs::id_aa64isar0},
    {6, 1, &cpu::IdRegs::id_aa64isar1}, {6, 2, &cpu::IdRegs::id_aa64isar2}, {7, 0, &cpu::IdRegs::id_aa64mmfr0},
    {7, 1, &cpu::IdRegs::id_aa64mmfr1}, {7, 2, &cpu::IdRegs::id_aa64mmfr2},
};

// Whether id is in that space: MIDR/MPIDR/REVIDR or CRm 1-7.
std::optional<arch::SysRegKey> id_space_key(uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  if (!key || key->op0 != 3 || key->op1 != 0 || key->crn != 0) return std::nullopt;
  if (key->crm == 0 && key->op2 != 0 && key->op2 != 5 && key->op2 != 6) return std::nullopt;
  if (key->crm > 7) return std::nullopt;
  return key;
}

uint64_t id_value(const cpu::IdRegs& ids, const arch::SysRegKey& k) {
  for (const IdSlot& s : kIdSlots)
    if (s.crm == k.crm && s.op2 == k.op2) return ids.*s.member;
  return 0;
}

}  // namespace

// ID_AA64DFR0_EL1: the VM's view, whose PMUVer field the vPMU owns (spec 5.8).
constexpr uint64_t kIdAa64dfr0 = arch::SysRegKey{3, 0, 0, 5, 0}.to_one_reg_id();

bool Vcpu::owns_state_reg(uint64_t id) {
  return core_sysreg(id) != nullptr || id == kTimerCtl || id == kTimerCnt || id == kTimerCval || id == kPtimerCtl ||
         id == kPtimerCval || id_space_key(id).has_value();
}

int Vcpu::get_state_reg(uint64_t id, uint64_t& value) {
  if (const auto* info = core_sysreg(id)) {
    value = core_->sysreg(info->slot);
    return 0;
  }
  if (id == kIdAa64dfr0) {
    value = (core_->ids().id_aa64dfr0 & ~uint64_t{0xf00}) | (uint64_t{vm_.pmu().pmuver()} << 8);
    return 0;
  }
  if (const auto key = id_space_key(id)) {
    value = id_value(core_->ids(), *key);
    return 0;
  }
  const uint64_t now = now_ticks();
  const auto& t = timer_.state().timers[static_cast<unsigned>(timer::TimerId::kVirt)];
  const auto& pt = timer_.state().timers[static_cast<unsigned>(timer::TimerId::kPhys)];
  if (id == kPtimerCtl) value = pt.ctl | (timer_.istatus(timer::TimerId::kPhys, now) ? 4u : 0u);
  else if (id == kPtimerCval) value = pt.cval;
  else if (id == kTimerCtl) value = t.ctl | (timer_.istatus(timer::TimerId::kVirt, now) ? 4u : 0u);
  else if (id == kTimerCval) value = t.cval;
  else if (id == kTimerCnt) value = timer_.count(timer::TimerId::kVirt, now);
  else return -ENOENT;
  return 0;
}

int Vcpu::set_state_reg(uint64_t id, uint64_t value) {
  if (const auto* info = core_sysreg(id)) {
    core_->set_sysreg(info->slot, value);
    return 0;
  }
  if (id == kIdAa64dfr0) {
    // Only PMUVer is writable (lowered before the VM runs); every other field must match.
    uint64_t cur = 0;
    get_state_reg(id, cur);
    if ((value ^ cur) & ~uint64_t{0xf00}) return -EINVAL;
    if (int rc = vm_.pmu().set_user_pmuver(static_cast<uint8_t>((value >> 8) & 0xf)); rc != 0) return rc;
    cpu::IdRegs ids = core_->ids();
    ids.id_aa64dfr0 = (ids.id_aa64dfr0 & ~uint64_t{0xf00}) | (uint64_t{vm_.pmu().pmuver()} << 8);
    core_->set_ids(ids);
    return 0;
  }
  if (const auto key = id_space_key(id); key && key->crm == 0 && key->op2 == 5) {
    // MPIDR_EL1: KVM lets userspace give the vCPU any affinity (QEMU does).
    cpu::IdRegs ids = core_->ids();
    ids.mpidr = value;
    core_->set_ids(ids);
    return 0;
  }
  if (id_space_key(id)) {
    // The other ID registers: the value they hold is accepted (a VMM restores what it
    // saved); a different one is refused, as KVM refuses a change to a field it does not
    // let userspace lower.
    uint64_t cur = 0;
    get_state_reg(id, cur);
    return value == cur ? 0 : -EINVAL;
  }
  timer::TimerState st = timer_.state();
  auto& t = st.timers[static_cast<unsigned>(timer::TimerId::kVirt)];
  auto& pt = st.timers[static_cast<unsigned>(timer::TimerId::kPhys)];
  if (id == kPtimerCtl) {
    pt.ctl = value & 3;
  } else if (id == kPtimerCval) {
    pt.cval = value;
  } else if (id == kTimerCtl) {
    t.ctl = value & 3;  // ENABLE, IMASK; ISTATUS is computed
  } else if (id == kTimerCval) {
    t.cval = value;
  } else if (id == kTimerCnt) {
    // Writing the virtual count moves this vCPU's clock so that CNTVCT reads `value`
    // (KVM adjusts the VM's counter offset instead; the guest sees the same). The clock is
    // the core's cycle count: the smallest cycle count whose tick count reaches `value`.
    // A count beyond what 64 bits of cycles can reach is refused rather than wrapped
    // (found by fuzz_kvm_api: a loop here never ended for huge values).
    const unsigned __int128 core_hz = static_cast<unsigned __int128>(frequency_mhz_) * 1000000;
    const unsigned __int128 ticks = static_cast<unsigned __int128>(value) + st.cntvoff;
    const unsigned __int128 cycles = (ticks * core_hz + timer_.frequency() - 1) / timer_.frequency();
    if (cycles > UINT64_MAX) return -EINVAL;
    cycles_ = static_cast<uint64_t>(cycles);
  } else {
    return -ENOENT;
  }
  timer_.set_state(st);
  return 0;
}

void Vcpu::append_state_regs(std::vector<uint64_t>& ids) const {
  for (const auto& info : cpu::sysreg::table())
    if (info.kind == cpu::sysreg::Kind::kSlot) ids.push_back(info.key.to_one_reg_id());
  // The whole ID space, as KVM lists it (ID_AA64DFR0_EL1 among them).
  for (unsigned crm = 0; crm <= 7; ++crm)
    for (unsigned op2 = 0; op2 <= 7; ++op2) {
      const uint64_t id = arch::SysRegKey{3, 0, 0, static_cast<uint8_t>(crm), static_cast<uint8_t>(op2)}.to_one_reg_id();
      if (id_space_key(id)) ids.push_back(id);
    }
  ids.push_back(kPtimerCtl);
  ids.push_back(kPtimerCval);
  ids.push_back(kTimerCtl);
  ids.push_back(kTimerCval);
  ids.push_back(kTimerCnt);
}

int Vcpu::set_mp_state(uint32_t state) {
  if (!initialised_) return -ENOEXEC;
  if (state != KVM_MP_STATE_RUNNABLE && state != KVM_MP_STATE_STOPPED && state != KVM_MP_STATE_HALTED) return -EINVAL;
  mp_state_ = state;
  return 0;
}

int Vm::get_vgic_state(vgic::VgicState& out) const {
  if (!vgic_) return -ENXIO;
  out = vgic_->state();
  return 0;
}

int Vm::set_vgic_state(const vgic::VgicState& in) {
  if (!vgic_) return -ENXIO;
  if (in.cpus.size() != vgic_->num_vcpus() || in.spis.size() != vgic_->num_irqs() - 32) return -EINVAL;
  vgic_->set_state(in);
  return 0;
}

}  // namespace kvm_model
