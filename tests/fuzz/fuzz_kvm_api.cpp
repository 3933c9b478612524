// KVM API sequences, syzkaller style: the input is a program of KVM-API calls (create VM,
// vCPUs, init, ONE_REG get/set of real and random ids, REG_LIST, PMU device attributes,
// vGIC, run, re-init) against a random era and host. Properties after every call:
//  - results are 0 or a negative errno, never a crash or an exception;
//  - 6.7 and later: PMCR_EL0.N never exceeds the VM's PMU maximum and never changes once
//    the VM has run; the counter bitmaps never have bits for counters >= N;
//  - KVM_GET_REG_LIST is stable: the same ids in the same order on every call.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "kvm_model/kvm.h"
#include "tests/support/two_cluster_host.h"

namespace {

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return v;
  }
};

// Two clusters whose counter counts come from the input (0..7 each).
km::HostDesc host(uint8_t shape) { return test_support::two_cluster_host(shape & 7, (shape >> 3) & 7); }

constexpr uint64_t kPmcr = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();
constexpr uint64_t kBitmaps[] = {arch::SysRegKey{3, 3, 9, 12, 1}.to_one_reg_id(), arch::SysRegKey{3, 0, 9, 14, 1}.to_one_reg_id(),
                                 arch::SysRegKey{3, 3, 9, 14, 3}.to_one_reg_id()};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const vp::Era era = static_cast<vp::Era>(in.u8() % 4);
  const km::Kvm kvm(host(in.u8()), era);
  std::unique_ptr<km::Vm> vm;
  if (kvm.create_vm(vm) != 0) return 0;
  std::vector<uint8_t> ram(1 << 16);
  // A tiny guest: `b .` so KVM_RUN always has something to execute.
  const uint32_t spin = 0x14000000;
  std::memcpy(ram.data(), &spin, 4);
  if (vm->set_user_memory_region(0, 0x40000000, ram.size(), ram.data()) != 0) __builtin_trap();
  std::vector<km::Vcpu*> vcpus;
  std::vector<std::vector<uint64_t>> reg_lists;
  bool ran = false;
  int last_n = -1;

  for (int step = 0; step < 64 && in.n > 0; ++step) {
    const uint8_t op = in.u8() % 11;
    km::Vcpu* v = vcpus.empty() ? nullptr : vcpus[in.u8() % vcpus.size()];
    int rc = 0;
    switch (op) {
      case 0: {  // KVM_CREATE_VCPU
        km::Vcpu* nv = nullptr;
        rc = vm->create_vcpu(in.u8() % 4, nv);
        if (rc == 0) {
          vcpus.push_back(nv);
          reg_lists.emplace_back();
          nv->vcpu_load(in.u8() % 4);
        }
        break;
      }
      case 1:  // KVM_ARM_VCPU_INIT
        if (v) {
          km::kvm_vcpu_init init;
          init.features[0] = static_cast<uint32_t>(in.u8()) & 0x1f;
          if (in.u8() & 1) init.features[0] |= 1u << km::KVM_ARM_VCPU_PMU_V3;
          rc = v->arm_vcpu_init(init);
        }
        break;
      case 2:  // KVM_SET_ONE_REG of a PMU register, a real id or a random one
        if (v) rc = v->set_one_reg((in.u8() & 1) ? kPmcr + (in.u8() % 0x9f) : in.u64(), in.u64());
        break;
      case 3:
        if (v) {
          uint64_t x;
          rc = v->get_one_reg((in.u8() & 1) ? kPmcr + (in.u8() % 0x9f) : in.u64(), x);
        }
        break;
      case 4:  // PMU device attributes
        if (v) {
          const uint64_t attr = in.u8() % 6;
          int irq = static_cast<int>(in.u8());
          unsigned n = in.u8() % 40;
          vp::kvm_pmu_event_filter f;
          f.base_event = static_cast<uint16_t>(in.u64());
          f.nevents = static_cast<uint16_t>(in.u64());
          f.action = in.u8() % 3;
          const void* arg = attr == vp::KVM_ARM_VCPU_PMU_V3_FILTER   ? static_cast<const void*>(&f)
                            : attr == vp::KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS ? static_cast<const void*>(&n)
                            : (in.u8() & 7) == 0                     ? nullptr
                                                                     : static_cast<const void*>(&irq);
          if (attr == vp::KVM_ARM_VCPU_PMU_V3_SET_PMU) irq = 8 + (irq & 3);
          rc = v->set_device_attr(in.u8() % 2, attr, arg);
        }
        break;
      case 5:
        rc = vm->create_device(km::KVM_DEV_TYPE_ARM_VGIC_V3);
        break;
      case 6:
        rc = vm->vgic_set_attr(in.u8() % 5, in.u8() % 4, (in.u8() & 1) ? 0x08000000 : 0x080A0000);
        break;
      case 7:  // KVM_RUN for a few instructions
        if (v) {
          v->run_struct().insn_budget = 1 + in.u8() % 16;
          uint64_t pc = 0x40000000;
          v->set_one_reg(km::kRegPc, pc);
          rc = v->run();
        }
        break;
      case 8:  // KVM_GET_REG_LIST must be stable
        if (v) {
          std::vector<uint64_t> ids;
          rc = v->get_reg_list(ids);
          const size_t k = static_cast<size_t>(std::find(vcpus.begin(), vcpus.end(), v) - vcpus.begin());
          if (rc == 0) {
            if (!reg_lists[k].empty() && reg_lists[k] != ids) __builtin_trap();
            reg_lists[k] = ids;
          }
        }
        break;
      case 9:  // the scheduler moves the vCPU thread
        if (v) {
          v->vcpu_put();
          v->vcpu_load(in.u8() % 4);
        }
        break;
      default: {
        int irq = 23;
        if (v) rc = v->get_device_attr(0, vp::KVM_ARM_VCPU_PMU_V3_IRQ, &irq);
        break;
      }
    }
    if (rc > 0) __builtin_trap();  // results are 0 or -errno
    // KVM_ARCH_FLAG_HAS_RAN_ONCE: set by the first KVM_RUN that reached the guest (a run of
    // a powered-off or uninitialised vCPU does not count).
    ran = vm->pmu().has_ran_once();
    // Invariants of the 6.7-and-later rules on every initialised PMU vCPU.
    if (era == vp::Era::k6_7 || era == vp::Era::kNewest) {
      for (km::Vcpu* c : vcpus) {
        uint64_t pmcr;
        if (c->get_one_reg(kPmcr, pmcr) != 0) continue;
        const int n = static_cast<int>((pmcr >> 11) & 0x1f);
        if (n > static_cast<int>(vm->pmu().max_counters())) __builtin_trap();
        if (ran && last_n >= 0 && n != last_n && era == vp::Era::k6_7) __builtin_trap();
        if (ran) last_n = n;
        const uint64_t valid = (uint64_t{1} << 31) | ((uint64_t{1} << n) - 1);
        for (uint64_t id : kBitmaps) {
          uint64_t bits;
          if (c->get_one_reg(id, bits) == 0 && (bits & ~valid) != 0) __builtin_trap();
        }
      }
    }
  }
  return 0;
}
