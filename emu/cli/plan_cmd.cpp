// `pmuemu plan HOST.yaml...`: PMCR_EL0.N planning for a fleet of hosts.
//
// Under the Linux 6.7 rules (docs/kvm-model.md) a VM's N is VM-wide, defaults to the
// counter count of the VM's host PMU (the PMU of the cluster the VMM thread ran on at the
// first KVM_ARM_VCPU_INIT, or the one chosen with SET_PMU) and can only be lowered. A VM
// restored on another host keeps its N only if the destination's PMU has at least N
// counters; otherwise KVM silently keeps its own N and the VMM must refuse the migration.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/common/text.h"
#include "emu/config/host_config.h"
#include "emu/vmm/host_check.h"
#include "emu/vmm/host_model.h"
#include "kvm_model/vpmu/host_pmu.h"
#include "pmu/events.h"

namespace pmuemu::cli {
namespace {

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

std::string cell(const HostSummary& src, const HostSummary& dst, uint32_t n) {
  if (src.pmuver_limit == 0 || n > src.n_max) return "-";
  if (dst.pmuver_limit == 0) return "no-vpmu";
  // The VM's ID_AA64DFR0_EL1.PMUVer is restored as saved; KVM refuses one above its limit.
  if (dst.pmuver_limit < src.pmuver_limit) return "pmuver";
  if (n <= dst.n_min) return "ok";
  if (n <= dst.n_max) return "pmu";
  return "no";
}

}  // namespace

int cmd_plan(const ParsedArgs& args) {
  const std::vector<std::string>& files = args.positional;
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
  for (uint32_t n : ns) {
    std::printf("\nmigration matrix for N = %u (rows: source, columns: destination)\n%-18s", n, "");
    for (const auto& d : fleet) std::printf(" %-12s", d.host.name.c_str());
    std::printf("\n");
    for (const auto& s : fleet) {
      std::printf("%-18s", s.host.name.c_str());
      for (const auto& d : fleet) std::printf(" %-12s", cell(s, d, n).c_str());
      std::printf("\n");
    }
  }
  return kExitOk;
}

}  // namespace pmuemu::cli
