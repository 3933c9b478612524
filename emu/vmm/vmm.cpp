// The VMM's run loop (round robin over the vCPUs, one quantum per KVM_RUN), the exits it
// serves, stop requests, and run_guest(), the entry point of `pmuemu run`.
#include "emu/vmm/vmm_impl.h"

namespace pmuemu::vmm::detail {
void Vmm::kick_all() {
  for (auto* v : vcpus_) v->request_immediate_exit();
  {
    const std::lock_guard g(kick_m_);
    std::fill(kicked_.begin(), kicked_.end(), 1);
  }
  kick_cv_.notify_all();
}

std::optional<RunOutcome> Vmm::stop_if_requested() {
  const int why = opts_.stop ? opts_.stop->reason() : 0;
  if (why == 0) return std::nullopt;
  if (why == StopControl::kTimeout)
    return finish(kExitGuestFault, "wall-clock limit reached (--timeout " + opts_.timeout_text + ")");
  return finish(128 + why, std::string("stopped by ") + stop_reason_name(why));
}

std::vector<std::string> Vmm::where() {
  std::vector<std::string> out;
  for (auto* v : vcpus_) {
    uint64_t pc = 0;
    get_reg(v, kvm_model::kRegPc, pc, false);
    const uint32_t st = mp_state(v);
    std::string state = st == KVM_MP_STATE_STOPPED ? ", powered off" : st == KVM_MP_STATE_HALTED ? ", halted (WFI)" : "";
    out.push_back("vCPU " + std::to_string(v->id()) + ": PC " + hex(pc) + ", " + std::to_string(v->instructions()) +
                  " instructions" + state);
  }
  return out;
}

int Vmm::gdb_run(kvm_model::Vcpu* v, uint64_t budget) {
  uint64_t total = 0;
  const int rc = opts_.gdb->run_quantum(
      v->id(), budget,
      [&](uint64_t piece) {
        v->run_struct().insn_budget = piece;
        const int r = vcpu_run(v);
        return gdb::RunPiece{r, v->run_struct().insns_retired, r == -EINTR && urun(v).exit_reason == KVM_EXIT_INTR,
                             urun(v).exit_reason, urun(v).fail_entry.cpu};
      },
      total);
  v->run_struct().insns_retired = total;
  return rc;
}

int Vmm::run_to_pc(kvm_model::Vcpu* v, uint64_t budget) {
  uint64_t total = 0;
  int rc = -EINTR;
  bool ran = false;
  while (total < budget) {
    uint64_t pc = 0;
    get_reg(v, kvm_model::kRegPc, pc, false);
    if (pc == *opts_.save_at_pc) {
      at_pc_ = true;
      break;
    }
    v->run_struct().insn_budget = 1;
    rc = vcpu_run(v);
    ran = true;
    total += v->run_struct().insns_retired;
    if (rc != -EINTR || urun(v).exit_reason != KVM_EXIT_INTR || v->run_struct().insns_retired == 0) break;
  }
  if (!ran) {
    // Already there: a KVM_RUN with no budget leaves the exit state a plain interruption.
    v->run_struct().insn_budget = 0;
    rc = vcpu_run(v);
  }
  v->run_struct().insns_retired = total;
  return rc;
}

uint64_t Vmm::total_instructions() const {
  // Threaded, other vCPUs' cores are running: each thread adds its quanta to this count.
  if (opts_.threads) return threaded_insns_.load();
  uint64_t n = 0;
  for (auto* v : vcpus_) n += v->instructions();
  return n;
}

RunOutcome Vmm::finish(int status, std::string error) {
  console_.flush();
  if (status == kExitGuestFault && !insn_rings_.empty() && !opts_.threads) dump_vcpus();
  out_.exit_status = status;
  out_.error = std::move(error);
  out_.instructions = total_instructions();
  return out_;
}

bool Vmm::reinit_after(kvm_model::Vcpu* v, const RunOutcome& done) {
  const kvm_run& rs = urun(v);
  std::string reason;
  switch (rs.exit_reason) {
    case KVM_EXIT_DEBUG: reason = done.error.empty() ? "guest-exit" : "guest-fault"; break;
    case KVM_EXIT_SYSTEM_EVENT:
      reason = rs.system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "system-off" : "reset-limit";
      break;
    case KVM_EXIT_FAIL_ENTRY: reason = "fail-entry"; break;
    case KVM_EXIT_ARM_NISV: reason = "guest-fault"; break;
    case KVM_EXIT_INTERNAL_ERROR:
      reason = done.exit_status == kExitGuestFault ? "guest-fault" : "internal-error";
      break;
    default: reason = "internal-error";
  }
  const bool clean = done.exit_status == 0 && done.error.empty() && (reason == "guest-exit" || reason == "system-off");
  if (!clean || reinit_done_ >= opts_.reinit_runs) {
    exit_reason_ = reason;
    return false;
  }
  ++reinit_done_;
  if (obs_.timeline()) obs_.instant(v->loaded_pcpu(), "re-init: run " + std::to_string(reinit_done_ + 1));
  init_vcpus();
  set_boot_regs();
  return true;
}

const char* Vmm::no_wake_error(bool any_halted) {
  return any_halted ? "every vCPU is halted (WFI) or off and no interrupt can wake one"
                    : "every vCPU is powered off (PSCI CPU_OFF) and none can be woken";
}

bool Vmm::feed_uart(bool block) {
  uint8_t buf[devices::Pl011::kFifoDepth];
  const size_t room = std::min(uart_.rx_room(), sizeof buf);
  if (!linux_ || room == 0 || input_.at_eof()) return false;
  // The guest waits for the user: whatever it printed last (its prompt) is shown first.
  if (block) console_.flush();
  // Blocking: wait in slices, so that a stop request (SIGINT, --timeout) is seen while
  // nothing is typed.
  size_t n = 0;
  do n = input_.read(buf, room, block ? 50 : 0);
  while (block && n == 0 && !input_.at_eof() && !(opts_.stop && opts_.stop->reason() != 0));
  for (size_t k = 0; k < n; ++k) uart_.receive(buf[k]);
  return n > 0;
}

std::optional<std::string> Vmm::bound_by_insn_limit(kvm_model::Vcpu* v, uint64_t& budget) {
  if (!opts_.max_insns) return std::nullopt;
  const uint64_t done = total_instructions();
  if (done >= opts_.max_insns) {
    uint64_t pc = 0;
    get_reg(v, kvm_model::kRegPc, pc, false);
    return "instruction limit reached (--max-insns " + std::to_string(opts_.max_insns) + ") at vCPU " +
           std::to_string(v->id()) + " PC " + hex(pc);
  }
  budget = std::min(budget, opts_.max_insns - done);
  return std::nullopt;
}

void Vmm::migrate_if_due(kvm_model::Vcpu* v, Placement& pl, uint64_t& budget) {
  if (!opts_.migrate_every || pl.cpus.size() < 2) return;
  if (pl.since >= opts_.migrate_every) {
    v->vcpu_put();
    pl.at = (pl.at + 1) % pl.cpus.size();
    pl.since = 0;
    v->vcpu_load(pl.cpus[pl.at]);
  }
  budget = std::min(budget, opts_.migrate_every - pl.since);
}

std::optional<RunOutcome> Vmm::handle_exit(kvm_model::Vcpu* v) {
  kvm_run& run = urun(v);
  switch (run.exit_reason) {
    case KVM_EXIT_DEBUG: {
      uint64_t op, param;
      check(get_reg(v, kvm_model::kRegX(0), op), "KVM_GET_ONE_REG(X0)");
      check(get_reg(v, kvm_model::kRegX(1), param), "KVM_GET_ONE_REG(X1)");
      const SemihostingResult r = semihosting_call(guest_ram_, static_cast<uint32_t>(op), param, console_.out());
      if (!r.error.empty()) return finish(kExitGuestFault, "guest semihosting call: " + r.error);
      if (r.exit_status) return finish(*r.exit_status, "");
      if (r.snapshot) return snapshot_on_request(v);
      check(set_reg(v, kvm_model::kRegX(0), r.x0), "KVM_SET_ONE_REG(X0)");
      return std::nullopt;
    }
    case KVM_EXIT_MMIO: {
      // Devices behind the MMIO path. Nothing else is mapped: reads of unassigned
      // addresses return zero and writes are ignored (docs/guest-abi.md).
      uint64_t data = 0;
      std::memcpy(&data, run.mmio.data, sizeof data);
      if (uart_.owns(run.mmio.phys_addr)) {
        const uint64_t off = run.mmio.phys_addr - devices::Pl011::kBase;
        if (run.mmio.is_write) uart_.write(v->id(), off, data); else data = uart_.read(off);
      } else if (auto d = std::find_if(drives_.begin(), drives_.end(),
                                       [&](const auto& x) { return x->owns(run.mmio.phys_addr); });
                 d != drives_.end()) {
        const uint64_t off = run.mmio.phys_addr - (*d)->base();
        if (run.mmio.is_write) (*d)->write(off, data, run.mmio.len); else data = (*d)->read(off, run.mmio.len);
      } else {
        data = 0;
      }
      if (!run.mmio.is_write) std::memcpy(run.mmio.data, &data, sizeof data);
      return std::nullopt;
    }
    case KVM_EXIT_ARM_NISV:
      return finish(kExitGuestFault, "guest accessed MMIO at IPA " + hex(run.arm_nisv.fault_ipa) +
                                         " with an instruction KVM cannot emulate (no syndrome: pair, writeback, "
                                         "exclusive or atomic) on vCPU " + std::to_string(v->id()));
    case KVM_EXIT_SYSTEM_EVENT:
      if (run.system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) return finish(kExitOk, "");
      if (++out_.resets > opts_.max_resets)
        return finish(kExitGuestFault,
                      "guest requested more than " + std::to_string(opts_.max_resets) + " system resets (--max-resets)");
      // The snapshot holds no boot image: only --kernel given with --restore has one.
      if (snapshot_ && !linux_)
        return finish(kExitGuestFault, "guest requested a system reset: a restored VM boots again only the --kernel "
                                       "given with --restore (the snapshot holds no boot image)");
      for (auto& d : drives_) d->reset();
      init_vcpus();  // guest RAM is kept: a guest can count its boots
      if (linux_) linux_->load(ram_.data(), opts_.ram_base);  // the boot protocol again, as QEMU does
      set_boot_regs();
      return std::nullopt;
    case KVM_EXIT_INTERNAL_ERROR:
      if (run.internal.suberror == kvm_model::PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP)
        return finish(kExitGuestFault, "guest fault without handler on vCPU " + std::to_string(v->id()) +
                                           ": exception loop started at PC " + hex(run.internal.data[3]) +
                                           " (ESR_EL1 " + hex(run.internal.data[0]) + ", ELR_EL1 " +
                                           hex(run.internal.data[1]) + ", FAR_EL1 " + hex(run.internal.data[2]) + ")");
      return finish(kExitInternal, "KVM_RUN internal error " + std::to_string(run.internal.suberror));
    case KVM_EXIT_FAIL_ENTRY:
      return finish(kExitFailEntry, "KVM_RUN of vCPU " + std::to_string(v->id()) +
                                        " failed entry: KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED) on pCPU " +
                                        std::to_string(run.fail_entry.cpu) + ", outside the VM's PMU's CPUs");
    default:
      return finish(kExitInternal, "unexpected KVM exit reason " + std::to_string(run.exit_reason));
  }
}

RunOutcome Vmm::run() {
  if (opts_.threads) return run_threaded();
  // Deterministic round robin: each runnable vCPU runs one quantum in vCPU order, so the
  // same command always interleaves the guest identically.
  const uint64_t quantum = vcpus_.size() == 1 ? (1u << 20) : 10000;
  if (opts_.gdb) {
    opts_.gdb->wait_for_debugger();  // stopped before the first instruction (docs/gdb.md)
    if (opts_.gdb->killed()) return finish(gdb::kExitDebuggerKill, "killed by the debugger");
  }
  for (;;) {
    if (!opts_.save_path.empty() && !opts_.save_at_pc && total_instructions() >= opts_.stop_after_insns) {
      save(opts_.save_path);
      std::fprintf(stderr, "pmuemu: snapshot written to %s after %" PRIu64 " guest instructions\n",
                   opts_.save_path.c_str(), instructions_with_restored());
      return finish(kExitOk, "");
    }
    console_.flush_if_quiet();
    bool progressed = feed_uart(false);
    for (auto* v : vcpus_) {
      if (auto stop = stop_if_requested()) return *stop;
      if (mp_state(v) == KVM_MP_STATE_STOPPED) continue;
      uint64_t budget = quantum;
      if (!opts_.save_path.empty() && !opts_.save_at_pc) budget = std::min(budget, std::max<uint64_t>(opts_.stop_after_insns - std::min(opts_.stop_after_insns, total_instructions()), 1));
      if (auto limit = bound_by_insn_limit(v, budget)) return finish(kExitGuestFault, *limit);
      Placement& pl = placement_[v->id()];
      migrate_if_due(v, pl, budget);
      v->run_struct().insn_budget = budget;
      const bool was_halted = mp_state(v) == KVM_MP_STATE_HALTED;
      const bool to_pc = opts_.save_at_pc && v->id() == 0;
      const int rc = opts_.gdb ? gdb_run(v, budget) : to_pc ? run_to_pc(v, budget) : vcpu_run(v);
      observe_quantum(v, rc);
      if (to_pc && at_pc_) {
        save(opts_.save_path);
        std::fprintf(stderr, "pmuemu: snapshot written to %s at PC %s after %" PRIu64 " guest instructions\n",
                     opts_.save_path.c_str(), hex(*opts_.save_at_pc).c_str(), instructions_with_restored());
        return finish(kExitOk, "");
      }
      if (opts_.gdb && opts_.gdb->killed()) return finish(gdb::kExitDebuggerKill, "killed by the debugger");
      pl.since += v->run_struct().insns_retired;
      // A halted vCPU that woke (an interrupt, its timer) is progress even before it retires.
      progressed |= v->run_struct().insns_retired > 0 || (was_halted && mp_state(v) != KVM_MP_STATE_HALTED);
      if (rc == -EINTR && urun(v).exit_reason == KVM_EXIT_INTR) continue;
      check(rc, "KVM_RUN(vcpu" + std::to_string(v->id()) + ")");
      progressed = true;
      if (auto done = handle_exit(v)) {
        if (reinit_after(v, *done)) continue;
        return *done;
      }
    }
    // Nothing can run until the user types: wait for the terminal (or the pipe).
    if (!progressed && feed_uart(true)) continue;
    if (!progressed) {
      if (auto stop = stop_if_requested()) return *stop;
      bool any_halted = false;
      for (auto* v : vcpus_) any_halted |= mp_state(v) == KVM_MP_STATE_HALTED;
      return finish(kExitGuestFault, no_wake_error(any_halted));
    }
  }
}

}  // namespace pmuemu::vmm::detail

