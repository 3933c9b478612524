// `pmuemu plan HOST.yaml...`: PMCR_EL0.N planning for a fleet of hosts.
//
// A VM's N is restored with PMCR_EL0 (KVM_SET_ONE_REG). What the destination's KVM does with
// it depends on the kernel era: 6.6 stores it raw, v5 refuses an N above its limit, 6.7 and
// later keep N VM-wide, never above the counters of the VM's host PMU (the PMU of the
// cluster the VMM thread ran on at the first KVM_ARM_VCPU_INIT, or the one chosen with
// SET_PMU), and silently keep their own N otherwise, so the VMM must refuse the migration.
// The matrices are not computed from these rules: for each --kvm era, each destination is
// asked, through that era's KVM model, what a restore of N does there.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "cpu/arch/sysreg_key.h"
#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/common/text.h"
#include "emu/config/host_config.h"
#include "emu/vmm/host_check.h"
#include "emu/vmm/host_model.h"
#include "kvm_model/kvm.h"
#include "kvm_model/vpmu/era.h"
#include "kvm_model/vpmu/host_pmu.h"
#include "kvm_model/vpmu/uapi.h"
#include "pmu/events.h"
#include "pmu/pmuv3_fields.h"

namespace pmuemu::cli {
namespace {

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

struct HostSummary {
  config::Host host;
  uint32_t n_min = 0, n_max = 0;
  uint8_t pmuver_limit = 0;          // the KVM model's sanitised PMUVer limit
  std::set<uint16_t> common_events;  // common events every cluster implements
};

std::string pmuver_text(uint8_t v) {
  // ID_AA64DFR0_EL1.PMUVer encodings (Arm ARM D19.2): 1 = v3, 4 = v3.1, 5 = v3.4, 6 = v3.5, 7 = v3.7.
  switch (v) {
    case 0: return "none (no vPMU)";
    case 1: return "v3 (PMUVer 1)";
    case 4: return "v3.1 (PMUVer 4)";
    case 5: return "v3.4 (PMUVer 5)";
    case 6: return "v3.5 (PMUVer 6)";
    case 7: return "v3.7 (PMUVer 7)";
    default: return "PMUVer " + std::to_string(v);
  }
}

// What the destination's KVM does with a restored PMCR_EL0 whose N is n, for one way of
// building the VM there. Found by asking the KVM model of that era, so a new era's rules
// show here without a line of this file knowing them.
enum class Restore : uint8_t {
  kKept,     // GET_ONE_REG reads N back and the VM's PMU has at least N counters
  kRaw,      // N read back, but the VM's PMU has fewer counters: the value is stored as is
  kChanged,  // KVM kept another N: the VMM's check refuses the restore (run exit 6)
  kEinval,   // KVM_SET_ONE_REG(PMCR_EL0) failed (run exit 5)
  kNoVm,     // the VM could not be built this way (a KVM call before the PMCR_EL0 write failed)
};

// One way of building the VM on the destination: as `run --restore` does it, the VMM thread
// and the vCPU on `pcpu`, with SET_PMU of `cluster` if set (the default PMU otherwise).
struct Placement {
  uint32_t pcpu;
  std::optional<size_t> cluster;
};

constexpr uint64_t kPmcrId = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();
constexpr uint64_t kGicDist = 0x08000000, kGicRedist = 0x080A0000;

// The calls `run --restore` makes before the first register is restored (create, vCPU
// INIT with PMU_V3, the vGIC, the PMU attributes), then the PMCR_EL0 write and read-back.
Restore probe_restore(const km::Kvm& kvm, const Placement& where, uint32_t n, uint32_t pmu_counters) {
  // The vCPUs need guest memory to exist; this VM never runs, so a small slot will do.
  std::vector<uint8_t> ram(64 * 1024);
  std::unique_ptr<km::Vm> vm;
  if (kvm.create_vm(vm) < 0) return Restore::kNoVm;
  vm->set_vmm_pcpu(where.pcpu);
  if (vm->set_user_memory_region(0, 0x40000000, ram.size(), ram.data()) < 0) return Restore::kNoVm;
  km::kvm_vcpu_init init;
  km::Vcpu* vcpu = nullptr;
  if (vm->arm_preferred_target(init) < 0 || vm->create_vcpu(0, vcpu) < 0) return Restore::kNoVm;
  init.features[0] |= 1u << km::KVM_ARM_VCPU_PMU_V3;
  vcpu->vcpu_load(where.pcpu);
  if (vcpu->arm_vcpu_init(init) < 0 || vm->create_device(km::KVM_DEV_TYPE_ARM_VGIC_V3) < 0 ||
      vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_ADDR, km::KVM_VGIC_V3_ADDR_TYPE_DIST, kGicDist) < 0 ||
      vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_ADDR, km::KVM_VGIC_V3_ADDR_TYPE_REDIST, kGicRedist) < 0 ||
      vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 64) < 0 ||
      vm->vgic_set_attr(km::KVM_DEV_ARM_VGIC_GRP_CTRL, km::KVM_DEV_ARM_VGIC_CTRL_INIT, 0) < 0)
    return Restore::kNoVm;
  if (where.cluster) {
    const int type = static_cast<int>(vp::kArmPmuTypeBase + *where.cluster);
    if (vcpu->set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, vp::KVM_ARM_VCPU_PMU_V3_SET_PMU, &type) < 0)
      return Restore::kNoVm;
  }
  const int irq = 23;
  if (vcpu->set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, vp::KVM_ARM_VCPU_PMU_V3_IRQ, &irq) < 0 ||
      vcpu->set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, vp::KVM_ARM_VCPU_PMU_V3_INIT, nullptr) < 0)
    return Restore::kNoVm;
  uint64_t pmcr = 0;
  if (vcpu->get_one_reg(kPmcrId, pmcr) != 0) return Restore::kNoVm;
  const uint64_t want = (pmcr & ~(uint64_t{0x1f} << 11)) | (uint64_t{n} << 11);
  if (vcpu->set_one_reg(kPmcrId, want) != 0) return Restore::kEinval;
  if (vcpu->get_one_reg(kPmcrId, pmcr) != 0) return Restore::kNoVm;
  if (pmu::pmcr::N(pmcr) != n) return Restore::kChanged;
  return n <= pmu_counters ? Restore::kKept : Restore::kRaw;
}

