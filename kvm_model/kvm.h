// A KVM-shaped, in-process model of Linux KVM/arm64: a VMM creates a VM, gives it guest
// memory, creates and initialises vCPUs and calls run(), exactly in the order it would
// issue ioctls on /dev/kvm. Results are the kernel's errno values (negative), never
// exceptions.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cpu/core.h"
#include "kvm_model/timer/generic_timer.h"
#include "kvm_model/uapi.h"
#include "kvm_model/vgic/its.h"
#include "kvm_model/vgic/vgic.h"
#include "kvm_model/vpmu/vpmu.h"

namespace kvm_model {

// KVM_RUN's result when the guest touched a memory-slot page the host page gate says is
// missing (cpu::ExitReason::kHostPage): the calling thread must wait for the page and call
// KVM_RUN again, which retries the guest's instruction. Linux's own restart code
// (ERESTARTSYS); it never reaches a program.
inline constexpr int kRunWaitHostPage = -512;

// What the host looks like to KVM: one entry per physical CPU.
struct HostCpu {
  cpu::IdRegs ids;   // the physical CPU's identification registers
  uint32_t cluster;  // index of the CPU's cluster (one host PMU per cluster)
  uint32_t frequency_mhz = 2000;  // the core clock: guest time advances with its cycles
  cpu::timing::CoreTimingParams timing;  // its core type's pipeline and caches
};
struct HostDesc {
  std::vector<HostCpu> cpus;
  // One host PMU per cluster (what the arm_pmu driver registers) and the system-wide
  // features KVM derives from the sanitised ID registers.
  std::vector<vpmu::ClusterPmuDesc> pmus;
  vpmu::HostFeatures features;
  // Cycle-level timing: every guest instruction goes through the timing model of the pCPU
  // it runs on, whose cycles drive the vCPU's clock and whose events feed the vPMU.
  // Otherwise (functional timing) each instruction is one cycle and the vPMU counts
  // INST_RETIRED, INST_SPEC and CPU_CYCLES only.
  bool cycle_timing = false;
};

// struct kvm_run, reduced to the fields the arm64 exits use.
struct KvmRun {
  uint32_t exit_reason = KVM_EXIT_UNKNOWN;
  // pmuemu extension: run() returns KVM_EXIT_INTR after this many guest instructions, as
  // a timer signal to the vCPU thread would interrupt KVM_RUN.
  uint64_t insn_budget = UINT64_MAX;
  uint64_t insns_retired = 0;  // by the last run() call
  struct {
    uint64_t hsr;
  } debug{};
  struct {
    uint64_t nr;     // the SMCCC function id
    uint64_t flags;  // KVM_HYPERCALL_EXIT_SMC
  } hypercall{};
  struct {
    uint64_t phys_addr;
    uint8_t data[8];
    uint32_t len;
    uint8_t is_write;
  } mmio{};
  struct {
    uint64_t esr_iss;
    uint64_t fault_ipa;
  } arm_nisv{};
  struct {
    uint32_t type;
    uint32_t ndata;
    uint64_t data[16];
  } system_event{};
  struct {
    uint64_t hardware_entry_failure_reason;
    uint32_t cpu;
  } fail_entry{};
  uint64_t device_irq_level = 0;  // run->s.regs.device_irq_level (userspace irqchip)
  struct {
    uint32_t suberror;
    uint32_t ndata;
    uint64_t data[16];
  } internal{};
};

class Vm;

// The VM's firmware interface (kvm->arch.psci_version, kvm->arch.smccc_feat, the SMCCC
// filter and KVM_CAP_ARM_SYSTEM_SUSPEND): what the guest's HVC/SMC calls find, configured
// by the VMM through the KVM_REG_ARM_FW* registers, KVM_ARM_VM_SMCCC_CTRL and ENABLE_CAP.
struct SmcccConfig {
  uint32_t psci_version = 0x10001;  // KVM_ARM_PSCI_LATEST (1.1)
  uint64_t std_bmap = 1;            // KVM_REG_ARM_STD_BIT_TRNG_V1_0
  uint64_t std_hyp_bmap = 1;        // KVM_REG_ARM_STD_HYP_BIT_PV_TIME
  uint64_t vendor_hyp_bmap = 3;     // FUNC_FEAT | PTP
  bool system_suspend = false;
  struct FilterRange {
    uint32_t first, last;
    uint8_t action;
  };
  std::vector<FilterRange> filter;  // empty: no filter configured (everything handled)
  // kvm_smccc_filter_get_action(): HANDLE where no range covers fn.
  uint8_t filter_action(uint32_t fn) const {
    for (const auto& r : filter)
      if (fn >= r.first && fn <= r.last) return r.action;
    return KVM_SMCCC_FILTER_HANDLE;
  }
};

class Vcpu : private cpu::SysRegPort {
 public:
  Vcpu(Vm& vm, unsigned id);
  ~Vcpu() override;

