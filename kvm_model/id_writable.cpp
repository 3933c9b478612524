#include "kvm_model/id_writable.h"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <span>

#include "cpu/arch/sysreg_key.h"
#include "cpu/core.h"
#include "kvm_model/kvm.h"

namespace kvm_model::id_writable {
namespace {

// How two values of a field combine into the one safe for both (cpufeature.c's ftr_type);
// a VMM's value is accepted when that combination with the limit is the value itself.
enum class Safe : uint8_t { kLower, kHigher, kExact };

// One 4-bit feature field as cpufeature.c describes it. Fields of a register that it does
// not describe (TME of ISAR0, LS64 of ISAR1, CSV2_frac of PFR1, ...) are never checked
// field by field: arm64_check_features() requires the limit's bits there.
struct Field {
  uint8_t shift;
  bool is_signed;  // S_ARM64_FTR_BITS: 0xf is -1 (not implemented), below 0
  Safe safe;
  uint8_t exact;   // kExact: the safe value when they differ
};
constexpr Field L(uint8_t s) { return {s, false, Safe::kLower, 0}; }
constexpr Field SL(uint8_t s) { return {s, true, Safe::kLower, 0}; }
constexpr Field H(uint8_t s) { return {s, false, Safe::kHigher, 0}; }
constexpr Field E(uint8_t s, uint8_t v) { return {s, false, Safe::kExact, v}; }

// cpufeature.c's ftr_id_aa64* tables (Linux 6.12). PMUVer and DebugVer of DFR0 are FTR_EXACT
// there, but KVM compares them as lower-safe (kvm_arm64_ftr_safe_value), as written here.
constexpr Field kPfr0[] = {L(60), L(56), L(48), L(44), L(40), L(36), L(32), L(28),
                           L(24), SL(20), SL(16), L(12), L(8), L(4), L(0)};
constexpr Field kPfr1[] = {L(24), L(16), L(12), L(8), L(4), L(0)};
constexpr Field kZfr0[] = {L(56), L(52), L(44), L(40), L(32), L(24), L(20), L(16), L(4), L(0)};
constexpr Field kDfr0[] = {SL(36), L(32), L(28), L(20), L(12), L(8), L(0)};
constexpr Field kIsar0[] = {L(60), L(56), L(52), L(48), L(44), L(40), L(36),
                            L(32), L(28), L(20), L(16), L(12), L(8), L(4)};
constexpr Field kIsar1[] = {L(56), L(52), L(48), L(44), L(40), L(36), L(32), L(28),
                            L(24), L(20), L(16), L(12), E(8, 0), E(4, 0), L(0)};
constexpr Field kIsar2[] = {L(56), L(52), L(48), L(28), L(20), L(16), E(12, 0), L(8), L(4), L(0)};
constexpr Field kMmfr0[] = {L(60), L(56), L(44), E(40, 1), E(36, 1), E(32, 1), SL(28),
                            SL(24), L(20), L(16), L(12), L(8), L(4), L(0)};
constexpr Field kMmfr1[] = {L(60), L(52), L(44), L(40), L(36), L(32), L(28),
                            H(24), L(20), L(16), L(12), L(8), L(4), L(0)};
constexpr Field kMmfr2[] = {L(60), L(56), L(52), L(48), L(40), L(36), L(32), L(28),
                            L(24), L(20), L(16), L(12), L(8), L(4), L(0)};

constexpr uint64_t f4(unsigned shift) { return uint64_t{0xf} << shift; }

// The sys_reg_desc .val (writable mask) of each register: mask67 as 6.7 introduced the
// writable ID registers, newest as Linux 6.12.118 has it (the newest source this model was
// checked against; later kernels widen some masks, never the fields below).
struct Rule {
  uint8_t crm, op2;
  uint64_t mask67, newest;
  std::span<const Field> fields;
};
constexpr Rule kRules[] = {
    // ID_AA64PFR0_EL1: all but AMU, MPAM, SVE, RAS, AdvSIMD and FP (KVM sets the first
    // ones itself, from the vCPU features and what it virtualises, and cannot take FP or
    // AdvSIMD from a guest); 6.7 also kept GIC fixed.
    {4, 0, ~(f4(44) | f4(40) | f4(32) | f4(28) | f4(24) | f4(20) | f4(16)),
     ~(f4(44) | f4(40) | f4(32) | f4(28) | f4(20) | f4(16)), kPfr0},
    // ID_AA64PFR1_EL1: CSV2_frac, SSBS and BT (writable after 6.7).
    {4, 1, 0, f4(32) | f4(4) | f4(0), kPfr1},
    // ID_AA64ZFR0_EL1: every allocated field (writable after 6.7).
    {4, 4, 0, ~(f4(60) | f4(48) | f4(36) | f4(28) | f4(12) | f4(8)), kZfr0},
    // ID_AA64PFR2_EL1 (FPMR), ID_AA64FPFR0_EL1 (the FP8 fields) and, under CRm 7,
    // ID_AA64MMFR3_EL1 (TCRX, S1PIE, S1POE): writable after 6.7; the emulated cores
    // implement none of them (the registers read zero), so only zero passes the check.
    {4, 2, 0, f4(32), {}},
    {4, 7, 0, 0xf0000003u, {}},
    {7, 3, 0, f4(16) | f4(8) | f4(0), {}},
    // ID_AA64DFR0_EL1: PMUVer and DebugVer; later also DoubleLock and WRPs (BRPs and
    // CTX_CMPs stay fixed: KVM does not emulate a breakpoint layout the hardware lacks).
    {5, 0, f4(8) | f4(0), f4(36) | f4(20) | f4(8) | f4(0), kDfr0},
    // ID_AA64ISAR0_EL1..ISAR2: all but RES0 and the pointer-authentication fields.
    {6, 0, ~f4(0), ~f4(0), kIsar0},
    {6, 1, ~(f4(28) | f4(24) | f4(8) | f4(4)), ~(f4(28) | f4(24) | f4(8) | f4(4)), kIsar1},
    {6, 2, ~(f4(44) | f4(12) | f4(8)), ~(f4(44) | f4(12) | f4(8)), kIsar2},
    // ID_AA64MMFR0_EL1: all but RES0 and the stage-2 granule fields; ASIDBITS became
    // read-only later (6.13, backported to 6.12.y: the hardware keeps using every ASID bit
    // it has whatever the guest is told, so a smaller width cannot be honoured).
    {7, 0, ~(f4(52) | f4(48) | f4(40) | f4(36) | f4(32)),
     ~(f4(52) | f4(48) | f4(40) | f4(36) | f4(32) | f4(4)), kMmfr0},
    // ID_AA64MMFR1_EL1: all but HCX, TWED, XNX, VH and VMIDBits (EL2 features KVM owns).
    {7, 1, ~(f4(40) | f4(32) | f4(28) | f4(8) | f4(4)), ~(f4(40) | f4(32) | f4(28) | f4(8) | f4(4)), kMmfr1},
    // ID_AA64MMFR2_EL1: all but RES0, EVT, FWB, IDS, NV and CCIDX.
    {7, 2, ~(f4(56) | f4(44) | f4(40) | f4(36) | f4(24) | f4(20)),
     ~(f4(56) | f4(44) | f4(40) | f4(36) | f4(24) | f4(20)), kMmfr2},
};

// CTR_EL0 (op1 3, CRn 0, CRm 0, op2 1): DIC, IDC, DminLine, IminLine, writable after 6.7
// (its rule is Vm::set_ctr's).
constexpr uint64_t kCtrMask = (uint64_t{1} << 29) | (uint64_t{1} << 28) | f4(16) | f4(0);

// KVM_ARM_FEATURE_ID_RANGE_SIZE: op1 0, 1 and 3, CRm 0-7, op2 0-7.
constexpr size_t kRangeSize = 3 * 8 * 8;

// The era's rule set is a field of its policy row, never its identity.
using Gen = vpmu::IdRegWrites;
Gen gen_of(vpmu::Era era) { return vpmu::policy(era).id_reg_writes; }

const Rule* rule_of(uint8_t crm, uint8_t op2) {
  for (const Rule& r : kRules)
    if (r.crm == crm && r.op2 == op2) return &r;
  return nullptr;
}

int64_t field_value(const Field& f, uint64_t v) {
  const uint64_t raw = (v >> f.shift) & 0xf;
  return f.is_signed && (raw & 8) ? static_cast<int64_t>(raw) - 16 : static_cast<int64_t>(raw);
}

int64_t safe_value(const Field& f, int64_t a, int64_t b) {
  switch (f.safe) {
    case Safe::kLower: return std::min(a, b);
    case Safe::kHigher: return std::max(a, b);
    case Safe::kExact: return f.exact;
  }
  return f.exact;
}

}  // namespace

bool era_has_writable_features(vpmu::Era era) { return gen_of(era) != Gen::kPmuVerAndCsv; }
bool era_checks_id_writes(vpmu::Era era, uint8_t crm, uint8_t op2) {
  return crm >= 4 && crm <= 7 && (era_has_writable_features(era) || !(crm == 5 && op2 == 0));
}
bool era_hides_absent_gic(vpmu::Era era) { return gen_of(era) == Gen::kFeatures6_12; }
bool era_ctr_writable(vpmu::Era era) { return gen_of(era) == Gen::kFeatures6_12; }

uint64_t writable_mask(vpmu::Era era, uint8_t crm, uint8_t op2) {
  const Gen g = gen_of(era);
  // Before 6.7 (6.6 brought set_id_reg): the PMU version and PFR0's CSV2 and CSV3.
  if (g == Gen::kPmuVerAndCsv) {
    if (crm == 5 && op2 == 0) return f4(8);
    if (crm == 4 && op2 == 0) return f4(60) | f4(56);
    return 0;
  }
  const Rule* r = rule_of(crm, op2);
  if (r == nullptr) return 0;
  return g == Gen::kFeatures6_7 ? r->mask67 : r->newest;
}

void writable_masks(vpmu::Era era, std::vector<uint64_t>& masks) {
  masks.assign(kRangeSize, 0);
  for (uint8_t crm = 0; crm < 8; ++crm)
    for (uint8_t op2 = 0; op2 < 8; ++op2) masks[crm * 8u + op2] = writable_mask(era, crm, op2);
  // KVM_ARM_FEATURE_ID_RANGE_IDX folds op1 3 onto 2 (op1 0, 1 and 3 are the ID spaces).
  if (gen_of(era) == Gen::kFeatures6_12) masks[2 * 64 + 0 * 8 + 1] = kCtrMask;
}

int check(vpmu::Era era, uint8_t crm, uint8_t op2, uint64_t value, uint64_t limit) {
  const uint64_t writable = writable_mask(era, crm, op2);
  const Rule* r = rule_of(crm, op2);
  if (writable == 0 || r == nullptr) return value == limit ? 0 : -EINVAL;
  uint64_t checked = 0;
  for (const Field& f : r->fields) {
    const uint64_t fm = f4(f.shift);
    if ((fm & writable) != fm) continue;
    checked |= fm;
    const int64_t v = field_value(f, value), l = field_value(f, limit);
    if (v != l && safe_value(f, v, l) != v) return -EINVAL;  // -E2BIG in sys_regs.c, -EINVAL to userspace
  }
  return (value & ~checked) == (limit & ~checked) ? 0 : -EINVAL;
}

}  // namespace kvm_model::id_writable

