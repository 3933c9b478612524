// KVM_REGISTER_COALESCED_MMIO and KVM_UNREGISTER_COALESCED_MMIO (virt/kvm/coalesced_mmio.c's
// ABI): a guest write that falls wholly inside a registered zone does not exit; it is
// appended to the VM's ring, the page at KVM_COALESCED_MMIO_PAGE_OFFSET (1) of every vCPU's
// mmap, for the VMM to replay at its next exit. Only when the ring is full (one entry is
// always left free, so that first == last means empty) does the write exit as usual.
#include <algorithm>
#include <cstring>

#include "kvm_model/abi/state.h"

namespace kvm_model::abi {
namespace {

// Linux's register and unregister both refuse a `pio` other than 0 or 1.
bool valid(const kvm_coalesced_mmio_zone& z) { return z.pio == 0 || z.pio == 1; }

// coalesced_mmio_in_range(): [addr, addr + len) lies inside the zone and does not wrap.
bool inside(const CoalescedZone& z, uint64_t addr, uint64_t len) {
  return addr + len >= addr && addr >= z.addr && addr + len <= z.addr + z.size;
}

}  // namespace

long State::coalesced_mmio(VmObj& vm, bool reg, unsigned long arg) {
  kvm_coalesced_mmio_zone z;
  if (int rc = get(z, arg); rc != 0) return rc;
  if (!valid(z)) return -EINVAL;
  if (reg) {
    // kvm_io_bus_register_dev(): a bus holds at most NR_IOBUS_DEVS (1000) devices.
    size_t on_bus = 0;
    for (const CoalescedZone& o : vm.coalesced) on_bus += o.pio == (z.pio != 0);
    if (on_bus >= kIoBusDevs) return -ENOSPC;
    vm.coalesced.push_back({z.addr, z.size, z.pio != 0});
    return 0;
  }
  // Every zone of that bus that contains the range goes; none is not an error.
  std::erase_if(vm.coalesced, [&](const CoalescedZone& o) { return o.pio == (z.pio != 0) && inside(o, z.addr, z.size); });
  return 0;
}

bool State::serve_coalesced(VmObj& vm, VcpuData& vc) {
  const KvmRun& r = vc.v->run_struct();
  if (!r.mmio.is_write) return false;  // a zone has no read side
  std::lock_guard lk(vm.m);            // kvm->ring_lock
  if (std::none_of(vm.coalesced.begin(), vm.coalesced.end(),
                   [&](const CoalescedZone& z) { return !z.pio && inside(z, r.mmio.phys_addr, r.mmio.len); }))
    return false;
  auto* ring = reinterpret_cast<kvm_coalesced_mmio_ring*>(vm.runs + kPageSize);
  // The VMM owns `first` and may write `last`: both are read once, and a `last` out of
  // range refuses the write as a full ring would.
  const uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE);
  const uint32_t insert = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
  if (insert >= kCoalescedMax || (insert + 1) % kCoalescedMax == first) return false;
  kvm_coalesced_mmio& e = ring->coalesced_mmio[insert];
  e.phys_addr = r.mmio.phys_addr;
  e.len = r.mmio.len;
  std::memcpy(e.data, r.mmio.data, r.mmio.len);
  e.pio = 0;
  __atomic_store_n(&ring->last, (insert + 1) % kCoalescedMax, __ATOMIC_RELEASE);
  return true;
}

}  // namespace kvm_model::abi