  unsigned id() const { return id_; }

  // KVM_ARM_VCPU_INIT
  int arm_vcpu_init(const kvm_vcpu_init& init);
  // KVM_GET_ONE_REG / KVM_SET_ONE_REG
  int get_one_reg(uint64_t id, uint64_t& value);
  int set_one_reg(uint64_t id, uint64_t value);
  // The same with the value as KVM_{GET,SET}_ONE_REG's user buffer: one_reg_size(id) bytes
  // (4, 8 or 16), little-endian. The only way to reach the U128 V registers; a U32 or U64
  // id gives the same as the forms above.
  int get_one_reg_raw(uint64_t id, void* data);
  int set_one_reg_raw(uint64_t id, const void* data);
  // KVM_GET_REG_LIST: -ENOEXEC before init; ids in the kernel's order.
  int get_reg_list(std::vector<uint64_t>& ids);
  // KVM_{SET,GET,HAS}_DEVICE_ATTR on the vCPU fd (group KVM_ARM_VCPU_PMU_V3_CTRL). They run
  // on the VMM thread's pCPU (Vm::set_vmm_pcpu), the rule docs/kvm-model.md describes.
  int set_device_attr(uint32_t group, uint64_t attr, const void* addr);
  int get_device_attr(uint32_t group, uint64_t attr, void* addr);
  int has_device_attr(uint32_t group, uint64_t attr);
  // KVM_GET_MP_STATE / KVM_SET_MP_STATE
  uint32_t mp_state() const { return mp_state_; }
  int set_mp_state(uint32_t state);
  // KVM_RUN
  int run();
  // The host side of KVM_RUN: the calling thread's sched_info.run_delay (ns), which the
  // stolen time of PV time reports (kvm_update_stolen_time()). 0 where no scheduler is
  // modelled.
  void set_caller_run_delay(uint64_t ns) { caller_run_delay_ = ns; }
  // The first half of KVM_RUN alone (kvm_handle_mmio_return): an MMIO read the last exit left
  // pending takes its data from run_struct().mmio.data and the instruction completes. What
  // KVM_RUN with immediate_exit does before it returns -EINTR.
  void complete_pending_mmio();
  bool mmio_pending() const { return mmio_read_pending_; }
  bool initialised() const { return initialised_; }
  uint32_t features() const { return features_.features[0]; }  // of the last KVM_ARM_VCPU_INIT
  bool has_run() const { return has_run_; }
  // KVM_IRQ_LINE with KVM_ARM_IRQ_TYPE_CPU (no in-kernel irqchip): the vCPU's IRQ/FIQ input.
  int irq_line(unsigned line, bool level);
  // kvm_run->immediate_exit / a signal to the vCPU thread: the current or next KVM_RUN
  // returns -EINTR (KVM_EXIT_INTR) at the next block boundary. Safe from any thread.
  void request_immediate_exit() {
    immediate_exit_.store(true, std::memory_order_relaxed);
    core_->request_stop();
  }
  KvmRun& run_struct() { return run_; }

  // Scheduler hooks (the kernel's vcpu_load/vcpu_put): which physical CPU runs the vCPU.
  void vcpu_load(uint32_t pcpu);
  void vcpu_put();
  uint32_t loaded_pcpu() const { return pcpu_; }

  // Tracepoint: called before each guest instruction (emu/'s --trace insn).
  using InsnTrace = std::function<void(unsigned vcpu, uint64_t pc, uint32_t insn, uint8_t el)>;
  void set_insn_trace(InsnTrace t);
  // Tracepoint: every vCPU reset (KVM_ARM_VCPU_INIT, PSCI CPU_ON, re-init) with its steps.
  using ResetTraceFn = std::function<void(unsigned vcpu, uint32_t pcpu, const char* cause, const vpmu::ResetTrace&)>;
  void set_reset_trace(ResetTraceFn t) { reset_trace_ = std::move(t); }
  // Tracepoint: every trapped PMU access (--trace sysreg).
  using SysregTraceFn = std::function<void(unsigned vcpu, uint32_t pcpu, uint8_t el, arch::SysRegKey key,
                                           bool is_read, uint64_t value, bool undef)>;
  void set_sysreg_trace(SysregTraceFn t) { sysreg_trace_ = std::move(t); }
  // Tracepoint for a debugger's stop reasons (--gdb's `monitor stop-on`): a reset (detail
  // unused, cause as for the reset trace), an SMCCC call (HVC #0 / SMC #0; detail: the
  // function id in x0, before it is served), and the PMU's overflow interrupt request rising.
  enum class DebugEvent : uint8_t { kReset, kSmccc, kPmuIrq };
  using DebugEventFn = std::function<void(unsigned vcpu, DebugEvent e, const char* cause, uint64_t detail)>;
  void set_debug_event(DebugEventFn f) { debug_event_ = std::move(f); }
  const vpmu::VcpuPmu& pmu() const { return *vpmu_; }

