// The firmware interface a guest reaches through HVC #0 and SMC #0: SMCCC, PSCI, TRNG,
// PV time and the KVM vendor services, and the reset PSCI CPU_ON leaves pending.
#include "kvm_model/kvm.h"
#include "kvm_model/kvm_consts.h"

namespace kvm_model {
namespace {
// ---- PSCI 1.1 and SMCCC 1.1 function ids (Arm DEN0022, DEN0028) ----
constexpr uint64_t kPsciRetSuccess = 0;
constexpr uint64_t kPsciRetInvalidParams = static_cast<uint64_t>(-2);
constexpr uint64_t kPsciRetAlreadyOn = static_cast<uint64_t>(-4);
constexpr uint64_t kPsciRetOnPending = static_cast<uint64_t>(-5);
constexpr uint64_t kPsciRetInvalidAddress = static_cast<uint64_t>(-9);
// MPIDR_HWID_BITMASK: Aff3 and Aff2..Aff0. PSCI reserves every other bit of a target
// affinity argument, and KVM refuses a set one (kvm_psci_valid_affinity).
constexpr uint64_t kMpidrHwidMask = 0xff00ffffffull;
constexpr uint64_t kPsciAffinityOn = 0, kPsciAffinityOff = 1;
constexpr uint32_t kPsciVersion01 = 0, kPsciVersion10 = 0x00010000, kPsciVersion11 = 0x00010001;
constexpr uint64_t kSmcccVersion11 = 0x00010001;
}  // namespace

// SMCCC calls (HVC #0 and SMC #0) are handled in the kernel as 6.12's kvm_smccc_call_handler
// does: the VMM's SMCCC filter decides first (handle, deny, or forward to userspace as
// KVM_EXIT_HYPERCALL), then the firmware feature bitmaps gate the TRNG, PV-time and
// KVM-vendor services, then the call is answered; PSCI calls answer per the VM's PSCI
// version (0.1, 0.2, 1.0, 1.1). Results go to x0-x3, as smccc_set_retval writes them.
namespace {
// Function ids (Arm DEN0028 SMCCC, DEN0022 PSCI, DEN0098 TRNG, DEN0057 PV time; KVM's
// vendor-hypervisor service).
constexpr uint32_t kFnSmcccVersion = 0x80000000, kFnSmcccArchFeatures = 0x80000001;
constexpr uint32_t kFnWorkaround1 = 0x80008000, kFnWorkaround2 = 0x80007fff, kFnWorkaround3 = 0x80003fff;
constexpr uint32_t kFnPvTimeFeatures = 0xc5000020, kFnPvTimeSt = 0xc5000021;
constexpr uint32_t kFnTrngVersion = 0x84000050, kFnTrngFeatures = 0x84000051, kFnTrngGetUuid = 0x84000052,
                   kFnTrngRnd32 = 0x84000053, kFnTrngRnd64 = 0xc4000053;
constexpr uint32_t kFnVendorCallUid = 0x8600ff01, kFnKvmFeatures = 0x86000000, kFnKvmPtp = 0x86000001;
// PSCI function numbers (low 16 bits; the 64-bit forms set bit 30).
enum : uint32_t {
  kPsciFnVersion = 0, kPsciFnCpuSuspend = 1, kPsciFnCpuOff = 2, kPsciFnCpuOn = 3, kPsciFnAffinityInfo = 4,
  kPsciFnMigrateInfoType = 6, kPsciFnSystemOff = 8, kPsciFnSystemReset = 9, kPsciFnFeatures = 0xa,
  kPsciFnSystemSuspend = 0xe, kPsciFnSystemReset2 = 0x12,
};
constexpr uint32_t kPsci32 = 0x84000000, kPsci64 = 0xc4000000;
// KVM's PSCI 0.1 function ids (KVM_PSCI_FN_BASE + n: CPU_SUSPEND, CPU_OFF, CPU_ON, MIGRATE),
// which predate SMCCC. KVM implements only CPU_OFF and CPU_ON; the other two are
// NOT_SUPPORTED.
constexpr uint32_t kKvmPsciFnBase = 0x95c1ba5e;
constexpr uint32_t kKvmPsci01CpuOff = kKvmPsciFnBase + 1, kKvmPsci01CpuOn = kKvmPsciFnBase + 2,
                   kKvmPsci01Migrate = kKvmPsciFnBase + 3;
constexpr uint64_t kSmcccRetSuccess = 0, kSmcccRetNotRequired = static_cast<uint64_t>(-2);
constexpr uint64_t kWorkaroundRetUnaffected = 1;
constexpr uint64_t kPsciRetInternalFailure = static_cast<uint64_t>(-6);
constexpr uint64_t kPsciTosMp = 2;  // MIGRATE_INFO_TYPE: no Trusted OS needing migration
constexpr uint64_t kTrngVersion10 = 0x10000, kTrngInvalidParameter = static_cast<uint64_t>(-2);
// The TRNG service's UUID and KVM's vendor-hypervisor UID, as the four registers return them.
constexpr uint64_t kTrngUuid[4] = {0x0d21e000, 0x11eb4384, 0x44527080, 0x4c5a4e55};
constexpr uint64_t kKvmUid[4] = {0xb66fb428, 0xe911c52e, 0x564bcaa9, 0x743a004d};
constexpr uint32_t kSystemEventSuspend = 5;  // KVM_SYSTEM_EVENT_SUSPEND
constexpr uint64_t kResetFlagPsciReset2 = 1;
constexpr uint64_t kHypercallExitSmc = 1;  // KVM_HYPERCALL_EXIT_SMC

uint32_t owner(uint32_t fn) { return (fn >> 24) & 0x3f; }
bool psci_range(uint32_t fn) { return owner(fn) == 4 && (fn & 0xffff) <= 0x1f; }
}  // namespace

struct PsciCall {
  // What the handler tells the run loop.
  enum class Next : uint8_t { kResume, kExit, kWfi };
  struct Ret {
    uint64_t a[4] = {kPsciRetNotSupported, 0, 0, 0};
  };

