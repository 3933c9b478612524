// KVM_ARM_VCPU_PMU_V3_CTRL attributes: error codes and their order per era (spec 2.12).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {
const uint64_t kAllAttrs[] = {KVM_ARM_VCPU_PMU_V3_IRQ, KVM_ARM_VCPU_PMU_V3_INIT, KVM_ARM_VCPU_PMU_V3_FILTER,
                              KVM_ARM_VCPU_PMU_V3_SET_PMU, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS};
}

BOOST_AUTO_TEST_SUITE(vpmu_attr)

BOOST_DATA_TEST_CASE(no_pmu_feature, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(false);
  const int irq = 23;
  for (uint64_t a : kAllAttrs) {
    BOOST_TEST(f.set_attr(v, a, &irq) == -ENODEV, a);
    BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, a) == -ENXIO, a);
  }
  int out = 0;
  BOOST_TEST(get_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &out, f.gic) == -ENODEV);
  IrqChipState user;  // userspace irqchip: the irqchip check comes first
  BOOST_TEST(get_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &out, user) == -EINVAL);
}

BOOST_DATA_TEST_CASE(has_attr, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  for (uint64_t a : {KVM_ARM_VCPU_PMU_V3_IRQ, KVM_ARM_VCPU_PMU_V3_INIT, KVM_ARM_VCPU_PMU_V3_FILTER,
                     KVM_ARM_VCPU_PMU_V3_SET_PMU})
    BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, a) == 0);
  BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS) ==
             (policy(era).has_set_nr_counters ? 0 : -ENXIO));
  BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, 99) == -ENXIO);
  BOOST_TEST(has_device_attr(v, 1 /* TIMER_CTRL */, KVM_ARM_VCPU_PMU_V3_IRQ) == -ENXIO);
  BOOST_TEST(set_device_attr(v, 1, KVM_ARM_VCPU_PMU_V3_IRQ, nullptr, f.gic, 0) == -ENXIO);
  BOOST_TEST(f.set_attr(v, 99, nullptr) == -ENXIO);
}

BOOST_DATA_TEST_CASE(everything_busy_after_init, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  f.irq_and_init(v);
  const int irq = 23;
  for (uint64_t a : kAllAttrs) BOOST_TEST(f.set_attr(v, a, &irq) == -EBUSY, a);
  // ... including on a pCPU no PMU covers: -EBUSY comes before 6.6's probe.
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, /*pcpu=*/9) == -EBUSY);
}

// 6.6 probes the default PMU at the first PMU attribute, on the calling pCPU.
BOOST_DATA_TEST_CASE(default_pmu_6_6_first_attr,
                     bdata::make(eras_where([](const EraPolicy& p) {
                       return p.default_pmu == DefaultPmuPoint::kFirstPmuAttr;
                     })),
                     era) {
  VmFixture f(era, big_little_host(6, 4));
  VcpuPmu& v = f.add_vcpu(true, 0);
  BOOST_TEST(f.vm.arm_pmu() == nullptr);  // nothing chosen at init or reset
  const int irq = 23;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, /*pcpu=*/12) == -ENODEV);  // no PMU there
  BOOST_TEST(f.vm.arm_pmu() == nullptr);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, /*pcpu=*/6) == 0);
  BOOST_TEST(f.vm.arm_pmu()->type == 9u);  // big
  BOOST_TEST(f.vm.cpu_supported(0));        // the default PMU does not narrow supported_cpus
}

// 6.7+: the default PMU is chosen at the first KVM_ARM_VCPU_INIT, on the calling pCPU;
// v5: at the vCPU reset.
const auto kDefaultPmuAtInitOrReset = [](const EraPolicy& p) {
  return p.default_pmu == DefaultPmuPoint::kFirstVcpuInit || p.default_pmu == DefaultPmuPoint::kVcpuReset;
};
BOOST_DATA_TEST_CASE(default_pmu_point, bdata::make(eras_where(kDefaultPmuAtInitOrReset)), era) {
  VmFixture f(era, big_little_host(6, 4));
  f.vcpus.push_back(std::make_unique<VcpuPmu>(f.vm, 0));
  VcpuPmu& v = *f.vcpus.back();
  BOOST_TEST(vcpu_init(v, true, true, /*pcpu=*/5) == 0);
  BOOST_TEST((f.vm.arm_pmu() != nullptr) == (policy(era).default_pmu == DefaultPmuPoint::kFirstVcpuInit));
  BOOST_TEST(vcpu_reset(v, /*pcpu=*/5) == 0);
  BOOST_REQUIRE(f.vm.arm_pmu() != nullptr);
  BOOST_TEST(f.vm.arm_pmu()->type == 9u);
  BOOST_TEST(v.n() == 4);
  // A second vCPU initialised on the other cluster keeps the VM's PMU.
  VcpuPmu& w = f.add_vcpu(true, 1);
  BOOST_TEST(f.vm.arm_pmu()->type == 9u);
  BOOST_TEST(w.n() == 4);
}

