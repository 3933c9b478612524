// KVM_GET_STATS_FD through the /dev/kvm ABI, as Linux 6.12 lays its binary statistics out
// on arm64 (virt/kvm/binary_stats.c, arch/arm64/kvm/guest.c): the header, id string and
// descriptors of a VM's and a vCPU's file, the counters after a guest's MMIO writes (to the
// VMM and to an ioeventfd) and after a signal exit, independent offsets per fd, a read-only
// file, and a file that outlives its VM.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/unit/kvm_abi/guest_vm.h"

namespace {

using namespace kvm_abi_test;

// A statistics file read whole: the id, and each statistic's name -> its u64 items.
struct Stats {
  kvm_stats_header h{};
  std::string id;
  std::vector<std::string> names;
  std::vector<kvm_stats_desc> descs;
  std::map<std::string, std::vector<uint64_t>> data;
};

Stats read_stats(int fd) {
  Stats s;
  BOOST_REQUIRE_EQUAL(pread(fd, &s.h, sizeof s.h, 0), static_cast<ssize_t>(sizeof s.h));
  std::vector<char> id(s.h.name_size);
  BOOST_REQUIRE_EQUAL(pread(fd, id.data(), id.size(), s.h.id_offset), static_cast<ssize_t>(id.size()));
  s.id = id.data();
  const size_t dsize = sizeof(kvm_stats_desc) + s.h.name_size;
  std::vector<uint8_t> d(dsize * s.h.num_desc);
  BOOST_REQUIRE_EQUAL(pread(fd, d.data(), d.size(), s.h.desc_offset), static_cast<ssize_t>(d.size()));
  for (uint32_t i = 0; i < s.h.num_desc; ++i) {
    kvm_stats_desc k;
    std::memcpy(&k, d.data() + i * dsize, sizeof k);
    const std::string name(reinterpret_cast<const char*>(d.data() + i * dsize + sizeof k));
    std::vector<uint64_t> v(k.size);
    BOOST_REQUIRE_EQUAL(pread(fd, v.data(), v.size() * 8, s.h.data_offset + k.offset), static_cast<ssize_t>(v.size() * 8));
    s.names.push_back(name);
    s.descs.push_back(k);
    s.data[name] = v;
  }
  return s;
}

uint64_t stat(int fd, const char* name) {
  const Stats s = read_stats(fd);
  const auto it = s.data.find(name);
  BOOST_REQUIRE_MESSAGE(it != s.data.end(), "no statistic " << name);
  return it->second.at(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(binary_stats)

BOOST_AUTO_TEST_CASE(layout_of_the_vm_and_vcpu_files) {
  Vm v;
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD), 1);
  const long vmfd = v.dev.ioctl(v.vm, KVM_GET_STATS_FD, 0);
  const long vcfd = v.dev.ioctl(v.vcpu, KVM_GET_STATS_FD, 0);  // before KVM_ARM_VCPU_INIT too
  BOOST_REQUIRE_GE(vmfd, 0);
  BOOST_REQUIRE_GE(vcfd, 0);
  const Stats vm = read_stats(static_cast<int>(vmfd));
  BOOST_CHECK_EQUAL(vm.h.flags, 0u);
  BOOST_CHECK_EQUAL(vm.h.name_size, 48u);  // KVM_STATS_NAME_SIZE
  BOOST_CHECK_EQUAL(vm.h.id_offset, sizeof(kvm_stats_header));
  BOOST_CHECK_EQUAL(vm.h.desc_offset, vm.h.id_offset + 48);
  BOOST_CHECK_EQUAL(vm.h.data_offset, vm.h.desc_offset + vm.h.num_desc * (sizeof(kvm_stats_desc) + 48));
  BOOST_CHECK_EQUAL(vm.id, "kvm-" + std::to_string(getpid()));
  BOOST_CHECK((vm.names == std::vector<std::string>{"remote_tlb_flush", "remote_tlb_flush_requests"}));
  const Stats vc = read_stats(static_cast<int>(vcfd));
  BOOST_CHECK_EQUAL(vc.id, "kvm-" + std::to_string(getpid()) + "/vcpu-0");
  const std::vector<std::string> want = {
      "halt_successful_poll", "halt_attempted_poll", "halt_poll_invalid", "halt_wakeup", "halt_poll_success_ns",
      "halt_poll_fail_ns", "halt_wait_ns", "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist",
      "blocking", "hvc_exit_stat", "wfe_exit_stat", "wfi_exit_stat", "mmio_exit_user", "mmio_exit_kernel",
      "signal_exits", "exits"};
  BOOST_CHECK(vc.names == want);
  // struct kvm_vcpu_stat's layout: consecutive u64s, histograms of 32 buckets, nanosecond
  // times with exponent -9, a boolean, counters.
  uint32_t offset = 0;
  for (size_t i = 0; i < vc.descs.size(); ++i) {
    const kvm_stats_desc& d = vc.descs[i];
    BOOST_CHECK_EQUAL(d.offset, offset);
    offset += d.size * 8;
    BOOST_CHECK_EQUAL(d.bucket_size, 0u);
    const std::string& n = vc.names[i];
    const bool hist = n.size() > 5 && n.compare(n.size() - 5, 5, "_hist") == 0;
    const bool ns = hist || (n.size() > 3 && n.compare(n.size() - 3, 3, "_ns") == 0);
    BOOST_CHECK_EQUAL(d.size, hist ? 32 : 1);
    BOOST_CHECK_EQUAL(d.exponent, ns ? -9 : 0);
    const uint32_t type = d.flags & KVM_STATS_TYPE_MASK, unit = d.flags & KVM_STATS_UNIT_MASK;
    BOOST_CHECK_EQUAL(type, hist ? KVM_STATS_TYPE_LOG_HIST : n == "blocking" ? KVM_STATS_TYPE_INSTANT : KVM_STATS_TYPE_CUMULATIVE);
    BOOST_CHECK_EQUAL(unit, ns ? KVM_STATS_UNIT_SECONDS : n == "blocking" ? KVM_STATS_UNIT_BOOLEAN : KVM_STATS_UNIT_NONE);
    BOOST_CHECK_EQUAL(d.flags & KVM_STATS_BASE_MASK, KVM_STATS_BASE_POW10);
  }
  BOOST_CHECK_EQUAL(offset, 111u * 8);
  // Read-only, its own offset per fd, and gone from the process once closed.
  const long again = v.dev.ioctl(v.vcpu, KVM_GET_STATS_FD, 0);
  BOOST_REQUIRE_GE(again, 0);
  uint32_t a[2], b[2];
  BOOST_CHECK_EQUAL(read(static_cast<int>(vcfd), a, 4), 4);
  BOOST_CHECK_EQUAL(read(static_cast<int>(vcfd), a + 1, 4), 4);
  BOOST_CHECK_EQUAL(read(static_cast<int>(again), b, 8), 8);
  BOOST_CHECK_EQUAL(b[0], a[0]);  // flags: the other fd's reads did not move this one
  BOOST_CHECK_EQUAL(b[1], 48u);   // name_size
  BOOST_CHECK_EQUAL(write(static_cast<int>(again), a, 4), -1);
  BOOST_CHECK_EQUAL(errno, EBADF);
  for (long fd : {vmfd, vcfd, again}) close(static_cast<int>(fd));
}

// The counters follow the guest: its writes that exit to the VMM and those an ioeventfd
// takes, every exit from guest code, and a KVM_RUN that a signal ends.
BOOST_AUTO_TEST_CASE(counters_follow_the_guest) {
  int fd = -1;
  {
    Vm v;
    v.init_vcpu();
    Efd e;
    BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio, 4, e.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), 0);
    fd = static_cast<int>(v.dev.ioctl(v.vcpu, KVM_GET_STATS_FD, 0));
    BOOST_REQUIRE_GE(fd, 0);
    BOOST_CHECK_EQUAL(stat(fd, "exits"), 0u);
    v.expect_write(kMmio, 4, 2);  // the write of 1 went to the ioeventfd
    BOOST_CHECK_EQUAL(stat(fd, "mmio_exit_user"), 1u);
    BOOST_CHECK_EQUAL(stat(fd, "mmio_exit_kernel"), 1u);
    v.expect_write(kMmio + 8, 1, 2);
    v.expect_write(kMmio + 16, 8, 2);
    BOOST_CHECK_EQUAL(stat(fd, "mmio_exit_user"), 3u);
    BOOST_CHECK_EQUAL(stat(fd, "mmio_exit_kernel"), 1u);
    BOOST_CHECK_GE(stat(fd, "exits"), 4u);  // one per write at least
    BOOST_CHECK_EQUAL(stat(fd, "hvc_exit_stat"), 0u);
    BOOST_CHECK_EQUAL(stat(fd, "wfi_exit_stat"), 0u);
    // A signal the vCPU's mask lets through ends KVM_RUN before the guest runs.
    v.dev.set_pending_signals([] { return uint64_t{1} << (SIGUSR1 - 1); });
    struct {
      uint32_t len;
      uint64_t set;
    } __attribute__((packed)) mask{8, 0};
    BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, ptr(&mask)), 0);
    const uint64_t exits = stat(fd, "exits");
    BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_RUN, 0), -EINTR);
    BOOST_CHECK_EQUAL(stat(fd, "signal_exits"), 1u);
    BOOST_CHECK_EQUAL(stat(fd, "exits"), exits);
  }
  // The VM is gone; its statistics file still reads, with the last values.
  BOOST_CHECK_EQUAL(stat(fd, "mmio_exit_user"), 3u);
  BOOST_CHECK_EQUAL(stat(fd, "signal_exits"), 1u);
  close(fd);
}

BOOST_AUTO_TEST_SUITE_END()