  // kvm_smccc_default_allowed(): calls no bitmap gates.
  static bool default_allowed(uint32_t fn) {
    return fn == kFnSmcccVersion || fn == kFnSmcccArchFeatures || psci_range(fn) ||
           (fn >= kKvmPsciFnBase && fn <= kKvmPsci01Migrate);
  }
  // kvm_smccc_test_fw_bmap().
  static bool bitmap_allows(const SmcccConfig& f, uint32_t fn) {
    switch (fn) {
      case kFnTrngVersion: case kFnTrngFeatures: case kFnTrngGetUuid: case kFnTrngRnd32: case kFnTrngRnd64:
        return f.std_bmap & 1;
      case kFnPvTimeFeatures: case kFnPvTimeSt:
        return f.std_hyp_bmap & 1;
      case kFnKvmFeatures: case kFnVendorCallUid:
        return f.vendor_hyp_bmap & 1;
      case kFnKvmPtp:
        return (f.vendor_hyp_bmap >> 1) & 1;
      default:
        return false;
    }
  }

  static Next call(Vcpu& v, bool is_smc) {
    const uint32_t fn = static_cast<uint32_t>(v.core_->x(0));
    const SmcccConfig& f = v.vm_.smccc();
    uint8_t action = f.filter_action(fn);
    if (action == KVM_SMCCC_FILTER_HANDLE && !bitmap_allows(f, fn) && !default_allowed(fn))
      action = KVM_SMCCC_FILTER_DENY;
    Ret r;
    if (action == KVM_SMCCC_FILTER_FWD_TO_USER) {
      // kvm_prepare_hypercall_exit(): the guest's registers are left for the VMM.
      v.run_.exit_reason = KVM_EXIT_HYPERCALL;
      v.run_.hypercall = {};
      v.run_.hypercall.nr = fn;
      v.run_.hypercall.flags = is_smc ? kHypercallExitSmc : 0;
      return Next::kExit;
    }
    Next next = Next::kResume;
    if (action == KVM_SMCCC_FILTER_HANDLE) next = service(v, fn, r);
    if (next == Next::kExit && v.run_.system_event.type == kSystemEventSuspend) return next;  // registers untouched
    for (unsigned i = 0; i < 4; ++i) v.core_->set_x(i, r.a[i]);
    return next;
  }

