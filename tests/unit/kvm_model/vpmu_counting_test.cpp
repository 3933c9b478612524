// The emulated counters (spec 5): backing events counting the vCPU's events on the physical
// PMU of its pCPU, EL filtering per era, overflow, CHAIN, SW_INCR, the interrupt level, PMCEID.
#include <array>
#include <iterator>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {

using arch::CountEl;

// A running vCPU with clean bitmaps, counters reset and PMCR.E clear.
struct Counting {
  explicit Counting(Era era, HostPmus host = homogeneous_host(), uint32_t pcpu = 0, uint8_t el2 = 1, uint8_t el3 = 0)
      : f(era, std::move(host)) {
    f.vm.set_pfr0_el2_el3(el2, el3);
    v = &f.add_vcpu(true, pcpu);
    f.irq_and_init(*v, pcpu);
    BOOST_REQUIRE_EQUAL(f.run(*v, pcpu), 0);
    for (auto k : {reg::PMINTENCLR_EL1, reg::PMCNTENCLR_EL0, reg::PMOVSCLR_EL0}) BOOST_REQUIRE(msr(*v, k, ~0ull));
    BOOST_REQUIRE(msr(*v, reg::PMCR_EL0, pmcr::kP | pmcr::kC));
  }
  void type(unsigned i, uint64_t t) { BOOST_REQUIRE(msr(*v, i == kCycleIdx ? reg::PMCCFILTR_EL0 : reg::PMEVTYPER(i), t)); }
  void enable(uint64_t mask) { BOOST_REQUIRE(msr(*v, reg::PMCNTENSET_EL0, mask)); }
  void start(uint64_t extra = 0) { BOOST_REQUIRE(msr(*v, reg::PMCR_EL0, pmcr::kE | extra)); }
  bool feed(CountEl el, uint16_t ev, uint64_t n) {
    arch::EventCounts c;
    c.add(el, ev, n);
    return count_events(*v, c);
  }
  uint64_t ctr(unsigned i) { return *mrs(*v, i == kCycleIdx ? reg::PMCCNTR_EL0 : reg::PMEVCNTR(i)); }
  void set_ctr(unsigned i, uint64_t val) { BOOST_REQUIRE(msr(*v, i == kCycleIdx ? reg::PMCCNTR_EL0 : reg::PMEVCNTR(i), val)); }
  uint64_t ovs() { return *mrs(*v, reg::PMOVSSET_EL0); }

  VmFixture f;
  VcpuPmu* v = nullptr;
};

constexpr uint64_t kBit31 = uint64_t{1} << 31;

// Two identical vCPUs, one counting through count_events() (cycle-timing style), one on the
// instruction clock, driven through the trap path's ordering (Vcpu::handle).
struct ClockPair {
  explicit ClockPair(Era era) : ref(era), clk(era) {
    clk.v->use_insn_clock();
    clk.v->revalidate_clock();
  }
  // n guest instructions at EL el.
  void run(unsigned el, uint64_t n) {
    pending[el] += n;
    retired[el] += n;
  }
  void gather() {
    arch::EventCounts c;
    for (unsigned el = 0; el < 2; ++el)
      for (uint16_t ev : {event::INST_RETIRED, event::INST_SPEC, event::CPU_CYCLES})
        c.add(el ? CountEl::kEl1 : CountEl::kEl0, ev, pending[el]);
    pending = {};
    BOOST_REQUIRE(!count_events(*ref.v, c));
  }
  void before(arch::SysRegKey key, bool is_read) {
    const TrapRoute route = route_trap(iss_of(key, is_read));
    if (!(route.flags & trap::kCounts)) return;
    gather();
    clk.v->set_clock(retired);
    if (route.flags & trap::kClockSettle) BOOST_REQUIRE(!clk.v->settle());
  }
  void read(arch::SysRegKey key) {
    before(key, true);
    const auto a = mrs(*ref.v, key), b = mrs(*clk.v, key);
    BOOST_TEST(a.has_value() == b.has_value());
    if (a && b) BOOST_TEST(*a == *b);
  }
  void write(arch::SysRegKey key, uint64_t val) {
    before(key, false);
    BOOST_TEST(msr(*ref.v, key, val) == msr(*clk.v, key, val));
  }
  uint64_t rnd(uint64_t n) {  // xorshift64: the same sequence on every run
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % n;
  }