struct Cell {
  std::string text;
  std::vector<std::string> set_pmu;  // for "pmu": the core types whose SET_PMU keeps N
};

// One matrix cell: the host-level limits first (no vPMU, PMU version), then what the
// destination's KVM of this era does on each way of building the VM there.
Cell cell(const km::Kvm& dst_kvm, const HostSummary& src, const HostSummary& dst, uint32_t n) {
  if (src.pmuver_limit == 0 || n > src.n_max) return {"-", {}};
  if (dst.pmuver_limit == 0) return {"no-vpmu", {}};
  // The VM's ID_AA64DFR0_EL1.PMUVer is restored as saved; KVM refuses one above its limit.
  if (dst.pmuver_limit < src.pmuver_limit) return {"pmuver", {}};
  const auto& clusters = dst.host.clusters;
  std::set<Restore> seen;
  bool every_default_kept = true;
  for (const auto& c : clusters) {
    const Restore r = probe_restore(dst_kvm, {c.first_pcpu, std::nullopt}, n, c.core.pmu_counters);
    every_default_kept &= r == Restore::kKept;
    seen.insert(r);
  }
  if (every_default_kept) return {"ok", {}};
  Cell out{"pmu", {}};
  for (size_t i = 0; i < clusters.size(); ++i) {
    const Restore r = probe_restore(dst_kvm, {clusters[i].first_pcpu, i}, n, clusters[i].core.pmu_counters);
    if (r == Restore::kKept) out.set_pmu.push_back(clusters[i].core.name);
    seen.insert(r);
  }
  if (!out.set_pmu.empty()) return out;
  // No way keeps N: the cell names the most permissive outcome of any way tried.
  if (seen.count(Restore::kRaw)) return {"raw", {}};
  if (seen.count(Restore::kChanged)) return {"no", {}};
  if (seen.count(Restore::kEinval)) return {"einval", {}};
  return {"refused", {}};  // KVM builds no such VM at all (e.g. an attribute the era requires)
}

}  // namespace

