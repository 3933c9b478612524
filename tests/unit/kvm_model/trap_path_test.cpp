// The trapped-access path of a running vCPU (Vcpu as the core's SysRegPort): after its
// first execution a bound MRS/MSR runs the handler the model installed for its route
// (SysRegPort::bound_handler), which must keep every behaviour of the generic path,
// including the --trace sysreg tracepoint switched on and off between runs.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "kvm_model/kvm.h"
#include "tests/support/guest_vcpu.h"
#include "tests/support/two_cluster_host.h"

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

namespace {

// MRS/MSR Xt, <op0=3, op1=3, CRn=9, CRm, op2> (Arm ARM C6.2.x: L at bit 21, o0 at 19).
constexpr uint32_t sysreg_insn(bool read, uint32_t crm, uint32_t op2, uint32_t rt) {
  return 0xD5100000u | (read ? 1u << 21 : 0) | 1u << 19 | 3u << 16 | 9u << 12 | crm << 8 | op2 << 5 | rt;
}
constexpr uint32_t kMrsX1Pmcr = sysreg_insn(true, 12, 0, 1);     // PMCR_EL0
constexpr uint32_t kMsrPmselrX0 = sysreg_insn(false, 12, 5, 0);  // PMSELR_EL0
constexpr uint32_t kAddX0X0One = 0x91000400;                     // ADD X0, X0, #1
constexpr uint32_t kBMinus12 = 0x17FFFFFD;                       // B .-12
constexpr uint32_t kLoop[] = {kMrsX1Pmcr, kAddX0X0One, kMsrPmselrX0, kBMinus12};

struct Access {
  bool is_read;
  uint64_t value;
};

// kLoop on a vCPU with the PMU.
struct RunningVcpu : test_support::GuestVcpu {
  std::vector<Access> seen;

  RunningVcpu() : GuestVcpu(test_support::two_cluster_host(4, 6), vp::Era::k6_7, kLoop, test_support::pmu_v3()) {}
  // Runs `insns` guest instructions (whole loop iterations).
  void run(uint64_t insns) {
    v->run_struct().insn_budget = insns;
    BOOST_REQUIRE(v->run() == -EINTR);
    BOOST_REQUIRE(v->run_struct().insns_retired == insns);
  }
  void trace(bool on) {
    if (!on) return v->set_sysreg_trace(nullptr);
    v->set_sysreg_trace([this](unsigned, uint32_t, uint8_t el, arch::SysRegKey, bool is_read, uint64_t value,
                               bool undef) {
      BOOST_TEST(el == 1);
      BOOST_TEST(!undef);
      seen.push_back({is_read, value});
    });
  }
  uint64_t one_reg(uint64_t id) {
    uint64_t value = 0;
    BOOST_REQUIRE(v->get_one_reg(id, value) == 0);
    return value;
  }
};

constexpr uint64_t kPmcrId = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();
constexpr uint64_t kPmselrId = arch::SysRegKey{3, 3, 9, 12, 5}.to_one_reg_id();

}  // namespace

BOOST_AUTO_TEST_SUITE(trap_path)

// Each run executes every access of the loop 100 times; the first run binds them.
BOOST_FIXTURE_TEST_CASE(installed_handlers_trace_and_update_like_the_generic_path, RunningVcpu) {
  run(400);
  BOOST_TEST(one_reg(km::kRegX(0)) == 100u);
  BOOST_TEST(one_reg(kPmselrId) == 100u);  // access_pmselr stores the whole value (reads mask SEL)
  BOOST_TEST(one_reg(km::kRegX(1)) == one_reg(kPmcrId));

  // Switched on after the accesses were bound: every access still reaches the tracepoint.
  trace(true);
  run(400);
  BOOST_REQUIRE(seen.size() == 200u);
  const uint64_t pmcr = one_reg(kPmcrId);
  for (size_t k = 0; k < seen.size(); k += 2) {
    BOOST_TEST(seen[k].is_read);
    BOOST_TEST(seen[k].value == pmcr);
    BOOST_TEST(!seen[k + 1].is_read);
    BOOST_TEST(seen[k + 1].value == 101 + k / 2);  // X0 after this iteration's ADD
  }
  BOOST_TEST(one_reg(kPmselrId) == 200u);

  // And off again: no more calls, the register still follows X0.
  trace(false);
  run(400);
  BOOST_TEST(seen.size() == 200u);
  BOOST_TEST(one_reg(km::kRegX(0)) == 300u);
  BOOST_TEST(one_reg(kPmselrId) == 300u);
}

BOOST_AUTO_TEST_SUITE_END()
