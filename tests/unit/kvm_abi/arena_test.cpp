// The /dev/kvm ABI's file and memory plumbing (kvm_model/abi): the arena that holds every
// VM's kvm_run pages (regions never handed out twice, holes punched on close, a forked
// child never allocating in or punching its parent's regions, no fd or memory growth over
// many VMs) and the checked user copies (the caller's live stack copied directly, anything
// else through a fault-checked system call: -EFAULT, never a crash).
#define BOOST_TEST_MODULE unit_kvm_abi
#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/open_fds.h"
#include "tests/support/sanitizer.h"
#include "tests/support/two_cluster_host.h"

namespace {

unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }
constexpr uint64_t kRegPc = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 64;
constexpr uint64_t kRegX0 = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 0;
const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

kvm_model::abi::Options options() {
  kvm_model::abi::Options o;
  o.host = test_support::two_cluster_host(6, 6);
  return o;  // checked copies, as libpmuemu-kvm and the preload shim use
}

// One VM with one initialised vCPU and its kvm_run page mapped.
struct Vm {
  kvm_model::abi::Dev& dev;
  int vm = -1, vcpu = -1;
  kvm_run* run = nullptr;
  long mmap_size = 0;
  Vm(kvm_model::abi::Dev& d, int kvm) : dev(d) {
    vm = static_cast<int>(dev.ioctl(kvm, KVM_CREATE_VM, 0));
    BOOST_REQUIRE_GE(vm, 0);
    vcpu = static_cast<int>(dev.ioctl(vm, KVM_CREATE_VCPU, 0));
    BOOST_REQUIRE_GE(vcpu, 0);
    kvm_vcpu_init init{};
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_ARM_PREFERRED_TARGET, ptr(&init)), 0);
    BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_ARM_VCPU_INIT, ptr(&init)), 0);
    mmap_size = dev.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    BOOST_REQUIRE_GT(mmap_size, 0);
    int err = 0;
    void* p = dev.mmap(nullptr, static_cast<size_t>(mmap_size), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0, &err);
    BOOST_REQUIRE_MESSAGE(p != MAP_FAILED, "mmap of the vCPU fd: " << std::strerror(err));
    run = static_cast<kvm_run*>(p);
  }
  // KVM_RUN with immediate_exit set through the user's mapping: -EINTR proves the model
  // reads this very page.
  long run_immediate() {
    run->immediate_exit = 1;
    const long rc = dev.ioctl(vcpu, KVM_RUN, 0);
    run->immediate_exit = 0;
    return rc;
  }
  void close_fds() {
    if (vcpu >= 0) BOOST_REQUIRE_EQUAL(dev.close(vcpu), 0);
    if (vm >= 0) BOOST_REQUIRE_EQUAL(dev.close(vm), 0);
    vcpu = vm = -1;
  }
  void unmap() {
    if (run != nullptr) BOOST_REQUIRE_EQUAL(munmap(run, static_cast<size_t>(mmap_size)), 0);
    run = nullptr;
  }
};

// A marker in the kvm_run page beyond the fields the model fills (the padding of the
// exit union's tail), so that only the user's writes put it there.
constexpr size_t kMarkerOffset = 2048;
void put_marker(kvm_run* r, uint64_t v) { std::memcpy(reinterpret_cast<uint8_t*>(r) + kMarkerOffset, &v, sizeof v); }
uint64_t marker(const kvm_run* r) {
  uint64_t v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(r) + kMarkerOffset, sizeof v);
  return v;
}

