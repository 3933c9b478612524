// One VM of the in-process KVM model running a small guest program: RAM at kRamBase holding
// `code`, vCPU 0 through KVM_ARM_VCPU_INIT and its PC at the first instruction; the order of
// calls a VMM makes before its first KVM_RUN. A fixture derives from it and adds what its
// test sets up besides (registers, more vCPUs through add_vcpu).
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "kvm_model/kvm.h"

namespace test_support {

// How each vCPU is brought up: the optional features its KVM_ARM_VCPU_INIT asks for
// (features[0] bits, e.g. 1 << KVM_ARM_VCPU_PMU_V3) and what is set between that init and
// the PC, as a VMM does with the vCPU device attributes: the PMU ones need the PMU feature
// the init gives, and KVM_ARM_VCPU_PMU_V3_INIT must precede the first KVM_RUN.
struct VcpuSetup {
  uint32_t features0 = 0;
  std::function<void(kvm_model::Vcpu&)> after_init;
};

// A vCPU with the PMU: the PMU_V3 feature, the PMU attributes `attrs` sets (an event filter,
// a partition), then KVM_ARM_VCPU_PMU_V3_INIT, after which the vCPU refuses them (-EBUSY).
inline VcpuSetup pmu_v3(std::function<void(kvm_model::Vcpu&)> attrs = {}) {
  return {1u << kvm_model::KVM_ARM_VCPU_PMU_V3, [attrs = std::move(attrs)](kvm_model::Vcpu& vcpu) {
            if (attrs) attrs(vcpu);
            BOOST_REQUIRE(vcpu.set_device_attr(kvm_model::vpmu::KVM_ARM_VCPU_PMU_V3_CTRL,
                                               kvm_model::vpmu::KVM_ARM_VCPU_PMU_V3_INIT, nullptr) == 0);
          }};
}

struct GuestVcpu {
  static constexpr uint64_t kRamBase = 0x40000000, kRamSize = 1 << 16;

  kvm_model::Kvm kvm;
  std::unique_ptr<kvm_model::Vm> vm;
  std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize);
  kvm_model::Vcpu* v = nullptr;  // vCPU 0
  std::vector<kvm_model::Vcpu*> vcpus;  // by vCPU id
  VcpuSetup setup;  // what add_vcpu applies

  GuestVcpu(kvm_model::HostDesc host, kvm_model::vpmu::Era era, std::span<const uint32_t> code,
            VcpuSetup vcpu_setup = {})
      : kvm(std::move(host), era), setup(std::move(vcpu_setup)) {
    BOOST_REQUIRE(code.size_bytes() <= ram.size());
    if (!code.empty()) std::memcpy(ram.data(), code.data(), code.size_bytes());  // an empty span's data() may be null
    BOOST_REQUIRE(kvm.create_vm(vm) == 0);
    BOOST_REQUIRE(vm->set_user_memory_region(0, kRamBase, kRamSize, ram.data()) == 0);
    v = &add_vcpu();
  }

  // The next vCPU, brought up as vCPU 0 was: every vCPU of the VM starts at the program.
  kvm_model::Vcpu& add_vcpu() {
    kvm_model::Vcpu* vcpu = nullptr;
    BOOST_REQUIRE(vm->create_vcpu(static_cast<unsigned>(vcpus.size()), vcpu) == 0);
    kvm_model::kvm_vcpu_init init;
    init.features[0] = setup.features0;
    BOOST_REQUIRE(vcpu->arm_vcpu_init(init) == 0);
    if (setup.after_init) setup.after_init(*vcpu);
    BOOST_REQUIRE(vcpu->set_one_reg(kvm_model::kRegPc, kRamBase) == 0);
    vcpus.push_back(vcpu);
    return *vcpu;
  }
};

}  // namespace test_support
