// EL0 access to every PMU register under each of the 16 PMUSERENR_EL0 values (Arm ARM D17.5
// PMUSERENR_EL0 EN/SW/CR/ER; the same matrix as the KVM spec's table 2.9, which mirrors the
// hardware). The expectations are written out here, independently of the model's table.
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "pmu_test_util.h"

namespace bdata = boost::unit_test::data;
using namespace pmu_test;
using pmu::Pmu;

namespace {

// Any-of masks over PMUSERENR: kNo = never at EL0 (or no such MRS/MSR), kAny = always.
constexpr uint64_t kNo = 0, kAny = ~uint64_t{0};

struct Gate {
  const char* name;
  SysRegKey key;
  uint64_t read_opens;
  uint64_t write_opens;
};

const std::vector<Gate> kGates{
    {"PMCR_EL0", kPMCR, kEN, kEN},
    {"PMCNTENSET_EL0", kPMCNTENSET, kEN, kEN},
    {"PMCNTENCLR_EL0", kPMCNTENCLR, kEN, kEN},
    {"PMOVSSET_EL0", kPMOVSSET, kEN, kEN},
    {"PMOVSCLR_EL0", kPMOVSCLR, kEN, kEN},
    {"PMSWINC_EL0", kPMSWINC, kNo, kEN | kSW},
    {"PMSELR_EL0", kPMSELR, kEN | kER, kEN | kER},
    {"PMCEID0_EL0", kPMCEID0, kEN, kNo},
    {"PMCEID1_EL0", kPMCEID1, kEN, kNo},
    {"PMCCNTR_EL0", kPMCCNTR, kEN | kCR, kEN},
    {"PMXEVTYPER_EL0", kPMXEVTYPER, kEN, kEN},
    {"PMXEVCNTR_EL0", kPMXEVCNTR, kEN | kER, kEN},
    {"PMUSERENR_EL0", kPMUSERENR, kAny, kNo},
    {"PMINTENSET_EL1", kPMINTENSET, kNo, kNo},
    {"PMINTENCLR_EL1", kPMINTENCLR, kNo, kNo},
    {"PMMIR_EL1", kPMMIR, kNo, kNo},
    {"PMCCFILTR_EL0", kPMCCFILTR, kEN, kEN},
    {"PMEVCNTR0_EL0", pmevcntr(0), kEN | kER, kEN},
    {"PMEVCNTR30_EL0", pmevcntr(30), kEN | kER, kEN},
    {"PMEVTYPER0_EL0", pmevtyper(0), kEN, kEN},
    {"PMEVTYPER30_EL0", pmevtyper(30), kEN, kEN},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(el0_gating)

BOOST_DATA_TEST_CASE(matrix, bdata::xrange(16), userenr) {
  for (const auto& g : kGates) {
    BOOST_TEST_CONTEXT(g.name << " with PMUSERENR_EL0 = " << userenr) {
      Pmu p(config(31, pmu::pmuver::kV3p7));
      wr(p, kPMUSERENR, static_cast<uint64_t>(userenr));
      const bool can_read = (g.read_opens & static_cast<uint64_t>(userenr)) != 0 || g.read_opens == kAny;
      const bool can_write = (g.write_opens & static_cast<uint64_t>(userenr)) != 0;
      BOOST_TEST(read_ok(p, g.key, kEl0) == can_read);
      BOOST_TEST(write_ok(p, g.key, kEl0, 0) == can_write);
      // gate_allows agrees wherever an encoding exists.
      const pmu::RegInfo* info = pmu::find_register(g.key);
      BOOST_REQUIRE(info != nullptr);
      if (info->readable && info->min_pmuver <= p.pmuver()) BOOST_TEST(p.gate_allows(*info, true) == can_read);
      if (info->writable) BOOST_TEST(p.gate_allows(*info, false) == can_write);
      // Privileged accesses ignore PMUSERENR entirely.
      BOOST_TEST(read_ok(p, g.key, kEl1) == info->readable);
      BOOST_TEST(write_ok(p, g.key, kEl1, 0) == info->writable);
    }
  }
}

// A refused EL0 access has no side effect.
BOOST_AUTO_TEST_CASE(refused_writes_have_no_effect) {
  Pmu p(config(4));
  wr(p, kPMUSERENR, kER | kCR);  // read access to counters, no EN
  BOOST_TEST(!write_ok(p, kPMCR, kEl0, kE));
  BOOST_TEST(!write_ok(p, pmevcntr(0), kEl0, 55));
  BOOST_TEST(!write_ok(p, kPMCCNTR, kEl0, 55));
  BOOST_TEST(!write_ok(p, kPMUSERENR, kEl0, kEN));
  BOOST_TEST(!write_ok(p, kPMINTENSET, kEl0, 1));
  BOOST_TEST(rd(p, kPMCR) == ((4ull << 11) | (0x0Bull << 16) | (0x41ull << 24)));
  BOOST_TEST(rd(p, pmevcntr(0)) == 0u);
  BOOST_TEST(rd(p, kPMCCNTR) == 0u);
  BOOST_TEST(rd(p, kPMUSERENR) == (kER | kCR));
  BOOST_TEST(rd(p, kPMINTENSET) == 0u);
  // ...while the reads ER/CR open do work, and PMSELR is writable with ER.
  BOOST_TEST(write_ok(p, kPMSELR, kEl0, 1));
  BOOST_TEST(rd(p, kPMXEVCNTR, kEl0) == 0u);
  BOOST_TEST(rd(p, kPMCCNTR, kEl0) == 0u);
}

// With EN, counter-index rules still apply at EL0.
BOOST_AUTO_TEST_CASE(index_rules_apply_at_el0) {
  Pmu p(config(2));
  wr(p, kPMUSERENR, kEN);
  BOOST_TEST(read_ok(p, pmevcntr(1), kEl0));
  BOOST_TEST(!read_ok(p, pmevcntr(2), kEl0));
  wr(p, kPMSELR, 5, kEl0);
  BOOST_TEST(!read_ok(p, kPMXEVCNTR, kEl0));
  BOOST_TEST(!read_ok(p, kPMXEVTYPER, kEl0));
}

BOOST_AUTO_TEST_SUITE_END()
