// pmuemu run: options are declared once here; docs/cli.md describes the same set.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <iostream>
#include <optional>
#include <sstream>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/bare/bare.h"
#include "emu/gdb/stub.h"
#include "emu/loader/elf_symbols.h"
#include "emu/vmm/report.h"
#include "emu/vmm/vmm.h"

namespace pmuemu::cli {
namespace {

// Accepts decimal and 0x-prefixed hexadecimal; rejects anything else with the option name.
uint64_t parse_u64(const std::string& opt, const std::string& text) {
  if (text.empty() || text[0] == '-') throw UsageError("--" + opt + ": expected a non-negative number, got '" + text + "'");
  size_t used = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    throw UsageError("--" + opt + ": expected a number, got '" + text + "'");
  }
  if (used != text.size()) throw UsageError("--" + opt + ": expected a number, got '" + text + "'");
  return v;
}

struct TraceFlag {
  std::string_view name;
  bool vmm::RunOptions::*member;
};
constexpr TraceFlag kTraceFlags[] = {{"insn", &vmm::RunOptions::trace_insn},
                                     {"sysreg", &vmm::RunOptions::trace_sysreg},
                                     {"reset", &vmm::RunOptions::trace_reset},
                                     {"reset-summary", &vmm::RunOptions::trace_reset_summary},
                                     {"vmm", &vmm::RunOptions::trace_vmm}};

// Options whose effect a restore would overwrite with the snapshot's saved state.
struct FixedOption {
  std::string_view option, what;
};
constexpr FixedOption kFixedBySnapshot[] = {
    {"vcpus", "the number of vCPUs"},
    {"pmcr-n", "PMCR_EL0.N (restored with the saved PMCR_EL0)"},
    {"nr-counters", "the number of counters (PMCR_EL0.N, restored with the saved PMCR_EL0)"},
    {"no-pmu", "whether the vCPUs have a PMU"},
    {"ram-mib", "the guest RAM size"},
    {"memory", "the guest RAM size"},
    {"arg", "the vCPUs' registers (x0 included)"},
};

// An address (decimal or 0x hex) or a symbol of the guest ELF: [value, value + size) (one
// instruction for a symbol without a size, or for a number).
std::pair<uint64_t, uint64_t> address_or_symbol(const std::string& opt, const std::string& text,
                                                const std::string& guest) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    const uint64_t a = parse_u64(opt, text);
    return {a, a + 4};
  }
  const std::string label = "--" + opt + (opt.back() == ':' ? "" : " ") + text;
  if (guest.empty()) throw UsageError(label + ": a symbol needs --guest ELF (or give an address)");
  const auto sym = loader::find_elf_symbol(guest, text);
  if (!sym) throw UsageError(label + ": no symbol '" + text + "' in " + guest);
  return {sym->value, sym->value + std::max<uint64_t>(sym->size, 4)};
}

}  // namespace