BOOST_DATA_TEST_CASE(default_pmu_enodev, bdata::make(eras_where(kDefaultPmuAtInitOrReset)), era) {
  VmFixture f(era, big_little_host(6, 4));
  f.vcpus.push_back(std::make_unique<VcpuPmu>(f.vm, 0));
  VcpuPmu& v = *f.vcpus.back();
  const int init = vcpu_init(v, true, true, /*pcpu=*/20);
  if (policy(era).default_pmu == DefaultPmuPoint::kVcpuReset) {
    BOOST_TEST(init == 0);
    BOOST_TEST(vcpu_reset(v, 20) == -ENODEV);
  } else {
    BOOST_TEST(init == -ENODEV);
  }
}

BOOST_DATA_TEST_CASE(irq_attribute, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& a = f.add_vcpu(true);
  VcpuPmu& b = f.add_vcpu(true);
  IrqChipState user;
  int irq = 23;
  BOOST_TEST(set_device_attr(a, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, user, 0) == -EINVAL);
  BOOST_TEST(f.set_attr(a, KVM_ARM_VCPU_PMU_V3_IRQ, nullptr) == -EFAULT);
  for (int bad : {-1, 0, 15, 1020, 5000}) BOOST_TEST(f.set_attr(a, KVM_ARM_VCPU_PMU_V3_IRQ, &bad) == -EINVAL, bad);
  int out = 0;
  BOOST_TEST(get_device_attr(a, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &out, f.gic) == -ENXIO);
  BOOST_TEST(f.set_attr(a, KVM_ARM_VCPU_PMU_V3_IRQ, &irq) == 0);
  BOOST_TEST(get_device_attr(a, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &out, f.gic) == 0);
  BOOST_TEST(out == 23);
  BOOST_TEST(get_device_attr(a, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, nullptr, f.gic) == -EFAULT);
  BOOST_TEST(f.set_attr(a, KVM_ARM_VCPU_PMU_V3_IRQ, &irq) == -EBUSY);  // same PPI: consistent, but set
  int other_ppi = 22;
  BOOST_TEST(f.set_attr(a, KVM_ARM_VCPU_PMU_V3_IRQ, &other_ppi) == -EINVAL);  // inconsistency first
  BOOST_TEST(f.set_attr(b, KVM_ARM_VCPU_PMU_V3_IRQ, &other_ppi) == -EINVAL);  // PPI must match vCPU a
  BOOST_TEST(f.set_attr(b, KVM_ARM_VCPU_PMU_V3_IRQ, &irq) == 0);
  // SPIs must differ per vCPU.
  VcpuPmu& c = f.add_vcpu(true);
  VcpuPmu& d = f.add_vcpu(true);
  int spi = 40;
  BOOST_TEST(f.set_attr(c, KVM_ARM_VCPU_PMU_V3_IRQ, &spi) == 0);
  BOOST_TEST(f.set_attr(d, KVM_ARM_VCPU_PMU_V3_IRQ, &spi) == -EINVAL);
  spi = 41;
  BOOST_TEST(f.set_attr(d, KVM_ARM_VCPU_PMU_V3_IRQ, &spi) == 0);
}

BOOST_DATA_TEST_CASE(init_attribute, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  IrqChipState not_ready = f.gic;
  not_ready.initialized = false;
  BOOST_TEST(set_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, not_ready, 0) == -ENODEV);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_INIT, nullptr) == -ENXIO);  // no IRQ yet
  const int irq = 23;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq) == 0);
  IrqChipState owned = f.gic;
  owned.set_owner = [](unsigned, int) { return -EEXIST; };
  BOOST_TEST(set_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, owned, 0) == -EEXIST);
  BOOST_TEST(!v.created());
  unsigned claimed_by = 99;
  IrqChipState ok = f.gic;
  ok.set_owner = [&](unsigned vcpu, int intid) {
    claimed_by = vcpu;
    return intid == 23 ? 0 : -EINVAL;
  };
  BOOST_TEST(set_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, ok, 0) == 0);
  BOOST_TEST(claimed_by == 0u);
  BOOST_TEST(v.created());
  // Userspace irqchip: INIT just marks the PMU created.
  VmFixture g(era);
  VcpuPmu& w = g.add_vcpu(true);
  BOOST_TEST(set_device_attr(w, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, IrqChipState{}, 0) == 0);
  BOOST_TEST(w.created());
}