  Counting ref, clk;
  std::array<uint64_t, 2> pending{}, retired{};
  uint64_t seed = 0x9e3779b97f4a7c15ull;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_counting)

// ASE_SPEC, VFP_SPEC and CRYPTO_SPEC (0x74, 0x75, 0x77) have no PMCEID bit, but a guest
// that programs one gets a perf event of that raw number, which counts when the physical
// PMU implements it; an event the hardware lacks (0x76, PC_WRITE_SPEC here) never counts.
BOOST_DATA_TEST_CASE(counts_implemented_events_above_0x3f, bdata::make(kAllEras), era) {
  const std::vector<uint16_t> events{event::INST_RETIRED, event::CPU_CYCLES, 0x74, 0x75, 0x77};
  Counting c(era, HostPmus({cluster("cortex-a76", {0, 1, 2, 3}, 6, pmuver::kV3p1, events)}, HostFeatures{}));
  const uint16_t programmed[4] = {0x74, 0x75, 0x77, 0x76};
  for (unsigned i = 0; i < 4; ++i) c.type(i, programmed[i]);
  c.enable(0xf);
  c.start();
  arch::EventCounts ev;
  ev.add(CountEl::kEl1, 0x74, 40);
  ev.add(CountEl::kEl0, 0x74, 2);
  ev.add(CountEl::kEl1, 0x75, 30);
  ev.add(CountEl::kEl1, 0x77, 20);
  ev.add(CountEl::kEl1, 0x76, 10);
  BOOST_TEST(!count_events(*c.v, ev));
  BOOST_TEST(c.ctr(0) == 42u);
  BOOST_TEST(c.ctr(1) == 30u);
  BOOST_TEST(c.ctr(2) == 20u);
  BOOST_TEST(c.ctr(3) == 0u);
  // The same guest on a PMU that lacks them: nothing counts.
  Counting d(era, HostPmus({cluster("cortex-a55", {0, 1, 2, 3}, 6, pmuver::kV3p1,
                                    {event::INST_RETIRED, event::CPU_CYCLES})},
                           HostFeatures{}));
  for (unsigned i = 0; i < 4; ++i) d.type(i, programmed[i]);
  d.enable(0xf);
  d.start();
  BOOST_TEST(!count_events(*d.v, ev));
  for (unsigned i = 0; i < 4; ++i) BOOST_TEST(d.ctr(i) == 0u);
}

BOOST_DATA_TEST_CASE(counts_enabled_counters_at_el0_and_el1, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, event::INST_RETIRED);
  c.enable(1 | kBit31);
  c.start();
  arch::EventCounts ev;
  ev.add(CountEl::kEl1, event::INST_RETIRED, 100);
  ev.add(CountEl::kEl0, event::INST_RETIRED, 50);
  ev.add(CountEl::kEl2, event::INST_RETIRED, 1000);  // exclude_hv: never counted
  ev.add(CountEl::kEl1, event::CPU_CYCLES, 700);
  BOOST_TEST(!count_events(*c.v, ev));
  BOOST_TEST(c.ctr(0) == 150u);
  BOOST_TEST(c.ctr(kCycleIdx) == 700u);
}

