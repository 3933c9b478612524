// A vCPU's clock across a move between cores of different clocks: the counter runs at
// CNTFRQ whatever the core's clock, so the count reached carries over at vcpu_load and
// from there on advances with the new core's cycles (a quantum of instructions is fewer
// microseconds on a faster core).
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/kvm.h"
#include "tests/support/guest_vcpu.h"
#include "tests/support/two_cluster_host.h"

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

namespace {

const uint64_t kTimerCnt = arch::SysRegKey{3, 3, 14, 3, 2}.to_one_reg_id();  // KVM_REG_ARM_TIMER_CNT

km::HostDesc host_with_clocks(uint32_t little_mhz, uint32_t big_mhz) {
  km::HostDesc d = test_support::two_cluster_host(4, 6);
  for (auto& c : d.cpus) c.frequency_mhz = c.cluster ? big_mhz : little_mhz;
  return d;
}

constexpr uint32_t kSpin[] = {0x14000000 /* b . */};

struct SpinningVcpu : test_support::GuestVcpu {
  SpinningVcpu() : GuestVcpu(host_with_clocks(1000, 2000), vp::Era::k6_7, kSpin) {}
  void run(uint64_t insns) {
    v->run_struct().insn_budget = insns;
    BOOST_REQUIRE(v->run() == -EINTR);
    BOOST_REQUIRE(v->run_struct().insns_retired == insns);
  }
  uint64_t count() {
    uint64_t c = 0;
    BOOST_REQUIRE(v->get_one_reg(kTimerCnt, c) == 0);
    return c;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(vcpu_clock)

BOOST_FIXTURE_TEST_CASE(the_count_carries_over_a_move_to_a_faster_core, SpinningVcpu) {
  v->vcpu_load(0);  // the 1000 MHz cluster
  const uint64_t start = count();
  run(2'000'000);
  const uint64_t before = count();
  BOOST_TEST(before > start);
  v->vcpu_load(2);  // the 2000 MHz cluster: the same count, not the history read at the new clock
  const uint64_t moved = count();
  BOOST_TEST(moved >= before);
  BOOST_TEST(moved - before <= 1u);
  run(2'000'000);  // twice the clock: half the ticks of the same instructions
  const uint64_t fast = count() - moved;
  v->vcpu_load(1);  // back to 1000 MHz
  const uint64_t back = count();
  BOOST_TEST(back >= moved + fast);
  BOOST_TEST(back - (moved + fast) <= 1u);
  run(2'000'000);
  const uint64_t slow = count() - back;
  BOOST_TEST(slow >= 2 * fast - 2);
  BOOST_TEST(slow <= 2 * fast + 2);
  BOOST_TEST(slow >= before - start - 1, "the same instructions on the same core: the same ticks");
  BOOST_TEST(slow <= before - start + 1, "the same instructions on the same core: the same ticks");
}

BOOST_AUTO_TEST_SUITE_END()