  static Next service(Vcpu& v, uint32_t fn, Ret& r) {
    const SmcccConfig& f = v.vm_.smccc();
    const uint64_t arg1 = v.core_->x(1);
    switch (fn) {
      case kFnSmcccVersion: r.a[0] = kSmcccVersion11; return Next::kResume;
      case kFnSmcccArchFeatures:
        // The emulated cores are unaffected by the Spectre variants the workarounds cover.
        switch (static_cast<uint32_t>(arg1)) {
          case kFnWorkaround1: case kFnWorkaround3: r.a[0] = kWorkaroundRetUnaffected; break;
          case kFnWorkaround2: r.a[0] = kSmcccRetNotRequired; break;
          case kFnPvTimeFeatures: if (f.std_hyp_bmap & 1) r.a[0] = kSmcccRetSuccess; break;
          default: break;
        }
        return Next::kResume;
      case kFnPvTimeFeatures: {
        const uint32_t q = static_cast<uint32_t>(arg1);
        if ((q == kFnPvTimeFeatures || q == kFnPvTimeSt) && v.pvtime_ipa_ != ~uint64_t{0}) r.a[0] = kSmcccRetSuccess;
        return Next::kResume;
      }
      case kFnPvTimeSt:
        // kvm_init_stolen_time(): the 64-byte record starts zeroed (revision 0, no stolen
        // time), and stolen time counts from the calling thread's run delay now.
        if (v.pvtime_ipa_ != ~uint64_t{0}) {
          const uint8_t zero[64] = {};
          v.last_steal_ = v.caller_run_delay_;
          v.vm_.write_guest(v.pvtime_ipa_, zero, sizeof zero);
          r.a[0] = v.pvtime_ipa_;
        }
        return Next::kResume;
      case kFnVendorCallUid:
        for (unsigned i = 0; i < 4; ++i) r.a[i] = kKvmUid[i];
        return Next::kResume;
      case kFnKvmFeatures: r.a[0] = f.vendor_hyp_bmap; return Next::kResume;
      case kFnKvmPtp: {
        // kvm_ptp_get_time(): wall-clock ns (emulated time since the VM's counter started)
        // and the chosen counter at the same instant, each split into two 32-bit halves.
        const uint64_t now = v.now_ticks();
        uint64_t cycles;
        if (arg1 == 0) cycles = v.timer_.count(timer::TimerId::kVirt, now);
        else if (arg1 == 1) cycles = v.timer_.count(timer::TimerId::kPhys, now);
        else return Next::kResume;
        const uint64_t ns = static_cast<uint64_t>(static_cast<unsigned __int128>(now) * 1000000000 / v.timer_.frequency());
        r.a[0] = ns >> 32; r.a[1] = ns & 0xffffffff; r.a[2] = cycles >> 32; r.a[3] = cycles & 0xffffffff;
        return Next::kResume;
      }
      case kFnTrngVersion: r.a[0] = kTrngVersion10; return Next::kResume;
      case kFnTrngFeatures: {
        const uint32_t q = static_cast<uint32_t>(arg1);
        if (q == kFnTrngVersion || q == kFnTrngFeatures || q == kFnTrngGetUuid || q == kFnTrngRnd32 || q == kFnTrngRnd64)
          r.a[0] = kSmcccRetSuccess;
        return Next::kResume;
      }
      case kFnTrngGetUuid:
        for (unsigned i = 0; i < 4; ++i) r.a[i] = kTrngUuid[i];
        return Next::kResume;
      case kFnTrngRnd32:
      case kFnTrngRnd64: {
        // kvm_trng_do_rnd(): up to 3 registers' worth of bits, the rest cleared. The bits
        // come from the VM's deterministic generator so runs repeat byte for byte.
        const unsigned width = fn == kFnTrngRnd32 ? 32 : 64;
        const uint32_t nbits = static_cast<uint32_t>(arg1);
        if (nbits > 3 * width) { r.a[0] = kTrngInvalidParameter; return Next::kResume; }
        uint64_t bits[3] = {};
        for (unsigned i = 0; i * 64 < nbits; ++i) bits[i] = v.vm_.next_random();
        for (unsigned b = nbits; b < 192; ++b) bits[b / 64] &= ~(uint64_t{1} << (b % 64));
        r.a[0] = kSmcccRetSuccess;
        if (width == 32) { r.a[1] = bits[1] & 0xffffffff; r.a[2] = bits[0] >> 32; r.a[3] = bits[0] & 0xffffffff; }
        else { r.a[1] = bits[2]; r.a[2] = bits[1]; r.a[3] = bits[0]; }
        return Next::kResume;
      }
      default:
        return psci(v, fn, r);
    }
  }

  // kvm_psci_version(): the VM's version for vCPUs with the PSCI 0.2 feature, else 0.1.
  static uint32_t psci_version(const Vcpu& v) {
    return (v.features() >> KVM_ARM_VCPU_PSCI_0_2) & 1 ? v.vm_.smccc().psci_version : kPsciVersion01;
  }

