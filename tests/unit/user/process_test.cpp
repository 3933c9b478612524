// The rest of the system-call layer reachable without running a program: /dev/kvm through
// the KVM bridge (the model's ioctl ABI), identity calls, futex's immediate results, and
// calls that do not exist.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "emu/user/files.h"
#include "emu/user/kvm_bridge.h"
#include "tests/unit/user/fixture.h"

using namespace pmuemu::user;
using namespace pmuemu::user::test;

namespace {
// KVM ioctl numbers (include/uapi/linux/kvm.h: _IO(KVMIO = 0xAE, nr)).
constexpr uint64_t kGetApiVersion = 0xae00, kCreateVm = 0xae01, kCheckExtension = 0xae03, kGetVcpuMmapSize = 0xae04,
                   kCreateVcpu = 0xae41;
constexpr uint64_t kCapArmPmuV3 = 126;
constexpr uint64_t kIoctl = 29, kFutex = 98, kUname = 160, kGetpid = 172, kGettid = 178;

struct KvmProc {
  ProgramFile prog;
  Process p;
  explicit KvmProc(const std::string& era)
      : p(host(), Proc::options(prog.path, {"prog"}, {}),
          make_kvm_backend(host(), era, Proc::options(prog.path, {"prog"}, {}))) {
    p.do_syscall(kMmap, {Proc::kScratch, 0x2000, 3, kMapPrivate | kMapAnon | kMapFixed, ~0ull, 0});
  }
  long sys(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
           uint64_t a5 = 0) {
    return p.do_syscall(nr, {a0, a1, a2, a3, a4, a5});
  }
  long open_kvm() {
    const char path[] = "/dev/kvm";
    p.write(Proc::kScratch, path, sizeof path);
    return sys(kOpenat, static_cast<uint64_t>(kAtFdcwd), Proc::kScratch, O_RDWR | O_CLOEXEC);
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(kvm_bridge)

BOOST_AUTO_TEST_CASE(dev_kvm_is_the_model) {
  KvmProc t("6.7");
  const long kvm = t.open_kvm();
  BOOST_REQUIRE_EQUAL(kvm, 3);
  BOOST_TEST(t.sys(kIoctl, 3, kGetApiVersion, 0) == 12);  // KVM_API_VERSION, fixed since Linux 2.6.22
  BOOST_TEST(t.sys(kIoctl, 3, kCheckExtension, kCapArmPmuV3) > 0);
  const long mmap_size = t.sys(kIoctl, 3, kGetVcpuMmapSize, 0);
  BOOST_REQUIRE_GE(mmap_size, 4096);
  BOOST_TEST(mmap_size % 4096 == 0);
  // KVM_CREATE_VM and KVM_CREATE_VCPU hand the program descriptors of its own table.
  const long vm = t.sys(kIoctl, 3, kCreateVm, 0);
  BOOST_REQUIRE_EQUAL(vm, 4);
  const long vcpu = t.sys(kIoctl, static_cast<uint64_t>(vm), kCreateVcpu, 0);
  BOOST_REQUIRE_EQUAL(vcpu, 5);
  BOOST_TEST((t.p.files().at(5)->kind == OpenFile::Kind::kKvm));
  // The vCPU's kvm_run page, shared with the model as KVM_RUN's struct kvm_run.
  const long run = t.sys(kMmap, 0, static_cast<uint64_t>(mmap_size), 3, kMapShared, 5, 0);
  BOOST_REQUIRE_GT(run, 0);
  BOOST_TEST(t.p.mem().accessible(static_cast<uint64_t>(run), static_cast<uint64_t>(mmap_size), kProtRead | kProtWrite));
  // Unmapping it puts ordinary memory back: a fresh anonymous map there reads zero.
  BOOST_REQUIRE_EQUAL(t.sys(kMunmap, static_cast<uint64_t>(run), static_cast<uint64_t>(mmap_size)), 0);
  BOOST_TEST(!t.p.mem().mapped(static_cast<uint64_t>(run)));
  // Terminal ioctls on a non-KVM fd: ENOTTY, as for a pipe; a KVM ioctl on a closed fd: EBADF.
  BOOST_TEST(t.sys(kIoctl, 1, 0x5401 /* TCGETS */, Proc::kScratch) == -ENOTTY);
  BOOST_REQUIRE_EQUAL(t.sys(kClose, 5), 0);
  BOOST_TEST(t.sys(kIoctl, 5, kGetApiVersion, 0) == -EBADF);
  // /dev/kvm stats as the misc character device 10:232.
  BOOST_REQUIRE_EQUAL(t.sys(kNewfstatat, static_cast<uint64_t>(kAtFdcwd), Proc::kScratch, Proc::kScratch + 0x1000, 0), 0);
  LinuxStat st{};
  BOOST_REQUIRE(t.p.read(Proc::kScratch + 0x1000, &st, sizeof st));
  BOOST_TEST(S_ISCHR(st.st_mode));
  BOOST_TEST(st.st_rdev == ((10u << 8) | 232u));
}

// The program's eventfd behind a KVM_IRQFD: the model holds its open file, and lets go of
// it (the irqfd leaves the VM, as on Linux's EPOLLHUP) once no descriptor of the program
// names it; until then a dup keeps it, whatever its number.
BOOST_AUTO_TEST_CASE(irqfd_eventfd_hangs_up_with_the_last_descriptor) {
  constexpr uint64_t kEventfd2 = 19, kCreateDevice = 0xc00caee0, kSetDeviceAttr = 0x4018aee1, kIrqfd = 0x4020ae76;
  KvmProc t("6.7");
  BOOST_REQUIRE_EQUAL(t.open_kvm(), 3);
  const long vm = t.sys(kIoctl, 3, kCreateVm, 0);
  BOOST_REQUIRE_GE(t.sys(kIoctl, static_cast<uint64_t>(vm), kCreateVcpu, 0), 0);
  // A vGICv3 (struct kvm_create_device {type 7, fd, flags}), its two frames, then CTRL_INIT.
  const uint32_t create[3] = {7, 0, 0};
  t.p.write(Proc::kScratch, create, sizeof create);
  BOOST_REQUIRE_EQUAL(t.sys(kIoctl, static_cast<uint64_t>(vm), kCreateDevice, Proc::kScratch), 0);
  uint32_t gic = 0;
  t.p.read(Proc::kScratch + 4, &gic, 4);
  const uint64_t frames[2] = {0x08000000, 0x080a0000};
  t.p.write(Proc::kScratch + 0x100, frames, sizeof frames);
  auto attr = [&](uint32_t group, uint64_t which, uint64_t addr) {
    const uint32_t head[2] = {0, group};  // flags, group
    t.p.write(Proc::kScratch + 0x200, head, sizeof head);
    t.p.write(Proc::kScratch + 0x208, &which, 8);
    t.p.write(Proc::kScratch + 0x210, &addr, 8);
    return t.sys(kIoctl, gic, kSetDeviceAttr, Proc::kScratch + 0x200);
  };
  BOOST_REQUIRE_EQUAL(attr(0, 2, Proc::kScratch + 0x100), 0);  // GRP_ADDR, DIST
  BOOST_REQUIRE_EQUAL(attr(0, 3, Proc::kScratch + 0x108), 0);  // GRP_ADDR, REDIST
  BOOST_REQUIRE_EQUAL(attr(4, 0, 0), 0);                       // GRP_CTRL, CTRL_INIT
  auto irqfd = [&](long fd, uint32_t gsi) {
    const uint32_t a[8] = {static_cast<uint32_t>(fd), gsi, 0, 0, 0, 0, 0, 0};  // fd, gsi, flags, resamplefd
    t.p.write(Proc::kScratch + 0x300, a, sizeof a);
    return t.sys(kIoctl, static_cast<uint64_t>(vm), kIrqfd, Proc::kScratch + 0x300);
  };
  const long e = t.sys(kEventfd2, 0, 0);
  BOOST_REQUIRE_GE(e, 0);
  const std::weak_ptr<OpenFile> file = t.p.files().at(static_cast<int>(e));
  BOOST_REQUIRE_EQUAL(irqfd(e, 5), 0);
  const long keep = t.sys(kDup, static_cast<uint64_t>(e));
  BOOST_REQUIRE_GE(keep, 0);
  BOOST_REQUIRE_EQUAL(t.sys(kClose, static_cast<uint64_t>(e)), 0);
  BOOST_CHECK_EQUAL(irqfd(keep, 6), -EBUSY);  // still serving GSI 5
  BOOST_CHECK(!file.expired());
  BOOST_REQUIRE_EQUAL(t.sys(kClose, static_cast<uint64_t>(keep)), 0);
  BOOST_CHECK(!file.expired());  // nothing told the VM yet
  BOOST_REQUIRE_EQUAL(t.sys(kIoctl, static_cast<uint64_t>(vm), kCheckExtension, kCapArmPmuV3), 1);
  BOOST_CHECK(file.expired());  // the irqfd left at that call
}

BOOST_AUTO_TEST_CASE(unknown_era_is_a_usage_error) {
  ProgramFile prog;
  BOOST_CHECK_EXCEPTION(make_kvm_backend(host(), "5.99", Proc::options(prog.path, {"prog"}, {})), std::exception,
                        [](const std::exception& e) { return std::string(e.what()).find("'5.99'") != std::string::npos; });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(syscalls)

BOOST_AUTO_TEST_CASE(uname_is_an_arm64_linux) {
  Proc t;
  BOOST_REQUIRE_EQUAL(t.sys(kUname, Proc::kScratch), 0);
  char u[6][65];
  BOOST_REQUIRE(t.p.read(Proc::kScratch, u, sizeof u));
  BOOST_TEST(std::string(u[0]) == "Linux");
  BOOST_TEST(std::string(u[4]) == "aarch64");
  BOOST_TEST(t.sys(kUname, 0x50000000) == -EFAULT);
}

BOOST_AUTO_TEST_CASE(identity_follows_the_options) {
  Proc t;
  BOOST_TEST(t.sys(kGetpid) == 1);  // the first process of its own namespace
  BOOST_TEST(t.sys(kGettid) == 1);
}

BOOST_AUTO_TEST_CASE(unknown_calls_are_enosys) {
  Proc t;
  for (uint64_t nr : {uint64_t{283} /* membarrier */, uint64_t{999}, ~uint64_t{0}}) BOOST_TEST(t.sys(nr) == -ENOSYS, nr);
}

// rseq(2) as kernel/rseq.c (6.3+), getcpu and sched_setaffinity: the registered area shows
// the thread's CPU after it moves, a critical section it was in is aborted to its handler.
BOOST_AUTO_TEST_CASE(rseq_registration_cpu_id_and_abort) {
  constexpr uint64_t kRseq = 293, kGetcpu = 168, kSetaffinity = 122, kUnregister = 1;
  constexpr uint32_t kSig = 0x53053053;
  Proc t;
  const uint64_t area = Proc::kScratch + 0x100;  // 32-byte aligned struct rseq
  const uint32_t junk[8] = {7, 7, 0, 0, 0, 7, 7, 0};  // rseq_cs (bytes 8-15) must start null
  BOOST_REQUIRE(t.p.write(area, junk, sizeof junk));
  BOOST_TEST(t.sys(kRseq, area + 8, 32, 0, kSig) == -EINVAL);  // misaligned
  BOOST_TEST(t.sys(kRseq, area, 16, 0, kSig) == -EINVAL);      // shorter than ORIG_RSEQ_SIZE
  BOOST_TEST(t.sys(kRseq, area, 32, 2, kSig) == -EINVAL);      // unknown flag
  BOOST_TEST(t.sys(kRseq, area, 32, kUnregister, kSig) == -EINVAL);  // nothing registered
  BOOST_TEST(t.sys(kRseq, 0x1000, 32, 0, kSig) == -EFAULT);  // not mapped
  BOOST_REQUIRE(t.sys(kRseq, area, 32, 0, kSig) == 0);
  BOOST_TEST(t.sys(kRseq, area, 32, 0, kSig) == -EBUSY);
  BOOST_TEST(t.sys(kRseq, area, 32, 0, kSig + 1) == -EPERM);
  BOOST_TEST(t.sys(kRseq, area + 32, 32, 0, kSig) == -EINVAL);
  auto field = [&](unsigned off) {
    uint32_t v = 0;
    BOOST_REQUIRE(t.p.read(area + off, &v, 4));
    return v;
  };
  auto getcpu = [&] {
    BOOST_REQUIRE(t.sys(kGetcpu, Proc::kScratch + 0x300, Proc::kScratch + 0x304, 0) == 0);
    uint32_t cpu_node[2];
    BOOST_REQUIRE(t.p.read(Proc::kScratch + 0x300, cpu_node, 8));
    BOOST_TEST(cpu_node[1] == 0u);
    return cpu_node[0];
  };
  // Before the thread returns to the program: cpu_id_start, cpu_id, node_id, mm_cid.
  t.p.rseq_resume();
  BOOST_TEST(field(0) == getcpu());
  BOOST_TEST(field(4) == getcpu());
  BOOST_TEST(field(20) == 0u);
  BOOST_TEST(field(24) == 0u);  // the only thread's concurrency id
  // Moved to the last pCPU (another cluster): the area follows.
  const uint64_t last = t.p.host().num_pcpus() - 1;
  const uint64_t mask = uint64_t{1} << last;
  BOOST_REQUIRE(t.p.write(Proc::kScratch + 0x310, &mask, 8));
  BOOST_REQUIRE(t.sys(kSetaffinity, 0, 8, Proc::kScratch + 0x310) == 0);
  BOOST_TEST(getcpu() == last);
  t.p.rseq_resume();
  BOOST_TEST(field(4) == last);
  BOOST_TEST(t.sys(kSetaffinity, 99, 8, Proc::kScratch + 0x310) == -ESRCH);  // no such thread
  // A critical section around the PC, interrupted by a migration: resumed at abort_ip,
  // whose preceding word is the signature, and rseq_cs cleared.
  // The program's PC: ELR_EL1 while the core sits in the exception vector (as between a
  // system call and its return), else the core's.
  cpu::Core& core = t.p.core();
  auto program_pc = [&] { return core.state().el != 0 ? core.sysreg(cpu::SysSlot::ELR_EL1) : core.state().pc; };
  const uint64_t pc = program_pc(), abort_ip = Proc::kScratch + 0x408;
  const uint64_t cs[4] = {0, pc, 4, abort_ip};  // version/flags, start_ip, post_commit_offset, abort_ip
  BOOST_REQUIRE(t.p.write(Proc::kScratch + 0x380, cs, sizeof cs));
  BOOST_REQUIRE(t.p.write(abort_ip - 4, &kSig, 4));
  const uint64_t cs_ptr = Proc::kScratch + 0x380;
  BOOST_REQUIRE(t.p.write(area + 8, &cs_ptr, 8));
  const uint64_t first = uint64_t{1};
  BOOST_REQUIRE(t.p.write(Proc::kScratch + 0x310, &first, 8));
  BOOST_REQUIRE(t.sys(kSetaffinity, 0, 8, Proc::kScratch + 0x310) == 0);
  t.p.rseq_resume();
  BOOST_TEST(program_pc() == abort_ip);
  uint64_t cs_after = 1;
  BOOST_REQUIRE(t.p.read(area + 8, &cs_after, 8));
  BOOST_TEST(cs_after == 0u);
  BOOST_TEST(field(4) == 0u);
  // Unregistering needs the same arguments; then cpu_id is RSEQ_CPU_ID_UNINITIALIZED.
  BOOST_TEST(t.sys(kRseq, area, 32, kUnregister, kSig + 1) == -EPERM);
  BOOST_TEST(t.sys(kRseq, area, 32, kUnregister, kSig) == 0);
  BOOST_TEST(field(4) == UINT32_MAX);
  BOOST_TEST(t.sys(kRseq, area, 32, kUnregister, kSig) == -EINVAL);
}

BOOST_AUTO_TEST_CASE(futex_immediate_results) {
  Proc t;
  const uint32_t word = 7;
  BOOST_REQUIRE(t.p.write(Proc::kScratch, &word, 4));
  // FUTEX_WAIT with a stale value: EAGAIN (EWOULDBLOCK) without blocking.
  BOOST_TEST(t.sys(kFutex, Proc::kScratch, 0 /* FUTEX_WAIT */, 8) == -EAGAIN);
  BOOST_TEST(t.sys(kFutex, Proc::kScratch, 128 | 0 /* FUTEX_PRIVATE_FLAG */, 8) == -EAGAIN);
  BOOST_TEST(t.sys(kFutex, Proc::kScratch + 2, 0, 7) == -EINVAL);   // not 4-byte aligned
  BOOST_TEST(t.sys(kFutex, 0x50000000, 0, 7) == -EFAULT);           // not mapped
  BOOST_TEST(t.sys(kFutex, Proc::kScratch, 1 /* FUTEX_WAKE */, 1) == 0);  // nobody waits
}

BOOST_AUTO_TEST_SUITE_END()
