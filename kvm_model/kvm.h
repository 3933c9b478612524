// A KVM-shaped, in-process model of Linux KVM/arm64: a VMM creates a VM, gives it guest
// memory, creates and initialises vCPUs and calls run(), exactly in the order it would
// issue ioctls on /dev/kvm. Results are the kernel's errno values (negative), never
// exceptions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu/core.h"
#include "kvm_model/uapi.h"

namespace kvm_model {

// What the host looks like to KVM: one entry per physical CPU.
struct HostCpu {
  cpu::IdRegs ids;   // the physical CPU's identification registers
  uint32_t cluster;  // index of the CPU's cluster (one host PMU per cluster)
};
struct HostDesc {
  std::vector<HostCpu> cpus;
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
    uint32_t type;
    uint32_t ndata;
    uint64_t data[16];
  } system_event{};
  struct {
    uint64_t hardware_entry_failure_reason;
    uint32_t cpu;
  } fail_entry{};
  struct {
    uint32_t suberror;
    uint32_t ndata;
    uint64_t data[16];
  } internal{};
};

class Vm;

class Vcpu {
 public:
  Vcpu(Vm& vm, unsigned id);
  ~Vcpu();

  unsigned id() const { return id_; }

  // KVM_ARM_VCPU_INIT
  int arm_vcpu_init(const kvm_vcpu_init& init);
  // KVM_GET_ONE_REG / KVM_SET_ONE_REG
  int get_one_reg(uint64_t id, uint64_t& value);
  int set_one_reg(uint64_t id, uint64_t value);
  // KVM_GET_MP_STATE
  uint32_t mp_state() const { return mp_state_; }
  // KVM_RUN
  int run();
  KvmRun& run_struct() { return run_; }

  // Scheduler hooks (the kernel's vcpu_load/vcpu_put): which physical CPU runs the vCPU.
  void vcpu_load(uint32_t pcpu);
  void vcpu_put();
  uint32_t loaded_pcpu() const { return pcpu_; }

  // Tracepoint: called before each guest instruction (emu/'s --trace insn).
  using InsnTrace = std::function<void(unsigned vcpu, uint64_t pc, uint32_t insn, uint8_t el)>;
  void set_insn_trace(InsnTrace t);

  uint64_t instructions() const { return core_->retired_total(); }
  uint64_t mpidr() const;
  bool powered_off() const { return mp_state_ == KVM_MP_STATE_STOPPED; }

  // PSCI CPU_ON from another vCPU: power on with a pending reset to (entry, context id),
  // performed by this vCPU itself on its next run (KVM_REQ_VCPU_RESET).
  void request_psci_on(uint64_t entry, uint64_t context_id);
  bool psci_on_pending() const { return psci_reset_pending_; }
  void power_off() { mp_state_ = KVM_MP_STATE_STOPPED; }

 private:
  friend struct PsciCall;
  bool handle_hvc();  // PSCI / SMCCC, in the kernel like KVM's; true = keep running
  void reset_vcpu();

  Vm& vm_;
  unsigned id_;
  std::unique_ptr<cpu::Core> core_;
  KvmRun run_;
  bool initialised_ = false;
  kvm_vcpu_init features_{};
  uint32_t mp_state_ = KVM_MP_STATE_RUNNABLE;
  uint32_t pcpu_ = 0;
  bool psci_reset_pending_ = false;
  uint64_t psci_entry_ = 0, psci_context_ = 0;
};

class Vm {
 public:
  explicit Vm(const HostDesc& host);
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
  // The vCPU whose MPIDR_EL1 affinity fields equal those of `mpidr`, or null.
  Vcpu* find_vcpu_by_mpidr(uint64_t mpidr);
  const std::vector<std::unique_ptr<Vcpu>>& vcpus() const { return vcpus_; }

 private:
  HostDesc host_;
  std::unique_ptr<cpu::PhysMem> mem_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
};

// /dev/kvm
class Kvm {
 public:
  explicit Kvm(HostDesc host) : host_(std::move(host)) {}
  // KVM_CREATE_VM
  int create_vm(std::unique_ptr<Vm>& out) const;
  const HostDesc& host() const { return host_; }

 private:
  HostDesc host_;
};

}  // namespace kvm_model