  uint64_t instructions() const { return core_->retired_total(); }
  // The counters of Linux's arm64 vCPU statistics (struct kvm_vcpu_stat) that the model
  // keeps: exits from guest code (every return of the core to the model), HVC and WFI exits,
  // MMIO exits served by the VMM and in the kernel (the vGIC, an ioeventfd), KVM_RUN calls
  // ended by a signal, WFI blocks that ended with an interrupt, and the guest time blocked
  // (ns of the vCPU's counter) with its log2 histogram (bucket i: waits of fls64(ns) = i).
  // WFE does not exit (the cores run it as a hint) and halt polling is not modelled: their
  // counters stay 0.
  struct Stats {
    uint64_t exits = 0, hvc = 0, wfe = 0, wfi = 0, mmio_user = 0, mmio_kernel = 0, signal = 0;
    uint64_t halt_wakeup = 0, halt_wait_ns = 0;
    std::array<uint64_t, 32> halt_wait_hist{};
  };
  Stats& stats() { return stats_; }
  uint64_t mpidr() const;
  bool powered_off() const { return mp_state_ == KVM_MP_STATE_STOPPED; }

  // PSCI CPU_ON from another vCPU: power on with a pending reset to (entry, context id),
  // performed by this vCPU itself on its next run (KVM_REQ_VCPU_RESET).
  void request_psci_on(uint64_t entry, uint64_t context_id);
  bool psci_on_pending() const { return psci_reset_pending_; }
  void power_off() { mp_state_ = KVM_MP_STATE_STOPPED; }

  // Registers only KVM's sysreg array holds (kvm_state.cpp: DBGVCR32_EL2, DISR_EL1,
  // DACR32_EL2, IFSR32_EL2, FPEXC32_EL2).
  static constexpr unsigned kNumKvmStoredRegs = 5;

