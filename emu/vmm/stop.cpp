#include "emu/vmm/stop.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace pmuemu::vmm {

static_assert(sizeof(sigset_t) <= 128, "StopWatcher keeps the old mask in 128 bytes");

void StopControl::request(int why) {
  int none = 0;
  if (!reason_.compare_exchange_strong(none, why, std::memory_order_acq_rel)) return;
  const std::lock_guard g(m_);
  if (kick_) kick_();
}

void StopControl::set_kick(std::function<void()> kick) {
  const std::lock_guard g(m_);
  kick_ = std::move(kick);
  if (kick_ && reason() != 0) kick_();
}

void StopControl::set_before_exit(std::function<void()> fn) {
  const std::lock_guard g(m_);
  before_exit_ = std::move(fn);
}

void StopControl::before_exit() {
  const std::lock_guard g(m_);
  if (before_exit_) before_exit_();
}

namespace {
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}
}  // namespace

StopWatcher::StopWatcher(StopControl& control, std::chrono::nanoseconds timeout)
    : control_(control),
      deadline_(std::chrono::steady_clock::now() + timeout),
      has_deadline_(timeout.count() > 0) {
  const sigset_t s = stop_signals();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &s, &old);
  std::memcpy(old_mask_, &old, sizeof old);
  thread_ = std::thread([this] { watch(); });
}

StopWatcher::~StopWatcher() {
  done_.store(true);
  thread_.join();
  // A signal that arrived after the run ended is delivered now, with its default action:
  // the run's outputs are complete by then. Discard it instead: the run already has an
  // outcome, and the exit status must describe it.
  const sigset_t s = stop_signals();
  timespec zero{0, 0};
  while (sigtimedwait(&s, nullptr, &zero) > 0) {
  }
  sigset_t old;
  std::memcpy(&old, old_mask_, sizeof old);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void StopWatcher::watch() {
  const sigset_t s = stop_signals();
  // The watcher wakes every 20 ms to see whether the run is over: the stop latency of
  // the deadline, never of a signal (sigtimedwait returns as soon as one is pending).
  constexpr long kPollNs = 20'000'000;
  while (!done_.load()) {
    timespec wait{0, kPollNs};
    if (has_deadline_) {
      const auto left = deadline_ - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds(0)) {
        control_.request(StopControl::kTimeout);
        wait.tv_nsec = kPollNs;
      } else if (left < std::chrono::nanoseconds(kPollNs)) {
        wait.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
      }
    }
    const int sig = sigtimedwait(&s, nullptr, &wait);
    if (sig <= 0) continue;
    if (control_.reason() > 0) {
      // The second signal: the user does not want to wait for the outputs.
      control_.before_exit();
      std::fprintf(stderr, "pmuemu: %s again: exiting at once\n", stop_reason_name(sig));
      std::_Exit(128 + sig);
    }
    control_.request(sig);
  }
}

const char* stop_reason_name(int why) {
  switch (why) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case StopControl::kTimeout: return "timeout";
    default: return "signal";
  }
}

}  // namespace pmuemu::vmm
