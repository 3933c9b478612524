// The timing classifier (cpu/decoder/classify.h) and the cycle-timed run loop of the core:
// what each instruction tells the timing model, and that the model sees exactly the retired
// instructions with their data addresses and branch outcomes.
#define BOOST_TEST_MODULE unit_timing_wiring
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "cpu/core.h"
#include "cpu/decoder/classify.h"
#include "pmu/events.h"
#include "pmu/pmu.h"

using cpu::AddrMode;
using cpu::InstTiming;
using cpu::timing::OpClass;

namespace {

InstTiming classify(uint32_t word, uint64_t pc = 0x40000000) {
  cpu::DecodedInst inst;
  const auto id = cpu::decoder::decode(word, pc, inst);
  return cpu::decoder::classify(id, inst);
}

std::vector<int> regs(const uint8_t* r, size_t n, uint8_t none) {
  std::vector<int> v;
  for (size_t i = 0; i < n; ++i)
    if (r[i] != none) v.push_back(r[i]);
  return v;
}
std::vector<int> srcs(const InstTiming& t) { return regs(t.s.src, 3, cpu::timing::kNoReg); }
std::vector<int> dsts(const InstTiming& t) { return regs(t.s.dst, 2, cpu::timing::kNoDst); }
using V = std::vector<int>;

}  // namespace

BOOST_AUTO_TEST_SUITE(timing_classifier)

BOOST_AUTO_TEST_CASE(classes_registers_and_addressing) {
  struct Case {
    const char* text;
    uint32_t word;
    OpClass cls;
    V dst, src;
    AddrMode am;
    uint8_t flags;
  };
  const Case cases[] = {
      {"add x1, x2, #3", 0x91000c41, OpClass::kAlu, {1}, {2}, AddrMode::kNone, 0},
      {"add sp, sp, #16", 0x910043ff, OpClass::kAlu, {31}, {31}, AddrMode::kNone, 0},
      {"cmp x0, #0", 0xf100001f, OpClass::kAlu, {}, {0}, AddrMode::kNone, 0},
      {"madd x0, x1, x2, x3", 0x9b020c20, OpClass::kMul, {0}, {1, 2, 3}, AddrMode::kNone, 0},
      {"ldr x0, [x1, #8]", 0xf9400420, OpClass::kLoad, {0}, {1}, AddrMode::kBaseImm, 0},
      {"str x0, [sp, #-16]!", 0xf81f0fe0, OpClass::kStore, {31}, {0, 31}, AddrMode::kBaseImm, 0},
      {"ldr x0, [x1], #8", 0xf8408420, OpClass::kLoad, {0}, {1}, AddrMode::kBase, 0},
      {"ldp x29, x30, [sp], #16", 0xa8c17bfd, OpClass::kLoad, {29, 30}, {31}, AddrMode::kBase, 0},
      {"ldr x0, [x1, x2, lsl #3]", 0xf8627820, OpClass::kLoad, {0}, {1, 2}, AddrMode::kBaseReg, 0},
      {"prfm pldl1keep, [x0]", 0xf9800000, OpClass::kNop, {}, {}, AddrMode::kNone, 0},
      {"ldr x5, <literal>", 0x58000085, OpClass::kLoad, {5}, {}, AddrMode::kLiteral, 0},
      {"ldaxr w3, [x4]", 0x885ffc83, OpClass::kLoad, {3}, {4}, AddrMode::kBase, 0},
      {"casal x1, x2, [x3]", 0xc8e1fc62, OpClass::kAtomic, {1}, {2, 3, 1}, AddrMode::kBase, 0},
      {"b.ne .+8", 0x54000041, OpClass::kCondBranch, {}, {}, AddrMode::kNone, 0},
      {"cbz x7, .+8", 0xb4000047, OpClass::kCondBranch, {}, {7}, AddrMode::kNone, 0},
      {"bl .+8", 0x94000002, OpClass::kCall, {30}, {}, AddrMode::kNone, 0},
      {"ret", 0xd65f03c0, OpClass::kReturn, {}, {30}, AddrMode::kNone, 0},
      {"mrs x0, pmccntr_el0", 0xd53b9d00, OpClass::kSystem, {0}, {}, AddrMode::kNone, 0},
      {"svc #0", 0xd4000001, OpClass::kSystem, {}, {}, AddrMode::kNone, cpu::kTimingExcEntry},
      {"eret", 0xd69f03e0, OpClass::kSystem, {}, {}, AddrMode::kNone, cpu::kTimingExcReturn},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      const InstTiming t = classify(c.word);
      BOOST_TEST(static_cast<int>(t.s.cls) == static_cast<int>(c.cls));
      BOOST_TEST(dsts(t) == c.dst, boost::test_tools::per_element());
      BOOST_TEST(srcs(t) == c.src, boost::test_tools::per_element());
      BOOST_TEST(static_cast<int>(t.amode) == static_cast<int>(c.am));
      BOOST_TEST(t.flags == c.flags);
    }
  }
}