// Counting is frozen while PMCR.E=0 or the enable bit is clear (selftest G4.f).
BOOST_DATA_TEST_CASE(frozen_without_enable, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, event::INST_RETIRED);
  c.enable(1);
  c.feed(CountEl::kEl1, event::INST_RETIRED, 10);  // PMCR.E = 0
  BOOST_TEST(c.ctr(0) == 0u);
  c.start();
  c.feed(CountEl::kEl1, event::INST_RETIRED, 10);
  BOOST_TEST(c.ctr(0) == 10u);
  BOOST_TEST(msr(*c.v, reg::PMCNTENCLR_EL0, 1));
  c.feed(CountEl::kEl1, event::INST_RETIRED, 10);
  BOOST_TEST(c.ctr(0) == 10u);
  BOOST_TEST(msr(*c.v, reg::PMCNTENSET_EL0, 1));
  BOOST_TEST(msr(*c.v, reg::PMCR_EL0, 0));
  c.feed(CountEl::kEl1, event::INST_RETIRED, 10);
  BOOST_TEST(c.ctr(0) == 10u);
  vcpu_put(*c.v);  // not on a CPU: nothing runs
  c.start();
  c.feed(CountEl::kEl1, event::INST_RETIRED, 10);
  BOOST_TEST(c.ctr(0) == 10u);
}

BOOST_DATA_TEST_CASE(exclude_el0_el1, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, evtyper::kU | event::INST_RETIRED);
  c.type(1, evtyper::kP | event::INST_RETIRED);
  c.type(kCycleIdx, evtyper::kP);
  c.enable(0x3 | kBit31);
  c.start();
  arch::EventCounts ev;
  ev.add(CountEl::kEl0, event::INST_RETIRED, 5);
  ev.add(CountEl::kEl1, event::INST_RETIRED, 7);
  ev.add(CountEl::kEl0, event::CPU_CYCLES, 11);
  ev.add(CountEl::kEl1, event::CPU_CYCLES, 13);
  count_events(*c.v, ev);
  BOOST_TEST(c.ctr(0) == 7u);
  BOOST_TEST(c.ctr(1) == 5u);
  BOOST_TEST(c.ctr(kCycleIdx) == 11u);
}

// NSU/NSK (VM with EL3): 6.7+ exclude EL0 iff U^NSU, EL1 iff P^NSK; 6.6 cannot store them.
BOOST_DATA_TEST_CASE(ns_filter_bits, bdata::make(kAllEras), era) {
  Counting c(era, homogeneous_host(), 0, /*el2=*/1, /*el3=*/1);
  c.type(0, evtyper::kU | evtyper::kNSU | event::INST_RETIRED);  // U == NSU
  c.type(1, evtyper::kNSK | event::INST_RETIRED);                         // P != NSK
  c.enable(0x3);
  c.start();
  arch::EventCounts ev;
  ev.add(CountEl::kEl0, event::INST_RETIRED, 5);
  ev.add(CountEl::kEl1, event::INST_RETIRED, 7);
  count_events(*c.v, ev);
  const bool v67 = policy(era).ns_filter_bits;
  BOOST_TEST(c.ctr(0) == (v67 ? 12u : 7u));
  BOOST_TEST(c.ctr(1) == (v67 ? 5u : 12u));
}

BOOST_DATA_TEST_CASE(event_filter_attribute, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  const kvm_pmu_event_filter deny_inst{event::INST_RETIRED, 1, KVM_PMU_EVENT_DENY, {}};
  const kvm_pmu_event_filter deny_cycles{event::CPU_CYCLES, 1, KVM_PMU_EVENT_DENY, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &deny_inst) == 0);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &deny_cycles) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(msr(v, reg::PMEVTYPER(0), event::INST_RETIRED));
  BOOST_TEST(msr(v, reg::PMEVTYPER(1), 0x10));
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE | pmcr::kP | pmcr::kC));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 0x3 | kBit31));
  arch::EventCounts ev;
  ev.add(CountEl::kEl1, event::INST_RETIRED, 5);
  ev.add(CountEl::kEl1, 0x10, 6);
  ev.add(CountEl::kEl1, event::CPU_CYCLES, 7);
  count_events(v, ev);
  BOOST_TEST(*mrs(v, reg::PMEVCNTR(0)) == 0u);
  BOOST_TEST(*mrs(v, reg::PMEVCNTR(1)) == 6u);
  BOOST_TEST(*mrs(v, reg::PMCCNTR_EL0) == 0u);  // the cycle counter is filtered via 0x11
  BOOST_TEST(!v.backing(0).exists);
}

