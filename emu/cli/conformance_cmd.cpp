// `pmuemu conformance --host HOST.yaml [--kvm ERA] [--guest ELF] [--vmm-cpu N] [--verbose]`:
// the options, the table's header, rows and summary. The cases themselves are
// emu/conformance/vpmu_counter_access.cpp (docs/conformance.md explains the table).
#include <cstdio>
#include <filesystem>
#include <string>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/conformance/vpmu_counter_access.h"
#include "emu/loader/elf.h"
#include "emu/vmm/host_check.h"
#include "emu/vmm/vmm.h"
#include "kvm_model/vpmu/era.h"

namespace vp = kvm_model::vpmu;

namespace pmuemu::cli {
namespace {

using conformance::Case;

// --verbose: the guest's console output of the run behind access-run1/2, line by line.
void print_guest_output(unsigned n, const std::string& text) {
  size_t p = 0;
  while (p < text.size()) {
    const size_t e = text.find('\n', p);
    std::printf("      guest n=%u | %s\n", n, text.substr(p, e - p).c_str());
    if (e == std::string::npos) break;
    p = e + 1;
  }
}

void print_row(const Case& c) {
  std::printf("%3u  %-16s %-30s %-6s %s\n", c.n, c.name.c_str(), c.expected.c_str(), c.pass ? "pass" : "FAIL",
              c.detail.c_str());
  std::fflush(stdout);
}

// The guest ELF built with pmuemu: <dir of the executable>/../guests/vpmu_counter_access.elf.
std::string default_guest_path() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "guests/vpmu_counter_access.elf";
  // Installed: <prefix>/share/pmuemu/guests; build tree: <build>/guests.
  const auto installed = exe.parent_path().parent_path() / "share" / "pmuemu" / "guests" / "vpmu_counter_access.elf";
  if (std::filesystem::is_regular_file(installed, ec)) return installed.string();
  return (exe.parent_path().parent_path() / "guests" / "vpmu_counter_access.elf").string();
}

uint64_t parse_number(const std::string& opt, const std::string& text) {
  size_t used = 0;
  uint64_t v = 0;
  try {
    if (text.empty() || text[0] == '-') throw std::invalid_argument("negative");
    v = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw UsageError("--" + opt + ": expected a number, got '" + text + "'");
  return v;
}

}  // namespace

int cmd_conformance(const ParsedArgs& vm) {
  if (!vm.count("host")) throw UsageError("conformance: --host HOST.yaml is required");
  const std::string era_text = vm.count("kvm") ? vm.get("kvm") : "6.7";
  const auto era = vp::parse_era(era_text);
  if (!era) throw UsageError("--kvm: unknown kernel era '" + era_text + "' (known: " + vp::known_era_names() + ")");
  const std::string guest = vm.count("guest") ? vm.get("guest") : default_guest_path();

  const config::Host host = config::load_host_file(vm.get("host"));
  uint32_t pcpu = 0;
  if (vm.count("vmm-cpu")) {
    const uint64_t c = parse_number("vmm-cpu", vm.get("vmm-cpu"));
    if (c >= host.num_pcpus())
      throw UsageError("--vmm-cpu: host '" + host.name + "' has pCPUs 0.." + std::to_string(host.num_pcpus() - 1) +
                       ", not " + std::to_string(c));
    pcpu = static_cast<uint32_t>(c);
  }
  if (const std::string why = vmm::no_vpmu_reason(host); !why.empty()) {
    // vpmu_counter_access starts with TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_PMU_V3)): on
    // such a host it skips rather than fails.
    std::printf("vpmu_counter_access conformance: host %s, KVM %s\n", host.name.c_str(),
                std::string(vp::era_name(*era)).c_str());
    std::printf("skipped: %s; the selftest requires KVM_CAP_ARM_PMU_V3 and skips (KSFT_SKIP)\n", why.c_str());
    return kExitSkipped;
  }
  if (!std::filesystem::is_regular_file(guest))
    throw InputError(guest + ": guest ELF not found (build the guests, or pass --guest)");
  (void)loader::load_elf_file(guest, vmm::RunOptions{}.ram_base, vmm::RunOptions{}.ram_size);  // InputError if bad

  const conformance::ClusterInfo cl = conformance::cluster_of(host, pcpu);
  const std::string cluster_text = "cluster " + std::to_string(cl.index) + ", " + cl.core;

  std::printf("vpmu_counter_access conformance: host %s, KVM %s\n", host.name.c_str(),
              std::string(vp::era_name(*era)).c_str());
  std::printf("VMM and vCPU threads on pCPU %u (%s): host maximum N = %u\n\n", pcpu, cluster_text.c_str(), cl.max_n);
  std::printf("%3s  %-16s %-30s %-6s %s\n", "n", "case", "expected", "result", "detail");

  const bool verbose = vm.count("verbose") > 0;
  unsigned passed = 0, failed = 0;
  bool dfr0_fallback = false;
  conformance::run_vpmu_counter_access({&host, *era, era_text, guest, pcpu}, [&](const Case& c) {
    if (verbose && !c.guest_output.empty()) print_guest_output(c.n, c.guest_output);
    print_row(c);
    (c.pass ? passed : failed)++;
    dfr0_fallback = dfr0_fallback || c.dfr0_fallback;
  });

  if (dfr0_fallback)
    std::fprintf(stderr, "pmuemu: warning: KVM_GET_ONE_REG(ID_AA64DFR0_EL1) is -ENOENT in this KVM model; the "
                         "PMUVer check used the VM's PMUVer instead\n");
  std::printf("\nconformance: %u passed, %u failed\n", passed, failed);
  return failed == 0 ? kExitOk : 1;  // 1: some case failed
}

}  // namespace pmuemu::cli
