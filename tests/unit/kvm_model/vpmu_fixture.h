// Shared helpers for the vPMU unit tests: host builders, a VM-with-vCPUs fixture shaped like
// the kernel selftests' create_vpmu_vm(), and guest MRS/MSR helpers that go through the same
// ESR-ISS trap entry point the interpreter uses.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kvm_model/vpmu/vpmu.h"

namespace vpmu_test {

using namespace kvm_model::vpmu;

// The events the test hosts implement: SW_INCR, INST_RETIRED, CPU_CYCLES, BR_MIS_PRED (0x10),
// STALL_SLOT* (0x3D..0x3F), plus 0x4000 (L1D_CACHE_LMISS_RD) in the extended range.
std::vector<uint16_t> default_events();

ClusterPmuDesc cluster(std::string name, std::vector<uint32_t> cpus, uint32_t n, uint8_t pmuver = pmuver::kV3p1,
                       std::vector<uint16_t> events = default_events());

// One cluster of 4 CPUs with N=6, PMUv3p1, no AArch32 EL0 (so PMCR.LC is RES1).
HostPmus homogeneous_host(uint32_t n = 6, uint8_t pmuver = pmuver::kV3p1, bool aarch32 = false);
// big.LITTLE: cluster 0 "little" cpus 0-3 N=6, cluster 1 "big" cpus 4-7 N=4 (both PMUv3p1).
HostPmus big_little_host(uint32_t little_n = 6, uint32_t big_n = 4);

constexpr int kPmuIrq = 23;

// The eras whose policy satisfies `pred`: tests select eras by the behaviour they exercise,
// never by name, so a new row of the era table is tested wherever its fields say it belongs.
// Fails the test (rather than passing vacuously) when no era qualifies.
template <typename Pred>
std::vector<Era> eras_where(Pred pred) {
  std::vector<Era> out;
  for (Era e : kAllEras)
    if (pred(policy(e))) out.push_back(e);
  if (out.empty()) throw std::logic_error("eras_where: no era has the behaviour under test");
  return out;
}

struct VmFixture {
  explicit VmFixture(Era era, HostPmus host_pmus = homogeneous_host());

  // KVM_CREATE_VCPU + KVM_ARM_VCPU_INIT (PMU feature) + reset, executed on `pcpu`.
  VcpuPmu& add_vcpu(bool pmu = true, uint32_t pcpu = 0);
  // KVM_ARM_VCPU_INIT again on an initialised vCPU (a reset).
  int reinit(VcpuPmu& v, uint32_t pcpu = 0, ResetTrace* trace = nullptr);
  // SET IRQ=23 and INIT, as create_vpmu_vm does (asserting success).
  void irq_and_init(VcpuPmu& v, uint32_t pcpu = 0);
  // First KVM_RUN up to guest entry: first_run, load, flush_hwstate.
  int run(VcpuPmu& v, uint32_t pcpu = 0);

  int set_attr(VcpuPmu& v, uint64_t attr, const void* addr, uint32_t pcpu = 0) {
    return set_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, attr, addr, gic, pcpu);
  }

  HostPmus host;
  VmPmu vm;
  IrqChipState gic;  // in-kernel, initialised, 64 SPIs (the selftest's vGICv3)
  std::vector<std::unique_ptr<VcpuPmu>> vcpus;
};

// ---- guest accesses through handle_sys_reg ----
uint32_t iss_of(arch::SysRegKey key, bool is_read, unsigned rt = 0);
// MRS: the value, or nullopt if the access UNDEFs.
std::optional<uint64_t> mrs(VcpuPmu& v, arch::SysRegKey key, uint8_t el = 1);
// MSR: true if handled, false if UNDEF.
bool msr(VcpuPmu& v, arch::SysRegKey key, uint64_t val, uint8_t el = 1);

// Register encodings used by the tests.
namespace reg {
inline constexpr arch::SysRegKey PMINTENSET_EL1{3, 0, 9, 14, 1};
inline constexpr arch::SysRegKey PMINTENCLR_EL1{3, 0, 9, 14, 2};
inline constexpr arch::SysRegKey PMMIR_EL1{3, 0, 9, 14, 6};
inline constexpr arch::SysRegKey PMCR_EL0{3, 3, 9, 12, 0};
inline constexpr arch::SysRegKey PMCNTENSET_EL0{3, 3, 9, 12, 1};
inline constexpr arch::SysRegKey PMCNTENCLR_EL0{3, 3, 9, 12, 2};
inline constexpr arch::SysRegKey PMOVSCLR_EL0{3, 3, 9, 12, 3};
inline constexpr arch::SysRegKey PMSWINC_EL0{3, 3, 9, 12, 4};
inline constexpr arch::SysRegKey PMSELR_EL0{3, 3, 9, 12, 5};
inline constexpr arch::SysRegKey PMCEID0_EL0{3, 3, 9, 12, 6};
inline constexpr arch::SysRegKey PMCEID1_EL0{3, 3, 9, 12, 7};
inline constexpr arch::SysRegKey PMCCNTR_EL0{3, 3, 9, 13, 0};
inline constexpr arch::SysRegKey PMXEVTYPER_EL0{3, 3, 9, 13, 1};
inline constexpr arch::SysRegKey PMXEVCNTR_EL0{3, 3, 9, 13, 2};
inline constexpr arch::SysRegKey PMUSERENR_EL0{3, 3, 9, 14, 0};
inline constexpr arch::SysRegKey PMOVSSET_EL0{3, 3, 9, 14, 3};
inline constexpr arch::SysRegKey PMCCFILTR_EL0{3, 3, 14, 15, 7};
constexpr arch::SysRegKey PMEVCNTR(unsigned n) {
  return {3, 3, 14, static_cast<uint8_t>(8 + (n >> 3)), static_cast<uint8_t>(n & 7)};
}
constexpr arch::SysRegKey PMEVTYPER(unsigned n) {
  return {3, 3, 14, static_cast<uint8_t>(12 + (n >> 3)), static_cast<uint8_t>(n & 7)};
}
}  // namespace reg

uint64_t id_of(arch::SysRegKey key);

}  // namespace vpmu_test