BOOST_DATA_TEST_CASE(overflow_32bit, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(3, event::INST_RETIRED);
  c.set_ctr(3, 0xfffffff0);
  c.enable(1u << 3);
  BOOST_TEST(msr(*c.v, reg::PMINTENSET_EL1, 1u << 3));
  c.start();
  BOOST_TEST(!c.feed(CountEl::kEl1, event::INST_RETIRED, 0xf));
  BOOST_TEST(c.ovs() == 0u);
  BOOST_TEST(c.feed(CountEl::kEl1, event::INST_RETIRED, 0x11));
  BOOST_TEST(!c.v->irq_level());  // recomputed only at exit/entry (or a trap's re-entry)
  sync_hwstate(*c.v);
  BOOST_TEST(c.v->irq_level());
  BOOST_TEST(c.ctr(3) == 0x10u);
  BOOST_TEST(c.ovs() == (1u << 3));
}

BOOST_DATA_TEST_CASE(event_counters_64bit_on_pmuv3p5, bdata::make(kAllEras), era) {
  Counting c(era, homogeneous_host(6, pmuver::kV3p5));
  c.type(0, event::INST_RETIRED);
  c.type(2, event::INST_RETIRED);
  c.set_ctr(0, 0xfffffff0);
  c.set_ctr(2, 0xfffffff0);
  c.enable(0x5);
  c.start(pmcr::kLP);
  c.feed(CountEl::kEl1, event::INST_RETIRED, 0x20);
  BOOST_TEST(c.ctr(0) == 0x100000010ull);  // 64-bit counter, 64-bit overflow: none yet
  BOOST_TEST(c.ovs() == 0u);
  BOOST_TEST(msr(*c.v, reg::PMCR_EL0, pmcr::kE));  // LP=0: 32-bit overflow of a 64-bit counter
  c.set_ctr(2, 0xfffffff0);
  c.feed(CountEl::kEl1, event::INST_RETIRED, 0x20);
  BOOST_TEST(c.ctr(2) == 0x100000010ull);
  BOOST_TEST(c.ovs() == 0x4u);
  c.set_ctr(0, 0xfffffffffffffff0ull);
  BOOST_TEST(msr(*c.v, reg::PMCR_EL0, pmcr::kE | pmcr::kLP));
  c.feed(CountEl::kEl1, event::INST_RETIRED, 0x20);
  BOOST_TEST(c.ctr(0) == 0x10u);
  BOOST_TEST(c.ovs() == 0x5u);
}

BOOST_DATA_TEST_CASE(cycle_counter_lc, bdata::make(kAllEras), era) {
  Counting c(era, homogeneous_host(6, pmuver::kV3p1, /*aarch32=*/true));
  c.set_ctr(kCycleIdx, 0xfffffff0);
  c.enable(kBit31);
  c.start();  // LC = 0: overflow when bits 31:0 wrap, the value stays 64-bit
  c.feed(CountEl::kEl1, event::CPU_CYCLES, 0x20);
  BOOST_TEST(c.ctr(kCycleIdx) == 0x100000010ull);
  BOOST_TEST(c.ovs() == kBit31);
  BOOST_TEST(msr(*c.v, reg::PMOVSCLR_EL0, kBit31));
  c.start(pmcr::kLC);
  c.feed(CountEl::kEl1, event::CPU_CYCLES, 0x100000000ull);
  BOOST_TEST(c.ovs() == 0u);
}

