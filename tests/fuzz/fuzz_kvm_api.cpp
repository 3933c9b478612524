// The /dev/kvm ABI, syzkaller style: the input is a program of ioctls (any of the ABI's
// request numbers or a random one) on any fd (the system fd, VMs, vCPUs, devices, closed
// or made-up numbers), with random struct bytes behind the argument pointer, or a wild
// pointer, against a random era and host. Properties after every call:
//  - the result is >= 0 or a negative errno Linux uses, never a crash or an exception;
//  - a failed call changes nothing: every register of every initialised vCPU (the whole
//    KVM_GET_REG_LIST set) is unchanged;
//  - 6.7 and later: PMCR_EL0.N never exceeds the VM's PMU maximum and never changes once
//    the VM has run (6.7); the counter bitmaps never have bits for counters >= N;
//  - KVM_GET_REG_LIST is stable: the same ids in the same order on every call.
// Guest memory given to SET_USER_MEMORY_REGION is always the fuzzer's own buffer (the ABI
// cannot check the caller's mappings, as Linux's access_ok() does not either).
#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "tests/support/two_cluster_host.h"

namespace {

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return v;
  }
};

constexpr unsigned long kRequests[] = {
    KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE, KVM_CREATE_VCPU,
    KVM_SET_USER_MEMORY_REGION, KVM_SET_USER_MEMORY_REGION2, KVM_ENABLE_CAP, KVM_IRQ_LINE, KVM_CREATE_DEVICE,
    KVM_ARM_PREFERRED_TARGET, KVM_ARM_GET_REG_WRITABLE_MASKS, KVM_RUN, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
    KVM_ARM_VCPU_INIT, KVM_ARM_VCPU_FINALIZE, KVM_GET_ONE_REG, KVM_SET_ONE_REG, KVM_GET_REG_LIST,
    KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR, KVM_IOEVENTFD, KVM_IRQFD, KVM_SET_GSI_ROUTING,
};
// Errnos the ABI may return (docs/kvm-api.md).
constexpr int kErrnos[] = {EPERM, ENOENT, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, EAGAIN, ENOMEM,
                           EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENOTTY, ENOSPC};

constexpr uint64_t kRegPmcr = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (3ull << 14) | (3ull << 11) |
                              (9ull << 7) | (12ull << 3);
uint64_t sysreg(unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (3ull << 14) | (uint64_t{op1} << 11) |
         (uint64_t{crn} << 7) | (uint64_t{crm} << 3) | op2;
}

unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }

struct Fuzz {
  kvm_model::abi::Dev& dev;
  kvm_model::vpmu::Era era;
  std::vector<int> fds;                  // every fd handed out (some closed since)
  std::vector<int> vcpus;                // vCPU fds still open
  std::map<int, int> vm_of_vcpu;         // vCPU fd -> its VM fd
  std::map<int, std::vector<uint64_t>> reg_lists;
  std::vector<uint8_t> ram = std::vector<uint8_t>(1 << 16);
  // Two eventfds for KVM_IOEVENTFD and KVM_IRQFD to name (or not: the fd field is fuzzed).
  struct Efds {
    int fd[2] = {eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    ~Efds() {
      for (int e : fd) close(e);
    }
  } efds{};
  int last_n = -1;
  bool ran = false;

