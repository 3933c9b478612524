// PV stolen time (arm64 DEN0057A, Linux's pvtime.c): the record at KVM_ARM_VCPU_PVTIME_IPA
// is zeroed by the guest's PV_TIME_ST call, which starts counting from the calling thread's
// run delay then; every KVM_RUN adds the run delay gathered since the previous update
// (kvm_update_stolen_time() at vcpu_load), to whatever the record holds.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kvm_model/kvm.h"
#include "tests/support/guest_vcpu.h"
#include "tests/support/two_cluster_host.h"

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

namespace {

constexpr uint64_t kRamBase = test_support::GuestVcpu::kRamBase;
constexpr uint64_t kRecord = kRamBase + 0x8000;  // 64-byte aligned, in RAM
constexpr uint32_t kPvtimeCtrl = 2, kPvtimeIpa = 0;
// x0 = PV_TIME_ST (0xc5000021); HVC #0; then spin.
constexpr uint32_t kCode[] = {0xd2800420 /* movz x0, #0x21 */, 0xf2b8a000 /* movk x0, #0xc500, lsl #16 */,
                              0xd4000002 /* hvc #0 */, 0x14000000 /* b . */};

struct PvTimeVcpu : test_support::GuestVcpu {
  PvTimeVcpu() : GuestVcpu(test_support::two_cluster_host(4, 6), vp::Era::k6_7, kCode) {
    const uint64_t ipa = kRecord;
    BOOST_REQUIRE(v->set_device_attr(kPvtimeCtrl, kPvtimeIpa, &ipa) == 0);
  }
  uint64_t stolen() const {
    uint64_t s;
    std::memcpy(&s, ram.data() + (kRecord - kRamBase) + 8, 8);
    return s;
  }
  void set_stolen(uint64_t s) { std::memcpy(ram.data() + (kRecord - kRamBase) + 8, &s, 8); }
  void run(uint64_t caller_run_delay) {
    v->set_caller_run_delay(caller_run_delay);
    v->run_struct().insn_budget = 16;
    BOOST_REQUIRE(v->run() == -EINTR);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(stolen_time)

BOOST_FIXTURE_TEST_CASE(the_record_follows_the_callers_run_delay, PvTimeVcpu) {
  set_stolen(1000);  // whatever the guest memory held
  // First run: the update at entry adds the run delay since 0 to the old contents; then
  // the guest's PV_TIME_ST zeroes the record and counts from 500.
  run(500);
  uint64_t x0 = 0;
  BOOST_REQUIRE(v->get_one_reg(km::kRegX(0), x0) == 0);
  BOOST_TEST(x0 == kRecord);
  const std::vector<uint8_t> zero(64, 0);
  BOOST_TEST(std::memcmp(ram.data() + (kRecord - kRamBase), zero.data(), 64) == 0);
  // The thread waited 1200 ns for its CPU before the next KVM_RUN.
  run(1700);
  BOOST_TEST(stolen() == 1200u);
  run(1700);  // no more waiting: nothing added
  BOOST_TEST(stolen() == 1200u);
  run(2000);
  BOOST_TEST(stolen() == 1500u);
}

BOOST_FIXTURE_TEST_CASE(the_ipa_alone_starts_the_updates, PvTimeVcpu) {
  // A vCPU whose guest never asked for stolen time still has its record updated at each
  // run once the IPA is set (Linux checks only the IPA), from 0.
  std::memcpy(ram.data(), "\x00\x00\x00\x14", 4);  // b . : no PV_TIME_ST call
  run(300);
  BOOST_TEST(stolen() == 300u);
  run(300);
  BOOST_TEST(stolen() == 300u);
}

BOOST_AUTO_TEST_SUITE_END()
