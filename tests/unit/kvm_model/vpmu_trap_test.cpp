// Guest-trap handlers (spec 1.3-1.12, 2.8-2.10) per era: masks, UNDEF cases, PMSELR aliasing
// and the EL0 gating table.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {

// A vCPU that has run once (first-run reload done), N=6.
struct Ran {
  explicit Ran(Era era, HostPmus host = homogeneous_host()) : f(era, std::move(host)), v(f.add_vcpu(true)) {
    f.irq_and_init(v);
    BOOST_REQUIRE_EQUAL(f.run(v), 0);
  }
  VmFixture f;
  VcpuPmu& v;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_trap)

BOOST_DATA_TEST_CASE(pmcr_guest_access, bdata::make(kAllEras), era) {
  Ran r(era);
  // Bits 7:0 writable; P, C are actions (read 0); LP cleared without PMUv3p5; LC RES1; N RO.
  BOOST_TEST(msr(r.v, reg::PMCR_EL0, 0xffffffffffffffffull));
  BOOST_TEST(*mrs(r.v, reg::PMCR_EL0) == 0x3079u);
  BOOST_TEST(msr(r.v, reg::PMCR_EL0, 0));
  BOOST_TEST(*mrs(r.v, reg::PMCR_EL0) == 0x3040u);  // LC stays
}

BOOST_DATA_TEST_CASE(pmcr_lp_kept_on_pmuv3p5, bdata::make(kAllEras), era) {
  Ran r(era, homogeneous_host(6, pmuver::kV3p5));
  BOOST_TEST(msr(r.v, reg::PMCR_EL0, pmcr::kLP | pmcr::kE));
  BOOST_TEST(*mrs(r.v, reg::PMCR_EL0) == (0x3040u | pmcr::kLP | pmcr::kE));
}

BOOST_DATA_TEST_CASE(counter_index_checks, bdata::make(kAllEras), era) {
  Ran r(era);
  for (unsigned i = 0; i < 31; ++i) {
    const bool ok = i < 6;
    BOOST_TEST(mrs(r.v, reg::PMEVCNTR(i)).has_value() == ok, i);
    BOOST_TEST(msr(r.v, reg::PMEVCNTR(i), 0) == ok, i);
    BOOST_TEST(mrs(r.v, reg::PMEVTYPER(i)).has_value() == ok, i);
    BOOST_TEST(msr(r.v, reg::PMEVTYPER(i), 0) == ok, i);
    // Indirect: the PMSELR write never faults, the PMXEV* access does.
    BOOST_TEST(msr(r.v, reg::PMSELR_EL0, i));
    BOOST_TEST(mrs(r.v, reg::PMXEVCNTR_EL0).has_value() == ok, i);
    BOOST_TEST(msr(r.v, reg::PMXEVTYPER_EL0, 0) == ok, i);
  }
  // (3,3,14,11,7), the would-be PMEVCNTR31, is not in the table.
  BOOST_TEST(!mrs(r.v, reg::PMEVCNTR(31)).has_value());
  BOOST_TEST(mrs(r.v, reg::PMCCNTR_EL0).has_value());
  BOOST_TEST(mrs(r.v, reg::PMCCFILTR_EL0).has_value());
}

// PMSELR.SEL == 31: PMXEVCNTR is the cycle counter, PMXEVTYPER is PMCCFILTR (KVM quirk).
BOOST_DATA_TEST_CASE(pmselr_31_aliases, bdata::make(kAllEras), era) {
  Ran r(era);
  BOOST_TEST(msr(r.v, reg::PMSELR_EL0, 31));
  BOOST_TEST(msr(r.v, reg::PMXEVCNTR_EL0, 0x123456789ull));
  BOOST_TEST(*mrs(r.v, reg::PMCCNTR_EL0) == 0x123456789ull);
  BOOST_TEST(msr(r.v, reg::PMXEVTYPER_EL0, evtyper::kP));
  BOOST_TEST(*mrs(r.v, reg::PMCCFILTR_EL0) == evtyper::kP);
  BOOST_TEST(*mrs(r.v, reg::PMXEVTYPER_EL0) == evtyper::kP);
}

BOOST_DATA_TEST_CASE(pmselr_stores_unmasked_reads_masked, bdata::make(kAllEras), era) {
  Ran r(era);
  BOOST_TEST(msr(r.v, reg::PMSELR_EL0, 0xffffffe5ull));
  BOOST_TEST(*mrs(r.v, reg::PMSELR_EL0) == 5u);
  BOOST_TEST(r.v.reg(Slot::PMSELR_EL0) == 0xffffffe5ull);
}

