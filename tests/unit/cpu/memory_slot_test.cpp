// Memory slots other than RAM (PhysMem::set_slots): the stage-1 walk, instruction fetch and
// data accesses see them as Linux's stage 2 maps every memslot, and a read-only slot
// answers reads and fetches while its writes leave run() as KVM's MMIO exits
// (kvm_handle_guest_abort(): a write fault on a read-only memslot goes to io_mem_abort).
#include <boost/test/unit_test.hpp>

#include <vector>

#include "mmu_fixture.h"

using test::MmuFixture;

namespace {
constexpr uint32_t kInstAbortSame = 0x86000000;
constexpr uint64_t kSlotPa = 0x80000000;  // above the fixture's RAM, inside the 48-bit PA space
constexpr unsigned kSlotPages = 8;
constexpr uint64_t kTableDesc = 3, kPageDesc = 3;
constexpr test::Insn kLdr{0xf9400020, "ldr x0, [x1]"};
constexpr test::Insn kStr{0xf9000020, "str x0, [x1]"};
constexpr test::Insn kBlr{0xd63f0020, "blr x1"};
constexpr uint32_t kMovz77 = 0xd2800ee0;  // movz x0, #0x77
constexpr uint32_t kMovz55 = 0xd2800aa0;  // movz x0, #0x55
constexpr uint32_t kRet = 0xd65f03c0;
int reason(const cpu::RunResult& r) { return static_cast<int>(r.reason); }
constexpr int kMmio = static_cast<int>(cpu::ExitReason::kMmio);
constexpr int kNisv = static_cast<int>(cpu::ExitReason::kMmioNoSyndrome);

struct SlotFixture : MmuFixture {
  std::vector<uint64_t> slot = std::vector<uint64_t>(kSlotPages * 512, 0);
  uint8_t* host() { return reinterpret_cast<uint8_t*>(slot.data()); }
  uint64_t& word(uint64_t pa) { return slot[(pa - kSlotPa) / 8]; }
  void set_slot(bool read_only) { mem.set_slots({cpu::SlotRegion{kSlotPa, kSlotPages * 0x1000, host(), read_only}}); }
  // Maps kVa to pa with every table of the walk below the root in the slot's first pages.
  void map_through_slot(uint64_t pa, uint64_t attrs) {
    const uint64_t l2 = kSlotPa, l3 = kSlotPa + 0x1000;
    write64(root0 + ((kVa >> 30) & 0x3f) * 8, l2 | kTableDesc);  // the root stays in RAM
    word(l2 + ((kVa >> 21) & 0x1ff) * 8) = l3 | kTableDesc;
    word(l3 + ((kVa >> 12) & 0x1ff) * 8) = pa | kPageDesc | attrs;
  }
  // With the MMU on, places `movz x0, #0x77; ret` in the slot's page kCodePage, mapped at kVa,
  // and calls it (BLR X1, then its two instructions).
  static constexpr uint64_t kCodePage = kSlotPa + 0x4000;
  void call_code_in_slot(bool read_only) {
    set_slot(read_only);
    enable();
    map_through_slot(kCodePage, kNormalRw);
    word(kCodePage) = (uint64_t{kRet} << 32) | kMovz77;
    x(1) = kVa;
    run({kBlr});
    step(2);
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(memory_slots, SlotFixture)

BOOST_AUTO_TEST_CASE(tables_in_another_slot_are_walked) {
  set_slot(false);
  enable();
  map_through_slot(kPageA, kNormalRw);
  write64(kPageA, 0xfeedface);
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(x(0) == 0xfeedfaceu);
  BOOST_TEST(esr() == 0u);
}

BOOST_AUTO_TEST_CASE(tables_in_a_read_only_slot_are_walked_too) {
  set_slot(true);  // a walk is a write only for hardware AF/DB updates, which this core never makes
  enable();
  map_through_slot(kPageA, kNormalRw);
  write64(kPageA, 42);
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(x(0) == 42u);
}

BOOST_AUTO_TEST_CASE(data_in_a_writable_slot_is_memory) {
  set_slot(false);
  enable();
  const uint64_t page = kSlotPa + 0x3000;
  map_through_slot(page, kNormalRw);
  word(page) = 7;
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(x(0) == 7u);
  x(0) = 0x1122334455667788ull;
  BOOST_TEST(reason(run({kStr})) != kMmio);
  BOOST_TEST(word(page) == 0x1122334455667788ull);
  // An atomic works on the slot in place.
  x(2) = 0x1122334455667788ull;
  x(3) = 99;
  run({{0xc8e2fc23, ""}});  // casal x2, x3, [x1]
  BOOST_TEST(word(page) == 99u);
}

BOOST_AUTO_TEST_CASE(a_read_only_slot_reads_and_its_writes_exit_as_mmio) {
  set_slot(true);
  enable();
  const uint64_t page = kSlotPa + 0x3000;
  map_through_slot(page, kNormalRw);
  word(page) = 0xabcdef;
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(x(0) == 0xabcdefu);
  // A store with a syndrome: KVM_EXIT_MMIO at the slot's address, the slot unchanged.
  x(0) = 5;
  const cpu::RunResult r = run({kStr});
  BOOST_TEST(reason(r) == kMmio);
  BOOST_TEST(core.mmio().phys_addr == page);
  BOOST_TEST(core.mmio().is_write);
  BOOST_TEST(word(page) == 0xabcdefu);
  // Without one (an atomic): the NISV exit, which KVM_RUN turns into -ENOSYS.
  x(2) = 0xabcdef;
  x(3) = 1;
  BOOST_TEST(reason(run({{0xc8e2fc23, ""}})) == kNisv);
  BOOST_TEST(word(page) == 0xabcdefu);
}

BOOST_AUTO_TEST_CASE(code_in_a_slot_executes_and_a_write_to_it_is_seen) {
  call_code_in_slot(false);
  BOOST_TEST(x(0) == 0x77u);
  BOOST_TEST(core.state().pc == code_va() + 4);
  // The guest rewrites the decoded instruction through the slot: the old block is dropped.
  x(0) = (uint64_t{kRet} << 32) | kMovz55;
  run({kStr});
  x(1) = kVa;
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 0x55u);
}

BOOST_AUTO_TEST_CASE(a_read_only_slot_executes) {
  call_code_in_slot(true);
  BOOST_TEST(x(0) == 0x77u);
}

BOOST_AUTO_TEST_CASE(a_deleted_slot_is_outside_every_slot) {
  call_code_in_slot(false);
  BOOST_TEST(x(0) == 0x77u);
  // The tables go with the slot: the walk now reads outside every slot, and KVM injects a
  // synchronous external abort for the fetch (kvm_inject_pabt), FSC 0x10.
  mem.set_slots({});
  x(1) = kVa;
  run({kBlr});
  step(1);
  BOOST_TEST(esr() == (kInstAbortSame | 0x10));
  BOOST_TEST(far() == kVa);
}

BOOST_AUTO_TEST_CASE(a_fetch_outside_every_slot_is_an_external_abort) {
  enable();
  map(kVa, kSlotPa + 0x4000, 3, kNormalRw);  // tables in RAM, the page in no slot
  x(1) = kVa;
  run({kBlr});
  step(1);
  BOOST_TEST(esr() == (kInstAbortSame | 0x10));
  set_slot(true);  // the same page, now a slot: it runs
  slot[0x4000 / 8] = (uint64_t{kRet} << 32) | kMovz77;
  x(1) = kVa;
  core.set_pstate_bits(0x5);
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 0x77u);
}

BOOST_AUTO_TEST_SUITE_END()
