// Userspace ONE_REG semantics per era (spec 1.7, 2.6, 2.7, 4.1).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {
uint64_t get(const VcpuPmu& v, arch::SysRegKey k) {
  uint64_t out = 0;
  BOOST_REQUIRE_EQUAL(get_one_reg(v, id_of(k), out), 0);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_one_reg)

// 6.6: no set_pmcr; the raw 64-bit value lands in the slot, any N, any junk.
BOOST_AUTO_TEST_CASE(set_pmcr_6_6_raw) {
  VmFixture f(Era::k6_6);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), 0xffffffffffffffffull) == 0);
  BOOST_TEST(get(v, reg::PMCR_EL0) == 0xffffffffffffffffull);
  BOOST_TEST(v.n() == 31);
  // Guest read: P and C masked, the rest raw.
  BOOST_TEST(*mrs(v, reg::PMCR_EL0) == 0xfffffffffffffff9ull);
}

// v5: N above the limit fails the ioctl; N and bits 7:0 mutable, the rest preserved; no
// has-run check.
BOOST_AUTO_TEST_CASE(set_pmcr_v5) {
  VmFixture f(Era::kV5);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(v.reg(Slot::PMCR_EL0) == 0x3040u);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 7)) == -EINVAL);
  BOOST_TEST(f.vm.pmcr_n() == 6);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0xffff0000ull | pmcr::kE, 2)) == 0);
  BOOST_TEST(f.vm.pmcr_n() == 2);
  BOOST_TEST(v.reg(Slot::PMCR_EL0) == (pmcr::with_n(0, 2) | pmcr::kE | pmcr::kLC));  // IDCODE/IMP bits dropped
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 4)) == 0);  // still mutable
  BOOST_TEST(f.vm.pmcr_n() == 4);
}

// 6.7 and 6.16: never fails; N taken only <= max and before the first run; slot := value & 0xff.
BOOST_DATA_TEST_CASE(set_pmcr_6_7,
                     bdata::make(eras_where([](const EraPolicy& p) {
                       return p.set_pmcr_user == era_fn::set_pmcr_6_7 || p.set_pmcr_user == era_fn::set_pmcr_6_16;
                     })),
                     era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  const uint64_t orig = get(v, reg::PMCR_EL0);
  BOOST_TEST(orig == 0x3040u);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(orig, 7)) == 0);  // above max: ignored
  BOOST_TEST(get(v, reg::PMCR_EL0) == orig);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0xffff0000ull | pmcr::kP | pmcr::kE, 3)) == 0);
  BOOST_TEST(f.vm.pmcr_n() == 3);
  // P stored by userspace is returned by GET (only the guest path masks it).
  BOOST_TEST(get(v, reg::PMCR_EL0) == (pmcr::with_n(0, 3) | pmcr::kP | pmcr::kE | pmcr::kLC));
  BOOST_TEST(v.reg(Slot::PMCR_EL0) == (pmcr::kP | pmcr::kE | pmcr::kLC));  // N not stored
  // Every vCPU of the VM sees the VM-wide N.
  VcpuPmu& w = f.add_vcpu(true);
  BOOST_TEST(w.n() == 3);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  // After the first run N is frozen but bits 7:0 still change (no immutability, spec 6.10).
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(pmcr::kD, 1)) == 0);
  BOOST_TEST(f.vm.pmcr_n() == 3);
  BOOST_TEST(get(v, reg::PMCR_EL0) == (pmcr::with_n(0, 3) | pmcr::kD | pmcr::kLC));
  BOOST_TEST(v.reload_pending() == (policy(era).set_pmcr_user == era_fn::set_pmcr_6_16));
}

// SET_PMU resets N to the PMU's maximum (6.7+): order of VMM operations matters (spec 2.12).
BOOST_DATA_TEST_CASE(set_pmu_resets_pmcr_n, bdata::make(kAllEras), era) {
  VmFixture f(era, big_little_host(6, 4));
  VcpuPmu& v = f.add_vcpu(true, 0);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(v.reg(Slot::PMCR_EL0), 2)) == 0);
  BOOST_TEST(v.n() == 2);
  const int little = 8, big = 9;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &big) == 0);
  BOOST_TEST(f.vm.arm_pmu()->type == 9u);
  // 6.6 has no VM-wide N: the slot keeps N=2. Later eras: N := big's maximum (4).
  const bool vm_wide = policy(era).vm_wide_n;
  BOOST_TEST(v.n() == (vm_wide ? 4 : 2));
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &little) == 0);
  BOOST_TEST(v.n() == (vm_wide ? 6 : 2));
}