namespace pmuemu::vmm {

using detail::check_restore_era;
using detail::KvmRefused;
using detail::MigrationRefused;
using detail::Vmm;

RunOutcome run_guest(const config::Host& host, const RunOptions& in_opts) {
  RunOptions opts = in_opts;
  std::optional<Snapshot> snap;
  if (!opts.restore_path.empty()) {
    // The VM is rebuilt as the source VMM built it: same vCPUs, RAM and PMU choices; the
    // kernel era is the snapshot's unless --kvm names another.
    snap = load_snapshot(opts.restore_path);
    opts.vcpus = snap->vcpus;
    opts.ram_base = snap->ram_base;
    opts.ram_size = snap->ram_size;
    opts.pmu = snap->pmu;
    if (!snap->pmu && !opts.pmu_core.empty())
      throw UsageError("--pmu is not valid with --restore of " + opts.restore_path +
                       ": its VM was created without a PMU (--no-pmu)");
    if (opts.pmu_core.empty()) opts.pmu_core = snap->pmu_core;
    // --affinity is the destination VMM's placement, checked against the snapshot's vCPUs.
    for (size_t v = 0; v < opts.affinity.size(); ++v)
      if (!opts.affinity[v].empty() && v >= snap->vcpus)
        throw UsageError("--affinity: vCPU " + std::to_string(v) + " does not exist (the snapshot " +
                         opts.restore_path + " has " + std::to_string(snap->vcpus) + " vCPU" +
                         (snap->vcpus == 1 ? "" : "s") + ")");
  }
  if (opts.kvm_era.empty()) opts.kvm_era = snap ? snap->kvm_era : "6.7";
  std::unique_ptr<Vmm> vmm;
  RunOutcome out;
  try {
    if (snap) check_restore_era(*snap, opts);
    vmm = std::make_unique<Vmm>(host, opts, std::move(snap));
    out = vmm->run();
    if (out.error.rfind("instruction limit", 0) == 0 || out.error.rfind("wall-clock limit", 0) == 0 ||
        out.error.rfind("stopped by SIG", 0) == 0)
      out.where = vmm->where();
    if (!opts.save_on_exit_path.empty()) {
      try {
        vmm->save_on_exit(opts.save_on_exit_path);
      } catch (const std::runtime_error& e) {
        if (out.error.empty()) out.exit_status = kExitBadInput, out.error = e.what();
      }
    }
  } catch (const KvmRefused& e) {
    out = RunOutcome{};
    out.exit_status = kExitKvmRefused;
    out.error = e.what();
    // The errno alone does not say why a vCPU with PMU_V3 is refused on this host.
    if (opts.pmu && out.error.rfind("KVM_ARM_VCPU_INIT", 0) == 0) {
      const std::string why = no_vpmu_reason(host);
      if (!why.empty()) out.error += ": " + why + "; run with --no-pmu";
    }
  } catch (const MigrationRefused& e) {
    out = RunOutcome{};
    out.exit_status = kExitMigrationRefused;
    out.error = e.what();
  }
  // --json / --timeline: written whatever the outcome; a write failure is input error 65
  // unless the run already has its own error.
  const std::string err = vmm ? vmm->write_reports(out) : write_reports_without_vm(host, opts, out);
  if (!err.empty() && out.error.empty()) {
    out.exit_status = kExitBadInput;
    out.error = err;
  }
  if (opts.gdb) opts.gdb->guest_exited(out.exit_status);  // gdb hears the end (W packet)
  return out;
}

}  // namespace pmuemu::vmm
