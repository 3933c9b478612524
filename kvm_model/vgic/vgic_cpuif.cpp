// The GICv3 CPU interface system registers of a vCPU (IHI 0069 "AArch64 GIC System register
// descriptions", ICC_*_EL1), as a constexpr table of {name, key, read, write} rows. A null
// read means the encoding has no MRS form (UNDEFINED), a null write no MSR form.
#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kvm_model/vgic/vgic.h"

namespace kvm_model::vgic {

struct CpuIfOps {
  using ReadFn = uint64_t (*)(Vgic&, unsigned vcpu);
  using WriteFn = void (*)(Vgic&, unsigned vcpu, uint64_t value);

  static CpuIfState& cif(Vgic& g, unsigned v) { return g.s_.cpus[v].cpuif; }

  static uint64_t raz(Vgic&, unsigned) { return 0; }
  static void wi(Vgic&, unsigned, uint64_t) {}
  // Group 0 acknowledge/highest-pending: no interrupt is Group 0, so always the spurious INTID.
  static uint64_t read_spurious(Vgic&, unsigned) { return kSpuriousIntid; }

  // ICC_PMR_EL1: unimplemented low priority bits are RAZ/WI.
  static uint64_t read_pmr(Vgic& g, unsigned v) { return cif(g, v).pmr; }
  static void write_pmr(Vgic& g, unsigned v, uint64_t x) {
    cif(g, v).pmr = static_cast<uint8_t>(arch::bits<7, 0>(x)) & kPriorityMask;
    g.refresh(v);
  }

  // ICC_BPR0_EL1 / ICC_BPR1_EL1: writes below the minimum set the minimum. With
  // ICC_CTLR_EL1.CBPR = 1, BPR1 reads as min(BPR0 + 1, 7) and ignores writes (IHI 0069
  // ICC_BPR1_EL1, Non-secure accesses with CBPR set).
  static uint64_t read_bpr0(Vgic& g, unsigned v) { return cif(g, v).bpr0; }
  static void write_bpr0(Vgic& g, unsigned v, uint64_t x) {
    cif(g, v).bpr0 = std::max<uint8_t>(static_cast<uint8_t>(arch::bits<2, 0>(x)), kMinBpr0);
    g.refresh(v);
  }
  static uint64_t read_bpr1(Vgic& g, unsigned v) {
    const CpuIfState& c = cif(g, v);
    return c.cbpr ? std::min<unsigned>(c.bpr0 + 1u, 7u) : c.bpr1;
  }
  static void write_bpr1(Vgic& g, unsigned v, uint64_t x) {
    CpuIfState& c = cif(g, v);
    if (c.cbpr) return;
    c.bpr1 = std::max<uint8_t>(static_cast<uint8_t>(arch::bits<2, 0>(x)), kMinBpr1);
    g.refresh(v);
  }

  // ICC_CTLR_EL1: CBPR and EOImode writable; PRIbits read-only; everything else 0.
  static uint64_t read_ctlr(Vgic& g, unsigned v) {
    const CpuIfState& c = cif(g, v);
    return (c.cbpr ? icc_ctlr::kCBPR : 0) | (c.eoimode ? icc_ctlr::kEOImode : 0) |
           (uint64_t{kPriorityBits - 1} << icc_ctlr::kPRIbitsShift);
  }
  static void write_ctlr(Vgic& g, unsigned v, uint64_t x) {
    CpuIfState& c = cif(g, v);
    c.cbpr = icc_ctlr::CBPR(x);
    c.eoimode = icc_ctlr::EOImode(x);
    g.refresh(v);
  }

  static uint64_t read_sre(Vgic&, unsigned) { return icc_sre::kValue; }

  static uint64_t read_igrpen1(Vgic& g, unsigned v) { return cif(g, v).igrpen1; }
  static void write_igrpen1(Vgic& g, unsigned v, uint64_t x) {
    cif(g, v).igrpen1 = arch::bit<0>(x);
    g.refresh(v);
  }

  // ICC_AP1R0_EL1: 32 preemption levels, all 32 bits implemented. Software writes it only to
  // restore a saved context; the running priority follows it.
  static uint64_t read_ap1r0(Vgic& g, unsigned v) { return cif(g, v).ap1r0; }
  static void write_ap1r0(Vgic& g, unsigned v, uint64_t x) {
    cif(g, v).ap1r0 = static_cast<uint32_t>(arch::bits<31, 0>(x));
    g.refresh(v);
  }

  static uint64_t read_rpr(Vgic& g, unsigned v) { return g.running_priority(v); }