BOOST_AUTO_TEST_CASE(address_mode_marks_exactly_the_memory_classes) {
  // The cycle-timed run loop retires an instruction with an address mode as a memory
  // operation and one without as none (TimingModel::Mem), so the two must coincide for
  // every encoding: all of the load/store space (op0 x1x0) and a sample of the rest.
  std::mt19937 rng(7);
  unsigned memory = 0;
  for (unsigned n = 0; n < 400000; ++n) {
    uint32_t word = static_cast<uint32_t>(rng());
    if (n % 2 == 0) word = (word & ~0x0A000000u) | 0x08000000u;  // bits 27 = 1, 25 = 0
    const InstTiming t = classify(word);
    const bool mem = t.s.cls == OpClass::kLoad || t.s.cls == OpClass::kStore || t.s.cls == OpClass::kAtomic;
    memory += mem;
    BOOST_TEST_REQUIRE(mem == (t.amode != AddrMode::kNone), "word " << std::hex << word);
  }
  BOOST_TEST(memory > 10000u);  // the sample did reach the memory classes
}

BOOST_AUTO_TEST_CASE(cycle_timed_run_loop_feeds_the_model) {
  // 0x40000000: x0 = 0x40001000; 100 x { ldr x1, [x0], #8; subs; b.ne }; hvc #0
  const uint32_t prog[] = {0xd2a80000, 0x91400400, 0xd2800c82, 0xf8408401, 0xf1000442, 0x54ffffc1, 0xd4000002};
  std::vector<uint8_t> ram(1 << 20);
  cpu::PhysMem mem(ram.data(), 0x40000000, ram.size());
  mem.write(0x40000000, prog, sizeof prog);
  cpu::timing::CoreTimingParams p;  // defaults: in-order, 64-byte lines
  cpu::timing::TimingModel model(p);
  cpu::Core core(mem, cpu::IdRegs{});
  core.set_timing_model(&model);
  core.reset(0x40000000);
  const cpu::RunResult r = core.run(10000);
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kHvc));
  BOOST_TEST(r.retired == 3 + 300 + 1);
  BOOST_TEST(model.instructions() == r.retired);
  arch::EventCounts e;
  model.drain_events(e);
  const auto el1 = arch::CountEl::kEl1;
  BOOST_TEST(e.get(el1, 0x08) == r.retired);         // INST_RETIRED: exactly what retired
  BOOST_TEST(e.get(el1, 0x11) == model.cycles());    // CPU_CYCLES
  BOOST_TEST(e.get(el1, 0x06) == 100u);              // LD_RETIRED
  BOOST_TEST(e.get(el1, 0x04) == 100u);              // L1D_CACHE
  BOOST_TEST(e.get(el1, 0x03) == 13u);               // 800 bytes from 0x40001000: 13 lines
  BOOST_TEST(e.get(el1, 0x21) == 100u);              // BR_RETIRED: the b.ne, taken 99 times
  BOOST_TEST(e.get(el1, 0x10) <= 3u);                // a loop branch is learnt at once
  BOOST_TEST(e.get(arch::CountEl::kEl0, 0x08) == 0u);

  // Without the model the same program retires the same instructions (functional loop).
  cpu::Core plain(mem, cpu::IdRegs{});
  plain.reset(0x40000000);
  BOOST_TEST(plain.run(10000).retired == r.retired);
}

