// The one description of pmuemu's command line: commands, options, positional arguments and
// exit statuses. `--help`, `pmuemu help`, the manual page and the bash completion are
// generated from these rows (spec.cpp); docs/cli.md describes the same set in prose.
#include <array>

#include "emu/cli/commands.h"

namespace pmuemu::cli {
namespace {

constexpr ExitStatusSpec kExitTable[] = {
    {"guest's code", "run: the guest ended with semihosting SYS_EXIT/SYS_EXIT_EXTENDED and reason "
                     "ADP_Stopped_ApplicationExit (0x20026): its subcode, modulo 256"},
    {"0", "success; run: the guest exited 0 or called PSCI SYSTEM_OFF, or the snapshot of --save was written; "
          "snapshot diff: the snapshots are equal"},
    {"1", "run: the guest ended with semihosting exit and another reason; conformance: some run failed or timed out; "
          "snapshot diff: the snapshots differ"},
    {"3", "run: the guest cannot go on (an exception loop with no usable vector, every vCPU halted or off, a "
          "malformed semihosting call) or a limit was reached: --max-insns, --timeout, --max-resets"},
    {"4", "run: KVM_RUN returned KVM_EXIT_FAIL_ENTRY (a vCPU on a pCPU outside the PMU chosen with --pmu)"},
    {"5", "run: the KVM model refused a call of the VMM (the message names the call, the errno and, where "
          "known, the reason)"},
    {"6", "run: --restore refused, the destination cannot take the VM as saved (a smaller PMCR_EL0.N), or --kvm "
          "names another era than the snapshot's without --allow-era-change"},
    {"64", "usage error: unknown command or option, missing, extra or malformed argument"},
    {"65", "unreadable or invalid input file (host YAML, core catalogue, guest ELF, snapshot) or an "
           "output file that cannot be written"},
    {"70", "internal error in pmuemu (a bug: please report it)"},
    {"77", "conformance: nothing passed and something skipped, e.g. on a host that offers no vPMU "
           "(KVM_CAP_ARM_PMU_V3 absent: clusters with different PMU versions); the notes give the reasons"},
    {"130", "run: stopped by SIGINT (Ctrl-C); --json, --timeline and --save-on-exit are complete"},
    {"143", "run: stopped by SIGTERM; --json, --timeline and --save-on-exit are complete"},
    {"137", "run: gdb killed the VM (kill, vKill) under --gdb"},
    {"program code", "user: the program's exit status"},
    {"128+N", "user: signal N killed the program (139 segmentation fault, 132 illegal instruction, 134 abort), as a "
              "shell reports it; 137 when every thread waits for ever"},
};

constexpr std::string_view kRunExits[] = {"guest's code", "0", "1", "3", "4", "5", "6", "64", "65", "70", "130", "137", "143"};
constexpr std::string_view kToolExits[] = {"0", "64", "65", "70"};
constexpr std::string_view kConformanceExits[] = {"0", "1", "64", "65", "70", "77"};
constexpr std::string_view kDiffExits[] = {"0", "1", "64", "65", "70"};
constexpr std::string_view kUsageOnly[] = {"0", "64"};
constexpr std::string_view kUserExits[] = {"program code", "3", "64", "65", "128+N"};

constexpr std::string_view kEras = "6.6 v5 6.7 6.12 6.15 6.16 newest 7.3-strict proposal-fixed-counters proposal-partition";

constexpr OptionSpec kRunOptions[] = {
    {"host", "HOST.yaml", "host YAML file (configs/*.yaml); required", "file"},
    {"guest", "GUEST.elf", "guest ELF64 AArch64 executable; required unless --restore", "file"},
    {"kernel", "IMAGE", "boot an arm64 Linux Image (raw or gzip) instead of --guest (docs/linux-guest.md)", "file"},
    {"initrd", "FILE", "with --kernel: initramfs/initrd file", "file"},
    {"append", "CMDLINE", "with --kernel: the kernel command line"},
    {"dtb", "FILE", "with --kernel: use this device tree blob (its /chosen updated) instead of the generated one",
     "file"},
    {"drive", "FILE[,readonly]", "with --kernel: a raw disk image as a virtio-mmio block device (/dev/vda, vdb, ... "
                                 "in order); repeatable", "file", true},
    {"dump-dtb", "FILE", "with --kernel: write the device tree given to the kernel to this file", "file"},
    {"memory", "SIZE", "guest RAM size at 0x40000000: bytes or with a K, M or G suffix (default 128M, 512M with "
                       "--kernel)"},
    {"seed", "N", "with --kernel: seed of the DTB's rng-seed and kaslr-seed (default 0: KASLR off)"},
    {"arg", "VALUE", "x0 of the boot vCPU at entry, decimal or 0x hex (default 0)"},
    {"vcpus", "N", "number of vCPUs, 1..64 (default 1); vCPU 0 boots, the others wait for PSCI CPU_ON"},
    {"kvm", "ERA", "kernel era of the KVM model: 6.6, v5, 6.7 (default), 6.12, 6.15, 6.16 or newest, 7.3-strict, proposal-fixed-counters, proposal-partition (pmuemu kvm eras)", kEras},
    {"pmu", "CORE|MODE", "KVM_ARM_VCPU_PMU_V3_SET_PMU with the PMU of the host's cluster of this core type; or "
                       "fixed-counters-only / partitioned: attribute 5 of era proposal-fixed-counters / proposal-partition"},
    {"pmcr-n", "N", "after init, GET/SET_ONE_REG PMCR_EL0 with this N on every vCPU (0..31)"},
    {"nr-counters", "N", "KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS (era 6.16 only)"},
    {"vmm-cpu", "CPU", "pCPU of the VMM thread (VM-scoped calls, PMU attributes); default 0"},
    {"no-pmu", "", "create the vCPUs without KVM_ARM_VCPU_PMU_V3"},
    {"affinity", "VCPU=CPULIST", "pCPUs the vCPU thread may run on (1=4, 0=0-3,6); repeatable", "", true},
    {"migrate-every", "N", "move each vCPU to the next pCPU of its --affinity set every N instructions"},
    {"ram-mib", "N", "guest RAM size in MiB at 0x40000000, 1..4096 (default 128)"},
    {"max-insns", "N", "stop with exit status 3 after N guest instructions; reports where each vCPU stood"},
    {"timeout", "SECONDS", "stop with exit status 3 after this much wall-clock time (decimals allowed); reports "
                           "where each vCPU stood"},
    {"max-resets", "N", "stop with exit status 3 after N PSCI SYSTEM_RESETs (default 16)"},
    {"timing", "MODE", "cycle (default): each pCPU's cycle-level timing model gives cycles and PMU events; "
                       "functional: one cycle per instruction (fastest)",
     "cycle functional"},
    {"threads", "", "one host thread per vCPU (output order between vCPUs is not deterministic)"},
    {"bare", "", "no KVM: run the guest bare-metal on pCPU 0, which owns the physical PMU, GIC and timer"},
    {"save", "SNAP", "with --stop-after-insns: write a snapshot after that many instructions and exit 0", "file"},
    {"stop-after-insns", "K", "with --save: guest instructions to run before the snapshot"},
    {"save-at-pc", "ADDR", "with --save: write the snapshot when vCPU 0 first stands at ADDR (an address or a "
                           "function of the guest ELF) and exit 0"},
    {"save-on-exit", "SNAP", "whatever ends the run (guest exit, limit, --timeout, SIGINT, SIGTERM), write a "
                             "snapshot of the VM as it stands to this file",
     "file"},
    {"save-on-request", "SNAP", "write a snapshot to this file when the guest asks for one (semihosting operation "
                                "0x100, docs/guest-abi.md); the run goes on",
     "file"},
    {"restore", "SNAP", "build the VM from a snapshot (on this --host) and continue it under the snapshot's "
                        "era; --vcpus, --pmcr-n, --nr-counters, --no-pmu, --memory, --ram-mib and --arg, which the "
                        "snapshot fixes, are usage errors with it",
     "file"},
    {"allow-era-change", "", "with --restore: let --kvm name another era than the snapshot's (else exit 6)"},
    {"gdb", "PORT", "serve gdb's remote protocol on 127.0.0.1:PORT (0: a free port, printed), tcp::PORT or "
                    "unix:PATH; the guest waits for gdb before its first instruction (docs/gdb.md)"},
    {"reinit-runs", "K", "after a clean end (exit 0, SYSTEM_OFF), KVM_ARM_VCPU_INIT every vCPU and run the guest "
                         "again, K more times"},
    {"json", "FILE", "write the run's result as versioned JSON (docs/json-output.md)", "file"},
    {"timeline", "FILE", "write a Chrome/Perfetto trace-event timeline (pCPU tracks, vCPU quanta, counters)", "file"},
    {"trace", "LIST", "comma-separated traces on stderr: insn (insn:START-END or insn:FUNCTION: only those PCs), "
                      "sysreg, reset (each reset step, register names and 0x values), reset-summary (one line per "
                      "reset per vCPU), vmm",
     "insn sysreg reset reset-summary vmm", true},
};

constexpr OptionSpec kPlanOptions[] = {
    {"n", "N", "print the migration matrix for this PMCR_EL0.N (repeatable; default: every N of the fleet)", "",
     true},
    {"kvm", "ERA", "plan under this kernel era of the KVM model (repeatable: one set of matrices per era; default "
                   "6.7)",
     kEras, true},
};

constexpr OptionSpec kConformanceOptions[] = {
    {"host", "HOST.yaml", "host YAML file (configs/*.yaml); required", "file"},
    {"kvm", "ERA[,ERA...]", "kernel eras side by side, one column each, or all (default 6.6,6.7,6.16; pmuemu kvm eras)", kEras},
    {"tests", "TEST[,TEST...]", "upstream selftest binaries to run (default vpmu_counter_access,get-reg-list)"},
    {"vmm-cpu", "CPU", "pCPU of the VMM and vCPU threads; its cluster's PMU is the VM's default PMU (default 0)"},
    {"selftests", "DIR", "where the built selftest binaries are (default: selftests/bin of the build)", "dir"},
    {"jobs", "N", "runs at the same time (default: the host's CPUs)"},
    {"timeout", "SECONDS", "wall-clock limit of each run (default 120)"},
    {"verbose", "", "also print the output of every run that did not pass, and the era cases' details", "", false, 'v'},
};

constexpr OptionSpec kSnapshotShowOptions[] = {
    {"json", "", "print the same content as one JSON object (\"format\": \"pmuemu-snapshot\")"},
};

constexpr OptionSpec kHelpOptions[] = {
    {"man", "", "print the manual page pmuemu.1 (roff) generated from the command tables"},
};

constexpr OptionSpec kUserOptions[] = {
    {"host", "HOST.yaml", "host YAML file (configs/*.yaml); required", "file"},
    {"kvm", "ERA", "kernel era of the KVM model behind the program's /dev/kvm: 6.6, v5, 6.7 (default), 6.12, 6.15, 6.16 or "
                   "newest", kEras},
    {"kvm-uapi", "WHICH", "era (default): the era's own ioctls and capabilities; newest: those of the newest era "
                          "(USER_MEMORY2, writable ID masks) over the era's KVM behaviour, which Linux 6.12's "
                          "selftests need", "era newest"},
    {"vmm-cpu", "CPU", "pCPU the program starts on (default 0); sched_setaffinity moves it"},
    {"thread-cpu", "NAME=CPU", "a thread that names itself NAME (prctl PR_SET_NAME, pthread_setname_np) moves to pCPU "
                               "CPU and stays there, as taskset would place it (repeatable; QEMU's vCPU threads are "
                               "'CPU <n>/KVM' with -name debug-threads=on)", "", true},
    {"sysroot", "DIR", "look absolute paths the program opens up under DIR first, then on the host, as qemu-user's "
                       "-L: a dynamically linked program's interpreter and libraries (e.g. /usr/aarch64-linux-gnu "
                       "for Debian's cross libc)", "dir"},
    {"trace", "WHAT", "syscall: every system call strace-style on stderr; vmm: every /dev/kvm ioctl "
                      "(comma-separated)", "syscall vmm syscall,vmm"},
    {"max-insns", "N", "stop with exit status 3 after N program instructions"},
    {"timeout", "SECONDS", "stop with exit status 3 after this much wall-clock time"},
    {"seed", "N", "seed of getrandom and AT_RANDOM (default 0)"},
    {"pid", "N", "the process id the program sees (set by execve)"},
    {"env", "NAME=VALUE", "the program's environment (repeatable; default PATH, HOME, LANG); set by execve", "",
     true},
};

constexpr CommandSpec kHostCommands[] = {
    {.name = "show",
     .summary = "load a host file and print its pCPUs, clusters, MIDR, PMU version, N and PMCEID0/1",
     .synopsis = "FILE",
     .exit_codes = kToolExits,
     .positional = "FILE",
     .positional_complete = "file",
     .min_positional = 1,
     .max_positional = 1,
     .handler = cmd_host_show},
    {.name = "schema",
     .summary = "print the reference of host-file and core-file keys (Markdown)",
     .exit_codes = kToolExits,
     .handler = cmd_host_schema},
};

constexpr OptionSpec kKvmErasOptions[] = {
    {"markdown", "", "print every era's behaviours as one Markdown table (docs/kvm-model.md embeds it)"},
};

constexpr CommandSpec kKvmCommands[] = {
    {.name = "eras",
     .summary = "list the KVM eras (--kvm): status, source commits or series versions, and what each changes",
     .synopsis = "[--markdown]",
     .description = "Every era of the KVM model, in table order, with the kernel tag, commits or patch-series "
                    "version it reproduces; proposals (series not merged) are labelled as such. Each era lists "
                    "the behaviours that differ from the era before it.",
     .options = kKvmErasOptions,
     .exit_codes = kToolExits,
     .handler = cmd_kvm_eras},
};

constexpr CommandSpec kSnapshotCommands[] = {
    {.name = "show",
     .summary = "print what a snapshot holds: era, host, vCPUs and their placement, PMCR_EL0.N, every PMU register "
                "by name, the vGIC, memory",
     .synopsis = "SNAP [--json]",
     .options = kSnapshotShowOptions,
     .exit_codes = kToolExits,
     .positional = "SNAP",
     .positional_complete = "file",
     .min_positional = 1,
     .max_positional = 1,
     .handler = cmd_snapshot_show},
    {.name = "diff",
     .summary = "compare two snapshots: configuration, registers by name, vGIC, and which guest pages differ",
     .synopsis = "A B",
     .description = "Prints one line per difference and exits 1 if there is any, 0 if the snapshots hold the same "
                    "VM state (like diff(1)).",
     .exit_codes = kDiffExits,
     .positional = "SNAP",
     .positional_complete = "file",
     .min_positional = 2,
     .max_positional = 2,
     .handler = cmd_snapshot_diff},
};

constexpr std::string_view kCompletionShells = "bash";

constexpr CommandSpec kCommands[] = {
    {.name = "run",
     .summary = "run a guest ELF (or a snapshot) on an emulated host through the KVM model",
     .synopsis = "--host HOST.yaml --guest GUEST.elf [OPTIONS]",
     .description =
         "Builds a VM through the KVM model's API in the order a VMM issues the ioctls, loads the ELF and runs "
         "the vCPUs in deterministic round-robin quanta. Guest semihosting output goes to stdout. SIGINT and "
         "SIGTERM stop the run at the next instruction-block boundary; --json, --timeline and --save-on-exit are "
         "then written complete and pmuemu exits 130 or 143.",
     .options = kRunOptions,
     .exit_codes = kRunExits,
     .handler = cmd_run},
    {.name = "host",
     .summary = "inspect host files",
     .synopsis = "show FILE | schema",
     .exit_codes = kToolExits,
     .subcommands = kHostCommands},
    {.name = "kvm",
     .summary = "describe the KVM model: its kernel eras",
     .synopsis = "eras [--markdown]",
     .exit_codes = kToolExits,
     .subcommands = kKvmCommands},
    {.name = "plan",
     .summary = "what a migration between hosts depends on: PMU version, N, PMCEID events, MIDR/REVIDR; and the "
                "migration matrix",
     .synopsis = "[--kvm ERA]... [--n N]... HOST.yaml [HOST.yaml...]",
     .description =
         "Prints every host's clusters (core, PMU version, maximum PMCR_EL0.N, MIDR, REVIDR), flags hosts whose "
         "clusters have different PMU versions (KVM gives their VMs no vPMU), the events a VM would lose moving "
         "between hosts, the N a VM must be limited to so that it can move between any two of them, and, per "
         "--kvm era, the migration matrix for N, found by building the VM on each destination with that era's "
         "KVM model as run --restore does. Matrix cells: ok, the destination keeps N whichever cluster its VMM "
         "thread runs on; pmu, only with the --pmu listed under the matrix; raw, the era stores N although no "
         "destination PMU has N counters; no, KVM keeps its own N and the restore is refused (exit 6); einval, "
         "KVM refuses the PMCR_EL0 write (exit 5); refused, KVM builds no such VM (exit 5); pmuver, the "
         "destination's PMU version limit is below the source's; no-vpmu, the destination offers no vPMU; -, the "
         "source itself cannot give a VM N counters (or has no vPMU).",
     .options = kPlanOptions,
     .exit_codes = kToolExits,
     .positional = "HOST.yaml",
     .positional_complete = "file",
     .min_positional = 1,
     .max_positional = -1,
     .handler = cmd_plan},
    {.name = "user",
     .summary = "run an aarch64 Linux program (static, or dynamic with --sysroot); its /dev/kvm is the KVM model",
     .synopsis = "--host HOST.yaml [OPTIONS] [--] PROGRAM [ARGS...]",
     .description =
         "Runs PROGRAM, an aarch64 Linux executable (static, static-pie, or dynamically linked: then its "
         "interpreter and libraries are found under --sysroot), at EL0 on an emulated pCPU of the host with a Linux "
         "system-call layer. Its open(\"/dev/kvm\") reaches the KVM model through the /dev/kvm ioctl ABI: the "
         "program is a VMM, and its KVM_RUN runs the vCPU on the emulated host. Linux's own arm64 KVM selftests "
         "run this way (docs/user-mode.md). Options end at PROGRAM; the rest are its arguments.",
     .options = kUserOptions,
     .exit_codes = kUserExits,
     .positional = "PROGRAM",
     .positional_complete = "file",
     .min_positional = 1,
     .max_positional = -1,
     .options_end_at_positional = true,
     .handler = cmd_user},
    {.name = "conformance",
     .summary = "run Linux's KVM selftests and the era cases per kernel era, side by side",
     .synopsis = "--host HOST.yaml [--kvm ERA[,ERA...]] [OPTIONS]",
     .description =
         "Runs Linux's own arm64 KVM selftests (the build compiles them from linux-source-6.12, unmodified) "
         "under pmuemu user in each era given, and the model's era cases (STRICT, fixed-counters-only, "
         "partitioned PMU) that no upstream test covers yet; prints one row per test and one column per era, "
         "with a numbered note for every run that did not pass. docs/conformance.md explains the table.",
     .options = kConformanceOptions,
     .exit_codes = kConformanceExits,
     .handler = cmd_conformance},
    {.name = "snapshot",
     .summary = "inspect and compare snapshot files written by run --save",
     .synopsis = "show SNAP [--json] | diff A B",
     .exit_codes = kDiffExits,
     .subcommands = kSnapshotCommands},
    {.name = "help",
     .summary = "print the help of a command, or the manual page",
     .synopsis = "[COMMAND [SUBCOMMAND]] [--man]",
     .options = kHelpOptions,
     .exit_codes = kUsageOnly,
     .positional = "COMMAND",
     .positional_complete = "run host plan conformance snapshot help completion",
     .min_positional = 0,
     .max_positional = 2,
     .handler = cmd_help},
    {.name = "completion",
     .summary = "print the bash completion script (source it, or install it as "
                "/usr/share/bash-completion/completions/pmuemu)",
     .synopsis = "bash",
     .exit_codes = kUsageOnly,
     .positional = "SHELL",
     .positional_complete = kCompletionShells,
     .min_positional = 1,
     .max_positional = 1,
     .handler = cmd_completion},
};

}  // namespace

std::span<const ExitStatusSpec> exit_statuses() { return kExitTable; }
std::span<const CommandSpec> commands() { return kCommands; }

}  // namespace pmuemu::cli