int cmd_run(const ParsedArgs& vm) {
  if (!vm.count("host")) throw UsageError("run: --host HOST.yaml is required");
  if (!vm.count("guest") && !vm.count("restore") && !vm.count("kernel"))
    throw UsageError("run: --guest GUEST.elf is required");

  vmm::RunOptions opts;
  if (vm.count("guest")) opts.guest_path = vm.get("guest");
  if (vm.count("kernel")) {
    // With --restore (QEMU's -incoming takes the source's -kernel too) the files are what
    // a system reset of the restored VM boots again.
    if (vm.count("guest") || vm.count("bare"))
      throw UsageError("run: --kernel boots Linux: not valid with --guest or --bare");
    opts.kernel_path = vm.get("kernel");
    opts.ram_size = 512ull << 20;
    if (vm.count("initrd")) opts.initrd_path = vm.get("initrd");
    if (vm.count("append")) opts.append = vm.get("append");
    if (vm.count("dtb")) opts.dtb_path = vm.get("dtb");
    if (vm.count("dump-dtb")) opts.dump_dtb_path = vm.get("dump-dtb");
    if (vm.count("seed")) opts.seed = parse_u64("seed", vm.get("seed"));
    if (vm.count("drive") && vm.count("restore"))
      throw UsageError("--drive: a snapshot holds no device state; not valid with --restore");
    if (vm.count("drive"))
      for (const auto& spec : vm.all("drive")) opts.drives.push_back(devices::parse_drive(spec));
  } else {
    for (const char* linux_only : {"initrd", "append", "dtb", "dump-dtb", "seed", "drive"})
      if (vm.count(linux_only)) throw UsageError(std::string("--") + linux_only + " goes with --kernel IMAGE");
  }
  if (vm.count("memory")) {
    if (vm.count("ram-mib")) throw UsageError("run: --memory and --ram-mib exclude each other");
    std::string t = vm.get("memory");
    uint64_t shift = 0;
    if (!t.empty()) {
      const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
      shift = suffix == 'K' ? 10 : suffix == 'M' ? 20 : suffix == 'G' ? 30 : 0;
      if (shift != 0) t.pop_back();
    }
    const uint64_t n = parse_u64("memory", t);
    const uint64_t bytes = n << shift;
    if (n == 0 || (bytes >> shift) != n || bytes > (4096ull << 20) || bytes % (2u << 20) != 0)
      throw UsageError("--memory: a multiple of 2 MiB from 2M to 4G, got '" + vm.get("memory") + "'");
    opts.ram_size = bytes;
  }
  if (vm.count("restore")) {
    if (vm.count("guest")) throw UsageError("run: --restore and --guest exclude each other (the snapshot holds the guest)");
    // What the snapshot holds is restored as saved: an option that would set it differently
    // is an error rather than silently overwritten by the restore.
    for (const auto& fixed : kFixedBySnapshot)
      if (vm.count(std::string(fixed.option)))
        throw UsageError("--" + std::string(fixed.option) + " is not valid with --restore: the snapshot fixes " +
                         std::string(fixed.what));
    opts.restore_path = vm.get("restore");
    opts.allow_era_change = vm.count("allow-era-change") != 0;
  } else if (vm.count("allow-era-change")) {
    throw UsageError("--allow-era-change goes with --restore SNAP");
  }
  if (vm.count("save")) {
    if (vm.count("stop-after-insns") == vm.count("save-at-pc"))
      throw UsageError("run: --save needs one of --stop-after-insns N and --save-at-pc ADDR");
    opts.save_path = vm.get("save");
    if (vm.count("stop-after-insns")) opts.stop_after_insns = parse_u64("stop-after-insns", vm.get("stop-after-insns"));
    if (vm.count("save-at-pc")) {
      if (vm.count("gdb")) throw UsageError("--save-at-pc and --gdb exclude each other (gdb can stop there)");
      opts.save_at_pc = address_or_symbol("save-at-pc", vm.get("save-at-pc"), opts.guest_path).first;
    }
  } else if (vm.count("stop-after-insns") || vm.count("save-at-pc")) {
    throw UsageError(std::string("run: --") + (vm.count("save-at-pc") ? "save-at-pc" : "stop-after-insns") +
                     " goes with --save SNAP");
  }
  if (vm.count("timing")) {
    const std::string t = vm.get("timing");
    if (t == "cycle") opts.timing = vmm::Timing::kCycle;
    else if (t == "functional") opts.timing = vmm::Timing::kFunctional;
    else throw UsageError("--timing: expected 'cycle' or 'functional', got '" + t + "'");
  }
  const bool bare = vm.count("bare") != 0;
  if (bare) {
    // The debugger stub and --save-at-pc drive the VMM's run loop, which a bare run has not.
    for (const char* vmm_only : {"gdb", "save-at-pc"})
      if (vm.count(vmm_only)) throw UsageError(std::string("--") + vmm_only + " needs the VMM's run loop: not valid with --bare");
    // Bare metal has no hypervisor, one CPU and the host's own PMU: the KVM options mean nothing.
    for (const char* kvm_only : {"kvm", "pmu", "pmcr-n", "nr-counters", "vmm-cpu", "no-pmu", "vcpus", "affinity",
                                 "migrate-every", "json", "timeline", "reinit-runs", "save", "stop-after-insns",
                                 "restore", "threads", "timeout", "save-on-exit", "save-on-request"})
      if (vm.count(kvm_only)) throw UsageError(std::string("--") + kvm_only + " is a KVM option: not valid with --bare");
  }
  if (vm.count("threads")) {
    // A snapshot is taken at an exact instruction count, which only the deterministic
    // scheduler can stop at.
    if (vm.count("save")) throw UsageError("--save needs the deterministic scheduler: not valid with --threads");
    if (vm.count("gdb")) throw UsageError("--gdb needs the deterministic scheduler: not valid with --threads");
    if (vm.count("save-on-request"))
      throw UsageError("--save-on-request needs the deterministic scheduler: not valid with --threads");
    opts.threads = true;
  }
  if (vm.count("arg")) opts.arg = parse_u64("arg", vm.get("arg"));
  if (vm.count("vcpus")) {
    const uint64_t n = parse_u64("vcpus", vm.get("vcpus"));
    if (n < 1 || n > 64) throw UsageError("--vcpus: must be between 1 and 64, got " + std::to_string(n));
    opts.vcpus = static_cast<uint32_t>(n);
  }
  if (vm.count("kvm")) opts.kvm_era = vm.get("kvm");
  if (vm.count("pmu")) opts.pmu_core = vm.get("pmu");
  if (vm.count("no-pmu")) opts.pmu = false;
  if (vm.count("pmcr-n")) {
    const uint64_t n = parse_u64("pmcr-n", vm.get("pmcr-n"));
    if (n > 31) throw UsageError("--pmcr-n: PMCR_EL0.N is 0..31, got " + std::to_string(n));
    opts.pmcr_n = static_cast<int>(n);
  }
  if (vm.count("nr-counters")) {
    const uint64_t n = parse_u64("nr-counters", vm.get("nr-counters"));
    if (n > 31) throw UsageError("--nr-counters: 0..31, got " + std::to_string(n));
    opts.nr_counters = static_cast<int>(n);
  }
  if (vm.count("ram-mib")) {
    const uint64_t mib = parse_u64("ram-mib", vm.get("ram-mib"));
    if (mib < 1 || mib > 4096) throw UsageError("--ram-mib: must be between 1 and 4096, got " + std::to_string(mib));
    opts.ram_size = mib << 20;
  }
  if (vm.count("max-insns")) opts.max_insns = parse_u64("max-insns", vm.get("max-insns"));
  if (vm.count("max-resets")) {
    const uint64_t n = parse_u64("max-resets", vm.get("max-resets"));
    if (n > 1000000) throw UsageError("--max-resets: at most 1000000");
    opts.max_resets = static_cast<uint32_t>(n);
  }
  if (vm.count("trace")) {
    for (const auto& list : vm.all("trace")) {
      std::stringstream ss(list);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (item.rfind("insn:", 0) == 0) {
          // insn:START-END (hex or decimal, END exclusive) or insn:FUNCTION of the guest ELF.
          const std::string spec = item.substr(5);
          if (bare) throw UsageError("--trace " + item + ": address ranges are not valid with --bare (insn is)");
          const auto dash = spec.find('-');
          if (dash != std::string::npos) {
            const uint64_t lo = parse_u64("trace insn:" + spec, spec.substr(0, dash));
            const uint64_t hi = parse_u64("trace insn:" + spec, spec.substr(dash + 1));
            if (lo >= hi) throw UsageError("--trace insn:" + spec + ": the range START-END needs START < END");
            opts.trace_insn_ranges.emplace_back(lo, hi);
          } else {
            opts.trace_insn_ranges.push_back(address_or_symbol("trace insn:", spec, opts.guest_path));
          }
          opts.trace_insn = true;
          continue;
        }
        bool found = false;
        for (const auto& f : kTraceFlags) {
          if (f.name == item) {
            opts.*(f.member) = true;
            found = true;
          }
        }
        if (!found) {
          std::string known;
          for (const auto& f : kTraceFlags) known += (known.empty() ? "" : ", ") + std::string(f.name);
          throw UsageError("--trace: unknown trace '" + item + "' (known: " + known + ")");
        }
        if (bare && (item == "reset" || item == "reset-summary" || item == "vmm"))
          throw UsageError("--trace " + item + " traces the KVM model: not valid with --bare (insn, sysreg are)");
      }
    }
  }

  const config::Host host = config::load_host_file(vm.get("host"));
  if (vm.count("vmm-cpu")) {
    const uint64_t c = parse_u64("vmm-cpu", vm.get("vmm-cpu"));
    if (c >= host.num_pcpus())
      throw UsageError("--vmm-cpu: host '" + host.name + "' has pCPUs 0.." + std::to_string(host.num_pcpus() - 1) +
                       ", not " + std::to_string(c));
    opts.vmm_cpu = static_cast<uint32_t>(c);
  }
  if (vm.count("migrate-every")) opts.migrate_every = parse_u64("migrate-every", vm.get("migrate-every"));
  if (vm.count("affinity")) {
    opts.affinity.resize(opts.vcpus);
    for (const auto& spec : vm.all("affinity")) {
      const auto eq = spec.find('=');
      if (eq == std::string::npos) throw UsageError("--affinity: expected VCPU=CPULIST, got '" + spec + "'");
      const uint64_t vcpu = parse_u64("affinity", spec.substr(0, eq));
      // With --restore the vCPU count is the snapshot's, which run_guest checks against.
      if (!opts.restore_path.empty() && vcpu >= 64)
        throw UsageError("--affinity: vCPU " + std::to_string(vcpu) + " does not exist (a VM has at most 64)");
      if (opts.restore_path.empty() && vcpu >= opts.vcpus)
        throw UsageError("--affinity: vCPU " + std::to_string(vcpu) + " does not exist (--vcpus " + std::to_string(opts.vcpus) + ")");
      std::vector<uint32_t> cpus;
      std::stringstream ss(spec.substr(eq + 1));
      std::string item;
      while (std::getline(ss, item, ',')) {
        const auto dash = item.find('-');
        const uint64_t lo = parse_u64("affinity", item.substr(0, dash));
        const uint64_t hi = dash == std::string::npos ? lo : parse_u64("affinity", item.substr(dash + 1));
        if (lo > hi || hi >= host.num_pcpus())
          throw UsageError("--affinity: host '" + host.name + "' has pCPUs 0.." + std::to_string(host.num_pcpus() - 1) +
                           ", not '" + item + "'");
        for (uint64_t c = lo; c <= hi; ++c) cpus.push_back(static_cast<uint32_t>(c));
      }
      if (cpus.empty()) throw UsageError("--affinity: empty CPU list in '" + spec + "'");
      if (vcpu >= opts.affinity.size()) opts.affinity.resize(vcpu + 1);
      opts.affinity[vcpu] = cpus;
    }
  }
  if (vm.count("reinit-runs")) {
    if (vm.count("restore")) throw UsageError("--reinit-runs boots the guest ELF again: not valid with --restore");
    const uint64_t k = parse_u64("reinit-runs", vm.get("reinit-runs"));
    if (k > 1000000) throw UsageError("--reinit-runs: at most 1000000, got " + std::to_string(k));
    opts.reinit_runs = static_cast<uint32_t>(k);
  }
  std::chrono::nanoseconds timeout{0};
  if (vm.count("timeout")) {
    const std::string& t = vm.get("timeout");
    double secs = 0;
    size_t used = 0;
    try {
      secs = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    // A positive decimal number of seconds (no "inf", "nan" or hex floats).
    if (used == 0 || used != t.size() || t.find_first_not_of("0123456789.") != std::string::npos || !(secs > 0) ||
        secs > 1e6)
      throw UsageError("--timeout: expected seconds between 0 and 1000000 (e.g. 2.5), got '" + t + "'");
    timeout = std::chrono::nanoseconds(static_cast<int64_t>(secs * 1e9));
    opts.timeout_text = t + " s";
  }
  if (vm.count("save-on-exit")) opts.save_on_exit_path = vm.get("save-on-exit");
  if (vm.count("save-on-request")) opts.save_on_request_path = vm.get("save-on-request");
  if (vm.count("json")) opts.json_path = vm.get("json");
  if (vm.count("timeline")) opts.timeline_path = vm.get("timeline");
  // Output files are created before the guest runs, so a bad path costs no guest time.
  for (const std::string* path :
       {&opts.json_path, &opts.timeline_path, &opts.save_on_exit_path, &opts.save_on_request_path, &opts.dump_dtb_path}) {
    if (path->empty()) continue;
    const std::string err = vmm::check_writable(*path);
    if (!err.empty()) throw InputError(err);
  }
  if (bare) {
    const vmm::RunOutcome r = bare::run_bare(host, opts);
    if (!r.error.empty()) std::fprintf(stderr, "pmuemu: error: %s\n", r.error.c_str());
    return r.exit_status;
  }
  // --gdb: listening before the VM is built, so a port in use costs no guest time.
  std::optional<gdb::Stub> stub;
  if (vm.count("gdb")) {
    stub.emplace(gdb::parse_endpoint(vm.get("gdb")), stderr);
    opts.gdb = &*stub;
  }
  // SIGINT, SIGTERM and --timeout end the run between two KVM_RUNs (emu/vmm/stop.h).
  vmm::StopControl stop;
  opts.stop = &stop;
  vmm::RunOutcome r;
  {
    const vmm::StopWatcher watcher(stop, timeout);
    r = vmm::run_guest(host, opts);
  }
  if (!r.error.empty()) std::fprintf(stderr, "pmuemu: error: %s\n", r.error.c_str());
  for (const std::string& w : r.where) std::fprintf(stderr, "pmuemu: %s\n", w.c_str());
  return r.exit_status;
}

}  // namespace pmuemu::cli
