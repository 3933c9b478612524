// KVM_RUN: the run loop (guest entry and exit, slices bounded by the timer and the PMU),
// the exits it reports through the kvm_run structure, and the in-kernel MMIO and IRQ lines.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "kvm_model/kvm.h"
#include "kvm_model/kvm_consts.h"

namespace kvm_model {
bool Vcpu::handle_mmio_in_kernel() {
  vgic::Vgic* gic = vm_.vgic();
  const cpu::MmioAccess& a = core_->mmio();
  if (gic == nullptr) return false;
  if (vgic::Its* its = vm_.its_at(a.phys_addr); its != nullptr && !gic->owns(a.phys_addr)) {
    if (a.is_write) its->mmio_write(*gic, a.phys_addr, a.size, a.data);
    else core_->complete_mmio_read(its->mmio_read(a.phys_addr, a.size));
    core_->set_irq_pending(gic->irq_pending(id_));
    return true;
  }
  if (!gic->owns(a.phys_addr)) return false;
  if (a.is_write) {
    gic->mmio_write(a.phys_addr, a.size, a.data);
  } else {
    uint64_t v = 0;
    gic->mmio_read(a.phys_addr, a.size, v);
    core_->complete_mmio_read(v);
  }
  core_->set_irq_pending(gic->irq_pending(id_));
  return true;
}

bool Vcpu::pmu_should_notify_user() {
  // kvm_pmu_should_notify_user() / kvm_pmu_update_run(): with no in-kernel irqchip the PMU's
  // interrupt level goes to userspace in run->s.regs.device_irq_level (bit KVM_ARM_DEV_PMU);
  // a change makes KVM_RUN return -EINTR with KVM_EXIT_INTR so the VMM can act on it.
  if (vm_.vgic_created_ || !vpmu_->has_pmu()) return false;
  const bool level = vpmu_->irq_level();
  if (level == ((run_.device_irq_level & vpmu::KVM_ARM_DEV_PMU) != 0)) return false;
  run_.device_irq_level ^= vpmu::KVM_ARM_DEV_PMU;
  run_.exit_reason = KVM_EXIT_INTR;
  return true;
}

int Vcpu::irq_line(unsigned line, bool level) {
  // KVM_ARM_IRQ_CPU_IRQ (0) or _FIQ (1); the model has no FIQ input (FIQs are never taken
  // at EL1 with SCR_EL3.FIQ clear in a KVM guest), so the FIQ line is accepted and ignored.
  if (line > 1) return -EINVAL;
  if (line == 0) {
    user_irq_line_ = level;
    core_->set_irq_pending(level);
    core_->request_stop();
  }
  return 0;
}

void Vcpu::complete_pending_mmio() {
  if (!mmio_read_pending_) return;
  // KVM completes an MMIO read on the KVM_RUN after the exit, with the VMM's data.
  uint64_t data = 0;
  std::memcpy(&data, run_.mmio.data, sizeof data);
  core_->complete_mmio_read(data);
  mmio_read_pending_ = false;
}

// kvm_update_stolen_time(), at every vcpu_load (KVM_REQ_RECORD_STEAL): the record's
// stolen_time (offset 8, little-endian) grows by the run delay the calling thread gathered
// since the last update, whatever the guest left there.
void Vcpu::update_stolen_time() {
  if (pvtime_ipa_ == ~uint64_t{0}) return;
  constexpr uint64_t kStolenTimeOffset = 8;  // struct pvclock_vcpu_stolen_time
  uint64_t steal = 0;
  if (!vm_.read_guest(pvtime_ipa_ + kStolenTimeOffset, &steal, sizeof steal)) return;
  const uint64_t last = last_steal_;
  last_steal_ = caller_run_delay_;
  steal += last_steal_ - last;
  vm_.write_guest(pvtime_ipa_ + kStolenTimeOffset, &steal, sizeof steal);
}

int Vcpu::run() {
  if (!initialised_) return -ENOEXEC;
  // Everything but guest execution runs under the VM lock (threaded mode).
  auto lk = vm_.lock();
  // kvm_arch_vcpu_run_pid_change() refuses an unfinalised vCPU (-EPERM) right after the
  // initialisation check, before the vGIC, the timer and the PMU are enabled, and before
  // kvm_arch_vcpu_ioctl_run() looks at immediate_exit or a pending MMIO completion.
  if (!has_run_ && !vpmu::finalized(*vpmu_)) return -EPERM;
  run_.insns_retired = 0;
  complete_pending_mmio();
  apply_pending_psci_reset();
  if (mp_state_ == KVM_MP_STATE_STOPPED) {
    run_.exit_reason = KVM_EXIT_INTR;
    return -EINTR;
  }
  sync_interrupts();
  if (mp_state_ == KVM_MP_STATE_HALTED && !core_->irq_pending()) {
    // Blocked in WFI. The counter is one for the whole VM (as the host's is): while other
    // vCPUs run, this one's clock follows theirs; when every vCPU waits, time passes to
    // the earliest timer deadline among them, no host time spent.
    const uint64_t target = halted_clock_target();
    if (target == UINT64_MAX) {
      run_.exit_reason = KVM_EXIT_INTR;
      return -EINTR;
    }
    const uint64_t from = now_ticks();
    advance_to(target);
    // kvm_vcpu_halt()'s accounting: the wait and its bucket (kvm_stats_log_hist_update()).
    const uint64_t waited = static_cast<uint64_t>(static_cast<unsigned __int128>(now_ticks() - from) * 1000000000 /
                                                  timer_.frequency());
    stats_.halt_wait_ns += waited;
    ++stats_.halt_wait_hist[std::min<size_t>(waited == 0 ? 0 : 64 - std::countl_zero(waited),
                                             stats_.halt_wait_hist.size() - 1)];
    sync_interrupts();
    if (!core_->irq_pending()) {
      run_.exit_reason = KVM_EXIT_INTR;
      return -EINTR;
    }
    ++stats_.halt_wakeup;
  }
  // KVM_RUN does vcpu_load() on the CPU the thread is on: the unsupported-CPU flag is
  // recomputed against the VM's current supported_cpus.
  vpmu::vcpu_load(*vpmu_, pcpu_);
  if (!has_run_) {
    // kvm_arch_vcpu_run_pid_change(): the vGIC's resources are mapped (its addresses must be
    // set by now), the timer claims its PPIs (kvm_timer_enable), and the PMU must be
    // initialised (INIT).
    if (int rc = vm_.vgic_map_resources(); rc != 0) return rc;
    if (vm_.vgic_ != nullptr) {
      // kvm_timer_enable(): the two timers need distinct PPIs, which they then own.
      if (vm_.timer_ppi_[0] == vm_.timer_ppi_[1]) return -EINVAL;
      for (unsigned ppi : vm_.timer_ppi_)
        if (int rc = vm_.vgic_set_owner(id_, static_cast<int>(ppi), Vm::IrqOwner::kTimer); rc != 0) return rc;
      timer_.set_ppis(vm_.timer_ppi_[0], vm_.timer_ppi_[1]);
    }
    vm_.timer_ppis_immutable_ = true;
    if (int rc = vpmu::first_run(*vpmu_, vm_.irqchip_state()); rc != 0) return rc;
    vm_.finalize_id_regs();
    has_run_ = true;
  }
  mp_state_ = KVM_MP_STATE_RUNNABLE;
  update_stolen_time();
  for (;;) {
    const uint64_t left = run_.insn_budget - run_.insns_retired;
    if (left == 0 || immediate_exit_.exchange(false, std::memory_order_relaxed)) {
      run_.exit_reason = KVM_EXIT_INTR;
      return -EINTR;
    }
    // Guest entry: pending PMU requests and its interrupt level, then the heterogeneous-host
    // check KVM makes with interrupts disabled right before entering the guest.
    vpmu::flush_hwstate(*vpmu_);
    if (pmu_should_notify_user()) return -EINTR;
    vpmu_->revalidate_clock();
    // A partitioned PMU's guest context goes into the physical PMU (lazily: once, until a
    // put); from here the guest's accesses to its counters do not trap.
    if (vpmu_->wants_hw()) vpmu_->load_hw(core_->retired_by_el());
    if (const auto cpu = vpmu::fail_entry_cpu(*vpmu_)) {
      run_.exit_reason = KVM_EXIT_FAIL_ENTRY;
      run_.fail_entry.hardware_entry_failure_reason = KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED;
      run_.fail_entry.cpu = *cpu;
      return 0;
    }
    sync_interrupts();
    if (flush_skipped_ && vpmu_->may_count()) resync_counted();
    cpu::timing::TimingModel* const tm = timing();
    const uint64_t cycles_before = tm != nullptr ? tm->cycles() : 0;
    // Stop where the timer or a PMU counter could fire, so its interrupt is taken on time.
    const uint64_t slice =
        std::min({left, insns_until_timer(), vpmu_->insns_until_overflow(timing() != nullptr)});
    const std::array<uint64_t, 2> at = core_->retired_by_el();
    slice_start_ = at[0] + at[1];
    slice_len_ = slice;
    slice_cycles_start_ = cycles_before;
    vpmu_->take_moved();  // the slice is bounded on every counter as it stands
    if (lk.owns_lock()) lk.unlock();
    in_slice_ = true;
    const cpu::RunResult r = core_->run(slice);
    in_slice_ = false;
    if (vm_.threaded()) lk.lock();
    ++stats_.exits;
    run_.insns_retired += r.retired;
    // The vCPU's clock: the model's cycles, or one cycle per instruction (functional).
    account(tm != nullptr ? tm->cycles() - cycles_before : r.retired);
    // Guest exit: what the guest executed reaches its counters, then kvm_pmu_sync_hwstate.
    flush_events(FlushAt::kExit);
    vpmu::sync_hwstate(*vpmu_);
    sync_interrupts();
    if (pmu_should_notify_user()) return -EINTR;
    switch (r.reason) {
      case cpu::ExitReason::kBudget:
      case cpu::ExitReason::kStopRequested:
        continue;  // the budget check above, or the timer deadline just passed
      case cpu::ExitReason::kSmc:
        // SMCCC reserves non-zero SMC immediates: KVM answers NOT_SUPPORTED without
        // looking at the function id; SMC #0 is an SMCCC call like HVC #0.
        if (core_->exit_imm() != 0) {
          core_->set_x(0, kPsciRetNotSupported);
          continue;
        }
        [[fallthrough]];
      case cpu::ExitReason::kHvc: {
        if (r.reason == cpu::ExitReason::kHvc) ++stats_.hvc;
        const int next = handle_smccc(r.reason == cpu::ExitReason::kSmc);
        if (next == 1) continue;
        if (next == 2) {
          // PSCI CPU_SUSPEND: as WFI.
          if (core_->irq_pending()) continue;
          mp_state_ = KVM_MP_STATE_HALTED;
          run_.exit_reason = KVM_EXIT_INTR;
          return -EINTR;
        }
        return run_.exit_reason == KVM_EXIT_INTR ? -EINTR : 0;
      }
      case cpu::ExitReason::kSemihosting:
        run_.exit_reason = KVM_EXIT_DEBUG;
        run_.debug.hsr = PMUEMU_DEBUG_SEMIHOSTING;
        return 0;
      case cpu::ExitReason::kMmio: {
        if (handle_mmio_in_kernel()) {
          ++stats_.mmio_kernel;
          continue;
        }
        ++stats_.mmio_user;
        const cpu::MmioAccess& a = core_->mmio();
        run_.exit_reason = KVM_EXIT_MMIO;
        run_.mmio.phys_addr = a.phys_addr;
        run_.mmio.len = a.size;
        run_.mmio.is_write = a.is_write;
        std::memset(run_.mmio.data, 0, sizeof run_.mmio.data);
        if (a.is_write) std::memcpy(run_.mmio.data, &a.data, a.size);
        mmio_read_pending_ = !a.is_write;
        return 0;
      }
      case cpu::ExitReason::kMmioNoSyndrome:
        // KVM_EXIT_ARM_NISV: an access outside every memory slot that KVM cannot decode.
        run_.exit_reason = KVM_EXIT_ARM_NISV;
        run_.arm_nisv.fault_ipa = core_->mmio().phys_addr;
        run_.arm_nisv.esr_iss = core_->mmio().is_write ? (1u << 6) : 0;
        return 0;
      case cpu::ExitReason::kHostPage:
        // The guest touched a slot page the VMM's process has not populated: the vCPU thread
        // must wait in the fault, as in Linux where it sleeps in handle_userfault() until the
        // page is filled. The caller (the host-page gate's owner) makes it wait and calls
        // KVM_RUN again, which retries the instruction; nothing of kvm_run changes.
        return kRunWaitHostPage;
      case cpu::ExitReason::kWfi:
        ++stats_.wfi;
        if (core_->irq_pending()) continue;
        // WFI with no interrupt pending: the vCPU blocks (the VMM sees HALTED).
        mp_state_ = KVM_MP_STATE_HALTED;
        run_.exit_reason = KVM_EXIT_INTR;
        return -EINTR;
      case cpu::ExitReason::kExceptionLoop: {
        run_.exit_reason = KVM_EXIT_INTERNAL_ERROR;
        run_.internal.suberror = PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP;
        run_.internal.ndata = 4;
        // The first fault of the loop is the one that explains it.
        run_.internal.data[0] = core_->loop_origin().esr;
        run_.internal.data[1] = core_->loop_origin().elr;
        run_.internal.data[2] = core_->loop_origin().far;
        run_.internal.data[3] = core_->loop_origin().elr;
        return 0;
      }
    }
  }
}
}  // namespace kvm_model
