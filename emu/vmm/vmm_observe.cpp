// The VMM's side of its observer (run_observer.h): what each KVM_RUN and each vCPU reset
// tells it.
#include "emu/vmm/vmm_impl.h"

namespace pmuemu::vmm::detail {

void Vmm::install_observers() {
  obs_.set_vcpus(static_cast<unsigned>(vcpus_.size()));
  if (!obs_.timeline()) return;
  // Replaces install_traces()'s reset hook: it still prints with --trace reset.
  for (auto* v : vcpus_) {
    v->set_reset_trace([this](unsigned id, uint32_t pcpu, const char* cause, const kvm_model::vpmu::ResetTrace& t) {
      obs_.reset(id, pcpu, cause, t);
    });
  }
}

void Vmm::observe_quantum(kvm_model::Vcpu* v, int rc) {
  if (!obs_.active()) return;
  const kvm_run& rs = urun(v);
  const std::optional<uint32_t> fail_entry =
      rc == 0 && rs.exit_reason == KVM_EXIT_FAIL_ENTRY ? std::optional<uint32_t>(rs.fail_entry.cpu) : std::nullopt;
  obs_.quantum(*this, v->id(), v->loaded_pcpu(), v->run_struct().insns_retired, fail_entry);
}

}  // namespace pmuemu::vmm::detail
