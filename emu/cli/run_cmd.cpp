// pmuemu run: options are declared once here; docs/cli.md describes the same set.
#include <boost/program_options.hpp>

#include <cctype>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/bare/bare.h"
#include "emu/vmm/report.h"
#include "emu/vmm/vmm.h"

namespace po = boost::program_options;

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
                                     {"vmm", &vmm::RunOptions::trace_vmm}};

}  // namespace

int cmd_run(const Args& args) {
  po::options_description desc("pmuemu run --host HOST.yaml --guest GUEST.elf [options]");
  desc.add_options()
      ("help,h", "print this help")
      ("host", po::value<std::string>(), "host YAML file (configs/*.yaml)")
      ("guest", po::value<std::string>(), "guest ELF64 AArch64 executable")
      ("kernel", po::value<std::string>(), "boot an arm64 Linux Image (raw or gzip) instead of --guest (docs/linux-guest.md)")
      ("initrd", po::value<std::string>(), "with --kernel: initramfs/initrd file")
      ("append", po::value<std::string>(), "with --kernel: the kernel command line")
      ("dtb", po::value<std::string>(), "with --kernel: use this device tree blob (its /chosen updated) instead of the generated one")
      ("dump-dtb", po::value<std::string>(), "with --kernel: write the device tree given to the kernel to this file")
      ("memory", po::value<std::string>(), "guest RAM size at 0x40000000: bytes or with a K, M or G suffix (default 128M, 512M with --kernel)")
      ("seed", po::value<std::string>(), "with --kernel: seed of the DTB's rng-seed and kaslr-seed (default 0: KASLR off)")
      ("arg", po::value<std::string>(), "value of x0 at the boot vCPU's entry (default 0)")
      ("vcpus", po::value<std::string>(), "number of vCPUs, 1..64 (default 1); vCPU 0 boots, the others wait for PSCI CPU_ON")
      ("kvm", po::value<std::string>(), "kernel era of the KVM model: 6.6, v5, 6.7 (default), 6.16 or newest")
      ("pmu", po::value<std::string>(), "KVM_ARM_VCPU_PMU_V3_SET_PMU with the PMU of the cluster of this core type")
      ("pmcr-n", po::value<std::string>(), "after init, GET/SET_ONE_REG PMCR_EL0 with this N on every vCPU (0..31)")
      ("nr-counters", po::value<std::string>(), "KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS (era 6.16)")
      ("vmm-cpu", po::value<std::string>(), "pCPU of the VMM thread (VM-scoped calls, PMU attributes); default 0")
      ("no-pmu", "create the vCPUs without KVM_ARM_VCPU_PMU_V3")
      ("save", po::value<std::string>(), "write a snapshot of the VM to this file when --stop-after-insns is reached, then exit 0")
      ("stop-after-insns", po::value<std::string>(), "with --save: guest instructions to run before the snapshot")
      ("restore", po::value<std::string>(), "build the VM from a snapshot (on this --host) and continue it")
      ("affinity", po::value<std::vector<std::string>>()->composing(), "VCPU=CPULIST (e.g. 1=4 or 0=0-3,6): pCPUs the vCPU thread may run on (repeatable)")
      ("migrate-every", po::value<std::string>(), "move each vCPU to the next pCPU of its --affinity set every N instructions")
      ("ram-mib", po::value<std::string>(), "guest RAM size in MiB at 0x40000000 (default 128)")
      ("max-insns", po::value<std::string>(), "stop with exit status 3 after this many guest instructions")
      ("max-resets", po::value<std::string>(), "stop with exit status 3 after this many PSCI SYSTEM_RESETs (default 16)")
      ("json", po::value<std::string>(), "write the run's result as versioned JSON to this file (docs/json-output.md)")
      ("timeline", po::value<std::string>(), "write a Chrome/Perfetto trace-event timeline (pCPU tracks, vCPU quanta, counters) to this file")
      ("reinit-runs", po::value<std::string>(), "after a clean end (exit 0, SYSTEM_OFF), KVM_ARM_VCPU_INIT every vCPU and run the guest again, K more times")
      ("trace", po::value<std::vector<std::string>>()->composing(), "comma-separated trace list: insn, sysreg, reset, vmm")
      ("timing", po::value<std::string>(), "cycle (default): each pCPU's cycle-level timing model gives cycles and PMU events; "
                                          "functional: one cycle per instruction (fastest)")
      ("threads", "one host thread per vCPU (vCPUs run in parallel; output order between vCPUs is not deterministic)")
      ("bare", "no KVM: run the guest bare-metal on pCPU 0, which owns the physical PMU, GIC and timer");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string("run: ") + e.what());
  }
  if (vm.count("help")) {
    std::cout << desc << "\nExit status: the guest's semihosting exit code; 0 on PSCI SYSTEM_OFF; 3 guest fault,\n"
                         "instruction or reset limit; 64 usage error; 65 unreadable or invalid input, or an\n"
                         "unwritable --json/--timeline file.\n";
    return kExitOk;
  }
  if (!vm.count("host")) throw UsageError("run: --host HOST.yaml is required");
  if (!vm.count("guest") && !vm.count("restore") && !vm.count("kernel"))
    throw UsageError("run: --guest GUEST.elf is required");

  vmm::RunOptions opts;
  if (vm.count("guest")) opts.guest_path = vm["guest"].as<std::string>();
  if (vm.count("kernel")) {
    if (vm.count("guest") || vm.count("restore") || vm.count("bare"))
      throw UsageError("run: --kernel boots Linux: not valid with --guest, --restore or --bare");
    opts.kernel_path = vm["kernel"].as<std::string>();
    opts.ram_size = 512ull << 20;
    if (vm.count("initrd")) opts.initrd_path = vm["initrd"].as<std::string>();
    if (vm.count("append")) opts.append = vm["append"].as<std::string>();
    if (vm.count("dtb")) opts.dtb_path = vm["dtb"].as<std::string>();
    if (vm.count("dump-dtb")) opts.dump_dtb_path = vm["dump-dtb"].as<std::string>();
    if (vm.count("seed")) opts.seed = parse_u64("seed", vm["seed"].as<std::string>());
  } else {
    for (const char* linux_only : {"initrd", "append", "dtb", "dump-dtb", "seed"})
      if (vm.count(linux_only)) throw UsageError(std::string("--") + linux_only + " goes with --kernel IMAGE");
  }
  if (vm.count("memory")) {
    if (vm.count("ram-mib")) throw UsageError("run: --memory and --ram-mib exclude each other");
    std::string t = vm["memory"].as<std::string>();
    uint64_t shift = 0;
    if (!t.empty()) {
      const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
      shift = suffix == 'K' ? 10 : suffix == 'M' ? 20 : suffix == 'G' ? 30 : 0;
      if (shift != 0) t.pop_back();
    }
    const uint64_t n = parse_u64("memory", t);
    const uint64_t bytes = n << shift;
    if (n == 0 || (bytes >> shift) != n || bytes > (4096ull << 20) || bytes % (2u << 20) != 0)
      throw UsageError("--memory: a multiple of 2 MiB from 2M to 4G, got '" + vm["memory"].as<std::string>() + "'");
    opts.ram_size = bytes;
  }
  if (vm.count("restore")) {
    if (vm.count("guest")) throw UsageError("run: --restore and --guest exclude each other (the snapshot holds the guest)");
    opts.restore_path = vm["restore"].as<std::string>();
  }
  if (vm.count("save")) {
    if (!vm.count("stop-after-insns")) throw UsageError("run: --save needs --stop-after-insns N");
    opts.save_path = vm["save"].as<std::string>();
    opts.stop_after_insns = parse_u64("stop-after-insns", vm["stop-after-insns"].as<std::string>());
  } else if (vm.count("stop-after-insns")) {
    throw UsageError("run: --stop-after-insns goes with --save SNAP");
  }
  if (vm.count("timing")) {
    const std::string t = vm["timing"].as<std::string>();
    if (t == "cycle") opts.timing = vmm::Timing::kCycle;
    else if (t == "functional") opts.timing = vmm::Timing::kFunctional;
    else throw UsageError("--timing: expected 'cycle' or 'functional', got '" + t + "'");
  }
  const bool bare = vm.count("bare") != 0;
  if (bare) {
    // Bare metal has no hypervisor, one CPU and the host's own PMU: the KVM options mean nothing.
    for (const char* kvm_only : {"kvm", "pmu", "pmcr-n", "nr-counters", "vmm-cpu", "no-pmu", "vcpus", "affinity",
                                 "migrate-every", "json", "timeline", "reinit-runs", "save", "stop-after-insns",
                                 "restore", "threads"})
      if (vm.count(kvm_only)) throw UsageError(std::string("--") + kvm_only + " is a KVM option: not valid with --bare");
  }
  if (vm.count("threads")) {
    // A snapshot is taken at an exact instruction count, which only the deterministic
    // scheduler can stop at.
    if (vm.count("save")) throw UsageError("--save needs the deterministic scheduler: not valid with --threads");
    opts.threads = true;
  }
  if (vm.count("arg")) opts.arg = parse_u64("arg", vm["arg"].as<std::string>());
  if (vm.count("vcpus")) {
    const uint64_t n = parse_u64("vcpus", vm["vcpus"].as<std::string>());
    if (n < 1 || n > 64) throw UsageError("--vcpus: must be between 1 and 64, got " + std::to_string(n));
    opts.vcpus = static_cast<uint32_t>(n);
  }
  if (vm.count("kvm")) opts.kvm_era = vm["kvm"].as<std::string>();
  if (vm.count("pmu")) opts.pmu_core = vm["pmu"].as<std::string>();
  if (vm.count("no-pmu")) opts.pmu = false;
  if (vm.count("pmcr-n")) {
    const uint64_t n = parse_u64("pmcr-n", vm["pmcr-n"].as<std::string>());
    if (n > 31) throw UsageError("--pmcr-n: PMCR_EL0.N is 0..31, got " + std::to_string(n));
    opts.pmcr_n = static_cast<int>(n);
  }
  if (vm.count("nr-counters")) {
    const uint64_t n = parse_u64("nr-counters", vm["nr-counters"].as<std::string>());
    if (n > 31) throw UsageError("--nr-counters: 0..31, got " + std::to_string(n));
    opts.nr_counters = static_cast<int>(n);
  }
  if (vm.count("ram-mib")) {
    const uint64_t mib = parse_u64("ram-mib", vm["ram-mib"].as<std::string>());
    if (mib < 1 || mib > 4096) throw UsageError("--ram-mib: must be between 1 and 4096, got " + std::to_string(mib));
    opts.ram_size = mib << 20;
  }
  if (vm.count("max-insns")) opts.max_insns = parse_u64("max-insns", vm["max-insns"].as<std::string>());
  if (vm.count("max-resets")) {
    const uint64_t n = parse_u64("max-resets", vm["max-resets"].as<std::string>());
    if (n > 1000000) throw UsageError("--max-resets: at most 1000000");
    opts.max_resets = static_cast<uint32_t>(n);
  }
  if (vm.count("trace")) {
    for (const auto& list : vm["trace"].as<std::vector<std::string>>()) {
      std::stringstream ss(list);
      std::string item;
      while (std::getline(ss, item, ',')) {
        bool found = false;
        for (const auto& f : kTraceFlags) {
          if (f.name == item) {
            opts.*(f.member) = true;
            found = true;
          }
        }
        if (!found) throw UsageError("--trace: unknown trace '" + item + "' (known: insn, sysreg, reset, vmm)");
        if (bare && (item == "reset" || item == "vmm"))
          throw UsageError("--trace " + item + " traces the KVM model: not valid with --bare (insn, sysreg are)");
      }
    }
  }

  const config::Host host = config::load_host_file(vm["host"].as<std::string>());
  if (vm.count("vmm-cpu")) {
    const uint64_t c = parse_u64("vmm-cpu", vm["vmm-cpu"].as<std::string>());
    if (c >= host.num_pcpus())
      throw UsageError("--vmm-cpu: host '" + host.name + "' has pCPUs 0.." + std::to_string(host.num_pcpus() - 1) +
                       ", not " + std::to_string(c));
    opts.vmm_cpu = static_cast<uint32_t>(c);
  }
  if (vm.count("migrate-every")) opts.migrate_every = parse_u64("migrate-every", vm["migrate-every"].as<std::string>());
  if (vm.count("affinity")) {
    opts.affinity.resize(opts.vcpus);
    for (const auto& spec : vm["affinity"].as<std::vector<std::string>>()) {
      const auto eq = spec.find('=');
      if (eq == std::string::npos) throw UsageError("--affinity: expected VCPU=CPULIST, got '" + spec + "'");
      const uint64_t vcpu = parse_u64("affinity", spec.substr(0, eq));
      if (vcpu >= opts.vcpus)
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
      opts.affinity[vcpu] = cpus;
    }
  }
  if (vm.count("reinit-runs")) {
    if (vm.count("restore")) throw UsageError("--reinit-runs boots the guest ELF again: not valid with --restore");
    const uint64_t k = parse_u64("reinit-runs", vm["reinit-runs"].as<std::string>());
    if (k > 1000000) throw UsageError("--reinit-runs: at most 1000000, got " + std::to_string(k));
    opts.reinit_runs = static_cast<uint32_t>(k);
  }
  if (vm.count("json")) opts.json_path = vm["json"].as<std::string>();
  if (vm.count("timeline")) opts.timeline_path = vm["timeline"].as<std::string>();
  // Output files are created before the guest runs, so a bad path costs no guest time.
  for (const std::string* path : {&opts.json_path, &opts.timeline_path, &opts.dump_dtb_path}) {
    if (path->empty()) continue;
    const std::string err = vmm::check_writable(*path);
    if (!err.empty()) throw InputError(err);
  }
  const vmm::RunOutcome r = bare ? bare::run_bare(host, opts) : vmm::run_guest(host, opts);
  if (!r.error.empty()) std::fprintf(stderr, "pmuemu: error: %s\n", r.error.c_str());
  return r.exit_status;
}

}  // namespace pmuemu::cli
