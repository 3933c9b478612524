// The KVM model's events reported to the gdb stub as stop reasons (`monitor stop-on`,
// docs/gdb.md): each vCPU's debug tracepoint feeds Stub::note_event, and a vCPU inside
// KVM_RUN that gdb wants stopped leaves it at its next instruction boundary.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace kvm_model {
class Vcpu;
}

namespace pmuemu::gdb {

class Stub;

// Installs the tracepoint on every vCPU (after Stub::attach).
void report_vcpu_events(Stub& stub, std::span<kvm_model::Vcpu* const> vcpus);

// The PSCI function a SMCCC function id (W0) names ("CPU_ON"), nullopt for an id outside
// PSCI's range (other SMCCC services: architecture calls, TRNG, ...).
std::optional<std::string> psci_function_name(uint32_t fid);

}  // namespace pmuemu::gdb