BOOST_DATA_TEST_CASE(chain, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, event::INST_RETIRED);
  c.type(1, event::CHAIN);
  c.set_ctr(0, 0xffffffff);
  c.enable(0x3);
  c.start();
  c.feed(CountEl::kEl1, event::INST_RETIRED, 1);
  BOOST_TEST(c.ctr(0) == 0u);
  BOOST_TEST(c.ctr(1) == 1u);
  BOOST_TEST(c.ovs() == 0x1u);
  BOOST_TEST(!c.v->backing(1).exists);  // CHAIN is counted in software
  c.feed(CountEl::kEl1, event::INST_RETIRED, 3ull << 32);  // three more wraps
  BOOST_TEST(c.ctr(1) == 4u);
  // The odd counter must be enabled to count.
  BOOST_TEST(msr(*c.v, reg::PMCNTENCLR_EL0, 0x2));
  c.feed(CountEl::kEl1, event::INST_RETIRED, 1ull << 32);
  BOOST_TEST(c.ctr(1) == 4u);
  // CHAIN of the odd counter's own overflow: counter 1 at 0xffffffff, chained wrap -> PMOVS bit 1.
  BOOST_TEST(msr(*c.v, reg::PMCNTENSET_EL0, 0x2));
  c.set_ctr(1, 0xffffffff);
  c.feed(CountEl::kEl1, event::INST_RETIRED, 1ull << 32);
  BOOST_TEST(c.ctr(1) == 0u);
  BOOST_TEST(c.ovs() == 0x3u);
}

BOOST_DATA_TEST_CASE(no_chain_with_64bit_overflow, bdata::make(kAllEras), era) {
  Counting c(era, homogeneous_host(6, pmuver::kV3p5));
  c.type(0, event::INST_RETIRED);
  c.type(1, event::CHAIN);
  c.set_ctr(0, 0xffffffffffffffffull);
  c.enable(0x3);
  c.start(pmcr::kLP);
  c.feed(CountEl::kEl1, event::INST_RETIRED, 1);
  BOOST_TEST(c.ovs() == 0x1u);
  BOOST_TEST(c.ctr(1) == 0u);
}

BOOST_DATA_TEST_CASE(software_increment, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(2, event::SW_INCR);
  c.type(3, event::INST_RETIRED);  // not SW_INCR: unaffected
  c.enable(0xc);
  BOOST_TEST(msr(*c.v, reg::PMSWINC_EL0, 0xc));  // PMCR.E = 0: nothing
  BOOST_TEST(c.ctr(2) == 0u);
  c.start();
  BOOST_TEST(msr(*c.v, reg::PMSWINC_EL0, 0xc | (1u << 10)));  // bit 10 >= N: ignored
  BOOST_TEST(c.ctr(2) == 1u);
  BOOST_TEST(c.ctr(3) == 0u);
  BOOST_TEST(!msr(*c.v, reg::PMSWINC_EL0, 0x4, /*el=*/0));  // EL0 needs SW or EN
  BOOST_TEST(msr(*c.v, reg::PMUSERENR_EL0, userenr::kSW));
  BOOST_TEST(msr(*c.v, reg::PMSWINC_EL0, 0x4, /*el=*/0));
  BOOST_TEST(c.ctr(2) == 2u);
  c.set_ctr(2, 0xffffffff);
  BOOST_TEST(msr(*c.v, reg::PMSWINC_EL0, 0x4));
  BOOST_TEST(c.ctr(2) == 0u);
  BOOST_TEST(c.ovs() == 0x4u);
}

// 6.16 computes the overflow status without PMCNTENSET (NV-era rule); <= 6.7 ANDs it.
BOOST_DATA_TEST_CASE(interrupt_level_and_cnten, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, event::INST_RETIRED);
  c.set_ctr(0, 0xffffffff);
  c.enable(1);
  BOOST_TEST(msr(*c.v, reg::PMINTENSET_EL1, 1));
  c.start();
  c.feed(CountEl::kEl1, event::INST_RETIRED, 1);
  sync_hwstate(*c.v);
  BOOST_TEST(c.v->irq_level());
  BOOST_TEST(msr(*c.v, reg::PMCNTENCLR_EL0, 1));
  BOOST_TEST(c.v->irq_level() == !policy(era).overflow_needs_cnten);
  BOOST_TEST(msr(*c.v, reg::PMCR_EL0, 0));
  BOOST_TEST(!c.v->irq_level());
}