 private:
  friend struct PsciCall;
  friend class Vm;  // kicks and TLBI broadcasts reach the core
  // An SMCCC call (HVC #0 / SMC #0), in the kernel like KVM's: 1 = keep running, 2 = wait
  // as WFI (PSCI CPU_SUSPEND), 0 = exit to the VMM (run_ filled).
  int handle_smccc(bool is_smc);
  // trace is null unless a reset listener is set: the reset steps' names are strings, and
  // building them made up a third of KVM_ARM_VCPU_INIT's cost.
  int reset_vcpu(const char* cause, vpmu::ResetTrace* trace);
  // ONE_REG of the core's EL1 system registers and the virtual timer (kvm_state.cpp).
  static bool owns_state_reg(uint64_t id);
  int get_state_reg(uint64_t id, uint64_t& value);
  int set_state_reg(uint64_t id, uint64_t value);
  void append_state_regs(std::vector<uint64_t>& ids) const;
  void reset_kvm_stored_regs();
  // Guest work since the last flush -> vPMU: at a trapped PMU access and at every exit.
  enum class FlushAt : uint8_t { kTrap, kExit };
  void flush_events(FlushAt at);
  void resync_counted();
  void clear_events(const arch::EventMask& touched);
  // Guest accesses to system registers the core does not own: GICv3 CPU interface and
  // generic timer here, the PMU in the vPMU model.
  Result handle(cpu::Core& core, uint32_t iss, uint64_t& value) override;
  uint32_t bind(uint32_t iss) override;
  Result handle_bound(cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) override;
  // A PMU encoding's access with its route looked up: the physical PMU's when a partitioned
  // guest context is loaded (hw_access), the KVM model's trap handler otherwise (trapped_pmu).
  Result handle_pmu(cpu::Core& core, vpmu::TrapRoute route, uint32_t iss, uint64_t& value) {
    if (vpmu_->hw() != nullptr) return hw_access(core, route, iss, value);
    return trapped_pmu(core, route, iss, value);
  }
  Result trapped_pmu(cpu::Core& core, vpmu::TrapRoute route, uint32_t iss, uint64_t& value);
  // Partitioned PMU: the access executes on the physical PMU (no exit), except the
  // registers KVM still traps (PMCEID0/1, PMMIR_EL1).
  Result hw_access(cpu::Core& core, vpmu::TrapRoute route, uint32_t iss, uint64_t& value);
  // hw_access() for a bound op on the instruction clock: the physical PMU's register of
  // that kind directly (pmu::Pmu::read_counter, ...), no register-table dispatch.
  template <vpmu::trap::Op kOp>
  Result hw_bound(cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value);
  // Per vPMU table row: the physical PMU's register index (pmu::register_index), -1 for
  // the rows that still trap.
  std::array<int8_t, vpmu::kNumPmuSysRegs> hw_index_{};
  // handle_bound() per vpmu::trap::Op.
  template <vpmu::trap::Op kOp>
  static Result bound_access(Vcpu& v, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value);
  static Result routed_access(Vcpu& v, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value);
  // The handler installed for a bound route (cpu::SysRegPort::bound_handler): the tracepoint
  // check of handle_bound(), then bound_access<kOp>() without the table lookup.
  template <vpmu::trap::Op kOp>
  static Result installed_access(cpu::SysRegPort& port, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value);
  cpu::Handler bound_handler(uint32_t route, bool is_read) override;
  // The handler installed for a bound route of a partitioned vCPU (the physical PMU's
  // counters, no trap): the access without the port bracket, ahead of the instruction clock
  // where pmu::Pmu allows it; anything else through installed_access<kOp>'s handler.
  template <vpmu::trap::Op kOp>
  static cpu::Flow partitioned_handler(cpu::Core& c, const cpu::DecodedInst& i);
  static const std::array<Result (*)(Vcpu&, cpu::Core&, uint32_t, uint32_t, uint64_t&), vpmu::trap::kNumOps> kBoundOps;
  [[gnu::noinline]] Result handle_non_pmu(cpu::Core& core, uint32_t iss, uint64_t& value);
  // The physical count (CNTPCT) of this vCPU's clock, in CNTFRQ ticks; inside a guest run it
  // includes the run so far.
  uint64_t now_ticks() const;
  // The clock as it stood at the end of this vCPU's last slice (updated under the VM lock).
  uint64_t settled_ticks() const;
  // This vCPU's clock as `reader` may read it: its own reads include the slice in progress;
  // another vCPU's thread may not look into a slice that runs outside the VM lock
  // (threaded mode), so it sees the settled clock. With one thread no other vCPU is ever
  // inside a slice then, so both are the same.
  uint64_t ticks_seen_by(const Vcpu& reader) const;
  // Halted: the count this vCPU's clock moves to (VM-wide time, or the earliest deadline
  // when every vCPU waits); UINT64_MAX: nothing can wake it by time.
  uint64_t halted_clock_target() const;
  void advance_to(uint64_t ticks);  // this vCPU's clock forward to count `ticks` (never back)
  void catch_up_to_vm_time();       // ... to the latest count of any vCPU
  // Instructions that can run before the timer output could change (at 1 cycle each).
  uint64_t insns_until_timer() const;
  void account(uint64_t cycles) { cycles_ += cycles; }
  // The timing model of the pCPU the vCPU is loaded on (null: functional timing).
  cpu::timing::TimingModel* timing() const { return core_->timing_model(); }
  void sync_interrupts();  // timer outputs into the vGIC, vGIC output into the core
  // In-kernel MMIO (the vGIC); false when the access must go to the VMM.
  bool handle_mmio_in_kernel();

  Vm& vm_;
  unsigned id_;
  std::unique_ptr<cpu::Core> core_;
  KvmRun run_;
  bool initialised_ = false;
  kvm_vcpu_init features_{};
  uint32_t mp_state_ = KVM_MP_STATE_RUNNABLE;
  uint32_t pcpu_ = 0;
  bool psci_reset_pending_ = false;
  void apply_pending_psci_reset();
  uint64_t psci_entry_ = 0, psci_context_ = 0;
  timer::GenericTimer timer_;
  uint64_t pvtime_ipa_ = ~uint64_t{0};  // KVM_ARM_VCPU_PVTIME_IPA (INVALID_GPA: unset)
  uint64_t caller_run_delay_ = 0;       // current->sched_info.run_delay at this KVM_RUN
  uint64_t last_steal_ = 0;             // vcpu->arch.steal.last_steal
  void update_stolen_time();
  uint64_t cycles_ = 0;          // this vCPU's clock: cycles of the core it ran on
  uint64_t spsr_aarch32_[4] = {};  // kvm_regs.spsr[1..4] (abt, und, irq, fiq): storage only
  std::array<uint64_t, kNumKvmStoredRegs> kvm_stored_{};  // reset by reset_vcpu
  // vcpu->arch.ccsidr: the CCSIDR values a VMM set through the DEMUX ids (all fourteen
  // once one differs from the fabricated value); kept across resets, as KVM keeps them.
  std::array<uint32_t, 14> ccsidr_{};
  bool ccsidr_override_ = false;
  uint32_t frequency_mhz_;       // that core's clock
  Stats stats_;
  bool mmio_read_pending_ = false;
  bool user_irq_line_ = false;
  bool pmu_should_notify_user();
  bool has_run_ = false;
  std::unique_ptr<vpmu::VcpuPmu> vpmu_;
  ResetTraceFn reset_trace_;
  SysregTraceFn sysreg_trace_;
  DebugEventFn debug_event_;
  std::atomic<bool> immediate_exit_{false};
  uint64_t slice_start_ = 0, slice_len_ = 0;  // the guest run now in progress (retired count, length)
  uint64_t slice_cycles_start_ = 0;    // the timing model's cycles at its start
  bool in_slice_ = false;              // core_->run() of that slice is executing
  bool flush_skipped_ = false;         // a flush found nothing to count: the model's events are stale
  arch::EventCounts events_;           // the batch handed to the vPMU (see flush_events)
};

class Vm {
 public:
  Vm(const HostDesc& host, const vpmu::HostPmus& pmus, vpmu::Era era);
  ~Vm();

