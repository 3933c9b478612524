// The era cases of `pmuemu conformance`: behaviours the eras after 6.16 define (STRICT,
// fixed-counters-only, the partitioned PMU, attribute 5) that no upstream selftest of the
// 6.12 tree checks yet. Each drives the KVM model's KVM-shaped API the way the series' own
// selftests and cover letters describe; docs/conformance.md lists them.
#include "emu/conformance/era_cases.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "emu/vmm/host_model.h"
#include "kvm_model/kvm.h"
#include "pmu/pmuv3_fields.h"

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

namespace pmuemu::conformance {
namespace {

constexpr int kPmuIrq = 23;  // the PMU PPI the selftests use
constexpr uint64_t kGicDist = 0x08000000, kGicRedist = 0x080A0000;
constexpr uint64_t kRamBase = 0x40000000, kRamSize = 1u << 20;

const uint64_t kPmcrId = arch::sysreg(3, 3, 9, 12, 0).to_one_reg_id();

unsigned pmcr_n(uint64_t pmcr) { return pmu::pmcr::N(pmcr); }
uint64_t with_n(uint64_t pmcr, unsigned n) { return (pmcr & ~(uint64_t{0x1f} << 11)) | (uint64_t{n} << 11); }

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::string errno_text(int rc) {
  const char* name = strerrorname_np(-rc);
  return std::string("-") + (name ? name : std::to_string(-rc).c_str());
}

// A VM built the way the series' own selftests build theirs: one PMU vCPU (STRICT if asked)
// on `pcpu`, the vGICv3, and PMU IRQ 23; the PMU attributes and INIT are the case's.
class EraVm {
 public:
  EraVm(const km::Kvm& kvm, uint32_t pcpu, bool strict) : ram_(kRamSize) {
    if (!ok(kvm.create_vm(vm_), "KVM_CREATE_VM")) return;
    vm_->set_vmm_pcpu(pcpu);
    km::kvm_vcpu_init init;
    if (!ok(vm_->set_user_memory_region(0, kRamBase, kRamSize, ram_.data()), "KVM_SET_USER_MEMORY_REGION") ||
        !ok(vm_->arm_preferred_target(init), "KVM_ARM_PREFERRED_TARGET") ||
        !ok(vm_->create_vcpu(0, vcpu_), "KVM_CREATE_VCPU"))
      return;
    init.features[0] |= 1u << km::KVM_ARM_VCPU_PMU_V3;
    if (strict) init.features[0] |= 1u << km::KVM_ARM_VCPU_PMU_V3_STRICT;
    vcpu_->vcpu_load(pcpu);
    const int irq = kPmuIrq;
    if (!ok(vcpu_->arm_vcpu_init(init), strict ? "KVM_ARM_VCPU_INIT(PMU_V3|PMU_V3_STRICT)" : "KVM_ARM_VCPU_INIT(PMU_V3)") ||
        !ok(vm_->create_device(km::KVM_DEV_TYPE_ARM_VGIC_V3), "KVM_CREATE_DEVICE(VGIC_V3)") ||
        !ok(vm_->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_ADDR, km::KVM_VGIC_V3_ADDR_TYPE_DIST, kGicDist), "vGIC DIST") ||
        !ok(vm_->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_ADDR, km::KVM_VGIC_V3_ADDR_TYPE_REDIST, kGicRedist),
            "vGIC REDIST") ||
        !ok(vm_->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 64), "vGIC NR_IRQS") ||
        !ok(vm_->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_CTRL, km::KVM_DEV_ARM_VGIC_CTRL_INIT, 0), "vGIC INIT") ||
        !ok(attr(vp::KVM_ARM_VCPU_PMU_V3_IRQ, &irq), "PMU_V3_IRQ"))
      return;
  }
  const std::string& error() const { return error_; }
  int attr(uint64_t a, const void* v) { return vcpu_->set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, a, v); }
  int init() { return attr(vp::KVM_ARM_VCPU_PMU_V3_INIT, nullptr); }
  // KVM_RUN up to guest entry: an instruction budget of 0 returns -EINTR right after the
  // first-run work, or the first-run error.
  int run() {
    vcpu_->run_struct().insn_budget = 0;
    return vcpu_->run();
  }
  km::Vcpu& vcpu() { return *vcpu_; }
  km::Vm& vm() { return *vm_; }
  uint8_t* ram() { return ram_.data(); }
  unsigned n() {
    uint64_t pmcr = 0;
    return vcpu_->get_one_reg(kPmcrId, pmcr) == 0 ? pmcr_n(pmcr) : 99;
  }

 private:
  bool ok(int rc, const char* what) {
    if (rc < 0 && error_.empty()) error_ = fmt("create: %s = %s", what, errno_text(rc).c_str());
    return rc >= 0;
  }
  std::vector<uint8_t> ram_;
  std::unique_ptr<km::Vm> vm_;
  km::Vcpu* vcpu_ = nullptr;
  std::string error_;
};

