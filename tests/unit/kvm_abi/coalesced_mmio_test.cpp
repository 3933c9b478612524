// KVM_REGISTER_COALESCED_MMIO and KVM_UNREGISTER_COALESCED_MMIO through the /dev/kvm ABI,
// as Linux 6.12 has them (virt/kvm/coalesced_mmio.c): guest writes inside a zone go to the
// VM's ring at page 1 of every vCPU's mmap instead of exiting, a full ring (or a `last` out
// of range) lets the write exit, the ring is one page for all vCPUs, and the errnos.
#include <boost/test/unit_test.hpp>

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "tests/unit/kvm_abi/guest_vm.h"

namespace {

using namespace kvm_abi_test;

constexpr uint32_t kMax = (4096 - sizeof(kvm_coalesced_mmio_ring)) / sizeof(kvm_coalesced_mmio);  // 170

long zone(Vm& v, bool reg, uint64_t addr, uint32_t size, uint32_t pio = 0) {
  kvm_coalesced_mmio_zone z{};
  z.addr = addr;
  z.size = size;
  z.pio = pio;
  return v.dev.ioctl(v.vm, reg ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO, ptr(&z));
}

kvm_coalesced_mmio_ring* ring_of(Vm& v) {
  return reinterpret_cast<kvm_coalesced_mmio_ring*>(reinterpret_cast<uint8_t*>(v.run) + 4096);
}

uint64_t value(const kvm_coalesced_mmio& e) {
  uint64_t x = 0;
  std::memcpy(&x, e.data, e.len);
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(coalesced_mmio)

BOOST_AUTO_TEST_CASE(capabilities_and_errnos) {
  Vm v;
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO), 1);  // the ring's page
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO), 1);
  BOOST_CHECK_EQUAL(zone(v, true, kMmio, 16, 2), -EINVAL);
  BOOST_CHECK_EQUAL(zone(v, false, kMmio, 16, 2), -EINVAL);
  BOOST_CHECK_EQUAL(zone(v, false, kMmio, 16), 0);  // nothing to remove is no error
  BOOST_CHECK_EQUAL(zone(v, true, kMmio, 16, 1), 0);  // the PIO bus: accepted, never written on arm64
  for (int i = 0; i < 1000; ++i) BOOST_REQUIRE_EQUAL(zone(v, true, kMmio + 0x1000 * i, 16), 0);
  BOOST_CHECK_EQUAL(zone(v, true, 0, 16), -ENOSPC);  // NR_IOBUS_DEVS per bus
}

// The guest's three writes below kMmio + 16 go to the ring in order; the one at +16 exits.
BOOST_AUTO_TEST_CASE(writes_in_a_zone_fill_the_ring) {
  Vm v;
  v.init_vcpu();
  BOOST_REQUIRE_EQUAL(zone(v, true, kMmio, 16), 0);
  kvm_coalesced_mmio_ring* r = ring_of(v);
  r->first = r->last = 5;  // anywhere in the ring
  v.expect_write(kMmio + 16, 8, 2);
  BOOST_CHECK_EQUAL(r->first, 5u);
  BOOST_REQUIRE_EQUAL(r->last, 8u);
  const uint64_t addr[] = {kMmio, kMmio, kMmio + 8}, val[] = {1, 2, 2};
  const uint32_t len[] = {4, 4, 1};
  for (int i = 0; i < 3; ++i) {
    const kvm_coalesced_mmio& e = r->coalesced_mmio[5 + i];
    BOOST_CHECK_EQUAL(e.phys_addr, addr[i]);
    BOOST_CHECK_EQUAL(e.len, len[i]);
    BOOST_CHECK_EQUAL(e.pio, 0u);
    BOOST_CHECK_EQUAL(value(e), val[i]);
  }
}

BOOST_AUTO_TEST_CASE(a_full_ring_lets_the_write_exit) {
  Vm v;
  v.init_vcpu();
  BOOST_REQUIRE_EQUAL(zone(v, true, kMmio, 16), 0);
  kvm_coalesced_mmio_ring* r = ring_of(v);
  // One entry free: the first write takes it, the second finds the ring full and exits.
  r->first = 0;
  r->last = kMax - 2;
  v.expect_write(kMmio, 4, 2);
  BOOST_CHECK_EQUAL(r->last, kMax - 1);
  BOOST_CHECK_EQUAL(value(r->coalesced_mmio[kMax - 2]), 1u);
  // `last` out of range (the VMM's to write): refused as full.
  Vm w;
  w.init_vcpu();
  BOOST_REQUIRE_EQUAL(zone(w, true, kMmio, 16), 0);
  ring_of(w)->first = 0;
  ring_of(w)->last = kMax;
  w.expect_write(kMmio, 4, 1);
  BOOST_CHECK_EQUAL(ring_of(w)->last, kMax);
}

BOOST_AUTO_TEST_CASE(partial_overlap_exits_and_unregistration) {
  Vm v;
  v.init_vcpu();
  // [kMmio + 2, ...): the 4-byte writes at kMmio only overlap it; the byte at +8 is inside.
  BOOST_REQUIRE_EQUAL(zone(v, true, kMmio + 2, 8), 0);
  BOOST_REQUIRE_EQUAL(zone(v, true, kMmio + 0x100, 8), 0);
  // A range inside the second zone removes it, and only it.
  BOOST_REQUIRE_EQUAL(zone(v, false, kMmio + 0x102, 2), 0);
  kvm_coalesced_mmio_ring* r = ring_of(v);
  v.expect_write(kMmio, 4, 1);
  v.expect_write(kMmio, 4, 2);
  v.expect_write(kMmio + 16, 8, 2);
  BOOST_CHECK_EQUAL(r->last - r->first, 1u);
  BOOST_CHECK_EQUAL(r->coalesced_mmio[r->first].phys_addr, kMmio + 8);
}

BOOST_AUTO_TEST_CASE(one_ring_for_every_vcpu) {
  Vm v;
  v.init_vcpu();
  const long fd1 = v.dev.ioctl(v.vm, KVM_CREATE_VCPU, 1);
  BOOST_REQUIRE_GE(fd1, 0);
  int err = 0;
  void* p = v.dev.mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(fd1), 0, &err);
  BOOST_REQUIRE(p != MAP_FAILED);
  auto* r1 = reinterpret_cast<kvm_coalesced_mmio_ring*>(static_cast<uint8_t*>(p) + 4096);
  void* q = v.dev.mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(fd1), 4096, &err);
  BOOST_REQUIRE(q != MAP_FAILED);
  auto* r2 = static_cast<kvm_coalesced_mmio_ring*>(q);
  ring_of(v)->first = 11;
  BOOST_CHECK_EQUAL(r1->first, 11u);
  BOOST_CHECK_EQUAL(r2->first, 11u);
  // vCPU 1's kvm_run page is its own.
  static_cast<kvm_run*>(p)->immediate_exit = 1;
  BOOST_CHECK_EQUAL(v.run->immediate_exit, 0);
  munmap(p, 8192);
  munmap(q, 4096);
}

BOOST_AUTO_TEST_SUITE_END()
