// The eras after 6.16: KVM_ARM_VCPU_PMU_V3_STRICT (7.3, queued) and the two proposals that
// both claim PMU_V3_CTRL attribute 5 (FIXED_COUNTERS_ONLY v11, partitioned PMU v9). Eras are
// selected by the policy fields that carry the behaviour, never by name.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {

bool has_strict(const EraPolicy& p) { return p.has_pmu_v3_strict; }
bool fixed_counters(const EraPolicy& p) { return p.attr5 == Attr5::kFixedCountersOnly; }
bool partition(const EraPolicy& p) { return p.attr5 == Attr5::kEnablePartition; }

// big.LITTLE with the fields the new eras read: little cpus 0-3 N=6 SLOTS=4, big cpus 4-7
// N=4 SLOTS=8; `reserved` counters of each kept by the host.
HostPmus next_host(uint32_t reserved = 0, bool hpmn0 = false, bool vhe = true) {
  ClusterPmuDesc little = cluster("little", {0, 1, 2, 3}, 6);
  ClusterPmuDesc big = cluster("big", {4, 5, 6, 7}, 4);
  little.pmmir_slots = 4;
  big.pmmir_slots = 8;
  for (ClusterPmuDesc* c : {&little, &big}) {
    c->reserved_host_counters = reserved;
    c->feat_hpmn0 = hpmn0;
  }
  HostFeatures f;
  f.vhe = vhe;
  return HostPmus({little, big}, f);
}

// KVM_ARM_VCPU_INIT with PMU_V3 (+ STRICT) and the reset, as KVM_ARM_VCPU_INIT does.
VcpuPmu& add_strict_vcpu(VmFixture& f, uint32_t pcpu = 0) {
  f.vcpus.push_back(std::make_unique<VcpuPmu>(f.vm, static_cast<unsigned>(f.vcpus.size())));
  VcpuPmu& v = *f.vcpus.back();
  BOOST_REQUIRE_EQUAL(vcpu_init(v, true, true, pcpu, nullptr, /*strict=*/true), 0);
  BOOST_REQUIRE_EQUAL(vcpu_reset(v, pcpu), 0);
  return v;
}

int set_pmu(VmFixture& f, VcpuPmu& v, int type) { return f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &type); }

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_next_eras)

// ---------------- STRICT ----------------

// Feature bit 9 only where the era has it, and only with the PMU feature.
BOOST_DATA_TEST_CASE(strict_needs_the_era_and_the_pmu_feature, bdata::make(kAllEras), era) {
  VmFixture f(era, next_host());
  f.vcpus.push_back(std::make_unique<VcpuPmu>(f.vm, 0));
  VcpuPmu& v = *f.vcpus.back();
  BOOST_TEST(vcpu_init(v, false, true, 0, nullptr, true) == -EINVAL);
  BOOST_TEST(vcpu_init(v, true, true, 0, nullptr, true) == (policy(era).has_pmu_v3_strict ? 0 : -EINVAL));
  BOOST_TEST(f.vm.strict() == policy(era).has_pmu_v3_strict);
}

// No default PMU; KVM_RUN is refused with -EPERM until SET_PMU.
BOOST_DATA_TEST_CASE(strict_set_pmu_before_first_run, bdata::make(eras_where(has_strict)), era) {
  VmFixture f(era, next_host());
  VcpuPmu& v = add_strict_vcpu(f, 0);
  BOOST_TEST(f.vm.arm_pmu() == nullptr);
  BOOST_TEST(v.n() == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == -EPERM);
  BOOST_TEST(!f.vm.has_ran_once());
  BOOST_TEST(set_pmu(f, v, 9) == -EBUSY);  // after PMU INIT every attribute is -EBUSY ...
  // ... so the VMM must select the PMU before INIT.
  VmFixture g(era, next_host());
  VcpuPmu& w = add_strict_vcpu(g, 0);
  unsigned n = 2;
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == -EINVAL);  // no PMU yet
  BOOST_TEST(set_pmu(g, w, 9) == 0);
  BOOST_TEST(w.n() == 4);
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == 0);
  BOOST_TEST(w.n() == 2);
  g.irq_and_init(w);
  BOOST_TEST(g.run(w, 4) == 0);
  BOOST_TEST(g.vm.has_ran_once());
}

// The same era without the feature bit behaves as 6.16: default PMU at the first init.
BOOST_DATA_TEST_CASE(strict_era_without_the_bit_keeps_the_default_pmu, bdata::make(eras_where(has_strict)), era) {
  VmFixture f(era, next_host());
  VcpuPmu& v = f.add_vcpu(true, 5);
  BOOST_REQUIRE(f.vm.arm_pmu() != nullptr);
  BOOST_TEST(f.vm.arm_pmu()->type == 9u);
  BOOST_TEST(!f.vm.strict());
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 2)) == 0);
  BOOST_TEST(v.n() == 2);  // N writes taken, as in 6.16
  BOOST_TEST(*mrs(v, reg::PMMIR_EL1) == 0u);  // RAZ
}

