// Core::run_loop's modes (cpu/core.cpp): chained (functional, the block fits the budget),
// stepped (a tracer, or a budget ending inside a block) and timed (a timing model). The
// invariant each mode must keep: a run's RunResult::retired is exactly the instructions
// that architecturally completed, and that number, no more and no less, joins
// retired_total() and retired_by_el() by the time run() returns, whatever ended the run
// (budget, stop request, guest exit).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <ostream>
#include <string>

#include "cpu/timing/timing_model.h"
#include "cpu_fixture.h"

namespace bdata = boost::unit_test::data;
using test::CpuFixture;

namespace {

enum class Mode { kChained, kStepped, kTimed };
const char* mode_name(Mode m) { return m == Mode::kChained ? "chained" : m == Mode::kStepped ? "stepped" : "timed"; }
std::ostream& operator<<(std::ostream& os, Mode m) { return os << mode_name(m); }

// Seven counting adds and a branch back: after R retired instructions x0 = R - R/8, an
// oracle that does not depend on the loop's own bookkeeping.
void load_counting_loop(CpuFixture& f) {
  f.load({{0x91000400, "add x0, x0, #1"},
          {0x91000400, "add x0, x0, #1"},
          {0x91000400, "add x0, x0, #1"},
          {0x91000400, "add x0, x0, #1"},
          {0x91000400, "add x0, x0, #1"},
          {0x91000400, "add x0, x0, #1"},
          {0x91000400, "add x0, x0, #1"},
          {0x17fffff9, "b #0x40001000"}});
}
uint64_t expected_x0(uint64_t retired) { return retired - retired / 8; }

struct ModeFixture {
  CpuFixture f;
  std::unique_ptr<cpu::timing::TimingModel> model;
  uint64_t traced = 0;
  uint64_t stop_at = 0;  // the tracer requests a stop at this traced instruction (0: never)
  bool tracing = false;
  explicit ModeFixture(Mode m) : tracing(m != Mode::kChained) {
    if (m == Mode::kTimed) {
      model = std::make_unique<cpu::timing::TimingModel>(cpu::timing::CoreTimingParams{});
      f.core.set_timing_model(model.get());
    }
    if (tracing)
      f.core.set_tracer([this](const cpu::Core&, uint64_t, uint32_t) {
        if (++traced == stop_at) f.core.request_stop();
      });
  }
  uint64_t el_sum() const { return f.core.retired_by_el()[0] + f.core.retired_by_el()[1]; }
  // One run, with the invariant checked on its result.
  cpu::RunResult run(uint64_t budget) {
    const uint64_t total0 = f.core.retired_total(), el0 = el_sum(), traced0 = traced;
    const uint64_t model0 = model ? model->instructions() : 0;
    const cpu::RunResult r = f.step(budget);
    BOOST_TEST(f.core.retired_total() - total0 == r.retired);
    BOOST_TEST(el_sum() - el0 == r.retired);
    if (r.reason == cpu::ExitReason::kBudget) BOOST_TEST(r.retired == budget);
    if (tracing) BOOST_TEST(traced - traced0 == r.retired);  // every traced instruction here retires
    if (model) BOOST_TEST(model->instructions() - model0 == r.retired);
    return r;
  }
};

const auto kModes = bdata::make({Mode::kChained, Mode::kStepped, Mode::kTimed});

}  // namespace

BOOST_AUTO_TEST_SUITE(run_loop)

// Budgets that end inside blocks, at their ends and across many blocks: every run's count is
// the architectural one.
BOOST_DATA_TEST_CASE(budget_exits_count_exactly, kModes, mode) {
  BOOST_TEST_CONTEXT("mode " << mode_name(mode)) {
    ModeFixture m(mode);
    load_counting_loop(m.f);
    uint64_t total = 0;
    for (uint64_t budget : {1, 3, 8, 5, 16, 1000, 7, 9, 100003, 2}) {
      const cpu::RunResult r = m.run(budget);
      BOOST_TEST((r.reason == cpu::ExitReason::kBudget));
      total += r.retired;
      BOOST_TEST(m.f.x(0) == expected_x0(total));
    }
  }
}

// A stop requested while a block runs takes effect at the next block entry: the run
// returns kStopRequested with the instructions up to there, all counted.
BOOST_DATA_TEST_CASE(stop_requests_count_exactly, bdata::make({Mode::kStepped, Mode::kTimed}), mode) {
  BOOST_TEST_CONTEXT("mode " << mode_name(mode)) {
    ModeFixture m(mode);
    load_counting_loop(m.f);
    m.stop_at = 13;  // the 5th instruction of the second block
    const cpu::RunResult r = m.run(1000);
    BOOST_TEST((r.reason == cpu::ExitReason::kStopRequested));
    BOOST_TEST(r.retired == 16u);  // the second block completes, then the entry sees the stop
    BOOST_TEST(m.f.x(0) == expected_x0(16));
  }
}

// A stop requested before the run: nothing runs, nothing is counted (every mode).
BOOST_DATA_TEST_CASE(stop_before_the_run_counts_nothing, kModes, mode) {
  ModeFixture m(mode);
  load_counting_loop(m.f);
  m.run(5);
  m.f.core.request_stop();
  const cpu::RunResult r = m.run(1000);
  BOOST_TEST((r.reason == cpu::ExitReason::kStopRequested));
  BOOST_TEST(r.retired == 0u);
  BOOST_TEST(m.f.x(0) == expected_x0(5));
}

// A guest exit (semihosting HLT) ends the run after the exiting instruction, which retires.
BOOST_DATA_TEST_CASE(guest_exit_counts_the_exiting_instruction, kModes, mode) {
  BOOST_TEST_CONTEXT("mode " << mode_name(mode)) {
    ModeFixture m(mode);
    m.f.load({{0x91000400, "add x0, x0, #1"},
              {0x91000400, "add x0, x0, #1"},
              {0x14000001, "b #0x4000100c"},
              {0x91000400, "add x0, x0, #1"},
              {0xd45e0000, "hlt #0xf000"},
              {0x91000400, "add x0, x0, #1"}});
    const cpu::RunResult r = m.run(1000);
    BOOST_TEST((r.reason == cpu::ExitReason::kSemihosting));
    BOOST_TEST(r.retired == 5u);
    BOOST_TEST(m.f.x(0) == 3u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
