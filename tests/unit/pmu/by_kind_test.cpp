// The register accesses by kind (Pmu::read_counter, write_counter, read_selected_counter,
// read_type, write_type, read_control, write_select, read_enables, write_enables), which a
// partitioned guest's untrapped MRS/MSR use instead of the register table. The table path
// (Pmu::read/write by encoding) is the oracle: two Pmus get the same random programming and
// instruction batches, one accessed by kind and one through the table, at EL0, EL1 and EL2,
// with random PMUSERENR_EL0 and MDCR_EL2.HPMN, and every result, value and the whole
// observable state must match after each step.
#include <functional>
#include <random>

#include "tests/unit/pmu/pmu_test_util.h"

using namespace pmu_test;

namespace {

constexpr uint8_t kEl2 = 2;
constexpr unsigned kCycle = 31;

// Everything software can observe, read raw (every counter visible).
std::vector<uint64_t> observe(pmu::Pmu& p) {
  std::vector<uint64_t> v;
  for (unsigned i = 0; i < p.num_counters(); ++i) {
    v.push_back(p.counter(i));
    v.push_back(p.reg(pmevtyper(i)));
  }
  for (SysRegKey k : {kPMCCNTR, kPMCCFILTR, kPMCR, kPMCNTENSET, kPMOVSSET, kPMINTENSET, kPMSELR, kPMUSERENR})
    v.push_back(p.reg(k));
  v.push_back(p.irq_level());
  v.push_back(p.irq_level_below_el2());
  v.push_back(p.instructions_until_overflow());
  v.push_back(p.events_until_overflow());
  return v;
}

// A value worth writing to a counter: near a 32- or 64-bit overflow, small, or anything.
uint64_t counter_value(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return 0xffffffffu - rng() % 40;
    case 1: return ~uint64_t{0} - rng() % 40;
    case 2: return rng() % 40;
    default: return rng();
  }
}

// An event type: mostly the instruction-clock events (lazy), with random filter bits.
uint64_t type_value(std::mt19937_64& rng) {
  static constexpr uint16_t kEvents[] = {pmu::event::INST_RETIRED, pmu::event::CPU_CYCLES, pmu::event::INST_SPEC,
                                         pmu::event::SW_INCR, pmu::event::CHAIN, pmu::event::L1D_CACHE};
  const uint64_t filter = rng() & (kFiltP | kFiltU | kFiltNSK | kFiltNSU | kFiltNSH | kFiltM);
  return filter | kEvents[rng() % std::size(kEvents)];
}

// 32-bit and 64-bit event counters (PMUv3p5: LP), FZO (PMUv3p7), HPMN = 0 (FEAT_HPMN0).
struct Variant {
  uint32_t n;
  uint8_t pmuver;
  bool feat_hpmn0;
  pmu::PmuConfig config() const {
    pmu::PmuConfig cfg = pmu_test::config(n, pmuver);
    cfg.feat_hpmn0 = feat_hpmn0;
    return cfg;
  }
};
constexpr Variant kVariants[] = {{6, pmu::pmuver::kV3p1, false}, {6, pmu::pmuver::kV3p5, false},
                                 {4, pmu::pmuver::kV3p7, true}};

// EL2 reprograms the split and the EL0 gate, or PMCR (E, LP, LC, D, FZO, P, C) and the
// interrupt enables through the table; the same on both PMUs.
void reprogram(std::mt19937_64& rng, const Variant& var, bool split, pmu::Pmu& a, pmu::Pmu& b) {
  if (split) {
    pmu::Mdcr m;
    m.hpmn = static_cast<uint32_t>(rng() % (var.n + 1));
    if (m.hpmn == 0 && !var.feat_hpmn0) m.hpmn = 1;
    m.hpme = rng() % 2;
    m.hlp = rng() % 2;
    const uint64_t userenr = rng() & 0xf;
    for (pmu::Pmu* p : {&a, &b}) {
      p->set_mdcr_el2(m);
      p->set_reg(kPMUSERENR, userenr);
    }
    return;
  }
  const uint64_t pmcr = (rng() % 4 != 0 ? kE : 0) | (rng() & (kP | kC | kD | kLC | kLP | kFZO));
  const uint64_t inten = rng() & (kCycleBit | 0x3f);
  for (pmu::Pmu* p : {&a, &b}) {
    wr(*p, kPMCR, pmcr, kEl2);
    wr(*p, kPMINTENSET, inten, kEl2);
  }
}