  long get(int vcpu, uint64_t id, uint64_t& v) {
    const kvm_one_reg r{id, ptr(&v)};
    return dev.ioctl_untraced(vcpu, KVM_GET_ONE_REG, ptr(&r));
  }
  bool list(int vcpu, std::vector<uint64_t>& ids) {
    std::vector<uint64_t> buf(1024);
    buf[0] = buf.size() - 1;
    if (dev.ioctl_untraced(vcpu, KVM_GET_REG_LIST, ptr(buf.data())) != 0) return false;
    ids.assign(buf.begin() + 1, buf.begin() + 1 + static_cast<long>(buf[0]));
    return true;
  }
  // Every 64-bit register of every initialised vCPU: what a failed call must not change.
  std::vector<uint64_t> state() {
    std::vector<uint64_t> out;
    for (int fd : vcpus) {
      std::vector<uint64_t> ids;
      if (!list(fd, ids)) continue;
      for (uint64_t id : ids) {
        // The virtual count moves with the vCPU's clock, not with ioctls.
        if (id == KVM_REG_ARM_TIMER_CNT || (id & KVM_REG_SIZE_MASK) != KVM_REG_SIZE_U64) continue;
        uint64_t v = 0;
        out.push_back(id);
        out.push_back(get(fd, id, v) == 0 ? v : ~uint64_t{0});
      }
    }
    return out;
  }
  void invariants() {
    const auto& pol = kvm_model::vpmu::policy(era);
    // A VM-wide N, and bitmaps that ONE_REG reads masked with it (6.7 on).
    const bool vm_wide = pol.vm_wide_n && pol.get_bitmap_user == kvm_model::vpmu::era_fn::get_bitmap_masked;
    for (int fd : vcpus) {
      std::vector<uint64_t> ids;
      if (list(fd, ids)) {
        auto& prev = reg_lists[fd];
        if (!prev.empty() && prev != ids) __builtin_trap();
        prev = ids;
      }
      const kvm_model::Vcpu* v = dev.vcpu_of(fd);
      ran |= v != nullptr && v->has_run();
      if (!vm_wide) continue;
      uint64_t pmcr;
      if (get(fd, kRegPmcr, pmcr) != 0) continue;
      const int n = static_cast<int>((pmcr >> 11) & 0x1f);
      if (kvm_model::Vm* vm = dev.vm_of(fd); vm != nullptr && n > static_cast<int>(vm->pmu().max_counters()))
        __builtin_trap();
      // Without SET_NR_COUNTERS, nothing changes N once the VM has run.
      if (ran && last_n >= 0 && n != last_n && !pol.has_set_nr_counters) __builtin_trap();
      if (ran) last_n = n;
      const uint64_t valid = (uint64_t{1} << 31) | ((uint64_t{1} << n) - 1);
      for (uint64_t id : {sysreg(3, 9, 12, 1), sysreg(0, 9, 14, 1), sysreg(3, 9, 12, 3)}) {
        uint64_t bits;
        if (get(fd, id, bits) == 0 && (bits & ~valid) != 0) __builtin_trap();
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  kvm_model::abi::Options o;
  o.era = kvm_model::vpmu::kAllEras[in.u8() % kvm_model::vpmu::kAllEras.size()];  // every era of the table
  const uint8_t shape = in.u8();
  o.host = test_support::two_cluster_host(shape & 7, (shape >> 3) & 7);
  kvm_model::abi::Dev dev(o);
  Fuzz f{dev, o.era, {}, {}, {}, {}};
  const uint32_t spin = 0x14000000;  // b .
  std::memcpy(f.ram.data(), &spin, 4);
  const int kvm = dev.open_dev();
  if (kvm < 0) __builtin_trap();
  f.fds.push_back(kvm);

  for (int step = 0; step < 48 && in.n > 0; ++step) {
    const uint8_t sel = in.u8();
    // The fd: one handed out (maybe closed since), or a number that never was one.
    const int fd = (sel & 0xf0) == 0xf0 ? static_cast<int>(in.u8()) - 8 : f.fds[in.u8() % f.fds.size()];
    if ((sel & 0x0f) == 0x0f) {  // close
      const int rc = dev.close(fd);
      if (rc != 0 && rc != -EBADF) __builtin_trap();
      f.vcpus.erase(std::remove(f.vcpus.begin(), f.vcpus.end(), fd), f.vcpus.end());
      f.reg_lists.erase(fd);
      continue;
    }
    const unsigned long req = (sel & 0x0f) == 0x0e ? static_cast<unsigned long>(in.u64())
                                                   : kRequests[in.u8() % std::size(kRequests)];
    // The argument: struct bytes from the input behind a valid pointer, a plain integer
    // (for the requests that take one), or a wild pointer.
    alignas(16) uint8_t buf[512];
    for (auto& b : buf) b = in.u8();
    const uint8_t how = in.u8() % 8;
    unsigned long arg = ptr(buf);
    if (req == KVM_SET_USER_MEMORY_REGION || req == KVM_SET_USER_MEMORY_REGION2) {
      // Guest memory stays inside the fuzzer's buffer (page-aligned offsets into it).
      kvm_userspace_memory_region2 m{};
      std::memcpy(&m, buf, sizeof m);
      const uint64_t pages = f.ram.size() / 4096;
      m.userspace_addr = ptr(f.ram.data()) + 4096 * (in.u8() % pages);
      m.memory_size = 4096 * (in.u8() % 4);
      if (m.userspace_addr + m.memory_size > ptr(f.ram.data()) + f.ram.size()) m.memory_size = 0;
      m.guest_phys_addr = (in.u8() & 1) ? 0x40000000 : m.guest_phys_addr & ~0xfffull;
      m.slot %= 4;
      std::memcpy(buf, &m, sizeof m);
    } else if (req == KVM_RUN || req == KVM_CREATE_VM || req == KVM_CREATE_VCPU || req == KVM_CHECK_EXTENSION ||
               req == KVM_GET_API_VERSION || req == KVM_GET_VCPU_MMAP_SIZE) {
      arg = how < 6 ? (req == KVM_CREATE_VCPU ? in.u8() % 4 : req == KVM_CREATE_VM ? (in.u8() & 1) * 36 : 0) : in.u64();
    } else if (req == KVM_GET_ONE_REG || req == KVM_SET_ONE_REG) {
      // Mostly real ids: a PMU register near PMCR_EL0, a core register, a firmware one.
      kvm_one_reg r;
      const uint8_t k = in.u8() % 4;
      r.id = k == 0 ? kRegPmcr + (in.u8() % 0x9f) : k == 1 ? (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (in.u8() % 90))
             : k == 2 ? (KVM_REG_ARM_FW_REG(in.u8() % 4)) : in.u64();
      r.addr = ptr(buf + 64);
      std::memcpy(buf, &r, sizeof r);
    } else if (req == KVM_IOEVENTFD && how < 5) {
      kvm_ioeventfd e;
      std::memcpy(&e, buf, sizeof e);
      e.fd = f.efds.fd[in.u8() & 1];
      e.addr = 0x9000000 + 8 * (in.u8() % 4);
      std::memcpy(buf, &e, sizeof e);
    } else if (req == KVM_IRQFD && how < 5) {
      kvm_irqfd q;
      std::memcpy(&q, buf, sizeof q);
      q.fd = static_cast<uint32_t>(f.efds.fd[in.u8() & 1]);
      q.gsi %= 64;
      std::memcpy(buf, &q, sizeof q);
    } else if (req == KVM_SET_GSI_ROUTING && how < 6) {
      kvm_irq_routing r;  // entries follow in buf: at most 15 of them
      std::memcpy(&r, buf, sizeof r);
      r.nr %= 16;
      std::memcpy(buf, &r, sizeof r);
    }
    if (req == KVM_IOEVENTFD || req == KVM_IRQFD) {
      // Guest writes and interrupts need the eventfds: a write to one now and then.
      const uint64_t one = 1;
      const uint8_t act = in.u8();
      if (act & 1) (void)!write(f.efds.fd[in.u8() & 1], &one, sizeof one);
      // Now and then the VMM closes one and opens another, usually under the same number:
      // an irqfd of the closed one hangs up at the next call.
      if ((act & 0xf0) == 0xf0) {
        int& e = f.efds.fd[(act >> 1) & 1];
        close(e);
        e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      }
    }
    if (how == 7) arg = (in.u8() & 1) ? in.u64() : 0x10;  // wild pointer: EFAULT, never a crash
    const bool watch = req != KVM_RUN;
    const std::vector<uint64_t> before = watch ? f.state() : std::vector<uint64_t>{};
    if (req == KVM_RUN) {
      // The guest spins: a timer signal ends the run after a few instructions.
      if (kvm_model::Vcpu* v = dev.vcpu_of(fd)) v->run_struct().insn_budget = 1 + in.u8() % 16;
    }
    const long rc = dev.ioctl(fd, req, arg);
    if (rc < 0 && std::find(std::begin(kErrnos), std::end(kErrnos), static_cast<int>(-rc)) == std::end(kErrnos))
      __builtin_trap();
    if (rc < 0 && watch && f.state() != before) __builtin_trap();  // a failed call changed something
    if (rc >= 0 && (req == KVM_CREATE_VM || req == KVM_CREATE_VCPU)) {
      f.fds.push_back(static_cast<int>(rc));
      if (req == KVM_CREATE_VCPU) f.vcpus.push_back(static_cast<int>(rc));
    }
    if (rc == 0 && req == KVM_CREATE_DEVICE && arg == ptr(buf)) {
      kvm_create_device cd;
      std::memcpy(&cd, buf, sizeof cd);
      if (!(cd.flags & KVM_CREATE_DEVICE_TEST)) f.fds.push_back(static_cast<int>(cd.fd));
    }
    f.invariants();
  }
  return 0;
}