// PMEVTYPER write/read masks (spec 1.6) by era and by the VM's EL2/EL3/PMUVer.
BOOST_AUTO_TEST_CASE(pmevtyper_masks) {
  using Mask = uint64_t (*)(const VmPmu&);
  const struct Row {
    Mask write_mask;  // the era's evtyper_write_mask
    uint8_t el2, el3, pmuver;
    uint64_t readback;
  } rows[] = {
      {era_fn::evtyper_write_mask_6_6, 1, 1, pmuver::kV3p1, 0xC800FFFF},
      {era_fn::evtyper_write_mask_6_6, 0, 0, pmuver::kV3p1, 0xC800FFFF},
      {era_fn::evtyper_write_mask_6_6, 1, 0, pmuver::kV3, 0xC80003FF},
      {era_fn::evtyper_write_mask_6_7, 1, 1, pmuver::kV3p1, 0xFC00FFFF},
      {era_fn::evtyper_write_mask_6_7, 1, 0, pmuver::kV3p1, 0xC800FFFF},
      {era_fn::evtyper_write_mask_6_7, 0, 0, pmuver::kV3p1, 0xC000FFFF},
      {era_fn::evtyper_write_mask_6_7, 0, 1, pmuver::kV3p1, 0xF400FFFF},
      {era_fn::evtyper_write_mask_6_7, 1, 0, pmuver::kV3, 0xC80003FF},
  };
  for (Era era : kAllEras)
  for (const Row& row : rows) {
    if (policy(era).evtyper_write_mask != row.write_mask) continue;
    BOOST_TEST_CONTEXT("era " << era << " el2 " << int(row.el2) << " el3 " << int(row.el3)) {
      VmFixture f(era, homogeneous_host(6, row.pmuver));
      f.vm.set_pfr0_el2_el3(row.el2, row.el3);
      VcpuPmu& v = f.add_vcpu(true);
      BOOST_TEST(msr(v, reg::PMEVTYPER(2), 0xffffffffffffffffull));
      BOOST_TEST(*mrs(v, reg::PMEVTYPER(2)) == row.readback);
      BOOST_TEST(msr(v, reg::PMCCFILTR_EL0, 0xffffffffffffffffull));
      BOOST_TEST(*mrs(v, reg::PMCCFILTR_EL0) == row.readback);  // event bits storable: quirk
    }
  }
}

// Guest reads of PMEVTYPER: masked with 0xc800ffff before 6.7, raw from 6.7 on.
BOOST_DATA_TEST_CASE(pmevtyper_read_mask, bdata::make(kAllEras), era) {
  Ran r(era);
  BOOST_TEST(set_one_reg(r.v, id_of(reg::PMEVTYPER(1)), 0xffffffffffffffffull) == 0);  // raw
  const bool raw = policy(era).evtyper_read_mask == ~uint64_t{0};
  BOOST_TEST(*mrs(r.v, reg::PMEVTYPER(1)) == (raw ? 0xffffffffffffffffull : 0xc800ffffull));
}

BOOST_DATA_TEST_CASE(bitmaps_set_clr_masked_by_n, bdata::make(kAllEras), era) {
  Ran r(era);
  const struct {
    arch::SysRegKey set, clr;
    Slot slot;
  } pairs[] = {{reg::PMCNTENSET_EL0, reg::PMCNTENCLR_EL0, Slot::PMCNTENSET_EL0},
               {reg::PMINTENSET_EL1, reg::PMINTENCLR_EL1, Slot::PMINTENSET_EL1},
               {reg::PMOVSSET_EL0, reg::PMOVSCLR_EL0, Slot::PMOVSSET_EL0}};
  for (const auto& p : pairs) {
    BOOST_TEST(msr(r.v, p.clr, 0xffffffffffffffffull));
    BOOST_TEST(*mrs(r.v, p.set) == 0u);
    BOOST_TEST(msr(r.v, p.set, 0xffffffffffffffffull));
    BOOST_TEST(*mrs(r.v, p.set) == 0x8000003Fu);  // bits >= N are RAZ/WI
    BOOST_TEST(*mrs(r.v, p.clr) == 0x8000003Fu);  // CLR reads the same slot
    BOOST_TEST(msr(r.v, p.clr, 0x80000001u));
    BOOST_TEST(r.v.reg(p.slot) == 0x3Eu);
  }
  // Reads are raw: bits planted from userspace (6.6 raw ONE_REG) read back above N.
  if (policy(era).set_bitmap_user == era_fn::set_bitmap_raw) {
    BOOST_TEST(set_one_reg(r.v, id_of(reg::PMCNTENSET_EL0), 0xffffffffu) == 0);
    BOOST_TEST(*mrs(r.v, reg::PMCNTENCLR_EL0) == 0xffffffffu);
  }
}