struct Step {
  const char* what;
  pmu::Pmu::Access by_kind, table;
  uint64_t v_kind, v_table;
};

// One random access of a kind the partitioned path binds, made both ways.
Step access(std::mt19937_64& rng, pmu::Pmu& kind, pmu::Pmu& table, uint8_t el) {
  const unsigned n = kind.num_counters();
  // Indices past N and past HPMN too, and the cycle counter.
  const unsigned idx = rng() % 4 == 0 ? kCycle : static_cast<unsigned>(rng() % (n + 2));
  Step s{"", {}, {}, 0x1111, 0x1111};
  switch (rng() % 10) {
    case 0:
    case 1:
      s.what = "counter read";
      s.by_kind = kind.read_counter(idx, el, s.v_kind);
      s.table = table.read(idx == kCycle ? kPMCCNTR : pmevcntr(idx), el, s.v_table);
      break;
    case 2: {
      s.what = "counter write";
      s.v_kind = s.v_table = counter_value(rng);
      s.by_kind = kind.write_counter(idx, el, s.v_kind);
      s.table = table.write(idx == kCycle ? kPMCCNTR : pmevcntr(idx), el, s.v_table);
      break;
    }
    case 3:
      s.what = "selected counter read";
      s.by_kind = kind.read_selected_counter(el, s.v_kind);
      s.table = table.read(kPMXEVCNTR, el, s.v_table);
      break;
    case 4:
      s.what = "type read";
      s.by_kind = kind.read_type(idx, el, s.v_kind);
      s.table = table.read(idx == kCycle ? kPMCCFILTR : pmevtyper(idx), el, s.v_table);
      break;
    case 5:
      s.what = "type write";
      s.v_kind = s.v_table = type_value(rng);
      s.by_kind = kind.write_type(idx, el, s.v_kind);
      s.table = table.write(idx == kCycle ? kPMCCFILTR : pmevtyper(idx), el, s.v_table);
      break;
    case 6:
      s.what = "control read";
      s.by_kind = kind.read_control(el, s.v_kind);
      s.table = table.read(kPMCR, el, s.v_table);
      break;
    case 7: {
      s.what = "select write";
      // SEL 31 and SEL >= N as well.
      s.v_kind = s.v_table = rng() % 3 == 0 ? kCycle : rng() % (n + 2);
      s.by_kind = kind.write_select(el, s.v_kind);
      s.table = table.write(kPMSELR, el, s.v_table);
      break;
    }
    case 8: {
      const bool clr = rng() % 2;
      s.what = clr ? "PMCNTENCLR read" : "PMCNTENSET read";
      s.by_kind = kind.read_enables(el, s.v_kind);
      s.table = table.read(clr ? kPMCNTENCLR : kPMCNTENSET, el, s.v_table);
      break;
    }
    default: {
      const bool set = rng() % 3 != 0;
      s.what = set ? "PMCNTENSET write" : "PMCNTENCLR write";
      s.v_kind = s.v_table = rng() & (kCycleBit | 0x7fffffffu);
      s.by_kind = kind.write_enables(set, el, s.v_kind);
      s.table = table.write(set ? kPMCNTENSET : kPMCNTENCLR, el, s.v_table);
      break;
    }
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(by_kind)

BOOST_AUTO_TEST_CASE(every_kind_matches_the_register_table) {
  for (const Variant var : kVariants) {
    std::mt19937_64 rng(0x5eed + var.n + var.pmuver);
    pmu::Pmu kind(var.config()), table(var.config());
    unsigned undefs = 0, oks = 0;
    for (unsigned step = 0; step < 20000; ++step) {
      BOOST_TEST_CONTEXT("PMUVer " << int(var.pmuver) << ", N " << var.n << ", step " << step) {
        switch (rng() % 8) {
          case 0:
          case 1:
            reprogram(rng, var, rng() % 2 == 0, kind, table);
            break;
          case 2:
          case 3: {  // instructions retired, sometimes across an overflow
            const std::array<uint64_t, arch::kNumCountEls> per_el{rng() % 30, rng() % 30, rng() % 4};
            const bool a = kind.add_instructions(per_el), b = table.add_instructions(per_el);
            BOOST_TEST(a == b);
            break;
          }
          default: {
            const auto el = static_cast<uint8_t>(rng() % 3);
            const Step s = access(rng, kind, table, el);
            BOOST_TEST_CONTEXT(s.what << " at EL" << int(el)) {
              BOOST_TEST((s.by_kind == s.table));
              BOOST_TEST(s.v_kind == s.v_table);
            }
            (s.by_kind == pmu::Pmu::Access::kOk ? oks : undefs) += 1;
            break;
          }
        }
        BOOST_TEST(observe(kind) == observe(table), boost::test_tools::per_element());
      }
    }
    // Both outcomes were exercised.
    BOOST_TEST(oks > 1000u);
    BOOST_TEST(undefs > 100u);
  }
}

// A lazy counter read between batches counts exactly the instructions given before it, at
// the ELs its filter admits; the cycle counter with PMCR_EL0.D ticks once per 64.
BOOST_AUTO_TEST_CASE(counter_read_counts_the_instructions_before_it) {
  pmu::Pmu p(config(4));
  wr(p, pmevtyper(0), pmu::event::INST_RETIRED);
  wr(p, pmevtyper(1), pmu::event::INST_RETIRED | kFiltU);  // not at EL0
  wr(p, kPMCNTENSET, kCycleBit | 3);
  wr(p, kPMCR, kE | kD);
  uint64_t el0 = 0, el1 = 0;
  std::mt19937_64 rng(7);
  for (unsigned i = 0; i < 200; ++i) {
    const uint64_t a = rng() % 50, b = rng() % 50;
    p.add_instructions({a, b, 0});
    el0 += a;
    el1 += b;
    uint64_t v = 0;
    BOOST_REQUIRE(p.read_counter(0, kEl1, v) == pmu::Pmu::Access::kOk);
    BOOST_TEST(v == el0 + el1);
    BOOST_REQUIRE(p.read_counter(1, kEl1, v) == pmu::Pmu::Access::kOk);
    BOOST_TEST(v == el1);
    BOOST_REQUIRE(p.read_counter(kCycle, kEl1, v) == pmu::Pmu::Access::kOk);
    BOOST_TEST(v == (el0 + el1) / 64);
    wr(p, kPMSELR, 1);
    BOOST_REQUIRE(p.read_selected_counter(kEl1, v) == pmu::Pmu::Access::kOk);
    BOOST_TEST(v == el1);
  }
}

// The accesses ahead of the instruction clock (peek_counter, peek_selected_counter,
// write_counter_ahead, skip_unchanged_type, skip_unchanged_enables), which a partitioned
// guest's untrapped MRS/MSR make between two instruction batches. The oracle is the batch
// first, then the access by kind (the full way, itself held against the register table
// above): when the ahead access answers, its value, and the state once the batch is in,
// must be the oracle's; when it declines, it must have left the PMU untouched.
BOOST_AUTO_TEST_CASE(ahead_of_the_clock_matches_the_batch_first) {
  for (const Variant var : kVariants) {
    std::mt19937_64 rng(0xa7ead + var.n + var.pmuver);
    pmu::Pmu ahead(var.config()), batch(var.config());
    unsigned answered = 0, declined = 0;
    for (unsigned step = 0; step < 20000; ++step) {
      BOOST_TEST_CONTEXT("PMUVer " << int(var.pmuver) << ", N " << var.n << ", step " << step) {
        const unsigned what = rng() % 8;
        if (what < 2) {
          reprogram(rng, var, what == 0, ahead, batch);
        } else if (what == 2) {  // a counter's programming, through the table on both
          const unsigned idx = rng() % 4 == 0 ? kCycle : static_cast<unsigned>(rng() % var.n);
          const uint64_t t = type_value(rng), c = counter_value(rng), en = rng() & (kCycleBit | 0x3f),
                         sel = rng() % (var.n + 1);
          for (pmu::Pmu* p : {&ahead, &batch}) {
            wr(*p, idx == kCycle ? kPMCCFILTR : pmevtyper(idx), t, kEl2);
            wr(*p, idx == kCycle ? kPMCCNTR : pmevcntr(idx), c, kEl2);
            wr(*p, kPMCNTENSET, en, kEl2);
            wr(*p, kPMSELR, sel, kEl2);
          }
        } else {
          // Usually a short run since the last batch, sometimes one past any budget.
          const pmu::Pmu::Clock run = rng() % 8 == 0 ? pmu::Pmu::Clock{rng() % (uint64_t{1} << 33), rng() % 50, 0}
                                                     : pmu::Pmu::Clock{rng() % 30, rng() % 30, 0};
          const auto el = static_cast<uint8_t>(rng() % 2);  // a guest: EL0 or EL1
          const unsigned idx = rng() % 4 == 0 ? kCycle : static_cast<unsigned>(rng() % (var.n + 2));
          const std::vector<uint64_t> before = observe(ahead);
          uint64_t v_ahead = 0x1111;
          bool done = false;
          const char* kind = "";
          bool reads = false;
          // The access the full way (`by_kind`), on the PMU the batch has reached.
          std::function<pmu::Pmu::Access(pmu::Pmu&, uint64_t&)> by_kind;
          switch (rng() % 5) {
            case 0:
              kind = "counter read";
              reads = true;
              done = ahead.peek_counter(idx, el, run, v_ahead);
              by_kind = [&](pmu::Pmu& p, uint64_t& v) { return p.read_counter(idx, el, v); };
              break;
            case 1:
              kind = "selected counter read";
              reads = true;
              done = ahead.peek_selected_counter(el, run, v_ahead);
              by_kind = [&](pmu::Pmu& p, uint64_t& v) { return p.read_selected_counter(el, v); };
              break;
            case 2:
              kind = "counter write";
              v_ahead = counter_value(rng);
              done = ahead.write_counter_ahead(idx, el, run, v_ahead);
              by_kind = [&](pmu::Pmu& p, uint64_t& v) { return p.write_counter(idx, el, v); };
              break;
            case 3: {
              kind = "type write";
              // Often the value the register holds, as a profiler re-arming it writes.
              uint64_t cur = 0;
              if (batch.read_type(idx, kEl2, cur) != pmu::Pmu::Access::kOk) cur = 0;
              v_ahead = rng() % 2 ? cur : type_value(rng);
              done = ahead.skip_unchanged_type(idx, el, run, v_ahead);
              by_kind = [&](pmu::Pmu& p, uint64_t& v) { return p.write_type(idx, el, v); };
              break;
            }
            default: {
              const bool set = rng() % 2;
              kind = set ? "PMCNTENSET write" : "PMCNTENCLR write";
              uint64_t cur = 0;
              batch.read_enables(kEl2, cur);
              v_ahead = rng() % 2 ? (set ? cur : ~cur & (kCycleBit | 0x7fffffffu)) : rng() & (kCycleBit | 0x3f);
              done = ahead.skip_unchanged_enables(set, el, run, v_ahead);
              by_kind = [&, set](pmu::Pmu& p, uint64_t& v) { return p.write_enables(set, el, v); };
              break;
            }
          }
          // The oracle: the batch, then the access by kind (a write takes the value written).
          uint64_t v_batch = reads ? 0x1111 : v_ahead;
          batch.add_instructions(run);
          const pmu::Pmu::Access full = by_kind(batch, v_batch);
          BOOST_TEST_CONTEXT(kind << " at EL" << int(el) << ", run " << run[0] << "+" << run[1]) {
            if (done) {
              ++answered;
              BOOST_TEST((full == pmu::Pmu::Access::kOk));
              BOOST_TEST(v_ahead == v_batch);
              ahead.add_instructions(run);
            } else {
              ++declined;
              BOOST_TEST(observe(ahead) == before, boost::test_tools::per_element());
              // The caller's full way gives the oracle's answer.
              ahead.add_instructions(run);
              uint64_t v = reads ? 0x1111 : v_ahead;
              BOOST_TEST((by_kind(ahead, v) == full));
              BOOST_TEST(v == v_batch);
            }
          }
        }
        BOOST_TEST(observe(ahead) == observe(batch), boost::test_tools::per_element());
      }
    }
    // Both outcomes were exercised.
    BOOST_TEST(answered > 2000u);
    BOOST_TEST(declined > 500u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