using ::test::open_fds;
// A /proc/self/status field in KiB ("VmSize", "VmRSS").
long status_kib(const std::string& field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  BOOST_FAIL("no " << field << " in /proc/self/status");
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(arena)

// Every live VM's kvm_run page is its own, across arena boundaries (64 regions each), and
// is the page the model reads.
BOOST_AUTO_TEST_CASE(live_vms_never_share_a_kvm_run_page) {
  kvm_model::abi::Dev dev(options());
  const int kvm = dev.open_dev();
  BOOST_REQUIRE_GE(kvm, 0);
  std::vector<std::unique_ptr<Vm>> vms;
  for (uint64_t i = 0; i < 150; ++i) {
    vms.push_back(std::make_unique<Vm>(dev, kvm));
    BOOST_REQUIRE_EQUAL(marker(vms.back()->run), 0u);  // a fresh page
    put_marker(vms.back()->run, 0x1000 + i);
  }
  for (uint64_t i = 0; i < vms.size(); ++i) {
    BOOST_TEST(marker(vms[i]->run) == 0x1000 + i);
    BOOST_TEST(vms[i]->run_immediate() == -EINTR);
    // The VM fd is the same file as the vCPU's, and both fds are real and distinct.
    BOOST_TEST(vms[i]->vm != vms[i]->vcpu);
  }
  for (auto& v : vms) {
    v->close_fds();
    v->unmap();
  }
}

// After close, the next VM gets a fresh region: a mapping kept past close (valid until
// munmap, as in Linux) is never the new VM's page, and the new page starts zeroed.
BOOST_AUTO_TEST_CASE(reuse_after_close_gets_a_fresh_region) {
  kvm_model::abi::Dev dev(options());
  const int kvm = dev.open_dev();
  Vm a(dev, kvm);
  put_marker(a.run, 0xaaaa);
  a.close_fds();
  // a.run is still mapped: reading and writing it must not fault.
  put_marker(a.run, 0xa1);
  BOOST_TEST(marker(a.run) == 0xa1u);
  Vm b(dev, kvm);
  BOOST_TEST(marker(b.run) == 0u);
  put_marker(b.run, 0xbbbb);
  BOOST_TEST(marker(a.run) == 0xa1u);
  BOOST_TEST(b.run_immediate() == -EINTR);
  a.unmap();
  b.close_fds();
  b.unmap();
}

// Closing a VM gives its touched kvm_run pages back to the system while the arena lives on
// (another VM keeps it): the arena file's allocated size does not grow with closed VMs.
BOOST_AUTO_TEST_CASE(closed_vms_punch_their_pages) {
  kvm_model::abi::Dev dev(options());
  const int kvm = dev.open_dev();
  Vm keep(dev, kvm);
  put_marker(keep.run, 1);
  struct stat st0;
  BOOST_REQUIRE_EQUAL(fstat(keep.vm, &st0), 0);  // the arena's memfd (the VM fd is a dup)
  for (int i = 0; i < 40; ++i) {  // all in keep's arena
    Vm t(dev, kvm);
    put_marker(t.run, 2);
    struct stat st;
    BOOST_REQUIRE_EQUAL(fstat(t.vm, &st), 0);
    BOOST_REQUIRE_EQUAL(st.st_ino, st0.st_ino);
    BOOST_REQUIRE_GT(st.st_blocks, st0.st_blocks);  // the touched page is allocated
    t.close_fds();
    t.unmap();
  }
  struct stat st1;
  BOOST_REQUIRE_EQUAL(fstat(keep.vm, &st1), 0);
  BOOST_TEST(st1.st_blocks == st0.st_blocks);
  BOOST_TEST(marker(keep.run) == 1u);
  keep.close_fds();
  keep.unmap();
}

// `pmuemu user` forks one child per get-reg-list configuration: a child allocates its VMs
// in an arena of its own, and closing the parent's VMs it inherited punches nothing in
// the parent's.
BOOST_AUTO_TEST_CASE(forked_child_never_touches_the_parents_regions) {
  kvm_model::abi::Dev dev(options());
  const int kvm = dev.open_dev();
  Vm parent_vm(dev, kvm);
  put_marker(parent_vm.run, 0x9a9e);
  const pid_t child = fork();
  BOOST_REQUIRE_GE(child, 0);
  if (child == 0) {
    // The child: its own VMs, markers left behind on purpose (no close, no munmap), and
    // the inherited VM closed (its region must survive in the parent).
    int bad = 0;
    for (int i = 0; i < 3; ++i) {
      const long vm = dev.ioctl(kvm, KVM_CREATE_VM, 0);
      const long vcpu = vm >= 0 ? dev.ioctl(static_cast<int>(vm), KVM_CREATE_VCPU, 0) : -1;
      int err = 0;
      void* p = vcpu >= 0 ? dev.mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(vcpu), 0, &err)
                          : MAP_FAILED;
      if (p == MAP_FAILED) bad |= 1;
      else put_marker(static_cast<kvm_run*>(p), 0xc41d);
    }
    if (dev.close(parent_vm.vcpu) != 0 || dev.close(parent_vm.vm) != 0) bad |= 2;
    _exit(bad);
  }
  int status = 0;
  BOOST_REQUIRE_EQUAL(waitpid(child, &status, 0), child);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_REQUIRE_EQUAL(WEXITSTATUS(status), 0);
  BOOST_TEST(marker(parent_vm.run) == 0x9a9eu);
  BOOST_TEST(parent_vm.run_immediate() == -EINTR);
  // The parent's next regions are the ones a child allocating in the parent's arena would
  // have taken (and marked).
  for (int i = 0; i < 3; ++i) {
    Vm next(dev, kvm);
    BOOST_TEST(marker(next.run) == 0u);
    next.close_fds();
    next.unmap();
  }
  parent_vm.close_fds();
  parent_vm.unmap();
}

