// abi_costs: bench case 4 through the /dev/kvm ABI (kvm_model/abi): the same calls as
// vmm_costs (VM create + memory + vCPU, KVM_ARM_VCPU_INIT, vGICv3 device and attributes,
// PMU_V3_IRQ + PMU_V3_INIT, reset = VCPU_INIT + PC/x0), as ioctls on fds with the UAPI
// structs, then close of every fd (timed apart). Twice: with the fault-checked user copies
// (what libpmuemu-kvm and the preload shim use) and with the trusted in-process copies.
//
//   abi_costs [--host HOST.yaml] [--kvm ERA] [--iters N] [--ram-mib N] [--copies checked|trusted|both]
//
// Prints per mode: abi_costs copies=checked|trusted iters=N create_us=.. init_us=..
// vgic_us=.. pmu_attrs_us=.. reset_us=.. total_us=.. mean_total_us=.. close_us=.. (medians).
#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/vmm/host_model.h"

using Clock = std::chrono::steady_clock;

namespace {

void check(long rc, const char* what) {
  if (rc < 0) {
    std::fprintf(stderr, "abi_costs: error: %s failed: %s\n", what, std::strerror(static_cast<int>(-rc)));
    std::exit(1);
  }
}
double ns_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::nano>(b - a).count(); }
unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }

struct Ram {
  uint8_t* p;
  size_t n;
  uint8_t* data() const { return p; }
  size_t size() const { return n; }
};