BOOST_DATA_TEST_CASE(filter_attribute, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  kvm_pmu_event_filter flt;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, nullptr) == -EFAULT);
  flt = {0xfff0, 0x11, KVM_PMU_EVENT_ALLOW, {}};  // 0xfff0 + 0x11 > 65536
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == -EINVAL);
  flt = {0, 1, 2, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == -EINVAL);
  flt = {0xfff0, 0x10, KVM_PMU_EVENT_ALLOW, {}};  // exactly fits the 16-bit space
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == 0);
  BOOST_TEST(f.vm.has_filter());
  BOOST_TEST(f.vm.filter_allows(0xfff5));
  BOOST_TEST(!f.vm.filter_allows(0x08));  // first ALLOW: default deny
  flt = {0x08, 1, KVM_PMU_EVENT_ALLOW, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == 0);
  BOOST_TEST(f.vm.filter_allows(0x08));
  // PMUv3.0 host: 10-bit event space.
  VmFixture g(era, homogeneous_host(6, pmuver::kV3));
  VcpuPmu& w = g.add_vcpu(true);
  flt = {0x3f0, 0x11, KVM_PMU_EVENT_DENY, {}};
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == -EINVAL);
  flt = {0x3f0, 0x10, KVM_PMU_EVENT_DENY, {}};
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == 0);
  BOOST_TEST(g.vm.filter_allows(0x08));   // first DENY: default allow
  BOOST_TEST(!g.vm.filter_allows(0x3f5));
  // After the VM ran: -EBUSY (range errors are still reported first).
  f.irq_and_init(v);
  VcpuPmu& x = f.add_vcpu(true);
  BOOST_TEST(f.run(v) == 0);
  flt = {0, 1, KVM_PMU_EVENT_ALLOW, {}};
  BOOST_TEST(f.set_attr(x, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == -EBUSY);
  flt = {0, 1, 7, {}};
  BOOST_TEST(f.set_attr(x, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == -EINVAL);
}

BOOST_DATA_TEST_CASE(set_pmu_attribute, bdata::make(kAllEras), era) {
  VmFixture f(era, big_little_host(6, 4));
  VcpuPmu& v = f.add_vcpu(true, 0);
  int id = 9;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, nullptr) == -EFAULT);
  int unknown = 3;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &unknown) == -ENXIO);
  int negative = -1;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &negative) == -ENXIO);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &id) == 0);
  BOOST_TEST(!f.vm.cpu_supported(0));
  BOOST_TEST(f.vm.cpu_supported(4));
  // A filter pins the PMU: switching is -EBUSY, re-selecting the same one is fine.
  kvm_pmu_event_filter flt{0x11, 1, KVM_PMU_EVENT_DENY, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == 0);
  int little = 8;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &little) == -EBUSY);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &id) == 0);
  // After the VM ran: -EBUSY; an unknown id is still -ENXIO.
  f.irq_and_init(v);
  VcpuPmu& w = f.add_vcpu(true, 4);
  BOOST_TEST(f.run(v, 4) == 0);
  BOOST_TEST(f.set_attr(w, KVM_ARM_VCPU_PMU_V3_SET_PMU, &id) == -EBUSY);
  BOOST_TEST(f.set_attr(w, KVM_ARM_VCPU_PMU_V3_SET_PMU, &unknown) == -ENXIO);
}

// KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS: 6.16 only; N within the PMU's range; SET_PMU undoes it.
BOOST_DATA_TEST_CASE(set_nr_counters_attribute, bdata::make(kAllEras), era) {
  VmFixture f(era, big_little_host(6, 4));
  VcpuPmu& v = f.add_vcpu(true, 0);
  unsigned n = 3;
  if (!policy(era).has_set_nr_counters) {
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == -ENXIO);
    return;
  }
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, nullptr) == -EFAULT);
  unsigned too_many = 7;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &too_many) == -EINVAL);
  for (unsigned k = 0; k <= 6; ++k) {
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &k) == 0);
    BOOST_TEST(v.n() == k);
  }
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == 0);
  BOOST_TEST(f.vm.nr_counters_explicit());
  int big = 9;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &big) == 0);
  BOOST_TEST(v.n() == 4);  // "Selecting a new PMU cancels the effect of setting this attribute"
  BOOST_TEST(!f.vm.nr_counters_explicit());
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &too_many) == -EINVAL);  // 5 > 4 too
}

BOOST_AUTO_TEST_SUITE_END()
