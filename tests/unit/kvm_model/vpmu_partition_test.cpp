// The partitioned PMU (era proposal-partition, Lewis v9, attribute 5 ENABLE_PARTITION) on a
// running vCPU: the guest's counter and control registers are the physical PMU's, accessed
// without a trap, with MDCR_EL2.HPMN = N - reserved_host_counters; the KVM model moves the
// context at vcpu_put/vcpu_load and applies the event filter when it loads it. Each test
// runs the same guest under a trapped era too where that makes the difference visible.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kvm_model/kvm.h"
#include "pmu/pmu.h"
#include "tests/support/guest_vcpu.h"
#include "tests/support/two_cluster_host.h"

namespace km = kvm_model;
namespace vp = kvm_model::vpmu;

namespace {

constexpr uint64_t kRamBase = test_support::GuestVcpu::kRamBase;
constexpr uint32_t kLittleN = 6, kReserved = 2, kHpmn = kLittleN - kReserved;

// The guest (encodings from llvm-mc -triple=aarch64): programs counter 0 with INST_RETIRED,
// enables it and the cycle counter, sets PMCR_EL0.E|P, runs ten NOPs, reads counter 0,
// counter 4 (= HPMN: UNDEFINED for the guest) and PMCNTENSET, then spins on `b .`.
// The UNDEF handler (VBAR_EL1 + 0x200) counts in X7 and steps over the instruction.
constexpr uint32_t kGuest[] = {
    0xd53b9c01,  // mrs x1, pmcr_el0
    0xd2800100,  // mov x0, #8 (INST_RETIRED)
    0xd51bec00,  // msr pmevtyper0_el0, x0
    0xd2800020,  // mov x0, #1
    0xb2610000,  // orr x0, x0, #0x80000000
    0xd51b9c20,  // msr pmcntenset_el0, x0
    0xd53b9c02,  // mrs x2, pmcr_el0
    0xb2400442,  // orr x2, x2, #3 (E | P)
    0xd51b9c02,  // msr pmcr_el0, x2
    0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f,  // nop x 10
    0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f,
    0xd53be803,  // mrs x3, pmevcntr0_el0
    0xd53be884,  // mrs x4, pmevcntr4_el0
    0xd53b9c25,  // mrs x5, pmcntenset_el0
    0x14000000,  // b .
};
constexpr unsigned kSpin = sizeof kGuest / 4 - 1;  // instructions before the spin
constexpr uint32_t kHandler[] = {0x910004e7, 0xd5384028, 0x91001108, 0xd5184028, 0xd69f03e0};
constexpr uint64_t kVbar = 0x800;  // the handler at kVbar + 0x200 (current EL, SPx, synchronous)

constexpr uint64_t sysreg_id(uint8_t op0, uint8_t op1, uint8_t crn, uint8_t crm, uint8_t op2) {
  return arch::SysRegKey{op0, op1, crn, crm, op2}.to_one_reg_id();
}
constexpr uint64_t kVbarId = sysreg_id(3, 0, 12, 0, 0);
constexpr uint64_t kPmevcntr0Id = sysreg_id(3, 3, 14, 8, 0);
constexpr uint64_t kPmevtyper0Id = sysreg_id(3, 3, 14, 12, 0);
constexpr uint64_t kPmovssetId = sysreg_id(3, 3, 9, 14, 3);
constexpr uint64_t kPmintensetId = sysreg_id(3, 0, 9, 14, 1);
constexpr arch::SysRegKey kPmcntenset{3, 3, 9, 12, 1};

km::HostDesc partition_host() {
  km::HostDesc d = test_support::two_cluster_host(kLittleN, 4);
  for (auto& p : d.pmus) p.reserved_host_counters = kReserved;
  return d;
}

struct Guest : test_support::GuestVcpu {
  unsigned traps = 0;  // accesses that reached the KVM model's trap handler

