// Reading kselftest's outcome and reason from one run: the exit statuses kselftest defines
// (0 pass, 4 KSFT_SKIP, anything else a failure), pmuemu user's wall-clock limit, and the
// reason lines of the formats the KVM selftests print (test_assert(), ksft_exit_skip(),
// ksft_test_result_fail(), pmuemu's own message for a signal).
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include "emu/conformance/selftests.h"

using namespace pmuemu::conformance;

namespace pmuemu::conformance {
std::ostream& operator<<(std::ostream& os, Outcome o) { return os << outcome_name(o); }
}  // namespace pmuemu::conformance

BOOST_AUTO_TEST_SUITE(selftest_outcomes)

BOOST_AUTO_TEST_CASE(exit_statuses) {
  BOOST_TEST(classify(0, "") == Outcome::kPass);
  BOOST_TEST(classify(4, "1..0 # SKIP - x\n") == Outcome::kSkip);
  BOOST_TEST(classify(254, "") == Outcome::kFail);
  BOOST_TEST(classify(1, "") == Outcome::kFail);
  BOOST_TEST(classify(139, "") == Outcome::kFail);
  // Status 3 is pmuemu user's "cannot go on": a timeout only when the wall-clock limit says so.
  BOOST_TEST(classify(3, "pmuemu: /b/t: wall-clock limit of 120 s reached\n") == Outcome::kTimeout);
  BOOST_TEST(classify(3, "pmuemu: /b/t: --max-insns reached\n") == Outcome::kFail);
  BOOST_TEST(std::string(outcome_name(Outcome::kFail)) == "FAIL");
  BOOST_TEST(std::string(outcome_name(Outcome::kTimeout)) == "timeout");
}

BOOST_AUTO_TEST_CASE(assertion_with_message) {
  const std::string out =
      "Random seed: 0x6b8b4567\n"
      "==== Test Assertion Failure ====\n"
      "  aarch64/vpmu_counter_access.c:196: !(_tval & mask)\n"
      "  pid=1 tid=1 errno=4 - Interrupted system call\n"
      "     1\t0x0000000000402f10: run_vcpu at vpmu_counter_access.c:412\n"
      "     2\t0x0000000000403c44: main at vpmu_counter_access.c:670\n"
      "  tval: 0x8000000e; mask: 0x7fffffff; set_expected: 0\n";
  BOOST_TEST(outcome_reason(Outcome::kFail, 254, out) ==
             "aarch64/vpmu_counter_access.c:196: !(_tval & mask): tval: 0x8000000e; mask: 0x7fffffff; set_expected: 0");
}

BOOST_AUTO_TEST_CASE(assertion_without_message) {
  const std::string out = "==== Test Assertion Failure ====\n  lib/kvm_util.c:12: !ret\n  pid=1 tid=1 errno=22\n";
  BOOST_TEST(outcome_reason(Outcome::kFail, 254, out) == "lib/kvm_util.c:12: !ret");
}

BOOST_AUTO_TEST_CASE(assertion_after_results) {
  // TEST_ASSERT_EQ's message starts with a number: it is not a backtrace line.
  const std::string out =
      "TAP version 13\n1..80\nok 1 ID_AA64DFR0_EL1_DoubleLock\nok 56 ID_AA64MMFR0_EL1_BIGEND\n"
      "==== Test Assertion Failure ====\n"
      "  aarch64/set_id_regs.c:434: masks[idx] & ftr_bits[j].mask == ftr_bits[j].mask\n"
      "  pid=1 tid=1 errno=22 - Invalid argument\n"
      "  0 != 0xf0 (masks[idx] & ftr_bits[j].mask != ftr_bits[j].mask)\n";
  BOOST_TEST(outcome_reason(Outcome::kFail, 254, out) ==
             "aarch64/set_id_regs.c:434: masks[idx] & ftr_bits[j].mask == ftr_bits[j].mask: 0 != 0xf0 "
             "(masks[idx] & ftr_bits[j].mask != ftr_bits[j].mask) (after ok 56 ID_AA64MMFR0_EL1_BIGEND)");
}

BOOST_AUTO_TEST_CASE(skip_line) {
  BOOST_TEST(outcome_reason(Outcome::kSkip, 4, "Random seed: 1\n1..0 # SKIP - Requirement not met: kvm_has_cap(X)\n") ==
             "Requirement not met: kvm_has_cap(X)");
  BOOST_TEST(outcome_reason(Outcome::kSkip, 4, "") == "exit status 4 (KSFT_SKIP)");
}

BOOST_AUTO_TEST_CASE(ksft_result_and_signal) {
  BOOST_TEST(outcome_reason(Outcome::kFail, 1, "TAP version 13\nok 1 vregs\nnot ok 2 vregs+pmu\n") ==
             "not ok 2 vregs+pmu");
  BOOST_TEST(outcome_reason(Outcome::kFail, 139, "pmuemu: /b/t: SIGSEGV at 0x10 (segmentation fault)\n") ==
             "SIGSEGV at 0x10 (segmentation fault)");
  BOOST_TEST(outcome_reason(Outcome::kFail, 7, "nothing\n") == "exit status 7");
  BOOST_TEST(outcome_reason(Outcome::kPass, 0, "not ok 1\n").empty());
}

BOOST_AUTO_TEST_SUITE_END()
