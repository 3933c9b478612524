// The initial stack a `pmuemu user` program starts with (the ELF ABI's argc, argv, envp,
// auxv): counts, strings, the auxiliary vector's entries, AT_HWCAP derived from the emulated
// core's ID registers by Linux's rules (arch/arm64's elf_hwcaps, Documentation/arch/arm64/
// elf_hwcaps.rst), and a bad --vmm-cpu.
#include <boost/test/unit_test.hpp>

#include <elf.h>

#include <map>

#include "tests/unit/user/fixture.h"

using namespace pmuemu::user;
using namespace pmuemu::user::test;

namespace {

struct InitialStack {
  uint64_t sp = 0;
  std::vector<std::string> argv, envp;
  std::vector<std::pair<uint64_t, uint64_t>> auxv;  // in order, AT_NULL included
  std::map<uint64_t, uint64_t> aux;
};

InitialStack read_stack(Proc& t) {
  InitialStack s;
  s.sp = t.p.core().state().sp_el0;
  uint64_t w = s.sp;
  auto word = [&] {
    uint64_t v = 0;
    if (!t.p.read(w, &v, 8)) throw std::runtime_error("initial stack not readable");
    w += 8;
    return v;
  };
  const uint64_t argc = word();
  for (uint64_t i = 0; i < argc; ++i) s.argv.push_back(t.p.read_string(word()).value_or("<bad>"));
  BOOST_TEST(word() == 0u);  // argv[argc] is NULL
  for (uint64_t e; (e = word()) != 0;) s.envp.push_back(t.p.read_string(e).value_or("<bad>"));
  while (true) {
    const uint64_t k = word(), v = word();
    s.auxv.emplace_back(k, v);
    s.aux[k] = v;
    if (k == AT_NULL || s.auxv.size() > 64) break;
  }
  return s;
}

unsigned field(uint64_t reg, unsigned shift) { return static_cast<unsigned>((reg >> shift) & 0xf); }

// AT_HWCAP as Linux computes it from the sanitised ID registers, for the features whose
// ID fields the emulated cores can report. FP and AdvSIMD are signed fields (0xF: absent).
uint64_t linux_hwcap(const cpu::IdRegs& id) {
  struct Rule {
    uint64_t reg;
    unsigned shift, min, bit;
  };
  const Rule rules[] = {
      {id.id_aa64isar0, 4, 1, 3},   {id.id_aa64isar0, 4, 2, 4},   {id.id_aa64isar0, 8, 1, 5},
      {id.id_aa64isar0, 12, 1, 6},  {id.id_aa64isar0, 12, 2, 21}, {id.id_aa64isar0, 16, 1, 7},
      {id.id_aa64isar0, 20, 2, 8},  {id.id_aa64isar0, 28, 1, 12}, {id.id_aa64isar0, 32, 1, 17},
      {id.id_aa64isar0, 36, 1, 18}, {id.id_aa64isar0, 40, 1, 19}, {id.id_aa64isar0, 44, 1, 20},
      {id.id_aa64isar0, 48, 1, 23}, {id.id_aa64isar0, 52, 1, 27}, {id.id_aa64isar1, 0, 1, 16},
      {id.id_aa64isar1, 12, 1, 13}, {id.id_aa64isar1, 16, 1, 14}, {id.id_aa64isar1, 20, 1, 15},
      {id.id_aa64isar1, 20, 2, 26}, {id.id_aa64isar1, 36, 1, 29}, {id.id_aa64pfr0, 48, 1, 24},
      {id.id_aa64pfr1, 4, 2, 28},   {id.id_aa64mmfr2, 32, 1, 25},
  };
  // HWCAP_CPUID: EL0 reads of the ID registers are emulated; HWCAP_EVTSTRM: WFE never
  // waits longer than Linux's default event stream would let it.
  uint64_t cap = (1u << 11) | (1u << 2);
  const unsigned fp = field(id.id_aa64pfr0, 16), simd = field(id.id_aa64pfr0, 20);
  if (fp != 0xf) cap |= 1u << 0;
  if (simd != 0xf) cap |= 1u << 1;
  if (fp != 0xf && fp >= 1) cap |= 1u << 9;
  if (simd != 0xf && simd >= 1) cap |= 1u << 10;
  for (const Rule& r : rules)
    if (field(r.reg, r.shift) >= r.min) cap |= 1ull << r.bit;
  return cap;
}

// AT_HWCAP2 by the kernel's rules for the fields these cores' registers can report.
uint64_t linux_hwcap2(const cpu::IdRegs& id) {
  struct Rule {
    uint64_t reg;
    unsigned shift, min, bit;
  };
  const Rule rules[] = {
      {id.id_aa64isar1, 0, 2, 0},   // DPB2 -> dcpodp
      {id.id_aa64isar0, 52, 2, 7},  // FLAGM2
      {id.id_aa64isar1, 32, 1, 8},  // FRINTTS -> frint
      {id.id_aa64isar1, 52, 1, 13}, // I8MM
      {id.id_aa64isar1, 44, 1, 14}, // BF16
      {id.id_aa64isar1, 48, 1, 15}, // DGH
      {id.id_aa64isar0, 60, 1, 16}, // RNDR -> rng
      {id.id_aa64pfr1, 0, 1, 17},   // BT -> bti
      {id.id_aa64mmfr0, 60, 1, 19}, // ECV
      {id.id_aa64mmfr1, 44, 1, 20}, // AFP
      {id.id_aa64isar2, 4, 1, 21},  // RPRES
      {id.id_aa64isar2, 0, 2, 31},  // WFxT
      {id.id_aa64isar1, 44, 2, 32}, // EBF16
      {id.id_aa64isar2, 52, 1, 34}, // CSSC
      {id.id_aa64isar2, 48, 1, 35}, // RPRFM
      {id.id_aa64isar2, 16, 1, 43}, // MOPS
      {id.id_aa64isar2, 20, 1, 44}, // BC -> hbc
      {id.id_aa64isar1, 20, 3, 46}, // LRCPC3
      {id.id_aa64isar0, 20, 3, 47}, // LSE128
      {id.id_aa64isar2, 56, 1, 49}, // LUT
  };
  uint64_t cap = 0;
  for (const Rule& r : rules)
    if (field(r.reg, r.shift) >= r.min) cap |= 1ull << r.bit;
  return cap;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auxv)

BOOST_AUTO_TEST_CASE(argc_argv_envp_and_alignment) {
  Proc t({"prog", "one", "two words"}, {"A=1", "PATH=/bin"});
  const InitialStack s = read_stack(t);
  BOOST_TEST(s.sp % 16 == 0u);  // AAPCS64: SP 16-byte aligned at entry
  BOOST_TEST(s.argv == (std::vector<std::string>{"prog", "one", "two words"}), boost::test_tools::per_element());
  BOOST_TEST(s.envp == (std::vector<std::string>{"A=1", "PATH=/bin"}), boost::test_tools::per_element());
  BOOST_TEST(s.sp < kStackTop);
  BOOST_TEST(s.sp > kStackTop - kStackSize);
}

BOOST_AUTO_TEST_CASE(auxiliary_vector_entries) {
  Proc t({"not-the-file-name"});
  const InitialStack s = read_stack(t);
  BOOST_REQUIRE(!s.auxv.empty());
  BOOST_TEST(s.auxv.back().first == uint64_t{AT_NULL});
  BOOST_TEST(s.aux.at(AT_PAGESZ) == 4096u);
  BOOST_TEST(s.aux.at(AT_ENTRY) == kEntry);
  BOOST_TEST(s.aux.at(AT_PHDR) == kLoadVa + 64);  // the segment holding offset 0 maps e_phoff there
  BOOST_TEST(s.aux.at(AT_PHENT) == sizeof(Elf64_Phdr));
  BOOST_TEST(s.aux.at(AT_PHNUM) == 1u);
  BOOST_TEST(s.aux.at(AT_BASE) == 0u);  // static: no interpreter
  BOOST_TEST(s.aux.at(AT_SECURE) == 0u);
  BOOST_TEST(t.p.read_string(s.aux.at(AT_PLATFORM)).value_or("") == "aarch64");
  // AT_EXECFN: the file name the program was executed by, whatever argv[0] says.
  BOOST_TEST(t.p.read_string(s.aux.at(AT_EXECFN)).value_or("") == t.prog.path);
  // AT_RANDOM: 16 readable bytes on the stack.
  uint8_t rnd[16];
  BOOST_TEST(t.p.read(s.aux.at(AT_RANDOM), rnd, 16));
  // The program headers AT_PHDR points at are readable and describe the PT_LOAD.
  Elf64_Phdr ph{};
  BOOST_REQUIRE(t.p.read(s.aux.at(AT_PHDR), &ph, sizeof ph));
  BOOST_TEST(ph.p_type == uint32_t{PT_LOAD});
  BOOST_TEST(ph.p_vaddr == kLoadVa);
}

BOOST_AUTO_TEST_CASE(at_random_follows_the_seed) {
  auto random_of = [](uint64_t seed) {
    ProgramFile prog;
    UserOptions o = Proc::options(prog.path, {"prog"}, {});
    o.seed = seed;
    Process p(host(), o);
    uint64_t w = p.core().state().sp_el0, k = 0, v = 0;
    uint64_t argc = 0;
    p.read(w, &argc, 8);
    w += 8 * (argc + 3);  // argc, argv[], NULL, and the empty envp's NULL
    do {
      p.read(w, &k, 8);
      p.read(w + 8, &v, 8);
      w += 16;
    } while (k != AT_RANDOM && k != AT_NULL);
    std::array<uint8_t, 16> r{};
    BOOST_REQUIRE(k == uint64_t{AT_RANDOM});
    p.read(v, r.data(), 16);
    return r;
  };
  BOOST_TEST((random_of(1) == random_of(1)));  // reproducible runs
  BOOST_TEST((random_of(1) != random_of(2)));
}

BOOST_AUTO_TEST_CASE(at_hwcap_matches_the_id_registers) {
  for (uint32_t pcpu : {0u, 4u}) {  // a Cortex-A55 and a Cortex-A76 of big-little
    ProgramFile prog;
    UserOptions o = Proc::options(prog.path, {"prog"}, {});
    o.vmm_cpu = pcpu;
    Process p(host(), o);
    uint64_t w = p.core().state().sp_el0 + 8 * 4, k = 0, v = 0, hwcap = ~0ull, hwcap2 = ~0ull;
    do {
      p.read(w, &k, 8);
      p.read(w + 8, &v, 8);
      w += 16;
      if (k == AT_HWCAP) hwcap = v;
      if (k == AT_HWCAP2) hwcap2 = v;
    } while (k != AT_NULL);
    const uint64_t want = linux_hwcap(p.core().ids());
    BOOST_TEST(hwcap == want, "pCPU " << pcpu << std::hex << ": AT_HWCAP " << hwcap << ", Linux's rules give " << want
                                       << ", differing bits " << (hwcap ^ want));
    BOOST_TEST(hwcap2 == linux_hwcap2(p.core().ids()), "pCPU " << pcpu << std::hex << ": AT_HWCAP2 " << hwcap2);
    BOOST_TEST((hwcap & 3u) == 3u);  // both cores have FP and AdvSIMD
  }
}

BOOST_AUTO_TEST_CASE(vmm_cpu_outside_the_host_is_a_usage_error) {
  ProgramFile prog;
  UserOptions o = Proc::options(prog.path, {"prog"}, {});
  o.vmm_cpu = 8;
  BOOST_CHECK_EXCEPTION(Process(host(), o), std::exception, [](const std::exception& e) {
    return std::string(e.what()).find("--vmm-cpu 8") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(missing_program_is_an_input_error) {
  UserOptions o = Proc::options("/nonexistent/pmuemu-unit-program", {"prog"}, {});
  BOOST_CHECK_EXCEPTION(Process(host(), o), std::exception, [](const std::exception& e) {
    return std::string(e.what()).find("/nonexistent/pmuemu-unit-program") != std::string::npos;
  });
}

BOOST_AUTO_TEST_SUITE_END()