// Bitmap userspace accessors: raw alias (6.6/v5), SET-OR/CLR-AND masked (6.7), masked
// replace (6.16).
BOOST_DATA_TEST_CASE(bitmap_user_accessors, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  const auto set_id = id_of(reg::PMCNTENSET_EL0), clr_id = id_of(reg::PMCNTENCLR_EL0);
  BOOST_TEST(set_one_reg(v, clr_id, 0) == 0);
  BOOST_TEST(set_one_reg(v, set_id, 0xffffffff0000000full) == 0);
  uint64_t s = 0, c = 0;
  BOOST_TEST(get_one_reg(v, set_id, s) == 0);
  BOOST_TEST(get_one_reg(v, clr_id, c) == 0);
  BOOST_TEST(s == c);
  BOOST_TEST(set_one_reg(v, clr_id, 0x3) == 0);
  BOOST_TEST(get_one_reg(v, set_id, s) == 0);
  const EraPolicy& p = policy(era);
  if (p.set_bitmap_user == era_fn::set_bitmap_raw) {
    BOOST_TEST(s == 0x3u);  // the CLR id overwrote the shared slot
  } else if (p.set_bitmap_user == era_fn::set_bitmap_6_7) {
    // CLR 0 cleared nothing of the reset value 0x8000001E; SET added 0x8000000F (masked
    // with N); CLR 3 removed bits 0 and 1.
    BOOST_TEST(s == ((0x8000001Eull | 0x8000000Full) & ~0x3ull));
  } else {
    BOOST_TEST((p.set_bitmap_user == era_fn::set_bitmap_6_16));
    BOOST_TEST(s == 0x3u);  // replace, masked with N
    BOOST_TEST(set_one_reg(v, set_id, 0xffffffffffffffffull) == 0);
    BOOST_TEST(v.reg(Slot::PMCNTENSET_EL0) == 0x8000003Fu);
  }
  // 6.7/6.16 GET masks with N; 6.6/v5 raw.
  v.reg(Slot::PMOVSSET_EL0) = 0xffffffffffffffffull;
  BOOST_TEST(get_one_reg(v, id_of(reg::PMOVSCLR_EL0), s) == 0);
  const bool masked = p.get_bitmap_user == era_fn::get_bitmap_masked;
  BOOST_TEST(s == (masked ? 0x8000003Full : 0xffffffffffffffffull));
}

// The migration bug fixed in 6.15 (f2aeb7bb): "GET every id, SET every id" must reproduce the
// state. In 6.7 SET of a CLR id with its own GET value clears the bits again.
BOOST_DATA_TEST_CASE(get_set_round_trip_all_ids, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  std::vector<uint64_t> ids;
  append_reg_list(v, ids);
  std::vector<uint64_t> values;
  for (uint64_t id : ids) {
    uint64_t val = 0;
    BOOST_TEST(get_one_reg(v, id, val) == 0);
    values.push_back(val);
  }
  for (size_t i = 0; i < ids.size(); ++i) BOOST_TEST(set_one_reg(v, ids[i], values[i]) == 0);
  // The reset value of the bitmaps (0 in v5) survives, except in 6.7 where REG_LIST order
  // matters: PMCNTENCLR/PMINTENCLR come after their SET ids and clear the bits again, while
  // PMOVSCLR (CRm 12) comes before PMOVSSET (CRm 14), which ORs them back.
  const EraPolicy& p = policy(era);
  const uint64_t reset = p.reset_bitmap == era_fn::reset_bitmap_v5 ? 0 : 0x8000001Eu;
  const bool or_and_not = p.set_bitmap_user == era_fn::set_bitmap_6_7;
  BOOST_TEST(get(v, reg::PMCNTENSET_EL0) == (or_and_not ? 0 : reset));
  BOOST_TEST(get(v, reg::PMINTENSET_EL1) == (or_and_not ? 0 : reset));
  BOOST_TEST(get(v, reg::PMOVSSET_EL0) == reset);
}

// Counter ONE_REG: GET is the live value; SET is raw (<= 6.7: the live count stays on top) or
// release + reload (6.16).
BOOST_DATA_TEST_CASE(counter_user_accessors, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(msr(v, reg::PMCCNTR_EL0, 0));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 1u << 31));
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE));
  arch::EventCounts c;
  c.add(arch::CountEl::kEl1, event::CPU_CYCLES, 5);
  count_events(v, c);
  uint64_t out = 0;
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCCNTR_EL0), out) == 0);
  BOOST_TEST(out == 5u);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCCNTR_EL0), 100) == 0);
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCCNTR_EL0), out) == 0);
  const bool release = policy(era).set_counter_user == era_fn::set_counter_user_6_16;
  BOOST_TEST(out == (release ? 100u : 105u));
  flush_hwstate(v);  // re-entry: 6.16's reload recreates the backing event
  count_events(v, c);
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCCNTR_EL0), out) == 0);
  BOOST_TEST(out == (release ? 105u : 110u));
  // Counters >= N: raw, no check.
  BOOST_TEST(set_one_reg(v, id_of(reg::PMEVCNTR(20)), 77) == 0);
  BOOST_TEST(get_one_reg(v, id_of(reg::PMEVCNTR(20)), out) == 0);
  BOOST_TEST(out == 77u);
}

BOOST_AUTO_TEST_SUITE_END()
