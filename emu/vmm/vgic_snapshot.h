// The vGIC part of a snapshot, saved and restored the way a VMM does it on Linux: through the
// vGICv3 device's save/restore attribute groups (KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
// GRP_REDIST_REGS, GRP_CPU_SYSREGS, GRP_LEVEL_INFO), never the model's internals. The
// snapshot file keeps its vGIC record (kvm_model::vgic::VgicState, docs/snapshot.md), which
// these functions fill from the registers and write back into them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kvm_model/vgic/vgic.h"

namespace pmuemu::vmm {

// One KVM_SET_DEVICE_ATTR (set) or KVM_GET_DEVICE_ATTR on the vGIC's device fd: the attribute
// group and number, and the value buffer (a u32, or a u64 for GRP_CPU_SYSREGS). It reports a failed
// call itself (the VMM throws KvmRefused naming the call and its errno).
using VgicAttrFn = std::function<void(bool set, uint32_t group, uint64_t attr, void* value)>;

// Reads the state of every vCPU's redistributor and CPU interface (vCPU i has MPIDR_EL1
// mpidrs[i]) and the distributor (its interrupt count from GRP_NR_IRQS). What the groups do
// not carry is not saved: the line level of an edge-triggered interrupt (KVM reports levels
// of level-sensitive ones only) and ICC_BPR1_EL1's own value while ICC_CTLR_EL1.CBPR = 1.
kvm_model::vgic::VgicState save_vgic_state(const VgicAttrFn& gic, const std::vector<uint64_t>& mpidrs);

// Writes `s` back: the per-interrupt set/clear pairs through their clear register (the
// complement) and set register, so that state the destination already had is replaced; the
// line levels; the CPU interfaces with ICC_BPR1_EL1 before ICC_CTLR_EL1.CBPR; GICD_CTLR
// last. Throws InputError ("<source>: ...") when `s` does not fit this VM (its vCPU or
// interrupt count).
void restore_vgic_state(const VgicAttrFn& gic, const std::vector<uint64_t>& mpidrs,
                        const kvm_model::vgic::VgicState& s, const std::string& source);

}  // namespace pmuemu::vmm
