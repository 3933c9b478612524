// Ending a run early from outside the run loop: SIGINT, SIGTERM and the wall-clock
// --timeout. The run loop never polls a clock or a signal: the watcher kicks every vCPU out
// of KVM_RUN (kvm_run->immediate_exit, which the core checks where it already checks for
// pending interrupts at each block boundary), and the loop, back between two KVM_RUNs,
// reads the reason and ends the run there, so every output is written from a quiescent VM.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

namespace pmuemu::vmm {

class StopControl {
 public:
  static constexpr int kTimeout = -1;  // reason(): the --timeout deadline passed
  // 0: keep running; a signal number; or kTimeout. The first request wins.
  int reason() const { return reason_.load(std::memory_order_acquire); }
  void request(int why);
  // How to kick the VM's vCPUs out of KVM_RUN; the VMM installs it while its vCPUs exist
  // and removes it (nullptr) before they go away. A request made before it is installed
  // is kicked at installation.
  void set_kick(std::function<void()> kick);
  // What must be undone even when a second signal ends the process at once (std::_Exit
  // runs no destructors), such as a terminal's raw mode; nullptr removes it.
  void set_before_exit(std::function<void()> fn);
  void before_exit();

 private:
  std::atomic<int> reason_{0};
  std::mutex m_;
  std::function<void()> kick_;
  std::function<void()> before_exit_;
};

// While it exists: SIGINT and SIGTERM are blocked in the calling thread (and so in every
// thread it creates afterwards) and a watcher thread waits for them and for the deadline,
// turning either into a StopControl request. A second signal after the first ends the
// process at once with status 128 + signal (the user insists; outputs may be incomplete).
// The destructor stops the watcher and restores the signal mask.
class StopWatcher {
 public:
  StopWatcher(StopControl& control, std::chrono::nanoseconds timeout /* 0: none */);
  ~StopWatcher();
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

 private:
  void watch();
  StopControl& control_;
  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_;
  std::atomic<bool> done_{false};
  std::thread thread_;
  unsigned char old_mask_[128];  // sigset_t, kept opaque here
};

// "SIGINT", "SIGTERM", or "timeout".
const char* stop_reason_name(int why);

}  // namespace pmuemu::vmm