// PMCR_EL0.N from userspace is ignored (the write succeeds); SET_NR_COUNTERS sets it.
BOOST_DATA_TEST_CASE(strict_ignores_pmcr_n_writes, bdata::make(eras_where(has_strict)), era) {
  VmFixture f(era, next_host());
  VcpuPmu& v = add_strict_vcpu(f, 0);
  BOOST_TEST(set_pmu(f, v, 8) == 0);
  BOOST_TEST(v.n() == 6);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(pmcr::kD, 2)) == 0);
  BOOST_TEST(v.n() == 6);
  uint64_t out = 0;
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCR_EL0), out) == 0);
  BOOST_TEST(out == (pmcr::with_n(0, 6) | pmcr::kD | pmcr::kLC));  // the other bits are taken
  unsigned n = 3;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == 0);
  BOOST_TEST(v.n() == 3);
}

// PMMIR_EL1.SLOTS: the real value, listed in REG_LIST, writable with 0 or itself only.
BOOST_DATA_TEST_CASE(strict_pmmir_slots, bdata::make(eras_where(has_strict)), era) {
  VmFixture f(era, next_host());
  VcpuPmu& v = add_strict_vcpu(f, 4);
  BOOST_TEST(set_pmu(f, v, 9) == 0);  // big: SLOTS = 8
  BOOST_TEST(*mrs(v, reg::PMMIR_EL1) == 8u);
  std::vector<uint64_t> ids;
  append_reg_list(v, ids);
  BOOST_TEST(ids.size() == 75u);
  BOOST_TEST((std::find(ids.begin(), ids.end(), id_of(reg::PMMIR_EL1)) != ids.end()));
  uint64_t out = 0;
  BOOST_TEST(get_one_reg(v, id_of(reg::PMMIR_EL1), out) == 0);
  BOOST_TEST(out == 8u);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMMIR_EL1), 8) == 0);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMMIR_EL1), 4) == -EINVAL);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMMIR_EL1), 9) == -EINVAL);
  // STALL_SLOT* (0x3D..0x3F, PMCEID1 bits 29..31) with a non-zero SLOTS.
  const uint64_t stall = (1ull << 29) | (1ull << 30) | (1ull << 31);
  BOOST_TEST((*mrs(v, reg::PMCEID1_EL0) & stall) == stall);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v, 4) == 0);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMMIR_EL1), 0) == -EBUSY);  // clearing after the run
  BOOST_TEST(set_one_reg(v, id_of(reg::PMMIR_EL1), 8) == 0);       // the same value is fine
  BOOST_TEST(set_one_reg(v, id_of(reg::PMMIR_EL1), 5) == -EINVAL); // -EINVAL comes first
  // Before the run, clearing SLOTS hides it and the STALL_SLOT* events with it.
  VmFixture g(era, next_host());
  VcpuPmu& w = add_strict_vcpu(g, 0);
  BOOST_TEST(set_pmu(g, w, 8) == 0);
  BOOST_TEST(set_one_reg(w, id_of(reg::PMMIR_EL1), 0) == 0);
  BOOST_TEST(*mrs(w, reg::PMMIR_EL1) == 0u);
  BOOST_TEST((*mrs(w, reg::PMCEID1_EL0) & stall) == 0u);
  // Not strict: PMMIR_EL1 is RAZ and not in REG_LIST; STALL_SLOT* hidden.
  VmFixture h(era, next_host());
  VcpuPmu& x = h.add_vcpu(true, 4);
  ids.clear();
  append_reg_list(x, ids);
  BOOST_TEST(ids.size() == 74u);
  BOOST_TEST(get_one_reg(x, id_of(reg::PMMIR_EL1), out) == -ENOENT);
  BOOST_TEST((*mrs(x, reg::PMCEID1_EL0) & stall) == 0u);
}

// ---------------- attribute 5: two proposals, one number ----------------

BOOST_DATA_TEST_CASE(attribute_5_per_era, bdata::make(kAllEras), era) {
  VmFixture f(era, next_host(1));
  VcpuPmu& v = f.add_vcpu(true, 0);
  const Attr5 a5 = policy(era).attr5;
  BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, 5) == (a5 == Attr5::kNone ? -ENXIO : 0));
  const int r = f.set_attr(v, 5, nullptr);
  if (a5 == Attr5::kNone) {
    BOOST_TEST(r == -ENXIO);
  } else {
    BOOST_TEST(r == 0);  // neither proposal's attribute 5 reads a payload
    BOOST_TEST(f.vm.fixed_counters_only() == (a5 == Attr5::kFixedCountersOnly));
    BOOST_TEST(f.vm.partitioned() == (a5 == Attr5::kEnablePartition));
  }
}

