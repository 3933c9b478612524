#include "kvm_model/kvm.h"

#include <array>

#include "cpu/sysreg/sysregs.h"

namespace kvm_model {
namespace {

// MPIDR_EL1 for a vCPU id, as KVM's reset_mpidr builds it: Aff0 = id[3:0],
// Aff1 = id[11:4], Aff2 = id[19:12], bit 31 RES1.
uint64_t mpidr_for(unsigned id) {
  return 0x80000000ull | (id & 0x0f) | (uint64_t{(id >> 4) & 0xff} << 8) | (uint64_t{(id >> 12) & 0xff} << 16);
}

// ---- PSCI 1.1 and SMCCC 1.1 function ids (Arm DEN0022, DEN0028) ----
constexpr uint32_t kSmcccVersion = 0x80000000;
constexpr uint32_t kSmcccArchFeatures = 0x80000001;
constexpr uint32_t kPsciVersion = 0x84000000;
constexpr uint32_t kPsciCpuOff = 0x84000002;
constexpr uint32_t kPsciCpuOn64 = 0xC4000003;
constexpr uint32_t kPsciAffinityInfo64 = 0xC4000004;
constexpr uint32_t kPsciSystemOff = 0x84000008;
constexpr uint32_t kPsciSystemReset = 0x84000009;
constexpr uint32_t kPsciFeatures = 0x8400000A;
constexpr uint64_t kPsciRetSuccess = 0;
constexpr uint64_t kPsciRetNotSupported = static_cast<uint64_t>(-1);
constexpr uint64_t kPsciRetInvalidParams = static_cast<uint64_t>(-2);
constexpr uint64_t kPsciRetAlreadyOn = static_cast<uint64_t>(-4);
constexpr uint64_t kPsciRetOnPending = static_cast<uint64_t>(-5);
constexpr uint64_t kPsciAffinityOn = 0, kPsciAffinityOff = 1;
constexpr uint64_t kPsciVersion11 = 0x00010001;
constexpr uint64_t kSmcccVersion11 = 0x00010001;

bool pstate_mode_valid(uint64_t pstate) {
  const unsigned m = pstate & 0x1f;
  return m == 0x0 || m == 0x4 || m == 0x5;  // EL0t, EL1t, EL1h (no AArch32, no EL2)
}

}  // namespace

// ---------------- Vm ----------------
Vm::Vm(const HostDesc& host) : host_(host) {}
Vm::~Vm() = default;

int Vm::set_user_memory_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* userspace_addr) {
  if (slot != 0 || size == 0 || userspace_addr == nullptr) return -EINVAL;
  if ((gpa | size) & (cpu::kPageSize - 1)) return -EINVAL;
  if (!vcpus_.empty()) return -EEXIST;  // one slot, fixed before the vCPUs exist
  mem_ = std::make_unique<cpu::PhysMem>(userspace_addr, gpa, size);
  return 0;
}

int Vm::create_vcpu(unsigned id, Vcpu*& out) {
  if (mem_ == nullptr) return -EINVAL;  // the model needs guest memory before vCPUs
  if (id >= 512) return -EINVAL;        // KVM_MAX_VCPUS on arm64
  for (const auto& v : vcpus_)
    if (v->id() == id) return -EEXIST;
  vcpus_.push_back(std::make_unique<Vcpu>(*this, id));
  out = vcpus_.back().get();
  return 0;
}

int Vm::arm_preferred_target(kvm_vcpu_init& init) const {
  init = kvm_vcpu_init{};
  init.target = KVM_ARM_TARGET_GENERIC_V8;
  return 0;
}

int Kvm::create_vm(std::unique_ptr<Vm>& out) const {
  if (host_.cpus.empty()) return -ENODEV;
  out = std::make_unique<Vm>(host_);
  return 0;
}

// ---------------- Vcpu ----------------
Vcpu::Vcpu(Vm& vm, unsigned id) : vm_(vm), id_(id) {
  cpu::IdRegs ids = vm.host().cpus.front().ids;
  ids.mpidr = mpidr_for(id);
  core_ = std::make_unique<cpu::Core>(*vm.mem(), ids);
}
Vcpu::~Vcpu() = default;

void Vcpu::reset_vcpu() {
  core_->reset(0);
  mp_state_ = (features_.features[0] >> KVM_ARM_VCPU_POWER_OFF) & 1 ? KVM_MP_STATE_STOPPED
                                                                     : KVM_MP_STATE_RUNNABLE;
}

