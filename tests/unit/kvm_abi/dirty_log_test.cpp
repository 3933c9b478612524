// Dirty-page logging through the /dev/kvm ABI (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
// KVM_CLEAR_DIRTY_LOG, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), as Linux 6.6-6.16 have it on
// arm64: the bitmap after guest stores through every store path of the core, get-and-clear
// and manual-protect semantics, INITIALLY_SET, flag changes of a slot, writes the model does
// on the guest's behalf, and the errnos of kvm_get_dirty_log_protect() and
// kvm_clear_dirty_log_protect().
#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "tests/support/two_cluster_host.h"
#include "tests/unit/kvm_abi/guest_vm.h"

namespace {

unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }
constexpr uint64_t kBadAddr = 0x10;  // the checked copies refuse the first page

constexpr uint64_t kRamGpa = 0x40000000, kSlotGpa = 0x50000000;
constexpr unsigned kRamPages = 16, kSlotPages = 2;
constexpr uint32_t kRamSlot = 0, kOtherSlot = 1;

// The guest (MMU off, so VA = PA): one store through each store path of the core into a
// page of its own of RAM, one into the second slot, then an MMIO write that ends KVM_RUN.
// Assembled with aarch64-linux-gnu-as -march=armv8.1-a.
constexpr uint32_t kGuest[] = {
    0xd2a00605,  // mov  x5, #0x300000
    0xd5181045,  // msr  cpacr_el1, x5            FPEN: FP/SIMD at EL1 untrapped
    0xd5033fdf,  // isb
    0xd2a80001,  // mov  x1, #0x40000000
    0xd2824680,  // mov  x0, #0x1234
    0x4e080c00,  // dup  v0.2d, x0
    0x91400822,  // add  x2, x1, #0x2000
    0xf9000040,  // str  x0, [x2]                 page 2: a plain store
    0x91400c22,  // add  x2, x1, #0x3000
    0xa9010040,  // stp  x0, x0, [x2, #16]        page 3: a pair
    0x91401022,  // add  x2, x1, #0x4000
    0x3d800840,  // str  q0, [x2, #32]            page 4: a SIMD register
    0x91401422,  // add  x2, x1, #0x5000
    0x4c007040,  // st1  {v0.16b}, [x2]           page 5: a SIMD structure store
    0x91401822,  // add  x2, x1, #0x6000
    0xf8200043,  // ldadd x0, x3, [x2]            page 6: an LSE atomic
    0x91401c22,  // add  x2, x1, #0x7000
    0xc85f7c43,  // 1: ldxr x3, [x2]              page 7: an exclusive pair
    0xc8047c40,  //    stxr w4, x0, [x2]
    0x35ffffc4,  //    cbnz w4, 1b
    0x91402022,  // add  x2, x1, #0x8000
    0xc8a37c40,  // cas  x3, x0, [x2]             page 8: compare-and-swap (x3 = 0 = memory)
    0x91402422,  // add  x2, x1, #0x9000
    0xd50b7422,  // dc   zva, x2                  page 9: DC ZVA
    0x91402c22,  // add  x2, x1, #0xb000
    0xf81fc040,  // stur x0, [x2, #-4]            pages 10 and 11: a store across them
    0xd2aa0002,  // mov  x2, #0x50000000
    0xf9080440,  // str  x0, [x2, #0x1008]        the other slot's page 1
    0xd2a12002,  // mov  x2, #0x9000000
    0xf9000040,  // str  x0, [x2]                 MMIO: KVM_EXIT_MMIO
    0x14000000,  // b    .
};
const std::set<unsigned> kRamStored = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

struct alignas(4096) Pages {
  uint8_t b[kRamPages * 4096];
};

// A VM with RAM (slot 0, the model's own) and a second slot, one vCPU at the guest above.
struct DirtyVm {
  kvm_model::abi::Dev dev;
  std::unique_ptr<Pages> ram = std::make_unique<Pages>();
  std::unique_ptr<Pages> other = std::make_unique<Pages>();
  int kvm = -1, vm = -1, vcpu = -1;
  kvm_run* run = nullptr;