// ---------------- FIXED_COUNTERS_ONLY (proposal, v11) ----------------

BOOST_DATA_TEST_CASE(fixed_counters_only_is_exclusive, bdata::make(eras_where(fixed_counters)), era) {
  {  // after SET_PMU
    VmFixture f(era, next_host());
    VcpuPmu& v = f.add_vcpu(true, 0);
    BOOST_TEST(set_pmu(f, v, 8) == 0);
    BOOST_TEST(f.set_attr(v, 5, nullptr) == -EBUSY);
  }
  {  // after FILTER
    VmFixture f(era, next_host());
    VcpuPmu& v = f.add_vcpu(true, 0);
    kvm_pmu_event_filter flt{0x11, 1, KVM_PMU_EVENT_ALLOW, {}};
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == 0);
    BOOST_TEST(f.set_attr(v, 5, nullptr) == -EBUSY);
  }
  {  // before SET_PMU, FILTER and SET_NR_COUNTERS > 0
    VmFixture f(era, next_host());
    VcpuPmu& v = f.add_vcpu(true, 0);
    BOOST_TEST(f.set_attr(v, 5, nullptr) == 0);
    BOOST_TEST(v.n() == 0);
    BOOST_TEST(set_pmu(f, v, 8) == -EBUSY);
    kvm_pmu_event_filter flt{0x11, 1, KVM_PMU_EVENT_ALLOW, {}};
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == -EBUSY);
    unsigned one = 1, zero = 0;
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &one) == -EINVAL);
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &zero) == 0);
    BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 4)) == 0);
    BOOST_TEST(v.n() == 0);  // above the (zero) maximum: ignored
  }
  {  // after the run
    VmFixture f(era, next_host());
    VcpuPmu& v = f.add_vcpu(true, 0);
    f.irq_and_init(v);
    VcpuPmu& w = f.add_vcpu(true, 0);
    BOOST_TEST(f.run(v) == 0);
    BOOST_TEST(f.set_attr(w, 5, nullptr) == -EBUSY);
  }
}

// Refused when some CPU has no registered PMU.
BOOST_DATA_TEST_CASE(fixed_counters_only_needs_every_cpu_covered, bdata::make(eras_where(fixed_counters)), era) {
  VmFixture f(era, HostPmus({cluster("a", {0, 1}, 6), cluster("b", {4, 5}, 6)}, {}));  // 2, 3 uncovered
  VcpuPmu& v = f.add_vcpu(true, 0);
  BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, 5) == -ENXIO);
  BOOST_TEST(f.set_attr(v, 5, nullptr) == -ENXIO);
}

// The big.LITTLE migration: the cycle counter keeps counting on either cluster, where the
// default PMU (6.16) counts only on its own cluster.
BOOST_DATA_TEST_CASE(fixed_counters_only_counts_on_every_cluster, bdata::make(eras_where(fixed_counters)), era) {
  for (bool fixed : {false, true}) {
    VmFixture f(era, next_host());
    VcpuPmu& v = f.add_vcpu(true, 0);  // default PMU: little
    if (fixed) BOOST_TEST(f.set_attr(v, 5, nullptr) == 0);
    f.irq_and_init(v);
    BOOST_TEST(f.run(v, 0) == 0);
    BOOST_TEST(msr(v, reg::PMCCFILTR_EL0, 0));
    BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 1u << 31));
    BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE | pmcr::kC));
    arch::EventCounts c;
    c.add(arch::CountEl::kEl1, event::CPU_CYCLES, 100);
    count_events(v, c);
    vcpu_put(v);
    vcpu_load(v, 6);  // big
    flush_hwstate(v);
    BOOST_TEST(!fail_entry_cpu(v).has_value());
    count_events(v, c);
    BOOST_TEST(*mrs(v, reg::PMCCNTR_EL0) == (fixed ? 200u : 100u), "fixed " << fixed);
    // Fixed: the cycle event alone (plus CHAIN and SW_INCR, which 6.16 always adds).
    if (fixed) BOOST_TEST(*mrs(v, reg::PMCEID0_EL0) == ((1ull << 17) | (1ull << 30) | 1u));
  }
}

// ---------------- partitioned PMU (proposal, v9) ----------------