BOOST_DATA_TEST_CASE(undef_cases, bdata::make(kAllEras), era) {
  Ran r(era);
  BOOST_TEST(!mrs(r.v, reg::PMSWINC_EL0).has_value());         // write-only
  BOOST_TEST(!msr(r.v, reg::PMCEID0_EL0, 0));                   // read-only
  BOOST_TEST(!msr(r.v, reg::PMMIR_EL1, 0));
  BOOST_TEST(*mrs(r.v, reg::PMMIR_EL1) == 0u);                  // RAZ
  BOOST_TEST(!msr(r.v, reg::PMUSERENR_EL0, 0xf, /*el=*/0));    // write from EL0
  BOOST_TEST(msr(r.v, reg::PMUSERENR_EL0, 0xff));
  BOOST_TEST(r.v.reg(Slot::PMUSERENR_EL0) == 0xfu);             // & ARMV8_PMU_USERENR_MASK
  BOOST_TEST(*mrs(r.v, reg::PMUSERENR_EL0, 0) == 0xfu);         // readable from EL0 always
  BOOST_TEST(!mrs(r.v, reg::PMINTENSET_EL1, 0).has_value());   // EL1-only, even with EN
  BOOST_TEST(!mrs(r.v, reg::PMMIR_EL1, 0).has_value());
}

// Without the PMU feature every PMU register UNDEFs, before any handler runs; PMMIR_EL1 is
// Linux's trap_raz_wi (not a PMU_SYS_REG() row): it reads 0 at EL1 with or without the PMU.
BOOST_DATA_TEST_CASE(hidden_without_pmu, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(false);
  for (const auto& row : pmu_sys_reg_table()) {
    if (row.name == "PMMIR_EL1") {
      BOOST_TEST(mrs(v, row.key).value_or(1) == 0u, row.name);
      BOOST_TEST(!msr(v, row.key, 0), row.name);  // read-only: MSR is UNDEFINED in hardware
      continue;
    }
    BOOST_TEST(!mrs(v, row.key).has_value(), row.name);
    BOOST_TEST(!msr(v, row.key, 0), row.name);
  }
}

// 6.6 takes N from the vCPU's PMCR slot, which userspace can raise above the hardware;
// later eras ignore such a write.
BOOST_DATA_TEST_CASE(userspace_n_above_hardware, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  const int r = set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 10));
  const EraPolicy& p = policy(era);
  BOOST_TEST(r == (p.has_pmcr_n_limit ? -EINVAL : 0));
  BOOST_TEST(mrs(v, reg::PMEVCNTR(9)).has_value() == p.n_in_slot);
  BOOST_TEST(pmcr::N(*mrs(v, reg::PMCR_EL0)) == (p.n_in_slot ? 10 : 6));
}

// ---- EL0 gating (spec 2.9), data-driven over the 16 PMUSERENR values ----
enum class Gate { kEn, kEnEr, kEnCr, kEnSw, kAlways, kNever };
struct GateRow {
  const char* what;
  arch::SysRegKey key;
  bool write;
  Gate gate;
};
std::ostream& operator<<(std::ostream& os, const GateRow& r) { return os << r.what; }

