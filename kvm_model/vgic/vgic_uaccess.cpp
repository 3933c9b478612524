// The VMM's view of the vGICv3 registers, for save and restore: the KVM_DEV_ARM_VGIC_GRP_
// {DIST_REGS, REDIST_REGS, CPU_SYSREGS, LEVEL_INFO} device attributes. Which offsets exist is
// KVM's register tables (vgic-mmio-v3.c), which may list a register the guest view here treats
// as reserved and the other way round; the values are the guest-visible state, with the
// differences KVM makes for userspace (see vgic.h).
#include <cerrno>
#include <span>
#include <stdexcept>
#include <string>

#include "kvm_model/vgic/vgic.h"

namespace kvm_model::vgic {

namespace {

constexpr uint8_t kW8 = 1, kW32 = 4, kW64 = 8;

// A register range in KVM's userspace tables. bpi != 0: one field of bpi bits per INTID from
// `offset`, and an offset naming an INTID >= num_irqs has no register (check_region()).
struct UserReg {
  uint32_t offset;
  uint32_t length;
  uint8_t sizes;
  uint8_t bpi;
};

// The distributor (vgic_v3_dist_registers): per-INTID arrays span all 1024 INTIDs.
constexpr UserReg kUserDist[] = {
    {0x0000, 16, kW32, 0},            // GICD_CTLR, TYPER, IIDR, TYPER2
    {0x0010, 4, kW32, 0},             // GICD_STATUSR
    {0x0080, 0x80, kW32, 1},          // GICD_IGROUPR
    {0x0100, 0x80, kW32, 1},          // GICD_ISENABLER
    {0x0180, 0x80, kW32, 1},          // GICD_ICENABLER
    {0x0200, 0x80, kW32, 1},          // GICD_ISPENDR
    {0x0280, 0x80, kW32, 1},          // GICD_ICPENDR
    {0x0300, 0x80, kW32, 1},          // GICD_ISACTIVER
    {0x0380, 0x80, kW32, 1},          // GICD_ICACTIVER
    {0x0400, 0x400, kW8 | kW32, 8},   // GICD_IPRIORITYR
    {0x0800, 0x400, kW8 | kW32, 8},   // GICD_ITARGETSR
    {0x0C00, 0x100, kW32, 2},         // GICD_ICFGR
    {0x0D00, 0x80, kW32, 1},          // GICD_IGRPMODR
    {0x6000, 0x2000, kW32 | kW64, 64},// GICD_IROUTER
    {0xFFD0, 0x30, kW32, 0},          // GICD_IDREGS
};

// A redistributor, RD_base then SGI_base (vgic_v3_rd_registers).
constexpr UserReg kUserRedist[] = {
    {0x0000, 4, kW32, 0},             // GICR_CTLR
    {0x0004, 4, kW32, 0},             // GICR_IIDR
    {0x0008, 8, kW32 | kW64, 0},      // GICR_TYPER
    {0x0010, 4, kW32, 0},             // GICR_STATUSR
    {0x0014, 4, kW32, 0},             // GICR_WAKER
    {0x0070, 8, kW32 | kW64, 0},      // GICR_PROPBASER
    {0x0078, 8, kW32 | kW64, 0},      // GICR_PENDBASER
    {0x00A0, 8, kW32 | kW64, 0},      // GICR_INVLPIR
    {0x00B0, 8, kW32 | kW64, 0},      // GICR_INVALLR
    {0x00C0, 4, kW32, 0},             // GICR_SYNCR
    {0xFFD0, 0x30, kW32, 0},          // GICR_IDREGS
    {0x10080, 4, kW32, 0},            // GICR_IGROUPR0
    {0x10100, 4, kW32, 0},            // GICR_ISENABLER0
    {0x10180, 4, kW32, 0},            // GICR_ICENABLER0
    {0x10200, 4, kW32, 0},            // GICR_ISPENDR0
    {0x10280, 4, kW32, 0},            // GICR_ICPENDR0
    {0x10300, 4, kW32, 0},            // GICR_ISACTIVER0
    {0x10380, 4, kW32, 0},            // GICR_ICACTIVER0
    {0x10400, 0x20, kW8 | kW32, 0},   // GICR_IPRIORITYR0..7
    {0x10C00, 8, kW32, 0},            // GICR_ICFGR0, ICFGR1
    {0x10D00, 4, kW32, 0},            // GICR_IGRPMODR0
    {0x10E00, 4, kW32, 0},            // GICR_NSACR
};

constexpr bool sorted_disjoint(std::span<const UserReg> t) {
  for (size_t i = 1; i < t.size(); ++i)
    if (t[i - 1].offset + t[i - 1].length > t[i].offset) return false;
  return true;
}
static_assert(sorted_disjoint(kUserDist), "kUserDist: rows must be sorted and disjoint");
static_assert(sorted_disjoint(kUserRedist), "kUserRedist: rows must be sorted and disjoint");

// Offsets of the registers whose userspace behaviour differs from the guest's.
constexpr uint32_t kGicdIidr = 0x0008, kGicdTyper2 = 0x000C;
constexpr uint32_t kGicdIspendr = 0x0200, kGicdIcpendr = 0x0280;
constexpr uint32_t kGicrTyper = 0x0008;
constexpr uint32_t kGicrIspendr0 = 0x10200, kGicrIcpendr0 = 0x10280;

// vgic_get_mmio_region() for one 32-bit access: a row that accepts it and, for a per-INTID
// array, an implemented INTID.
const UserReg* user_row(std::span<const UserReg> t, uint32_t off, unsigned num_irqs) {
  if (off % 4 != 0) return nullptr;
  for (const UserReg& r : t) {
    if (off < r.offset || off >= r.offset + r.length) continue;
    if ((r.sizes & kW32) == 0) return nullptr;
    if (r.bpi != 0 && (off - r.offset) * 8 / r.bpi >= num_irqs) return nullptr;
    return &r;
  }
  return nullptr;
}

// GRP_CPU_SYSREGS rows: the ICC_* registers KVM's gic_v3_icc_reg_descs lists.
enum class IccUser : uint8_t { kPmr, kBpr0, kAp0r, kAp1r, kBpr1, kCtlr, kSre, kIgrpen0, kIgrpen1 };
struct IccUserReg {
  arch::SysRegKey key;
  IccUser kind;
};
using arch::sysreg;
constexpr IccUserReg kIccUser[] = {
    {sysreg(3, 0, 4, 6, 0), IccUser::kPmr},      {sysreg(3, 0, 12, 8, 3), IccUser::kBpr0},
    {sysreg(3, 0, 12, 8, 4), IccUser::kAp0r},    {sysreg(3, 0, 12, 8, 5), IccUser::kAp0r},
    {sysreg(3, 0, 12, 8, 6), IccUser::kAp0r},    {sysreg(3, 0, 12, 8, 7), IccUser::kAp0r},
    {sysreg(3, 0, 12, 9, 0), IccUser::kAp1r},    {sysreg(3, 0, 12, 9, 1), IccUser::kAp1r},
    {sysreg(3, 0, 12, 9, 2), IccUser::kAp1r},    {sysreg(3, 0, 12, 9, 3), IccUser::kAp1r},
    {sysreg(3, 0, 12, 12, 3), IccUser::kBpr1},   {sysreg(3, 0, 12, 12, 4), IccUser::kCtlr},
    {sysreg(3, 0, 12, 12, 5), IccUser::kSre},    {sysreg(3, 0, 12, 12, 6), IccUser::kIgrpen0},
    {sysreg(3, 0, 12, 12, 7), IccUser::kIgrpen1},
};

const IccUserReg* icc_user(arch::SysRegKey key) {
  for (const IccUserReg& r : kIccUser)
    if (r.key == key) return &r;
  return nullptr;
}

// The guest-view ICC_* key a userspace row reads and writes through.
constexpr arch::SysRegKey kIccPmr = sysreg(3, 0, 4, 6, 0), kIccBpr0 = sysreg(3, 0, 12, 8, 3);
constexpr arch::SysRegKey kIccAp1r0 = sysreg(3, 0, 12, 9, 0), kIccBpr1 = sysreg(3, 0, 12, 12, 3);
constexpr arch::SysRegKey kIccCtlr = sysreg(3, 0, 12, 12, 4), kIccIgrpen1 = sysreg(3, 0, 12, 12, 7);

// ICC_CTLR_EL1 fields a restore is checked against (IHI 0069 ICC_CTLR_EL1).
constexpr unsigned ctlr_pri_bits(uint64_t v) { return static_cast<unsigned>(arch::bits<10, 8>(v)) + 1; }
constexpr unsigned ctlr_id_bits(uint64_t v) { return static_cast<unsigned>(arch::bits<13, 11>(v)); }
constexpr bool ctlr_seis(uint64_t v) { return arch::bit<14>(v); }
constexpr bool ctlr_a3v(uint64_t v) { return arch::bit<15>(v); }

}  // namespace

// Handlers that need the Vgic's internals (friend of Vgic).
struct UaccessOps {
  // The pending latches of 32 INTIDs from `first` in a frame.
  static uint32_t read_latches(const Vgic& g, unsigned fv, unsigned first) {
    uint32_t v = 0;
    for (unsigned i = 0; i < 32; ++i)
      if (const IrqState* s = frame_irq(g, fv, first + i); s != nullptr && s->latch) v |= 1u << i;
    return v;
  }
  static void write_latches(Vgic& g, unsigned fv, unsigned first, uint32_t bits) {
    for (unsigned i = 0; i < 32; ++i)
      if (IrqState* s = const_cast<IrqState*>(frame_irq(g, fv, first + i))) s->latch = arch::bits_dyn(bits, i, i) != 0;
    if (fv == ~0u) g.refresh_all(); else g.refresh(fv);
  }
  // As in the MMIO view: the distributor's arrays cover SPIs, a redistributor's its 32.
  static const IrqState* frame_irq(const Vgic& g, unsigned fv, unsigned intid) {
    if (fv == ~0u) return intid < kNumPrivate ? nullptr : g.irq(0, intid);
    return intid < kNumPrivate ? g.irq(fv, intid) : nullptr;
  }
};

bool Vgic::user_reg_exists(UserFrame f, uint32_t offset, unsigned num_irqs) {
  return user_row(f == UserFrame::kDist ? std::span<const UserReg>(kUserDist) : std::span<const UserReg>(kUserRedist),
                  offset, num_irqs) != nullptr;
}

int Vgic::user_read(UserFrame f, unsigned vcpu, uint32_t offset, uint32_t& value) {
  if (vcpu >= num_vcpus())
    throw std::out_of_range("kvm_model/vgic: user_read: vCPU " + std::to_string(vcpu) + " does not exist");
  value = 0;
  if (!user_reg_exists(f, offset, num_irqs_)) return 0;
  const unsigned fv = f == UserFrame::kDist ? ~0u : vcpu;
  // The pending state is saved as the latch; the line levels travel in GRP_LEVEL_INFO.
  if (f == UserFrame::kDist && offset >= kGicdIspendr && offset < kGicdIspendr + 0x80) {
    value = UaccessOps::read_latches(*this, fv, (offset - kGicdIspendr) * 8);
    return 0;
  }
  if (f == UserFrame::kRedist && offset == kGicrIspendr0) {
    value = UaccessOps::read_latches(*this, fv, 0);
    return 0;
  }
  if ((f == UserFrame::kDist && offset >= kGicdIcpendr && offset < kGicdIcpendr + 0x80) ||
      (f == UserFrame::kRedist && offset == kGicrIcpendr0))
    return 0;
  value = static_cast<uint32_t>(frame_read(fv, offset, 4));
  return 0;
}

int Vgic::user_write(UserFrame f, unsigned vcpu, uint32_t offset, uint32_t value) {
  if (vcpu >= num_vcpus())
    throw std::out_of_range("kvm_model/vgic: user_write: vCPU " + std::to_string(vcpu) + " does not exist");
  if (!user_reg_exists(f, offset, num_irqs_)) return 0;
  const unsigned fv = f == UserFrame::kDist ? ~0u : vcpu;
  if (f == UserFrame::kDist) {
    // Identification registers: a restore must come from a GIC like this one.
    if (offset == kGicdTyper2) return value == frame_read(fv, offset, 4) ? 0 : -EINVAL;
    if (offset == kGicdIidr) return value == kIidr ? 0 : -EINVAL;
    if (offset >= kGicdIspendr && offset < kGicdIspendr + 0x80) {
      UaccessOps::write_latches(*this, fv, (offset - kGicdIspendr) * 8, value);
      return 0;
    }
    if (offset >= kGicdIcpendr && offset < kGicdIcpendr + 0x80) return 0;
  } else {
    if (offset == kGicrTyper || offset == kGicrTyper + 4 || offset == kGicrIcpendr0) return 0;
    if (offset == kGicrIspendr0) {
      UaccessOps::write_latches(*this, fv, 0, value);
      return 0;
    }
  }
  frame_write(fv, offset, 4, value);
  return 0;
}

bool Vgic::user_sysreg_exists(arch::SysRegKey key) { return icc_user(key) != nullptr; }

int Vgic::user_sysreg_read(unsigned vcpu, arch::SysRegKey key, uint64_t& value) {
  if (vcpu >= num_vcpus())
    throw std::out_of_range("kvm_model/vgic: user_sysreg_read: vCPU " + std::to_string(vcpu) + " does not exist");
  const IccUserReg* r = icc_user(key);
  if (r == nullptr) return -ENOENT;
  // With 5 priority bits only AP{0,1}R0 hold state (vgic_v3_max_apr_idx() = 0).
  const bool apr_beyond = (r->kind == IccUser::kAp0r || r->kind == IccUser::kAp1r) && key.op2 % 4 != 0;
  if (apr_beyond) return -EINVAL;
  switch (r->kind) {
    case IccUser::kAp0r:      // no Group 0 interrupt is ever active
    case IccUser::kIgrpen0:   // Group 0 is RAZ/WI (vgic.h)
      value = 0;
      return 0;
    case IccUser::kSre:
      value = icc_sre::kValue;
      return 0;
    case IccUser::kPmr: return sysreg(vcpu, kIccPmr, true, value) == Access::kOk ? 0 : -ENOENT;
    case IccUser::kBpr0: return sysreg(vcpu, kIccBpr0, true, value) == Access::kOk ? 0 : -ENOENT;
    case IccUser::kAp1r: return sysreg(vcpu, kIccAp1r0, true, value) == Access::kOk ? 0 : -ENOENT;
    case IccUser::kBpr1: return sysreg(vcpu, kIccBpr1, true, value) == Access::kOk ? 0 : -ENOENT;
    case IccUser::kCtlr: return sysreg(vcpu, kIccCtlr, true, value) == Access::kOk ? 0 : -ENOENT;
    case IccUser::kIgrpen1: return sysreg(vcpu, kIccIgrpen1, true, value) == Access::kOk ? 0 : -ENOENT;
  }
  return -ENOENT;
}

int Vgic::user_sysreg_write(unsigned vcpu, arch::SysRegKey key, uint64_t value) {
  if (vcpu >= num_vcpus())
    throw std::out_of_range("kvm_model/vgic: user_sysreg_write: vCPU " + std::to_string(vcpu) + " does not exist");
  const IccUserReg* r = icc_user(key);
  if (r == nullptr) return -ENOENT;
  if ((r->kind == IccUser::kAp0r || r->kind == IccUser::kAp1r) && key.op2 % 4 != 0) return -EINVAL;
  uint64_t v = value;
  switch (r->kind) {
    case IccUser::kAp0r:
    case IccUser::kIgrpen0:
      return 0;
    case IccUser::kSre:
      // The system-register interface cannot be disabled (ICC_SRE_EL1.SRE is RAO/WI).
      return (value & 1) != 0 ? 0 : -EINVAL;
    case IccUser::kCtlr:
      // A saved ICC_CTLR_EL1 describes the CPU interface it came from: more priority or
      // INTID bits than this one has, or another SEIS/A3V, cannot be restored here.
      if (ctlr_pri_bits(value) > kPriorityBits || ctlr_id_bits(value) != 0 || ctlr_seis(value) || ctlr_a3v(value))
        return -EINVAL;
      sysreg(vcpu, kIccCtlr, false, v);
      return 0;
    case IccUser::kPmr: sysreg(vcpu, kIccPmr, false, v); return 0;
    case IccUser::kBpr0: sysreg(vcpu, kIccBpr0, false, v); return 0;
    case IccUser::kAp1r: sysreg(vcpu, kIccAp1r0, false, v); return 0;
    case IccUser::kBpr1: sysreg(vcpu, kIccBpr1, false, v); return 0;
    case IccUser::kIgrpen1: sysreg(vcpu, kIccIgrpen1, false, v); return 0;
  }
  return -ENOENT;
}

int Vgic::user_line_levels(unsigned vcpu, unsigned first, uint32_t& bits) const {
  if (first % 32 != 0) return -EINVAL;
  bits = 0;
  for (unsigned i = 0; i < 32; ++i) {
    const unsigned intid = first + i;
    if (intid < kNumSgis || intid >= num_irqs_) continue;
    const IrqState* s = irq(vcpu, intid);
    if (s != nullptr && !s->edge && s->line) bits |= 1u << i;
  }
  return 0;
}

int Vgic::user_set_line_levels(unsigned vcpu, unsigned first, uint32_t bits) {
  if (first % 32 != 0) return -EINVAL;
  for (unsigned i = 0; i < 32; ++i) {
    const unsigned intid = first + i;
    if (intid < kNumSgis || intid >= num_irqs_) continue;
    if (IrqState* s = irq(vcpu, intid)) s->line = arch::bits_dyn(bits, i, i) != 0;
  }
  refresh_all();
  return 0;
}

}  // namespace kvm_model::vgic