BOOST_AUTO_TEST_CASE(exceptions_are_reported) {
  // svc #0 at 0x40000000 with VBAR_EL1 = 0x40000800, whose vector 0x200 (current EL, SPx) is eret
  // (ELR = 0x40000004, the hvc).
  std::vector<uint8_t> ram(1 << 20);
  cpu::PhysMem mem(ram.data(), 0x40000000, ram.size());
  const uint32_t svc = 0xd4000001, hvc = 0xd4000002, eret = 0xd69f03e0;
  mem.write(0x40000000, &svc, 4);
  mem.write(0x40000004, &hvc, 4);
  mem.write(0x40000a00, &eret, 4);
  cpu::timing::TimingModel model(cpu::timing::CoreTimingParams{});
  cpu::Core core(mem, cpu::IdRegs{});
  core.set_timing_model(&model);
  core.reset(0x40000000);
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, 0x40000800);
  const cpu::RunResult r = core.run(100);
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kHvc));
  arch::EventCounts e;
  model.drain_events(e);
  BOOST_TEST(e.get(arch::CountEl::kEl1, 0x09) == 1u);  // EXC_TAKEN (the SVC)
  BOOST_TEST(e.get(arch::CountEl::kEl1, 0x0A) == 1u);  // EXC_RETURN (the ERET)
  BOOST_TEST(e.get(arch::CountEl::kEl1, 0x08) == 3u);  // svc, eret, hvc
}

BOOST_AUTO_TEST_CASE(simd_fp_classes_follow_the_encoding_groups) {
  // The class of every SIMD&FP data-processing row (bits 27:25 = 111) says which
  // operation-mix event it counts in, and that follows the Arm ARM's encoding groups: the
  // scalar floating-point groups (bit 30 = 0, bit 28 = 1: FP data processing, compare,
  // select, immediate, conversions) are scalar FP classes or transfers; every other group is
  // Advanced SIMD (vector, or AdvSIMD scalar with bits 31:28 = 01x1) or Crypto.
  unsigned fp = 0, simd = 0;
  for (const auto& row : cpu::decoder::rows()) {
    if ((row.mask & 0x0e000000u) != 0x0e000000u || (row.value & 0x0e000000u) != 0x0e000000u) continue;
    const OpClass c = row.cls;
    BOOST_TEST_CONTEXT(row.name) {
      // Bit 28 always tells the groups apart; with bit 28 = 1, bit 30 must too.
      BOOST_TEST_REQUIRE((row.mask & 0x10000000u) != 0);
      const bool b28 = (row.value & 0x10000000u) != 0;
      if (b28) BOOST_TEST_REQUIRE((row.mask & 0x40000000u) != 0);
      const bool scalar_fp_group = b28 && (row.value & 0x40000000u) == 0;
      if (scalar_fp_group) {
        ++fp;
        BOOST_TEST((c == OpClass::kFpAlu || c == OpClass::kFpMul || c == OpClass::kFpDiv || c == OpClass::kFpMove));
      } else {
        ++simd;
        BOOST_TEST((c == OpClass::kSimdAlu || c == OpClass::kSimdMul || c == OpClass::kSimdFpAlu ||
                    c == OpClass::kSimdFpMul || c == OpClass::kSimdFpDiv || c == OpClass::kCrypto ||
                    c == OpClass::kSimdMove));
      }
    }
  }
  BOOST_TEST(fp >= 15u);
  BOOST_TEST(simd >= 80u);
}