namespace kvm_model {
namespace {

// The IdRegs member a feature ID register lives in (CRm 4-7); the others read as zero.
using IdMember = uint64_t cpu::IdRegs::*;
struct IdHome {
  uint8_t crm, op2;
  IdMember member;
};
constexpr IdHome kIdHomes[] = {
    {4, 0, &cpu::IdRegs::id_aa64pfr0},  {4, 1, &cpu::IdRegs::id_aa64pfr1},  {4, 4, &cpu::IdRegs::id_aa64zfr0},
    {5, 0, &cpu::IdRegs::id_aa64dfr0},  {5, 1, &cpu::IdRegs::id_aa64dfr1},  {6, 0, &cpu::IdRegs::id_aa64isar0},
    {6, 1, &cpu::IdRegs::id_aa64isar1}, {6, 2, &cpu::IdRegs::id_aa64isar2}, {7, 0, &cpu::IdRegs::id_aa64mmfr0},
    {7, 1, &cpu::IdRegs::id_aa64mmfr1}, {7, 2, &cpu::IdRegs::id_aa64mmfr2},
};
IdMember member_of(uint8_t crm, uint8_t op2) {
  for (const IdHome& h : kIdHomes)
    if (h.crm == crm && h.op2 == op2) return h.member;
  return nullptr;
}

constexpr uint64_t kPmuVer = uint64_t{0xf} << 8;
constexpr uint64_t kPmuVerImpDef = 0xf;
constexpr uint64_t kDebugVerImp = 6;  // Armv8.0 debug: the least a vCPU may claim
constexpr uint64_t kPfr0Gic = uint64_t{0xf} << 24;
constexpr uint64_t kGicV3SysregIf = uint64_t{1} << 24;

// The values KVM resets the ID registers to (read_sanitised_id_aa64pfr0_el1 and friends):
// the host's, with ID_AA64PFR0_EL1.GIC = 1, since KVM advertises the GICv3 CPU interface
// whenever the host has one (the model's hosts are GICv3 hosts) whether or not the VM
// creates a vGIC.
cpu::IdRegs kvm_reset_ids(const cpu::IdRegs& host) {
  cpu::IdRegs ids = host;
  ids.id_aa64pfr0 = (ids.id_aa64pfr0 & ~kPfr0Gic) | kGicV3SysregIf;
  return ids;
}

}  // namespace

int Vm::set_feature_id_reg(Vcpu& v, uint8_t crm, uint8_t op2, uint64_t value) {
  const uint64_t id = arch::SysRegKey{3, 0, 0, crm, op2}.to_one_reg_id();
  const IdMember m = member_of(crm, op2);
  const bool dfr0 = crm == 5 && op2 == 0;
  uint8_t pmuver = 0;
  if (dfr0) {
    // set_id_aa64dfr0_el1(): an IMP_DEF PMU (which older kernels showed) is taken as none,
    // and DebugVer has a nonzero minimum, checked before anything else.
    pmuver = static_cast<uint8_t>((value & kPmuVer) >> 8);
    if (pmuver == kPmuVerImpDef) {
      value &= ~kPmuVer;
      pmuver = 0;
    }
    if ((value & 0xf) < kDebugVerImp) return -EINVAL;
  }
  if (has_run()) {
    // Immutable once the VM ran: only the value already there is accepted.
    uint64_t current = 0;
    v.get_state_reg(id, current);
    return value == current ? 0 : -EBUSY;
  }
  // The limit is the value KVM resets the register to, as a new vCPU gets it.
  uint64_t limit = m != nullptr ? kvm_reset_ids(host_.cpus.front().ids).*m : 0;
  if (dfr0) {
    // PMUVer is the vPMU's: 0 without the PMU feature, otherwise its own rule
    // (VmPmu::set_user_pmuver: up to the host's limit).
    if ((v.features() & (1u << KVM_ARM_VCPU_PMU_V3)) == 0 && pmuver != 0) return -EINVAL;
    limit = (limit & ~kPmuVer) | (value & kPmuVer);
  }
  if (int rc = id_writable::check(era_, crm, op2, value, limit); rc != 0) return rc;
  if (dfr0) {
    if (int rc = pmu_.set_user_pmuver(pmuver); rc != 0) return rc;
    value = (value & ~kPmuVer) | (uint64_t{pmu_.pmuver()} << 8);
  }
  if (m == nullptr) return 0;  // RAZ: only zero passed the check
  written_ids_[crm * 8u + op2] = value;
  for (const auto& vc : vcpus_) {
    cpu::IdRegs ids = vc->core_->ids();
    ids.*m = value;
    vc->core_->set_ids(ids);
  }
  return 0;
}

void Vm::apply_written_ids(cpu::IdRegs& ids) const {
  ids = kvm_reset_ids(ids);
  for (const IdHome& h : kIdHomes)
    if (const auto& w = written_ids_[h.crm * 8u + h.op2]) ids.*h.member = *w;
}

void Vm::finalize_id_regs() {
  if (!id_writable::era_hides_absent_gic(era_) || vgic_created_) return;
  cpu::IdRegs host = kvm_reset_ids(host_.cpus.front().ids);
  const uint64_t pfr0 = written_ids_[4 * 8 + 0].value_or(host.id_aa64pfr0) & ~kPfr0Gic;
  written_ids_[4 * 8 + 0] = pfr0;
  // A vCPU that has run was finalised at its own first run and may be executing now
  // (outside the VM lock): only those that have not run yet, this one included, change.
  for (const auto& vc : vcpus_) {
    if (vc->has_run()) continue;
    cpu::IdRegs ids = vc->core_->ids();
    ids.id_aa64pfr0 = pfr0;
    vc->core_->set_ids(ids);
  }
}

}  // namespace kvm_model