int cmd_plan(const ParsedArgs& args) {
  const std::vector<std::string>& files = args.positional;
  // --kvm: the eras to plan for, each once, in the order given; the default is run's.
  std::vector<vp::Era> eras;
  for (const std::string& name : args.has("kvm") ? args.all("kvm") : std::vector<std::string>{"6.7"}) {
    const auto era = vp::parse_era(name);
    if (!era) {
      std::string known;
      for (const auto e : vp::kAllEras) known += (known.empty() ? "" : ", ") + std::string(vp::era_name(e));
      throw UsageError("plan: --kvm: unknown kernel era '" + name + "' (known: " + known + ", newest)");
    }
    if (std::find(eras.begin(), eras.end(), *era) == eras.end()) eras.push_back(*era);
  }
  std::set<uint32_t> ns;
  if (args.has("n")) {
    for (const std::string& v : args.all("n")) {
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 2 || std::stoul(v) > 31)
        throw UsageError("plan: --n: expected a counter count 0..31, got '" + v + "'");
      ns.insert(static_cast<uint32_t>(std::stoul(v)));
    }
  }

  std::vector<HostSummary> fleet;
  for (const auto& f : files) {
    HostSummary h;
    h.host = config::load_host_file(f);
    h.n_min = 31;
    for (const auto& c : h.host.clusters) {
      h.n_min = std::min(h.n_min, c.core.pmu_counters);
      h.n_max = std::max(h.n_max, c.core.pmu_counters);
    }
    const kvm_model::HostDesc d = vmm::host_desc(h.host, false);
    h.pmuver_limit = kvm_model::vpmu::HostPmus(d.pmus, d.features).pmuver_limit();
    for (size_t c = 0; c < h.host.clusters.size(); ++c) {
      const auto& ev = h.host.clusters[c].core.pmu_events;
      if (c == 0) {
        h.common_events.insert(ev.begin(), ev.end());
      } else {
        std::set<uint16_t> both;
        for (uint16_t e : ev)
          if (h.common_events.count(e)) both.insert(e);
        h.common_events = std::move(both);
      }
    }
    fleet.push_back(std::move(h));
  }

  std::printf("%-18s %-8s %-14s %-8s %-6s %-8s %-11s %s\n", "host", "cluster", "core", "pCPUs", "max N", "PMU",
              "MIDR", "REVIDR");
  for (const auto& h : fleet) {
    for (size_t c = 0; c < h.host.clusters.size(); ++c) {
      const auto& cl = h.host.clusters[c];
      const std::string cpus = std::to_string(cl.first_pcpu) + "-" + std::to_string(cl.first_pcpu + cl.cpus - 1);
      std::printf("%-18s %-8zu %-14s %-8s %-6u %-8s 0x%08x  0x00000000\n", h.host.name.c_str(), c,
                  cl.core.name.c_str(), cpus.c_str(), cl.core.pmu_counters, ("v" + cl.core.pmu_version).c_str(),
                  cl.core.midr);
    }
  }
  std::printf("(REVIDR_EL1 is not described by host files: 0 on every core.)\n");

  // Hosts on which KVM offers no vPMU at all: a VM with a vPMU can neither start on them
  // nor be restored there, whatever its N.
  bool any_without = false;
  for (const auto& h : fleet) {
    const std::string why = vmm::no_vpmu_reason(h.host);
    if (why.empty()) continue;
    if (!any_without) std::printf("\nno vPMU:\n");
    any_without = true;
    std::printf("  %s\n", why.c_str());
  }

  // PMU version: a restored VM keeps the ID_AA64DFR0_EL1.PMUVer it was created with; KVM
  // accepts it only up to the destination's limit (the sanitised PMUVer, capped at 3.5).
  std::printf("\n%-18s %s\n", "host", "PMUVer a VM gets (sanitised, capped at v3.5)");
  for (const auto& h : fleet) std::printf("%-18s %s\n", h.host.name.c_str(), pmuver_text(h.pmuver_limit).c_str());

  // Events: a VM sees PMCEID0/1 of its PMU (6.15+) or of the pCPU (6.6/6.7). What it can
  // rely on whatever cluster it lands on is the events every cluster has.
  std::printf("\nevents a VM loses moving from one host to another (common events on every cluster of the\n"
              "source that some cluster of the destination lacks):\n");
  bool any_lost = false;
  for (const auto& src : fleet) {
    for (const auto& dst : fleet) {
      if (&src == &dst) continue;
      std::string lost;
      for (uint16_t e : src.common_events)
        if (!dst.common_events.count(e)) {
          const std::string_view n = pmu::event_name(e);
          lost += (lost.empty() ? "" : ", ") + (n.empty() ? text::hex(e, 4) : std::string(n));
        }
      if (lost.empty()) continue;
      any_lost = true;
      std::printf("  %s -> %s: %s\n", src.host.name.c_str(), dst.host.name.c_str(), lost.c_str());
    }
  }
  if (!any_lost) std::printf("  none\n");

  // MIDR/REVIDR: what the guest sees as its CPU; since Linux 6.15 a VMM may set them and
  // list the implementations a VM may run on (the implementation-CPU hypercall).
  std::set<uint32_t> midrs;
  for (const auto& h : fleet)
    for (const auto& c : h.host.clusters) midrs.insert(c.core.midr);
  std::printf("\nCPU implementations a VM moving across this fleet may run on (MIDR/REVIDR, the list the\n"
              "6.15 implementation-CPU hypercall gives the guest for its errata):");
  for (uint32_t m : midrs) std::printf(" 0x%08x/0x0", m);
  std::printf("\n");

  std::printf("\n%-18s %-22s %s\n", "host", "N on every cluster", "N on its best cluster");
  uint32_t fleet_safe = 31;
  const bool every_n = ns.empty();  // default: every distinct N of the fleet
  for (const auto& h : fleet) {
    if (h.pmuver_limit == 0) {
      std::printf("%-18s %-22s %s\n", h.host.name.c_str(), "- (no vPMU)", "-");
      continue;
    }
    std::printf("%-18s %-22u %u\n", h.host.name.c_str(), h.n_min, h.n_max);
    fleet_safe = std::min(fleet_safe, h.n_min);
    if (every_n)
      for (const auto& c : h.host.clusters) ns.insert(c.core.pmu_counters);
  }
  std::printf("\nA VM that must be able to move between any two of these hosts, whatever cluster\n"
              "the VMM runs on, must be limited to N = %u (KVM_SET_ONE_REG PMCR_EL0.N before its\n"
              "first run, or --pmcr-n %u).\n",
              fleet_safe, fleet_safe);
  for (const auto& h : fleet)
    if (h.pmuver_limit == 0) std::printf("(%s is left out: it offers no vPMU.)\n", h.host.name.c_str());
  for (const vp::Era era : eras) {
    const std::string era_text(vp::era_name(era));
    std::vector<km::Kvm> kvms;
    for (const auto& h : fleet) kvms.emplace_back(vmm::host_desc(h.host, false), era);
    // The largest N that every pair of hosts with a vPMU takes whatever cluster the VMM uses.
    std::optional<uint32_t> era_safe;
    bool any_vpmu = false;
    for (uint32_t n : ns) {
      std::vector<std::vector<Cell>> m(fleet.size());
      bool all_ok = true;
      for (size_t s = 0; s < fleet.size(); ++s)
        for (size_t d = 0; d < fleet.size(); ++d) {
          m[s].push_back(cell(kvms[d], fleet[s], fleet[d], n));
          if (fleet[s].pmuver_limit != 0 && fleet[d].pmuver_limit != 0) {
            any_vpmu = true;
            all_ok &= m[s][d].text == "ok";
          }
        }
      if (all_ok && any_vpmu) era_safe = n;  // ns is ascending
      std::printf("\nmigration matrix for N = %u under KVM %s (rows: source, columns: destination)\n%-18s", n,
                  era_text.c_str(), "");
      for (const auto& d : fleet) std::printf(" %-12s", d.host.name.c_str());
      std::printf("\n");
      std::set<std::string> notes;
      for (size_t s = 0; s < fleet.size(); ++s) {
        std::printf("%-18s", fleet[s].host.name.c_str());
        for (size_t d = 0; d < fleet.size(); ++d) {
          std::printf(" %-12s", m[s][d].text.c_str());
          if (!m[s][d].set_pmu.empty()) {
            std::string cores;
            for (const auto& c : m[s][d].set_pmu) cores += (cores.empty() ? "--pmu " : " or --pmu ") + c;
            notes.insert("  pmu to " + fleet[d].host.name + ": " + cores);
          }
        }
        std::printf("\n");
      }
      for (const auto& line : notes) std::printf("%s\n", line.c_str());
    }
    std::printf("\nunder KVM %s: ", era_text.c_str());
    if (!any_vpmu) {
      std::printf("no host offers a vPMU.\n");
    } else if (!era_safe) {
      std::printf("no N of the matrices above lets a VM move between every pair of hosts.\n");
    } else {
      std::string how = "--pmcr-n " + std::to_string(*era_safe) + " (KVM_SET_ONE_REG PMCR_EL0)";
      if (vp::policy(era).has_set_nr_counters)
        how += " or --nr-counters " + std::to_string(*era_safe) + " (KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS)";
      std::printf("of the N above, N = %u is the largest that moves between every pair of hosts whatever "
                  "cluster the VMM runs on;\n  set it with %s.\n", *era_safe, how.c_str());
    }
  }
  return kExitOk;
}

}  // namespace pmuemu::cli