// The operation-mix events (Arm ARM D17.11, common microarchitectural events): ASE_SPEC
// counts Advanced SIMD operations (vector and AdvSIMD scalar forms, PMULL included),
// VFP_SPEC scalar floating-point operations, CRYPTO_SPEC AES/SHA; loads and stores of
// SIMD&FP registers and transfers between general and SIMD&FP registers count in none.
BOOST_AUTO_TEST_CASE(simd_fp_and_crypto_operations_reach_programmed_counters) {
  // 0x40000000: x0 = 0x40001000, x3 = 50; then 50 iterations of the loop below; hvc #0.
  const uint32_t prog[] = {
      0xd2a80000,  // mov x0, #0x40000000
      0x91400400,  // add x0, x0, #1, lsl #12
      0xd2800643,  // mov x3, #50
      0x4e62cc20,  // loop: fmla v0.2d, v1.2d, v2.2d      ASE
      0x1f451883,  // fmadd d3, d4, d5, d6                VFP
      0x4e284907,  // aese v7.16b, v8.16b                 CRYPTO
      0x3dc00009,  // ldr q9, [x0]                        (load)
      0x4e083c01,  // umov x1, v0.d[0]                    (transfer)
      0x9e67004a,  // fmov d10, x2                        (transfer)
      0x0eede18b,  // pmull v11.1q, v12.1d, v13.1d        ASE
      0x1e3029ee,  // fadd s14, s15, s16                  VFP
      0x4eb38651,  // add v17.4s, v18.4s, v19.4s          ASE
      0x9e780064,  // fcvtzs x4, d3                       VFP
      0x5fd69ab4,  // fmul d20, d21, v22.d[1]             ASE (AdvSIMD scalar by element)
      0x5e194317,  // sha256h q23, q24, v25.4s            CRYPTO
      0xfd00081a,  // str d26, [x0, #16]                  (store)
      0xf1000463,  // subs x3, x3, #1
      0x54fffe41,  // b.ne loop
      0xd4000002,  // hvc #0
  };
  constexpr uint64_t kIters = 50, kAse = 4 * kIters, kVfp = 3 * kIters, kCrypto = 2 * kIters;
  const uint16_t ase = pmu::event::ASE_SPEC, vfp = pmu::event::VFP_SPEC, crypto = pmu::event::CRYPTO_SPEC;
  BOOST_TEST(ase == 0x74);
  BOOST_TEST(vfp == 0x75);
  BOOST_TEST(crypto == 0x77);
  const std::vector<uint16_t> implemented{pmu::event::INST_RETIRED, pmu::event::CPU_CYCLES, ase, vfp, crypto};

  for (const bool cycle_timing : {true, false}) {
    BOOST_TEST_CONTEXT((cycle_timing ? "cycle timing" : "functional timing")) {
      std::vector<uint8_t> ram(1 << 20);
      cpu::PhysMem mem(ram.data(), 0x40000000, ram.size());
      mem.write(0x40000000, prog, sizeof prog);
      cpu::timing::TimingModel model(cpu::timing::CoreTimingParams{});
      cpu::Core core(mem, cpu::IdRegs{});
      if (cycle_timing) core.set_timing_model(&model);
      core.reset(0x40000000);
      core.set_sysreg(cpu::SysSlot::CPACR_EL1, uint64_t{3} << 20);  // FPEN: no trap

      // The PMU as the emulator configures it for this timing (pmu::counted_events).
      pmu::PmuConfig cfg;
      cfg.num_counters = 4;
      cfg.events = pmu::counted_events(implemented, cycle_timing);
      pmu::Pmu p(cfg);
      // PMEVTYPER<n>_EL0 (op0 3, op1 3, CRn 14, CRm 12, op2 n), PMCNTENSET_EL0, PMCR_EL0.E.
      const uint16_t programmed[4] = {ase, vfp, crypto, pmu::event::INST_RETIRED};
      for (unsigned n = 0; n < 4; ++n)
        BOOST_TEST_REQUIRE((p.write(arch::sysreg(3, 3, 14, 12, static_cast<uint8_t>(n)), 1, programmed[n]) ==
                            pmu::Pmu::Access::kOk));
      BOOST_TEST_REQUIRE((p.write(arch::sysreg(3, 3, 9, 12, 1), 1, 0xf) == pmu::Pmu::Access::kOk));
      BOOST_TEST_REQUIRE((p.write(arch::sysreg(3, 3, 9, 12, 0), 1, 1) == pmu::Pmu::Access::kOk));

      const cpu::RunResult r = core.run(10000);
      BOOST_TEST_REQUIRE(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kHvc));
      BOOST_TEST(r.retired == 3 + 15 * kIters + 1);
      if (cycle_timing) {
        arch::EventCounts e;
        model.drain_events(e);
        p.add_events(e);
      } else {
        p.add_instructions({0, r.retired, 0});
      }
      uint64_t v[4] = {};
      for (unsigned n = 0; n < 4; ++n)
        BOOST_TEST_REQUIRE((p.read(arch::sysreg(3, 3, 14, 8, static_cast<uint8_t>(n)), 1, v[n]) ==
                            pmu::Pmu::Access::kOk));
      BOOST_TEST(v[3] == r.retired);
      if (cycle_timing) {
        BOOST_TEST(v[0] == kAse);
        BOOST_TEST(v[1] == kVfp);
        BOOST_TEST(v[2] == kCrypto);
      } else {
        // Functional timing models no operation mix: like the cache and branch events, the
        // three are not implemented there, so their counters hold their value.
        BOOST_TEST(v[0] == 0u);
        BOOST_TEST(v[1] == 0u);
        BOOST_TEST(v[2] == 0u);
      }
      // PMCEID0/1 describe 0x00-0x3F (and 0x4000-0x403F) only: no bit stands for 0x74-0x77.
      BOOST_TEST(p.pmceid(0) == pmu::pmceid_of(std::vector<uint16_t>{pmu::event::INST_RETIRED, pmu::event::CPU_CYCLES}).pmceid0);
      BOOST_TEST(p.pmceid(1) == 0u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