  // KVM_SET_USER_MEMORY_REGION: guest RAM at guest_phys_addr backed by the VMM's buffer.
  // One slot is supported; -EINVAL for a second or a zero-sized one, -EEXIST after vCPUs ran.
  int set_user_memory_region(uint32_t slot, uint64_t guest_phys_addr, uint64_t size, uint8_t* userspace_addr);
  // KVM_CREATE_VCPU
  int create_vcpu(unsigned id, Vcpu*& out);
  // KVM_ARM_PREFERRED_TARGET
  int arm_preferred_target(kvm_vcpu_init& init) const;

  const HostDesc& host() const { return host_; }
  cpu::PhysMem* mem() { return mem_.get(); }
  // The memory slots other than RAM (KVM_SET_USER_MEMORY_REGION of further slots, read-only
  // ones): the vCPUs' table walks, fetches and data accesses reach them as Linux's stage 2
  // maps them. Call with no vCPU running (the VMM holds the VM lock).
  void set_memory_slots(std::vector<cpu::SlotRegion> slots);
  // The host's view of the slots' pages (pmuemu user's userfaultfd): a guest access to a
  // page the gate says is missing leaves KVM_RUN with kRunWaitHostPage. Not owned.
  void set_host_page_gate(cpu::HostPageGate* g);
  // pmuemu's semihosting extension for this VM's vCPUs (KVM_EXIT_DEBUG with hsr
  // PMUEMU_DEBUG_SEMIHOSTING for a guest's HLT #0xF000): on for VMs of the model's C++ API;
  // the /dev/kvm ABI turns it off unless the VMM enables KVM_CAP_PMUEMU_SEMIHOSTING, so a
  // foreign VMM's guest gets Linux's UNDEFINED.
  void set_semihosting(bool on);
  bool semihosting() const { return semihosting_; }
  // The VMM's process dropped [h, h+len) of its memory (MADV_DONTNEED): Linux's MMU
  // notifier unmaps those pages from stage 2 and flushes the VM's TLBs; here the blocks
  // decoded from them go and every vCPU's TLB is flushed.
  void host_pages_dropped(const uint8_t* h, uint64_t len);
  // KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) and its attributes (vgic-kvm-device.c):
  // GRP_ADDR (DIST, REDIST, REDIST_REGION: any 64 KiB-aligned layout inside the IPA space,
  // each address set once, also after CTRL_INIT), GRP_NR_IRQS (once, before CTRL_INIT),
  // GRP_CTRL INIT (idempotent). value: the u64 (ADDR) or u32 (NR_IRQS) the attribute's
  // addr points to. The addresses are checked at the first KVM_RUN.
  int create_device(uint32_t type);
  int vgic_set_attr(uint32_t group, uint64_t attr, uint64_t value);
  // KVM_GET_DEVICE_ATTR: value in (REDIST_REGION: the index) and out.
  int vgic_get_attr(uint32_t group, uint64_t attr, uint64_t& value) const;
  int vgic_has_attr(uint32_t group, uint64_t attr) const;
  bool vgic_created() const { return vgic_created_; }
  // The save/restore groups KVM_DEV_ARM_VGIC_GRP_{DIST_REGS, REDIST_REGS, CPU_SYSREGS,
  // LEVEL_INFO} (vgic_attr.cpp; vgic_v3_attr_regs_access). The caller checks, in Linux's
  // order: vgic_regs_target (-EINVAL: no vCPU with the attribute's MPIDR, or none at all
  // for DIST_REGS), then that no vCPU is running (-EBUSY), then vgic_regs_get/set (-EBUSY
  // before CTRL_INIT; -EINVAL/-ENOENT as Vgic's user_* accessors). Values are u32 but
  // CPU_SYSREGS's u64.
  static bool is_vgic_regs_group(uint32_t group);
  int vgic_regs_target(uint32_t group, uint64_t attr, unsigned& vcpu);
  int vgic_regs_get(uint32_t group, uint64_t attr, unsigned vcpu, uint64_t& value);
  int vgic_regs_set(uint32_t group, uint64_t attr, unsigned vcpu, uint64_t value);
  int vgic_regs_has_attr(uint32_t group, uint64_t attr);
  // kvm_vgic_map_resources() at a vCPU's first KVM_RUN: -EBUSY before CTRL_INIT, -ENXIO
  // for a distributor or redistributor address not set.
  int vgic_map_resources();
  // kvm_vgic_set_owner(): the device that drives a private interrupt (PPI of a vCPU) or an
  // SPI. -EAGAIN before CTRL_INIT, -EINVAL for an SPI beyond nr_spis or a SGI, -EEXIST when
  // another owner holds it.
  enum class IrqOwner : uint8_t { kNone, kPmu, kTimer };
  int vgic_set_owner(unsigned vcpu, int intid, IrqOwner owner);
  vpmu::Era era() const { return era_; }
  // 6.7+: vCPU features are VM-wide (kvm->arch.vcpu_features, KVM_ARCH_FLAG_VCPU_FEATURES_CONFIGURED).
  bool features_configured() const { return features_configured_; }
  vgic::Vgic* vgic() { return vgic_.get(); }
  // KVM_IRQ_LINE with irq_type KVM_ARM_IRQ_TYPE_SPI: the level of a device line the VMM
  // drives (its UART, virtio-mmio), INTID 32 + spi. -ENXIO before the vGIC is initialised,
  // -EINVAL outside the configured interrupts.
  int irq_line(unsigned spi, bool level);
  // The whole vGIC state as the model holds it, for tests and hostile-input checks (a VMM
  // saves and restores through the KVM_DEV_ARM_VGIC_GRP_* attribute groups instead, as
  // pmuemu's does). -ENXIO before KVM_DEV_ARM_VGIC_CTRL_INIT.
  int get_vgic_state(vgic::VgicState& out) const;
  int set_vgic_state(const vgic::VgicState& in);
  vpmu::IrqChipState irqchip_state();
  // ---- ITS devices (KVM_DEV_TYPE_ARM_VGIC_ITS; its_attr.cpp) ----
  // vgic_its_create(): a new ITS (any number), its index returned; from now on the vGIC
  // has LPIs (GICD_TYPER.LPIS) and KVM_SIGNAL_MSI needs a DeviceID.
  unsigned create_its();
  size_t num_its() const { return its_.size(); }
  // The frame address (KVM_VGIC_ITS_ADDR_TYPE): ~0 until set; the caller checks it (set once,
  // 64 KiB aligned, inside the IPA space).
  uint64_t its_base(unsigned index) const { return its_.at(index)->base(); }
  void set_its_base(unsigned index, uint64_t base);
  // KVM_DEV_ARM_VGIC_GRP_ITS_REGS (vgic::Its::user_read/user_write errnos).
  int its_regs_get(unsigned index, uint64_t offset, uint64_t& value);
  int its_regs_set(unsigned index, uint64_t offset, uint64_t value);
  static int its_regs_has(uint64_t offset) { return vgic::Its::user_reg_check(offset); }
  // KVM_DEV_ARM_VGIC_GRP_CTRL of an ITS: INIT (nothing), CTRL_RESET, SAVE_TABLES,
  // RESTORE_TABLES; any other attribute does nothing (0), as in KVM. The caller checks that
  // no vCPU runs (-EBUSY).
  int its_ctrl(unsigned index, uint64_t attr);
  // KVM_SIGNAL_MSI (kvm_send_userspace_msi): 1 delivered, 0 blocked by the ITS (no
  // translation); -EINVAL no in-kernel irqchip or flags other than KVM_MSI_VALID_DEVID,
  // -ENODEV no ITS, -EINVAL (no DeviceID, or the doorbell is no ITS's GITS_TRANSLATER),
  // -EBUSY the ITS or the target's LPIs are disabled.
  int signal_msi(uint64_t address, uint32_t data, uint32_t devid, uint32_t flags);
  // The ITS whose control frame holds gpa, or null.
  vgic::Its* its_at(uint64_t gpa);
  // The firmware interface (SmcccConfig). KVM_ARM_VM_SMCCC_CTRL's FILTER: -EINVAL for an
  // empty or wrapping range or an unknown action, -EBUSY once a vCPU has run, -EEXIST for
  // a range overlapping one already set (the SMCCC architecture range is reserved: it
  // always gets HANDLE once a filter exists).
  SmcccConfig& smccc() { return smccc_; }
  int set_smccc_filter(uint32_t base, uint32_t nr_functions, uint8_t action);
  bool has_run() const;
  // kvm_write_guest(): bytes into guest memory, through the hook for memory outside the
  // model's RAM slot. False if the range is in no memory slot.
  using GuestMemoryHook = std::function<bool(uint64_t gpa, void* buf, size_t len, bool is_write)>;
  void set_guest_memory_hook(GuestMemoryHook h) { guest_memory_hook_ = std::move(h); }
  bool write_guest(uint64_t gpa, const void* data, size_t len);
  // kvm_read_guest(): false if the range is in no memory slot.
  bool read_guest(uint64_t gpa, void* data, size_t len);
  bool guest_memory_present(uint64_t gpa, size_t len);
  // CTR_EL0 through ONE_REG (VM-wide, writable within the host's sanitised value).
  int set_ctr(uint64_t value);
  // KVM_ARM_SET_COUNTER_OFFSET (kvm_vm_ioctl_set_counter_offset): `offset` becomes the VM's
  // virtual and physical counter offset alike, on every vCPU's timer and on those created
  // later, and the VMM owns the offsets from then on: writes of TIMER_CNT and PTIMER_CNT are
  // ignored. The caller checks that no vCPU ioctl is in flight (-EBUSY).
  void set_counter_offset(uint64_t offset) {
    counter_offset_set_ = true;
    set_counter_offsets(offset, offset, nullptr);
  }
  // 6.7+: KVM_SET_ONE_REG of an AArch64 feature ID register (CRm 4-7) through `v`:
  // set_id_reg() with the era's writable fields (id_writable.h), -EBUSY for a new value
  // once the VM has run. The value is the VM's (kvm->arch.id_regs): every vCPU's guest
  // reads it, vCPUs created later included (apply_written_ids).
  int set_feature_id_reg(Vcpu& v, uint8_t crm, uint8_t op2, uint64_t value);
  // A new vCPU's ID registers: KVM's reset values over the host's, then the VM's.
  void apply_written_ids(cpu::IdRegs& ids) const;
  // kvm_finalize_sys_regs() at a vCPU's first run (id_writable::era_hides_absent_gic).
  void finalize_id_regs();
  // Random bits for the guest's TRNG calls: a fixed-seed generator, so runs repeat.
  uint64_t next_random();
  // The cycle-level timing model of a physical CPU (the hardware: one per pCPU, whatever
  // runs on it), built on first use; null with functional timing.
  cpu::timing::TimingModel* timing_model(uint32_t pcpu);
  // pmuemu extension for reports: the pCPU's timing model if anything ran there, else null.
  const cpu::timing::TimingModel* timing_model_if_used(uint32_t pcpu) const {
    return pcpu < timing_.size() ? timing_[pcpu].get() : nullptr;
  }
  vpmu::VmPmu& pmu() { return pmu_; }
  // The pCPU the VMM's main thread runs on (sched_setaffinity of the VMM thread): VM-scoped
  // calls and the PMU device attributes execute there.
  void set_vmm_pcpu(uint32_t pcpu) { vmm_pcpu_ = pcpu; }
  uint32_t vmm_pcpu() const { return vmm_pcpu_; }

