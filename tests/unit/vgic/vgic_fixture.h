// Helpers shared by the vGIC tests: MMIO and ICC_* accessors on a Vgic, register addresses and
// a "configure an interrupt the way Linux does" shortcut.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "kvm_model/vgic/vgic.h"

namespace vgic_test {

using kvm_model::vgic::Vgic;
namespace vg = kvm_model::vgic;

// GICD offsets.
inline constexpr uint64_t kGicdCtlr = 0x0000, kGicdTyper = 0x0004, kGicdIidr = 0x0008;
inline constexpr uint64_t kGicdIgroupr = 0x0080, kGicdIsenabler = 0x0100, kGicdIcenabler = 0x0180;
inline constexpr uint64_t kGicdIspendr = 0x0200, kGicdIcpendr = 0x0280;
inline constexpr uint64_t kGicdIsactiver = 0x0300, kGicdIcactiver = 0x0380;
inline constexpr uint64_t kGicdIpriorityr = 0x0400, kGicdItargetsr = 0x0800, kGicdIcfgr = 0x0C00;
inline constexpr uint64_t kGicdSgir = 0x0F00, kGicdIrouter = 0x6000, kGicdPidr2 = 0xFFE8;
// GICR RD_base offsets.
inline constexpr uint64_t kGicrCtlr = 0x0000, kGicrIidr = 0x0004, kGicrTyper = 0x0008;
inline constexpr uint64_t kGicrWaker = 0x0014, kGicrPropbaser = 0x0070, kGicrPidr2 = 0xFFE8;
// GICR SGI_base offsets (relative to the SGI frame).
inline constexpr uint64_t kGicrIgroupr0 = 0x0080, kGicrIsenabler0 = 0x0100, kGicrIcenabler0 = 0x0180;
inline constexpr uint64_t kGicrIspendr0 = 0x0200, kGicrIcpendr0 = 0x0280;
inline constexpr uint64_t kGicrIsactiver0 = 0x0300, kGicrIcactiver0 = 0x0380;
inline constexpr uint64_t kGicrIpriorityr = 0x0400, kGicrIcfgr0 = 0x0C00, kGicrIcfgr1 = 0x0C04;

// ICC_* keys.
inline constexpr arch::SysRegKey kPMR = arch::sysreg(3, 0, 4, 6, 0);
inline constexpr arch::SysRegKey kIAR0 = arch::sysreg(3, 0, 12, 8, 0);
inline constexpr arch::SysRegKey kEOIR0 = arch::sysreg(3, 0, 12, 8, 1);
inline constexpr arch::SysRegKey kHPPIR0 = arch::sysreg(3, 0, 12, 8, 2);
inline constexpr arch::SysRegKey kBPR0 = arch::sysreg(3, 0, 12, 8, 3);
inline constexpr arch::SysRegKey kAP0R0 = arch::sysreg(3, 0, 12, 8, 4);
inline constexpr arch::SysRegKey kAP0R1 = arch::sysreg(3, 0, 12, 8, 5);
inline constexpr arch::SysRegKey kAP1R0 = arch::sysreg(3, 0, 12, 9, 0);
inline constexpr arch::SysRegKey kAP1R1 = arch::sysreg(3, 0, 12, 9, 1);
inline constexpr arch::SysRegKey kAP1R3 = arch::sysreg(3, 0, 12, 9, 3);
inline constexpr arch::SysRegKey kDIR = arch::sysreg(3, 0, 12, 11, 1);
inline constexpr arch::SysRegKey kRPR = arch::sysreg(3, 0, 12, 11, 3);
inline constexpr arch::SysRegKey kSGI1R = arch::sysreg(3, 0, 12, 11, 5);
inline constexpr arch::SysRegKey kASGI1R = arch::sysreg(3, 0, 12, 11, 6);
inline constexpr arch::SysRegKey kSGI0R = arch::sysreg(3, 0, 12, 11, 7);
inline constexpr arch::SysRegKey kIAR1 = arch::sysreg(3, 0, 12, 12, 0);
inline constexpr arch::SysRegKey kEOIR1 = arch::sysreg(3, 0, 12, 12, 1);
inline constexpr arch::SysRegKey kHPPIR1 = arch::sysreg(3, 0, 12, 12, 2);
inline constexpr arch::SysRegKey kBPR1 = arch::sysreg(3, 0, 12, 12, 3);
inline constexpr arch::SysRegKey kCTLR = arch::sysreg(3, 0, 12, 12, 4);
inline constexpr arch::SysRegKey kSRE = arch::sysreg(3, 0, 12, 12, 5);
inline constexpr arch::SysRegKey kIGRPEN0 = arch::sysreg(3, 0, 12, 12, 6);
inline constexpr arch::SysRegKey kIGRPEN1 = arch::sysreg(3, 0, 12, 12, 7);

inline constexpr uint64_t gicd(uint64_t off) { return vg::kDistBase + off; }
inline constexpr uint64_t gicr(unsigned vcpu, uint64_t off) { return vg::kRedistBase + vcpu * vg::kRedistStride + off; }
inline constexpr uint64_t gicr_sgi(unsigned vcpu, uint64_t off) { return gicr(vcpu, vg::kSgiFrameOffset + off); }

// ICC_SGI1R_EL1 image.
inline constexpr uint64_t sgi1r(unsigned intid, unsigned target_list, unsigned aff1 = 0, unsigned aff2 = 0,
                                bool irm = false) {
  return uint64_t{target_list} | (uint64_t{aff1} << 16) | (uint64_t{intid} << 24) | (uint64_t{aff2} << 32) |
         (uint64_t{irm} << 40);
}

struct GicFixture {
  explicit GicFixture(unsigned vcpus = 4, unsigned irqs = 64) : g(vcpus, irqs) {}

