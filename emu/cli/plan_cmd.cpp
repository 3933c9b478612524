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
#include "emu/config/host_config.h"

namespace pmuemu::cli {
namespace {

struct HostSummary {
  config::Host host;
  uint32_t n_min = 0, n_max = 0;
};

std::string cell(const HostSummary& src, const HostSummary& dst, uint32_t n) {
  if (n > src.n_max) return "-";
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
    HostSummary h{config::load_host_file(f)};
    h.n_min = 31;
    for (const auto& c : h.host.clusters) {
      h.n_min = std::min(h.n_min, c.core.pmu_counters);
      h.n_max = std::max(h.n_max, c.core.pmu_counters);
    }
    fleet.push_back(std::move(h));
  }

  std::printf("%-18s %-8s %-14s %-8s %s\n", "host", "cluster", "core", "pCPUs", "max N");
  for (const auto& h : fleet) {
    for (size_t c = 0; c < h.host.clusters.size(); ++c) {
      const auto& cl = h.host.clusters[c];
      const std::string cpus = std::to_string(cl.first_pcpu) + "-" + std::to_string(cl.first_pcpu + cl.cpus - 1);
      std::printf("%-18s %-8zu %-14s %-8s %u\n", h.host.name.c_str(), c, cl.core.name.c_str(), cpus.c_str(),
                  cl.core.pmu_counters);
    }
  }
  std::printf("\n%-18s %-22s %s\n", "host", "N on every cluster", "N on its best cluster");
  uint32_t fleet_safe = 31;
  for (const auto& h : fleet) {
    std::printf("%-18s %-22u %u\n", h.host.name.c_str(), h.n_min, h.n_max);
    fleet_safe = std::min(fleet_safe, h.n_min);
    if (ns.empty()) {
      for (const auto& c : h.host.clusters) ns.insert(c.core.pmu_counters);
    }
  }
  std::printf("\nA VM that must be able to move between any two of these hosts, whatever cluster\n"
              "the VMM runs on, must be limited to N = %u (KVM_SET_ONE_REG PMCR_EL0.N before its\n"
              "first run, or --pmcr-n %u).\n",
              fleet_safe, fleet_safe);
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
