// The interrupt state machine of the vGICv3: interrupt selection, the CPU interface's priority
// arithmetic, acknowledge/EOI/deactivate and SGI generation. Register decoding lives in
// vgic_mmio.cpp (GICD/GICR) and vgic_cpuif.cpp (ICC_*).
#include "kvm_model/vgic/vgic.h"

#include <bit>
#include <stdexcept>
#include <string>
#include <utility>

namespace kvm_model::vgic {

namespace {
constexpr unsigned kMaxVcpus = 512;
}  // namespace

Vgic::Vgic(unsigned num_vcpus, unsigned num_irqs) : num_irqs_(num_irqs) {
  if (num_vcpus == 0 || num_vcpus > kMaxVcpus)
    throw std::invalid_argument("kvm_model/vgic: num_vcpus must be 1.." + std::to_string(kMaxVcpus) +
                                ", got " + std::to_string(num_vcpus));
  if (num_irqs < 64 || num_irqs > 1024 || num_irqs % 32 != 0)
    throw std::invalid_argument("kvm_model/vgic: num_irqs must be a multiple of 32 in 64..1024, got " +
                                std::to_string(num_irqs));
  s_.cpus.resize(num_vcpus);
  s_.spis.resize(num_irqs_ - kNumPrivate);
  s_.irouter.resize(num_irqs_ - kNumPrivate);
  spi_target_.resize(num_irqs_ - kNumPrivate);
  order_pos_.resize(num_vcpus);
  for (unsigned v = 0; v < num_vcpus; ++v) order_pos_[v] = v;
  out_.assign(num_vcpus, 0);
  changed_.assign(num_vcpus, 0);
  lpi_pending_.resize(num_vcpus);
  reset();
}

void Vgic::reset() {
  s_.enable_grp1 = false;
  // The LPIs belong to the ITS translations that map them: they stay, without pending state.
  for (auto& [intid, l] : s_.lpis) l.irq.latch = false;
  for (auto& c : s_.cpus) {
    c = RedistState{};
    // SGIs are always edge-triggered; PPIs level-sensitive (GICR_ICFGR0/1 are read-only here).
    for (unsigned i = 0; i < kNumSgis; ++i) c.irqs[i].edge = true;
  }
  for (auto& s : s_.spis) s = IrqState{};
  // GICD_IROUTER resets to an UNKNOWN value; 0 routes every SPI to vCPU 0, as KVM's reset does.
  for (auto& r : s_.irouter) r = 0;
  for (unsigned i = kNumPrivate; i < num_irqs_; ++i) retarget_spi(i);
  rebuild_lpi_index();
  refresh_all();
}

void Vgic::reset_cpu_interface(unsigned vcpu) {
  s_.cpus.at(vcpu).cpuif = CpuIfState{};
  refresh(vcpu);
}

IrqState* Vgic::irq(unsigned vcpu, unsigned intid) {
  return const_cast<IrqState*>(std::as_const(*this).irq(vcpu, intid));
}

const IrqState* Vgic::irq(unsigned vcpu, unsigned intid) const {
  if (intid < kNumPrivate) return vcpu < s_.cpus.size() ? &s_.cpus[vcpu].irqs[intid] : nullptr;
  if (intid < num_irqs_ && intid < kMaxIrqs) return &s_.spis[intid - kNumPrivate];
  if (intid >= kFirstLpi) {
    const auto it = s_.lpis.find(intid);
    return it == s_.lpis.end() ? nullptr : &it->second.irq;
  }
  return nullptr;
}

void Vgic::retarget_spi(unsigned intid) {
  const long v = vcpu_of_affinity(s_.irouter[intid - kNumPrivate]);
  spi_target_[intid - kNumPrivate] = (v >= 0 && v < static_cast<long>(num_vcpus())) ? v : -1;
}

void Vgic::set_irq_level(unsigned vcpu, unsigned intid, bool level) {
  if (intid >= num_irqs_ || intid >= kMaxIrqs)
    throw std::out_of_range("kvm_model/vgic: set_irq_level: INTID " + std::to_string(intid) +
                            " not implemented (num_irqs " + std::to_string(num_irqs_) + ")");
  if (intid < kNumPrivate && vcpu >= num_vcpus())
    throw std::out_of_range("kvm_model/vgic: set_irq_level: vCPU " + std::to_string(vcpu) +
                            " does not exist");
  IrqState& s = *irq(vcpu, intid);
  if (s.line == level) return;
  s.line = level;
  // Edge-triggered: the rising edge makes the interrupt pending, the falling edge does nothing
  // (IHI 0069 "Interrupt lifecycle", edge-triggered interrupts).
  if (level && s.edge) s.latch = true;
  if (intid < kNumPrivate) {
    refresh(vcpu);
  } else if (const long t = spi_target(intid); t >= 0) {
    refresh(static_cast<unsigned>(t));
  }
}

void Vgic::inject_irq(unsigned vcpu, unsigned intid, bool level) {
  set_irq_level(vcpu, intid, level);
  IrqState& s = *irq(vcpu, intid);
  if (!level || !s.edge || s.latch) return;
  s.latch = true;
  if (intid < kNumPrivate) {
    refresh(vcpu);
  } else if (const long t = spi_target(intid); t >= 0) {
    refresh(static_cast<unsigned>(t));
  }
}

// ---- interrupt selection ----

Vgic::Hppi Vgic::highest_pending(unsigned vcpu) const {
  Hppi best;
  if (!s_.enable_grp1) return best;  // GICD_CTLR.EnableGrp1 gates every Group 1 interrupt
  auto consider = [&best](const IrqState& s, unsigned intid) {
    // Active-and-pending interrupts are not signalled again until deactivated.
    if (!s.enabled || s.active || !s.pending()) return;
    if (s.priority < best.priority) best = Hppi{intid, s.priority};  // ties: lowest INTID
  };
  const auto& priv = s_.cpus[vcpu].irqs;
  for (unsigned i = 0; i < kNumPrivate; ++i) consider(priv[i], i);
  for (unsigned i = 0; i < s_.spis.size(); ++i)
    if (spi_target_[i] == static_cast<long>(vcpu)) consider(s_.spis[i], i + kNumPrivate);
  if (s_.cpus[vcpu].enable_lpis)
    for (uint32_t intid : lpi_pending_[vcpu]) consider(s_.lpis.find(intid)->second.irq, intid);
  return best;
}

// GroupBits() for a Group 1 interrupt: the binary point of ICC_BPR1_EL1 (or ICC_BPR0_EL1 when
// ICC_CTLR_EL1.CBPR = 1) splits the priority into group priority and subpriority. For Group 1
// the group priority is priority[7:BPR1] (one bit more than BPR0 would give: IHI 0069
// ICC_BPR1_EL1, "the minimum value is one more than ICC_BPR0_EL1's").
uint8_t Vgic::group_priority_mask(unsigned vcpu) const {
  const CpuIfState& c = s_.cpus[vcpu].cpuif;
  const unsigned shift = c.cbpr ? c.bpr0 + 1u : c.bpr1;
  return static_cast<uint8_t>((0xffu << shift) & kPriorityMask);
}

// The running priority: the group priority of the highest-priority active interrupt, recovered
// from the lowest set active-priority bit (IHI 0069 ICC_RPR_EL1, ICC_AP1R<n>_EL1).
uint8_t Vgic::running_priority(unsigned vcpu) const {
  const uint32_t ap = s_.cpus[vcpu].cpuif.ap1r0;
  if (ap == 0) return kIdlePriority;
  return static_cast<uint8_t>(std::countr_zero(ap) << kApBitShift);
}

// CanSignalInterrupt(): enabled group, below the priority mask, and preempting the running
// priority by group priority (subpriority never preempts).
bool Vgic::can_signal(unsigned vcpu, const Hppi& h) const {
  const CpuIfState& c = s_.cpus[vcpu].cpuif;
  if (h.intid == kSpuriousIntid || !c.igrpen1) return false;
  if (h.priority >= c.pmr) return false;
  const uint8_t rpr = running_priority(vcpu);
  if (rpr == kIdlePriority) return true;
  const uint8_t mask = group_priority_mask(vcpu);
  return (h.priority & mask) < (rpr & mask);
}

void Vgic::refresh(unsigned vcpu) {
  const uint8_t now = can_signal(vcpu, highest_pending(vcpu)) ? 1 : 0;
  if (now != out_[vcpu]) {
    out_[vcpu] = now;
    changed_[vcpu] = 1;
  }
}

void Vgic::refresh_all() {
  for (unsigned v = 0; v < num_vcpus(); ++v) refresh(v);
}

std::vector<unsigned> Vgic::take_changed() {
  std::vector<unsigned> out;
  for (unsigned v = 0; v < num_vcpus(); ++v) {
    if (changed_[v]) {
      out.push_back(v);
      changed_[v] = 0;
    }
  }
  return out;
}

// ---- acknowledge / EOI / deactivate ----

// ICC_IAR1_EL1: the signalled interrupt becomes active (active-and-pending if its level line is
// still high), its latch is consumed, and its group priority is marked in ICC_AP1R0_EL1.
unsigned Vgic::acknowledge(unsigned vcpu) {
  const Hppi h = highest_pending(vcpu);
  if (!can_signal(vcpu, h)) return kSpuriousIntid;
  if (h.intid >= kFirstLpi) {
    // An LPI has no active state: acknowledging it only consumes its pending bit.
    LpiState& l = s_.lpis.find(h.intid)->second;
    const bool was = l.irq.latch;
    l.irq.latch = false;
    lpi_reindex(h.intid, l.target, was);
  } else {
    IrqState& s = *irq(vcpu, h.intid);
    s.active = true;
    s.latch = false;
  }
  CpuIfState& c = s_.cpus[vcpu].cpuif;
  c.ap1r0 |= 1u << ((h.priority & group_priority_mask(vcpu)) >> kApBitShift);
  refresh(vcpu);
  return h.intid;
}

void Vgic::end_of_interrupt(unsigned vcpu, unsigned intid) {
  const bool lpi = intid >= kFirstLpi && intid < (1u << kLpiIdBits) && s_.lpis_supported;
  if (!lpi && (intid >= kFirstSpecialIntid || intid >= num_irqs_)) return;
  CpuIfState& c = s_.cpus[vcpu].cpuif;
  if (c.ap1r0 == 0) return;        // nothing active at this CPU interface: UNPREDICTABLE, ignore
  c.ap1r0 &= c.ap1r0 - 1;          // priority drop: clear the highest active priority
  if (!c.eoimode) deactivate(vcpu, intid);
  refresh(vcpu);
}

void Vgic::deactivate(unsigned vcpu, unsigned intid) {
  if (intid >= kFirstLpi) return;  // no active state to remove
  IrqState* s = irq(vcpu, intid);
  if (s == nullptr || !s->active) return;
  s->active = false;
  if (intid < kNumPrivate) {
    refresh(vcpu);
  } else if (const long t = spi_target(intid); t >= 0) {
    refresh(static_cast<unsigned>(t));
  }
  if (intid >= kNumPrivate && !s->edge && spi_ack_) spi_ack_(intid);
}

// ICC_SGI1R_EL1 (IHI 0069 ICC_SGI1R_EL1, "Forwarding an SGI to a target PE"): IRM = 1 targets
// every PE but the sender; otherwise the PEs with affinity Aff3.Aff2.Aff1.<RS*16 + n> for each
// bit n of TargetList. Targets that do not exist are ignored.
void Vgic::send_sgi(unsigned vcpu, uint64_t sgi1r) {
  const unsigned intid = icc_sgir::INTID(sgi1r);
  auto post = [&](unsigned target) {
    s_.cpus[target].irqs[intid].latch = true;
    refresh(target);
  };
  if (icc_sgir::IRM(sgi1r)) {
    for (unsigned v = 0; v < num_vcpus(); ++v)
      if (v != vcpu) post(v);
    return;
  }
  const uint64_t upper = (uint64_t{icc_sgir::Aff3(sgi1r)} << 32) |
                         (uint64_t{icc_sgir::Aff2(sgi1r)} << 16) | (uint64_t{icc_sgir::Aff1(sgi1r)} << 8);
  const unsigned list = icc_sgir::TargetList(sgi1r);
  for (unsigned n = 0; n < 16; ++n) {
    if (!arch::bits_dyn(list, n, n)) continue;
    const long v = vcpu_of_affinity(upper | (icc_sgir::RS(sgi1r) * 16u + n));
    if (v >= 0 && v < static_cast<long>(num_vcpus())) post(static_cast<unsigned>(v));
  }
}

// ---- snapshots ----

void Vgic::set_state(const VgicState& s) {
  if (s.cpus.size() != s_.cpus.size() || s.spis.size() != s_.spis.size() ||
      s.irouter.size() != s_.irouter.size())
    throw std::invalid_argument("kvm_model/vgic: set_state: state has " + std::to_string(s.cpus.size()) +
                                " vCPUs and " + std::to_string(s.spis.size() + kNumPrivate) +
                                " INTIDs, this Vgic " + std::to_string(s_.cpus.size()) + " and " +
                                std::to_string(num_irqs_));
  s_ = s;
  for (unsigned i = kNumPrivate; i < num_irqs_; ++i) retarget_spi(i);
  // LPIs of a hostile snapshot: outside the LPI range, or targeting no vCPU, they are dropped
  // from delivery (never an out-of-range index).
  rebuild_lpi_index();
  refresh_all();
}

}  // namespace kvm_model::vgic
