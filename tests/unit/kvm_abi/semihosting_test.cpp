// KVM_CAP_PMUEMU_SEMIHOSTING (include/pmuemu/kvm.h): a guest's HLT #0xF000 is UNDEFINED, as
// under Linux, unless the VMM enabled pmuemu's semihosting exits on the VM; then it ends
// KVM_RUN with KVM_EXIT_DEBUG and hsr 0xF000, the PC past the HLT.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "tests/unit/kvm_abi/guest_vm.h"

namespace {

using namespace kvm_abi_test;

constexpr uint32_t kHlt = 0xd45e0000;  // hlt #0xf000

long set_semihosting(Vm& v, uint64_t on, uint32_t flags = 0) {
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_PMUEMU_SEMIHOSTING;
  cap.flags = flags;
  cap.args[0] = on;
  return v.dev.ioctl(v.vm, KVM_ENABLE_CAP, ptr(&cap));
}

uint64_t core_reg(Vm& v, uint64_t off) {
  uint64_t x = 0;
  const kvm_one_reg r{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | off, ptr(&x)};
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_GET_ONE_REG, ptr(&r)), 0);
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(semihosting)

BOOST_AUTO_TEST_CASE(off_by_default_the_hlt_is_undefined) {
  Vm v;
  std::memcpy(v.ram->b, &kHlt, 4);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_PMUEMU_SEMIHOSTING), 1);
  v.init_vcpu();
  // VBAR_EL1 is 0 at reset: the UNDEFINED exception's vector is outside memory, so the
  // guest faults in a loop and the model reports the loop with its first fault: EC 0x00.
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_RUN, 0), 0);
  BOOST_REQUIRE_EQUAL(v.run->exit_reason, KVM_EXIT_INTERNAL_ERROR);
  BOOST_CHECK_EQUAL(v.run->internal.data[0] >> 26, 0u);       // ESR_EL1.EC: unknown reason
  BOOST_CHECK_EQUAL(v.run->internal.data[1], kRamGpa);        // ELR_EL1: the HLT
}

BOOST_AUTO_TEST_CASE(enabled_it_exits_to_the_vmm) {
  Vm v;
  std::memcpy(v.ram->b, &kHlt, 4);
  BOOST_CHECK_EQUAL(set_semihosting(v, 2), -EINVAL);
  BOOST_CHECK_EQUAL(set_semihosting(v, 1, 1), -EINVAL);  // flags
  BOOST_REQUIRE_EQUAL(set_semihosting(v, 1), 0);
  v.init_vcpu();
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_RUN, 0), 0);
  BOOST_CHECK_EQUAL(v.run->exit_reason, KVM_EXIT_DEBUG);
  BOOST_CHECK_EQUAL(v.run->debug.arch.hsr, 0xF000u);
  BOOST_CHECK_EQUAL(core_reg(v, 2 * 32), kRamGpa + 4);  // regs.pc past the HLT
  // Turned off again (a vCPU that exists already): UNDEFINED.
  BOOST_REQUIRE_EQUAL(set_semihosting(v, 0), 0);
  const uint64_t pc = kRamGpa;
  const kvm_one_reg r{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (2 * 32), ptr(&pc)};
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_ONE_REG, ptr(&r)), 0);
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_RUN, 0), 0);
  BOOST_CHECK_EQUAL(v.run->exit_reason, KVM_EXIT_INTERNAL_ERROR);
}

BOOST_AUTO_TEST_SUITE_END()