  // manual: the KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 options to enable first (none if ~0).
  explicit DirtyVm(uint64_t manual = ~uint64_t{0}, uint32_t ram_flags = KVM_MEM_LOG_DIRTY_PAGES,
                   uint32_t other_flags = KVM_MEM_LOG_DIRTY_PAGES)
      : dev([] {
          kvm_model::abi::Options o;
          o.host = test_support::two_cluster_host(6, 6);
          return o;
        }()) {
    std::memset(ram->b, 0, sizeof ram->b);
    std::memset(other->b, 0, sizeof other->b);
    std::memcpy(ram->b, kGuest, sizeof kGuest);
    kvm = dev.open_dev();
    BOOST_REQUIRE_GE(kvm, 0);
    vm = static_cast<int>(dev.ioctl(kvm, KVM_CREATE_VM, 0));
    BOOST_REQUIRE_GE(vm, 0);
    if (manual != ~uint64_t{0}) BOOST_REQUIRE_EQUAL(enable_manual(manual), 0);
    BOOST_REQUIRE_EQUAL(set_slot(kRamSlot, kRamGpa, kRamPages, ram->b, ram_flags), 0);
    BOOST_REQUIRE_EQUAL(set_slot(kOtherSlot, kSlotGpa, kSlotPages, other->b, other_flags), 0);
    vcpu = static_cast<int>(dev.ioctl(vm, KVM_CREATE_VCPU, 0));
    BOOST_REQUIRE_GE(vcpu, 0);
    run = kvm_abi_test::init_and_map_vcpu(dev, vm, vcpu);
  }
  ~DirtyVm() { munmap(run, 8192); }
  long enable_manual(uint64_t options, uint32_t flags = 0) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
    cap.flags = flags;
    cap.args[0] = options;
    return dev.ioctl(vm, KVM_ENABLE_CAP, ptr(&cap));
  }
  long set_slot(uint32_t slot, uint64_t gpa, unsigned pages, void* host, uint32_t flags) {
    kvm_userspace_memory_region m{slot, flags, gpa, uint64_t{pages} * 4096, ptr(host)};
    return dev.ioctl(vm, KVM_SET_USER_MEMORY_REGION, ptr(&m));
  }
  // Runs the guest from its first instruction to its MMIO exit.
  void run_guest() {
    uint64_t pc = kRamGpa;
    const kvm_one_reg r{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (2 * 32), ptr(&pc)};
    BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_SET_ONE_REG, ptr(&r)), 0);
    BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_RUN, 0), 0);
    BOOST_REQUIRE_MESSAGE(run->exit_reason == KVM_EXIT_MMIO, "exit " << run->exit_reason << " suberror "
                                                                      << run->internal.suberror << " data "
                                                                      << std::hex << run->internal.data[0] << " "
                                                                      << run->internal.data[1]);
    BOOST_REQUIRE_EQUAL(run->mmio.phys_addr, 0x9000000u);
  }
  long get_log(uint32_t slot, uint64_t* words) {
    kvm_dirty_log log{};
    log.slot = slot;
    log.dirty_bitmap = words;
    return dev.ioctl(vm, KVM_GET_DIRTY_LOG, ptr(&log));
  }
  // The pages KVM_GET_DIRTY_LOG reports for a slot (it must succeed).
  std::set<unsigned> dirty(uint32_t slot) {
    uint64_t words[2] = {~uint64_t{0}, 0};  // the call must overwrite the slot's one word
    BOOST_REQUIRE_EQUAL(get_log(slot, words), 0);
    std::set<unsigned> pages;
    for (unsigned p = 0; p < 128; ++p)
      if ((words[p / 64] >> (p % 64)) & 1) pages.insert(p);
    return pages;
  }
  long clear_log(uint32_t slot, uint64_t first, uint32_t num, const uint64_t* mask) {
    kvm_clear_dirty_log log{};
    log.slot = slot;
    log.first_page = first;
    log.num_pages = num;
    log.dirty_bitmap = const_cast<uint64_t*>(mask);
    return dev.ioctl(vm, KVM_CLEAR_DIRTY_LOG, ptr(&log));
  }
};

std::set<unsigned> range(unsigned first, unsigned end) {
  std::set<unsigned> s;
  for (unsigned p = first; p < end; ++p) s.insert(p);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dirty_log)

