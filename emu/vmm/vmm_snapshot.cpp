// Migration: the snapshot a VMM writes at a quiescent point (every vCPU outside KVM_RUN)
// and the restore into a freshly built VM (docs/snapshot.md).
#include "emu/vmm/vmm_impl.h"
#include "pmu/pmuv3_fields.h"

namespace pmuemu::vmm::detail {
void Vmm::save_on_exit(const std::string& path) {
  save(path);
  std::fprintf(stderr, "pmuemu: snapshot written to %s after %" PRIu64 " guest instructions\n", path.c_str(),
               instructions_with_restored());
}

bool Vmm::is_id_register(uint64_t id) {
  // The cache identification registers too: CTR_EL0 (a VM feature register since 6.10),
  // CLIDR_EL1, AIDR_EL1 and the CCSIDR demux ids (0x6020000000110000 | CSSELR).
  if ((id & ~uint64_t{0xff}) == 0x6020000000110000ull) return true;
  if (id == arch::SysRegKey{3, 3, 0, 0, 1}.to_one_reg_id() || id == arch::SysRegKey{3, 1, 0, 0, 1}.to_one_reg_id() ||
      id == arch::SysRegKey{3, 1, 0, 0, 7}.to_one_reg_id())
    return true;
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  return key && key->op0 == 3 && key->op1 == 0 && key->crn == 0 && !(key->crm == 0 && key->op2 == 5);
}

bool Vmm::is_clear_alias(uint64_t id) {
  return id == arch::SysRegKey{3, 3, 9, 12, 2}.to_one_reg_id() ||  // PMCNTENCLR_EL0
         id == arch::SysRegKey{3, 0, 9, 14, 2}.to_one_reg_id() ||  // PMINTENCLR_EL1
         id == arch::SysRegKey{3, 3, 9, 12, 3}.to_one_reg_id();    // PMOVSCLR_EL0
}

VgicAttrFn Vmm::gic_attr_fn() {
  return [this](bool set, uint32_t group, uint64_t attr, void* value) {
    const kvm_device_attr a{0, group, attr, reinterpret_cast<uintptr_t>(value)};
    call(ioctl(gic_fd_, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a),
         std::string(set ? "KVM_SET_DEVICE_ATTR" : "KVM_GET_DEVICE_ATTR") + "(vgic, group " + std::to_string(group) +
             ", " + hex(attr) + ")");
  };
}

std::vector<uint64_t> Vmm::vcpu_mpidrs() {
  const uint64_t mpidr_id = arch::SysRegKey{3, 0, 0, 0, 5}.to_one_reg_id();
  std::vector<uint64_t> m;
  for (auto* v : vcpus_) {
    uint64_t x = 0;
    call(get_reg(v, mpidr_id, x), "KVM_GET_ONE_REG(vcpu" + std::to_string(v->id()) + ", MPIDR_EL1)");
    m.push_back(x);
  }
  return m;
}

void Vmm::save(const std::string& path) {
  Snapshot s;
  s.source_host = host_.name;
  // By canonical name: "newest" would restore under whatever era is newest at restore time.
  s.kvm_era = kvm_model::vpmu::era_name(parse_era_or_throw(opts_.kvm_era));
  s.pmu_core = opts_.pmu_core;
  s.pmu = opts_.pmu;
  s.vcpus = opts_.vcpus;
  s.ram_base = opts_.ram_base;
  s.ram_size = opts_.ram_size;
  s.instructions = total_instructions() + restored_instructions_;
  s.resets = out_.resets;
  for (auto* v : vcpus_) {
    if (mp_state(v) != KVM_MP_STATE_STOPPED) {
      // KVM_RUN with immediate_exit completes a pending MMIO read and returns -EINTR.
      urun(v).immediate_exit = 1;
      vcpu_run(v);
      urun(v).immediate_exit = 0;
    }
    SnapshotVcpu c;
    c.id = v->id();
    c.mp_state = mp_state(v);
    std::vector<uint64_t> ids;
    call(reg_list(v, ids), "KVM_GET_REG_LIST(vcpu" + std::to_string(v->id()) + ")");
    for (uint64_t id : ids) {
      RegValue value;
      check(get_reg_raw(v, id, &value), "KVM_GET_ONE_REG(vcpu" + std::to_string(v->id()) + ", " + hex(id) + ")");
      c.regs.emplace_back(id, value);
    }
    s.cpus.push_back(std::move(c));
  }
  s.vgic = save_vgic_state(gic_attr_fn(), vcpu_mpidrs());
  s.ram.assign(ram_.data(), ram_.data() + opts_.ram_size);
  save_snapshot(path, s);
}

void Vmm::restore(const Snapshot& s) {
  std::memcpy(ram_.data(), s.ram.data(), s.ram.size());
  for (const auto& c : s.cpus) {
    kvm_model::Vcpu* v = vcpus_.at(c.id);
    const std::string who = "vcpu" + std::to_string(c.id);
    uint64_t dest_pmcr = 0;
    const bool has_pmcr = opts_.pmu && get_reg(v, kPmcrId, dest_pmcr) == 0;
    uint64_t saved_pmcr = 0;
    for (const auto& [id, value] : c.regs) {
      if (id == kPmcrId) saved_pmcr = value.lo;
      // The CLR registers alias their SET register's state. Since Linux 6.7 a userspace
      // write of a CLR id *clears* the written bits (spec 2.7), so replaying them after the
      // SET ids would disable every restored counter: restore the state once, via SET.
      if (is_clear_alias(id)) continue;
      // The identification registers are the destination CPU's own: KVM holds MIDR and
      // REVIDR invariant and lets userspace only lower feature fields, so a VMM that moves
      // a VM to another CPU type does not replay them (MPIDR, the vCPU's affinity, it does).
      if (is_id_register(id)) continue;
      call(set_reg_raw(v, id, &value), "KVM_SET_ONE_REG(" + who + ", " + hex(id) + ", " + hex(value.lo) +
                                          (kvm_model::one_reg_size(id) == 16 ? ":" + hex(value.hi) : "") + ")");
    }
    const kvm_mp_state st{c.mp_state};
    call(ioctl(vfd(v), KVM_SET_MP_STATE, &st), "KVM_SET_MP_STATE(" + who + ")");
    if (has_pmcr) {
      uint64_t now = 0;
      call(get_reg(v, kPmcrId, now), "KVM_GET_ONE_REG(" + who + ", PMCR_EL0)");
      const uint64_t want_n = pmu::pmcr::N(saved_pmcr), got_n = pmu::pmcr::N(now);
      if (want_n != got_n)
        throw MigrationRefused("restore refused: the snapshot's PMCR_EL0.N is " + std::to_string(want_n) +
                               " but the destination kept N = " + std::to_string(got_n) + " on " + who +
                               " (its PMU allows at most " + std::to_string(pmu::pmcr::N(dest_pmcr)) + " counters)");
    }
  }
  restore_vgic_state(gic_attr_fn(), vcpu_mpidrs(), s.vgic, opts_.restore_path);
  restored_instructions_ = s.instructions;
  out_.resets = s.resets;
}

// The vPMU's rules differ between eras (the N a restore can set, how the bitmaps and
// counters are written back, what a reset does), so a VM saved under one era is a different
// VM under another: restoring it there is refused unless the user asks for it.
void check_restore_era(const Snapshot& snap, const RunOptions& opts) {
  const auto saved = kvm_model::vpmu::parse_era(snap.kvm_era);
  if (!saved)
    throw InputError(opts.restore_path + ": the snapshot was taken under KVM era '" + snap.kvm_era +
                     "', which this pmuemu does not model (pmuemu --version lists the eras it models)");
  const auto wanted = kvm_model::vpmu::parse_era(opts.kvm_era);
  if (!wanted || *wanted == *saved || opts.allow_era_change) return;  // an unknown --kvm is reported by the VMM
  throw MigrationRefused("restore refused: " + opts.restore_path + " was taken under KVM era " +
                         std::string(kvm_model::vpmu::era_name(*saved)) + ", --kvm asks for era " +
                         std::string(kvm_model::vpmu::era_name(*wanted)) +
                         " (the vPMU rules differ; --allow-era-change restores it anyway)");
}
}  // namespace pmuemu::vmm::detail
