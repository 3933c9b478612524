// What a run of the VMM shows of itself besides the guest's output: the --json result and the
// --timeline trace (docs/json-output.md, docs/cli.md) and the --trace reset lines. The
// observer is apart from the VMM: it sees the VM only through ObservedVm (untraced register
// reads, the register list, the pCPUs' timing models), and the VMM tells it what happened
// (a quantum, a reset, an instant), so it is tested without running a guest.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cpu/timing/timing_model.h"
#include "emu/config/host_config.h"
#include "emu/vmm/report.h"
#include "emu/vmm/vmm.h"
#include "kvm_model/vpmu/sys_regs.h"

namespace pmuemu::vmm {

// The VM as the observer reads it. Reads bypass --trace vmm, so that it shows the same calls
// with and without --json/--timeline.
class ObservedVm {
 public:
  virtual ~ObservedVm() = default;
  // KVM_GET_ONE_REG of vCPU `vcpu`; false if refused.
  virtual bool observed_reg(unsigned vcpu, uint64_t id, uint64_t& value) = 0;
  // KVM_GET_REG_LIST of vCPU `vcpu`; false if refused.
  virtual bool observed_reg_list(unsigned vcpu, std::vector<uint64_t>& ids) = 0;
  // The timing model of `pcpu` if a guest ran through it, else nullptr (functional timing).
  virtual const cpu::timing::TimingModel* observed_timing(uint32_t pcpu) const = 0;
};

// --trace reset (every step, its register's value before and after) or --trace
// reset-summary (one line) for one vCPU reset.
void print_reset(std::FILE* out, const RunOptions& opts, unsigned id, uint32_t pcpu, const char* cause,
                 const kvm_model::vpmu::ResetTrace& t);

// The observations of one run. Thread-safe: --threads vCPU threads report concurrently.
class RunObserver {
 public:
  RunObserver(const config::Host& host, const RunOptions& opts) : host_(host), opts_(opts) {}

  // Anything to observe (--json or --timeline)?
  bool active() const { return !opts_.json_path.empty() || !opts_.timeline_path.empty(); }
  bool timeline() const { return !opts_.timeline_path.empty(); }
  void set_vcpus(unsigned n);

  // A vCPU reset: printed with --trace reset/reset-summary, an instant on the timeline.
  void reset(unsigned id, uint32_t pcpu, const char* cause, const kvm_model::vpmu::ResetTrace& t);
  // An instant event on pCPU `tid`'s timeline track at the current guest time.
  void instant(uint32_t tid, const std::string& name);
  // After every KVM_RUN of vCPU `id` that ran on `pcpu` and retired `insns` instructions;
  // fail_entry_cpu: the pCPU a KVM_EXIT_FAIL_ENTRY named. Guest time advances by `insns`
  // (1 ns per instruction), and with --timeline the vCPU's enabled counters and the pCPU's
  // core totals are sampled.
  void quantum(ObservedVm& vm, unsigned id, uint32_t pcpu, uint64_t insns, std::optional<uint32_t> fail_entry_cpu);

  // Writes --json and --timeline; "" or the first write error. `vm` is null when the run
  // ended before a VM existed; `exit_reason` empty: derived from the outcome.
  std::string write_reports(ObservedVm* vm, const RunOutcome& r, const std::string& exit_reason, uint32_t runs);

 private:
  void sample_physical(ObservedVm& vm, uint32_t pcpu);
  void sample_counters(ObservedVm& vm, unsigned id);
  void write_vcpus_json(ObservedVm& vm, JsonWriter& w);

  const config::Host& host_;
  const RunOptions& opts_;
  std::recursive_mutex m_;                         // instant() is also called under quantum()
  uint64_t tl_now_ = 0;                            // guest time (ns): instructions retired in the VM
  std::vector<std::string> tl_events_;             // rendered trace events, in order
  std::set<uint32_t> tl_tids_;                     // pCPU tracks with events
  std::vector<std::vector<uint32_t>> vcpu_pcpus_;  // per vCPU: pCPUs of its KVM_RUNs, first use first
  std::vector<uint64_t> vcpu_insns_;               // per vCPU: instructions run by this process
  std::vector<uint64_t> vcpu_cycles_;              // per vCPU: timing-model cycles of its quanta
  std::vector<uint64_t> pcpu_cycles_seen_;         // per pCPU: its model's cycles at its last quantum
  std::vector<int64_t> last_pcpu_;                 // per vCPU: pCPU of its last KVM_RUN (-1: none)
};

// --json and --timeline of a run that ended before a VM existed.
std::string write_reports_without_vm(const config::Host& host, const RunOptions& opts, const RunOutcome& r);

}  // namespace pmuemu::vmm
