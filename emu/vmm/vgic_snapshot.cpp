// The snapshot's vGIC record to and from the vGICv3 save/restore attribute groups.
#include "emu/vmm/vgic_snapshot.h"

#include <string>

#include "emu/common/errors.h"
#include "kvm_model/uapi.h"

namespace pmuemu::vmm {

namespace {

namespace vg = kvm_model::vgic;

// Register offsets (IHI 0069 register maps): distributor, and a redistributor's RD_base then
// SGI_base (+64 KiB) as GRP_REDIST_REGS addresses them.
constexpr uint32_t kGicdCtlr = 0x0000, kGicdIsenabler = 0x0100, kGicdIcenabler = 0x0180;
constexpr uint32_t kGicdIspendr = 0x0200, kGicdIsactiver = 0x0300, kGicdIcactiver = 0x0380;
constexpr uint32_t kGicdIpriorityr = 0x0400, kGicdIcfgr = 0x0C00, kGicdIrouter = 0x6000;
constexpr uint32_t kGicrWaker = 0x0014, kSgi = 0x10000;
constexpr uint32_t kGicdEnableGrp1 = 1u << 1, kGicrProcessorSleep = 1u << 1;

// The ICC_* encodings GRP_CPU_SYSREGS takes: op0[15:14] op1[13:11] CRn[10:7] CRm[6:3] op2[2:0].
constexpr uint64_t icc(unsigned crn, unsigned crm, unsigned op2) {
  return (3ull << 14) | (uint64_t{crn} << 7) | (uint64_t{crm} << 3) | op2;
}
constexpr uint64_t kIccPmr = icc(4, 6, 0), kIccBpr0 = icc(12, 8, 3), kIccAp1r0 = icc(12, 9, 0);
constexpr uint64_t kIccBpr1 = icc(12, 12, 3), kIccCtlr = icc(12, 12, 4), kIccIgrpen1 = icc(12, 12, 7);
constexpr uint64_t kCtlrCbpr = 1u << 0, kCtlrEoimode = 1u << 1;

// attr[63:32] of the per-vCPU groups: Aff3 in [31:24], Aff2..Aff0 in [23:0].
uint64_t vcpu_attr(uint64_t mpidr, uint64_t low) {
  const uint64_t aff = (mpidr & 0xffffff) | (((mpidr >> 32) & 0xff) << 24);
  return (aff << 32) | low;
}

struct Io {
  const VgicAttrFn& fn;
  uint32_t get(uint32_t group, uint64_t attr) const {
    uint32_t v = 0;
    fn(false, group, attr, &v);
    return v;
  }
  void set(uint32_t group, uint64_t attr, uint32_t v) const { fn(true, group, attr, &v); }
  uint64_t get64(uint64_t attr) const {
    uint64_t v = 0;
    fn(false, kvm_model::KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr, &v);
    return v;
  }
  void set64(uint64_t attr, uint64_t v) const { fn(true, kvm_model::KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr, &v); }
};

constexpr uint32_t kDist = kvm_model::KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
constexpr uint32_t kRedist = kvm_model::KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
constexpr uint32_t kLevel = kvm_model::KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;

bool bit(uint32_t w, unsigned i) { return ((w >> i) & 1) != 0; }

// The per-interrupt registers of 32 interrupts from `first` in one frame: `at(off)` names a
// register of the frame (distributor: off; redistributor: vcpu_attr | off).
template <typename At>
void read_block(const Io& io, uint32_t group, At at, uint32_t base, unsigned first, vg::IrqState* irqs, unsigned n) {
  const unsigned word = first / 32;
  const uint32_t en = io.get(group, at(base + kGicdIsenabler + word * 4));
  const uint32_t pend = io.get(group, at(base + kGicdIspendr + word * 4));
  const uint32_t act = io.get(group, at(base + kGicdIsactiver + word * 4));
  const uint32_t cfg0 = io.get(group, at(base + kGicdIcfgr + word * 8));
  const uint32_t cfg1 = io.get(group, at(base + kGicdIcfgr + word * 8 + 4));
  for (unsigned i = 0; i < n; ++i) {
    vg::IrqState& q = irqs[i];
    q.enabled = bit(en, i);
    q.latch = bit(pend, i);
    q.active = bit(act, i);
    q.edge = bit(i < 16 ? cfg0 : cfg1, (i % 16) * 2 + 1);
    if (i % 4 == 0) {
      const uint32_t pr = io.get(group, at(base + kGicdIpriorityr + first + i));
      for (unsigned k = 0; k < 4 && i + k < n; ++k) irqs[i + k].priority = static_cast<uint8_t>(pr >> (8 * k));
    }
  }
}

template <typename At>
void write_block(const Io& io, uint32_t group, At at, uint32_t base, unsigned first, const vg::IrqState* irqs,
                 unsigned n) {
  const unsigned word = first / 32;
  uint32_t en = 0, pend = 0, act = 0, cfg0 = 0, cfg1 = 0;
  for (unsigned i = 0; i < n; ++i) {
    const vg::IrqState& q = irqs[i];
    en |= uint32_t{q.enabled} << i;
    pend |= uint32_t{q.latch} << i;
    act |= uint32_t{q.active} << i;
    (i < 16 ? cfg0 : cfg1) |= uint32_t{q.edge} << ((i % 16) * 2 + 1);
  }
  io.set(group, at(base + kGicdIcfgr + word * 8), cfg0);
  io.set(group, at(base + kGicdIcfgr + word * 8 + 4), cfg1);
  for (unsigned i = 0; i < n; i += 4) {
    uint32_t pr = 0;
    for (unsigned k = 0; k < 4 && i + k < n; ++k) pr |= uint32_t{irqs[i + k].priority} << (8 * k);
    io.set(group, at(base + kGicdIpriorityr + first + i), pr);
  }
  io.set(group, at(base + kGicdIcenabler + word * 4), ~en);
  io.set(group, at(base + kGicdIsenabler + word * 4), en);
  io.set(group, at(base + kGicdIcactiver + word * 4), ~act);
  io.set(group, at(base + kGicdIsactiver + word * 4), act);
  io.set(group, at(base + kGicdIspendr + word * 4), pend);  // the userspace view sets the latches exactly
}

unsigned nr_irqs(const Io& io) { return io.get(kvm_model::KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0); }

}  // namespace

vg::VgicState save_vgic_state(const VgicAttrFn& gic, const std::vector<uint64_t>& mpidrs) {
  const Io io{gic};
  vg::VgicState s;
  const unsigned n = nr_irqs(io);
  const auto dist = [](uint64_t off) { return off; };
  s.enable_grp1 = (io.get(kDist, kGicdCtlr) & kGicdEnableGrp1) != 0;
  s.spis.resize(n - vg::kNumPrivate);
  s.irouter.resize(n - vg::kNumPrivate);
  for (unsigned first = vg::kNumPrivate; first < n; first += 32) {
    read_block(io, kDist, dist, 0, first, &s.spis[first - vg::kNumPrivate], 32);
    const uint32_t lines = io.get(kLevel, vcpu_attr(mpidrs.at(0), first));
    for (unsigned i = 0; i < 32; ++i) s.spis[first - vg::kNumPrivate + i].line = bit(lines, i);
  }
  for (unsigned intid = vg::kNumPrivate; intid < n; ++intid)
    s.irouter[intid - vg::kNumPrivate] = io.get(kDist, kGicdIrouter + 8 * intid) |
                                         (uint64_t{io.get(kDist, kGicdIrouter + 8 * intid + 4)} << 32);
  for (uint64_t mpidr : mpidrs) {
    vg::RedistState r;
    const auto at = [mpidr](uint64_t off) { return vcpu_attr(mpidr, off); };
    read_block(io, kRedist, at, kSgi, 0, r.irqs.data(), vg::kNumPrivate);
    const uint32_t lines = io.get(kLevel, vcpu_attr(mpidr, 0));
    for (unsigned i = 0; i < vg::kNumPrivate; ++i) r.irqs[i].line = bit(lines, i);
    r.processor_sleep = (io.get(kRedist, at(kGicrWaker)) & kGicrProcessorSleep) != 0;
    const uint64_t ctlr = io.get64(vcpu_attr(mpidr, kIccCtlr));
    r.cpuif.cbpr = (ctlr & kCtlrCbpr) != 0;
    r.cpuif.eoimode = (ctlr & kCtlrEoimode) != 0;
    r.cpuif.pmr = static_cast<uint8_t>(io.get64(vcpu_attr(mpidr, kIccPmr)));
    r.cpuif.bpr0 = static_cast<uint8_t>(io.get64(vcpu_attr(mpidr, kIccBpr0)));
    r.cpuif.bpr1 = static_cast<uint8_t>(io.get64(vcpu_attr(mpidr, kIccBpr1)));
    r.cpuif.igrpen1 = (io.get64(vcpu_attr(mpidr, kIccIgrpen1)) & 1) != 0;
    r.cpuif.ap1r0 = static_cast<uint32_t>(io.get64(vcpu_attr(mpidr, kIccAp1r0)));
    s.cpus.push_back(r);
  }
  return s;
}

void restore_vgic_state(const VgicAttrFn& gic, const std::vector<uint64_t>& mpidrs, const vg::VgicState& s,
                        const std::string& source) {
  const Io io{gic};
  const unsigned n = nr_irqs(io);
  if (s.cpus.size() != mpidrs.size() || s.spis.size() + vg::kNumPrivate != n || s.irouter.size() != s.spis.size())
    throw InputError(source + ": the snapshot's vGIC has " + std::to_string(s.cpus.size()) + " redistributors and " +
                     std::to_string(s.spis.size() + vg::kNumPrivate) + " interrupts, this VM " +
                     std::to_string(mpidrs.size()) + " and " + std::to_string(n));
  const auto dist = [](uint64_t off) { return off; };
  io.set(kDist, kGicdCtlr, 0);  // nothing is signalled while the state is half written
  for (unsigned first = vg::kNumPrivate; first < n; first += 32) {
    write_block(io, kDist, dist, 0, first, &s.spis[first - vg::kNumPrivate], 32);
    uint32_t lines = 0;
    for (unsigned i = 0; i < 32; ++i) lines |= uint32_t{s.spis[first - vg::kNumPrivate + i].line} << i;
    io.set(kLevel, vcpu_attr(mpidrs.at(0), first), lines);
  }
  for (unsigned intid = vg::kNumPrivate; intid < n; ++intid) {
    const uint64_t r = s.irouter[intid - vg::kNumPrivate];
    io.set(kDist, kGicdIrouter + 8 * intid, static_cast<uint32_t>(r));
    io.set(kDist, kGicdIrouter + 8 * intid + 4, static_cast<uint32_t>(r >> 32));
  }
  for (size_t v = 0; v < mpidrs.size(); ++v) {
    const uint64_t mpidr = mpidrs[v];
    const vg::RedistState& r = s.cpus[v];
    const auto at = [mpidr](uint64_t off) { return vcpu_attr(mpidr, off); };
    write_block(io, kRedist, at, kSgi, 0, r.irqs.data(), vg::kNumPrivate);
    uint32_t lines = 0;
    for (unsigned i = 0; i < vg::kNumPrivate; ++i) lines |= uint32_t{r.irqs[i].line} << i;
    io.set(kLevel, vcpu_attr(mpidr, 0), lines);
    io.set(kRedist, at(kGicrWaker), r.processor_sleep ? kGicrProcessorSleep : 0);
    // ICC_CTLR_EL1 is read-modify-write: its read-only fields (PRIbits) must come back as read.
    const uint64_t ctlr = io.get64(vcpu_attr(mpidr, kIccCtlr)) & ~(kCtlrCbpr | kCtlrEoimode);
    io.set64(vcpu_attr(mpidr, kIccCtlr), ctlr);  // CBPR = 0 so that BPR1 takes its own value
    io.set64(vcpu_attr(mpidr, kIccBpr0), r.cpuif.bpr0);
    io.set64(vcpu_attr(mpidr, kIccBpr1), r.cpuif.bpr1);
    io.set64(vcpu_attr(mpidr, kIccCtlr), ctlr | (r.cpuif.cbpr ? kCtlrCbpr : 0) | (r.cpuif.eoimode ? kCtlrEoimode : 0));
    io.set64(vcpu_attr(mpidr, kIccPmr), r.cpuif.pmr);
    io.set64(vcpu_attr(mpidr, kIccAp1r0), r.cpuif.ap1r0);
    io.set64(vcpu_attr(mpidr, kIccIgrpen1), r.cpuif.igrpen1 ? 1 : 0);
  }
  io.set(kDist, kGicdCtlr, s.enable_grp1 ? kGicdEnableGrp1 : 0);
}

}  // namespace pmuemu::vmm