  // `partition`: era proposal-partition with ENABLE_PARTITION; otherwise 6.16, trapped.
  // `traced`: a sysreg tracepoint counts the accesses that reach the trap handler. It also
  // keeps a partitioned vCPU on the full path (Vcpu::partitioned_handler leaves traced
  // accesses to it), so the untraced guest is the one that runs its own handlers.
  explicit Guest(bool partition, const vp::kvm_pmu_event_filter* filter = nullptr, bool traced = true)
      : GuestVcpu(partition_host(), partition ? vp::Era::kProposalPartition : vp::Era::kNewest, kGuest,
                  test_support::pmu_v3([partition, filter](km::Vcpu& vcpu) {
                    if (filter)
                      BOOST_REQUIRE(vcpu.set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, vp::KVM_ARM_VCPU_PMU_V3_FILTER,
                                                         filter) == 0);
                    if (partition) BOOST_REQUIRE(vcpu.set_device_attr(vp::KVM_ARM_VCPU_PMU_V3_CTRL, 5, nullptr) == 0);
                  })) {
    std::memcpy(ram.data() + kVbar + 0x200, kHandler, sizeof kHandler);
    BOOST_REQUIRE(v->set_one_reg(kVbarId, kRamBase + kVbar) == 0);
    if (traced)
      v->set_sysreg_trace([this](unsigned, uint32_t, uint8_t, arch::SysRegKey, bool, uint64_t, bool) { ++traps; });
  }
  void run(uint64_t insns) {
    v->run_struct().insn_budget = insns;
    BOOST_REQUIRE(v->run() == -EINTR);
    BOOST_REQUIRE(v->run_struct().insns_retired == insns);
  }
  uint64_t one_reg(uint64_t id) {
    uint64_t value = 0;
    BOOST_REQUIRE(v->get_one_reg(id, value) == 0);
    return value;
  }
  // Runs `insns` instructions as a VMM does, entering again after every exit to userspace
  // (KVM_EXIT_INTR before the budget: e.g. the PMU's interrupt line changed).
  void run_through(uint64_t insns) {
    while (insns != 0) {
      v->run_struct().insn_budget = insns;
      const int rc = v->run();
      BOOST_REQUIRE((rc == -EINTR || rc == 0));
      const uint64_t done = v->run_struct().insns_retired;
      BOOST_REQUIRE(done <= insns);
      insns -= done;
    }
  }
  // Runs the guest to its spin: the program, the UNDEF handler's five instructions.
  void run_to_spin() { run(kSpin + 5 + 1); }
  pmu::Pmu& hw(uint32_t pcpu) {
    pmu::Pmu* p = vm->pmu().physical_pmu(pcpu);
    BOOST_REQUIRE(p != nullptr);
    return *p;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_partition)

BOOST_AUTO_TEST_CASE(guest_accesses_do_not_trap_and_count_like_the_trapped_pmu) {
  Guest trapped(false), part(true), fast(true, nullptr, false);
  trapped.run_to_spin();
  part.run_to_spin();
  fast.run_to_spin();
  // The partitioned vCPU's own handlers (installed at an access's first execution) give
  // what the full path gives on a second pass: the counts, the UNDEFINED counter HPMN (the
  // handler ran twice), PMCNTENSET.
  for (Guest* g : {&part, &fast}) {
    BOOST_REQUIRE(g->v->set_one_reg(km::kRegPc, kRamBase) == 0);
    g->run_to_spin();
  }
  for (const unsigned r : {1u, 2u, 3u, 4u, 5u, 7u})
    BOOST_TEST(fast.one_reg(km::kRegX(r)) == part.one_reg(km::kRegX(r)), "X" << r);
  BOOST_TEST(fast.one_reg(km::kRegX(7)) == 2u);
  BOOST_TEST(fast.one_reg(km::kRegX(3)) == 11u);
  // The program's accesses trap under 6.16; none does here.
  BOOST_TEST(trapped.traps > 0u);
  BOOST_TEST(part.traps == 0u);
  // The physical PMU holds the guest's context, split at HPMN.
  BOOST_TEST(part.vm->pmu().hw_owner(0) != nullptr);
  BOOST_TEST(part.hw(0).mdcr_el2().hpmn == kHpmn);
  // The same counts: counter 0 saw the MSR PMCR_EL0 and the ten NOPs.
  BOOST_TEST(part.one_reg(km::kRegX(3)) == 11u);
  BOOST_TEST(trapped.one_reg(km::kRegX(3)) == 11u);
  BOOST_TEST(part.hw(0).counter(0) == part.one_reg(kPmevcntr0Id));
  // PMCNTENSET: what the guest set, within its HPMN counters (the others reset UNKNOWN).
  BOOST_TEST((part.one_reg(km::kRegX(5)) & 0x80000001u) == 0x80000001u);
  BOOST_TEST((part.one_reg(km::kRegX(5)) & ~uint64_t{0x8000000f}) == 0u);
  // The same schedule of instructions afterwards counts the same.
  trapped.run(100);
  part.run(100);
  BOOST_TEST(part.one_reg(kPmevcntr0Id) == trapped.one_reg(kPmevcntr0Id));
  BOOST_TEST(part.one_reg(kPmevcntr0Id) > 100u);
}

BOOST_AUTO_TEST_CASE(hpmn_limits_the_guest) {
  Guest trapped(false), part(true);
  trapped.run_to_spin();
  part.run_to_spin();
  // PMCR_EL0.N reads HPMN, counter 4 (= HPMN) is UNDEFINED: the handler ran once.
  BOOST_TEST(((part.one_reg(km::kRegX(1)) >> 11) & 0x1f) == kHpmn);
  BOOST_TEST(part.one_reg(km::kRegX(7)) == 1u);
  // 6.16 gives the guest the whole PMU: N = 6, counter 4 exists.
  BOOST_TEST(((trapped.one_reg(km::kRegX(1)) >> 11) & 0x1f) == kLittleN);
  BOOST_TEST(trapped.one_reg(km::kRegX(7)) == 0u);
}

BOOST_AUTO_TEST_CASE(host_reserved_counters_are_invisible_and_untouched) {
  Guest part(true);
  // The host's perf owns counters 4 and 5 of pCPU 0's PMU (EL2 accesses).
  pmu::Pmu& hw = part.hw(0);
  BOOST_REQUIRE(hw.write(kPmcntenset, 2, 0x30) == pmu::Pmu::Access::kOk);
  hw.set_counter(4, 1234);
  part.run_to_spin();
  // The guest's PMCNTENSET read shows its own counters only; its PMCR_EL0.P reset only them.
  BOOST_TEST((part.one_reg(km::kRegX(5)) & 0x30u) == 0u);
  BOOST_TEST(hw.counter(4) == 1234u);
  BOOST_TEST((hw.reg(kPmcntenset) & 0x80000031u) == 0x80000031u);
  // Put: the guest's bits leave the hardware, the host's stay.
  part.v->vcpu_put();
  BOOST_TEST(hw.reg(kPmcntenset) == 0x30u);
  BOOST_TEST(hw.counter(4) == 1234u);
  BOOST_TEST(part.vm->pmu().hw_owner(0) == nullptr);
}

BOOST_AUTO_TEST_CASE(counters_survive_migration_between_pcpus) {
  Guest part(true);
  part.run_to_spin();
  part.run(100);  // 100 more `b .`, counted at EL1
  const uint64_t before = part.one_reg(kPmevcntr0Id);  // live, from the physical PMU
  BOOST_TEST(before == part.hw(0).counter(0));
  BOOST_TEST(before > 100u);
  part.v->vcpu_put();
  part.v->vcpu_load(1);  // another little pCPU
  BOOST_TEST(part.hw(0).counter(0) == 0u);  // cleared when the context left
  BOOST_TEST(part.one_reg(kPmevcntr0Id) == before);
  part.run(50);
  BOOST_TEST(part.vm->pmu().hw_owner(1) != nullptr);
  BOOST_TEST(part.hw(1).counter(0) == before + 50);
  BOOST_TEST(part.one_reg(kPmevcntr0Id) == before + 50);
  // A userspace write while loaded reaches the counter at the next entry.
  BOOST_REQUIRE(part.v->set_one_reg(kPmevcntr0Id, 1000) == 0);
  part.run(10);
  BOOST_TEST(part.one_reg(kPmevcntr0Id) == 1010u);
}

BOOST_AUTO_TEST_CASE(event_filter_is_applied_at_load) {
  // DENY INST_RETIRED. The guest programs it after its context was loaded, so it counts
  // until the next load (Lewis v9 enforces the filter at vcpu_load only); the trapped era
  // enforces it at every PMEVTYPER write.
  const vp::kvm_pmu_event_filter deny{0x08, 1, vp::KVM_PMU_EVENT_DENY, {}};
  Guest trapped(false, &deny), part(true, &deny);
  trapped.run_to_spin();
  part.run_to_spin();
  BOOST_TEST(trapped.one_reg(km::kRegX(3)) == 0u);
  BOOST_TEST(part.one_reg(km::kRegX(3)) == 11u);
  const uint64_t before = part.one_reg(kPmevcntr0Id);
  part.v->vcpu_put();
  part.v->vcpu_load(0);
  part.run(100);
  BOOST_TEST(part.one_reg(kPmevcntr0Id) == before);  // loaded with the filter: no more counting
  BOOST_TEST(part.one_reg(kPmevtyper0Id) == 8u);      // the guest's own PMEVTYPER0 stands
}

namespace {

// A guest whose counter accesses fall in the middle of one block (encodings from llvm-mc
// -triple=aarch64): counters 0 and 1 count INST_RETIRED, PMCR_EL0.P and C zero every counter
// (PMCCNTR resets UNKNOWN), then PMEVCNTR0, PMCCNTR and
// PMXEVCNTR (SEL = 1) are read after a few NOPs each, counter 1 is written 16 short of its
// 32-bit overflow and read back 20 NOPs later with PMOVSSET.
struct MidBlockProgram {
  std::vector<uint32_t> code;
  unsigned enable = 0, rd_cnt0 = 0, rd_ccnt = 0, rd_xev = 0, wr_cnt1 = 0, rd_cnt1 = 0;
  static constexpr uint32_t kNop = 0xd503201f;
  static constexpr uint64_t kNearWrap = 0xfffffff0;  // mov w0, #-16
  static constexpr unsigned kNopsAfterWrite = 20;
  unsigned at() const { return static_cast<unsigned>(code.size()); }
  void nops(unsigned n) { code.insert(code.end(), n, kNop); }
  MidBlockProgram() {
    code = {0xd2800100,   // mov x0, #8 (INST_RETIRED)
            0xd51bec00,   // msr pmevtyper0_el0, x0
            0xd51bec20,   // msr pmevtyper1_el0, x0
            0xd2800060,   // mov x0, #3
            0xb2610000,   // orr x0, x0, #0x80000000
            0xd51b9c20,   // msr pmcntenset_el0, x0
            0xd53b9c02,   // mrs x2, pmcr_el0
            0xb2400842};  // orr x2, x2, #7 (E | P | C)
    enable = at();
    code.push_back(0xd51b9c02);  // msr pmcr_el0, x2
    nops(3);
    rd_cnt0 = at();
    code.push_back(0xd53be803);  // mrs x3, pmevcntr0_el0
    nops(2);
    rd_ccnt = at();
    code.push_back(0xd53b9d04);  // mrs x4, pmccntr_el0
    code.push_back(0xd2800020);  // mov x0, #1
    code.push_back(0xd51b9ca0);  // msr pmselr_el0, x0
    rd_xev = at();
    code.push_back(0xd53b9d45);  // mrs x5, pmxevcntr_el0
    code.push_back(0x128001e0);  // mov w0, #-16
    wr_cnt1 = at();
    code.push_back(0xd51be820);  // msr pmevcntr1_el0, x0
    nops(kNopsAfterWrite);
    rd_cnt1 = at();
    code.push_back(0xd53be826);  // mrs x6, pmevcntr1_el0
    code.push_back(0xd53b9e68);  // mrs x8, pmovsset_el0
    code.push_back(0x14000000);  // b .
  }
};

}  // namespace

// The untrapped reads see exactly the instructions retired before them in their block, and
// a written counter overflows at the instruction that takes it past 2^32, whether the vCPU
// runs the program in one KVM_RUN or one instruction per KVM_RUN (the clock crosses run
// boundaries); the trapped 6.16 vPMU gives the same values.
BOOST_AUTO_TEST_CASE(counter_reads_mid_block_count_the_instructions_before_them) {
  const MidBlockProgram prog;
  const auto spin = static_cast<uint64_t>(prog.code.size() - 1);
  for (const bool single_step : {false, true}) {
    // `fast`: untraced, so the partitioned vCPU's own handlers run (installed at an access's
    // first execution, they serve the second pass). The mid-block counter write near the
    // wrap must still end the block where counter 1 overflows.
    Guest trapped(false), part(true), fast(true, nullptr, false);
    for (const unsigned pass : {1u, 2u}) BOOST_TEST_CONTEXT((single_step ? "one instruction per run" : "one run")
                                                          << ", pass " << pass) {
      for (Guest* g : {&trapped, &part, &fast}) {
        if (pass == 1) {
          std::memcpy(g->ram.data(), prog.code.data(), prog.code.size() * 4);
        } else {
          // Again from the start, the overflow flags cleared (the program's PMCR_EL0.P|C
          // restarts the counters). Both eras here store a PMOVS write from userspace as
          // it is (6.15 on), so 0 clears them all.
          BOOST_REQUIRE(g->v->set_one_reg(km::kRegPc, kRamBase) == 0);
          BOOST_REQUIRE(g->v->set_one_reg(kPmovssetId, 0) == 0);
        }
        if (single_step)
          for (uint64_t i = 0; i < spin; ++i) g->run_through(1);
        else
          g->run_through(spin);
        BOOST_TEST(g->one_reg(km::kRegPc) == kRamBase + spin * 4);
      }
      BOOST_TEST(part.traps == 0u);
      // The enabling MSR counts itself (PMCR_EL0.E is set as it retires); a reading MRS
      // does not count itself.
      for (Guest* g : {&trapped, &part, &fast}) {
        BOOST_TEST(g->one_reg(km::kRegX(3)) == prog.rd_cnt0 - prog.enable);
        BOOST_TEST(g->one_reg(km::kRegX(4)) == prog.rd_ccnt - prog.enable);
        BOOST_TEST(g->one_reg(km::kRegX(5)) == prog.rd_xev - prog.enable);
        // The written value, then every instruction from the MSR on, modulo 2^32.
        const uint64_t wrapped = (MidBlockProgram::kNearWrap + (prog.rd_cnt1 - prog.wr_cnt1)) & 0xffffffffu;
        BOOST_TEST(g->one_reg(km::kRegX(6)) == wrapped);
        BOOST_TEST((g->one_reg(km::kRegX(8)) & 0x3u) == 0x2u);  // counter 1 overflowed, 0 did not
      }
    }
  }
  // The program does take counter 1 past 2^32 before reading it.
  static_assert(MidBlockProgram::kNopsAfterWrite + 1 > 0x100000000 - MidBlockProgram::kNearWrap);
}

// A counter write that brings an overflow closer than the end of the run ends the run at
// the instruction that overflows, where the overflow interrupt rises (the userspace irqchip
// sees KVM_EXIT_INTR): the partitioned vCPU's own write handler (second pass) as the full
// path and the trapped PMU.
BOOST_AUTO_TEST_CASE(a_counter_write_ends_the_run_where_its_overflow_raises_the_interrupt) {
  const MidBlockProgram prog;
  const auto spin = static_cast<uint64_t>(prog.code.size() - 1);
  Guest trapped(false), part(true), fast(true, nullptr, false);
  std::vector<std::vector<uint64_t>> stops;  // per guest: instructions retired at each return
  for (Guest* g : {&trapped, &part, &fast}) {
    std::memcpy(g->ram.data(), prog.code.data(), prog.code.size() * 4);
    std::vector<uint64_t> at;
    for (const unsigned pass : {1u, 2u}) {
      if (pass == 2) {
        BOOST_REQUIRE(g->v->set_one_reg(km::kRegPc, kRamBase) == 0);
        BOOST_REQUIRE(g->v->set_one_reg(kPmovssetId, 0) == 0);  // stored as it is (6.15 on)
      }
      BOOST_REQUIRE(g->v->set_one_reg(kPmintensetId, 0x2) == 0);  // counter 1's interrupt
      at.clear();
      for (uint64_t done = 0; done < spin;) {
        g->v->run_struct().insn_budget = spin - done;
        const int rc = g->v->run();
        BOOST_REQUIRE((rc == -EINTR || rc == 0));
        done += g->v->run_struct().insns_retired;
        at.push_back(done);
      }
    }
    stops.push_back(at);
  }
  BOOST_TEST(stops[1] == stops[0], boost::test_tools::per_element());
  BOOST_TEST(stops[2] == stops[0], boost::test_tools::per_element());
  // One of the returns is where counter 1 wrapped: after the write, before the read of it.
  BOOST_TEST(std::any_of(stops[2].begin(), stops[2].end(),
                         [&](uint64_t n) { return n > prog.wr_cnt1 + 1 && n < prog.rd_cnt1; }));
}

BOOST_AUTO_TEST_SUITE_END()