BOOST_AUTO_TEST_CASE(capabilities_and_enable_cap) {
  DirtyVm v(~uint64_t{0}, 0, 0);
  // KVM_DIRTY_LOG_MANUAL_CAPS of arm64: PROTECT_ENABLE | INITIALLY_SET.
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 3);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 3);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.kvm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING), 0);  // no TSO ring on arm64
  // INITIALLY_SET alone, an unknown option or flags: -EINVAL.
  BOOST_CHECK_EQUAL(v.enable_manual(KVM_DIRTY_LOG_INITIALLY_SET), -EINVAL);
  BOOST_CHECK_EQUAL(v.enable_manual(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | 4), -EINVAL);
  BOOST_CHECK_EQUAL(v.enable_manual(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, 1), -EINVAL);
  BOOST_CHECK_EQUAL(v.enable_manual(0), 0);
  BOOST_CHECK_EQUAL(v.enable_manual(3), 0);
}

BOOST_AUTO_TEST_CASE(every_store_path_marks_its_page_and_get_clears) {
  DirtyVm v;
  // Logging starts clean (no INITIALLY_SET).
  BOOST_CHECK(v.dirty(kRamSlot).empty());
  BOOST_CHECK(v.dirty(kOtherSlot).empty());
  v.run_guest();
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
  BOOST_CHECK(v.dirty(kOtherSlot) == std::set<unsigned>{1});
  // Get-and-clear: the next read is empty, until the guest writes the pages again.
  BOOST_CHECK(v.dirty(kRamSlot).empty());
  BOOST_CHECK(v.dirty(kOtherSlot).empty());
  v.run_guest();
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
  BOOST_CHECK(v.dirty(kOtherSlot) == std::set<unsigned>{1});
  // The stores themselves happened.
  uint64_t w;
  std::memcpy(&w, v.ram->b + 0x2000, 8);
  BOOST_CHECK_EQUAL(w, 0x1234u);
  std::memcpy(&w, v.other->b + 0x1008, 8);
  BOOST_CHECK_EQUAL(w, 0x1234u);
}

BOOST_AUTO_TEST_CASE(get_dirty_log_errnos) {
  DirtyVm v(~uint64_t{0}, KVM_MEM_LOG_DIRTY_PAGES, 0);
  uint64_t words[1];
  BOOST_CHECK_EQUAL(v.get_log(kOtherSlot, words), -ENOENT);  // a slot that does not log
  BOOST_CHECK_EQUAL(v.get_log(7, words), -ENOENT);           // no such slot
  BOOST_CHECK_EQUAL(v.get_log(32764, words), -EINVAL);       // beyond KVM_USER_MEM_SLOTS
  BOOST_CHECK_EQUAL(v.get_log(1u << 16, words), -EINVAL);    // address space 1
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_GET_DIRTY_LOG, kBadAddr), -EFAULT);
  v.run_guest();
  // A bad destination loses no bit.
  BOOST_CHECK_EQUAL(v.get_log(kRamSlot, reinterpret_cast<uint64_t*>(kBadAddr)), -EFAULT);
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
  // On the vCPU or system fd it is not an ioctl of theirs.
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.kvm, KVM_GET_DIRTY_LOG, ptr(words)), -EINVAL);
}

BOOST_AUTO_TEST_CASE(manual_protect_keeps_bits_until_cleared) {
  DirtyVm v(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
  v.run_guest();
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);  // GET only reads
  // Clear pages 2-5 only: the rest stays.
  const uint64_t mask = 0x3c;
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, kRamPages, &mask), 0);
  BOOST_CHECK(v.dirty(kRamSlot) == (std::set<unsigned>{6, 7, 8, 9, 10, 11}));
  // Cleared pages are protected again: the guest's next stores mark them.
  v.run_guest();
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
  const uint64_t all = ~uint64_t{0};
  BOOST_CHECK_EQUAL(v.clear_log(kOtherSlot, 0, kSlotPages, &all), 0);
  BOOST_CHECK(v.dirty(kOtherSlot).empty());
}