// A guest with more event counters than the physical PMU (6.6: N raised from userspace):
// the excess backing events cannot be scheduled and silently do not count. A CPU_CYCLES event
// counter may still take the free dedicated cycle counter.
BOOST_AUTO_TEST_CASE(excess_counters_do_not_count) {
  VmFixture f(Era::k6_6);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 10)) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kP | pmcr::kC));
  BOOST_TEST(msr(v, reg::PMCNTENCLR_EL0, ~0ull));
  for (unsigned i = 0; i < 9; ++i) BOOST_TEST(msr(v, reg::PMEVTYPER(i), event::INST_RETIRED));
  BOOST_TEST(msr(v, reg::PMEVTYPER(9), event::CPU_CYCLES));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 0x3ff));
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE));
  arch::EventCounts ev;
  ev.add(CountEl::kEl1, event::INST_RETIRED, 7);
  ev.add(CountEl::kEl1, event::CPU_CYCLES, 9);
  count_events(v, ev);
  for (unsigned i = 0; i < 6; ++i) BOOST_TEST(*mrs(v, reg::PMEVCNTR(i)) == 7u, i);
  for (unsigned i = 6; i < 9; ++i) BOOST_TEST(*mrs(v, reg::PMEVCNTR(i)) == 0u, i);
  BOOST_TEST(*mrs(v, reg::PMEVCNTR(9)) == 9u);  // on the dedicated cycle counter
}

// The default PMU is the cluster of the CPU that chose it; on the other cluster the backing
// events of that PMU type cannot run and counting stops (no FAIL_ENTRY, supported_cpus = all).
BOOST_DATA_TEST_CASE(default_pmu_on_foreign_cluster_stops_counting, bdata::make(kAllEras), era) {
  Counting c(era, big_little_host(6, 4), /*pcpu=*/0);
  BOOST_TEST(c.f.vm.arm_pmu()->type == 8u);
  c.type(0, event::INST_RETIRED);
  c.enable(1);
  c.start();
  c.feed(CountEl::kEl1, event::INST_RETIRED, 5);
  vcpu_put(*c.v);
  vcpu_load(*c.v, 6);  // migrated to the big cluster
  BOOST_TEST(!fail_entry_cpu(*c.v).has_value());
  c.feed(CountEl::kEl1, event::INST_RETIRED, 100);
  vcpu_put(*c.v);
  vcpu_load(*c.v, 2);
  c.feed(CountEl::kEl1, event::INST_RETIRED, 1);
  BOOST_TEST(c.ctr(0) == 6u);
}

// Events the physical PMU does not implement count nothing (perf programs them anyway).
BOOST_DATA_TEST_CASE(unimplemented_physical_event, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, 0x04);  // L1D_CACHE: not in the test hosts' event list
  c.enable(1);
  c.start();
  c.feed(CountEl::kEl1, 0x04, 50);
  BOOST_TEST(c.v->backing(0).exists);
  BOOST_TEST(c.ctr(0) == 0u);
}

BOOST_DATA_TEST_CASE(pmcr_p_and_c, bdata::make(kAllEras), era) {
  Counting c(era);
  for (unsigned i = 0; i < 6; ++i) c.set_ctr(i, 100 + i);
  c.set_ctr(kCycleIdx, 1000);
  BOOST_TEST(set_one_reg(*c.v, id_of(reg::PMEVCNTR(7)), 5) == 0);  // >= N: untouched by P
  BOOST_TEST(msr(*c.v, reg::PMCR_EL0, pmcr::kP));
  for (unsigned i = 0; i < 6; ++i) BOOST_TEST(c.ctr(i) == 0u);
  BOOST_TEST(c.ctr(kCycleIdx) == 1000u);
  BOOST_TEST(c.v->reg(evcntr_slot(7)) == 5u);
  BOOST_TEST(msr(*c.v, reg::PMCR_EL0, pmcr::kC));
  BOOST_TEST(c.ctr(kCycleIdx) == 0u);
}