// 10,000 VM create/close cycles, each with a vCPU, its kvm_run page mapped and touched:
// no fd, address-space or memory growth.
BOOST_AUTO_TEST_CASE(ten_thousand_vms_without_growth) {
  kvm_model::abi::Dev dev(options());
  const int kvm = dev.open_dev();
  auto cycle = [&](int n) {
    for (int i = 0; i < n; ++i) {
      Vm v(dev, kvm);
      put_marker(v.run, static_cast<uint64_t>(i) + 1);
      BOOST_REQUIRE_EQUAL(v.run_immediate(), -EINTR);  // the model's mapping touched too
      v.close_fds();
      v.unmap();
    }
  };
  cycle(200);  // the allocator's and the first arenas' steady state
  const size_t fds0 = open_fds();
  const long vm0 = status_kib("VmSize"), rss0 = status_kib("VmRSS"), shm0 = status_kib("RssShmem");
  cycle(10000);
  const size_t fds1 = open_fds();
  const long vm1 = status_kib("VmSize"), rss1 = status_kib("VmRSS"), shm1 = status_kib("RssShmem");
  BOOST_TEST_MESSAGE("fds " << fds0 << " -> " << fds1 << ", VmSize " << vm0 << " -> " << vm1 << " KiB, VmRSS " << rss0
                            << " -> " << rss1 << " KiB, RssShmem " << shm0 << " -> " << shm1 << " KiB");
  BOOST_TEST(fds1 == fds0);
  // At most one arena (256 MiB of address space) is mapped between VMs: the same count
  // before and after, whatever the allocator keeps.
  BOOST_TEST(vm1 - vm0 <= 16 * 1024);
  // The kvm_run pages resident in this process (the model's arena mappings).
  BOOST_TEST(shm1 - shm0 <= 1024);
  // All resident memory (not under AddressSanitizer, whose quarantine keeps up to 256 MiB of
  // freed heap resident by design).
  if (!test::kUnderAsan) BOOST_TEST(rss1 - rss0 <= 8 * 1024);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(checked_copies)

namespace {

// SET_ONE_REG(PC, value at `src`), then GET_ONE_REG(PC) into `dst`: both copies checked.
struct RegVm {
  kvm_model::abi::Dev dev{options()};
  int kvm = dev.open_dev();
  Vm vm{dev, kvm};
  long set(uint64_t id, unsigned long src) {
    kvm_one_reg r{id, src};
    return dev.ioctl(vm.vcpu, KVM_SET_ONE_REG, ptr(&r));
  }
  long get(uint64_t id, unsigned long dst) {
    kvm_one_reg r{id, dst};
    return dev.ioctl(vm.vcpu, KVM_GET_ONE_REG, ptr(&r));
  }
  ~RegVm() {
    vm.close_fds();
    vm.unmap();
  }
};

}  // namespace

// Values on the caller's stack (the direct path), on the heap and in a mapping (the
// system-call path) round-trip alike, from the main thread and from another thread.
BOOST_AUTO_TEST_CASE(stack_heap_and_mapped_values_round_trip) {
  RegVm r;
  auto check_from_here = [&](uint64_t base) {
    uint64_t on_stack = base + 1, back = 0;
    BOOST_TEST(r.set(kRegPc, ptr(&on_stack)) == 0);
    BOOST_TEST(r.get(kRegPc, ptr(&back)) == 0);
    BOOST_TEST(back == base + 1);
    auto heap = std::make_unique<uint64_t[]>(2);
    heap[0] = base + 2;
    BOOST_TEST(r.set(kRegX0, ptr(&heap[0])) == 0);
    BOOST_TEST(r.get(kRegX0, ptr(&heap[1])) == 0);
    BOOST_TEST(heap[1] == base + 2);
  };
  check_from_here(0x40000000);
  std::thread t([&] { check_from_here(0x50000000); });
  t.join();
}

// A bad pointer gives -EFAULT and changes nothing: an unmapped page, a PROT_NONE page, a
// read-only page as a destination.
BOOST_AUTO_TEST_CASE(bad_pointers_give_efault) {
  RegVm r;
  uint64_t v = 0x1234;
  BOOST_REQUIRE_EQUAL(r.set(kRegPc, ptr(&v)), 0);
  void* none = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  BOOST_REQUIRE(none != MAP_FAILED);
  void* ro = mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  BOOST_REQUIRE(ro != MAP_FAILED);
  void* gone = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  BOOST_REQUIRE(gone != MAP_FAILED);
  BOOST_REQUIRE_EQUAL(munmap(gone, kPage), 0);
  BOOST_TEST(r.set(kRegPc, ptr(none)) == -EFAULT);
  BOOST_TEST(r.set(kRegPc, ptr(gone)) == -EFAULT);
  BOOST_TEST(r.get(kRegPc, ptr(ro)) == -EFAULT);
  BOOST_TEST(r.get(kRegPc, ptr(none)) == -EFAULT);
  // The struct itself unreadable.
  BOOST_TEST(r.dev.ioctl(r.vm.vcpu, KVM_SET_ONE_REG, ptr(none)) == -EFAULT);
  uint64_t back = 0;
  BOOST_REQUIRE_EQUAL(r.get(kRegPc, ptr(&back)), 0);
  BOOST_TEST(back == 0x1234u);
  munmap(none, kPage);
  munmap(ro, kPage);
}

// A range that starts on the caller's stack but runs past its top is not copied directly:
// on a thread whose stack is followed by a PROT_NONE page, it gives -EFAULT.
BOOST_AUTO_TEST_CASE(range_past_the_stack_top_gives_efault) {
  RegVm r;
  uint64_t pc = 0x40000000;
  BOOST_REQUIRE_EQUAL(r.set(kRegPc, ptr(&pc)), 0);
  const size_t stack_bytes = 256 * 1024;
  // [guard][stack ... ][guard]: the thread's stack with a PROT_NONE page above its top.
  auto* block = static_cast<uint8_t*>(
      mmap(nullptr, stack_bytes + 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  BOOST_REQUIRE(block != MAP_FAILED);
  BOOST_REQUIRE_EQUAL(mprotect(block, kPage, PROT_NONE), 0);
  BOOST_REQUIRE_EQUAL(mprotect(block + kPage + stack_bytes, kPage, PROT_NONE), 0);
  uint8_t* const top = block + kPage + stack_bytes;
  struct Args {
    RegVm* r;
    uint8_t* top;
    long straddle = 0, inside = 0;
    uint64_t back = 0;
  } args{&r, top};
  pthread_attr_t attr;
  BOOST_REQUIRE_EQUAL(pthread_attr_init(&attr), 0);
  BOOST_REQUIRE_EQUAL(pthread_attr_setstack(&attr, block + kPage, stack_bytes), 0);
  pthread_t th;
  auto body = [](void* p) -> void* {
    auto* a = static_cast<Args*>(p);
    // The last 4 bytes of the stack (glibc keeps its thread descriptor there: read only)
    // and the 4 of the guard page after them.
    a->straddle = a->r->set(kRegPc, ptr(a->top - 4));
    uint64_t local = 0;  // on this thread's stack: the direct path
    a->inside = a->r->get(kRegPc, ptr(&local));
    a->back = local;
    return nullptr;
  };
  BOOST_REQUIRE_EQUAL(pthread_create(&th, &attr, body, &args), 0);
  BOOST_REQUIRE_EQUAL(pthread_join(th, nullptr), 0);
  pthread_attr_destroy(&attr);
  BOOST_TEST(args.straddle == -EFAULT);
  BOOST_TEST(args.inside == 0);
  BOOST_TEST(args.back == 0x40000000u);
  munmap(block, stack_bytes + 2 * kPage);
}

BOOST_AUTO_TEST_SUITE_END()