  static Next psci(Vcpu& v, uint32_t fn, Ret& r) {
    const uint32_t ver = psci_version(v);
    if (ver == kPsciVersion01) {
      if (fn == kKvmPsci01CpuOff) { cpu_off(v); r.a[0] = kPsciRetSuccess; return Next::kExit; }
      if (fn == kKvmPsci01CpuOn) { r.a[0] = cpu_on(v, ver); return Next::kResume; }
      return Next::kResume;
    }
    // PSCI 0.2+: 32-bit forms of calls with address/affinity arguments see only their low
    // halves (kvm_psci_narrow_to_32bit).
    const bool is64 = (fn & 0xff000000) == kPsci64;
    if ((fn & 0xff000000) != kPsci32 && !is64) return Next::kResume;
    const uint32_t num = fn & 0xffff;
    if (!is64 && (num == kPsciFnCpuOn || num == kPsciFnAffinityInfo || num == kPsciFnSystemSuspend ||
                  num == kPsciFnSystemReset2))
      for (unsigned i = 1; i < 4; ++i) v.core_->set_x(i, v.core_->x(i) & 0xffffffff);
    const bool v1x = ver >= kPsciVersion10;
    const bool minor1 = ver >= kPsciVersion11;
    const bool suspend_ok = v.vm_.smccc().system_suspend;
    switch (num) {
      case kPsciFnVersion:
        if (is64) return Next::kResume;
        r.a[0] = ver;
        return Next::kResume;
      case kPsciFnCpuSuspend:
        // kvm_psci_vcpu_suspend(): a WFI, then success.
        r.a[0] = kPsciRetSuccess;
        return Next::kWfi;
      case kPsciFnCpuOff:
        if (is64) return Next::kResume;
        cpu_off(v);
        r.a[0] = kPsciRetSuccess;
        return Next::kExit;
      case kPsciFnCpuOn: r.a[0] = cpu_on(v, ver); return Next::kResume;
      case kPsciFnAffinityInfo: r.a[0] = affinity_info(v); return Next::kResume;
      case kPsciFnMigrateInfoType:
        if (is64) return Next::kResume;
        r.a[0] = kPsciTosMp;
        return Next::kResume;
      case kPsciFnSystemOff:
      case kPsciFnSystemReset:
        if (is64) return Next::kResume;
        // The guest gets INTERNAL_FAILURE if the VMM resumes it after the event anyway.
        system_event(v, num == kPsciFnSystemOff ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, 0);
        r.a[0] = kPsciRetInternalFailure;
        return Next::kExit;
      case kPsciFnFeatures:
        if (!v1x || is64) return Next::kResume;
        r.a[0] = features(static_cast<uint32_t>(v.core_->x(1)), minor1, suspend_ok);
        return Next::kResume;
      case kPsciFnSystemSuspend:
        if (!v1x || !suspend_ok) return Next::kResume;
        // Straight to the VMM with the guest's registers untouched: it reads the entry point
        // and context id from x1/x2 (kvm_psci_system_suspend).
        v.run_.exit_reason = KVM_EXIT_SYSTEM_EVENT;
        v.run_.system_event = {};
        v.run_.system_event.type = kSystemEventSuspend;
        return Next::kExit;
      case kPsciFnSystemReset2: {
        if (!minor1) return Next::kResume;
        const uint64_t type = v.core_->x(1) & 0xffffffff;
        // Architectural warm reset (0) or a vendor type (bit 31): a reset event.
        if (type == 0 || (type & 0x80000000u)) {
          system_event(v, KVM_SYSTEM_EVENT_RESET, kResetFlagPsciReset2);
          r.a[0] = kPsciRetInternalFailure;
          return Next::kExit;
        }
        r.a[0] = kPsciRetInvalidParams;
        return Next::kResume;
      }
      default:
        return Next::kResume;
    }
  }

  // PSCI_FEATURES (1.0+).
  static uint64_t features(uint32_t q, bool minor1, bool suspend_ok) {
    const uint32_t num = q & 0xffff;
    const bool is32 = (q & 0xff000000) == kPsci32, is64 = (q & 0xff000000) == kPsci64;
    if (q == kFnSmcccVersion) return kPsciRetSuccess;
    if (!is32 && !is64) return kPsciRetNotSupported;
    switch (num) {
      case kPsciFnCpuSuspend: case kPsciFnCpuOn: case kPsciFnAffinityInfo:
        return kPsciRetSuccess;
      case kPsciFnVersion: case kPsciFnCpuOff: case kPsciFnMigrateInfoType: case kPsciFnSystemOff:
      case kPsciFnSystemReset: case kPsciFnFeatures:
        return is32 ? kPsciRetSuccess : kPsciRetNotSupported;
      case kPsciFnSystemSuspend: return suspend_ok ? kPsciRetSuccess : kPsciRetNotSupported;
      case kPsciFnSystemReset2: return minor1 ? kPsciRetSuccess : kPsciRetNotSupported;
      default: return kPsciRetNotSupported;
    }
  }

