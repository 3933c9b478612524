#include "emu/vmm/vmm_impl.h"

#include <chrono>

namespace pmuemu::vmm::detail {
// ---------------- --threads ----------------
// Each vCPU has a host thread that loops: wait while it has nothing to run (powered off,
// or halted in WFI with no timer), take its pCPU's turn, KVM_RUN one quantum, serve the
// exit. Kicks (an SGI, a PSCI CPU_ON, an interrupt from another vCPU) wake a waiting
// thread through the VM's kick hook. Output order between vCPUs follows the host's thread
// timing: this mode is not deterministic.

void Vmm::acquire_pcpu(uint32_t pcpu) {
  PcpuTurn& t = *pcpu_turns_.at(pcpu);
  std::unique_lock g(t.m);
  const uint64_t ticket = t.next++;
  t.cv.wait(g, [&] { return t.serving == ticket; });
}

void Vmm::release_pcpu(uint32_t pcpu) {
  PcpuTurn& t = *pcpu_turns_.at(pcpu);
  {
    const std::lock_guard g(t.m);
    ++t.serving;
  }
  t.cv.notify_all();
}

bool Vmm::all_waiting() const {
  return idle_ == vcpus_.size() && std::all_of(kicked_.begin(), kicked_.end(), [](uint8_t k) { return k == 0; });
}

std::string Vmm::all_waiting_error() const {
  return no_wake_error(std::any_of(idle_why_.begin(), idle_why_.end(), [](uint8_t w) { return w == 1; }));
}

void Vmm::end_threaded(const RunOutcome& out) {
  {
    const std::lock_guard g(kick_m_);
    if (done_) return;
    done_ = true;
    result_ = out;
  }
  kick_cv_.notify_all();
  for (auto* v : vcpus_) v->request_immediate_exit();
}

template <typename Fn>
void Vmm::with_world_stopped(unsigned self, Fn&& fn) {
  std::unique_lock g(kick_m_);
  // One stop at a time: a second requester parks (and so counts as stopped) meanwhile.
  while (pausing_ && !done_) {
    ++parked_;
    kick_cv_.notify_all();
    kick_cv_.wait(g, [&] { return !pausing_ || done_; });
    --parked_;
  }
  if (done_) return;
  pausing_ = true;
  g.unlock();
  for (auto* v : vcpus_)
    if (v->id() != self) v->request_immediate_exit();
  g.lock();
  kick_cv_.wait(g, [&] { return parked_ + idle_ + 1 >= vcpus_.size() || done_; });
  g.unlock();
  if (!done_) fn();
  g.lock();
  pausing_ = false;
  // Everyone re-examines its vCPU: power states and registers have just changed.
  std::fill(kicked_.begin(), kicked_.end(), 1);
  g.unlock();
  kick_cv_.notify_all();
}

void Vmm::vcpu_thread(kvm_model::Vcpu* v) {
  const unsigned id = v->id();
  const uint64_t quantum = kQuantum;
  Placement& pl = placement_[id];
  try {
    for (;;) {
      {
        std::unique_lock g(kick_m_);
        if (pausing_ && !done_) {
          ++parked_;
          kick_cv_.notify_all();
          kick_cv_.wait(g, [&] { return !pausing_ || done_; });
          --parked_;
        }
        if (done_) return;
      }
      // Anything to run? Power state is VM state: read it under the VM lock.
      uint8_t why = 0;
      bool was_halted = false;
      {
        const auto vl = vm_->lock();
        was_halted = v->mp_state() == KVM_MP_STATE_HALTED;
        if (v->powered_off() && !v->psci_on_pending()) why = 2;  // (KVM_GET_MP_STATE, read under the VM lock)
        else if (was_halted && halted_idle_[id]) why = 1;
      }
      if (why != 0) {
        std::unique_lock g(kick_m_);
        if (kicked_[id] || done_ || pausing_) {
          halted_idle_[id] = 0;  // kicked since the run that blocked: run again
          continue;
        }
        idle_why_[id] = why;
        ++idle_;
        if (all_waiting() && !input_open_) {
          std::string why_all = all_waiting_error();
          --idle_;
          g.unlock();
          const std::lock_guard vg(vmm_m_);
          end_threaded(finish(kExitGuestFault, std::move(why_all)));
          return;
        }
        kick_cv_.notify_all();  // a stopping world counts idle threads as stopped
        kick_cv_.wait(g, [&] { return kicked_[id] || done_ || pausing_; });
        --idle_;
        idle_why_[id] = 0;
        halted_idle_[id] = 0;
        continue;
      }
      uint64_t budget = quantum;
      {
        // Every thread sees a stop request: the outcome it writes (finish()) is the VMM's.
        const std::lock_guard vg(vmm_m_);
        if (auto stop = stop_if_requested()) {
          end_threaded(*stop);
          return;
        }
      }
      if (auto limit = bound_by_insn_limit(v, budget)) {
        const std::lock_guard vg(vmm_m_);
        end_threaded(finish(kExitGuestFault, *limit));
        return;
      }
      migrate_if_due(v, pl, budget);
      v->run_struct().insn_budget = budget;
      const uint32_t pcpu = pl.cpus[pl.at];
      {
        // Kicks from here on are for this KVM_RUN's outcome: one that lands while it runs
        // must not be lost if the run then blocks in WFI.
        const std::lock_guard g(kick_m_);
        kicked_[id] = 0;
      }
      acquire_pcpu(pcpu);
      const int rc = vcpu_run(v);
      observe_quantum(v, rc);
      release_pcpu(pcpu);
      const uint64_t n = v->run_struct().insns_retired;
      pl.since += n;
      threaded_insns_ += n;
      if (rc == -EINTR && urun(v).exit_reason == KVM_EXIT_INTR) {
        // Out of budget, an immediate exit, or blocked in WFI with nothing to wake it.
        // A vCPU that entered halted and is still halted without retiring anything has no
        // timer to wake it (KVM_RUN would have let time pass to it): wait for a kick.
        const auto vl = vm_->lock();
        if (was_halted && n == 0 && v->mp_state() == KVM_MP_STATE_HALTED) halted_idle_[id] = 1;
        continue;
      }
      {
        const std::lock_guard g(kick_m_);
        if (done_) return;
      }
      check(rc, "KVM_RUN(vcpu" + std::to_string(id) + ")");
      const kvm_run& rs = urun(v);
      const bool system_reset = rs.exit_reason == KVM_EXIT_SYSTEM_EVENT &&
                                rs.system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN;
      if (system_reset) {
        // init_vcpus() re-initialises every vCPU: only with the others stopped. (The VMM
        // lock is taken inside: a thread still on its way to park may need it first.)
        std::optional<RunOutcome> done;
        with_world_stopped(id, [&] {
          const std::lock_guard vg(vmm_m_);
          done = handle_exit(v);
        });
        if (done) end_threaded(*done);
        continue;
      }
      std::unique_lock vg(vmm_m_);
      if (auto done = handle_exit(v)) {
        bool again = false;
        if (done->exit_status == 0 && done->error.empty() && reinit_done_ < opts_.reinit_runs) {
          vg.unlock();
          with_world_stopped(id, [&] {
            const std::lock_guard g(vmm_m_);
            again = reinit_after(v, *done);
          });
        } else {
          reinit_after(v, *done);  // records the exit reason
        }
        if (!again) end_threaded(*done);
      }
    }
  } catch (...) {
    {
      const std::lock_guard g(kick_m_);
      if (!error_) error_ = std::current_exception();
    }
    end_threaded(RunOutcome{kExitInternal, "vCPU thread failed", 0, 0, {}});
  }
}

// The console input reads in slices of 50 ms (to see the end of the run) without the VMM
// lock, and what came goes to the UART under it, as a vCPU's MMIO exit reaches the device;
// the receive interrupt then kicks a vCPU halted in WFI. With every vCPU waiting, the run
// ends at the end of the input (every vCPU looks again, and with no input left the last to
// wait ends it), or at once while the guest does not listen: then nothing that runs could
// ever make it listen. The two locks are taken in the VMM's order, so that the UART and the
// idle count are seen at one moment.
void Vmm::input_thread() {
  using namespace std::chrono_literals;
  try {
    uint8_t buf[devices::Pl011::kFifoDepth];
    for (;;) {
      size_t room = 0;
      {
        const std::lock_guard vg(vmm_m_);
        console_.flush_if_quiet();
        room = std::min(uart_.rx_room(), sizeof buf);
        std::unique_lock g(kick_m_);
        if (done_) return;
        if (room == 0 && all_waiting()) {
          std::string why_all = all_waiting_error();
          g.unlock();
          end_threaded(finish(kExitGuestFault, std::move(why_all)));
          return;
        }
      }
      if (room == 0) {
        std::unique_lock g(kick_m_);
        kick_cv_.wait_for(g, 20ms, [&] { return done_; });
        continue;
      }
      const size_t n = input_.read(buf, room, 50);
      if (n != 0) {
        const std::lock_guard vg(vmm_m_);
        for (size_t k = 0; k < n; ++k) uart_.receive(buf[k]);
      }
      if (input_.at_eof()) {
        {
          const std::lock_guard g(kick_m_);
          input_open_ = false;
          std::fill(kicked_.begin(), kicked_.end(), 1);
        }
        kick_cv_.notify_all();
        return;
      }
    }
  } catch (...) {
    {
      const std::lock_guard g(kick_m_);
      if (!error_) error_ = std::current_exception();
    }
    end_threaded(RunOutcome{kExitInternal, "console input thread failed", 0, 0, {}});
  }
}

RunOutcome Vmm::run_threaded() {
  vm_->set_threaded();
  pcpu_turns_.clear();
  for (size_t p = 0; p < host_.num_pcpus(); ++p) pcpu_turns_.push_back(std::make_unique<PcpuTurn>());
  {
    // A stop request (stop.h) may kick from the watcher thread at any time.
    const std::lock_guard g(kick_m_);
    kicked_.assign(vcpus_.size(), 0);
    idle_why_.assign(vcpus_.size(), 0);
    halted_idle_.assign(vcpus_.size(), 0);
    input_open_ = linux_ && !input_.at_eof();
  }
  vm_->set_kick_hook([this](unsigned id) {
    {
      const std::lock_guard g(kick_m_);
      if (id < kicked_.size()) kicked_[id] = 1;
    }
    kick_cv_.notify_all();
  });
  std::vector<std::thread> threads;
  threads.reserve(vcpus_.size());
  for (auto* v : vcpus_) threads.emplace_back([this, v] { vcpu_thread(v); });
  std::thread input;
  if (input_open_) input = std::thread([this] { input_thread(); });
  for (auto& t : threads) t.join();
  if (input.joinable()) input.join();  // it sees the end of the run within one read slice
  vm_->set_kick_hook(nullptr);
  if (error_) std::rethrow_exception(error_);
  console_.flush();
  RunOutcome out = result_.value_or(finish(kExitInternal, "vCPU threads ended without an outcome"));
  out.instructions = total_instructions();
  return out;
}
}  // namespace pmuemu::vmm::detail
