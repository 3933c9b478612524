#include "emu/gdb/registers.h"

#include <vector>

#include "kvm_model/uapi.h"

namespace pmuemu::gdb {
namespace {

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
  return r;
}

const std::vector<RegDesc>& table() {
  static const std::vector<RegDesc> t = build();
  return t;
}

std::string feature_xml(const std::string& which) {
  std::string x = "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n";
  x += "<feature name=\"org.gnu.gdb.aarch64." + which + "\">\n";
  if (which == "core") {
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
    x += "/>\n";
  }
  x += "</feature>\n";
  return x;
}

}  // namespace

std::span<const RegDesc> registers() { return table(); }

std::optional<std::string> target_description(std::string_view annex) {
  if (annex == "target.xml")
    return std::string(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
        "  <architecture>aarch64</architecture>\n"
        "  <xi:include href=\"aarch64-core.xml\"/>\n"
        "  <xi:include href=\"aarch64-fpu.xml\"/>\n"
        "</target>\n");
  if (annex == "aarch64-core.xml") return feature_xml("core");
  if (annex == "aarch64-fpu.xml") return feature_xml("fpu");
  return std::nullopt;
}

}  // namespace pmuemu::gdb