// "want" / "got" comparison of one ioctl result; appends to `detail`, false on mismatch.
bool expect_rc(std::string& detail, const char* what, int got, int want) {
  detail += fmt("%s%s %s", detail.empty() ? "" : ", ", what, got == 0 ? "0" : errno_text(got).c_str());
  if (got != want) {
    detail = fmt("%s: %s, expected %s; ", what, got == 0 ? "0" : errno_text(got).c_str(),
                 want == 0 ? "0" : errno_text(want).c_str()) + detail;
    return false;
  }
  return true;
}

const uint64_t kPmmirId = arch::sysreg(3, 0, 9, 14, 6).to_one_reg_id();

// A guest on a partitioned PMU (Lewis v9): it programs counter 0 with INST_RETIRED, enables
// it (PMCR_EL0.E|P), runs ten NOPs, reads PMCR_EL0 (X1), counter 0 (X3) and counter HPMN
// (X4: UNDEFINED for it; the handler at VBAR_EL1 + 0x200 counts in X7), then spins.
struct PartitionGuest {
  static constexpr uint64_t kVbar = 0x800;
  EraVm vm;
  unsigned traps = 0;
  std::string error;
  PartitionGuest(const km::Kvm& kvm, uint32_t pcpu, unsigned hpmn, const vp::kvm_pmu_event_filter* filter)
      : vm(kvm, pcpu, false) {
    error = vm.error();
    if (!error.empty()) return;
    const uint32_t undef_read = 0xd53be804u | ((hpmn >> 3) << 8) | ((hpmn & 7) << 5);  // mrs x4, pmevcntr<hpmn>_el0
    const uint32_t code[] = {0xd2800100, 0xd51bec00, 0xd2800020, 0xd51b9c20,  // pmevtyper0 = 8, pmcntenset = 1
                             0xd53b9c01, 0xb2400421, 0xd51b9c01,              // pmcr |= E | P
                             0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f,
                             0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f,
                             0xd53b9c01, 0xd53be803, undef_read, 0x14000000};
    const uint32_t handler[] = {0x910004e7, 0xd5384028, 0x91001108, 0xd5184028, 0xd69f03e0};
    std::memcpy(vm.ram(), code, sizeof code);
    std::memcpy(vm.ram() + kVbar + 0x200, handler, sizeof handler);
    const vp::kvm_pmu_event_filter* f = filter;
    if ((f != nullptr && vm.attr(vp::KVM_ARM_VCPU_PMU_V3_FILTER, f) != 0) ||
        vm.attr(vp::KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr) != 0 || vm.init() != 0 ||
        vm.vcpu().set_one_reg(km::kRegPc, kRamBase) != 0 ||
        vm.vcpu().set_one_reg(arch::sysreg(3, 0, 12, 0, 0).to_one_reg_id(), kRamBase + kVbar) != 0) {
      error = "setting up the partitioned vCPU failed";
      return;
    }
    vm.vcpu().set_sysreg_trace([this](unsigned, uint32_t, uint8_t, arch::SysRegKey, bool, uint64_t, bool) { ++traps; });
  }
  static constexpr uint64_t kToSpin = 21 + 5;  // the program and the UNDEF handler
  bool run(uint64_t insns) {
    vm.vcpu().run_struct().insn_budget = insns;
    return vm.vcpu().run() == -EINTR && vm.vcpu().run_struct().insns_retired == insns;
  }
  uint64_t reg(uint64_t id) {
    uint64_t v = ~uint64_t{0};
    vm.vcpu().get_one_reg(id, v);
    return v;
  }
};

