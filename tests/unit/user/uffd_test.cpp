// userfaultfd(2) of `pmuemu user` driven through its system calls: the UFFDIO_API handshake,
// registration, the page-fault messages read(2) returns, UFFDIO_COPY/ZEROPAGE/WAKE and
// their errnos (Linux 6.12's fs/userfaultfd.c and mm/userfaultfd.c), pipes and readiness,
// and a fault through a vCPU: the guest's load from a registered memory-slot page that is
// missing stops KVM_RUN until the page is copied in, then completes with the copied bytes.
#include <boost/test/unit_test.hpp>

#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "emu/user/kvm_bridge.h"
#include "emu/user/uffd.h"
#include "tests/unit/user/fixture.h"

using namespace pmuemu::user;
using namespace pmuemu::user::test;

namespace {

constexpr uint64_t kIoctl = 29, kMadvise = 233, kUserfaultfd = 282, kPipe2 = 59, kWrite = 64, kEpollCreate1 = 20,
                   kEpollCtl = 21, kEpollPwait = 22, kPpoll = 73;
constexpr uint64_t kONonblock = 04000, kMadvDontneed = 4;
constexpr uint64_t kPage = 4096;
// Test memory: 4 pages, registered in the tests that need it.
constexpr uint64_t kMem = 0x30000000, kSrc = 0x30100000;
constexpr uint64_t kArg = Proc::kScratch + 0x800;  // ioctl argument structs

template <typename T>
T get(Process& p, uint64_t va) {
  T v{};
  p.read(va, &v, sizeof v);
  return v;
}
template <typename T>
void put(Process& p, uint64_t va, const T& v) {
  BOOST_REQUIRE(p.write(va, &v, sizeof v));
}

struct UffdProc : Proc {
  long uffd = -1;
  UffdProc() {
    BOOST_REQUIRE_EQUAL(sys(kMmap, kMem, 4 * kPage, 3, kMapPrivate | kMapAnon | kMapFixed, ~0ull, 0), static_cast<long>(kMem));
    BOOST_REQUIRE_EQUAL(sys(kMmap, kSrc, 4 * kPage, 3, kMapPrivate | kMapAnon | kMapFixed, ~0ull, 0), static_cast<long>(kSrc));
    for (uint64_t i = 0; i < 4 * kPage; i += 8) {
      const uint64_t v = 0x1122334455667700ull + i;
      p.write(kSrc + i, &v, 8);
    }
    uffd = sys(kUserfaultfd, kONonblock);
    BOOST_REQUIRE_GE(uffd, 3);
  }
  long ioctl(uint64_t req, uint64_t arg = kArg) { return sys(kIoctl, static_cast<uint64_t>(uffd), req, arg); }
  long api(uint64_t features = 0) {
    put(p, kArg, uffdio_api{UFFD_API, features, 0});
    return ioctl(UFFDIO_API);
  }
  long reg(uint64_t start, uint64_t len, uint64_t mode = UFFDIO_REGISTER_MODE_MISSING) {
    put(p, kArg, uffdio_register{{start, len}, mode, 0});
    return ioctl(UFFDIO_REGISTER);
  }
  long copy(uint64_t dst, uint64_t src, uint64_t len, uint64_t mode = 0) {
    put(p, kArg, uffdio_copy{dst, src, len, mode, 0});
    return ioctl(UFFDIO_COPY);
  }
  long zeropage(uint64_t start, uint64_t len, uint64_t mode = 0) {
    put(p, kArg, uffdio_zeropage{{start, len}, mode, 0});
    return ioctl(UFFDIO_ZEROPAGE);
  }
  long range_ioctl(uint64_t req, uint64_t start, uint64_t len) {
    put(p, kArg, uffdio_range{start, len});
    return ioctl(req);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(userfaultfd)

BOOST_AUTO_TEST_CASE(creation_flags) {
  Proc t;
  BOOST_TEST(t.sys(kUserfaultfd, 0x4) == -EINVAL);          // not O_CLOEXEC, O_NONBLOCK or USER_MODE_ONLY
  BOOST_TEST(t.sys(kUserfaultfd, 02000000 | 1) >= 3);       // O_CLOEXEC | UFFD_USER_MODE_ONLY
}

BOOST_AUTO_TEST_CASE(api_handshake) {
  UffdProc t;
  // Nothing but UFFDIO_API before the handshake, and no reads.
  BOOST_TEST(t.reg(kMem, kPage) == -EINVAL);
  BOOST_TEST(t.read(t.uffd, 64) == "");
  long rc = 0;
  t.read(t.uffd, 64, &rc);
  BOOST_TEST(rc == -EINVAL);
  // A wrong API number: EINVAL and the struct zeroed.
  put(t.p, kArg, uffdio_api{0xab, 0, 0});
  BOOST_TEST(t.ioctl(UFFDIO_API) == -EINVAL);
  BOOST_TEST(get<uffdio_api>(t.p, kArg).api == 0u);
  // A feature this layer does not implement (write-protect faults).
  BOOST_TEST(t.api(UFFD_FEATURE_PAGEFAULT_FLAG_WP) == -EINVAL);
  // Only what is implemented is reported.
  BOOST_REQUIRE_EQUAL(t.api(UFFD_FEATURE_THREAD_ID), 0);
  const auto a = get<uffdio_api>(t.p, kArg);
  BOOST_TEST(a.features == (UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_EXACT_ADDRESS));
  BOOST_TEST(a.ioctls == ((1ull << _UFFDIO_REGISTER) | (1ull << _UFFDIO_UNREGISTER) | (1ull << _UFFDIO_API)));
  // A second handshake.
  BOOST_TEST(t.api() == -EINVAL);
  BOOST_TEST(get<uffdio_api>(t.p, kArg).features == 0u);
  // An ioctl that does not exist here (write-protect).
  BOOST_TEST(t.ioctl(UFFDIO_WRITEPROTECT) == -EINVAL);
}

BOOST_AUTO_TEST_CASE(register_errnos) {
  UffdProc t;
  BOOST_REQUIRE_EQUAL(t.api(), 0);
  BOOST_TEST(t.reg(kMem + 1, kPage) == -EINVAL);                       // unaligned start
  BOOST_TEST(t.reg(kMem, 100) == -EINVAL);                             // unaligned length
  BOOST_TEST(t.reg(kMem, 0) == -EINVAL);                               // empty
  BOOST_TEST(t.reg(kMem, kPage, 0) == -EINVAL);                        // no mode
  BOOST_TEST(t.reg(kMem, kPage, 8) == -EINVAL);                        // unknown mode bit
  BOOST_TEST(t.reg(kMem, kPage, UFFDIO_REGISTER_MODE_WP) == -EINVAL);     // no write protection on arm64 6.12
  BOOST_TEST(t.reg(kMem, kPage, UFFDIO_REGISTER_MODE_MINOR) == -EINVAL);  // anonymous memory has no minor faults
  BOOST_TEST(t.reg(0x50000000, kPage) == -EINVAL);                     // nothing mapped there
  BOOST_TEST(t.reg(uint64_t{1} << 48, kPage) == -EINVAL);              // beyond the task size
  BOOST_REQUIRE_EQUAL(t.reg(kMem, 2 * kPage), 0);
  BOOST_TEST(get<uffdio_register>(t.p, kArg).ioctls ==
             ((1ull << _UFFDIO_WAKE) | (1ull << _UFFDIO_COPY) | (1ull << _UFFDIO_ZEROPAGE)));
  // Another uffd may not take a range this one holds.
  const long other = t.sys(kUserfaultfd, kONonblock);
  put(t.p, kArg, uffdio_api{UFFD_API, 0, 0});
  BOOST_REQUIRE_EQUAL(t.sys(kIoctl, static_cast<uint64_t>(other), UFFDIO_API, kArg), 0);
  put(t.p, kArg, uffdio_register{{kMem + kPage, 2 * kPage}, UFFDIO_REGISTER_MODE_MISSING, 0});
  BOOST_TEST(t.sys(kIoctl, static_cast<uint64_t>(other), UFFDIO_REGISTER, kArg) == -EBUSY);
  // Unregistering: the same range checks; afterwards the range is free for the other one.
  BOOST_TEST(t.range_ioctl(UFFDIO_UNREGISTER, kMem, 1) == -EINVAL);
  BOOST_TEST(t.range_ioctl(UFFDIO_UNREGISTER, kMem, 2 * kPage) == 0);
  BOOST_TEST(t.sys(kIoctl, static_cast<uint64_t>(other), UFFDIO_REGISTER, kArg) == 0);
  BOOST_TEST(t.range_ioctl(UFFDIO_WAKE, kMem + 8, kPage) == -EINVAL);  // unaligned wake
}

BOOST_AUTO_TEST_CASE(copy_zeropage_and_eexist) {
  UffdProc t;
  BOOST_REQUIRE_EQUAL(t.api(), 0);
  // Not registered: ENOENT (mfill_atomic finds no registered VMA).
  BOOST_TEST(t.copy(kMem, kSrc, kPage) == -ENOENT);
  BOOST_REQUIRE_EQUAL(t.reg(kMem, 4 * kPage), 0);
  BOOST_TEST(t.copy(kMem + 8, kSrc, kPage) == -EINVAL);                        // unaligned destination
  BOOST_TEST(t.copy(kMem, kSrc, kPage, 4) == -EINVAL);                         // unknown mode
  BOOST_TEST(t.copy(kMem, kSrc, kPage, UFFDIO_COPY_MODE_WP) == -EINVAL);       // no write-protect range
  BOOST_TEST(t.copy(kMem, 0x50000000, kPage) == -EFAULT);                      // unreadable source
  BOOST_TEST(t.copy(kMem + 3 * kPage, kSrc, 2 * kPage) == -ENOENT);           // past the registration
  // A page copied in is there, with the source's bytes, and reports what was copied.
  BOOST_REQUIRE_EQUAL(t.copy(kMem, kSrc, kPage), 0);
  BOOST_TEST(get<uffdio_copy>(t.p, kArg).copy == static_cast<int64_t>(kPage));
  BOOST_TEST(get<uint64_t>(t.p, kMem + 16) == 0x1122334455667710ull);
  BOOST_TEST(t.p.user_faults().populated(kMem));
  // Copying over it again: EEXIST, in the result and the struct.
  BOOST_TEST(t.copy(kMem, kSrc, kPage) == -EEXIST);
  BOOST_TEST(get<uffdio_copy>(t.p, kArg).copy == -EEXIST);
  BOOST_TEST(t.zeropage(kMem, kPage) == -EEXIST);
  // Two pages whose second is there: the first is filled, the call is EAGAIN with 4096.
  BOOST_REQUIRE_EQUAL(t.copy(kMem + 2 * kPage, kSrc, kPage), 0);
  BOOST_TEST(t.copy(kMem + kPage, kSrc, 2 * kPage) == -EAGAIN);
  BOOST_TEST(get<uffdio_copy>(t.p, kArg).copy == static_cast<int64_t>(kPage));
  // MADV_DONTNEED drops a page for real: it is missing again and may be filled again.
  BOOST_REQUIRE_EQUAL(t.sys(kMadvise, kMem, kPage, kMadvDontneed), 0);
  BOOST_TEST(!t.p.user_faults().populated(kMem));
  BOOST_TEST(t.zeropage(kMem, kPage, 2) == -EINVAL);  // unknown zeropage mode
  BOOST_REQUIRE_EQUAL(t.zeropage(kMem, kPage), 0);
  BOOST_TEST(get<uffdio_zeropage>(t.p, kArg).zeropage == static_cast<int64_t>(kPage));
  BOOST_TEST(get<uint64_t>(t.p, kMem + 16) == 0u);
  BOOST_TEST(t.p.user_faults().populated(kMem));
  // An unregistered range no longer takes copies; munmap removes the registration too.
  BOOST_REQUIRE_EQUAL(t.sys(kMunmap, kMem + 3 * kPage, kPage), 0);
  BOOST_TEST(!t.p.user_faults().registered_at(kMem + 3 * kPage));
  BOOST_TEST(t.p.user_faults().registered_at(kMem + 2 * kPage) != nullptr);
}

BOOST_AUTO_TEST_CASE(reads_and_readiness) {
  UffdProc t;
  BOOST_REQUIRE_EQUAL(t.api(), 0);
  long rc = 0;
  t.read(t.uffd, 16, &rc);
  BOOST_TEST(rc == -EINVAL);  // shorter than struct uffd_msg
  t.read(t.uffd, 64, &rc);
  BOOST_TEST(rc == -EAGAIN);  // O_NONBLOCK, nothing pending
  // A pipe and an epoll set over the uffd and the pipe's read end.
  BOOST_TEST(t.sys(kPipe2, kArg, 0x1) == -EINVAL);
  BOOST_REQUIRE_EQUAL(t.sys(kPipe2, kArg, kONonblock), 0);
  const auto fds = get<std::array<int32_t, 2>>(t.p, kArg);
  const long ep = t.sys(kEpollCreate1, 0);
  BOOST_REQUIRE_GE(ep, 3);
  struct Ev {
    uint32_t events;
    uint64_t data;
  };
  put(t.p, kArg, Ev{1 /* EPOLLIN */, 7});
  BOOST_REQUIRE_EQUAL(t.sys(kEpollCtl, static_cast<uint64_t>(ep), 1, static_cast<uint64_t>(t.uffd), kArg), 0);
  BOOST_TEST(t.sys(kEpollCtl, static_cast<uint64_t>(ep), 1, static_cast<uint64_t>(t.uffd), kArg) == -EEXIST);
  put(t.p, kArg, Ev{1, 9});
  BOOST_REQUIRE_EQUAL(t.sys(kEpollCtl, static_cast<uint64_t>(ep), 1, static_cast<uint64_t>(fds[0]), kArg), 0);
  BOOST_TEST(t.sys(kEpollCtl, static_cast<uint64_t>(ep), 2, 99, kArg) == -EBADF);
  const long file = t.openat(PMUEMU_SOURCE_DIR "/README.md");
  BOOST_TEST(t.sys(kEpollCtl, static_cast<uint64_t>(ep), 1, static_cast<uint64_t>(file), kArg) == -EPERM);
  // Nothing ready: a zero timeout returns 0.
  BOOST_TEST(t.sys(kEpollPwait, static_cast<uint64_t>(ep), kArg, 4, 0, 0, 0) == 0);
  // A byte in the pipe: the pipe is ready, with its data.
  put(t.p, kArg + 64, uint8_t{'x'});
  BOOST_REQUIRE_EQUAL(t.sys(kWrite, static_cast<uint64_t>(fds[1]), kArg + 64, 1), 1);
  BOOST_REQUIRE_EQUAL(t.sys(kEpollPwait, static_cast<uint64_t>(ep), kArg, 4, 0, 0, 0), 1);
  BOOST_TEST(get<Ev>(t.p, kArg).data == 9u);
  // ppoll sees the same; a bad descriptor is POLLNVAL.
  struct PollFd {
    int32_t fd;
    int16_t events, revents;
  };
  put(t.p, kArg, std::array<PollFd, 2>{{{static_cast<int32_t>(fds[0]), 1, 0}, {77, 1, 0}}});
  BOOST_REQUIRE_EQUAL(t.sys(kPpoll, kArg, 2, 0, 0, 0), 2);
  const auto pf = get<std::array<PollFd, 2>>(t.p, kArg);
  BOOST_TEST(pf[0].revents == 1);
  BOOST_TEST(pf[1].revents == 0x20);
  BOOST_TEST(t.read(fds[0], 8) == "x");
  // A blocking uffd is never "ready" to poll: EPOLLERR (userfaultfd_poll()).
  const long blocking = t.sys(kUserfaultfd, 0);
  put(t.p, kArg, uffdio_api{UFFD_API, 0, 0});
  BOOST_REQUIRE_EQUAL(t.sys(kIoctl, static_cast<uint64_t>(blocking), UFFDIO_API, kArg), 0);
  put(t.p, kArg, std::array<PollFd, 1>{{{static_cast<int32_t>(blocking), 1, 0}}});
  BOOST_REQUIRE_EQUAL(t.sys(kPpoll, kArg, 1, 0, 0, 0), 1);
  BOOST_TEST(get<PollFd>(t.p, kArg).revents == 0x8);
}

// The guest of a vCPU loads from a memory slot whose page is registered and missing:
// KVM_RUN stops (the calling thread waits in the fault, its SVC to be restarted), the uffd
// holds a read fault for the page, and after UFFDIO_COPY the restarted KVM_RUN completes
// the load with the copied bytes (stored to MMIO, where the test reads them).
BOOST_AUTO_TEST_CASE(fault_through_a_vcpu) {
  ProgramFile prog;
  UserOptions o = Proc::options(prog.path, {"prog"}, {});
  Process p(host(), o, make_kvm_backend(host(), "6.16", o));
  auto sys = [&](uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                 uint64_t a5 = 0) { return p.do_syscall(nr, {a0, a1, a2, a3, a4, a5}); };
  constexpr uint64_t kRam = 0x30000000, kSlot = 0x30200000, kBuf = 0x30400000;
  for (uint64_t va : {kRam, kSlot, kBuf})
    BOOST_REQUIRE_EQUAL(sys(kMmap, va, 0x10000, 3, kMapPrivate | kMapAnon | kMapFixed, ~0ull, 0), static_cast<long>(va));
  // Guest code at IPA 0: ldr x1, [x0]; str x1, [x2].
  const uint32_t code[] = {0xf9400001, 0xf9000041};
  BOOST_REQUIRE(p.write(kRam, code, sizeof code));
  BOOST_REQUIRE(p.write(kBuf, "/dev/kvm", 9));
  const long kvm = sys(kOpenat, static_cast<uint64_t>(kAtFdcwd), kBuf, 2);
  BOOST_REQUIRE_GE(kvm, 3);
  const long vm = sys(kIoctl, static_cast<uint64_t>(kvm), 0xae01, 0);
  BOOST_REQUIRE_GE(vm, 3);
  struct Region {
    uint32_t slot, flags;
    uint64_t gpa, size, uaddr;
  };
  constexpr uint64_t kSetRegion = 0x4020ae46;
  const Region ram{0, 0, 0, 0x10000, kRam}, slot{1, 0, 0x100000, 0x10000, kSlot};
  BOOST_REQUIRE(p.write(kBuf, &ram, sizeof ram));
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(vm), kSetRegion, kBuf), 0);
  BOOST_REQUIRE(p.write(kBuf, &slot, sizeof slot));
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(vm), kSetRegion, kBuf), 0);
  // The slot's first page is registered with a uffd and has never been touched.
  const long uffd = sys(kUserfaultfd, kONonblock);
  const uffdio_api api{UFFD_API, 0, 0};
  BOOST_REQUIRE(p.write(kBuf, &api, sizeof api));
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(uffd), UFFDIO_API, kBuf), 0);
  const uffdio_register r{{kSlot, kPage}, UFFDIO_REGISTER_MODE_MISSING, 0};
  BOOST_REQUIRE(p.write(kBuf, &r, sizeof r));
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(uffd), UFFDIO_REGISTER, kBuf), 0);
  // One vCPU at PC 0 with x0 = the slot's IPA, x2 = an IPA no slot covers.
  const long vcpu = sys(kIoctl, static_cast<uint64_t>(vm), 0xae41, 0);
  BOOST_REQUIRE_GE(vcpu, 3);
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(vm), 0x8020aeaf, kBuf), 0);  // ARM_PREFERRED_TARGET
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(vcpu), 0x4020aeae, kBuf), 0);  // ARM_VCPU_INIT
  auto set_reg = [&](uint64_t id, uint64_t v) {
    const uint64_t one_reg[2] = {id, kBuf + 64};
    p.write(kBuf + 64, &v, 8);
    p.write(kBuf + 32, one_reg, sizeof one_reg);
    return sys(kIoctl, static_cast<uint64_t>(vcpu), 0x4010aeac, kBuf + 32);  // SET_ONE_REG
  };
  constexpr uint64_t kCore = 0x6030000000100000ull;  // KVM_REG_ARM64 | U64 | CORE; offset in 32-bit words
  BOOST_REQUIRE_EQUAL(set_reg(kCore + 0, 0x100000), 0);    // x0
  BOOST_REQUIRE_EQUAL(set_reg(kCore + 4, 0x200000), 0);    // x2
  BOOST_REQUIRE_EQUAL(set_reg(kCore + 64, 0), 0);          // pc
  const long run = sys(kMmap, 0, 0x2000, 3, kMapShared, static_cast<uint64_t>(vcpu), 0);
  BOOST_REQUIRE_GT(run, 0);
  // KVM_RUN: the guest's load waits for the page; the thread is in the fault.
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(vcpu), 0xae80, 0), kRestartSyscall);
  BOOST_TEST((p.thread().state == Thread::State::kPageWait));
  uffd_msg m{};
  BOOST_REQUIRE_EQUAL(sys(63 /* read */, static_cast<uint64_t>(uffd), kBuf, sizeof m), static_cast<long>(sizeof m));
  p.read(kBuf, &m, sizeof m);
  BOOST_TEST(m.event == UFFD_EVENT_PAGEFAULT);
  const uint64_t address = m.arg.pagefault.address, flags = m.arg.pagefault.flags;
  BOOST_TEST(address == kSlot);
  BOOST_TEST(flags == 0u);  // a read
  // Still waiting after a read of the message; a copy elsewhere does not wake it.
  const uint64_t pattern = 0x0123456789abcdefull;
  BOOST_REQUIRE(p.write(kBuf + 0x1000, &pattern, 8));
  const uffdio_copy c{kSlot, kBuf + 0x1000, kPage, 0, 0};
  BOOST_REQUIRE(p.write(kBuf, &c, sizeof c));
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(uffd), UFFDIO_COPY, kBuf), 0);
  BOOST_TEST((p.thread().state == Thread::State::kRunnable));
  // The restarted KVM_RUN retries the load: the copied value reaches the MMIO store.
  BOOST_REQUIRE_EQUAL(sys(kIoctl, static_cast<uint64_t>(vcpu), 0xae80, 0), 0);
  uint32_t exit_reason = 0;
  p.read(static_cast<uint64_t>(run) + 8, &exit_reason, 4);
  BOOST_TEST(exit_reason == 6u);  // KVM_EXIT_MMIO
  uint64_t phys = 0, data = 0;
  p.read(static_cast<uint64_t>(run) + 32, &phys, 8);
  p.read(static_cast<uint64_t>(run) + 40, &data, 8);
  BOOST_TEST(phys == 0x200000u);
  BOOST_TEST(data == pattern);
}

BOOST_AUTO_TEST_SUITE_END()
