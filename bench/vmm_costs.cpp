// vmm_costs: what a VMM pays in the KVM model to bring up a VM, for bench/run case 4.
//
//   vmm_costs [--host HOST.yaml] [--kvm ERA] [--iters N] [--ram-mib N]
//
// Each iteration issues, through kvm_model's KVM-shaped API and in the order of pmuemu's
// VMM (emu/vmm/vmm.cpp) for one vCPU:
//   create     KVM_CREATE_VM, KVM_SET_USER_MEMORY_REGION, KVM_ARM_PREFERRED_TARGET,
//              KVM_CREATE_VCPU (+ vcpu_load on pCPU 0)
//   init       KVM_ARM_VCPU_INIT with PSCI 0.2 and PMU_V3
//   vgic       KVM_CREATE_DEVICE(VGIC_V3) and its attributes (DIST, REDIST, NR_IRQS,
//              CTRL_INIT): the in-kernel irqchip the PMU interrupt needs
//   pmu_attrs  KVM_SET_DEVICE_ATTR PMU_V3_IRQ (23) and PMU_V3_INIT
//   reset      KVM_ARM_VCPU_INIT again (the vCPU reset of a system reset) and
//              KVM_SET_ONE_REG of PC and x0
// and then destroys the VM (timed separately, not part of the total). Guest RAM is one
// buffer the "VMM" allocates once, as a VMM's mmap would be. Every call's result is
// checked. Prints one line: the median over the iterations of each phase and of the
// per-iteration total (a median, so that the iterations in which a loaded machine preempts
// the process do not count), and the mean total, in microseconds:
//   vmm_costs iters=N create_us=.. init_us=.. vgic_us=.. pmu_attrs_us=.. reset_us=..
//             total_us=.. mean_total_us=.. destroy_us=..
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/vmm/host_model.h"
#include "kvm_model/kvm.h"

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kRamBase = 0x40000000;
constexpr uint64_t kGicDist = 0x08000000, kGicRedist = 0x080A0000;
constexpr int kPmuIrq = 23;

void check(int rc, const char* what) {
  if (rc < 0) {
    std::fprintf(stderr, "vmm_costs: error: %s failed: %s\n", what, std::strerror(-rc));
    std::exit(1);
  }
}

double ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: vmm_costs [--host HOST.yaml] [--kvm ERA] [--iters N] [--ram-mib N]\n");
  std::exit(64);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host_file = PMUEMU_SOURCE_DIR "/configs/big-little.yaml";
  std::string era_name = "6.7";
  long iters = 2000;
  uint64_t ram_mib = 128;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    if (a == "--host") host_file = argv[++i];
    else if (a == "--kvm") era_name = argv[++i];
    else if (a == "--iters") iters = std::strtol(argv[++i], nullptr, 0);
    else if (a == "--ram-mib") ram_mib = std::strtoull(argv[++i], nullptr, 0);
    else usage();
  }
  if (iters <= 0 || ram_mib == 0 || ram_mib > 4096) usage();
  const auto era = vp::parse_era(era_name);
  if (!era) {
    std::fprintf(stderr, "vmm_costs: error: unknown kernel era '%s'\n", era_name.c_str());
    return 64;
  }

  std::unique_ptr<km::Kvm> kvm;
  try {
    const auto host = pmuemu::config::load_host_file(host_file);
    kvm = std::make_unique<km::Kvm>(pmuemu::vmm::host_desc(host, /*cycle_timing=*/false), *era);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmm_costs: error: %s\n", e.what());
    return 65;
  }
  const uint64_t ram_size = ram_mib << 20;
  std::vector<uint8_t> ram(ram_size);

  enum { kCreate, kInit, kVgic, kPmu, kReset, kTotal, kDestroy, kPhases };
  std::vector<std::vector<double>> ns(kPhases, std::vector<double>(static_cast<size_t>(iters)));
  for (long it = 0; it < iters; ++it) {
    const auto t0 = Clock::now();
    std::unique_ptr<km::Vm> vm;
    check(kvm->create_vm(vm), "KVM_CREATE_VM");
    vm->set_vmm_pcpu(0);
    check(vm->set_user_memory_region(0, kRamBase, ram_size, ram.data()), "KVM_SET_USER_MEMORY_REGION");
    km::kvm_vcpu_init init{};
    check(vm->arm_preferred_target(init), "KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= (1u << km::KVM_ARM_VCPU_PSCI_0_2) | (1u << km::KVM_ARM_VCPU_PMU_V3);
    km::Vcpu* vcpu = nullptr;
    check(vm->create_vcpu(0, vcpu), "KVM_CREATE_VCPU");
    vcpu->vcpu_load(0);
    const auto t1 = Clock::now();
    check(vcpu->arm_vcpu_init(init), "KVM_ARM_VCPU_INIT");
    const auto t2 = Clock::now();
    check(vm->create_device(km::KVM_DEV_TYPE_ARM_VGIC_V3), "KVM_CREATE_DEVICE(VGIC_V3)");
    check(vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_ADDR, km::KVM_VGIC_V3_ADDR_TYPE_DIST, kGicDist), "vGIC DIST");
    check(vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_ADDR, km::KVM_VGIC_V3_ADDR_TYPE_REDIST, kGicRedist), "vGIC REDIST");
    check(vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 64), "vGIC NR_IRQS");
    check(vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_CTRL, km::KVM_DEV_ARM_VGIC_CTRL_INIT, 0), "vGIC INIT");
    const auto t3 = Clock::now();
    const int irq = kPmuIrq;
    check(vcpu->set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, vp::KVM_ARM_VCPU_PMU_V3_IRQ, &irq), "PMU_V3_IRQ");
    check(vcpu->set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, vp::KVM_ARM_VCPU_PMU_V3_INIT, nullptr), "PMU_V3_INIT");
    const auto t4 = Clock::now();
    check(vcpu->arm_vcpu_init(init), "KVM_ARM_VCPU_INIT (reset)");
    check(vcpu->set_one_reg(km::kRegPc, kRamBase + 0x80000), "KVM_SET_ONE_REG(PC)");
    check(vcpu->set_one_reg(km::kRegX(0), 0), "KVM_SET_ONE_REG(X0)");
    const auto t5 = Clock::now();
    vm.reset();
    const auto t6 = Clock::now();
    const size_t i = static_cast<size_t>(it);
    ns[kCreate][i] = ns_between(t0, t1);
    ns[kInit][i] = ns_between(t1, t2);
    ns[kVgic][i] = ns_between(t2, t3);
    ns[kPmu][i] = ns_between(t3, t4);
    ns[kReset][i] = ns_between(t4, t5);
    ns[kTotal][i] = ns_between(t0, t5);
    ns[kDestroy][i] = ns_between(t5, t6);
  }
  double mean_total = 0;
  for (double v : ns[kTotal]) mean_total += v;
  mean_total /= static_cast<double>(iters);
  double med[kPhases];
  for (int p = 0; p < kPhases; ++p) {
    auto& v = ns[p];
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    med[p] = v[v.size() / 2];
  }
  std::printf(
      "vmm_costs iters=%ld create_us=%.3f init_us=%.3f vgic_us=%.3f pmu_attrs_us=%.3f reset_us=%.3f total_us=%.3f "
      "mean_total_us=%.3f destroy_us=%.3f\n",
      iters, med[kCreate] / 1e3, med[kInit] / 1e3, med[kVgic] / 1e3, med[kPmu] / 1e3, med[kReset] / 1e3,
      med[kTotal] / 1e3, mean_total / 1e3, med[kDestroy] / 1e3);
  return 0;
}