// <= 6.7 fold the live count into the slot at reset; 6.16 keeps the backing event, whose
// count then lands on top of the reset value.
BOOST_DATA_TEST_CASE(reset_and_live_counts, bdata::make(kAllEras), era) {
  Counting c(era);
  c.type(0, event::INST_RETIRED);
  c.enable(1);
  c.start();
  c.feed(CountEl::kEl1, event::INST_RETIRED, 10);
  BOOST_TEST(c.f.reinit(*c.v) == 0);
  flush_hwstate(*c.v);
  const uint64_t expect = policy(era).reset_folds_backing ? 0xdbadc0deu : 0xdbadc0deu + 10;
  BOOST_TEST(c.v->get_counter_value(0) == expect);
}

BOOST_AUTO_TEST_CASE(pmceid_sources) {
  // little implements INST_RETIRED, CPU_CYCLES, STALL_SLOT*; big adds BR_MIS_PRED, no SW_INCR.
  HostPmus host({cluster("little", {0, 1}, 6, pmuver::kV3p1, {0x08, 0x11, 0x3d, 0x3e, 0x3f, 0x4000}),
                 cluster("big", {2, 3}, 6, pmuver::kV3p1, {0x08, 0x10, 0x11, 0x3f})},
                {});
  const uint64_t chain = 1u << 30;
  for (Era era : kAllEras) {
    BOOST_TEST_CONTEXT("era " << era) {
      VmFixture f(era, HostPmus(host));
      VcpuPmu& v = f.add_vcpu(true, 0);  // default PMU: little
      f.irq_and_init(v);
      BOOST_TEST(f.run(v, 0) == 0);
      const uint64_t sw = policy(era).pmceid_forces_sw_incr ? 1 : 0;
      BOOST_TEST(*mrs(v, reg::PMCEID0_EL0) == ((1ull << 32) | chain | (1u << 17) | (1u << 8) | sw));
      BOOST_TEST(*mrs(v, reg::PMCEID1_EL0) == 0u);  // STALL_SLOT* hidden: PMMIR is RAZ
      vcpu_put(v);
      vcpu_load(v, 3);  // on big
      const uint64_t big0 = chain | (1u << 17) | (1u << 16) | (1u << 8);
      if (policy(era).pmceid_source == PmceidSource::kVmArmPmu)  // the VM's arm_pmu, whatever the current CPU
        BOOST_TEST(*mrs(v, reg::PMCEID0_EL0) == ((1ull << 32) | chain | (1u << 17) | (1u << 8) | 1));
      else  // the physical PMCEID of the CPU the vCPU runs on
        BOOST_TEST(*mrs(v, reg::PMCEID0_EL0) == big0);
    }
  }
}

BOOST_DATA_TEST_CASE(pmceid_masked_by_filter, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  const kvm_pmu_event_filter allow{event::INST_RETIRED, 1, KVM_PMU_EVENT_ALLOW, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &allow) == 0);
  const kvm_pmu_event_filter allow_ext{0x4000, 1, KVM_PMU_EVENT_ALLOW, {}};
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_FILTER, &allow_ext) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(*mrs(v, reg::PMCEID0_EL0) == ((1ull << 32) | (1u << 8)));  // CHAIN filtered too
  BOOST_TEST(*mrs(v, reg::PMCEID1_EL0) == 0u);
  // A PMUv3.0 VM has a 10-bit event space: the 0x4000 half of the filter is not consulted.
  VmFixture g(era);
  VcpuPmu& w = g.add_vcpu(true);
  BOOST_TEST(g.vm.set_user_pmuver(pmuver::kV3) == 0);
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_FILTER, &allow) == 0);
  BOOST_TEST(g.set_attr(w, KVM_ARM_VCPU_PMU_V3_FILTER, &allow_ext) == 0);
  g.irq_and_init(w);
  BOOST_TEST(g.run(w) == 0);
  BOOST_TEST(*mrs(w, reg::PMCEID0_EL0) == (1u << 8));
  BOOST_TEST(g.vm.set_user_pmuver(pmuver::kV3p1) == -EBUSY);  // too late: the VM ran
}