template <typename Add>
void add_partition_guest_rows(Add& add, const km::Kvm& kvm, const km::HostDesc& desc, uint32_t pcpu, unsigned cluster,
                              unsigned hpmn) {
  const uint64_t kCnt0 = arch::sysreg(3, 3, 14, 8, 0).to_one_reg_id();
  add("partition-untrapped", fmt("no trap, N = %u, counter %u UNDEF", hpmn, hpmn), [&](std::string& d) {
    PartitionGuest g(kvm, pcpu, hpmn, nullptr);
    if (!g.error.empty()) return d = g.error, false;
    if (!g.run(PartitionGuest::kToSpin)) return d = "KVM_RUN did not run the guest", false;
    const unsigned n = pmcr_n(g.reg(km::kRegX(1)));
    d = fmt("%u traps, guest N %u, %" PRIu64 " UNDEF, counter 0 = %" PRIu64, g.traps, n, g.reg(km::kRegX(7)),
            g.reg(km::kRegX(3)));
    return g.traps == 0 && n == hpmn && g.reg(km::kRegX(7)) == 1 && g.reg(km::kRegX(3)) == 12;
  });
  // Another pCPU of the same cluster (the VM's PMU covers only its own cluster).
  uint32_t other = pcpu;
  for (uint32_t c : desc.pmus[cluster].cpus)
    if (c != pcpu) other = c;
  if (other != pcpu) {
    add("partition-migrate", fmt("counters kept, pCPU %u -> %u", pcpu, other), [&](std::string& d) {
      PartitionGuest g(kvm, pcpu, hpmn, nullptr);
      if (!g.error.empty()) return d = g.error, false;
      if (!g.run(PartitionGuest::kToSpin + 100)) return d = "KVM_RUN did not run the guest", false;
      const uint64_t before = g.reg(kCnt0);
      g.vm.vcpu().vcpu_put();
      g.vm.vcpu().vcpu_load(other);
      const uint64_t moved = g.reg(kCnt0);
      if (!g.run(50)) return d = "KVM_RUN after the migration failed", false;
      const uint64_t after = g.reg(kCnt0);
      d = fmt("counter 0: %" PRIu64 " before, %" PRIu64 " after the move, %" PRIu64 " after 50 more", before, moved, after);
      return moved == before && after == before + 50;
    });
  }
  add("partition-filter-at-load", "denied event stops at the next load", [&](std::string& d) {
    const vp::kvm_pmu_event_filter deny{0x08, 1, vp::KVM_PMU_EVENT_DENY, {}};
    PartitionGuest g(kvm, pcpu, hpmn, &deny);
    if (!g.error.empty()) return d = g.error, false;
    if (!g.run(PartitionGuest::kToSpin)) return d = "KVM_RUN did not run the guest", false;
    const uint64_t loaded = g.reg(kCnt0);
    g.vm.vcpu().vcpu_put();
    g.vm.vcpu().vcpu_load(pcpu);
    if (!g.run(100)) return d = "KVM_RUN after the reload failed", false;
    d = fmt("programmed after the load: counted to %" PRIu64 "; after put/load: %" PRIu64, loaded, g.reg(kCnt0));
    return loaded > 0 && g.reg(kCnt0) == loaded;
  });
}

