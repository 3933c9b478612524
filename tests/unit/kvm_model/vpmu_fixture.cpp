#include "vpmu_fixture.h"

#include <boost/test/unit_test.hpp>

#include "pmu/events.h"

namespace vpmu_test {

std::vector<uint16_t> default_events() { return {0x00, 0x08, 0x10, 0x11, 0x3d, 0x3e, 0x3f, 0x4000}; }

ClusterPmuDesc cluster(std::string name, std::vector<uint32_t> cpus, uint32_t n, uint8_t ver,
                       std::vector<uint16_t> events) {
  const pmu::Pmceid id = pmu::pmceid_of(events);
  return ClusterPmuDesc{std::move(name), std::move(cpus), n, ver, id.pmceid0, id.pmceid1, pmu::events_40_7f_of(events)};
}

HostPmus homogeneous_host(uint32_t n, uint8_t ver, bool aarch32) {
  HostFeatures f;
  f.supports_32bit_el0 = aarch32;
  f.pfr0_el2 = 1;
  f.pfr0_el3 = 0;
  return HostPmus({cluster("cortex-a55", {0, 1, 2, 3}, n, ver)}, f);
}

HostPmus big_little_host(uint32_t little_n, uint32_t big_n) {
  HostFeatures f;
  return HostPmus({cluster("little", {0, 1, 2, 3}, little_n), cluster("big", {4, 5, 6, 7}, big_n)}, f);
}

VmFixture::VmFixture(Era era, HostPmus host_pmus) : host(std::move(host_pmus)), vm(host, era) {
  gic.in_kernel = true;
  gic.initialized = true;
  gic.nr_spis = 64 - 32;
}

VcpuPmu& VmFixture::add_vcpu(bool pmu, uint32_t pcpu) {
  vcpus.push_back(std::make_unique<VcpuPmu>(vm, static_cast<unsigned>(vcpus.size())));
  VcpuPmu& v = *vcpus.back();
  BOOST_REQUIRE_EQUAL(vcpu_init(v, pmu, true, pcpu), 0);
  BOOST_REQUIRE_EQUAL(vcpu_reset(v, pcpu), 0);
  return v;
}

int VmFixture::reinit(VcpuPmu& v, uint32_t pcpu, ResetTrace* trace) {
  if (int r = vcpu_init(v, v.has_pmu(), false, pcpu, trace)) return r;
  return vcpu_reset(v, pcpu, trace);
}

void VmFixture::irq_and_init(VcpuPmu& v, uint32_t pcpu) {
  const int irq = kPmuIrq;
  BOOST_REQUIRE_EQUAL(set_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, pcpu), 0);
  BOOST_REQUIRE_EQUAL(set_attr(v, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, pcpu), 0);
}

int VmFixture::run(VcpuPmu& v, uint32_t pcpu) {
  if (int r = first_run(v, gic)) return r;
  vcpu_load(v, pcpu);
  flush_hwstate(v);
  return 0;
}

uint32_t iss_of(arch::SysRegKey key, bool is_read, unsigned rt) { return key.to_esr_iss(rt, is_read); }

std::optional<uint64_t> mrs(VcpuPmu& v, arch::SysRegKey key, uint8_t el) {
  uint64_t val = 0xdeadbeefdeadbeefull;
  if (handle_sys_reg(v, iss_of(key, true), el, val) != HandleResult::kHandled) return std::nullopt;
  return val;
}

bool msr(VcpuPmu& v, arch::SysRegKey key, uint64_t val, uint8_t el) {
  return handle_sys_reg(v, iss_of(key, false), el, val) == HandleResult::kHandled;
}

uint64_t id_of(arch::SysRegKey key) { return key.to_one_reg_id(); }

}  // namespace vpmu_test