BOOST_AUTO_TEST_CASE(clear_dirty_log_errnos) {
  DirtyVm v(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, KVM_MEM_LOG_DIRTY_PAGES, 0);
  const uint64_t mask[2] = {~uint64_t{0}, ~uint64_t{0}};
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 1, 1, mask), -EINVAL);            // first_page not a multiple of 64
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, kRamPages + 1, mask), -EINVAL);  // beyond the slot
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 64, 0, mask), -EINVAL);           // first_page beyond the slot
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, 3, mask), -EINVAL);            // short of the end, not 64-aligned
  BOOST_CHECK_EQUAL(v.clear_log(kOtherSlot, 0, kSlotPages, mask), -ENOENT);  // not logging
  BOOST_CHECK_EQUAL(v.clear_log(9, 0, 1, mask), -ENOENT);
  BOOST_CHECK_EQUAL(v.clear_log(32764, 0, 1, mask), -EINVAL);
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, kRamPages, reinterpret_cast<const uint64_t*>(kBadAddr)), -EFAULT);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CLEAR_DIRTY_LOG, kBadAddr), -EFAULT);
  // Up to the end of the slot any count works; an empty range too.
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, kRamPages, mask), 0);
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, 0, mask), 0);
  // A failed clear changed nothing.
  v.run_guest();
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, 3, mask), -EINVAL);
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
}

BOOST_AUTO_TEST_CASE(initially_set_reports_every_page_until_cleared) {
  DirtyVm v(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
  BOOST_CHECK(v.dirty(kRamSlot) == range(0, kRamPages));
  BOOST_CHECK(v.dirty(kOtherSlot) == range(0, kSlotPages));
  // Pages are protected only once cleared: clear all, run, and only the stored ones return.
  const uint64_t all = ~uint64_t{0};
  BOOST_CHECK_EQUAL(v.clear_log(kRamSlot, 0, kRamPages, &all), 0);
  BOOST_CHECK(v.dirty(kRamSlot).empty());
  v.run_guest();
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
}

BOOST_AUTO_TEST_CASE(logging_turned_on_and_off_by_a_flags_change) {
  DirtyVm v(~uint64_t{0}, 0, 0);
  uint64_t words[1];
  BOOST_CHECK_EQUAL(v.get_log(kRamSlot, words), -ENOENT);
  v.run_guest();
  // KVM_MR_FLAGS_ONLY: logging starts now, with nothing dirty yet.
  BOOST_REQUIRE_EQUAL(v.set_slot(kRamSlot, kRamGpa, kRamPages, v.ram->b, KVM_MEM_LOG_DIRTY_PAGES), 0);
  BOOST_REQUIRE_EQUAL(v.set_slot(kOtherSlot, kSlotGpa, kSlotPages, v.other->b, KVM_MEM_LOG_DIRTY_PAGES), 0);
  BOOST_CHECK(v.dirty(kRamSlot).empty());
  v.run_guest();
  BOOST_CHECK(v.dirty(kRamSlot) == kRamStored);
  BOOST_CHECK(v.dirty(kOtherSlot) == std::set<unsigned>{1});
  // Off again: no log, and the guest runs on.
  BOOST_REQUIRE_EQUAL(v.set_slot(kRamSlot, kRamGpa, kRamPages, v.ram->b, 0), 0);
  BOOST_CHECK_EQUAL(v.get_log(kRamSlot, words), -ENOENT);
  v.run_guest();
  // A read-only slot cannot become writable by a flags change (and its writes exit as MMIO,
  // so it never has a dirty page).
  BOOST_CHECK_EQUAL(v.set_slot(kOtherSlot, kSlotGpa, kSlotPages, v.other->b, KVM_MEM_READONLY), -EINVAL);
}

BOOST_AUTO_TEST_CASE(writes_the_model_makes_for_the_guest_are_logged) {
  // kvm_write_guest() marks the page: the PV stolen-time record, the vGIC's LPI tables.
  DirtyVm v;
  kvm_model::Vm* m = v.dev.vm_of(v.vm);
  BOOST_REQUIRE(m != nullptr);
  const uint64_t val[2] = {42, 43};
  BOOST_CHECK(m->write_guest(kRamGpa + 0xd010, &val[0], sizeof val[0]));
  BOOST_CHECK(m->write_guest(kSlotGpa + 0x0ff8, val, sizeof val));  // across both pages of the other slot
  BOOST_CHECK(v.dirty(kRamSlot) == std::set<unsigned>{13});
  BOOST_CHECK(v.dirty(kOtherSlot) == (std::set<unsigned>{0, 1}));
  // The stolen-time record itself, updated at KVM_RUN.
  uint64_t ipa = kRamGpa + 0xe000;
  kvm_device_attr at{};
  at.group = KVM_ARM_VCPU_PVTIME_CTRL;
  at.attr = KVM_ARM_VCPU_PVTIME_IPA;
  at.addr = ptr(&ipa);
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_DEVICE_ATTR, ptr(&at)), 0);
  v.run_guest();
  std::set<unsigned> want = kRamStored;
  want.insert(14);
  BOOST_CHECK(v.dirty(kRamSlot) == want);
}

