#include "emu/gdb/registers.h"

#include <algorithm>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/uapi.h"

namespace pmuemu::gdb {
namespace {

struct SysRegName {
  const char* name;
  uint8_t op0, op1, crn, crm, op2;
};
// By their encodings (Arm ARM D24): the EL1 translation and exception registers, the ID
// registers a guest keys on, and the PMU's own.
constexpr SysRegName kSysRegs[] = {
    {"midr_el1", 3, 0, 0, 0, 0},       {"mpidr_el1", 3, 0, 0, 0, 5},      {"id_aa64dfr0_el1", 3, 0, 0, 5, 0},
    {"sctlr_el1", 3, 0, 1, 0, 0},      {"ttbr0_el1", 3, 0, 2, 0, 0},      {"ttbr1_el1", 3, 0, 2, 0, 1},
    {"tcr_el1", 3, 0, 2, 0, 2},        {"esr_el1", 3, 0, 5, 2, 0},        {"far_el1", 3, 0, 6, 0, 0},
    {"mair_el1", 3, 0, 10, 2, 0},      {"vbar_el1", 3, 0, 12, 0, 0},      {"tpidr_el1", 3, 0, 13, 0, 4},
    {"pmcr_el0", 3, 3, 9, 12, 0},      {"pmcntenset_el0", 3, 3, 9, 12, 1}, {"pmovsset_el0", 3, 3, 9, 14, 3},
    {"pmintenset_el1", 3, 0, 9, 14, 1}, {"pmuserenr_el0", 3, 3, 9, 14, 0}, {"pmselr_el0", 3, 3, 9, 12, 5},
    {"pmceid0_el0", 3, 3, 9, 12, 6},   {"pmceid1_el0", 3, 3, 9, 12, 7},   {"pmccntr_el0", 3, 3, 9, 13, 0},
    {"pmccfiltr_el0", 3, 3, 14, 15, 7},
};

std::vector<RegDesc> build() {
  std::vector<RegDesc> r;
  for (unsigned n = 0; n < 31; ++n) r.push_back({"x" + std::to_string(n), 64, "int", "core", RegKind::kPlain, kvm_model::kRegX(n)});
  r.push_back({"sp", 64, "data_ptr", "core", RegKind::kSp, kvm_model::kRegSp});
  r.push_back({"pc", 64, "code_ptr", "core", RegKind::kPlain, kvm_model::kRegPc});
  // gdb's AArch64 cpsr is 32 bits wide (PSTATE as SPSR_ELx holds it, low half).
  r.push_back({"cpsr", 32, "cpsr_flags", "core", RegKind::kPlain, kvm_model::kRegPstate});
  for (unsigned n = 0; n < 32; ++n) r.push_back({"v" + std::to_string(n), 128, "vreg", "fpu", RegKind::kPlain, kvm_model::kRegV(n)});
  r.push_back({"fpsr", 32, "int", "fpu", RegKind::kPlain, kvm_model::kRegFpsr});
  r.push_back({"fpcr", 32, "int", "fpu", RegKind::kPlain, kvm_model::kRegFpcr});
  const auto sys = [&r](std::string name, uint8_t op0, uint8_t op1, uint8_t crn, uint8_t crm, uint8_t op2) {
    r.push_back({std::move(name), 64, "uint64", "sysregs", RegKind::kPlain,
                 arch::sysreg(op0, op1, crn, crm, op2).to_one_reg_id()});
  };
  for (const SysRegName& s : kSysRegs) sys(s.name, s.op0, s.op1, s.crn, s.crm, s.op2);
  r.push_back({"elr_el1", 64, "code_ptr", "sysregs", RegKind::kPlain, kvm_model::kRegElrEl1});
  r.push_back({"spsr_el1", 64, "uint64", "sysregs", RegKind::kPlain, kvm_model::kRegSpsrEl1});
  r.push_back({"sp_el1", 64, "data_ptr", "sysregs", RegKind::kPlain, kvm_model::kRegSpEl1});
  // PMEVCNTR<n>_EL0 and PMEVTYPER<n>_EL0: op0 3, op1 3, CRn 14, CRm 0b10:n[4:3] and
  // 0b11:n[4:3], op2 n[2:0] (Arm ARM D24.5).
  for (uint8_t n = 0; n < 31; ++n)
    sys("pmevcntr" + std::to_string(n) + "_el0", 3, 3, 14, static_cast<uint8_t>(8 | n >> 3), n & 7);
  for (uint8_t n = 0; n < 31; ++n)
    sys("pmevtyper" + std::to_string(n) + "_el0", 3, 3, 14, static_cast<uint8_t>(12 | n >> 3), n & 7);
  return r;
}

const std::vector<RegDesc>& table() {
  static const std::vector<RegDesc> t = build();
  return t;
}

std::string feature_xml(const std::string& which) {
  std::string x = "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n";
  x += "<feature name=\"org." + std::string(which == "sysregs" ? "pmuemu" : "gnu.gdb") + ".aarch64." + which + "\">\n";
  if (which == "sysregs") {
    // Plain 64-bit values: gdb has no layout for them.
  } else if (which == "core") {
    // PSTATE's condition flags and the fields a kernel developer looks at.
    x += "  <flags id=\"cpsr_flags\" size=\"4\">\n"
         "    <field name=\"SP\" start=\"0\" end=\"0\"/>\n"
         "    <field name=\"EL\" start=\"2\" end=\"3\"/>\n"
         "    <field name=\"F\" start=\"6\" end=\"6\"/>\n"
         "    <field name=\"I\" start=\"7\" end=\"7\"/>\n"
         "    <field name=\"A\" start=\"8\" end=\"8\"/>\n"
         "    <field name=\"D\" start=\"9\" end=\"9\"/>\n"
         "    <field name=\"IL\" start=\"20\" end=\"20\"/>\n"
         "    <field name=\"SS\" start=\"21\" end=\"21\"/>\n"
         "    <field name=\"V\" start=\"28\" end=\"28\"/>\n"
         "    <field name=\"C\" start=\"29\" end=\"29\"/>\n"
         "    <field name=\"Z\" start=\"30\" end=\"30\"/>\n"
         "    <field name=\"N\" start=\"31\" end=\"31\"/>\n"
         "  </flags>\n";
  } else {
    // A V register viewed as each element size, integer and floating point.
    x += "  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
         "  <vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
         "  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
         "  <vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
         "  <vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n"
         "  <vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
         "  <union id=\"vreg\">\n"
         "    <field name=\"d\" type=\"v2d\"/>\n"
         "    <field name=\"ud\" type=\"v2u\"/>\n"
         "    <field name=\"s\" type=\"v4f\"/>\n"
         "    <field name=\"us\" type=\"v4u\"/>\n"
         "    <field name=\"h\" type=\"v8u\"/>\n"
         "    <field name=\"b\" type=\"v16u\"/>\n"
         "    <field name=\"q\" type=\"uint128\"/>\n"
         "  </union>\n";
  }
  const auto& t = table();
  for (size_t n = 0; n < t.size(); ++n) {
    if (t[n].feature != which) continue;
    x += "  <reg name=\"" + t[n].name + "\" bitsize=\"" + std::to_string(t[n].bits) + "\" type=\"" + t[n].type +
         "\" regnum=\"" + std::to_string(n) + "\"";
    if (which == "fpu") x += " group=\"vector\"";
    if (which == "sysregs") x += " group=\"system\"";
    x += "/>\n";
  }
  x += "</feature>\n";
  return x;
}

}  // namespace

std::span<const RegDesc> registers() { return table(); }

size_t g_register_count() {
  static const size_t n = static_cast<size_t>(
      std::count_if(table().begin(), table().end(), [](const RegDesc& d) { return d.feature != "sysregs"; }));
  return n;
}

std::optional<std::string> target_description(std::string_view annex) {
  if (annex == "target.xml")
    return std::string(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
        "  <architecture>aarch64</architecture>\n"
        "  <xi:include href=\"aarch64-core.xml\"/>\n"
        "  <xi:include href=\"aarch64-fpu.xml\"/>\n"
        "  <xi:include href=\"pmuemu-sysregs.xml\"/>\n"
        "</target>\n");
  if (annex == "aarch64-core.xml") return feature_xml("core");
  if (annex == "aarch64-fpu.xml") return feature_xml("fpu");
  if (annex == "pmuemu-sysregs.xml") return feature_xml("sysregs");
  return std::nullopt;
}

}  // namespace pmuemu::gdb