  // ICC_HPPIR1_EL1: the highest-priority pending interrupt, without PMR or preemption checks,
  // or 1023 when there is none or Group 1 is disabled at the CPU interface.
  static uint64_t read_hppir1(Vgic& g, unsigned v) {
    return cif(g, v).igrpen1 ? g.highest_pending(v).intid : kSpuriousIntid;
  }
  static uint64_t read_iar1(Vgic& g, unsigned v) { return g.acknowledge(v); }
  static void write_eoir1(Vgic& g, unsigned v, uint64_t x) { g.end_of_interrupt(v, eoi_intid(x)); }
  // ICC_DIR_EL1 deactivates only when EOImode = 1 (UNPREDICTABLE otherwise: ignored).
  static void write_dir(Vgic& g, unsigned v, uint64_t x) {
    const unsigned intid = eoi_intid(x);
    if (!cif(g, v).eoimode || intid >= kFirstSpecialIntid) return;
    g.deactivate(v, intid);
  }
  static void write_sgi1r(Vgic& g, unsigned v, uint64_t x) { g.send_sgi(v, x); }
};

namespace {

struct CpuIfReg {
  std::string_view name;
  arch::SysRegKey key;
  CpuIfOps::ReadFn read;    // null: no MRS encoding
  CpuIfOps::WriteFn write;  // null: no MSR encoding
};

using arch::sysreg;
using O = CpuIfOps;

// Sorted by SysRegKey::index(). ICC_AP0R1..3 (CRm 8, op2 5..7) and ICC_AP1R1..3 (CRm 9,
// op2 1..3) are absent: with 5 preemption bits they are UNDEFINED.
constexpr CpuIfReg kCpuIfRegs[] = {
    {"ICC_PMR_EL1", sysreg(3, 0, 4, 6, 0), O::read_pmr, O::write_pmr},
    {"ICC_IAR0_EL1", sysreg(3, 0, 12, 8, 0), O::read_spurious, nullptr},
    {"ICC_EOIR0_EL1", sysreg(3, 0, 12, 8, 1), nullptr, O::wi},
    {"ICC_HPPIR0_EL1", sysreg(3, 0, 12, 8, 2), O::read_spurious, nullptr},
    {"ICC_BPR0_EL1", sysreg(3, 0, 12, 8, 3), O::read_bpr0, O::write_bpr0},
    {"ICC_AP0R0_EL1", sysreg(3, 0, 12, 8, 4), O::raz, O::wi},
    {"ICC_AP1R0_EL1", sysreg(3, 0, 12, 9, 0), O::read_ap1r0, O::write_ap1r0},
    {"ICC_DIR_EL1", sysreg(3, 0, 12, 11, 1), nullptr, O::write_dir},
    {"ICC_RPR_EL1", sysreg(3, 0, 12, 11, 3), O::read_rpr, nullptr},
    {"ICC_SGI1R_EL1", sysreg(3, 0, 12, 11, 5), nullptr, O::write_sgi1r},
    {"ICC_ASGI1R_EL1", sysreg(3, 0, 12, 11, 6), nullptr, O::wi},
    {"ICC_SGI0R_EL1", sysreg(3, 0, 12, 11, 7), nullptr, O::wi},
    {"ICC_IAR1_EL1", sysreg(3, 0, 12, 12, 0), O::read_iar1, nullptr},
    {"ICC_EOIR1_EL1", sysreg(3, 0, 12, 12, 1), nullptr, O::write_eoir1},
    {"ICC_HPPIR1_EL1", sysreg(3, 0, 12, 12, 2), O::read_hppir1, nullptr},
    {"ICC_BPR1_EL1", sysreg(3, 0, 12, 12, 3), O::read_bpr1, O::write_bpr1},
    {"ICC_CTLR_EL1", sysreg(3, 0, 12, 12, 4), O::read_ctlr, O::write_ctlr},
    {"ICC_SRE_EL1", sysreg(3, 0, 12, 12, 5), O::read_sre, O::wi},
    {"ICC_IGRPEN0_EL1", sysreg(3, 0, 12, 12, 6), O::raz, O::wi},
    {"ICC_IGRPEN1_EL1", sysreg(3, 0, 12, 12, 7), O::read_igrpen1, O::write_igrpen1},
};

// Validator: keys strictly increasing (lookup is a binary search), all in the ICC_* space
// (op0 = 3, op1 = 0). (Function pointers cannot be compared in a constant expression under
// -fsanitize, so "each row has a read or a write" is covered by the unit tests, which access
// every register.)
constexpr bool sorted_unique(std::span<const CpuIfReg> t) {
  for (size_t i = 1; i < t.size(); ++i)
    if (!(t[i - 1].key.index() < t[i].key.index())) return false;
  for (const CpuIfReg& r : t)
    if (r.key.op0 != 3 || r.key.op1 != 0) return false;
  return true;
}
static_assert(sorted_unique(kCpuIfRegs), "kCpuIfRegs: keys must be strictly increasing ICC_* encodings");

const CpuIfReg* find_reg(arch::SysRegKey key) {
  const auto it = std::lower_bound(std::begin(kCpuIfRegs), std::end(kCpuIfRegs), key.index(),
                                   [](const CpuIfReg& r, uint16_t i) { return r.key.index() < i; });
  return (it != std::end(kCpuIfRegs) && it->key == key) ? &*it : nullptr;
}

}  // namespace

Vgic::Access Vgic::sysreg(unsigned vcpu, arch::SysRegKey key, bool is_read, uint64_t& value) {
  if (vcpu >= num_vcpus())
    throw std::out_of_range("kvm_model/vgic: sysreg: vCPU " + std::to_string(vcpu) + " does not exist");
  const CpuIfReg* r = find_reg(key);
  if (r == nullptr) return Access::kUndef;
  if (is_read) {
    if (r->read == nullptr) return Access::kUndef;
    value = r->read(*this, vcpu);
  } else {
    if (r->write == nullptr) return Access::kUndef;
    r->write(*this, vcpu, value);
  }
  return Access::kOk;
}

}  // namespace kvm_model::vgic