BOOST_AUTO_TEST_SUITE_END()

// KVM_SET_SIGNAL_MASK (kvm_vcpu_ioctl): the mask KVM_RUN runs with; a pending signal it
// does not block ends KVM_RUN with -EINTR and KVM_EXIT_INTR before the guest runs.
BOOST_AUTO_TEST_SUITE(signal_mask)

struct SigMask {
  uint32_t len;
  uint64_t set;
} __attribute__((packed));

BOOST_AUTO_TEST_CASE(set_signal_mask_errnos_and_eintr) {
  DirtyVm v(~uint64_t{0}, 0, 0);
  SigMask m{8, 0};
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, kBadAddr), -EFAULT);
  m.len = 16;
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, ptr(&m)), -EINVAL);  // not sizeof(sigset_t)
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_SET_SIGNAL_MASK, ptr(&m)), -EINVAL);    // a vCPU ioctl
  // The host thread blocks SIGUSR1 and has one pending.
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  BOOST_REQUIRE_EQUAL(pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
  BOOST_REQUIRE_EQUAL(pthread_kill(pthread_self(), SIGUSR1), 0);
  // No vCPU mask: the thread's own blocks it, the guest runs.
  v.run_guest();
  // A mask that still blocks it: the guest runs.
  m = {8, uint64_t{1} << (SIGUSR1 - 1)};
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, ptr(&m)), 0);
  v.run_guest();
  // A mask that lets it through: -EINTR, KVM_EXIT_INTR, the signal still pending.
  m = {8, 0};
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, ptr(&m)), 0);
  v.run->exit_reason = 0;
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_RUN, 0), -EINTR);
  BOOST_CHECK_EQUAL(v.run->exit_reason, KVM_EXIT_INTR);
  // The VMM accepts it (sigwait), and the vCPU runs again.
  int sig = 0;
  BOOST_REQUIRE_EQUAL(sigwait(&usr1, &sig), 0);
  BOOST_CHECK_EQUAL(sig, SIGUSR1);
  v.run_guest();
  // A null argument removes the mask.
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, 0), 0);
  BOOST_REQUIRE_EQUAL(pthread_kill(pthread_self(), SIGUSR1), 0);
  v.run_guest();
  BOOST_REQUIRE_EQUAL(sigwait(&usr1, &sig), 0);
  BOOST_REQUIRE_EQUAL(pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
}

BOOST_AUTO_TEST_CASE(a_hook_supplies_the_pending_signals) {
  DirtyVm v(~uint64_t{0}, 0, 0);
  uint64_t pending = uint64_t{1} << (SIGUSR2 - 1);
  v.dev.set_pending_signals([&pending] { return pending; });
  v.run_guest();  // no vCPU mask: nothing counts
  SigMask m{8, pending};
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, ptr(&m)), 0);
  v.run_guest();  // blocked by the vCPU mask too
  m.set = 0;
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, ptr(&m)), 0);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vcpu, KVM_RUN, 0), -EINTR);
  BOOST_CHECK_EQUAL(v.run->exit_reason, KVM_EXIT_INTR);
  pending = 0;
  v.run_guest();
}

BOOST_AUTO_TEST_SUITE_END()