void run(const kvm_model::HostDesc& host, kvm_model::vpmu::Era era, bool checked, long iters, const Ram& ram) {
  kvm_model::abi::Options o;
  o.host = host;
  o.era = era;
  o.checked_copies = checked;
  kvm_model::abi::Dev dev(o);
  const int kvm = dev.open_dev();
  check(kvm, "open");
  enum { kCreate, kInit, kVgic, kPmu, kReset, kTotal, kClose, kPhases };
  std::vector<std::vector<double>> ns(kPhases, std::vector<double>(static_cast<size_t>(iters)));
  for (long it = 0; it < iters; ++it) {
    const auto t0 = Clock::now();
    const long vm = dev.ioctl(kvm, KVM_CREATE_VM, 0);
    check(vm, "KVM_CREATE_VM");
    const kvm_userspace_memory_region mem{0, 0, 0x40000000, ram.size(), ptr(ram.data())};
    check(dev.ioctl(static_cast<int>(vm), KVM_SET_USER_MEMORY_REGION, ptr(&mem)), "KVM_SET_USER_MEMORY_REGION");
    kvm_vcpu_init init{};
    check(dev.ioctl(static_cast<int>(vm), KVM_ARM_PREFERRED_TARGET, ptr(&init)), "KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= (1u << KVM_ARM_VCPU_PSCI_0_2) | (1u << KVM_ARM_VCPU_PMU_V3);
    const long vcpu = dev.ioctl(static_cast<int>(vm), KVM_CREATE_VCPU, 0);
    check(vcpu, "KVM_CREATE_VCPU");
    const int vc = static_cast<int>(vcpu);
    const auto t1 = Clock::now();
    check(dev.ioctl(vc, KVM_ARM_VCPU_INIT, ptr(&init)), "KVM_ARM_VCPU_INIT");
    const auto t2 = Clock::now();
    kvm_create_device cd{KVM_DEV_TYPE_ARM_VGIC_V3, 0, 0};
    check(dev.ioctl(static_cast<int>(vm), KVM_CREATE_DEVICE, ptr(&cd)), "KVM_CREATE_DEVICE");
    const uint64_t dist = 0x08000000, redist = 0x080A0000;
    const uint32_t nr = 64;
    const kvm_device_attr attrs[] = {{0, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, ptr(&dist)},
                                     {0, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, ptr(&redist)},
                                     {0, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, ptr(&nr)},
                                     {0, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0}};
    for (const auto& a : attrs) check(dev.ioctl(static_cast<int>(cd.fd), KVM_SET_DEVICE_ATTR, ptr(&a)), "vGIC attr");
    const auto t3 = Clock::now();
    const int irq = 23;
    const kvm_device_attr pirq{0, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, ptr(&irq)};
    const kvm_device_attr pinit{0, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, 0};
    check(dev.ioctl(vc, KVM_SET_DEVICE_ATTR, ptr(&pirq)), "PMU_V3_IRQ");
    check(dev.ioctl(vc, KVM_SET_DEVICE_ATTR, ptr(&pinit)), "PMU_V3_INIT");
    const auto t4 = Clock::now();
    check(dev.ioctl(vc, KVM_ARM_VCPU_INIT, ptr(&init)), "KVM_ARM_VCPU_INIT (reset)");
    const uint64_t pc = 0x40080000, x0 = 0;
    const kvm_one_reg rpc{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 64, ptr(&pc)};
    const kvm_one_reg rx0{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 0, ptr(&x0)};
    check(dev.ioctl(vc, KVM_SET_ONE_REG, ptr(&rpc)), "SET_ONE_REG(PC)");
    check(dev.ioctl(vc, KVM_SET_ONE_REG, ptr(&rx0)), "SET_ONE_REG(X0)");
    const auto t5 = Clock::now();
    dev.close(static_cast<int>(cd.fd));
    dev.close(vc);
    dev.close(static_cast<int>(vm));
    const auto t6 = Clock::now();
    const auto i = static_cast<size_t>(it);
    ns[kCreate][i] = ns_between(t0, t1);
    ns[kInit][i] = ns_between(t1, t2);
    ns[kVgic][i] = ns_between(t2, t3);
    ns[kPmu][i] = ns_between(t3, t4);
    ns[kReset][i] = ns_between(t4, t5);
    ns[kTotal][i] = ns_between(t0, t5);
    ns[kClose][i] = ns_between(t5, t6);
  }
  double mean = 0;
  for (double v : ns[kTotal]) mean += v;
  mean /= static_cast<double>(iters);
  double med[kPhases];
  for (int p = 0; p < kPhases; ++p) {
    auto& v = ns[p];
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    med[p] = v[v.size() / 2];
  }
  std::printf("abi_costs copies=%s iters=%ld create_us=%.3f init_us=%.3f vgic_us=%.3f pmu_attrs_us=%.3f reset_us=%.3f "
              "total_us=%.3f mean_total_us=%.3f close_us=%.3f\n",
              checked ? "checked" : "trusted", iters, med[kCreate] / 1e3, med[kInit] / 1e3, med[kVgic] / 1e3,
              med[kPmu] / 1e3, med[kReset] / 1e3, med[kTotal] / 1e3, mean / 1e3, med[kClose] / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host_file = PMUEMU_SOURCE_DIR "/configs/big-little.yaml", era_name = "6.7";
  long iters = 2000;
  unsigned long ram_mib = 128;
  std::string copies = "both";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--host") host_file = argv[i + 1];
    else if (a == "--kvm") era_name = argv[i + 1];
    else if (a == "--iters") iters = std::strtol(argv[i + 1], nullptr, 0);
    else if (a == "--ram-mib") ram_mib = std::strtoul(argv[i + 1], nullptr, 0);
    else if (a == "--copies") copies = argv[i + 1];
    else return 64;
  }
  const auto era = kvm_model::vpmu::parse_era(era_name);
  if (!era || iters <= 0 || ram_mib == 0 || ram_mib > 4096 ||
      (copies != "checked" && copies != "trusted" && copies != "both")) {
    std::fprintf(stderr,
                 "usage: abi_costs [--host HOST.yaml] [--kvm ERA] [--iters N] [--ram-mib N] "
                 "[--copies checked|trusted|both]\n");
    return 64;
  }
  kvm_model::HostDesc host;
  try {
    host = pmuemu::vmm::host_desc(pmuemu::config::load_host_file(host_file), false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "abi_costs: error: %s\n", e.what());
    return 65;
  }
  // Page-aligned, as KVM requires of userspace_addr (a VMM's mmap).
  const size_t bytes = ram_mib << 20;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 70;
  const Ram ram{static_cast<uint8_t*>(p), bytes};
  if (copies != "trusted") run(host, *era, true, iters, ram);
  if (copies != "checked") run(host, *era, false, iters, ram);
  return 0;
}
