// Register-level behaviour of the PMUv3 model: reset values, masks, RAZ/WI bits for
// unimplemented counters, read-only fields, PMCR_EL0.P/C, PMSELR indirection, PMCEID/PMMIR,
// the register table, raw access and the ISS entry point.
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <set>
#include <stdexcept>
#include <string>

#include "pmu_test_util.h"

namespace bdata = boost::unit_test::data;
using namespace pmu_test;
using pmu::Pmu;

namespace {

const std::vector<uint32_t> kCounterCounts{0, 1, 4, 6, 31};
const std::vector<uint8_t> kVersions{pmu::pmuver::kV3, pmu::pmuver::kV3p1, pmu::pmuver::kV3p4, pmu::pmuver::kV3p5,
                                     pmu::pmuver::kV3p7};

uint64_t valid_mask(uint32_t n) { return kCycleBit | ((1ull << n) - 1); }

struct NamedKey {
  const char* name;
  SysRegKey key;
};

// The 17 named AArch64 PMU registers (Arm ARM D17.5), with whether MRS/MSR encodings exist.
struct NamedReg {
  const char* name;
  SysRegKey key;
  bool readable;
  bool writable;
};
const std::vector<NamedReg> kNamed{
    {"PMINTENSET_EL1", kPMINTENSET, true, true}, {"PMINTENCLR_EL1", kPMINTENCLR, true, true},
    {"PMMIR_EL1", kPMMIR, true, false},          {"PMCR_EL0", kPMCR, true, true},
    {"PMCNTENSET_EL0", kPMCNTENSET, true, true}, {"PMCNTENCLR_EL0", kPMCNTENCLR, true, true},
    {"PMOVSCLR_EL0", kPMOVSCLR, true, true},     {"PMSWINC_EL0", kPMSWINC, false, true},
    {"PMSELR_EL0", kPMSELR, true, true},         {"PMCEID0_EL0", kPMCEID0, true, false},
    {"PMCEID1_EL0", kPMCEID1, true, false},      {"PMCCNTR_EL0", kPMCCNTR, true, true},
    {"PMXEVTYPER_EL0", kPMXEVTYPER, true, true}, {"PMXEVCNTR_EL0", kPMXEVCNTR, true, true},
    {"PMUSERENR_EL0", kPMUSERENR, true, true},   {"PMOVSSET_EL0", kPMOVSSET, true, true},
    {"PMCCFILTR_EL0", kPMCCFILTR, true, true},
};

std::vector<NamedReg> all_registers() {
  std::vector<NamedReg> v = kNamed;
  static std::vector<std::string> names;  // keeps c_str() alive for the test's lifetime
  names.reserve(62);
  for (unsigned n = 0; n < 31; ++n) {
    names.push_back("PMEVCNTR" + std::to_string(n) + "_EL0");
    v.push_back({names.back().c_str(), pmevcntr(n), true, true});
    names.push_back("PMEVTYPER" + std::to_string(n) + "_EL0");
    v.push_back({names.back().c_str(), pmevtyper(n), true, true});
  }
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registers)

BOOST_DATA_TEST_CASE(reset_values, bdata::make(kCounterCounts) * bdata::make(kVersions), n, ver) {
  Pmu p(config(n, ver));
  BOOST_TEST(rd(p, kPMCR) == ((uint64_t{n} << 11) | (0x0Bull << 16) | (0x41ull << 24)));
  for (SysRegKey k : {kPMCNTENSET, kPMCNTENCLR, kPMINTENSET, kPMINTENCLR, kPMOVSSET, kPMOVSCLR, kPMSELR,
                      kPMUSERENR, kPMCCNTR, kPMCCFILTR})
    BOOST_TEST(rd(p, k) == 0u);
  for (unsigned i = 0; i < n; ++i) {
    BOOST_TEST(rd(p, pmevcntr(i)) == 0u);
    BOOST_TEST(rd(p, pmevtyper(i)) == 0u);
  }
  BOOST_TEST(!p.irq_level());

  // Without AArch32, PMCR_EL0.LC is RES1 and reads 1 from reset.
  auto c = config(n, ver);
  c.has_aarch32 = false;
  Pmu q(c);
  BOOST_TEST((rd(q, kPMCR) & kLC) == kLC);
}

BOOST_AUTO_TEST_CASE(reset_restores_after_programming) {
  Pmu p(config(4));
  program(p, 0, pmu::event::INST_RETIRED, kFiltP);
  wr(p, kPMOVSSET, 1);
  wr(p, kPMUSERENR, kEN);
  p.reset();
  BOOST_TEST(rd(p, kPMCR) == ((4ull << 11) | (0x0Bull << 16) | (0x41ull << 24)));
  BOOST_TEST(rd(p, kPMCNTENSET) == 0u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0u);
  BOOST_TEST(rd(p, kPMUSERENR) == 0u);
  BOOST_TEST(rd(p, pmevtyper(0)) == 0u);
}

// SET/CLR pairs: bits for counters >= N (other than 31) are RAZ/WI; bits [63:32] are RES0.
BOOST_DATA_TEST_CASE(bitmap_pairs_raz_wi, bdata::make(kCounterCounts), n) {
  const struct {
    SysRegKey set, clr;
  } pairs[] = {{kPMCNTENSET, kPMCNTENCLR}, {kPMINTENSET, kPMINTENCLR}, {kPMOVSSET, kPMOVSCLR}};
  for (const auto& pr : pairs) {
    Pmu p(config(n));
    wr(p, pr.set, ~uint64_t{0});
    BOOST_TEST(rd(p, pr.set) == valid_mask(n));
    BOOST_TEST(rd(p, pr.clr) == valid_mask(n));
    wr(p, pr.clr, kCycleBit);
    BOOST_TEST(rd(p, pr.set) == (valid_mask(n) & ~kCycleBit));
    wr(p, pr.clr, ~uint64_t{0});
    BOOST_TEST(rd(p, pr.set) == 0u);
    // A single bit just above the implemented range stays clear.
    if (n < 31) {
      wr(p, pr.set, 1ull << n);
      BOOST_TEST(rd(p, pr.set) == 0u);
    }
  }
}

BOOST_DATA_TEST_CASE(pmcr_writable_mask_by_version, bdata::make(kVersions) * bdata::make({true, false}), ver,
                     aarch32) {
  auto c = config(6, ver);
  c.has_aarch32 = aarch32;
  Pmu p(c);
  const uint64_t ro = (6ull << 11) | (0x0Bull << 16) | (0x41ull << 24);
  uint64_t writable = kE | kX | kDP;
  if (aarch32) writable |= kD | kLC;
  if (ver >= pmu::pmuver::kV3p5) writable |= kLP;
  if (ver >= pmu::pmuver::kV3p7) writable |= kFZO;
  const uint64_t res1 = aarch32 ? 0 : kLC;
  // Everything but P/C (actions), so this write does not reset anything.
  wr(p, kPMCR, ~(kP | kC));
  BOOST_TEST(rd(p, kPMCR) == (ro | writable | res1));
  wr(p, kPMCR, 0);
  BOOST_TEST(rd(p, kPMCR) == (ro | res1));
}

BOOST_AUTO_TEST_CASE(pmcr_read_only_fields_ignore_writes) {
  Pmu p(config(6));
  wr(p, kPMCR, (31ull << 11) | (0xFFull << 16) | (0xFFull << 24) | (0xFFFFull << 32) | kE);
  BOOST_TEST(rd(p, kPMCR) == ((6ull << 11) | (0x0Bull << 16) | (0x41ull << 24) | kE));
}

BOOST_AUTO_TEST_CASE(pmcr_p_and_c_reset_counters_and_read_zero) {
  Pmu p(config(4, pmu::pmuver::kV3p5));
  for (unsigned i = 0; i < 4; ++i) wr(p, pmevcntr(i), 0x1234'5678'9abcull + i);
  wr(p, kPMCCNTR, 0xfeed'0000'0000ull);
  wr(p, kPMOVSSET, 0x5);

  wr(p, kPMCR, kP);
  for (unsigned i = 0; i < 4; ++i) BOOST_TEST(rd(p, pmevcntr(i)) == 0u);
  BOOST_TEST(rd(p, kPMCCNTR) == 0xfeed'0000'0000ull);  // P leaves the cycle counter alone
  BOOST_TEST(rd(p, kPMOVSSET) == 0x5u);                // and the overflow flags
  BOOST_TEST((rd(p, kPMCR) & (kP | kC)) == 0u);

  wr(p, pmevcntr(2), 7);
  wr(p, kPMCR, kC);
  BOOST_TEST(rd(p, kPMCCNTR) == 0u);
  BOOST_TEST(rd(p, pmevcntr(2)) == 7u);  // C leaves event counters alone
  BOOST_TEST((rd(p, kPMCR) & (kP | kC)) == 0u);

  wr(p, kPMCCNTR, 9);
  wr(p, kPMCR, kP | kC | kE);
  BOOST_TEST(rd(p, kPMCCNTR) == 0u);
  BOOST_TEST(rd(p, pmevcntr(2)) == 0u);
  BOOST_TEST(rd(p, kPMCR) & kE);
}

BOOST_AUTO_TEST_CASE(evtyper_and_ccfiltr_masks) {
  const struct {
    uint8_t ver;
    bool el2, el3;
    uint64_t evtyper, ccfiltr;
  } cases[] = {
      {pmu::pmuver::kV3, true, true, 0xFC0003FF, 0xFC000000},     // 10-bit evtCount
      {pmu::pmuver::kV3p1, true, true, 0xFC00FFFF, 0xFC000000},   // 16-bit evtCount
      {pmu::pmuver::kV3p5, true, false, 0xC800FFFF, 0xC8000000},  // no EL3: NSK/NSU/M RES0
      {pmu::pmuver::kV3p7, false, false, 0xC000FFFF, 0xC0000000}, // no EL2: NSH RES0
  };
  for (const auto& tc : cases) {
    BOOST_TEST_CONTEXT("pmuver " << int(tc.ver) << " el2 " << tc.el2 << " el3 " << tc.el3) {
      auto c = config(2, tc.ver);
      c.has_el2 = tc.el2;
      c.has_el3 = tc.el3;
      Pmu p(c);
      wr(p, pmevtyper(1), ~uint64_t{0});
      BOOST_TEST(rd(p, pmevtyper(1)) == tc.evtyper);
      wr(p, kPMCCFILTR, ~uint64_t{0});
      BOOST_TEST(rd(p, kPMCCFILTR) == tc.ccfiltr);
    }
  }
}

BOOST_DATA_TEST_CASE(counter_widths, bdata::make(kVersions), ver) {
  Pmu p(config(2, ver));
  wr(p, pmevcntr(0), ~uint64_t{0});
  BOOST_TEST(rd(p, pmevcntr(0)) == (ver >= pmu::pmuver::kV3p5 ? ~uint64_t{0} : 0xFFFFFFFFull));
  wr(p, kPMCCNTR, ~uint64_t{0});
  BOOST_TEST(rd(p, kPMCCNTR) == ~uint64_t{0});  // the cycle counter is always 64-bit
}

BOOST_AUTO_TEST_CASE(pmselr_and_pmuserenr_masks) {
  Pmu p(config(6));
  wr(p, kPMSELR, ~uint64_t{0});
  BOOST_TEST(rd(p, kPMSELR) == 0x1Fu);
  wr(p, kPMUSERENR, ~uint64_t{0});
  BOOST_TEST(rd(p, kPMUSERENR) == 0xFu);
}

// PMSELR_EL0 + PMXEVTYPER/PMXEVCNTR for every SEL: SEL < N reaches counter SEL, SEL == 31
// reaches PMCCFILTR through PMXEVTYPER, everything else UNDEFs (choices documented in pmu.h).
BOOST_DATA_TEST_CASE(pmselr_indirection, bdata::make(kCounterCounts), n) {
  Pmu p(config(n));
  wr(p, kPMCCFILTR, kFiltU);
  for (unsigned sel = 0; sel < 32; ++sel) {
    BOOST_TEST_CONTEXT("SEL " << sel) {
      wr(p, kPMSELR, sel);
      uint64_t v = 0;
      if (sel < n) {
        wr(p, kPMXEVTYPER, 0x08 | kFiltP);
        BOOST_TEST(rd(p, pmevtyper(sel)) == (0x08 | kFiltP));
        wr(p, pmevtyper(sel), 0x11);
        BOOST_TEST(rd(p, kPMXEVTYPER) == 0x11u);
        wr(p, kPMXEVCNTR, 1000 + sel);
        BOOST_TEST(rd(p, pmevcntr(sel)) == 1000u + sel);
        wr(p, pmevcntr(sel), 7);
        BOOST_TEST(rd(p, kPMXEVCNTR) == 7u);
      } else if (sel == 31) {
        BOOST_TEST(rd(p, kPMXEVTYPER) == kFiltU);
        wr(p, kPMXEVTYPER, kFiltNSH | 0x11);  // event field of PMCCFILTR is RES0
        BOOST_TEST(rd(p, kPMCCFILTR) == kFiltNSH);
        wr(p, kPMCCFILTR, kFiltU);
        BOOST_TEST((p.read(kPMXEVCNTR, kEl1, v) == Pmu::Access::kUndef));
        BOOST_TEST((p.write(kPMXEVCNTR, kEl1, 1) == Pmu::Access::kUndef));
      } else {
        BOOST_TEST((p.read(kPMXEVTYPER, kEl1, v) == Pmu::Access::kUndef));
        BOOST_TEST((p.write(kPMXEVTYPER, kEl1, 1) == Pmu::Access::kUndef));
        BOOST_TEST((p.read(kPMXEVCNTR, kEl1, v) == Pmu::Access::kUndef));
        BOOST_TEST((p.write(kPMXEVCNTR, kEl1, 1) == Pmu::Access::kUndef));
      }
    }
  }
  BOOST_TEST(rd(p, kPMCCNTR) == 0u);  // no PMXEVCNTR access leaked into the cycle counter
}

BOOST_DATA_TEST_CASE(direct_counter_access_undefs_at_and_above_n, bdata::make(kCounterCounts), n) {
  Pmu p(config(n));
  for (unsigned i = 0; i < 31; ++i) {
    BOOST_TEST_CONTEXT("counter " << i) {
      const bool ok = i < n;
      BOOST_TEST(read_ok(p, pmevcntr(i), kEl1) == ok);
      BOOST_TEST(write_ok(p, pmevcntr(i), kEl1, 1) == ok);
      BOOST_TEST(read_ok(p, pmevtyper(i), kEl1) == ok);
      BOOST_TEST(write_ok(p, pmevtyper(i), kEl1, 0x08) == ok);
    }
  }
  // PMEVCNTR31's would-be encoding is not a register; PMEVTYPER31's is PMCCFILTR_EL0.
  BOOST_TEST(!read_ok(p, sysreg(3, 3, 14, 11, 7), kEl1));
  BOOST_TEST((pmevtyper(31) == kPMCCFILTR));
}

// Every PMU register is in the model's table, under its Arm ARM name and encoding, reachable
// through read()/write() exactly as far as its MRS/MSR encodings exist; and nothing else is.
BOOST_AUTO_TEST_CASE(table_covers_every_pmu_register) {
  const auto expected = all_registers();
  BOOST_TEST(pmu::register_table().size() == expected.size());
  BOOST_TEST(expected.size() == 79u);
  Pmu p(config(31, pmu::pmuver::kV3p7));
  std::set<uint16_t> keys;
  for (const auto& r : expected) {
    BOOST_TEST_CONTEXT(r.name) {
      keys.insert(r.key.index());
      const pmu::RegInfo* info = pmu::find_register(r.key);
      BOOST_REQUIRE(info != nullptr);
      BOOST_TEST(info->name == std::string_view(r.name));
      BOOST_TEST(info->readable == r.readable);
      BOOST_TEST(info->writable == r.writable);
      BOOST_TEST(read_ok(p, r.key, kEl1) == r.readable);
      // Write a harmless value (0 is neutral for every register) and check the MSR exists.
      BOOST_TEST(write_ok(p, r.key, kEl1, 0) == r.writable);
      BOOST_CHECK_NO_THROW(p.reg(r.key));
      BOOST_CHECK_NO_THROW(p.set_reg(r.key, p.reg(r.key)));
    }
  }
  // No other encoding is claimed by the model.
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto k = SysRegKey::from_index(static_cast<uint16_t>(i));
    if (keys.count(static_cast<uint16_t>(i))) continue;
    if (pmu::find_register(k) != nullptr || read_ok(p, k, kEl1) || write_ok(p, k, kEl1, 0)) {
      BOOST_ERROR("unexpected PMU register at index " << i);
      break;
    }
  }
  // The table is sorted by encoding, for bisection.
  const auto t = pmu::register_table();
  for (std::size_t i = 1; i < t.size(); ++i) BOOST_TEST(t[i - 1].key.index() < t[i].key.index());
}

