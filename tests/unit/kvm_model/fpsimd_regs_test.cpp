// The vCPU's SIMD&FP state through the KVM API: V0-V31 (U128), FPSR and FPCR (U32) by
// GET/SET_ONE_REG with Linux's core-register ids, in KVM_GET_REG_LIST in struct kvm_regs
// order, cleared by a vCPU reset, and the same registers the guest's instructions use.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/kvm.h"
#include "tests/support/guest_vcpu.h"
#include "tests/support/two_cluster_host.h"

namespace km = kvm_model;

namespace {

// struct kvm_regs as arch/arm64/include/uapi/asm/kvm.h lays it out (user_pt_regs, sp_el1,
// elr_el1, spsr[5], then user_fpsimd_state, whose __uint128_t members align it to 16).
struct KvmRegs {
  uint64_t regs[31], sp, pc, pstate;
  uint64_t sp_el1, elr_el1, spsr[5];
  struct alignas(16) {
    unsigned __int128 vregs[32];
    uint32_t fpsr, fpcr, reserved[2];
  } fp_regs;
};
constexpr uint64_t kArmCore = 0x6000000000000000ull | (0x0010ull << 16);
constexpr uint64_t kU32 = 0x0020000000000000ull, kU64 = 0x0030000000000000ull, kU128 = 0x0040000000000000ull;
constexpr uint64_t core(size_t byte_offset, uint64_t size) { return kArmCore | size | (byte_offset / 4); }

constexpr uint64_t kRamBase = test_support::GuestVcpu::kRamBase;
constexpr uint64_t kCpacrId = arch::SysRegKey{3, 0, 1, 0, 2}.to_one_reg_id();

// A vCPU with no program yet: a test writes its own into `ram`, where the PC points.
struct Vcpu : test_support::GuestVcpu {
  Vcpu() : GuestVcpu(test_support::two_cluster_host(4, 6), km::vpmu::Era::k6_7, {}) {}
  void init() {
    km::kvm_vcpu_init init;
    BOOST_REQUIRE(v->arm_vcpu_init(init) == 0);
  }
  void set_v(unsigned n, uint64_t lo, uint64_t hi) {
    const uint64_t b[2] = {lo, hi};
    BOOST_REQUIRE(v->set_one_reg_raw(km::kRegV(n), b) == 0);
  }
  std::pair<uint64_t, uint64_t> get_v(unsigned n) {
    uint64_t b[2] = {~0ull, ~0ull};
    BOOST_REQUIRE(v->get_one_reg_raw(km::kRegV(n), b) == 0);
    return {b[0], b[1]};
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fpsimd_one_reg)

BOOST_AUTO_TEST_CASE(ids_are_linuxs_and_the_list_starts_with_the_core_part_in_struct_order) {
  // The ids from the layout itself.
  BOOST_TEST(km::kRegV(0) == core(offsetof(KvmRegs, fp_regs.vregs), kU128));
  BOOST_TEST(km::kRegV(31) == core(offsetof(KvmRegs, fp_regs.vregs) + 31 * 16, kU128));
  BOOST_TEST(km::kRegFpsr == core(offsetof(KvmRegs, fp_regs.fpsr), kU32));
  BOOST_TEST(km::kRegFpcr == core(offsetof(KvmRegs, fp_regs.fpcr), kU32));

  Vcpu f;
  std::vector<uint64_t> ids;
  BOOST_REQUIRE(f.v->get_reg_list(ids) == 0);
  std::vector<uint64_t> want;
  for (unsigned n = 0; n < 31; ++n) want.push_back(core(offsetof(KvmRegs, regs) + 8 * n, kU64));
  for (size_t off : {offsetof(KvmRegs, sp), offsetof(KvmRegs, pc), offsetof(KvmRegs, pstate),
                     offsetof(KvmRegs, sp_el1), offsetof(KvmRegs, elr_el1)})
    want.push_back(core(off, kU64));
  for (unsigned n = 0; n < 5; ++n) want.push_back(core(offsetof(KvmRegs, spsr) + 8 * n, kU64));
  for (unsigned n = 0; n < 32; ++n) want.push_back(core(offsetof(KvmRegs, fp_regs.vregs) + 16 * n, kU128));
  want.push_back(core(offsetof(KvmRegs, fp_regs.fpsr), kU32));
  want.push_back(core(offsetof(KvmRegs, fp_regs.fpcr), kU32));
  BOOST_REQUIRE(ids.size() > want.size());
  BOOST_TEST(std::vector<uint64_t>(ids.begin(), ids.begin() + want.size()) == want, boost::test_tools::per_element());
  // No other core register anywhere in the list.
  for (size_t k = want.size(); k < ids.size(); ++k) BOOST_TEST((ids[k] & 0xffff0000ull & ~(0xfull << 52)) != kArmCore);
  // Every listed register reads through the raw form.
  for (uint64_t id : ids) {
    uint8_t buf[16];
    BOOST_TEST(f.v->get_one_reg_raw(id, buf) == 0, std::hex << id);
  }
}

BOOST_AUTO_TEST_CASE(v_registers_fpsr_and_fpcr_round_trip_and_check_their_size) {
  Vcpu f;
  f.set_v(7, 0x0123456789abcdefull, 0xfedcba9876543210ull);
  BOOST_TEST((f.get_v(7) == std::pair<uint64_t, uint64_t>{0x0123456789abcdefull, 0xfedcba9876543210ull}));
  BOOST_TEST((f.get_v(6) == std::pair<uint64_t, uint64_t>{0, 0}));
  // The 8-byte API cannot carry a V register; a V offset named with another size, or FPSR
  // named as U64, is -EINVAL as in Linux (the id's size must be the register's).
  uint64_t x = 0;
  BOOST_TEST(f.v->get_one_reg(km::kRegV(7), x) == -EINVAL);
  uint8_t buf[16] = {};
  BOOST_TEST(f.v->get_one_reg_raw((km::kRegV(7) & ~(0xfull << 52)) | kU64, buf) == -EINVAL);
  BOOST_TEST(f.v->get_one_reg_raw((km::kRegFpsr & ~(0xfull << 52)) | kU64, buf) == -EINVAL);
  BOOST_TEST(f.v->set_one_reg_raw((km::kRegX(0) & ~(0xfull << 52)) | kU128, buf) == -EINVAL);
  // Between two V registers: not a register.
  BOOST_TEST(f.v->get_one_reg_raw(km::kRegV(0) + 1, buf) == -ENOENT);
  // FPSR/FPCR: U32, defined bits only.
  const uint32_t fpsr = 0xffffffffu, fpcr = 0x03c00000u;  // all flags; RMode = 0b10, FZ
  BOOST_TEST(f.v->set_one_reg_raw(km::kRegFpsr, &fpsr) == 0);
  BOOST_TEST(f.v->set_one_reg_raw(km::kRegFpcr, &fpcr) == 0);
  uint32_t got = 0;
  BOOST_TEST(f.v->get_one_reg_raw(km::kRegFpsr, &got) == 0);
  BOOST_TEST(got == 0xf800009fu);
  BOOST_TEST(f.v->get_one_reg_raw(km::kRegFpcr, &got) == 0);
  BOOST_TEST(got == fpcr);
  BOOST_TEST(f.v->get_one_reg(km::kRegFpcr, x) == 0);
  BOOST_TEST(x == fpcr);
  // spsr[1..4] are storage.
  BOOST_TEST(f.v->set_one_reg(km::kRegSpsr(3), 0x1d3) == 0);
  BOOST_TEST(f.v->get_one_reg(km::kRegSpsr(3), x) == 0);
  BOOST_TEST(x == 0x1d3u);
}

BOOST_AUTO_TEST_CASE(the_guest_uses_the_same_registers) {
  Vcpu f;
  // str q5, [x0]; ldr q6, [x0, #16]; mrs x1, fpcr; b .
  const uint32_t code[] = {0x3d800005, 0x3dc00406, 0xd53b4401, 0x14000000};
  std::memcpy(f.ram.data(), code, sizeof code);
  for (unsigned k = 0; k < 16; ++k) f.ram[0x1010 + k] = static_cast<uint8_t>(0x80 + k);
  BOOST_REQUIRE(f.v->set_one_reg(km::kRegX(0), kRamBase + 0x1000) == 0);
  BOOST_REQUIRE(f.v->set_one_reg(kCpacrId, 0x300000) == 0);  // FPEN = 0b11, as the selftests do
  f.set_v(5, 0x1111111111111111ull, 0x2222222222222222ull);
  BOOST_REQUIRE(f.v->set_one_reg(km::kRegFpcr, 0x00400000) == 0);
  f.v->run_struct().insn_budget = 3;
  BOOST_REQUIRE(f.v->run() == -EINTR);
  uint64_t stored[2];
  std::memcpy(stored, f.ram.data() + 0x1000, 16);
  BOOST_TEST(stored[0] == 0x1111111111111111ull);
  BOOST_TEST(stored[1] == 0x2222222222222222ull);
  const auto v6 = f.get_v(6);
  BOOST_TEST(v6.first == 0x8786858483828180ull);
  BOOST_TEST(v6.second == 0x8f8e8d8c8b8a8988ull);
  uint64_t x1 = 0;
  BOOST_REQUIRE(f.v->get_one_reg(km::kRegX(1), x1) == 0);
  BOOST_TEST(x1 == 0x00400000u);
}

BOOST_AUTO_TEST_CASE(a_vcpu_reset_clears_them_as_kvm_does) {
  Vcpu f;
  f.set_v(31, 1, 2);
  BOOST_REQUIRE(f.v->set_one_reg(km::kRegFpsr, 0x8000001f) == 0);
  BOOST_REQUIRE(f.v->set_one_reg(km::kRegFpcr, 0x01000000) == 0);
  BOOST_REQUIRE(f.v->set_one_reg(km::kRegSpsr(1), 5) == 0);
  f.init();  // KVM_ARM_VCPU_INIT again: kvm_reset_vcpu zeroes gp and fp_regs
  BOOST_TEST((f.get_v(31) == std::pair<uint64_t, uint64_t>{0, 0}));
  uint64_t x = 1;
  BOOST_TEST(f.v->get_one_reg(km::kRegFpsr, x) == 0);
  BOOST_TEST(x == 0u);
  BOOST_TEST(f.v->get_one_reg(km::kRegFpcr, x) == 0);
  BOOST_TEST(x == 0u);
  BOOST_TEST(f.v->get_one_reg(km::kRegSpsr(1), x) == 0);
  BOOST_TEST(x == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