  // kvm_psci_vcpu_on().
  static uint64_t cpu_on(Vcpu& v, uint32_t ver) {
    const uint64_t mpidr = v.core_->x(1);
    if ((mpidr & ~kMpidrHwidMask) != 0) return kPsciRetInvalidParams;
    Vcpu* target = v.vm_.find_vcpu_by_mpidr(mpidr);
    if (target == nullptr) return kPsciRetInvalidParams;
    // Kept from the model before this SMCCC rework (6.12's kvm_psci_vcpu_on has neither):
    // an entry point outside the IPA space is INVALID_ADDRESS (PSCI 1.0+), a second CPU_ON
    // before the target ran is ON_PENDING.
    if (ver != kPsciVersion01 && (v.core_->x(2) >> kDefaultIpaBits) != 0) return kPsciRetInvalidAddress;
    if (ver != kPsciVersion01 && target->psci_reset_pending_) return kPsciRetOnPending;
    if (!target->powered_off() || target->psci_reset_pending_)
      return ver != kPsciVersion01 ? kPsciRetAlreadyOn : kPsciRetInvalidParams;
    target->request_psci_on(v.core_->x(2), v.core_->x(3));
    v.vm_.kick(target->id());  // a powered-off vCPU thread waits for exactly this
    return kPsciRetSuccess;
  }

  // kvm_psci_vcpu_affinity_info(): ON if any vCPU matching the affinity at and above the
  // given level is on.
  static uint64_t affinity_info(Vcpu& v) {
    const uint64_t level = v.core_->x(2);
    if (level > 3 || (v.core_->x(1) & ~kMpidrHwidMask) != 0) return kPsciRetInvalidParams;
    static constexpr uint64_t kAffMask[4] = {0xff00ffffffull, 0xff00ffff00ull, 0xff00ff0000ull, 0xff00000000ull};
    const uint64_t want = v.core_->x(1) & kAffMask[level];
    bool found = false;
    for (const auto& t : v.vm_.vcpus()) {
      if ((t->mpidr() & kAffMask[level]) != want) continue;
      found = true;
      if (!t->powered_off() || t->psci_reset_pending_) return kPsciAffinityOn;
    }
    return found ? kPsciAffinityOff : kPsciRetInvalidParams;
  }

  static void cpu_off(Vcpu& v) {
    v.mp_state_ = KVM_MP_STATE_STOPPED;
    v.run_.exit_reason = KVM_EXIT_INTR;
  }

  // kvm_prepare_system_event(): every vCPU stops; the caller exits with the event.
  static void system_event(Vcpu& v, uint32_t type, uint64_t flags) {
    for (const auto& t : v.vm_.vcpus()) t->power_off();
    v.run_.exit_reason = KVM_EXIT_SYSTEM_EVENT;
    v.run_.system_event = {};
    v.run_.system_event.type = type;
    v.run_.system_event.ndata = 1;
    v.run_.system_event.data[0] = flags;
  }
};

int Vcpu::handle_smccc(bool is_smc) {
  if (debug_event_) debug_event_(id_, DebugEvent::kSmccc, is_smc ? "SMC" : "HVC", core_->state().r[0]);
  switch (PsciCall::call(*this, is_smc)) {
    case PsciCall::Next::kResume: return 1;
    case PsciCall::Next::kWfi: return 2;
    case PsciCall::Next::kExit: break;
  }
  return 0;
}

void Vcpu::request_psci_on(uint64_t entry, uint64_t context_id) {
  psci_entry_ = entry;
  psci_context_ = context_id;
  psci_reset_pending_ = true;
  mp_state_ = KVM_MP_STATE_RUNNABLE;
}

void Vcpu::apply_pending_psci_reset() {
  if (!psci_reset_pending_) return;
  // KVM_REQ_VCPU_RESET: the reset runs on the thread (and pCPU) that gets to it first, the
  // vCPU's own at KVM_RUN or a VMM thread's at KVM_{GET,SET}_ONE_REG, then the PSCI entry
  // point and context id are applied (kvm_reset_vcpu's reset_state).
  psci_reset_pending_ = false;
  const kvm_vcpu_init saved = features_;
  features_.features[0] &= ~(1u << KVM_ARM_VCPU_POWER_OFF);
  vpmu::ResetTrace trace;
  reset_vcpu("PSCI CPU_ON", reset_trace_ ? &trace : nullptr);
  features_ = saved;
  core_->state().pc = psci_entry_;
  core_->set_x(0, psci_context_);
  // Its clock was stopped while it was off: it joins the VM's time.
  catch_up_to_vm_time();
}
}  // namespace kvm_model