int Vcpu::arm_vcpu_init(const kvm_vcpu_init& init) {
  if (init.target != KVM_ARM_TARGET_GENERIC_V8) return -EINVAL;
  constexpr uint32_t kValid = (1u << KVM_ARM_VCPU_POWER_OFF) | (1u << KVM_ARM_VCPU_PSCI_0_2) |
                              (1u << KVM_ARM_VCPU_PMU_V3) | (1u << KVM_ARM_VCPU_EL1_32BIT);
  if (init.features[0] & ~kValid) return -ENOENT;
  for (int i = 1; i < 7; ++i)
    if (init.features[i] != 0) return -ENOENT;
  if (init.features[0] & (1u << KVM_ARM_VCPU_EL1_32BIT)) return -EINVAL;  // no AArch32 EL1
  // A re-init must ask for the same features (power-off aside).
  constexpr uint32_t kPowerOff = 1u << KVM_ARM_VCPU_POWER_OFF;
  if (initialised_ && ((features_.features[0] ^ init.features[0]) & ~kPowerOff)) return -EINVAL;
  features_ = init;
  reset_vcpu();
  initialised_ = true;
  return 0;
}

int Vcpu::get_one_reg(uint64_t id, uint64_t& value) {
  if (!initialised_) return -ENOEXEC;
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
  return -ENOENT;
}

int Vcpu::set_one_reg(uint64_t id, uint64_t value) {
  if (!initialised_) return -ENOEXEC;
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
  return -ENOENT;
}

void Vcpu::vcpu_load(uint32_t pcpu) { pcpu_ = pcpu; }
void Vcpu::vcpu_put() {}

void Vcpu::set_insn_trace(InsnTrace t) {
  if (!t) {
    core_->set_tracer(nullptr);
    return;
  }
  core_->set_tracer([this, t = std::move(t)](const cpu::Core& c, uint64_t pc, uint32_t insn) {
    t(id_, pc, insn, c.state().el);
  });
}

// PSCI and SMCCC calls are handled in the kernel, as KVM's kvm_smccc_call_handler and
// kvm_psci_call do, one table row per function id.
struct PsciCall {
  // Returns true to resume the guest with x0 = ret, false to exit to the VMM.
  using Fn = bool (*)(Vcpu& self, uint64_t& ret);
  uint32_t id;
  Fn fn;

  static bool smccc_version(Vcpu&, uint64_t& ret) { ret = kSmcccVersion11; return true; }
  static bool not_supported(Vcpu&, uint64_t& ret) { ret = kPsciRetNotSupported; return true; }
  static bool psci_version(Vcpu&, uint64_t& ret) { ret = kPsciVersion11; return true; }
  static bool psci_features(Vcpu& v, uint64_t& ret);
  static bool cpu_on(Vcpu& v, uint64_t& ret) {
    Vcpu* target = v.vm_.find_vcpu_by_mpidr(v.core_->x(1));
    if (target == nullptr) ret = kPsciRetInvalidParams;
    else if (target->psci_reset_pending_) ret = kPsciRetOnPending;
    else if (!target->powered_off()) ret = kPsciRetAlreadyOn;
    else {
      target->request_psci_on(v.core_->x(2), v.core_->x(3));
      ret = kPsciRetSuccess;
    }
    return true;
  }
  // AFFINITY_INFO: ON if any vCPU matching the affinity (at and above the given level) is on.
  static bool affinity_info(Vcpu& v, uint64_t& ret) {
    const uint64_t level = v.core_->x(2);
    if (level > 3) { ret = kPsciRetInvalidParams; return true; }
    static constexpr uint64_t kAffMask[4] = {0xff00ffffffull, 0xff00ffff00ull, 0xff00ff0000ull, 0xff00000000ull};
    const uint64_t want = v.core_->x(1) & kAffMask[level];
    bool found = false, on = false;
    for (const auto& t : v.vm_.vcpus()) {
      if ((t->mpidr() & kAffMask[level]) != want) continue;
      found = true;
      on |= !t->powered_off() || t->psci_reset_pending_;
    }
    ret = !found ? kPsciRetInvalidParams : (on ? kPsciAffinityOn : kPsciAffinityOff);
    return true;
  }
  static bool cpu_off(Vcpu& v, uint64_t&) {
    v.mp_state_ = KVM_MP_STATE_STOPPED;
    v.run_.exit_reason = KVM_EXIT_INTR;
    return false;
  }
  // SYSTEM_OFF/SYSTEM_RESET stop every vCPU and exit to the VMM with a system event.
  static bool system_event(Vcpu& v, uint32_t type) {
    for (const auto& t : v.vm_.vcpus()) t->power_off();
    v.run_.exit_reason = KVM_EXIT_SYSTEM_EVENT;
    v.run_.system_event.type = type;
    v.run_.system_event.ndata = 1;
    v.run_.system_event.data[0] = 0;
    return false;
  }
  static bool system_off(Vcpu& v, uint64_t&) { return system_event(v, KVM_SYSTEM_EVENT_SHUTDOWN); }
  static bool system_reset(Vcpu& v, uint64_t&) { return system_event(v, KVM_SYSTEM_EVENT_RESET); }
};

