// The vCPU: construction, reset and KVM_ARM_VCPU_INIT, the register list, ONE_REG, the
// vCPU device attributes (timer, PV time, PMU), and its clock (virtual time, the timer
// deadline, interrupt lines).
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "kvm_model/kvm.h"

namespace kvm_model {
namespace {
// The defined bits of FPSR and FPCR (what MSR keeps: cpu/sysreg/sysregs.cpp).
constexpr uint64_t kFpsrMask = 0xf800009f, kFpcrMask = 0x07ff9f00;

// The size a core-register offset has in struct kvm_regs (arch/arm64/kvm/guest.c
// core_reg_size_from_offset), whatever size the id itself claims; 0 for an id that is not
// a valid core register.
size_t core_reg_size(uint64_t id) {
  if ((id & ~KVM_REG_SIZE_MASK & ~uint64_t{0xffff}) != (KVM_REG_ARM64 | KVM_REG_ARM_CORE)) return 0;
  const unsigned off = static_cast<unsigned>(id & 0xffff);
  if (off < 2 * (36 + 5)) return off % 2 == 0 ? 8 : 0;        // regs[31], sp, pc, pstate, sp_el1, elr_el1, spsr[5]
  if (off >= kFpRegsU32 && off < kFpRegsU32 + 128) return (off - kFpRegsU32) % 4 == 0 ? 16 : 0;
  if (off == kFpRegsU32 + 128 || off == kFpRegsU32 + 129) return 4;  // fpsr, fpcr
  return 0;
}
// The error for an id no handler took (get_core_reg/set_core_reg): a core id reaching past
// struct kvm_regs (216 32-bit words) is -ENOENT; one inside it that is not a register of
// that size (padding, a V register through the 8-byte API, a mismatched size) is -EINVAL.
int core_reg_error(uint64_t id) {
  if ((id & ~KVM_REG_SIZE_MASK & ~uint64_t{0xffff}) != (KVM_REG_ARM64 | KVM_REG_ARM_CORE)) return -ENOENT;
  constexpr uint64_t kKvmRegsU32 = kFpRegsU32 + 128 + 4;
  const uint64_t off = id & 0xffff;
  return off + one_reg_size(id) / 4 >= kKvmRegsU32 ? -ENOENT : -EINVAL;
}
bool is_vreg_id(uint64_t id) { return core_reg_size(id) == 16 && one_reg_size(id) == 16; }
unsigned vreg_index(uint64_t id) { return static_cast<unsigned>(((id & 0xffff) - kFpRegsU32) / 4); }

// MPIDR_EL1 for a vCPU id, as KVM's reset_mpidr builds it: Aff0 = id[3:0],
// Aff1 = id[11:4], Aff2 = id[19:12], bit 31 RES1.
uint64_t mpidr_for(unsigned id) {
  return 0x80000000ull | (id & 0x0f) | (uint64_t{(id >> 4) & 0xff} << 8) | (uint64_t{(id >> 12) & 0xff} << 16);
}

bool pstate_mode_valid(uint64_t pstate) {
  const unsigned m = pstate & 0x1f;
  return m == 0x0 || m == 0x4 || m == 0x5;  // EL0t, EL1t, EL1h (no AArch32, no EL2)
}
}  // namespace

// ---------------- Vcpu ----------------
Vcpu::Vcpu(Vm& vm, unsigned id) : vm_(vm), id_(id), frequency_mhz_(vm.host().cpus.front().frequency_mhz) {
  cpu::IdRegs ids = vm.host().cpus.front().ids;
  ids.mpidr = mpidr_for(id);
  ids.ctr = vm.ctr_el0_;
  vm.apply_written_ids(ids);
  core_ = std::make_unique<cpu::Core>(*vm.mem(), ids);
  timer_.set_cntvoff(vm.voffset_);
  timer_.set_cntpoff(vm.poffset_);
  core_->set_sysreg_port(this);
  core_->set_smc_traps(true);  // KVM runs guests with HCR_EL2.TSC set
  core_->set_semihosting(vm.semihosting_);
  core_->set_timing_model(vm.timing_model(pcpu_));
  vpmu_ = std::make_unique<vpmu::VcpuPmu>(vm.pmu(), id);
  // Partitioned PMU (Lewis v9): fine-grained traps go off for the guest's counter and
  // control registers only; PMCEID0/1 (KVM decides which events the guest sees) and
  // PMMIR_EL1 keep trapping to the KVM model.
  for (size_t row = 0; row < vpmu::kNumPmuSysRegs; ++row) {
    const arch::SysRegKey k = vpmu::kPmuSysRegs[row].key;
    const bool still_traps = (k.op1 == 3 && k.crn == 9 && k.crm == 12 && k.op2 >= 6) || row == vpmu::kPmmirRow;
    hw_index_[row] = static_cast<int8_t>(still_traps ? -1 : pmu::register_index(k));
  }
  // Functional timing: one cycle per instruction, so the vPMU counts off the core's
  // retired-instruction counts itself (set_clock), counter by counter as they are accessed.
  if (!vm.host().cycle_timing) vpmu_->use_insn_clock();
  // The PMU's overflow interrupt is a level on its IRQ (PPI 23 for every vCPU, or an SPI).
  core_->set_tlbi_broadcast(&Vm::broadcast_tlbi, &vm);
  vpmu_->set_irq_sink([this](bool level) {
    vgic::Vgic* gic = vm_.vgic();
    if (gic == nullptr || vpmu_->irq_num() < 16) return;
    const auto lk = vm_.lock();
    gic->set_irq_level(id_, static_cast<unsigned>(vpmu_->irq_num()), level);
    if (level && debug_event_) debug_event_(id_, DebugEvent::kPmuIrq, "PMU overflow interrupt", 0);
    // The level reaches this core at once (an overflow at a trapped access is taken right
    // after it); an SPI may instead have gone to another vCPU.
    core_->set_irq_pending(gic->irq_pending(id_));
    vm_.kick_changed(id_);
  });
}
Vcpu::~Vcpu() = default;

int Vcpu::reset_vcpu(const char* cause, vpmu::ResetTrace* trace) {
  // kvm_reset_vcpu() zeroes the general registers and fp_regs (V0-V31, FPSR, FPCR): the
  // core's reset does both. The AArch32 banked SPSRs are kvm_regs storage and go with them.
  core_->reset(0);
  std::fill(std::begin(spsr_aarch32_), std::end(spsr_aarch32_), uint64_t{0});
  reset_kvm_stored_regs();
  timer_.reset();
  mmio_read_pending_ = false;
  // kvm_reset_vcpu(): the PMU part runs on the pCPU executing the reset (6.6 reads its PMCR).
  const int rc = vpmu::vcpu_reset(*vpmu_, pcpu_, trace);
  // The guest's ID_AA64DFR0_EL1.PMUVer is the VM's (0 without the PMU feature).
  cpu::IdRegs ids = core_->ids();
  ids.id_aa64dfr0 = (ids.id_aa64dfr0 & ~uint64_t{0xf00}) | (uint64_t{vm_.pmu().pmuver()} << 8);
  core_->set_ids(ids);
  if (reset_trace_ && trace) reset_trace_(id_, pcpu_, cause, *trace);
  if (debug_event_) debug_event_(id_, DebugEvent::kReset, cause, 0);
  mp_state_ = (features_.features[0] >> KVM_ARM_VCPU_POWER_OFF) & 1 ? KVM_MP_STATE_STOPPED
                                                                     : KVM_MP_STATE_RUNNABLE;
  return rc;
}

int Vcpu::arm_vcpu_init(const kvm_vcpu_init& init) {
  if (init.target != KVM_ARM_TARGET_GENERIC_V8) return -EINVAL;
  constexpr uint32_t kValid = (1u << KVM_ARM_VCPU_POWER_OFF) | (1u << KVM_ARM_VCPU_PSCI_0_2) |
                              (1u << KVM_ARM_VCPU_PMU_V3) | (1u << KVM_ARM_VCPU_EL1_32BIT);
  // KVM_ARM_VCPU_PMU_V3_STRICT exists only in the eras that have it (7.3).
  const uint32_t strict_bit = vpmu::policy(vm_.era_).has_pmu_v3_strict ? 1u << KVM_ARM_VCPU_PMU_V3_STRICT : 0;
  if (init.features[0] & ~(kValid | strict_bit)) return -ENOENT;
  for (int i = 1; i < 7; ++i)
    if (init.features[i] != 0) return -ENOENT;
  if (init.features[0] & (1u << KVM_ARM_VCPU_EL1_32BIT)) return -EINVAL;  // no AArch32 EL1
  // A re-init must ask for the same features (power-off aside).
  constexpr uint32_t kPowerOff = 1u << KVM_ARM_VCPU_POWER_OFF;
  if (initialised_ && ((features_.features[0] ^ init.features[0]) & ~kPowerOff)) return -EINVAL;
  // 6.7+ (kvm_vcpu_init_changed against kvm->arch.vcpu_features): every vCPU of the VM gets
  // the features of the first one initialised; the power-off bit is per call.
  const bool vm_wide = vpmu::policy(vm_.era_).vm_wide_vcpu_features;
  if (vm_wide && vm_.features_configured_ && ((vm_.vm_features_ ^ init.features[0]) & ~kPowerOff)) return -EINVAL;
  const bool has_pmu = (init.features[0] >> KVM_ARM_VCPU_PMU_V3) & 1;
  vpmu::ResetTrace trace;
  vpmu::ResetTrace* const tp = reset_trace_ ? &trace : nullptr;
  // The vCPU's own thread executes KVM_ARM_VCPU_INIT, on the pCPU it is placed on.
  const bool strict = (init.features[0] >> KVM_ARM_VCPU_PMU_V3_STRICT) & 1;
  if (int rc = vpmu::vcpu_init(*vpmu_, has_pmu, !initialised_, pcpu_, tp, strict); rc != 0) return rc;
  features_ = init;
  // KVM_ARM_VCPU_INIT resets the vCPU: a PSCI CPU_ON still pending from before (say, a
  // system reset raced with it) is dropped with the rest of its state, as Linux drops the
  // pending KVM_REQ_VCPU_RESET's reset_state.
  psci_reset_pending_ = false;
  if (int rc = reset_vcpu("KVM_ARM_VCPU_INIT", tp); rc != 0) return rc;
  initialised_ = true;
  if (vm_wide && !vm_.features_configured_) {
    vm_.vm_features_ = init.features[0] & ~kPowerOff;
    vm_.features_configured_ = true;
  }
  return 0;
}

int Vcpu::get_reg_list(std::vector<uint64_t>& ids) {
  if (!initialised_) return -ENOEXEC;
  ids.clear();
  for (unsigned n = 0; n <= 30; ++n) ids.push_back(kRegX(n));
  for (uint64_t id : {kRegSp, kRegPc, kRegPstate, kRegSpEl1, kRegElrEl1, kRegSpsrEl1}) ids.push_back(id);
  // Then, in struct kvm_regs order (arch/arm64/kvm/guest.c walks it by offset): spsr[1..4],
  // fp_regs.vregs[0..31] (U128), fpsr and fpcr (U32).
  for (unsigned n = 1; n <= 4; ++n) ids.push_back(kRegSpsr(n));
  for (unsigned n = 0; n < 32; ++n) ids.push_back(kRegV(n));
  ids.push_back(kRegFpsr);
  ids.push_back(kRegFpcr);
  // System registers in ascending id order, as the kernel emits its sorted table.
  std::vector<uint64_t> sysregs;
  append_state_regs(sysregs);
  vpmu::append_reg_list(*vpmu_, sysregs);
  std::sort(sysregs.begin(), sysregs.end());
  ids.insert(ids.end(), sysregs.begin(), sysregs.end());
  return 0;
}

namespace {
// uapi/asm/kvm.h: the vCPU attribute groups besides the PMU's.
constexpr uint32_t kTimerCtrl = 1, kPvtimeCtrl = 2;
constexpr uint64_t kTimerIrqVtimer = 0, kTimerIrqPtimer = 1, kTimerIrqHvtimer = 2, kTimerIrqHptimer = 3;
constexpr uint64_t kPvtimeIpa = 0;
constexpr uint64_t kInvalidGpa = ~uint64_t{0};
}  // namespace

int Vcpu::set_device_attr(uint32_t group, uint64_t attr, const void* addr) {
  if (group == kTimerCtrl) {
    // kvm_arm_timer_set_attr(): needs the in-kernel vGIC; a PPI; VM-wide and fixed once a
    // vCPU has run. Checked for uniqueness only at the first run (the timer's ownership).
    if (!vm_.vgic_created_) return -EINVAL;
    if (addr == nullptr) return -EFAULT;
    int irq;
    std::memcpy(&irq, addr, sizeof irq);
    if (irq < 16 || irq >= 32) return -EINVAL;
    if (vm_.timer_ppis_immutable_) return -EBUSY;
    if (attr == kTimerIrqVtimer || attr == kTimerIrqPtimer) {
      vm_.timer_ppi_[attr == kTimerIrqVtimer ? 0 : 1] = static_cast<unsigned>(irq);
      return 0;
    }
    return attr == kTimerIrqHvtimer || attr == kTimerIrqHptimer ? 0 : -ENXIO;  // no NV: stored nowhere
  }
  if (group == kPvtimeCtrl) {
    // kvm_arm_pvtime_set_attr(): 64-byte aligned, set once, inside a memory slot.
    if (attr != kPvtimeIpa) return -ENXIO;
    if (addr == nullptr) return -EFAULT;
    uint64_t ipa;
    std::memcpy(&ipa, addr, sizeof ipa);
    if (ipa & 63) return -EINVAL;
    if (pvtime_ipa_ != kInvalidGpa) return -EEXIST;
    // kvm_arm_pvtime_set_attr(): the page must be in a memory slot (any slot).
    if (!vm_.guest_memory_present(ipa & ~uint64_t{4095}, 4096)) return -EINVAL;
    pvtime_ipa_ = ipa;
    return 0;
  }
  vpmu::IrqChipState chip = vm_.irqchip_state();
  return vpmu::set_device_attr(*vpmu_, group, attr, addr, chip, vm_.vmm_pcpu());
}
int Vcpu::get_device_attr(uint32_t group, uint64_t attr, void* addr) {
  if (group == kTimerCtrl) {
    if (attr > kTimerIrqHptimer) return -ENXIO;
    if (addr == nullptr) return -EFAULT;
    // The hypervisor timers of NV: KVM's defaults 28 and 26.
    const int irq = attr == kTimerIrqVtimer   ? static_cast<int>(vm_.timer_ppi_[0])
                    : attr == kTimerIrqPtimer ? static_cast<int>(vm_.timer_ppi_[1])
                    : attr == kTimerIrqHvtimer ? 28 : 26;
    std::memcpy(addr, &irq, sizeof irq);
    return 0;
  }
  if (group == kPvtimeCtrl) {
    if (attr != kPvtimeIpa) return -ENXIO;
    if (addr == nullptr) return -EFAULT;
    std::memcpy(addr, &pvtime_ipa_, sizeof pvtime_ipa_);
    return 0;
  }
  return vpmu::get_device_attr(*vpmu_, group, attr, addr, vm_.irqchip_state());
}
int Vcpu::has_device_attr(uint32_t group, uint64_t attr) {
  if (group == kTimerCtrl) return attr <= kTimerIrqHptimer ? 0 : -ENXIO;
  if (group == kPvtimeCtrl) return attr == kPvtimeIpa ? 0 : -ENXIO;
  return vpmu::has_device_attr(*vpmu_, group, attr);
}

int Vcpu::get_one_reg(uint64_t id, uint64_t& value) {
  if (!initialised_) return -ENOEXEC;
  // Linux's vCPU ioctl handles a reset owed to PSCI CPU_ON before any register access, so
  // that userspace sees the state the vCPU will start from.
  apply_pending_psci_reset();
  if (vpmu::owns_one_reg_id(id)) {
    // Another vCPU's KVM_RUN may evict this context from the physical PMU (under the VM lock).
    const auto lk = vm_.lock();
    vpmu_->sync_from_hw();  // a partitioned guest's registers are live in the physical PMU
    return vpmu::get_one_reg(*vpmu_, id, value);
  }
  if (owns_state_reg(id)) return get_state_reg(id, value);
  const cpu::CpuState& s = core_->state();
  if (id >= kRegX(0) && id <= kRegX(30) && ((id - kRegX(0)) & 1) == 0) {
    value = s.r[(id - kRegX(0)) / 2];
    return 0;
  }
  const bool on_el0_sp = s.el == 0 || s.spsel == 0;
  if (id == kRegSp) { value = on_el0_sp ? s.r[cpu::kRegSp] : s.sp_el0; return 0; }
  if (id == kRegSpEl1) { value = on_el0_sp ? s.sp_el1 : s.r[cpu::kRegSp]; return 0; }
  if (id == kRegPc) { value = s.pc; return 0; }
  if (id == kRegPstate) { value = core_->pstate_bits(); return 0; }
  if (id == kRegElrEl1) { value = core_->sysreg(cpu::SysSlot::ELR_EL1); return 0; }
  if (id == kRegSpsrEl1) { value = core_->sysreg(cpu::SysSlot::SPSR_EL1); return 0; }
  for (unsigned n = 1; n <= 4; ++n)
    if (id == kRegSpsr(n)) { value = spsr_aarch32_[n - 1]; return 0; }
  if (id == kRegFpsr) { value = static_cast<uint32_t>(core_->sysreg(cpu::SysSlot::FPSR)); return 0; }
  if (id == kRegFpcr) { value = static_cast<uint32_t>(core_->sysreg(cpu::SysSlot::FPCR)); return 0; }
  return core_reg_error(id);
}

int Vcpu::set_one_reg(uint64_t id, uint64_t value) {
  if (!initialised_) return -ENOEXEC;
  apply_pending_psci_reset();
  if (vpmu::owns_one_reg_id(id)) {
    const auto lk = vm_.lock();  // as get_one_reg
    vpmu_->put_hw();  // written in the slots; the next guest entry loads the context again
    return vpmu::set_one_reg(*vpmu_, id, value);
  }
  if (owns_state_reg(id)) return set_state_reg(id, value);
  cpu::CpuState& s = core_->state();
  if (id >= kRegX(0) && id <= kRegX(30) && ((id - kRegX(0)) & 1) == 0) {
    s.r[(id - kRegX(0)) / 2] = value;
    return 0;
  }
  const bool on_el0_sp = s.el == 0 || s.spsel == 0;
  if (id == kRegSp) { (on_el0_sp ? s.r[cpu::kRegSp] : s.sp_el0) = value; return 0; }
  if (id == kRegSpEl1) { (on_el0_sp ? s.sp_el1 : s.r[cpu::kRegSp]) = value; return 0; }
  if (id == kRegPc) { s.pc = value; return 0; }
  if (id == kRegPstate) {
    if (!pstate_mode_valid(value)) return -EINVAL;
    core_->set_pstate_bits(value);
    return 0;
  }
  if (id == kRegElrEl1) { core_->set_sysreg(cpu::SysSlot::ELR_EL1, value); return 0; }
  if (id == kRegSpsrEl1) { core_->set_sysreg(cpu::SysSlot::SPSR_EL1, value); return 0; }
  for (unsigned n = 1; n <= 4; ++n)
    if (id == kRegSpsr(n)) { spsr_aarch32_[n - 1] = value; return 0; }
  // FPSR/FPCR keep only their defined bits, as the registers themselves do (MSR's masks).
  if (id == kRegFpsr) { core_->set_sysreg(cpu::SysSlot::FPSR, value & kFpsrMask); return 0; }
  if (id == kRegFpcr) { core_->set_sysreg(cpu::SysSlot::FPCR, value & kFpcrMask); return 0; }
  return core_reg_error(id);
}

int Vcpu::get_one_reg_raw(uint64_t id, void* data) {
  const size_t size = one_reg_size(id);
  if (const size_t want = core_reg_size(id); want != 0 && want != size) return -EINVAL;
  if (size == 16) {
    if (!initialised_) return -ENOEXEC;
    if (!is_vreg_id(id)) return -ENOENT;
    std::memcpy(data, core_->state().v[vreg_index(id)].d.data(), 16);
    return 0;
  }
  if (size != 4 && size != 8) return -EINVAL;
  uint64_t v = 0;
  if (const int rc = get_one_reg(id, v); rc != 0) return rc;
  std::memcpy(data, &v, size);
  return 0;
}

int Vcpu::set_one_reg_raw(uint64_t id, const void* data) {
  const size_t size = one_reg_size(id);
  if (const size_t want = core_reg_size(id); want != 0 && want != size) return -EINVAL;
  if (size == 16) {
    if (!initialised_) return -ENOEXEC;
    if (!is_vreg_id(id)) return -ENOENT;
    std::memcpy(core_->state().v[vreg_index(id)].d.data(), data, 16);
    return 0;
  }
  if (size != 4 && size != 8) return -EINVAL;
  uint64_t v = 0;
  std::memcpy(&v, data, size);
  return set_one_reg(id, v);
}

void Vcpu::vcpu_load(uint32_t pcpu) {
  // Under --threads another vCPU's KVM_RUN may be switching a partitioned PMU context on the
  // physical PMU this vCPU leaves or joins (VcpuPmu::load_hw evicts the previous owner under
  // the VM lock): the switch here takes the same lock, so the two never interleave.
  const auto lk = vm_.lock();
  pcpu_ = pcpu;
  vpmu::vcpu_load(*vpmu_, pcpu);
  // The vCPU's clock now runs at this core's frequency. The counter runs at CNTFRQ whatever
  // the core's clock, so the count reached so far carries over: cycles_ is re-expressed in
  // the new core's cycles (rounded up, so the count never goes back) rather than the whole
  // history being read again at the new clock, which would make the count jump.
  if (const uint32_t mhz = vm_.host().cpus.at(pcpu).frequency_mhz; mhz != frequency_mhz_) {
    const unsigned __int128 t = settled_ticks();
    const unsigned __int128 c = (t * mhz * 1000000 + timer_.frequency() - 1) / timer_.frequency();
    cycles_ = c > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(c);
    frequency_mhz_ = mhz;
  }
  // ... and its instructions through that core's timing model.
  core_->set_timing_model(vm_.timing_model(pcpu));
}
void Vcpu::vcpu_put() {
  const auto lk = vm_.lock();  // as vcpu_load
  vpmu::vcpu_put(*vpmu_);
}

void Vcpu::set_insn_trace(InsnTrace t) {
  if (!t) {
    core_->set_tracer(nullptr);
    return;
  }
  core_->set_tracer([this, t = std::move(t)](const cpu::Core& c, uint64_t pc, uint32_t insn) {
    t(id_, pc, insn, c.state().el);
  });
}

uint64_t Vcpu::mpidr() const { return mpidr_for(id_); }

uint64_t Vcpu::now_ticks() const {
  // Inside a guest run the clock includes the run so far: a guest polling the counter
  // (udelay) sees it move even when nothing bounds the run (no timer armed, no budget).
  uint64_t cycles = cycles_;
  if (in_slice_) {
    const cpu::timing::TimingModel* const tm = timing();
    if (tm != nullptr) {
      cycles += tm->cycles() - slice_cycles_start_;
    } else {
      const std::array<uint64_t, 2> now = core_->retired_by_el();
      cycles += now[0] + now[1] - slice_start_;
    }
  }
  return timer_.ticks_after(cycles, frequency_mhz_);
}

uint64_t Vcpu::settled_ticks() const { return timer_.ticks_after(cycles_, frequency_mhz_); }

uint64_t Vcpu::ticks_seen_by(const Vcpu& reader) const { return &reader == this ? now_ticks() : settled_ticks(); }

void Vcpu::catch_up_to_vm_time() {
  uint64_t latest = 0;
  for (const auto& v : vm_.vcpus()) latest = std::max(latest, v->ticks_seen_by(*this));
  advance_to(latest);
}

void Vcpu::advance_to(uint64_t ticks) {
  const uint64_t now = now_ticks();
  if (ticks <= now) return;
  // Rounded up, so the count reaches `ticks`.
  const unsigned __int128 c = static_cast<unsigned __int128>(ticks - now) * frequency_mhz_ * 1000000 / timer_.frequency() + 1;
  account(c > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(c));
}

uint64_t Vcpu::halted_clock_target() const {
  uint64_t latest = 0, earliest_deadline = UINT64_MAX;
  bool others_run = false;
  for (const auto& v : vm_.vcpus()) {
    latest = std::max(latest, v->ticks_seen_by(*this));
    if (v.get() == this || (v->powered_off() && !v->psci_reset_pending_)) continue;
    if (v->mp_state_ != KVM_MP_STATE_HALTED) others_run = true;
  }
  if (others_run) return latest;
  for (const auto& v : vm_.vcpus())
    if (v->mp_state_ == KVM_MP_STATE_HALTED || v.get() == this)
      earliest_deadline = std::min(earliest_deadline, v->timer_.next_deadline(v->ticks_seen_by(*this)));
  if (earliest_deadline == UINT64_MAX) return latest > now_ticks() ? latest : UINT64_MAX;
  return std::max(latest, earliest_deadline);
}

uint64_t Vcpu::insns_until_timer() const { return timer_.cycles_until_deadline(now_ticks(), frequency_mhz_); }

void Vcpu::sync_interrupts() {
  vgic::Vgic* gic = vm_.vgic();
  if (gic == nullptr) {
    // Userspace irqchip: the IRQ input is the line KVM_IRQ_LINE(KVM_ARM_IRQ_TYPE_CPU) drives.
    if (!vm_.vgic_created_) core_->set_irq_pending(user_irq_line_);
    return;
  }
  timer_.update(now_ticks(), *gic, id_);
  core_->set_irq_pending(gic->irq_pending(id_));
  vm_.kick_changed(id_);
}
}  // namespace kvm_model
