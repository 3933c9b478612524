// Shared helpers for the PMU tests. Register encodings are spelled out here from the Arm ARM
// (D17.5) rather than taken from pmu/, so the tests check the model's table independently.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "cpu/arch/pmu_events.h"
#include "cpu/arch/sysreg_key.h"
#include "pmu/events.h"
#include "pmu/pmu.h"

namespace pmu_test {

using arch::SysRegKey;
using arch::sysreg;

inline constexpr SysRegKey kPMINTENSET = sysreg(3, 0, 9, 14, 1);
inline constexpr SysRegKey kPMINTENCLR = sysreg(3, 0, 9, 14, 2);
inline constexpr SysRegKey kPMMIR = sysreg(3, 0, 9, 14, 6);
inline constexpr SysRegKey kPMCR = sysreg(3, 3, 9, 12, 0);
inline constexpr SysRegKey kPMCNTENSET = sysreg(3, 3, 9, 12, 1);
inline constexpr SysRegKey kPMCNTENCLR = sysreg(3, 3, 9, 12, 2);
inline constexpr SysRegKey kPMOVSCLR = sysreg(3, 3, 9, 12, 3);
inline constexpr SysRegKey kPMSWINC = sysreg(3, 3, 9, 12, 4);
inline constexpr SysRegKey kPMSELR = sysreg(3, 3, 9, 12, 5);
inline constexpr SysRegKey kPMCEID0 = sysreg(3, 3, 9, 12, 6);
inline constexpr SysRegKey kPMCEID1 = sysreg(3, 3, 9, 12, 7);
inline constexpr SysRegKey kPMCCNTR = sysreg(3, 3, 9, 13, 0);
inline constexpr SysRegKey kPMXEVTYPER = sysreg(3, 3, 9, 13, 1);
inline constexpr SysRegKey kPMXEVCNTR = sysreg(3, 3, 9, 13, 2);
inline constexpr SysRegKey kPMUSERENR = sysreg(3, 3, 9, 14, 0);
inline constexpr SysRegKey kPMOVSSET = sysreg(3, 3, 9, 14, 3);
inline constexpr SysRegKey kPMCCFILTR = sysreg(3, 3, 14, 15, 7);

constexpr SysRegKey pmevcntr(unsigned n) {
  return sysreg(3, 3, 14, static_cast<uint8_t>(8 + (n >> 3)), static_cast<uint8_t>(n & 7));
}
constexpr SysRegKey pmevtyper(unsigned n) {
  return sysreg(3, 3, 14, static_cast<uint8_t>(12 + (n >> 3)), static_cast<uint8_t>(n & 7));
}

// PMCR_EL0 bits.
inline constexpr uint64_t kE = 1, kP = 2, kC = 4, kD = 8, kX = 16, kDP = 32, kLC = 64, kLP = 128, kFZO = 512;
// PMEVTYPER / PMCCFILTR bits.
inline constexpr uint64_t kFiltP = 1ull << 31, kFiltU = 1ull << 30, kFiltNSK = 1ull << 29,
                          kFiltNSU = 1ull << 28, kFiltNSH = 1ull << 27, kFiltM = 1ull << 26;
// PMUSERENR bits.
inline constexpr uint64_t kEN = 1, kSW = 2, kCR = 4, kER = 8;
inline constexpr uint64_t kCycleBit = 1ull << 31;
inline constexpr uint8_t kEl0 = 0, kEl1 = 1;

inline std::vector<uint16_t> all_common_events() {
  std::vector<uint16_t> v;
  for (uint16_t e = 0; e < arch::kNumCommonEvents; ++e) v.push_back(e);
  return v;
}

inline pmu::PmuConfig config(uint32_t n, uint8_t pmuver = pmu::pmuver::kV3p1,
                             std::vector<uint16_t> events = all_common_events()) {
  pmu::PmuConfig c;
  c.num_counters = n;
  c.pmuver = pmuver;
  c.events = std::move(events);
  c.pmcr_idcode = 0x0B;
  c.pmcr_imp = 0x41;
  return c;
}

inline uint64_t rd(pmu::Pmu& p, SysRegKey k, uint8_t el = kEl1) {
  uint64_t v = 0xdeadbeef;
  const auto a = p.read(k, el, v);
  BOOST_REQUIRE(a == pmu::Pmu::Access::kOk);
  return v;
}

inline void wr(pmu::Pmu& p, SysRegKey k, uint64_t v, uint8_t el = kEl1) {
  const auto a = p.write(k, el, v);
  BOOST_REQUIRE(a == pmu::Pmu::Access::kOk);
}

inline bool read_ok(pmu::Pmu& p, SysRegKey k, uint8_t el) {
  uint64_t v = 0;
  return p.read(k, el, v) == pmu::Pmu::Access::kOk;
}

inline bool write_ok(pmu::Pmu& p, SysRegKey k, uint8_t el, uint64_t v) {
  return p.write(k, el, v) == pmu::Pmu::Access::kOk;
}

inline arch::EventCounts batch(arch::CountEl el, uint16_t event, uint64_t n) {
  arch::EventCounts c;
  c.add(el, event, n);
  return c;
}

// Programs counter idx (31: cycle counter) with an event and filter, and enables it and PMCR.E.
inline void program(pmu::Pmu& p, unsigned idx, uint16_t event, uint64_t filter = 0) {
  if (idx == 31) {
    wr(p, kPMCCFILTR, filter);
  } else {
    wr(p, pmevtyper(idx), filter | event);
  }
  wr(p, kPMCNTENSET, 1ull << idx);
  wr(p, kPMCR, rd(p, kPMCR) | kE);
}

}  // namespace pmu_test
