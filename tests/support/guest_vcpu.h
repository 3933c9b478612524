// One VM of the in-process KVM model running a small guest program: RAM at kRamBase holding
// `code`, one vCPU (id 0) through KVM_ARM_VCPU_INIT with no optional feature, and its PC at
// the first instruction; the order of calls a VMM makes before its first KVM_RUN. A fixture
// derives from it and adds what its test sets up besides (device attributes, registers).
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "kvm_model/kvm.h"

namespace test_support {

struct GuestVcpu {
  static constexpr uint64_t kRamBase = 0x40000000, kRamSize = 1 << 16;

  kvm_model::Kvm kvm;
  std::unique_ptr<kvm_model::Vm> vm;
  std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize);
  kvm_model::Vcpu* v = nullptr;

  GuestVcpu(kvm_model::HostDesc host, kvm_model::vpmu::Era era, std::span<const uint32_t> code)
      : kvm(std::move(host), era) {
    BOOST_REQUIRE(code.size_bytes() <= ram.size());
    std::memcpy(ram.data(), code.data(), code.size_bytes());
    BOOST_REQUIRE(kvm.create_vm(vm) == 0);
    BOOST_REQUIRE(vm->set_user_memory_region(0, kRamBase, kRamSize, ram.data()) == 0);
    BOOST_REQUIRE(vm->create_vcpu(0, v) == 0);
    kvm_model::kvm_vcpu_init init;
    BOOST_REQUIRE(v->arm_vcpu_init(init) == 0);
    BOOST_REQUIRE(v->set_one_reg(kvm_model::kRegPc, kRamBase) == 0);
  }
};

}  // namespace test_support
