#include "emu/vmm/fault_dump.h"

#include <cinttypes>
#include <cstdio>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/uapi.h"

namespace pmuemu {

std::vector<InsnRecord> InsnRing::in_order() const {
  std::vector<InsnRecord> v;
  for (size_t i = 0; i < count_; ++i) v.push_back(r_[(next_ + kSize - count_ + i) % kSize]);
  return v;
}

std::string format_vcpu_dump(unsigned vcpu, const std::function<bool(uint64_t, uint64_t&)>& get,
                             const std::vector<InsnRecord>& last, const std::function<std::string(const InsnRecord&)>& line) {
  std::string s = "pmuemu: vCPU " + std::to_string(vcpu) + " registers:\n";
  const auto field = [&](const char* name, uint64_t id) {
    uint64_t v = 0;
    char b[48];
    if (get(id, v)) std::snprintf(b, sizeof b, " %-8s 0x%016" PRIx64, name, v);
    else std::snprintf(b, sizeof b, " %-8s %18s", name, "unavailable");
    return std::string(b);
  };
  for (unsigned n = 0; n < 31; n += 4) {
    s += " ";
    for (unsigned k = n; k < n + 4 && k < 31; ++k) s += field(("x" + std::to_string(k)).c_str(), kvm_model::kRegX(k));
    s += "\n";
  }
  // The exception registers say where a fault came from (ESR_EL1, FAR_EL1, ELR_EL1).
  s += " " + field("sp_el0", kvm_model::kRegSp) + field("sp_el1", kvm_model::kRegSpEl1) +
       field("pc", kvm_model::kRegPc) + field("pstate", kvm_model::kRegPstate) + "\n";
  s += " " + field("elr_el1", kvm_model::kRegElrEl1) + field("esr_el1", arch::sysreg(3, 0, 5, 2, 0).to_one_reg_id()) +
       field("far_el1", arch::sysreg(3, 0, 6, 0, 0).to_one_reg_id()) +
       field("vbar_el1", arch::sysreg(3, 0, 12, 0, 0).to_one_reg_id()) + "\n";
  s += "pmuemu: vCPU " + std::to_string(vcpu) + " last " + std::to_string(last.size()) + " instructions:\n";
  for (const InsnRecord& r : last) s += line(r) + "\n";
  return s;
}

}  // namespace pmuemu