constexpr PsciCall kPsciCalls[] = {
    {kSmcccVersion, &PsciCall::smccc_version}, {kSmcccArchFeatures, &PsciCall::not_supported},
    {kPsciVersion, &PsciCall::psci_version},   {kPsciFeatures, &PsciCall::psci_features},
    {kPsciCpuOn64, &PsciCall::cpu_on},         {kPsciAffinityInfo64, &PsciCall::affinity_info},
    {kPsciCpuOff, &PsciCall::cpu_off},         {kPsciSystemOff, &PsciCall::system_off},
    {kPsciSystemReset, &PsciCall::system_reset},
};

bool PsciCall::psci_features(Vcpu& v, uint64_t& ret) {
  const uint32_t q = static_cast<uint32_t>(v.core_->x(1));
  ret = kPsciRetNotSupported;
  for (const auto& c : kPsciCalls)
    if (c.id == q && c.id != kSmcccArchFeatures) ret = kPsciRetSuccess;
  return true;
}

bool Vcpu::handle_hvc() {
  const uint32_t fn = static_cast<uint32_t>(core_->x(0));
  uint64_t ret = kPsciRetNotSupported;  // unknown function ids: SMCCC_RET_NOT_SUPPORTED
  for (const auto& c : kPsciCalls) {
    if (c.id == fn) {
      if (!c.fn(*this, ret)) return false;
      break;
    }
  }
  core_->set_x(0, ret);
  return true;
}

uint64_t Vcpu::mpidr() const { return mpidr_for(id_); }

void Vcpu::request_psci_on(uint64_t entry, uint64_t context_id) {
  psci_entry_ = entry;
  psci_context_ = context_id;
  psci_reset_pending_ = true;
  mp_state_ = KVM_MP_STATE_RUNNABLE;
}

Vcpu* Vm::find_vcpu_by_mpidr(uint64_t mpidr) {
  constexpr uint64_t kAff = 0xff00ffffffull;
  for (const auto& v : vcpus_)
    if ((v->mpidr() & kAff) == (mpidr & kAff)) return v.get();
  return nullptr;
}

int Vcpu::run() {
  if (!initialised_) return -ENOEXEC;
  run_.insns_retired = 0;
  if (psci_reset_pending_) {
    // KVM_REQ_VCPU_RESET: the reset runs on this vCPU's own thread (and pCPU), then the
    // PSCI entry point and context id are applied (kvm_reset_vcpu's reset_state).
    psci_reset_pending_ = false;
    const kvm_vcpu_init saved = features_;
    features_.features[0] &= ~(1u << KVM_ARM_VCPU_POWER_OFF);
    reset_vcpu();
    features_ = saved;
    core_->state().pc = psci_entry_;
    core_->set_x(0, psci_context_);
  }
  if (mp_state_ == KVM_MP_STATE_STOPPED) {
    run_.exit_reason = KVM_EXIT_INTR;
    return -EINTR;
  }
  mp_state_ = KVM_MP_STATE_RUNNABLE;
  for (;;) {
    const uint64_t budget = run_.insn_budget - run_.insns_retired;
    const cpu::RunResult r = core_->run(budget);
    run_.insns_retired += r.retired;
    switch (r.reason) {
      case cpu::ExitReason::kBudget:
      case cpu::ExitReason::kStopRequested:
        run_.exit_reason = KVM_EXIT_INTR;
        return -EINTR;
      case cpu::ExitReason::kHvc:
      case cpu::ExitReason::kSmc:
        if (handle_hvc()) continue;
        return run_.exit_reason == KVM_EXIT_INTR ? -EINTR : 0;
      case cpu::ExitReason::kSemihosting:
        run_.exit_reason = KVM_EXIT_DEBUG;
        run_.debug.hsr = PMUEMU_DEBUG_SEMIHOSTING;
        return 0;
      case cpu::ExitReason::kWfi:
        // WFI with no interrupt source able to wake the vCPU: the vCPU blocks. The
        // thread would sleep in KVM_RUN; the model returns so the VMM sees HALTED.
        mp_state_ = KVM_MP_STATE_HALTED;
        run_.exit_reason = KVM_EXIT_INTR;
        return -EINTR;
      case cpu::ExitReason::kExceptionLoop: {
        run_.exit_reason = KVM_EXIT_INTERNAL_ERROR;
        run_.internal.suberror = PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP;
        run_.internal.ndata = 4;
        // The first fault of the loop is the one that explains it.
        run_.internal.data[0] = core_->loop_origin().esr;
        run_.internal.data[1] = core_->loop_origin().elr;
        run_.internal.data[2] = core_->loop_origin().far;
        run_.internal.data[3] = core_->loop_origin().elr;
        return 0;
      }
    }
  }
}

}  // namespace kvm_model