  // The vCPU whose MPIDR_EL1 affinity fields equal those of `mpidr`, or null.
  Vcpu* find_vcpu_by_mpidr(uint64_t mpidr);
  const std::vector<std::unique_ptr<Vcpu>>& vcpus() const { return vcpus_; }

  // ---- one host thread per vCPU (pmuemu's --threads) ----
  // Call once, after every vCPU exists and before any runs. KVM_RUN may then be called
  // concurrently for different vCPUs: guest code runs unlocked, and everything a vCPU
  // shares with the others (vGIC, PSCI, other vCPUs' power state, TLB maintenance, code
  // invalidation) goes through the VM lock or is posted to the other vCPU's core.
  void set_threaded();
  bool threaded() const { return threaded_; }
  // The VM lock (kvm->lock and the vGIC's locks rolled into one): held on return when
  // threaded, a no-op lock otherwise. Recursive: the vPMU's interrupt injection can run
  // both inside and outside a locked section of the same thread.
  std::unique_lock<std::recursive_mutex> lock() {
    return threaded_ ? std::unique_lock(lock_) : std::unique_lock(lock_, std::defer_lock);
  }
  // kvm_vcpu_kick(): make vCPU `id` leave guest code and look at its interrupts and power
  // state; the hook tells the VMM (a vCPU thread blocked in WFI or powered off wakes up).
  using KickHook = std::function<void(unsigned vcpu)>;
  void set_kick_hook(KickHook h) { kick_hook_ = std::move(h); }
  void kick(unsigned id);
  // Kicks every vCPU but `self` whose vGIC output changed (threaded; caller holds lock()).
  void kick_changed(unsigned self);