// Functional timing's instruction clock (VcpuPmu::use_insn_clock) against count_events()
// fed the same instructions: a pseudo-random guest interleaves instructions at EL0 and EL1
// with trapped accesses (counter reads and writes, event type rewrites, enable changes,
// PMCR writes) the way Vcpu::handle orders them: counts gathered before every access the
// route says needs them, on the clock only where it says all counters must be settled.
// Every value read must be the same. (Counter values stay below 2^31 and the run below
// 2^31 instructions: overflows are the run loop's business, covered by the fidelity tests.)
BOOST_DATA_TEST_CASE(insn_clock_matches_count_events, bdata::make(kAllEras), era) {
  ClockPair t(era);
  constexpr uint16_t kEvents[] = {event::INST_RETIRED, event::INST_SPEC, event::CPU_CYCLES, 0x10 /* BR_MIS_PRED */,
                                  event::SW_INCR};
  constexpr uint64_t kFilters[] = {0, evtyper::kU, evtyper::kP, evtyper::kU | evtyper::kNSU,
                                   evtyper::kP | evtyper::kNSK};
  for (unsigned i = 0; i < 4; ++i) t.write(reg::PMEVTYPER(i), event::INST_RETIRED);
  t.write(reg::PMCNTENSET_EL0, 0xf | kBit31);
  t.write(reg::PMCR_EL0, pmcr::kE);
  for (int step = 0; step < 4000; ++step) {
    const unsigned i = static_cast<unsigned>(t.rnd(4));
    switch (t.rnd(10)) {
      case 0:
      case 1:
      case 2: t.run(static_cast<unsigned>(t.rnd(2)), 1 + t.rnd(50)); break;
      case 3: t.read(reg::PMEVCNTR(i)); break;
      case 4: t.write(reg::PMEVCNTR(i), t.rnd(uint64_t{1} << 31)); break;
      case 5: t.write(reg::PMEVTYPER(i), kEvents[t.rnd(std::size(kEvents))] | kFilters[t.rnd(std::size(kFilters))]); break;
      case 6: t.write(reg::PMEVTYPER(i), *mrs(*t.ref.v, reg::PMEVTYPER(i))); break;  // the same value again
      case 7: t.write(t.rnd(2) ? reg::PMCNTENSET_EL0 : reg::PMCNTENCLR_EL0, uint64_t{1} << i); break;
      case 8:
        t.write(reg::PMSELR_EL0, i);
        t.read(reg::PMXEVCNTR_EL0);
        t.read(reg::PMCCNTR_EL0);
        break;
      default: t.write(reg::PMCR_EL0, t.rnd(8) ? pmcr::kE : 0); break;
    }
  }
  // A guest exit settles everything; both sides then agree on every counter.
  t.gather();
  t.clk.v->set_clock(t.retired);
  BOOST_TEST(!t.clk.v->settle());
  for (unsigned i = 0; i < 4; ++i) BOOST_TEST(t.ref.ctr(i) == t.clk.ctr(i));
  BOOST_TEST(t.ref.ctr(kCycleIdx) == t.clk.ctr(kCycleIdx));
  BOOST_TEST(t.ref.ovs() == t.clk.ovs());
}

// The instruction clock settles an overflow where count_events() would find it: at the
// exit that ends the instructions crossing it (the run loop stops there).
BOOST_DATA_TEST_CASE(insn_clock_overflow_at_settle, bdata::make(kAllEras), era) {
  Counting c(era);
  c.v->use_insn_clock();
  c.v->revalidate_clock();
  c.type(0, event::INST_RETIRED);
  c.enable(1);
  c.start();
  c.set_ctr(0, 0xfffffff0u);
  BOOST_TEST(c.v->insns_until_overflow(false) == 16u);
  c.v->set_clock({10, 5});  // 15 instructions: one short
  BOOST_TEST(!c.v->settle());
  BOOST_TEST(c.ctr(0) == 0xffffffffu);
  c.v->set_clock({10, 6});
  BOOST_TEST(c.v->settle());
  BOOST_TEST(c.ctr(0) == 0u);
  BOOST_TEST(c.ovs() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