BOOST_DATA_TEST_CASE(partition_hpmn_is_n_minus_reserved, bdata::make(eras_where(partition)), era) {
  VmFixture f(era, next_host(/*reserved=*/2));
  VcpuPmu& v = f.add_vcpu(true, 0);  // little, N = 6
  BOOST_TEST(v.n() == 6);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == 0);
  BOOST_TEST(v.n() == 4);
  // The host's counters are invisible: PMCR.N says 4 and PMEVCNTR4/5 UNDEF.
  BOOST_TEST(pmcr::N(*mrs(v, reg::PMCR_EL0)) == 4u);
  BOOST_TEST(mrs(v, reg::PMEVCNTR(3)).has_value());
  BOOST_TEST(!mrs(v, reg::PMEVCNTR(4)).has_value());
  BOOST_TEST(!mrs(v, reg::PMEVCNTR(5)).has_value());
  unsigned n = 5;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == -EINVAL);
  n = 4;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n) == 0);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 6)) == 0);
  BOOST_TEST(v.n() == 4);  // above HPMN: ignored
  BOOST_TEST(set_pmu(f, v, 9) == 0);  // big, N = 4: HPMN = 2
  BOOST_TEST(v.n() == 2);
}

BOOST_DATA_TEST_CASE(partition_hpmn0_needs_feat_hpmn0, bdata::make(eras_where(partition)), era) {
  for (bool hpmn0 : {false, true}) {
    VmFixture f(era, next_host(/*reserved=*/6, hpmn0));
    VcpuPmu& v = f.add_vcpu(true, 0);  // little: N = 6, all reserved
    BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == (hpmn0 ? 0 : -EINVAL));
    BOOST_TEST(v.n() == (hpmn0 ? 0 : 6));
  }
  VmFixture g(era, next_host(/*reserved=*/7, true));  // more than N
  VcpuPmu& w = g.add_vcpu(true, 0);
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == -EINVAL);
}

BOOST_DATA_TEST_CASE(partition_vhe_only_and_before_run, bdata::make(eras_where(partition)), era) {
  VmFixture f(era, next_host(1, false, /*vhe=*/false));
  VcpuPmu& v = f.add_vcpu(true, 0);
  BOOST_TEST(has_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, 5) == -ENXIO);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == -ENXIO);
  VmFixture g(era, next_host(1));
  VcpuPmu& a = g.add_vcpu(true, 0);
  VcpuPmu& b = g.add_vcpu(true, 0);
  g.irq_and_init(a);
  BOOST_TEST(g.run(a) == 0);
  BOOST_TEST(g.set_attr(b, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == -EBUSY);
}

// The guest's counters survive vcpu_put/vcpu_load; its events get only the HPMN physical
// counters (the host keeps the others).
BOOST_DATA_TEST_CASE(partition_counters_kept_across_put_load, bdata::make(eras_where(partition)), era) {
  VmFixture f(era, next_host(/*reserved=*/2));
  VcpuPmu& v = f.add_vcpu(true, 0);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v, 0) == 0);
  for (unsigned i = 0; i < 4; ++i) BOOST_TEST(msr(v, reg::PMEVTYPER(i), event::INST_RETIRED));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 0xf));
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE | pmcr::kP));
  arch::EventCounts c;
  c.add(arch::CountEl::kEl1, event::INST_RETIRED, 10);
  count_events(v, c);
  vcpu_put(v);
  vcpu_load(v, 1);
  flush_hwstate(v);
  for (unsigned i = 0; i < 4; ++i) BOOST_TEST(*mrs(v, reg::PMEVCNTR(i)) == 10u, i);
}

// The event filter holds for the guest's directly programmed counters (enforced at load).
BOOST_DATA_TEST_CASE(partition_filter_enforced, bdata::make(eras_where(partition)), era) {
  VmFixture f(era, next_host(/*reserved=*/2));
  VcpuPmu& v = f.add_vcpu(true, 0);
  kvm_pmu_event_filter flt{event::INST_RETIRED, 1, KVM_PMU_EVENT_DENY, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &flt) == 0);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v, 0) == 0);
  BOOST_TEST(msr(v, reg::PMEVTYPER(0), event::INST_RETIRED));
  BOOST_TEST(msr(v, reg::PMEVTYPER(1), event::CPU_CYCLES));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 0x3));
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE | pmcr::kP));
  vcpu_put(v);
  vcpu_load(v, 0);
  flush_hwstate(v);
  arch::EventCounts c;
  c.add(arch::CountEl::kEl1, event::INST_RETIRED, 10);
  c.add(arch::CountEl::kEl1, event::CPU_CYCLES, 20);
  count_events(v, c);
  BOOST_TEST(*mrs(v, reg::PMEVCNTR(0)) == 0u);
  BOOST_TEST(*mrs(v, reg::PMEVCNTR(1)) == 20u);
}

BOOST_AUTO_TEST_SUITE_END()
