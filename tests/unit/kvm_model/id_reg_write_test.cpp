// Writable feature ID registers through KVM_SET_ONE_REG (sys_regs.c set_id_reg and
// arm64_check_features): per era which fields a VMM may lower, the errno of anything else,
// the VM-wide value every vCPU's guest then reads, and -EBUSY once the VM ran. The hosts are
// cpu::IdRegs' defaults: ISAR0.Atomic 2, MMFR0 0x0F000025 (TGran64 not implemented,
// TGran4 0, ASIDBits 2, PARange 5), DFR0 0x101406 (WRPs 1, BRPs 1, PMUVer 4, DebugVer 6).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/id_writable.h"
#include "kvm_model/kvm.h"
#include "tests/support/guest_vcpu.h"
#include "tests/support/two_cluster_host.h"

namespace km = kvm_model;
namespace bdata = boost::unit_test::data;
using km::vpmu::Era;

namespace {

constexpr uint64_t id_of(uint8_t crm, uint8_t op2) { return arch::SysRegKey{3, 0, 0, crm, op2}.to_one_reg_id(); }
constexpr uint64_t kPfr0 = id_of(4, 0), kDfr0 = id_of(5, 0), kIsar0 = id_of(6, 0), kMmfr0 = id_of(7, 0),
                   kMmfr1 = id_of(7, 1), kUnallocated = id_of(4, 3);
constexpr uint32_t kMrsX1Isar0 = 0xD5380601;  // MRS X1, ID_AA64ISAR0_EL1
constexpr uint32_t kBSelf = 0x14000000;       // B .
constexpr uint32_t kCode[] = {kMrsX1Isar0, kBSelf};
constexpr uint64_t field(uint64_t v, unsigned shift) { return (v >> shift) & 0xf; }
constexpr uint64_t with(uint64_t v, unsigned shift, uint64_t f) { return (v & ~(uint64_t{0xf} << shift)) | (f << shift); }

// `n` vCPUs (at least one), all with the PMU feature or none, each at kCode.
struct Vm : test_support::GuestVcpu {
  explicit Vm(Era era, unsigned n = 2, bool pmu = false)
      : GuestVcpu(test_support::two_cluster_host(4, 6), era, kCode, {pmu ? 1u << km::KVM_ARM_VCPU_PMU_V3 : 0u, {}}) {
    while (vcpus.size() < n) add_vcpu();
  }
  uint64_t get(unsigned vcpu, uint64_t id) {
    uint64_t value = 0;
    BOOST_REQUIRE(vcpus[vcpu]->get_one_reg(id, value) == 0);
    return value;
  }
  int set(uint64_t id, uint64_t value, unsigned vcpu = 0) { return vcpus[vcpu]->set_one_reg(id, value); }
  // Runs the guest's MRS and returns what it read.
  uint64_t guest_isar0(unsigned vcpu) {
    vcpus[vcpu]->run_struct().insn_budget = 2;
    BOOST_REQUIRE(vcpus[vcpu]->run() == -EINTR);
    return get(vcpu, km::kRegX(1));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(id_reg_write)

BOOST_AUTO_TEST_CASE(writable_masks_per_era) {
  std::vector<uint64_t> m;
  // Before 6.7: the PMU version, and PFR0's CSV2 and CSV3.
  for (Era e : {Era::k6_6, Era::kV5}) {
    km::id_writable::writable_masks(e, m);
    BOOST_TEST(m.size() == 192u);
    for (size_t i = 0; i < m.size(); ++i)
      BOOST_TEST(m[i] == (i == 5 * 8 ? 0xf00u : i == 4 * 8 ? 0xff00000000000000u : 0u), "era " << e << " idx " << i);
  }
  // 6.7: DFR0 PMUVer and DebugVer; PFR0 without GIC; MMFR0 with ASIDBits; no CTR_EL0.
  km::id_writable::writable_masks(Era::k6_7, m);
  BOOST_TEST(m[5 * 8] == 0xf0fu);
  BOOST_TEST(field(m[4 * 8], 24) == 0u);
  BOOST_TEST(field(m[4 * 8], 4) == 0xfu);  // EL1
  BOOST_TEST(field(m[4 * 8], 16) == 0u);   // FP never
  BOOST_TEST(m[4 * 8 + 1] == 0u);          // PFR1
  BOOST_TEST(field(m[7 * 8], 4) == 0xfu);
  BOOST_TEST(m[2 * 64 + 1] == 0u);
  // Newest: DoubleLock and WRPs too; GIC, PFR1 and ZFR0 writable; ASIDBits read-only; CTR_EL0.
  km::id_writable::writable_masks(Era::kNewest, m);
  BOOST_TEST(m[5 * 8] == 0xf000f00f0fu);
  BOOST_TEST(field(m[4 * 8], 24) == 0xfu);
  BOOST_TEST(m[4 * 8 + 1] == 0xf000000ffu);
  BOOST_TEST(m[4 * 8 + 4] == 0x0ff0ff0f0fff00ffu);
  BOOST_TEST(field(m[7 * 8], 4) == 0u);
  BOOST_TEST(field(m[7 * 8], 0) == 0xfu);
  BOOST_TEST(m[6 * 8] == 0xfffffffffffffff0u);
  BOOST_TEST(m[2 * 64 + 1] == 0x300f000fu);
  BOOST_TEST(m[4 * 8 + 2] == 0xf00000000u);  // PFR2.FPMR
  BOOST_TEST(m[4 * 8 + 7] == 0xf0000003u);   // FPFR0
  BOOST_TEST(m[7 * 8 + 3] == 0xf0f0fu);      // MMFR3
  BOOST_TEST(m[6 * 8 + 3] == 0u);            // unallocated in 6.12
}

BOOST_DATA_TEST_CASE(lowered_field_is_the_vms_and_every_guest_reads_it, bdata::make({Era::k6_7, Era::kNewest}), era) {
  Vm f(era);
  const uint64_t isar0 = f.get(0, kIsar0);
  BOOST_REQUIRE(field(isar0, 20) == 2u);  // Atomic: LSE
  BOOST_TEST(f.set(kIsar0, with(isar0, 20, 3)) == -EINVAL);  // more than the host has
  BOOST_TEST(f.set(kIsar0, with(isar0, 24, 1)) == -EINVAL);  // TME: no cpufeature field, fixed
  BOOST_TEST(f.get(0, kIsar0) == isar0);
  const uint64_t lowered = with(isar0, 20, 0);
  BOOST_TEST(f.set(kIsar0, lowered, 1) == 0);  // through vCPU 1: the VM's value
  BOOST_TEST(f.get(0, kIsar0) == lowered);
  BOOST_TEST(f.get(1, kIsar0) == lowered);
  f.add_vcpu();
  BOOST_TEST(f.get(2, kIsar0) == lowered);
  // Back up to the limit is allowed before the run (the limit is the host's, not the last value).
  BOOST_TEST(f.set(kIsar0, isar0) == 0);
  BOOST_TEST(f.set(kIsar0, lowered) == 0);
  BOOST_TEST(f.guest_isar0(0) == lowered);
  BOOST_TEST(f.guest_isar0(2) == lowered);
  // The VM ran: its ID registers are fixed.
  BOOST_TEST(f.set(kIsar0, isar0) == -EBUSY);
  BOOST_TEST(f.set(kIsar0, lowered) == 0);
  // A vCPU reset keeps them.
  km::kvm_vcpu_init init;
  BOOST_REQUIRE(f.vcpus[0]->arm_vcpu_init(init) == 0);
  BOOST_TEST(f.get(0, kIsar0) == lowered);
}

BOOST_AUTO_TEST_CASE(before_6_7_feature_fields_are_fixed) {
  for (Era e : {Era::k6_6, Era::kV5}) {
    Vm f(e);
    const uint64_t isar0 = f.get(0, kIsar0);
    BOOST_TEST(f.set(kIsar0, with(isar0, 20, 0)) == -EINVAL);
    BOOST_TEST(f.set(kIsar0, isar0) == 0);
    BOOST_TEST(f.get(0, kIsar0) == isar0);
    // CSV2 and CSV3 are (6.6's set_id_reg): lowering them is taken, raising them is not.
    const uint64_t pfr0 = f.get(0, kPfr0);
    BOOST_TEST(f.set(kPfr0, with(pfr0, 56, field(pfr0, 56) + 1)) == -EINVAL);
    BOOST_TEST(f.set(kPfr0, with(pfr0, 4, 0)) == -EINVAL);  // EL1: not yet
    if (field(pfr0, 56) > 0) {
      BOOST_TEST(f.set(kPfr0, with(pfr0, 56, 0)) == 0);
      BOOST_TEST(field(f.get(1, kPfr0), 56) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(asidbits_is_read_only_after_6_7) {
  Vm newest(Era::kNewest), v67(Era::k6_7);
  const uint64_t mmfr0 = newest.get(0, kMmfr0);
  BOOST_REQUIRE(field(mmfr0, 4) == 2u);
  BOOST_TEST(newest.set(kMmfr0, with(mmfr0, 4, 0)) == -EINVAL);
  BOOST_TEST(v67.set(kMmfr0, with(mmfr0, 4, 0)) == 0);
  BOOST_TEST(field(v67.get(1, kMmfr0), 4) == 0u);
  // PARange lowers in both.
  BOOST_TEST(newest.set(kMmfr0, with(mmfr0, 0, 4)) == 0);
  BOOST_TEST(newest.set(kMmfr0, with(mmfr0, 0, 6)) == -EINVAL);
}

BOOST_DATA_TEST_CASE(signed_and_higher_safe_fields, bdata::make({Era::k6_7, Era::kNewest}), era) {
  Vm f(era);
  const uint64_t mmfr0 = f.get(0, kMmfr0);
  BOOST_REQUIRE(field(mmfr0, 24) == 0xfu);  // TGran64: -1, not implemented
  BOOST_REQUIRE(field(mmfr0, 28) == 0u);    // TGran4: implemented
  BOOST_TEST(f.set(kMmfr0, with(mmfr0, 24, 0)) == -EINVAL);   // 0 > -1: more than the host
  BOOST_TEST(f.set(kMmfr0, with(mmfr0, 28, 0xf)) == 0);       // -1 < 0: less
  BOOST_TEST(f.set(kMmfr0, with(mmfr0, 28, 1)) == -EINVAL);   // 52-bit 4K: more
  // TGran4_2 (stage 2) is not writable: cpufeature's FTR_EXACT field outside the mask.
  BOOST_TEST(f.set(kMmfr0, with(mmfr0, 40, 1)) == -EINVAL);
  // SpecSEI is higher-safe: a guest may be told more SErrors are possible, never fewer.
  const uint64_t mmfr1 = f.get(0, kMmfr1);
  BOOST_REQUIRE(field(mmfr1, 24) == 0u);
  BOOST_TEST(f.set(kMmfr1, with(mmfr1, 24, 1)) == 0);
  BOOST_TEST(field(f.get(0, kMmfr1), 24) == 1u);
}

BOOST_AUTO_TEST_CASE(pfr0_gic_is_writable_only_in_the_newest_era) {
  for (Era e : {Era::k6_7, Era::kNewest}) {
    Vm f(e);
    const uint64_t pfr0 = f.get(0, kPfr0);
    // EL1 AArch64-only (1) lowers to 0 in both; GIC cannot claim more than the host.
    BOOST_TEST(f.set(kPfr0, with(pfr0, 4, 2)) == -EINVAL);
    BOOST_TEST(f.set(kPfr0, with(pfr0, 24, field(pfr0, 24) + 1)) == -EINVAL);
    BOOST_TEST(f.set(kPfr0, with(pfr0, 16, 0xf)) == -EINVAL);  // FP never writable
  }
}

BOOST_AUTO_TEST_CASE(dfr0_debug_and_pmu_fields) {
  Vm newest(Era::kNewest), v67(Era::k6_7);
  const uint64_t dfr0 = newest.get(0, kDfr0);
  BOOST_REQUIRE(field(dfr0, 8) == 0u);  // no PMU feature: PMUVer 0
  BOOST_REQUIRE(field(dfr0, 0) == 6u);
  BOOST_TEST(newest.set(kDfr0, with(dfr0, 0, 5)) == -EINVAL);  // DebugVer below Armv8.0
  BOOST_TEST(newest.set(kDfr0, with(dfr0, 0, 7)) == -EINVAL);  // above the host
  BOOST_TEST(newest.set(kDfr0, with(dfr0, 8, 1)) == -EINVAL);  // a PMU the vCPU does not have
  BOOST_TEST(newest.set(kDfr0, with(dfr0, 8, 0xf)) == 0);      // IMP_DEF: taken as none
  BOOST_TEST(field(newest.get(0, kDfr0), 8) == 0u);
  // WRPs (1 on the host) lowers in the newest era only; BRPs never.
  BOOST_TEST(newest.set(kDfr0, with(dfr0, 20, 0)) == 0);
  BOOST_TEST(field(newest.get(1, kDfr0), 20) == 0u);
  BOOST_TEST(v67.set(kDfr0, with(dfr0, 20, 0)) == -EINVAL);
  BOOST_TEST(newest.set(kDfr0, with(dfr0, 12, 0)) == -EINVAL);
  // With the PMU feature PMUVer lowers through the vPMU.
  Vm pmu(Era::kNewest, 1, true);
  const uint64_t pdfr0 = pmu.get(0, kDfr0);
  BOOST_REQUIRE(field(pdfr0, 8) == 4u);
  BOOST_TEST(pmu.set(kDfr0, with(pdfr0, 8, 1)) == 0);
  BOOST_TEST(field(pmu.get(0, kDfr0), 8) == 1u);
  BOOST_TEST(pmu.set(kDfr0, with(pdfr0, 8, 5)) == -EINVAL);
}

// KVM advertises the GICv3 CPU interface of a GICv3 host (PFR0.GIC = 1) to every VM; the
// newest era takes it back at the first run of a VM that created no vGICv3, whose ICC_*
// registers UNDEF (no-vgic-v3), while 6.7 leaves the guest told of it.
BOOST_AUTO_TEST_CASE(pfr0_gic_without_a_vgic) {
  for (Era e : {Era::k6_6, Era::k6_7, Era::kNewest}) {
    Vm f(e);
    BOOST_TEST(field(f.get(0, kPfr0), 24) == 1u, "era " << e);
    f.guest_isar0(0);
    const uint64_t want = e == Era::kNewest ? 0 : 1;
    BOOST_TEST(field(f.get(0, kPfr0), 24) == want, "era " << e);
    BOOST_TEST(field(f.get(1, kPfr0), 24) == want, "era " << e);
    f.add_vcpu();
    BOOST_TEST(field(f.get(2, kPfr0), 24) == want, "era " << e);
  }
}

// CTR_EL0: an invariant register up to 6.7, a writable VM feature register in the newest era.
BOOST_AUTO_TEST_CASE(ctr_el0_per_era) {
  constexpr uint64_t kCtr = arch::SysRegKey{3, 3, 0, 0, 1}.to_one_reg_id();
  for (Era e : {Era::k6_6, Era::k6_7, Era::kNewest}) {
    Vm f(e);
    const uint64_t ctr = f.get(0, kCtr);
    BOOST_REQUIRE(field(ctr, 0) > 0u);
    BOOST_TEST(f.set(kCtr, ctr) == 0);
    BOOST_TEST(f.set(kCtr, ctr - 1) == (e == Era::kNewest ? 0 : -EINVAL), "era " << e);  // IminLine lowered
    BOOST_TEST(f.get(1, kCtr) == (e == Era::kNewest ? ctr - 1 : ctr), "era " << e);
  }
}

BOOST_AUTO_TEST_CASE(unallocated_ids_are_raz) {
  Vm f(Era::kNewest);
  // Writable in Linux but zero on these cores: nothing to lower.
  BOOST_TEST(f.set(id_of(4, 2), uint64_t{1} << 32) == -EINVAL);
  BOOST_TEST(f.set(id_of(4, 2), 0) == 0);
  BOOST_TEST(f.get(0, kUnallocated) == 0u);
  BOOST_TEST(f.set(kUnallocated, 0) == 0);
  BOOST_TEST(f.set(kUnallocated, 1) == -EINVAL);
}

BOOST_AUTO_TEST_SUITE_END()
