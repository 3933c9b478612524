// The ID registers a core reports: its catalogue values masked through cpu/id_regs.cpp's one
// table. Every shipped core must report FP and AdvSIMD present and hide what pmuemu does not
// execute (SVE, MTE, BTI, SSBS, PAuth, ...), and no field may promise more than the core has.
#include <boost/test/unit_test.hpp>

#include "cpu/id_regs.h"
#include "emu/config/host_config.h"
#include "emu/vmm/host_model.h"

namespace cfg = pmuemu::config;

namespace {
uint64_t field(uint64_t v, unsigned lsb, unsigned width = 4) { return (v >> lsb) & ((uint64_t{1} << width) - 1); }

// The Cortex-A55's own values (QEMU's model of it, from its TRM).
cpu::CatalogueIds a55() {
  cpu::CatalogueIds c;
  c.midr = 0x412fd050;
  c.aa64pfr0 = 0x10112222;
  c.aa64pfr1 = 0x10;
  c.aa64isar0 = 0x0000100010211120;
  c.aa64isar1 = 0x100001;
  c.aa64mmfr0 = 0x101122;
  c.aa64mmfr1 = 0x10212122;
  c.aa64mmfr2 = 0x1011;
  c.aa64dfr0 = 0x10305408;
  return c;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(id_registers)

BOOST_AUTO_TEST_CASE(the_table_is_well_formed) {
  // No two rows claim the same bits of one register, and every row fits its register.
  for (const auto& a : cpu::id_fields()) {
    BOOST_TEST(a.lsb + a.width <= 64u, a.name);
    for (const auto& b : cpu::id_fields()) {
      if (&a == &b || a.reg != b.reg) continue;
      const bool overlap = a.lsb < b.lsb + b.width && b.lsb < a.lsb + a.width;
      BOOST_TEST(!overlap, a.name << " overlaps " << b.name);
    }
  }
}

BOOST_AUTO_TEST_CASE(a55_masked_field_by_field) {
  const cpu::IdRegs ids = cpu::sanitise_ids(a55());
  BOOST_TEST(ids.midr == 0x412fd050u);
  // EL0/EL1 AArch64 only, no EL2/EL3, FP and AdvSIMD capped at what executes (the A55 has
  // FP16: 1), RAS and GIC hidden.
  BOOST_TEST(field(ids.id_aa64pfr0, 0) == 1u);
  BOOST_TEST(field(ids.id_aa64pfr0, 4) == 1u);
  BOOST_TEST(field(ids.id_aa64pfr0, 8) == 0u);
  BOOST_TEST(field(ids.id_aa64pfr0, 16) == static_cast<uint64_t>(cpu::kImplemented.fp));
  BOOST_TEST(field(ids.id_aa64pfr0, 20) == static_cast<uint64_t>(cpu::kImplemented.fp));
  BOOST_TEST(field(ids.id_aa64pfr0, 28) == 0u);
  BOOST_TEST(ids.id_aa64pfr1 == 0u);  // SSBS hidden
  // ISAR0: CRC32 and LSE kept; AES/SHA/RDM/DP only as far as implemented.
  BOOST_TEST(field(ids.id_aa64isar0, 16) == 1u);
  BOOST_TEST(field(ids.id_aa64isar0, 20) == 2u);
  BOOST_TEST(field(ids.id_aa64isar0, 4) == std::min<uint64_t>(2, cpu::kImplemented.aes));
  BOOST_TEST(field(ids.id_aa64isar0, 44) == std::min<uint64_t>(1, cpu::kImplemented.dotprod));
  // ISAR1: DPB kept, LRCPC hidden.
  BOOST_TEST(field(ids.id_aa64isar1, 0) == 1u);
  BOOST_TEST(field(ids.id_aa64isar1, 20) == 0u);
  // MMFR0: the machine's 48-bit PA (not the core's 40), the core's 16-bit ASIDs, the MMU's
  // granules, not the core's.
  BOOST_TEST(field(ids.id_aa64mmfr0, 0) == 5u);
  BOOST_TEST(field(ids.id_aa64mmfr0, 4) == 2u);
  BOOST_TEST(field(ids.id_aa64mmfr0, 20) == 0u);
  BOOST_TEST(field(ids.id_aa64mmfr0, 24) == 0xfu);
  BOOST_TEST(field(ids.id_aa64mmfr0, 28) == 0u);
  BOOST_TEST(ids.id_aa64mmfr1 == 0u);  // no PAN, VHE, hardware AF/DBM
  BOOST_TEST(ids.id_aa64mmfr2 == 0u);
  BOOST_TEST(ids.id_aa64dfr0 == 0x406u);  // DebugVer 8.0, the core's PMUVer
}

BOOST_AUTO_TEST_CASE(caps_never_raise_a_field) {
  // A core without FP (0xF, a signed field: below 0) stays without it; a core without LSE
  // does not gain it; the PA is the machine's 48 bits.
  cpu::CatalogueIds c = a55();
  c.aa64pfr0 = 0x00ff0011;
  c.aa64isar0 = 0;
  c.aa64mmfr0 = 0x6;  // 52-bit PA
  const cpu::IdRegs ids = cpu::sanitise_ids(c);
  BOOST_TEST(field(ids.id_aa64pfr0, 16) == 0xfu);
  BOOST_TEST(field(ids.id_aa64pfr0, 20) == 0xfu);
  BOOST_TEST(ids.id_aa64isar0 == 0u);
  BOOST_TEST(field(ids.id_aa64mmfr0, 0) == 5u);
}

BOOST_AUTO_TEST_CASE(every_catalogue_core_reports_fp_and_hides_the_rest) {
  for (const std::string& name : cfg::known_cores(cfg::default_cores_dir())) {
    BOOST_TEST_CONTEXT(name) {
      const cfg::CoreType core = cfg::load_core(cfg::default_cores_dir(), name);
      const cpu::IdRegs ids = pmuemu::vmm::id_regs(core);
      BOOST_TEST(ids.midr == core.midr);
      BOOST_TEST(field(core.id.aa64pfr0, 16) != 0xfu);  // the catalogue's own value: FP present
      BOOST_TEST(field(ids.id_aa64pfr0, 16) == field(ids.id_aa64pfr0, 20));
      BOOST_TEST(field(ids.id_aa64pfr0, 16) <= 1u);
      BOOST_TEST(field(ids.id_aa64pfr0, 32) == 0u);  // SVE
      BOOST_TEST(ids.id_aa64pfr1 == 0u);             // BT, SSBS, MTE, SME
      BOOST_TEST(ids.id_aa64zfr0 == 0u);
      for (unsigned lsb : {4u, 8u, 24u, 28u}) BOOST_TEST(field(ids.id_aa64isar1, lsb) == 0u);  // PAuth
      BOOST_TEST(ids.id_aa64isar2 == 0u);
      BOOST_TEST(field(ids.id_aa64dfr0, 8) == core.pmuver);
      BOOST_TEST(ids.ctr == core.id.ctr);
      BOOST_TEST(ids.dczid == core.id.dczid);
      // Every reported capability field is at most the core's own.
      for (const auto& f : cpu::id_fields()) {
        if (f.rule != cpu::IdRule::kCap) continue;
        const uint64_t regs_core[] = {core.id.aa64pfr0, core.id.aa64pfr1, core.id.aa64isar0, core.id.aa64isar1,
                                      core.id.aa64isar2, core.id.aa64mmfr0, core.id.aa64mmfr1, core.id.aa64mmfr2,
                                      core.id.aa64dfr0, core.id.aa64zfr0};
        const uint64_t regs_out[] = {ids.id_aa64pfr0, ids.id_aa64pfr1, ids.id_aa64isar0, ids.id_aa64isar1,
                                     ids.id_aa64isar2, ids.id_aa64mmfr0, ids.id_aa64mmfr1, ids.id_aa64mmfr2,
                                     ids.id_aa64dfr0, ids.id_aa64zfr0};
        const auto r = static_cast<size_t>(f.reg);
        BOOST_TEST(field(regs_out[r], f.lsb, f.width) <= field(regs_core[r], f.lsb, f.width), f.name);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_table_is_documented) {
  // docs/configs.md lists every row of the table by name.
  std::FILE* f = std::fopen(PMUEMU_SOURCE_DIR "/docs/configs.md", "r");
  BOOST_TEST_REQUIRE(f != nullptr);
  std::string doc;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) doc.append(buf, n);
  std::fclose(f);
  for (const auto& row : cpu::id_fields()) BOOST_TEST(doc.find(std::string(row.name)) != std::string::npos, row.name);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fp_simd_latencies)

BOOST_AUTO_TEST_CASE(catalogue_latencies_reach_the_timing_model) {
  // The N1's figures (LLVM's N1 model) arrive in the timing parameters...
  const cfg::CoreType n1 = cfg::load_core(cfg::default_cores_dir(), "neoverse-n1");
  const auto p = pmuemu::vmm::timing_params(n1);
  BOOST_TEST(p.fp_latency == 2u);
  BOOST_TEST(p.fp_mul_latency == 4u);
  BOOST_TEST(p.fp_div_latency == 15u);
  BOOST_TEST(p.simd_latency == 2u);
  BOOST_TEST(p.simd_mul_latency == 4u);
  // ...a core file without the keys gets the defaults, and one out of range is refused.
  std::string yaml = cfg::core_to_yaml(n1);
  const auto pos = yaml.find("fp_div_latency_cycles: 15\n");
  BOOST_REQUIRE(pos != std::string::npos);
  std::string without = yaml;
  without.erase(pos, std::string("fp_div_latency_cycles: 15\n").size());
  BOOST_TEST(pmuemu::vmm::timing_params(cfg::parse_core(without, "x", "x.yaml")).fp_div_latency == 12u);
  std::string bad = yaml;
  bad.replace(pos, std::string("fp_div_latency_cycles: 15").size(), "fp_div_latency_cycles: 0");
  BOOST_CHECK_THROW(cfg::parse_core(bad, "x", "bad.yaml"), std::exception);
}

BOOST_AUTO_TEST_SUITE_END()