  uint64_t rd(uint64_t gpa, unsigned size = 4) {
    uint64_t v = 0xdeadbeefdeadbeefull;
    BOOST_REQUIRE(g.mmio_read(gpa, size, v));
    return v;
  }
  void wr(uint64_t gpa, uint64_t v, unsigned size = 4) { BOOST_REQUIRE(g.mmio_write(gpa, size, v)); }

  uint64_t icc_rd(unsigned vcpu, arch::SysRegKey k) {
    uint64_t v = 0xdeadbeef;
    BOOST_REQUIRE(g.sysreg(vcpu, k, true, v) == Vgic::Access::kOk);
    return v;
  }
  void icc_wr(unsigned vcpu, arch::SysRegKey k, uint64_t v) {
    BOOST_REQUIRE(g.sysreg(vcpu, k, false, v) == Vgic::Access::kOk);
  }

  // What Linux's GICv3 driver does at boot: distributor Group 1 on, each CPU interface with
  // PMR 0xF0 and Group 1 enabled, redistributor awake.
  void enable_all() {
    wr(gicd(kGicdCtlr), vg::gicd_ctlr::kEnableGrp1);
    for (unsigned v = 0; v < g.num_vcpus(); ++v) {
      wr(gicr(v, kGicrWaker), 0);
      icc_wr(v, kPMR, 0xF0);
      icc_wr(v, kIGRPEN1, 1);
    }
    g.take_changed();
  }
  // Enable an interrupt with a priority: SPIs through the distributor, private ones through
  // the redistributor of `vcpu`.
  void enable_irq(unsigned vcpu, unsigned intid, uint8_t priority) {
    if (intid < 32) {
      wr(gicr_sgi(vcpu, kGicrIpriorityr + intid), priority, 1);
      wr(gicr_sgi(vcpu, kGicrIsenabler0), 1u << intid);
    } else {
      wr(gicd(kGicdIpriorityr + intid), priority, 1);
      wr(gicd(kGicdIsenabler + intid / 32 * 4), 1u << (intid % 32));
    }
  }
  void route_spi(unsigned intid, uint64_t affinity) { wr(gicd(kGicdIrouter + 8 * intid), affinity, 8); }
  bool spi_bit(uint64_t reg, unsigned intid) { return (rd(gicd(reg + intid / 32 * 4)) >> (intid % 32)) & 1; }
  bool priv_bit(unsigned vcpu, uint64_t reg, unsigned intid) { return (rd(gicr_sgi(vcpu, reg)) >> intid) & 1; }

  Vgic g;
};

}  // namespace vgic_test