BOOST_AUTO_TEST_CASE(pmceid_from_event_list) {
  namespace ev = pmu::event;
  const std::vector<uint16_t> events{ev::SW_INCR, ev::INST_RETIRED, ev::CPU_CYCLES, ev::CHAIN,
                                     ev::BR_RETIRED, ev::STALL_SLOT, 0x4005, 0x4021};
  Pmu p(config(6, pmu::pmuver::kV3p1, events));
  const uint64_t pmceid0 = (1ull << 0) | (1ull << 8) | (1ull << 17) | (1ull << 30) | (1ull << (32 + 5));
  const uint64_t pmceid1 = (1ull << (0x21 - 0x20)) | (1ull << (0x3F - 0x20)) | (1ull << (32 + 1));
  BOOST_TEST(rd(p, kPMCEID0) == pmceid0);
  BOOST_TEST(rd(p, kPMCEID1) == pmceid1);
  BOOST_TEST(p.pmceid(0) == pmceid0);
  BOOST_TEST(p.pmceid(1) == pmceid1);
  BOOST_TEST(!write_ok(p, kPMCEID0, kEl1, 0));
  BOOST_TEST(!write_ok(p, kPMCEID1, kEl1, 0));
  p.set_reg(kPMCEID0, 0);  // read-only: raw writes are ignored
  BOOST_TEST(rd(p, kPMCEID0) == pmceid0);
  BOOST_CHECK_THROW(p.pmceid(2), std::out_of_range);

  // Matches the shared encoder for every catalogue-like list.
  const auto ids = pmu::pmceid_of(events);
  BOOST_TEST(ids.pmceid0 == pmceid0);
  BOOST_TEST(ids.pmceid1 == pmceid1);
}