const GateRow kGateRows[] = {
    {"PMCR read", reg::PMCR_EL0, false, Gate::kEn},
    {"PMCR write", reg::PMCR_EL0, true, Gate::kEn},
    {"PMCNTENSET read", reg::PMCNTENSET_EL0, false, Gate::kEn},
    {"PMCNTENSET write", reg::PMCNTENSET_EL0, true, Gate::kEn},
    {"PMCNTENCLR write", reg::PMCNTENCLR_EL0, true, Gate::kEn},
    {"PMOVSSET read", reg::PMOVSSET_EL0, false, Gate::kEn},
    {"PMOVSCLR write", reg::PMOVSCLR_EL0, true, Gate::kEn},
    {"PMCEID0 read", reg::PMCEID0_EL0, false, Gate::kEn},
    {"PMCEID1 read", reg::PMCEID1_EL0, false, Gate::kEn},
    {"PMEVTYPER0 read", reg::PMEVTYPER(0), false, Gate::kEn},
    {"PMEVTYPER0 write", reg::PMEVTYPER(0), true, Gate::kEn},
    {"PMXEVTYPER read", reg::PMXEVTYPER_EL0, false, Gate::kEn},
    {"PMXEVTYPER write", reg::PMXEVTYPER_EL0, true, Gate::kEn},
    {"PMCCFILTR write", reg::PMCCFILTR_EL0, true, Gate::kEn},
    {"PMSELR read", reg::PMSELR_EL0, false, Gate::kEnEr},
    {"PMSELR write", reg::PMSELR_EL0, true, Gate::kEnEr},
    {"PMEVCNTR0 read", reg::PMEVCNTR(0), false, Gate::kEnEr},
    {"PMXEVCNTR read", reg::PMXEVCNTR_EL0, false, Gate::kEnEr},
    {"PMEVCNTR0 write", reg::PMEVCNTR(0), true, Gate::kEn},
    {"PMXEVCNTR write", reg::PMXEVCNTR_EL0, true, Gate::kEn},
    {"PMCCNTR read", reg::PMCCNTR_EL0, false, Gate::kEnCr},
    {"PMCCNTR write", reg::PMCCNTR_EL0, true, Gate::kEn},
    {"PMSWINC write", reg::PMSWINC_EL0, true, Gate::kEnSw},
    {"PMUSERENR read", reg::PMUSERENR_EL0, false, Gate::kAlways},
    {"PMUSERENR write", reg::PMUSERENR_EL0, true, Gate::kNever},
    {"PMINTENSET read", reg::PMINTENSET_EL1, false, Gate::kNever},
    {"PMINTENCLR write", reg::PMINTENCLR_EL1, true, Gate::kNever},
};

bool gate_allows(Gate g, uint64_t userenr) {
  switch (g) {
    case Gate::kEn: return userenr & userenr::kEN;
    case Gate::kEnEr: return userenr & (userenr::kEN | userenr::kER);
    case Gate::kEnCr: return userenr & (userenr::kEN | userenr::kCR);
    case Gate::kEnSw: return userenr & (userenr::kEN | userenr::kSW);
    case Gate::kAlways: return true;
    case Gate::kNever: return false;
  }
  return false;
}

BOOST_DATA_TEST_CASE(el0_gating, bdata::make(kGateRows) * bdata::make(kAllEras), row, era) {
  Ran r(era);
  for (uint64_t userenr = 0; userenr < 16; ++userenr) {
    BOOST_TEST(msr(r.v, reg::PMSELR_EL0, 0));  // from EL1
    BOOST_TEST(msr(r.v, reg::PMUSERENR_EL0, userenr));
    const bool allowed = row.write ? msr(r.v, row.key, 0, /*el=*/0) : mrs(r.v, row.key, /*el=*/0).has_value();
    BOOST_TEST(allowed == gate_allows(row.gate, userenr), "PMUSERENR=" << userenr);
    // At EL1 everything but PMUSERENR-only rules is allowed.
    const bool el1 = row.write ? msr(r.v, row.key, 0, 1) : mrs(r.v, row.key, 1).has_value();
    BOOST_TEST(el1);
  }
}

// Gate before index check: at EL0 without permission an out-of-range counter UNDEFs (same
// outcome); with ER but not EN, an in-range counter read works and its write UNDEFs.
BOOST_AUTO_TEST_CASE(gate_then_index_then_en) {
  Ran r(Era::k6_7);
  BOOST_TEST(msr(r.v, reg::PMUSERENR_EL0, userenr::kER));
  BOOST_TEST(mrs(r.v, reg::PMEVCNTR(0), 0).has_value());
  BOOST_TEST(!mrs(r.v, reg::PMEVCNTR(7), 0).has_value());
  BOOST_TEST(!msr(r.v, reg::PMEVCNTR(0), 1, 0));
  BOOST_TEST(msr(r.v, reg::PMUSERENR_EL0, userenr::kCR));
  BOOST_TEST(mrs(r.v, reg::PMCCNTR_EL0, 0).has_value());
  BOOST_TEST(!msr(r.v, reg::PMCCNTR_EL0, 0, 0));
}

BOOST_AUTO_TEST_SUITE_END()
