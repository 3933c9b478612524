// The VMM: builds a VM on the emulated host through kvm_model's KVM-shaped API only,
// loads the guest, and serves exits (semihosting, system events), the way QEMU or kvmtool
// drive /dev/kvm.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/devices/virtio_blk.h"
#include "emu/loader/elf.h"
#include "emu/vmm/stop.h"

namespace pmuemu::gdb {
class Stub;
}

namespace pmuemu::vmm {

// How guest time is computed (--timing).
enum class Timing : uint8_t {
  kFunctional,  // one cycle per instruction; the PMU counts INST_RETIRED, INST_SPEC, CPU_CYCLES
  kCycle,       // each pCPU's cycle-level timing model: cycles and microarchitectural events
};

struct RunOptions {
  std::string guest_path;
  uint64_t ram_base = 0x40000000;     // guest ABI: RAM at IPA 0x4000_0000
  uint64_t ram_size = 128ull << 20;   // 128 MiB unless the run says otherwise
  uint64_t arg = 0;                   // x0 of the boot vCPU
  uint32_t vcpus = 1;                 // vCPU 0 boots; the others start powered off (PSCI CPU_ON)
  uint64_t max_insns = 0;             // 0: unlimited
  uint32_t max_resets = 16;           // PSCI SYSTEM_RESET bound
  std::string kvm_era;                // --kvm: any era of `pmuemu kvm eras`; "" = 6.7 (or the snapshot's)
  std::string pmu_core;               // --pmu: SET_PMU with the PMU of the cluster of this core type
  int pmcr_n = -1;                    // --pmcr-n: GET/SET_ONE_REG PMCR_EL0 with this N on every vCPU
  int nr_counters = -1;               // --nr-counters: KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS (6.16)
  uint32_t vmm_cpu = 0;               // --vmm-cpu: the pCPU of the VMM thread
  std::vector<std::vector<uint32_t>> affinity;  // --affinity: per vCPU, its pCPU set (empty: k mod pCPUs)
  uint64_t migrate_every = 0;         // --migrate-every: move a vCPU within its set every N instructions
  bool pmu = true;                    // vCPUs get KVM_ARM_VCPU_PMU_V3
  Timing timing = Timing::kCycle;     // --timing
  std::string save_path;              // --save: write a snapshot when --stop-after-insns is reached
  uint64_t stop_after_insns = 0;      // --stop-after-insns
  std::string restore_path;           // --restore: build the VM from a snapshot instead of an ELF
  bool allow_era_change = false;      // --allow-era-change: restore under a --kvm era other than the snapshot's
  std::string json_path;              // --json: the versioned result (docs/json-output.md)
  std::string timeline_path;          // --timeline: Chrome/Perfetto trace events
  uint32_t reinit_runs = 0;           // --reinit-runs: KVM_ARM_VCPU_INIT and run again after a clean end
  bool threads = false;               // --threads: one host thread per vCPU instead of round robin
  StopControl* stop = nullptr;        // SIGINT/SIGTERM/--timeout requests (emu/vmm/stop.h)
  std::string timeout_text;           // --timeout as given, for the message
  std::string save_on_exit_path;      // --save-on-exit: a snapshot of the VM however the run ends
  std::string save_on_request_path;   // --save-on-request: where the guest's snapshot call writes
  gdb::Stub* gdb = nullptr;           // --gdb: the debugger stub (emu/gdb/stub.h)
  bool trace_insn = false;
  // --trace insn:START-END / insn:FUNCTION: only PCs in these [start, end) ranges are traced
  // (empty: every instruction).
  std::vector<std::pair<uint64_t, uint64_t>> trace_insn_ranges;
  std::optional<uint64_t> save_at_pc;  // --save-at-pc: write --save when vCPU 0 first stands here
  bool trace_reset = false;
  bool trace_reset_summary = false;   // --trace reset-summary: one line per reset per vCPU
  bool trace_sysreg = false;
  bool trace_vmm = false;
  // Linux boot (docs/linux-guest.md): --kernel instead of --guest.
  std::string kernel_path, initrd_path, dtb_path, dump_dtb_path, append;
  uint64_t seed = 0;                  // --seed: the DTB's rng-seed and kaslr-seed
  std::vector<devices::DriveSpec> drives;  // --drive: virtio-mmio block devices, in order
  int console_in = 0;                 // Linux guests: fd whose bytes the UART receives (-1: none)
  std::FILE* out = stdout;            // guest console
  std::FILE* trace = stderr;          // trace output
};

struct RunOutcome {
  int exit_status = 0;                // process exit status
  std::string error;                  // non-empty: pmuemu's own failure, printed as "pmuemu: error: ..."
  uint64_t instructions = 0;
  uint32_t resets = 0;
  // After a limit, --timeout or a signal: where each vCPU stood ("vCPU 0: PC 0x..., N
  // instructions"), printed after the error line.
  std::vector<std::string> where;
};

// Runs the guest to completion. Host errors (bad ELF) throw InputError before any guest code runs.
RunOutcome run_guest(const config::Host& host, const RunOptions& opts);

}  // namespace pmuemu::vmm
