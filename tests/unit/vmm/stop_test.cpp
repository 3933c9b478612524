// Stopping a run from outside (docs/cli.md, "Stopping a run"): the first request wins, the
// VMM's kick runs for a request made before or after it is installed, the --timeout
// deadline and SIGTERM become requests through the watcher, which blocks SIGINT and SIGTERM
// only while it exists.
#include <boost/test/unit_test.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "emu/vmm/stop.h"

namespace vm = pmuemu::vmm;
using namespace std::chrono_literals;

namespace {

// Polls until the control has a reason or `limit` passes; the reason.
int wait_reason(const vm::StopControl& c, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (c.reason() == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
  return c.reason();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stop)

BOOST_AUTO_TEST_CASE(the_first_request_wins) {
  vm::StopControl c;
  BOOST_TEST(c.reason() == 0);
  c.request(SIGTERM);
  c.request(SIGINT);
  c.request(vm::StopControl::kTimeout);
  BOOST_TEST(c.reason() == SIGTERM);
}

BOOST_AUTO_TEST_CASE(the_kick_runs_once_per_winning_request) {
  vm::StopControl c;
  int kicks = 0;
  c.set_kick([&] { ++kicks; });
  BOOST_TEST(kicks == 0);
  c.request(SIGINT);
  c.request(SIGTERM);  // loses: no second kick
  BOOST_TEST(kicks == 1);
}

BOOST_AUTO_TEST_CASE(a_request_before_the_vcpus_exist_is_kicked_at_installation) {
  vm::StopControl c;
  c.request(vm::StopControl::kTimeout);
  int kicks = 0;
  c.set_kick([&] { ++kicks; });
  BOOST_TEST(kicks == 1);
  c.set_kick(nullptr);  // the VMM removes it before its vCPUs go: nothing is called
  c.request(SIGINT);
  BOOST_TEST(kicks == 1);
}

BOOST_AUTO_TEST_CASE(before_exit_runs_what_is_installed_and_nothing_after_removal) {
  vm::StopControl c;
  int runs = 0;
  c.before_exit();  // nothing installed
  c.set_before_exit([&] { ++runs; });
  c.before_exit();
  c.set_before_exit(nullptr);
  c.before_exit();
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(reason_names) {
  BOOST_TEST(std::strcmp(vm::stop_reason_name(SIGINT), "SIGINT") == 0);
  BOOST_TEST(std::strcmp(vm::stop_reason_name(SIGTERM), "SIGTERM") == 0);
  BOOST_TEST(std::strcmp(vm::stop_reason_name(vm::StopControl::kTimeout), "timeout") == 0);
}

BOOST_AUTO_TEST_CASE(the_deadline_becomes_a_timeout_request_and_kicks) {
  vm::StopControl c;
  std::atomic<int> kicks{0};
  c.set_kick([&] { ++kicks; });
  const auto start = std::chrono::steady_clock::now();
  {
    vm::StopWatcher w(c, 30ms);
    BOOST_TEST(wait_reason(c, 20000ms) == vm::StopControl::kTimeout);
  }
  // Not before the deadline.
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 30ms));
  BOOST_TEST(kicks.load() == 1);
}

BOOST_AUTO_TEST_CASE(no_deadline_no_request) {
  vm::StopControl c;
  {
    vm::StopWatcher w(c, 0ns);
    std::this_thread::sleep_for(60ms);
  }
  BOOST_TEST(c.reason() == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_to_the_process_becomes_a_request) {
  vm::StopControl c;
  {
    vm::StopWatcher w(c, 0ns);
    BOOST_REQUIRE(::kill(::getpid(), SIGTERM) == 0);
    BOOST_TEST(wait_reason(c, 20000ms) == SIGTERM);
  }
  // The watcher is gone and the signal mask restored; the process is still alive to say so.
  BOOST_TEST(c.reason() == SIGTERM);
}

BOOST_AUTO_TEST_CASE(the_watcher_restores_the_signal_mask) {
  sigset_t before, during, after;
  BOOST_REQUIRE(pthread_sigmask(SIG_BLOCK, nullptr, &before) == 0);
  BOOST_REQUIRE(!sigismember(&before, SIGINT));
  vm::StopControl c;
  {
    vm::StopWatcher w(c, 0ns);
    BOOST_REQUIRE(pthread_sigmask(SIG_BLOCK, nullptr, &during) == 0);
    // Blocked while it watches, so that only its thread takes them.
    BOOST_TEST(sigismember(&during, SIGINT));
    BOOST_TEST(sigismember(&during, SIGTERM));
  }
  BOOST_REQUIRE(pthread_sigmask(SIG_BLOCK, nullptr, &after) == 0);
  BOOST_TEST(!sigismember(&after, SIGINT));
  BOOST_TEST(!sigismember(&after, SIGTERM));
}

BOOST_AUTO_TEST_SUITE_END()