 private:
  HostDesc host_;
  vpmu::VmPmu pmu_;
  uint32_t vmm_pcpu_ = 0;
  std::unique_ptr<cpu::PhysMem> mem_;
  std::vector<cpu::SlotRegion> slots_;  // kept for a RAM set after them
  cpu::HostPageGate* gate_ = nullptr;
  bool semihosting_ = true;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
  bool vgic_created_ = false;
  static constexpr uint64_t kAddrUndef = ~uint64_t{0};  // VGIC_ADDR_UNDEF
  uint64_t vgic_dist_ = kAddrUndef;
  std::vector<vgic::Vgic::RedistRegion> vgic_regions_;  // count 0: the legacy REDIST base
  uint32_t vgic_nr_irqs_ = 0;                           // 0: not set (CTRL_INIT picks 256)
  std::map<std::pair<unsigned, int>, IrqOwner> irq_owner_;  // (vCPU or ~0 for SPIs, intid)
  vpmu::Era era_;
  bool features_configured_ = false;
  uint32_t vm_features_ = 0;
  // KVM_ARM_VCPU_TIMER_CTRL (VM-wide, kvm->arch.timer_data.ppi): virtual, physical timer PPI.
  std::array<unsigned, 2> timer_ppi_{vgic::kVirtTimerPpi, vgic::kPhysTimerPpi};
  bool timer_ppis_immutable_ = false;
  // KVM_ARM_SET_COUNTER_OFFSET was used (KVM_ARCH_FLAG_VM_COUNTER_OFFSET): the VMM owns
  // the counter offsets and writes of TIMER_CNT/PTIMER_CNT are ignored.
  bool counter_offset_set_ = false;
  // kvm->arch.timer_data.voffset / poffset: the VM's virtual and physical counter offsets
  // (TIMER_CNT / PTIMER_CNT writes), given to every vCPU's timer, later ones included.
  uint64_t voffset_ = 0, poffset_ = 0;
  // Sets both on every vCPU; `except_voff`'s CNTVOFF is left to its caller (mid-update).
  void set_counter_offsets(uint64_t voffset, uint64_t poffset, Vcpu* except_voff);
  SmcccConfig smccc_;
  GuestMemoryHook guest_memory_hook_;
  uint64_t rng_state_ = 0x9e3779b97f4a7c15ull;
  uint64_t ctr_el0_;  // the guest's CTR_EL0 (initially the host's sanitised value)
  std::array<std::optional<uint64_t>, 64> written_ids_{};  // by CRm * 8 + op2
  std::unique_ptr<vgic::Vgic> vgic_;
  std::vector<std::unique_ptr<vgic::Its>> its_;
  // The vGIC reaches guest memory (LPI tables, ITS queue and tables) through the VM.
  void connect_vgic_memory();
  std::vector<std::unique_ptr<cpu::timing::TimingModel>> timing_;  // per pCPU, lazily
  bool threaded_ = false;
  uint64_t counter_floor_ = 0;  // the largest count a vCPU has read (under the VM lock)
  std::recursive_mutex lock_;
  KickHook kick_hook_;
  friend class Vcpu;  // installs broadcast_tlbi on its core; VM-wide features
  static void broadcast_tlbi(void* vm, cpu::Core& origin, cpu::mmu::TlbiOp op, uint64_t operand);
};

// read_sanitised_ftr_reg(SYS_CTR_EL0) of a host (kvm_state.cpp).
uint64_t sanitised_ctr(const HostDesc& host);

// /dev/kvm
class Kvm {
 public:
  // The host kernel: its CPUs and PMUs, and which kernel era's KVM it runs.
  Kvm(HostDesc host, vpmu::Era era) : host_(std::move(host)), pmus_(host_.pmus, host_.features), era_(era) {}
  // KVM_CREATE_VM
  int create_vm(std::unique_ptr<Vm>& out) const;
  const HostDesc& host() const { return host_; }
  const vpmu::HostPmus& pmus() const { return pmus_; }
  vpmu::Era era() const { return era_; }

 private:
  HostDesc host_;
  vpmu::HostPmus pmus_;
  vpmu::Era era_;
};

}  // namespace kvm_model