BOOST_DATA_TEST_CASE(pmmir_exists_from_v3p4, bdata::make(kVersions), ver) {
  auto c = config(4, ver);
  c.pmmir_slots = 8;
  Pmu p(c);
  const bool present = ver >= pmu::pmuver::kV3p4;
  BOOST_TEST(read_ok(p, kPMMIR, kEl1) == present);
  if (present) {
    BOOST_TEST(rd(p, kPMMIR) == 8u);
    BOOST_TEST(p.reg(kPMMIR) == 8u);
  } else {
    BOOST_CHECK_THROW(p.reg(kPMMIR), std::invalid_argument);
  }
  BOOST_TEST(!write_ok(p, kPMMIR, kEl1, 0));
  BOOST_TEST(!read_ok(p, kPMMIR, kEl0));
}

BOOST_AUTO_TEST_CASE(config_validation) {
  auto bad = [](auto mutate) {
    auto c = config(4);
    mutate(c);
    BOOST_CHECK_THROW(Pmu{c}, std::invalid_argument);
  };
  bad([](pmu::PmuConfig& c) { c.num_counters = 32; });
  bad([](pmu::PmuConfig& c) { c.pmuver = 2; });
  bad([](pmu::PmuConfig& c) { c.pmuver = 0; });
  bad([](pmu::PmuConfig& c) { c.pmuver = 8; });
  bad([](pmu::PmuConfig& c) { c.pmcr_idcode = 0x100; });
  bad([](pmu::PmuConfig& c) { c.pmcr_imp = 0x100; });
  // Storage covers 0x00-0x7F (0x40-0x7F count without a PMCEID bit) and 0x4000-0x403F.
  bad([](pmu::PmuConfig& c) { c.events.push_back(0x80); });
  bad([](pmu::PmuConfig& c) { c.events.push_back(0x3FFF); });
  bad([](pmu::PmuConfig& c) { c.events.push_back(0x4040); });
  bad([](pmu::PmuConfig& c) { c.pmuver = pmu::pmuver::kV3, c.events.push_back(0x4000); });
  for (uint8_t v : kVersions) BOOST_CHECK_NO_THROW(Pmu{config(31, v)});
  try {
    auto c = config(40);
    Pmu p(c);
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("num_counters") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(raw_access_semantics) {
  Pmu p(config(4));
  // A CLR key replaces the shared bitmap when written raw, masked to implemented counters.
  p.set_reg(kPMCNTENCLR, 0xF'0003ull);
  BOOST_TEST(p.reg(kPMCNTENSET) == 0x3u);
  p.set_reg(kPMCNTENSET, kCycleBit);
  BOOST_TEST(p.reg(kPMCNTENCLR) == kCycleBit);
  // PMCR: stored bits only, no P/C actions, RO fields still RO.
  wr(p, pmevcntr(0), 5);
  p.set_reg(kPMCR, kP | kC | kE | (31ull << 11));
  BOOST_TEST(rd(p, pmevcntr(0)) == 5u);
  BOOST_TEST(p.reg(kPMCR) == ((4ull << 11) | (0x0Bull << 16) | (0x41ull << 24) | kE));
  // Write-only and stateless.
  BOOST_TEST(p.reg(kPMSWINC) == 0u);
  p.set_reg(kPMSWINC, 1);
  // Counters >= N: RAZ/WI in the raw view, UNDEF architecturally.
  p.set_reg(pmevcntr(10), 3);
  BOOST_TEST(p.reg(pmevcntr(10)) == 0u);
  BOOST_TEST(p.reg(pmevtyper(10)) == 0u);
  // PMUSERENR raw write bypasses the EL check but keeps the mask.
  p.set_reg(kPMUSERENR, 0xFF);
  BOOST_TEST(p.reg(kPMUSERENR) == 0xFu);
  // Not a PMU register.
  BOOST_CHECK_THROW(p.reg(sysreg(3, 0, 1, 0, 0)), std::invalid_argument);
  BOOST_CHECK_THROW(p.set_reg(sysreg(3, 3, 14, 11, 7), 0), std::invalid_argument);
  // PMX* raw go through PMSELR.
  p.set_reg(kPMSELR, 2);
  p.set_reg(kPMXEVCNTR, 77);
  BOOST_TEST(p.reg(pmevcntr(2)) == 77u);
  p.set_reg(kPMSELR, 31);
  p.set_reg(kPMXEVTYPER, kFiltP);
  BOOST_TEST(p.reg(kPMCCFILTR) == kFiltP);
  BOOST_TEST(p.reg(kPMXEVCNTR) == 0u);
}

BOOST_AUTO_TEST_CASE(counter_accessors) {
  Pmu p(config(4, pmu::pmuver::kV3p1));
  p.set_counter(3, 0x1'2345'6789ull);
  BOOST_TEST(p.counter(3) == 0x2345'6789u);  // 32-bit event counters before PMUv3p5
  p.set_counter(31, 0x1'2345'6789ull);
  BOOST_TEST(p.counter(31) == 0x1'2345'6789ull);
  BOOST_TEST(rd(p, kPMCCNTR) == 0x1'2345'6789ull);
  BOOST_CHECK_THROW(p.counter(4), std::out_of_range);
  BOOST_CHECK_THROW(p.set_counter(30, 0), std::out_of_range);
  BOOST_TEST(p.num_counters() == 4u);
  BOOST_TEST(!p.irq_level());
}

BOOST_AUTO_TEST_CASE(handle_iss_decodes_direction_and_register) {
  Pmu p(config(6));
  // msr pmselr_el0, x3 then mrs x5, pmselr_el0: ISS = key.to_esr_iss(rt, is_read).
  uint64_t v = 4;
  BOOST_TEST((pmu::handle_iss(p, kPMSELR.to_esr_iss(3, false), kEl1, v) == Pmu::Access::kOk));
  v = 0;
  BOOST_TEST((pmu::handle_iss(p, kPMSELR.to_esr_iss(5, true), kEl1, v) == Pmu::Access::kOk));
  BOOST_TEST(v == 4u);
  // mrs x0, pmcr_el0 has ISS 0x30E419 (spec 2.10).
  BOOST_TEST((pmu::handle_iss(p, 0x30E419, kEl1, v) == Pmu::Access::kOk));
  BOOST_TEST(v == ((6ull << 11) | (0x0Bull << 16) | (0x41ull << 24)));
  // MRS of the write-only PMSWINC_EL0 and an EL0 MSR to PMUSERENR_EL0 are UNDEFINED.
  BOOST_TEST((pmu::handle_iss(p, kPMSWINC.to_esr_iss(0, true), kEl1, v) == Pmu::Access::kUndef));
  v = 0xF;
  BOOST_TEST((pmu::handle_iss(p, kPMUSERENR.to_esr_iss(0, false), kEl0, v) == Pmu::Access::kUndef));
  // Not a PMU register (MIDR_EL1).
  BOOST_TEST((pmu::handle_iss(p, sysreg(3, 0, 0, 0, 0).to_esr_iss(0, true), kEl1, v) == Pmu::Access::kUndef));
}

BOOST_AUTO_TEST_SUITE_END()