std::vector<EraCase> era_cases(const km::HostDesc& desc, vp::Era era, uint32_t pcpu, unsigned cluster) {
  const vp::EraPolicy& pol = vp::policy(era);
  std::vector<EraCase> rows;
  const km::Kvm kvm(desc, era);
  const int pmu_type = static_cast<int>(vp::kArmPmuTypeBase + cluster);
  const unsigned max_n = desc.pmus[cluster].num_counters;
  auto add = [&](std::string name, std::string expected, auto body) {
    EraCase c{std::move(name), std::move(expected), false, {}};
    c.pass = body(c.detail);
    rows.push_back(std::move(c));
  };
  if (pol.has_pmu_v3_strict) {
    add("strict-set-pmu", "KVM_RUN -EPERM until SET_PMU", [&](std::string& d) {
      EraVm a(kvm, pcpu, true);
      if (!a.error().empty()) return d = a.error(), false;
      bool ok = expect_rc(d, "INIT", a.init(), 0) && expect_rc(d, "KVM_RUN", a.run(), -EPERM);
      EraVm b(kvm, pcpu, true);
      if (!b.error().empty()) return d = b.error(), false;
      ok = ok && expect_rc(d, "SET_PMU", b.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmu_type), 0) &&
           expect_rc(d, "INIT", b.init(), 0) && expect_rc(d, "KVM_RUN", b.run(), -EINTR);
      return ok;
    });
    add("strict-n-writes", "PMCR_EL0.N ignored, SET_NR_COUNTERS", [&](std::string& d) {
      EraVm a(kvm, pcpu, true);
      if (!a.error().empty()) return d = a.error(), false;
      if (!expect_rc(d, "SET_PMU", a.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmu_type), 0)) return false;
      uint64_t pmcr = 0;
      if (!expect_rc(d, "GET PMCR_EL0", a.vcpu().get_one_reg(kPmcrId, pmcr), 0) ||
          !expect_rc(d, "SET PMCR_EL0.N=0", a.vcpu().set_one_reg(kPmcrId, with_n(pmcr, 0)), 0))
        return false;
      d += fmt(", N reads %u", a.n());
      if (a.n() != max_n) return d = fmt("N: %u after a PMCR_EL0.N write, expected %u; ", a.n(), max_n) + d, false;
      const unsigned zero = 0;
      if (!expect_rc(d, "SET_NR_COUNTERS(0)", a.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &zero), 0)) return false;
      d += fmt(", then %u", a.n());
      return a.n() == 0;
    });
    add("strict-pmmir", "SLOTS real, listed, 0 or itself", [&](std::string& d) {
      EraVm a(kvm, pcpu, true);
      if (!a.error().empty()) return d = a.error(), false;
      if (!expect_rc(d, "SET_PMU", a.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmu_type), 0)) return false;
      const uint64_t slots = desc.pmus[cluster].pmmir_slots;
      uint64_t v = 0;
      if (!expect_rc(d, "GET PMMIR_EL1", a.vcpu().get_one_reg(kPmmirId, v), 0)) return false;
      d += fmt(" = %" PRIu64, v);
      if (v != slots) return d = fmt("SLOTS: %" PRIu64 ", the host says %" PRIu64 "; ", v, slots) + d, false;
      std::vector<uint64_t> ids;
      a.vcpu().get_reg_list(ids);
      if (std::find(ids.begin(), ids.end(), kPmmirId) == ids.end()) return d = "REG_LIST: PMMIR_EL1 missing; " + d, false;
      d += ", in REG_LIST";
      return expect_rc(d, "SET SLOTS+1", a.vcpu().set_one_reg(kPmmirId, slots + 1), -EINVAL) &&
             expect_rc(d, "SET itself", a.vcpu().set_one_reg(kPmmirId, slots), 0) &&
             expect_rc(d, "INIT", a.init(), 0) && expect_rc(d, "KVM_RUN", a.run(), -EINTR) &&
             expect_rc(d, "SET 0 after run", a.vcpu().set_one_reg(kPmmirId, 0), slots ? -EBUSY : 0);
    });
  }
  if (pol.attr5 == vp::Attr5::kFixedCountersOnly) {
    add("fixed-exclusive", "-EBUSY with SET_PMU or FILTER", [&](std::string& d) {
      const vp::kvm_pmu_event_filter flt{0x11, 1, vp::KVM_PMU_EVENT_ALLOW, {}};
      EraVm a(kvm, pcpu, false), b(kvm, pcpu, false), c(kvm, pcpu, false);
      for (EraVm* x : {&a, &b, &c})
        if (!x->error().empty()) return d = x->error(), false;
      return expect_rc(d, "SET_PMU", a.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmu_type), 0) &&
             expect_rc(d, "then FIXED", a.attr(vp::KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, nullptr), -EBUSY) &&
             expect_rc(d, "FILTER", b.attr(vp::KVM_ARM_VCPU_PMU_V3_FILTER, &flt), 0) &&
             expect_rc(d, "then FIXED", b.attr(vp::KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, nullptr), -EBUSY) &&
             expect_rc(d, "FIXED", c.attr(vp::KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, nullptr), 0) &&
             expect_rc(d, "then SET_PMU", c.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmu_type), -EBUSY) &&
             expect_rc(d, "then FILTER", c.attr(vp::KVM_ARM_VCPU_PMU_V3_FILTER, &flt), -EBUSY);
    });
    add("fixed-cycle-only", "N = 0 on every CPU", [&](std::string& d) {
      EraVm a(kvm, pcpu, false);
      if (!a.error().empty()) return d = a.error(), false;
      if (!expect_rc(d, "FIXED", a.attr(vp::KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, nullptr), 0)) return false;
      d += fmt(", N reads %u", a.n());
      const unsigned one = 1;
      return a.n() == 0 && expect_rc(d, "SET_NR_COUNTERS(1)", a.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &one), -EINVAL);
    });
  }
  if (pol.attr5 == vp::Attr5::kEnablePartition) {
    const unsigned reserved = desc.pmus[cluster].reserved_host_counters;
    const unsigned hpmn = reserved > max_n ? 0 : max_n - reserved;
    const bool fits = reserved <= max_n && (hpmn > 0 || desc.pmus[cluster].feat_hpmn0);
    if (desc.features.vhe && fits && hpmn >= 1) add_partition_guest_rows(add, kvm, desc, pcpu, cluster, hpmn);
    add("partition-hpmn", fmt("N = HPMN = %u - %u", max_n, reserved), [&](std::string& d) {
      EraVm a(kvm, pcpu, false);
      if (!a.error().empty()) return d = a.error(), false;
      const int want = !desc.features.vhe ? -ENXIO : fits ? 0 : -EINVAL;
      if (!expect_rc(d, "ENABLE_PARTITION", a.attr(vp::KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr), want)) return false;
      if (want != 0) return true;
      d += fmt(", N reads %u", a.n());
      const unsigned above = hpmn + 1;
      return a.n() == hpmn &&
             expect_rc(d, fmt("SET_NR_COUNTERS(%u)", above).c_str(),
                       a.attr(vp::KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &above), -EINVAL);
    });
    add("partition-hpmn0", "HPMN 0 only with FEAT_HPMN0", [&](std::string& d) {
      // The host's cluster with every counter reserved, without and with FEAT_HPMN0.
      bool ok = true;
      for (bool hpmn0 : {false, true}) {
        km::HostDesc all = desc;
        all.pmus[cluster].reserved_host_counters = max_n;
        all.pmus[cluster].feat_hpmn0 = hpmn0;
        all.features.vhe = true;
        const km::Kvm k(all, era);
        EraVm a(k, pcpu, false);
        if (!a.error().empty()) return d = a.error(), false;
        ok = ok && expect_rc(d, hpmn0 ? "with FEAT_HPMN0" : "without FEAT_HPMN0",
                             a.attr(vp::KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION, nullptr), hpmn0 ? 0 : -EINVAL);
      }
      return ok;
    });
  }
  // Attribute 5 in an era that does not define it: an unknown attribute.
  if (pol.attr5 == vp::Attr5::kNone && pol.has_set_nr_counters) {
    add("attr5-unknown", "attribute 5 -ENXIO", [&](std::string& d) {
      EraVm a(kvm, pcpu, false);
      if (!a.error().empty()) return d = a.error(), false;
      return expect_rc(d, "SET attribute 5", a.attr(5, nullptr), -ENXIO) &&
             expect_rc(d, "HAS attribute 5", a.vcpu().has_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, 5), -ENXIO);
    });
  }
  return rows;
}

}  // namespace

std::vector<EraCase> run_era_cases(const config::Host& host, kvm_model::vpmu::Era era, uint32_t pcpu) {
  return era_cases(vmm::host_desc(host, false), era, pcpu, host.cluster_index_of(pcpu));
}

}  // namespace pmuemu::conformance
