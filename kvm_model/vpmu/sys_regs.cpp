// The vPMU rows of sys_reg_descs[] and their hooks (arch/arm64/kvm/sys_regs.c), the guest-trap
// entry point and the ONE_REG / REG_LIST paths. Era differences are delegated to EraPolicy.
#include "kvm_model/vpmu/sys_regs.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "kvm_model/vpmu/vpmu.h"

namespace kvm_model::vpmu {
namespace {

using arch::SysRegKey;

// ---------------- EL0 gating (spec 2.9) ----------------
// check_pmu_access_disabled(): allowed if privileged or PMUSERENR has any of `flags`.
bool el0_disabled(const VcpuPmu& v, const SysRegParams& p, uint64_t flags) {
  return !((v.reg(Slot::PMUSERENR_EL0) & flags) || p.el >= 1);
}
bool pmu_access_el0_disabled(const VcpuPmu& v, const SysRegParams& p) { return el0_disabled(v, p, userenr::kEN); }
bool pmu_write_swinc_el0_disabled(const VcpuPmu& v, const SysRegParams& p) {
  return el0_disabled(v, p, userenr::kSW | userenr::kEN);
}
bool pmu_access_cycle_counter_el0_disabled(const VcpuPmu& v, const SysRegParams& p) {
  return el0_disabled(v, p, userenr::kCR | userenr::kEN);
}
bool pmu_access_event_counter_el0_disabled(const VcpuPmu& v, const SysRegParams& p) {
  return el0_disabled(v, p, userenr::kER | userenr::kEN);
}

// ---------------- guest access handlers (spec 2.8) ----------------
AccessResult access_pmcr(VcpuPmu& v, SysRegParams& p, const SysRegDesc&) {
  if (!p.is_write) return read_pmcr_el0(v, p.el, p.regval) ? AccessResult::kHandled : AccessResult::kUndef;
  if (pmu_access_el0_disabled(v, p)) return AccessResult::kUndef;
  {
    // Only bits 7:0 are writable; N, IDCODE, IMP come from the current PMCR.
    uint64_t val = (v.read_pmcr() & ~kPmcrWritableMask) | (p.regval & kPmcrWritableMask);
    if (!v.vm().host().features().supports_32bit_el0) val |= pmcr::kLC;  // LC is RES1
    v.handle_pmcr(val);
  }
  return AccessResult::kHandled;
}

AccessResult access_pmselr(VcpuPmu& v, SysRegParams& p, const SysRegDesc&) {
  if (p.is_write) return write_pmselr_el0(v, p.el, p.regval) ? AccessResult::kHandled : AccessResult::kUndef;
  if (pmu_access_event_counter_el0_disabled(v, p)) return AccessResult::kUndef;
  p.regval = v.reg(Slot::PMSELR_EL0) & selr::kSelMask;
  return AccessResult::kHandled;
}

AccessResult access_pmceid(VcpuPmu& v, SysRegParams& p, const SysRegDesc& r) {
  // PMCEID<n>_EL0 are read-only: the MSR encoding is UNDEFINED in hardware, before any trap
  // (KVM's handler BUG_ON()s a write it can never see).
  if (p.is_write) return AccessResult::kUndef;
  if (pmu_access_el0_disabled(v, p)) return AccessResult::kUndef;
  p.regval = v.pmceid(r.key.op2 & 1);
  return AccessResult::kHandled;
}

AccessResult access_pmmir(VcpuPmu& v, SysRegParams& p, const SysRegDesc&) {
  // trap_raz_wi. An EL1 register, and read-only: EL0 accesses and MSR are UNDEFINED in
  // hardware before reaching KVM. A STRICT VM (7.3) reads the VM's PMMIR_EL1.SLOTS.
  if (p.el == 0 || p.is_write) return AccessResult::kUndef;
  p.regval = v.has_pmu() && v.vm().strict() ? v.vm().pmmir_slots() : 0;
  return AccessResult::kHandled;
}

AccessResult access_pmu_evcntr(VcpuPmu& v, SysRegParams& p, const SysRegDesc& r) {
  const SysRegKey& k = r.key;
  unsigned idx;
  if (k.crn == 9 && k.crm == 13 && k.op2 == 2) {  // PMXEVCNTR_EL0
    if (pmu_access_event_counter_el0_disabled(v, p)) return AccessResult::kUndef;
    idx = static_cast<unsigned>(v.reg(Slot::PMSELR_EL0) & selr::kSelMask);
  } else if (k.crn == 9 && k.crm == 13 && k.op2 == 0) {  // PMCCNTR_EL0
    if (pmu_access_cycle_counter_el0_disabled(v, p)) return AccessResult::kUndef;
    idx = kCycleIdx;
  } else {  // PMEVCNTR<n>_EL0 (CRn 14, CRm 8..11)
    if (pmu_access_event_counter_el0_disabled(v, p)) return AccessResult::kUndef;
    idx = ((k.crm & 3u) << 3) | (k.op2 & 7u);
  }
  if (p.is_write) return write_counter_checked(v, idx, p.el, p.regval) ? AccessResult::kHandled : AccessResult::kUndef;
  return read_counter_checked(v, idx, p.regval) ? AccessResult::kHandled : AccessResult::kUndef;
}

AccessResult access_pmu_evtyper(VcpuPmu& v, SysRegParams& p, const SysRegDesc& r) {
  if (pmu_access_el0_disabled(v, p)) return AccessResult::kUndef;
  const SysRegKey& k = r.key;
  unsigned idx;
  if (k.crn == 9 && k.crm == 13 && k.op2 == 1)  // PMXEVTYPER_EL0: SEL 31 lands on PMCCFILTR
    idx = static_cast<unsigned>(v.reg(Slot::PMSELR_EL0) & selr::kSelMask);
  else  // PMEVTYPER<n>_EL0 (CRm 12..15); (14,15,7) is PMCCFILTR_EL0 = index 31
    idx = ((k.crm & 3u) << 3) | (k.op2 & 7u);
  if (!p.is_write) return read_evtyper_checked(v, idx, p.regval) ? AccessResult::kHandled : AccessResult::kUndef;
  return write_evtyper_checked(v, idx, p.regval) ? AccessResult::kHandled : AccessResult::kUndef;
}

}  // namespace

namespace {
AccessResult access_pmcnten(VcpuPmu& v, SysRegParams& p, const SysRegDesc& r) {
  if (pmu_access_el0_disabled(v, p)) return AccessResult::kUndef;
  if (p.is_write) {
    write_pmcnten(v, r.key.op2 & 1, p.regval);  // PMCNTENSET op2=1, PMCNTENCLR op2=2
  } else {
    p.regval = read_pmcnten_el0(v);
  }
  return AccessResult::kHandled;
}

AccessResult access_pminten(VcpuPmu& v, SysRegParams& p, const SysRegDesc& r) {
  // check_pmu_access_disabled(vcpu, 0): privileged only, PMUSERENR cannot open it.
  if (el0_disabled(v, p, 0)) return AccessResult::kUndef;
  if (p.is_write) {
    const uint64_t val = p.regval & v.valid_mask();
    if (r.key.op2 & 1)
      v.reg(Slot::PMINTENSET_EL1) |= val;
    else
      v.reg(Slot::PMINTENSET_EL1) &= ~val;
  } else {
    p.regval = v.reg(Slot::PMINTENSET_EL1);
  }
  return AccessResult::kHandled;
}

AccessResult access_pmovs(VcpuPmu& v, SysRegParams& p, const SysRegDesc& r) {
  if (pmu_access_el0_disabled(v, p)) return AccessResult::kUndef;
  if (p.is_write) {
    const uint64_t val = p.regval & v.valid_mask();
    if (r.key.crm & 2)  // PMOVSSET has CRm=14, PMOVSCLR CRm=12
      v.reg(Slot::PMOVSSET_EL0) |= val;
    else
      v.reg(Slot::PMOVSSET_EL0) &= ~val;
  } else {
    p.regval = v.reg(Slot::PMOVSSET_EL0);
  }
  return AccessResult::kHandled;
}

AccessResult access_pmswinc(VcpuPmu& v, SysRegParams& p, const SysRegDesc&) {
  if (!p.is_write) return AccessResult::kUndef;  // read_from_write_only()
  if (pmu_write_swinc_el0_disabled(v, p)) return AccessResult::kUndef;
  v.software_increment(p.regval & v.valid_mask());
  return AccessResult::kHandled;
}

AccessResult access_pmuserenr(VcpuPmu& v, SysRegParams& p, const SysRegDesc&) {
  if (p.is_write) {
    if (p.el == 0) return AccessResult::kUndef;  // !vcpu_mode_priv()
    v.reg(Slot::PMUSERENR_EL0) = p.regval & userenr::kMask;
  } else {
    p.regval = v.reg(Slot::PMUSERENR_EL0) & userenr::kMask;
  }
  return AccessResult::kHandled;
}

// ---------------- reset hooks (spec 2.5) ----------------
std::optional<uint64_t> reset_pmcr_row(const VcpuPmu& v, const SysRegDesc&, uint32_t pcpu) {
  return v.policy().reset_pmcr(v, pcpu);
}
std::optional<uint64_t> reset_bitmap_row(const VcpuPmu& v, const SysRegDesc&, uint32_t pcpu) {
  return v.policy().reset_bitmap(v, pcpu);
}
std::optional<uint64_t> reset_pmevtyper_row(const VcpuPmu& v, const SysRegDesc&, uint32_t) {
  return v.policy().reset_pmevtyper(v);
}
std::optional<uint64_t> reset_pmselr(const VcpuPmu&, const SysRegDesc&, uint32_t) {
  return kUnknownPattern & selr::kSelMask;
}
std::optional<uint64_t> reset_unknown(const VcpuPmu&, const SysRegDesc&, uint32_t) { return kUnknownPattern; }
std::optional<uint64_t> reset_pmevcntr(const VcpuPmu&, const SysRegDesc&, uint32_t) {
  return kUnknownPattern & 0xffffffffull;
}
std::optional<uint64_t> reset_val_0(const VcpuPmu&, const SysRegDesc&, uint32_t) { return 0; }

// ---------------- userspace hooks (spec 2.6, 2.7, 2.11) ----------------
int get_pmcr(const VcpuPmu& v, const SysRegDesc&, uint64_t& out) { return v.policy().get_pmcr_user(v, out); }
int set_pmcr(VcpuPmu& v, const SysRegDesc&, uint64_t val) { return v.policy().set_pmcr_user(v, val); }
int get_pmreg(const VcpuPmu& v, const SysRegDesc& r, uint64_t& out) {
  out = v.policy().get_bitmap_user(v, r.slot);
  return 0;
}
int set_pmreg(VcpuPmu& v, const SysRegDesc& r, uint64_t val) {
  // PMOVS pair: CRm bit 1 marks SET; PMCNTEN/PMINTEN pairs: op2 bit 0.
  const bool set = r.slot == Slot::PMOVSSET_EL0 ? (r.key.crm & 2) != 0 : (r.key.op2 & 1) != 0;
  v.policy().set_bitmap_user(v, r.slot, set, val);
  return 0;
}
int get_raz_reg(const VcpuPmu&, const SysRegDesc&, uint64_t& out) {
  out = 0;
  return 0;
}
int set_wi_reg(VcpuPmu&, const SysRegDesc&, uint64_t) { return 0; }
unsigned counter_idx_of(const SysRegKey& k) {
  return (k.crn == 9 && k.crm == 13 && k.op2 == 0) ? kCycleIdx : (((k.crm & 3u) << 3) | (k.op2 & 7u));
}
int get_pmu_evcntr(const VcpuPmu& v, const SysRegDesc& r, uint64_t& out) {
  out = v.get_counter_value(counter_idx_of(r.key));  // the live value (slot + backing)
  return 0;
}
int set_pmu_evcntr(VcpuPmu& v, const SysRegDesc& r, uint64_t val) {
  v.policy().set_counter_user(v, counter_idx_of(r.key), val);
  return 0;
}

// PMMIR_EL1 from userspace (STRICT only; elsewhere it is not in REG_LIST): the SLOTS the VM's
// PMU has, which userspace may keep or clear to 0 before the VM runs, never invent.
int get_pmmir(const VcpuPmu& v, const SysRegDesc&, uint64_t& out) {
  out = v.vm().pmmir_slots();
  return 0;
}
int set_pmmir(VcpuPmu& v, const SysRegDesc&, uint64_t val) {
  VmPmu& vm = v.vm();
  if (val == vm.pmmir_slots()) return 0;
  if (val != 0) return -EINVAL;
  if (vm.has_ran_once()) return -EBUSY;
  vm.set_pmmir_slots(0);
  return 0;
}

Visibility pmu_visibility(const VcpuPmu& v, const SysRegDesc&) {
  return v.has_pmu() ? Visibility::kVisible : Visibility::kHidden;
}

// PMMIR_EL1 is not a PMU_SYS_REG() row in Linux but plain trap_raz_wi: the guest reads it
// with or without the PMU feature (the trap path does not ask this hook). Userspace sees it
// (ONE_REG, REG_LIST) only for a STRICT PMU vCPU.
Visibility pmmir_visibility(const VcpuPmu& v, const SysRegDesc&) {
  return v.has_pmu() && v.vm().strict() ? Visibility::kVisible : Visibility::kHidden;
}

// ---------------- the table ----------------
struct Name16 {
  char s[16] = {};
};
constexpr Name16 indexed_name(std::string_view prefix, unsigned n) {
  Name16 r;
  size_t k = 0;
  for (char c : prefix) r.s[k++] = c;
  if (n >= 10) r.s[k++] = static_cast<char>('0' + n / 10);
  r.s[k++] = static_cast<char>('0' + n % 10);
  for (char c : std::string_view("_EL0")) r.s[k++] = c;
  return r;
}
template <size_t... I>
constexpr std::array<Name16, sizeof...(I)> indexed_names(std::string_view prefix, std::index_sequence<I...>) {
  return {indexed_name(prefix, I)...};
}
inline constexpr auto kEvcntrNames = indexed_names("PMEVCNTR", std::make_index_sequence<kMaxEventCounters>{});
inline constexpr auto kEvtyperNames = indexed_names("PMEVTYPER", std::make_index_sequence<kMaxEventCounters>{});

using AccessFn = AccessResult (*)(VcpuPmu&, SysRegParams&, const SysRegDesc&);
using ResetFn = std::optional<uint64_t> (*)(const VcpuPmu&, const SysRegDesc&, uint32_t);
using GetFn = int (*)(const VcpuPmu&, const SysRegDesc&, uint64_t&);
using SetFn = int (*)(VcpuPmu&, const SysRegDesc&, uint64_t);

// PMU_SYS_REG(): every row is a PMU register, hidden without the PMU feature.
constexpr SysRegDesc pmu_reg(std::string_view name, SysRegKey key, Slot slot, AccessFn access, ResetFn reset = nullptr,
                             GetFn get = nullptr, SetFn set = nullptr) {
  return SysRegDesc{name, key, slot, access, reset, get, set, pmu_visibility};
}
constexpr SysRegKey evcntr_key(unsigned n) {
  return arch::sysreg(3, 3, 14, static_cast<uint8_t>(8 + (n >> 3)), static_cast<uint8_t>(n & 7));
}
constexpr SysRegKey evtyper_key(unsigned n) {
  return arch::sysreg(3, 3, 14, static_cast<uint8_t>(12 + (n >> 3)), static_cast<uint8_t>(n & 7));
}

constexpr std::array<SysRegDesc, kNumPmuSysRegs> build_table() {
  std::array<SysRegDesc, kNumPmuSysRegs> t{};
  size_t k = 0;
  using arch::sysreg;
  t[k++] = pmu_reg("PMINTENSET_EL1", sysreg(3, 0, 9, 14, 1), Slot::PMINTENSET_EL1, access_pminten, reset_bitmap_row,
                   get_pmreg, set_pmreg);
  t[k++] = pmu_reg("PMINTENCLR_EL1", sysreg(3, 0, 9, 14, 2), Slot::PMINTENSET_EL1, access_pminten, reset_bitmap_row,
                   get_pmreg, set_pmreg);
  t[k++] = SysRegDesc{"PMMIR_EL1", sysreg(3, 0, 9, 14, 6), Slot::kNone, access_pmmir, nullptr, get_pmmir, set_pmmir,
                      pmmir_visibility};
  t[k++] = pmu_reg("PMCR_EL0", sysreg(3, 3, 9, 12, 0), Slot::PMCR_EL0, access_pmcr, reset_pmcr_row, get_pmcr, set_pmcr);
  t[k++] = pmu_reg("PMCNTENSET_EL0", sysreg(3, 3, 9, 12, 1), Slot::PMCNTENSET_EL0, access_pmcnten, reset_bitmap_row,
                   get_pmreg, set_pmreg);
  t[k++] = pmu_reg("PMCNTENCLR_EL0", sysreg(3, 3, 9, 12, 2), Slot::PMCNTENSET_EL0, access_pmcnten, reset_bitmap_row,
                   get_pmreg, set_pmreg);
  t[k++] = pmu_reg("PMOVSCLR_EL0", sysreg(3, 3, 9, 12, 3), Slot::PMOVSSET_EL0, access_pmovs, reset_bitmap_row,
                   get_pmreg, set_pmreg);
  // PMSWINC_EL0: listed for ABI compatibility, reads 0, writes ignored.
  t[k++] = pmu_reg("PMSWINC_EL0", sysreg(3, 3, 9, 12, 4), Slot::kNone, access_pmswinc, nullptr, get_raz_reg, set_wi_reg);
  t[k++] = pmu_reg("PMSELR_EL0", sysreg(3, 3, 9, 12, 5), Slot::PMSELR_EL0, access_pmselr, reset_pmselr);
  t[k++] = pmu_reg("PMCEID0_EL0", sysreg(3, 3, 9, 12, 6), Slot::kNone, access_pmceid);
  t[k++] = pmu_reg("PMCEID1_EL0", sysreg(3, 3, 9, 12, 7), Slot::kNone, access_pmceid);
  t[k++] = pmu_reg("PMCCNTR_EL0", sysreg(3, 3, 9, 13, 0), Slot::PMCCNTR_EL0, access_pmu_evcntr, reset_unknown,
                   get_pmu_evcntr, set_pmu_evcntr);
  t[k++] = pmu_reg("PMXEVTYPER_EL0", sysreg(3, 3, 9, 13, 1), Slot::kNone, access_pmu_evtyper);
  t[k++] = pmu_reg("PMXEVCNTR_EL0", sysreg(3, 3, 9, 13, 2), Slot::kNone, access_pmu_evcntr);
  t[k++] = pmu_reg("PMUSERENR_EL0", sysreg(3, 3, 9, 14, 0), Slot::PMUSERENR_EL0, access_pmuserenr, reset_val_0);
  t[k++] = pmu_reg("PMOVSSET_EL0", sysreg(3, 3, 9, 14, 3), Slot::PMOVSSET_EL0, access_pmovs, reset_bitmap_row,
                   get_pmreg, set_pmreg);
  for (unsigned n = 0; n < kMaxEventCounters; ++n)
    t[k++] = pmu_reg(std::string_view(kEvcntrNames[n].s), evcntr_key(n), evcntr_slot(n), access_pmu_evcntr,
                     reset_pmevcntr, get_pmu_evcntr, set_pmu_evcntr);
  for (unsigned n = 0; n < kMaxEventCounters; ++n)
    t[k++] = pmu_reg(std::string_view(kEvtyperNames[n].s), evtyper_key(n), evtyper_slot(n), access_pmu_evtyper,
                     reset_pmevtyper_row);
  // PMCCFILTR_EL0 is the PMEVTYPER31 encoding.
  t[k++] = pmu_reg("PMCCFILTR_EL0", sysreg(3, 3, 14, 15, 7), Slot::PMCCFILTR_EL0, access_pmu_evtyper, reset_val_0);
  std::sort(t.begin(), t.end(), [](const SysRegDesc& a, const SysRegDesc& b) { return a.key.index() < b.key.index(); });
  return t;
}

}  // namespace

extern constexpr std::array<SysRegDesc, kNumPmuSysRegs> kPmuSysRegs = build_table();

namespace {
constexpr const std::array<SysRegDesc, kNumPmuSysRegs>& kTable = kPmuSysRegs;

// ---- compile-time checks of the table: a malformed row fails the build ----
constexpr bool strictly_sorted() {
  for (size_t i = 1; i < kTable.size(); ++i)
    if (!(kTable[i - 1].key.index() < kTable[i].key.index())) return false;
  return true;
}
static_assert(strictly_sorted(), "vPMU sys_reg table must be sorted by encoding, without duplicates");
constexpr bool every_slot_has_reset() {
  for (const auto& r : kTable)
    if (r.slot != Slot::kNone && r.reset == nullptr) return false;
  return true;
}
static_assert(every_slot_has_reset(), "every stored vPMU register needs a reset function");
constexpr bool every_row_complete() {
  for (const auto& r : kTable)
    if (r.access == nullptr || r.visibility == nullptr || r.name.empty()) return false;
  return true;
}
static_assert(every_row_complete(), "every vPMU row needs a name, an access and a visibility hook");
constexpr bool every_row_pmu_visibility() {
  for (size_t i = 0; i < kTable.size(); ++i)
    if ((kTable[i].visibility != &pmu_visibility) != (i == kPmmirRow)) return false;
  return kTable[kPmmirRow].name == "PMMIR_EL1";
}
// The trap path (handle_sys_reg in vpmu.h) tests has_pmu() for it, kPmmirRow aside.
static_assert(every_row_pmu_visibility(), "every vPMU row but PMMIR_EL1 is PMU_SYS_REG(): hidden exactly without the PMU");
constexpr size_t user_visible_rows() {
  size_t n = 0;
  for (const auto& r : kTable) n += r.user_visible();
  return n;
}
// 74 PMU_SYS_REG() rows, plus PMMIR_EL1, which only a STRICT vCPU lists.
static_assert(user_visible_rows() == 75, "KVM exposes exactly 74 vPMU registers to ONE_REG (spec 2.11), 75 when STRICT");

// The O(1) encoding index: 64K entries, one byte each (row number, 0xff = none).
constexpr std::array<uint8_t, 65536> build_index() {
  std::array<uint8_t, 65536> idx{};
  for (auto& e : idx) e = 0xff;
  for (size_t i = 0; i < kTable.size(); ++i) idx[kTable[i].key.index()] = static_cast<uint8_t>(i);
  return idx;
}
inline constexpr std::array<uint8_t, 65536> kIndex = build_index();
// The same index keyed by SysRegKey::iss_index(), for the guest trap path, which also tells
// the PMU's encodings from the others: op0 = 3 with (op1 = 3, CRn = 9), (op1 = 3, CRn = 14,
// CRm >= 8: PMEVCNTR/PMEVTYPER/PMCCFILTR; CRm 0..3 there is the generic timer) or (op1 = 0,
// CRn = 9). Those without a row are kNoRow, every other encoding kForeign.
constexpr std::array<uint8_t, 65536> build_iss_index() {
  std::array<uint8_t, 65536> idx{};
  for (auto& e : idx) e = kForeign;
  for (const auto& [op1, crn, crm_min] : {std::array<uint8_t, 3>{3, 9, 0}, {3, 14, 8}, {0, 9, 0}})
    for (uint8_t op2 = 0; op2 < 8; ++op2)
      for (uint8_t crm = crm_min; crm < 16; ++crm)
        idx[SysRegKey::iss_index(arch::sysreg(3, op1, crn, crm, op2).to_esr_iss(0, false))] = kNoRow;
  for (size_t i = 0; i < kTable.size(); ++i)
    idx[SysRegKey::iss_index(kTable[i].key.to_esr_iss(0, false))] = static_cast<uint8_t>(i);
  return idx;
}

bool hidden(const VcpuPmu& v, const SysRegDesc& r) {
  // Every row of this table uses pmu_visibility; its answer is read directly rather than
  // through the pointer on each trap.
  if (r.visibility == &pmu_visibility) return !v.has_pmu();
  return r.visibility != nullptr && r.visibility(v, r) == Visibility::kHidden;
}

// index_to_sys_reg_desc() + the checks of kvm_sys_reg_{get,set}_user().
const SysRegDesc* user_row(const VcpuPmu& v, uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  if (!key) return nullptr;
  const SysRegDesc* r = find_pmu_sys_reg(*key);
  if (r == nullptr || !r->user_visible() || hidden(v, *r)) return nullptr;
  return r;
}

}  // namespace

std::span<const SysRegDesc> pmu_sys_reg_table() { return kTable; }

const SysRegDesc* find_pmu_sys_reg(arch::SysRegKey key) {
  const uint8_t i = kIndex[key.index()];
  return i == 0xff ? nullptr : &kTable[i];
}

std::string_view reset_name(const VcpuPmu& v, const SysRegDesc& r) {
  if (r.reset == reset_pmcr_row) return v.policy().reset_pmcr_name;
  if (r.reset == reset_bitmap_row) return v.policy().reset_bitmap_name;
  if (r.reset == reset_pmevtyper_row) return v.policy().reset_pmevtyper_name;
  if (r.reset == reset_pmselr) return "reset_pmselr";
  if (r.reset == reset_unknown) return "reset_unknown";
  if (r.reset == reset_pmevcntr) return "reset_pmevcntr";
  if (r.reset == reset_val_0) return "reset_val (0)";
  return "";
}

bool is_pmu_sys_reg(arch::SysRegKey key) { return find_pmu_sys_reg(key) != nullptr; }

namespace {
// Bit per SysRegKey::iss_index() and direction: 1 = the access can go without settling
// (read/write: any counting; clock_read/clock_write: on the instruction clock).
struct NoSettle {
  std::array<uint64_t, 1024> read{}, write{};
  std::array<uint64_t, 1024> clock_read{}, clock_write{};
};
constexpr NoSettle build_no_settle() {
  NoSettle t;
  const auto mark = [](std::array<uint64_t, 1024>& m, SysRegKey k) {
    const uint16_t i = SysRegKey::iss_index(k.to_esr_iss(0, false));
    m[i >> 6] |= uint64_t{1} << (i & 63);
  };
  for (SysRegKey k : {arch::sysreg(3, 3, 9, 12, 0), arch::sysreg(3, 3, 9, 12, 1), arch::sysreg(3, 3, 9, 12, 2),
                      arch::sysreg(3, 3, 9, 12, 5), arch::sysreg(3, 3, 9, 12, 6), arch::sysreg(3, 3, 9, 12, 7),
                      arch::sysreg(3, 3, 9, 13, 1), arch::sysreg(3, 3, 9, 14, 0), arch::sysreg(3, 0, 9, 14, 1),
                      arch::sysreg(3, 0, 9, 14, 2), arch::sysreg(3, 0, 9, 14, 6)})
    mark(t.read, k);
  for (uint8_t crm = 12; crm <= 15; ++crm)  // PMEVTYPER<n>_EL0 and PMCCFILTR_EL0
    for (uint8_t op2 = 0; op2 < 8; ++op2) mark(t.read, arch::sysreg(3, 3, 14, crm, op2));
  for (SysRegKey k : {arch::sysreg(3, 3, 9, 12, 5), arch::sysreg(3, 3, 9, 14, 0)}) mark(t.write, k);
  // On the instruction clock, an access that reads or writes one counter settles that
  // counter alone (get_counter_value, set_counter_value), and a change of what counts
  // settles every counter itself (VcpuPmu::Reconfig): PMEVCNTR<n>, PMCCNTR and PMXEVCNTR
  // reads and writes, PMEVTYPER<n>, PMCCFILTR and PMXEVTYPER writes, PMCNTENSET/CLR writes.
  t.clock_read = t.read;
  t.clock_write = t.write;
  for (SysRegKey k : {arch::sysreg(3, 3, 9, 13, 0), arch::sysreg(3, 3, 9, 13, 2)}) {
    mark(t.clock_read, k);
    mark(t.clock_write, k);
  }
  mark(t.clock_write, arch::sysreg(3, 3, 9, 13, 1));
  mark(t.clock_write, arch::sysreg(3, 3, 9, 12, 1));
  mark(t.clock_write, arch::sysreg(3, 3, 9, 12, 2));
  for (uint8_t crm = 8; crm <= 11; ++crm)  // PMEVCNTR<n>_EL0
    for (uint8_t op2 = 0; op2 < 8; ++op2) {
      mark(t.clock_read, arch::sysreg(3, 3, 14, crm, op2));
      mark(t.clock_write, arch::sysreg(3, 3, 14, crm, op2));
    }
  for (uint8_t crm = 12; crm <= 15; ++crm)  // PMEVTYPER<n>_EL0 and PMCCFILTR_EL0
    for (uint8_t op2 = 0; op2 < 8; ++op2) mark(t.clock_write, arch::sysreg(3, 3, 14, crm, op2));
  return t;
}
constexpr NoSettle kNoSettle = build_no_settle();

constexpr bool bit_set(const std::array<uint64_t, 1024>& m, uint16_t i) { return (m[i >> 6] >> (i & 63)) & 1; }

// Writes that change neither the overflow interrupt's inputs (PMCR, PMOVSSET, PMINTENSET,
// PMCNTENSET) nor request a reload: after them the exit and re-entry have nothing to do.
// (A counter or event type write that reconfigures settles first, and raises the level
// itself if that finds an overflow.)
constexpr bool write_leaves_level(SysRegKey k) {
  if (k.op0 != 3 || k.op1 != 3) return false;
  if (k.crn == 14) return k.crm >= 8;                                        // PMEVCNTR, PMEVTYPER, PMCCFILTR
  if (k.crn == 9 && k.crm == 13) return k.op2 <= 2;                          // PMCCNTR, PMXEVTYPER, PMXEVCNTR
  return k.crn == 9 && ((k.crm == 12 && k.op2 == 5) || (k.crm == 14 && k.op2 == 0));  // PMSELR, PMUSERENR
}

constexpr std::array<std::array<uint8_t, 2>, 256> build_trap_flags() {
  std::array<std::array<uint8_t, 2>, 256> f{};
  // Encodings in the PMU space without a row UNDEF; the counters are settled first as for
  // any access the no-settle lists do not name.
  f[kNoRow] = {trap::kCounts | trap::kClockSettle, trap::kCounts | trap::kClockSettle};
  f[kForeign] = f[kNoRow];
  for (size_t row = 0; row < kTable.size(); ++row) {
    const uint16_t i = SysRegKey::iss_index(kTable[row].key.to_esr_iss(0, false));
    for (unsigned dir = 0; dir < 2; ++dir) {  // ISS.Direction: 0 = MSR, 1 = MRS
      uint8_t v = 0;
      if (!bit_set(dir ? kNoSettle.read : kNoSettle.write, i)) v |= trap::kCounts;
      if (!bit_set(dir ? kNoSettle.clock_read : kNoSettle.clock_write, i)) v |= trap::kClockSettle;
      if (dir == 0 && !write_leaves_level(kTable[row].key)) v |= trap::kExitWork;
      f[row][dir] = v;
    }
  }
  return f;
}
}  // namespace

extern constexpr std::array<uint8_t, 65536> kTrapRow = build_iss_index();
extern constexpr std::array<std::array<uint8_t, 2>, 256> kTrapFlags = build_trap_flags();

uint32_t bind_trap(uint32_t esr_iss) {
  const TrapRoute route = route_trap(esr_iss);
  if (route.row == kForeign) return 0;
  const bool is_read = esr_iss & 1;
  trap::Op op = trap::Op::kRouted;
  unsigned idx = 0;
  if (route.row < kTable.size()) {
    const SysRegDesc& r = kTable[route.row];
    const SysRegKey& k = r.key;
    const bool pmx = k.crn == 9 && k.crm == 13;  // PMCCNTR, PMXEVTYPER, PMXEVCNTR
    if (r.access == access_pmu_evcntr && !(pmx && k.op2 == 2)) {
      op = is_read ? trap::Op::kCounterRead : trap::Op::kCounterWrite;
      idx = counter_idx_of(k);
    } else if (r.access == access_pmu_evcntr && is_read) {
      op = trap::Op::kSelCounterRead;
    } else if (r.access == access_pmu_evtyper && !pmx) {
      op = is_read ? trap::Op::kTyperRead : trap::Op::kTyperWrite;
      idx = ((k.crm & 3u) << 3) | (k.op2 & 7u);
    } else if (r.access == access_pmcr && is_read) {
      op = trap::Op::kPmcrRead;
    } else if (r.access == access_pmselr && !is_read) {
      op = trap::Op::kSelrWrite;
    } else if (r.access == access_pmcnten) {
      op = is_read ? trap::Op::kCntenRead : trap::Op::kCntenWrite;
      idx = k.op2 & 1u;  // PMCNTENSET op2=1, PMCNTENCLR op2=2
    }
    // The direct path leaves out settling every counter first: an encoding whose flags ask
    // for it keeps the full path.
    if (route.flags & trap::kClockSettle) op = trap::Op::kRouted;
    // The ops that read a counter or change what counts need the counts (kCounts); the
    // others must need none, since the trap path gathers none for them.
    if (op_counts(op) != ((route.flags & trap::kCounts) != 0)) op = trap::Op::kRouted;
    // Read handlers never need the exit work (handle_bound does it for writes only).
    if (is_read && (route.flags & trap::kExitWork)) op = trap::Op::kRouted;
  }
  return uint32_t{route.row} | uint32_t{route.flags} << 8 | uint32_t{static_cast<uint8_t>(op)} << 16 | idx << 24 |
         uint32_t{1} << 30;
}

HandleResult handle_sys_reg(VcpuPmu& v, uint32_t esr_iss, uint8_t el, uint64_t& rt_value) {
  return handle_sys_reg(v, route_trap(esr_iss), esr_iss, el, rt_value);
}

bool access_needs_counts(uint32_t esr_iss) {
  const uint16_t i = SysRegKey::iss_index(esr_iss);
  const auto& m = (esr_iss & 1) ? kNoSettle.read : kNoSettle.write;
  return ((m[i >> 6] >> (i & 63)) & 1) == 0;
}

bool access_settles_clock(uint32_t esr_iss) {
  const uint16_t i = SysRegKey::iss_index(esr_iss);
  const auto& m = (esr_iss & 1) ? kNoSettle.clock_read : kNoSettle.clock_write;
  return ((m[i >> 6] >> (i & 63)) & 1) == 0;
}

bool owns_one_reg_id(uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  return key && is_pmu_sys_reg(*key);
}

int get_one_reg(const VcpuPmu& v, uint64_t id, uint64_t& out) {
  const SysRegDesc* r = user_row(v, id);
  if (r == nullptr) return -ENOENT;
  if (r->get_user) return r->get_user(v, *r, out);
  out = v.reg(r->slot);
  return 0;
}

int set_one_reg(VcpuPmu& v, uint64_t id, uint64_t val) {
  const SysRegDesc* r = user_row(v, id);
  if (r == nullptr) return -ENOENT;
  if (r->set_user) return r->set_user(v, *r, val);
  v.reg(r->slot) = val;
  return 0;
}

void append_reg_list(const VcpuPmu& v, std::vector<uint64_t>& ids) {
  for (const auto& r : kTable)
    if (r.user_visible() && !hidden(v, r)) ids.push_back(r.one_reg_id());
}

void reset_pmu_sys_regs(VcpuPmu& v, uint32_t pcpu, ResetTrace* trace) {
  for (const auto& r : kTable) {
    if (r.reset == nullptr) continue;
    const uint64_t before = v.reg(r.slot);
    const std::optional<uint64_t> val = r.reset(v, r, pcpu);
    if (val) v.reg(r.slot) = *val;
    if (trace)
      trace->push_back({std::string(reset_name(v, r)) + (val ? "" : " [untouched]"), std::string(r.name), before,
                        v.reg(r.slot)});
  }
}

}  // namespace kvm_model::vpmu
