// The vCPU and VM state a VMM saves and restores across a migration, beyond the core
// registers and the vPMU: the EL1 system registers the core owns and the virtual timer
// through ONE_REG (as KVM exposes them), the power state (KVM_{GET,SET}_MP_STATE) and the
// vGIC (pmuemu's stand-in for the KVM_DEV_ARM_VGIC_GRP_*_REGS attribute groups).
#include <algorithm>
#include <optional>

#include "cpu/sysreg/sysregs.h"
#include "kvm_model/id_writable.h"
#include "kvm_model/kvm.h"
#include "kvm_model/vpmu/regs.h"

namespace kvm_model {
namespace {

// Slot-backed registers of the core that KVM does not save as system registers: SPSR_EL1
// and ELR_EL1 are core registers (struct kvm_regs), and OSDLR_EL1 is trap_raz_wi in
// sys_regs.c (RAZ/WI for the guest, nothing to save). KVM_GET_REG_LIST leaves them out
// (walk_one_sys_reg lists only descriptors with storage or a get_user) and their sysreg
// ids are -ENOENT.
constexpr arch::SysRegKey kNotKvmSaved[] = {
    {3, 0, 4, 0, 0},  // SPSR_EL1
    {3, 0, 4, 0, 1},  // ELR_EL1
    {2, 0, 1, 3, 4},  // OSDLR_EL1
};

// The core's own EL1 registers that carry state (the table's slot-backed rows).
const cpu::sysreg::Info* core_sysreg(uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  if (!key) return nullptr;
  for (const auto& k : kNotKvmSaved)
    if (k == *key) return nullptr;
  const int idx = cpu::sysreg::find(*key);
  if (idx < 0) return nullptr;
  const cpu::sysreg::Info& info = cpu::sysreg::at(idx);
  return info.kind == cpu::sysreg::Kind::kSlot ? &info : nullptr;
}

// Registers that sys_regs.c keeps in the vCPU's sysreg array with no behaviour the
// emulated cores give them (AArch32 EL1 state for EL2 to save, and DISR_EL1, which RAS
// hardware redirects to VDISR_EL2): storage for KVM_{GET,SET}_ONE_REG only, reset as KVM
// resets them (reset_unknown writes its 0x1de7ec7edbadc0de pattern).
struct KvmStoredReg {
  arch::SysRegKey key;
  uint64_t reset;
};
constexpr KvmStoredReg kKvmStored[Vcpu::kNumKvmStoredRegs] = {
    {{2, 4, 0, 7, 0}, 0},                          // DBGVCR32_EL2
    {{3, 0, 12, 1, 1}, 0},                         // DISR_EL1
    {{3, 4, 3, 0, 0}, vpmu::kUnknownPattern},      // DACR32_EL2
    {{3, 4, 5, 0, 1}, vpmu::kUnknownPattern},      // IFSR32_EL2
    {{3, 4, 5, 3, 0}, 0x700},                      // FPEXC32_EL2
};

int kvm_stored_index(uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  if (!key) return -1;
  for (unsigned i = 0; i < std::size(kKvmStored); ++i)
    if (kKvmStored[i].key == *key) return static_cast<int>(i);
  return -1;
}

// Registers the guest reads through the core's own handlers that KVM exposes with its
// own userspace rules (sys_regs.c): OSLSR_EL1 (only OSLK may change), TPIDRRO_EL0
// (storage), CLIDR_EL1 (writable within its RES0 and IDC rules), CTR_EL0 (an ID register),
// and the invariant MIDR_EL1/REVIDR_EL1/AIDR_EL1 (any value but the current one is
// -EINVAL). MIDR and REVIDR are in the ID space below.
constexpr uint64_t kOslsr = arch::SysRegKey{2, 0, 1, 1, 4}.to_one_reg_id();
constexpr uint64_t kTpidrro = arch::SysRegKey{3, 3, 13, 0, 3}.to_one_reg_id();
constexpr uint64_t kClidr = arch::SysRegKey{3, 1, 0, 0, 1}.to_one_reg_id();
constexpr uint64_t kCtr = arch::SysRegKey{3, 3, 0, 0, 1}.to_one_reg_id();
constexpr uint64_t kAidr = arch::SysRegKey{3, 1, 0, 0, 7}.to_one_reg_id();
constexpr uint64_t kOslsrOslk = 1u << 1, kOslsrOslmImplemented = 1u << 3;
constexpr uint64_t kClidrRes0 = ~((uint64_t{1} << 47) - 1);
constexpr uint64_t kCtrIdc = uint64_t{1} << 28;
bool is_custom_reg(uint64_t id) { return id == kOslsr || id == kTpidrro || id == kClidr || id == kCtr || id == kAidr; }

// KVM_REG_ARM_DEMUX_ID_CCSIDR: one U32 id per CSSELR_EL1 value (CSSELR_MAX = 14 in 6.12,
// listed whatever CLIDR says).
constexpr uint64_t kDemuxCcsidrBase = 0x6020000000110000ull;  // ARM64 | U32 | DEMUX | ID_CCSIDR
constexpr unsigned kCsselrMax = 14;
bool is_demux(uint64_t id) { return (id & ~uint64_t{0xff}) == kDemuxCcsidrBase && (id & 0xff) < kCsselrMax; }
// get_ccsidr() without an override: only LineSize, the smallest line of the kind
// (CTR_EL0.IminLine for an instruction cache, DminLine otherwise), 1 set and 1 way.
uint32_t min_line_log2(uint64_t ctr, bool icache) { return static_cast<uint32_t>(((icache ? ctr : ctr >> 16) & 0xf) + 2); }
uint32_t fabricated_ccsidr(uint64_t ctr, unsigned csselr) { return min_line_log2(ctr, csselr & 1) - 4; }

// CTR_EL0's fields as cpufeature.c describes them (ftr_ctr): how two values combine into
// the safe one (the host's sanitised value across its CPUs, and arm64_check_features'
// test of a VMM's write), and which fields KVM lets a VMM change (ID_WRITABLE(CTR_EL0,
// DIC | IDC | DminLine | IminLine)).
enum class Safe : uint8_t { kLower, kHigherOrZero, kExact };
struct FtrField {
  uint8_t shift, width;
  Safe safe;
  uint64_t exact_safe;  // kExact: the value when they differ
  bool writable;
};
constexpr FtrField kCtrFields[] = {
    {31, 1, Safe::kExact, 1, false},        // RES1
    {29, 1, Safe::kLower, 0, true},         // DIC
    {28, 1, Safe::kLower, 0, true},         // IDC
    {24, 4, Safe::kHigherOrZero, 0, false}, // CWG
    {20, 4, Safe::kHigherOrZero, 0, false}, // ERG
    {16, 4, Safe::kLower, 0, true},         // DminLine
    {14, 2, Safe::kExact, 2, false},        // L1Ip (VIPT when they differ)
    {0, 4, Safe::kLower, 0, true},          // IminLine
};
uint64_t field_of(const FtrField& f, uint64_t v) { return (v >> f.shift) & ((uint64_t{1} << f.width) - 1); }
uint64_t safe_value(const FtrField& f, uint64_t a, uint64_t b) {
  if (a == b) return a;
  switch (f.safe) {
    case Safe::kLower: return std::min(a, b);
    case Safe::kHigherOrZero: return a == 0 || b == 0 ? 0 : std::max(a, b);
    case Safe::kExact: return f.exact_safe;
  }
  return f.exact_safe;
}

// KVM_REG_ARM_PTIMER_CNT: the physical count.
constexpr uint64_t kPtimerCnt = arch::SysRegKey{3, 3, 14, 0, 1}.to_one_reg_id();

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

// The AArch64 views of the AArch32 ID registers (CRm 1-3) that sys_regs.c gives
// aa32_id_visibility: every slot but ID_AFR0_EL1 and ID_DFR1_EL1 (hidden) and the two
// unallocated ones (CRm 3, op2 3 and 7).
bool is_aa32_id_reg(const arch::SysRegKey& k) {
  if (k.crm < 1 || k.crm > 3) return false;
  if (k.crm == 1 && k.op2 == 3) return false;                                // ID_AFR0_EL1
  if (k.crm == 3 && (k.op2 == 3 || k.op2 == 5 || k.op2 == 7)) return false;  // DFR1, unallocated
  return true;
}

uint64_t id_value(const cpu::IdRegs& ids, const arch::SysRegKey& k) {
  for (const IdSlot& s : kIdSlots)
    if (s.crm == k.crm && s.op2 == k.op2) return ids.*s.member;
  return 0;
}

}  // namespace

// read_sanitised_ftr_reg(SYS_CTR_EL0): the value safe on every CPU of the host, what a
// KVM guest sees unless its VMM lowers it.
uint64_t sanitised_ctr(const HostDesc& host) {
  uint64_t out = 0;
  for (const FtrField& f : kCtrFields) {
    uint64_t v = field_of(f, host.cpus.front().ids.ctr);
    for (const auto& c : host.cpus) v = safe_value(f, v, field_of(f, c.ids.ctr));
    out |= v << f.shift;
  }
  return out;
}

// set_id_reg() for CTR_EL0: after the first run only the current value; before it,
// arm64_check_features() against the sanitised limit (each writable field no higher than
// its safe combination with the limit, every other bit equal to the limit's). The value
// is the VM's, so every vCPU's guest reads it.
int Vm::set_ctr(uint64_t value) {
  if (has_run()) return value == ctr_el0_ ? 0 : -EBUSY;
  const uint64_t limit = sanitised_ctr(host_);
  uint64_t mask = 0;
  for (const FtrField& f : kCtrFields) {
    if (!f.writable) continue;
    mask |= ((uint64_t{1} << f.width) - 1) << f.shift;
    const uint64_t v = field_of(f, value), l = field_of(f, limit);
    if (safe_value(f, v, l) != v) return -EINVAL;
  }
  if ((value & ~mask) != (limit & ~mask)) return -EINVAL;
  ctr_el0_ = value;
  for (const auto& v : vcpus_) {
    cpu::IdRegs ids = v->core_->ids();
    ids.ctr = value;
    v->core_->set_ids(ids);
  }
  return 0;
}

// ID_AA64DFR0_EL1: the VM's view, whose PMUVer field the vPMU owns (spec 5.8).
constexpr uint64_t kIdAa64dfr0 = arch::SysRegKey{3, 0, 0, 5, 0}.to_one_reg_id();

bool Vcpu::owns_state_reg(uint64_t id) {
  return core_sysreg(id) != nullptr || kvm_stored_index(id) >= 0 || is_custom_reg(id) || is_demux(id) || id == kPtimerCnt || id == kTimerCtl || id == kTimerCnt || id == kTimerCval || id == kPtimerCtl ||
         id == kPtimerCval || id_space_key(id).has_value();
}

int Vcpu::get_state_reg(uint64_t id, uint64_t& value) {
  if (const auto* info = core_sysreg(id)) {
    value = core_->sysreg(info->slot);
    return 0;
  }
  if (const int i = kvm_stored_index(id); i >= 0) {
    value = kvm_stored_[static_cast<unsigned>(i)];
    return 0;
  }
  if (is_demux(id)) {
    const unsigned csselr = static_cast<unsigned>(id & 0xff);
    value = ccsidr_override_ ? ccsidr_[csselr] : fabricated_ccsidr(core_->ids().ctr, csselr);
    return 0;
  }
  if (id == kOslsr) { value = core_->sysreg(cpu::SysSlot::OSLSR_EL1); return 0; }
  if (id == kTpidrro) { value = core_->sysreg(cpu::SysSlot::TPIDRRO_EL0); return 0; }
  if (id == kClidr) { value = core_->ids().clidr; return 0; }
  if (id == kCtr) { value = core_->ids().ctr; return 0; }
  if (id == kAidr) { value = 0; return 0; }  // the cores implement no auxiliary ID
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
  else if (id == kPtimerCnt) value = timer_.count(timer::TimerId::kPhys, now);
  else return -ENOENT;
  return 0;
}

int Vcpu::set_state_reg(uint64_t id, uint64_t value) {
  if (const auto* info = core_sysreg(id)) {
    core_->set_sysreg(info->slot, value);
    return 0;
  }
  if (const int i = kvm_stored_index(id); i >= 0) {
    kvm_stored_[static_cast<unsigned>(i)] = value;
    return 0;
  }
  if (is_demux(id)) {
    // set_ccsidr(): a line no smaller than the smallest the host has; the first value that
    // differs from the fabricated one makes the vCPU keep all fourteen.
    const unsigned csselr = static_cast<unsigned>(id & 0xff);
    const uint64_t ctr = core_->ids().ctr;
    if ((value >> 32) != 0 || (value & 7) + 4 < min_line_log2(ctr, csselr & 1)) return -EINVAL;
    if (!ccsidr_override_) {
      if (value == fabricated_ccsidr(ctr, csselr)) return 0;
      for (unsigned c = 0; c < kCsselrMax; ++c) ccsidr_[c] = fabricated_ccsidr(ctr, c);
      ccsidr_override_ = true;
    }
    ccsidr_[csselr] = static_cast<uint32_t>(value);
    return 0;
  }
  if (id == kOslsr) {
    // set_oslsr_el1(): everything but OSLK must keep its reset value (OSLM = 0b10).
    if ((value ^ kOslsrOslmImplemented) & ~kOslsrOslk) return -EINVAL;
    core_->set_sysreg(cpu::SysSlot::OSLSR_EL1, value);
    return 0;
  }
  if (id == kTpidrro) { core_->set_sysreg(cpu::SysSlot::TPIDRRO_EL0, value); return 0; }
  if (id == kClidr) {
    // set_clidr(): RES0 clear, and a CLIDR that claims no cache maintenance is needed for
    // instruction/data coherence (LoC = 0, or LoUIS = LoUU = 0) only if CTR_EL0.IDC says so.
    const bool idc = ((value >> 24) & 7) == 0 || (((value >> 21) & 7) == 0 && ((value >> 27) & 7) == 0);
    if ((value & kClidrRes0) || (!(core_->ids().ctr & kCtrIdc) && idc)) return -EINVAL;
    cpu::IdRegs ids = core_->ids();
    ids.clidr = value;
    core_->set_ids(ids);
    return 0;
  }
  if (id == kCtr) {
    // Up to 6.7 an invariant register (invariant_sys_regs): only the current value.
    if (!id_writable::era_ctr_writable(vm_.era())) return value == core_->ids().ctr ? 0 : -EINVAL;
    return vm_.set_ctr(value);
  }
  if (id == kAidr) {
    uint64_t cur = 0;
    get_state_reg(id, cur);
    return value == cur ? 0 : -EINVAL;
  }
  if (id == kPtimerCnt) {
    // kvm_arm_timer_set_reg(): the physical timer's offset makes the count read `value` now
    // (ignored once KVM_ARM_SET_COUNTER_OFFSET gave the VM its offsets).
    if (!vm_.counter_offset_set_) vm_.set_counter_offsets(vm_.voffset_, now_ticks() - value, nullptr);
    return 0;
  }
  if (const auto key = id_space_key(id); key && id_writable::era_checks_id_writes(vm_.era(), key->crm, key->op2))
    return vm_.set_feature_id_reg(*this, key->crm, key->op2, value);
  if (id == kIdAa64dfr0) {
    // Before 6.7 only PMUVer is writable (lowered before the VM runs); every other field must match.
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
  if (const auto key = id_space_key(id); key && is_aa32_id_reg(*key)) {
    // aa32_id_visibility(): unless every host CPU has AArch32 at EL0
    // (kvm_supports_32bit_el0), the AArch32 ID registers are RAZ and userspace writes are
    // ignored (REG_RAZ | REG_USER_WI).
    bool aa32_el0 = true;
    for (const auto& c : vm_.host().cpus) aa32_el0 &= (c.ids.id_aa64pfr0 & 0xf) == 2;
    if (!aa32_el0) return 0;
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
    // kvm_arm_timer_set_reg(): the VM's virtual offset (timer_data.voffset, one for every
    // vCPU) becomes now - value, modulo 2^64, so that CNTVCT reads `value` now; ignored
    // once KVM_ARM_SET_COUNTER_OFFSET made the VMM the owner of the offsets.
    if (!vm_.counter_offset_set_) {
      const uint64_t off = now_ticks() - value;
      st.cntvoff = off;
      vm_.set_counter_offsets(off, vm_.poffset_, this);
    }
  } else {
    return -ENOENT;
  }
  timer_.set_state(st);
  return 0;
}

void Vcpu::reset_kvm_stored_regs() {
  for (unsigned i = 0; i < kNumKvmStoredRegs; ++i) kvm_stored_[i] = kKvmStored[i].reset;
}

void Vcpu::append_state_regs(std::vector<uint64_t>& ids) const {
  for (const auto& info : cpu::sysreg::table())
    if (info.kind == cpu::sysreg::Kind::kSlot && core_sysreg(info.key.to_one_reg_id()) != nullptr)
      ids.push_back(info.key.to_one_reg_id());
  for (const auto& r : kKvmStored) ids.push_back(r.key.to_one_reg_id());
  for (uint64_t id : {kOslsr, kTpidrro, kClidr, kCtr, kAidr, kPtimerCnt}) ids.push_back(id);
  for (unsigned c = 0; c < kCsselrMax; ++c) ids.push_back(kDemuxCcsidrBase | c);
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

void Vm::set_counter_offsets(uint64_t voffset, uint64_t poffset, Vcpu* except_voff) {
  voffset_ = voffset;
  poffset_ = poffset;
  for (const auto& v : vcpus_) {
    if (v.get() != except_voff) v->timer_.set_cntvoff(voffset);
    v->timer_.set_cntpoff(poffset);
  }
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
