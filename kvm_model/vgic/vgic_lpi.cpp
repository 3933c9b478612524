// LPIs of the vGICv3 (IHI 0069 "LPIs"), as KVM's vgic keeps them: a state per mapped INTID
// whose configuration (priority, enable) is a cached copy of the guest's LPI configuration
// table, refreshed only when the LPI is mapped and at INV/INVALL, and whose pending bit lives
// in the model while the LPI is mapped (the guest's pending table is read when the LPI is
// mapped and when a redistributor enables LPIs). The ITS (its.cpp) maps and triggers them.
#include <algorithm>
#include <cerrno>

#include "kvm_model/vgic/vgic.h"

namespace kvm_model::vgic {

namespace {
// KVM's INITIAL_PROPBASER_VALUE: inner RaWb, outer same as inner, Inner Shareable.
constexpr uint64_t kInitialPropbaser = (uint64_t{3} << 7) | (uint64_t{1} << 10);
}  // namespace

void Vgic::enable_lpi_support() {
  if (s_.lpis_supported) return;
  s_.lpis_supported = true;
  s_.propbaser = kInitialPropbaser;
}

uint32_t Vgic::lpi_limit() const {
  const unsigned bits = std::min(lpi_tables::PropIdBits(s_.propbaser), kLpiIdBits);
  return uint32_t{1} << bits;
}

void Vgic::lpi_reindex(uint32_t intid, long old_target, bool old_latch) {
  if (old_latch && old_target >= 0 && old_target < static_cast<long>(num_vcpus()))
    lpi_pending_[static_cast<size_t>(old_target)].erase(intid);
  const auto it = s_.lpis.find(intid);
  if (it == s_.lpis.end()) return;
  const LpiState& l = it->second;
  if (l.irq.latch && l.target >= 0 && l.target < static_cast<long>(num_vcpus()))
    lpi_pending_[static_cast<size_t>(l.target)].insert(intid);
}

void Vgic::rebuild_lpi_index() {
  for (auto& p : lpi_pending_) p.clear();
  for (auto it = s_.lpis.begin(); it != s_.lpis.end();) {
    // A snapshot may hold INTIDs no LPI can have: they are not LPIs.
    if (it->first < kFirstLpi || it->first >= (1u << kLpiIdBits)) {
      it = s_.lpis.erase(it);
      continue;
    }
    it->second.irq.edge = true;
    it->second.irq.active = false;
    if (it->second.irq.latch && it->second.target >= 0 && it->second.target < static_cast<long>(num_vcpus()))
      lpi_pending_[static_cast<size_t>(it->second.target)].insert(it->first);
    ++it;
  }
}

int Vgic::lpi_get(uint32_t intid, long target) {
  if (auto it = s_.lpis.find(intid); it != s_.lpis.end()) {
    ++it->second.refs;
    return 0;
  }
  LpiState l;
  l.irq.edge = true;
  l.target = target;
  l.refs = 1;
  // The configuration byte (update_lpi_config) and the pending bit in the target's pending
  // table (vgic_v3_lpi_sync_pending_status), which is consumed: cleared in memory.
  uint8_t prop = 0;
  if (!guest_read((s_.propbaser & lpi_tables::kPropAddrMask) + intid - kFirstLpi, &prop, 1)) return -EFAULT;
  l.irq.priority = static_cast<uint8_t>(lpi_tables::ConfigPriority(prop) & kPriorityMask);
  l.irq.enabled = lpi_tables::ConfigEnable(prop);
  if (target >= 0 && target < static_cast<long>(num_vcpus())) {
    const uint64_t byte = (s_.cpus[static_cast<size_t>(target)].pendbaser & lpi_tables::kPendAddrMask) + intid / 8;
    uint8_t pend = 0;
    if (!guest_read(byte, &pend, 1)) return -EFAULT;
    l.irq.latch = (pend >> (intid % 8)) & 1;
    if (l.irq.latch) {
      pend = static_cast<uint8_t>(pend & ~(1u << (intid % 8)));
      if (!guest_write(byte, &pend, 1)) return -EFAULT;
    }
  }
  s_.lpis.emplace(intid, l);
  lpi_reindex(intid, -1, false);
  if (target >= 0 && target < static_cast<long>(num_vcpus())) refresh(static_cast<unsigned>(target));
  return 0;
}

void Vgic::lpi_put(uint32_t intid) {
  const auto it = s_.lpis.find(intid);
  if (it == s_.lpis.end()) return;
  if (--it->second.refs != 0) return;
  const long t = it->second.target;
  const bool latch = it->second.irq.latch;
  s_.lpis.erase(it);
  lpi_reindex(intid, t, latch);
  if (t >= 0 && t < static_cast<long>(num_vcpus())) refresh(static_cast<unsigned>(t));
}

void Vgic::lpi_set_target(uint32_t intid, long target, long only_from) {
  const auto it = s_.lpis.find(intid);
  if (it == s_.lpis.end()) return;
  LpiState& l = it->second;
  if (only_from >= 0 && l.target != only_from) return;
  const long old = l.target;
  l.target = target;
  lpi_reindex(intid, old, l.irq.latch);
  if (old >= 0 && old < static_cast<long>(num_vcpus())) refresh(static_cast<unsigned>(old));
  if (target >= 0 && target < static_cast<long>(num_vcpus())) refresh(static_cast<unsigned>(target));
}

void Vgic::lpi_move_all(unsigned from, unsigned to) {
  std::vector<uint32_t> ids;
  for (const auto& [intid, l] : s_.lpis)
    if (l.target == static_cast<long>(from)) ids.push_back(intid);
  for (uint32_t intid : ids) lpi_set_target(intid, to, from);
}

void Vgic::lpi_set_pending(uint32_t intid, bool pending) {
  const auto it = s_.lpis.find(intid);
  if (it == s_.lpis.end()) return;
  LpiState& l = it->second;
  const bool was = l.irq.latch;
  l.irq.latch = pending;
  lpi_reindex(intid, l.target, was);
  if (l.target >= 0 && l.target < static_cast<long>(num_vcpus())) refresh(static_cast<unsigned>(l.target));
}

int Vgic::lpi_update_config(uint32_t intid, long filter) {
  const auto it = s_.lpis.find(intid);
  if (it == s_.lpis.end()) return 0;
  uint8_t prop = 0;
  if (!guest_read((s_.propbaser & lpi_tables::kPropAddrMask) + intid - kFirstLpi, &prop, 1)) return -EFAULT;
  LpiState& l = it->second;
  if (filter >= 0 && l.target != filter) return 0;
  l.irq.priority = static_cast<uint8_t>(lpi_tables::ConfigPriority(prop) & kPriorityMask);
  l.irq.enabled = lpi_tables::ConfigEnable(prop);
  if (l.target >= 0 && l.target < static_cast<long>(num_vcpus())) refresh(static_cast<unsigned>(l.target));
  return 0;
}

void Vgic::lpi_invall(unsigned vcpu) {
  std::vector<uint32_t> ids;
  for (const auto& [intid, l] : s_.lpis) ids.push_back(intid);
  for (uint32_t intid : ids) lpi_update_config(intid, vcpu);
}

int Vgic::save_pending_tables() {
  int rc = 0;
  for (const auto& [intid, l] : s_.lpis) {
    if (l.target < 0 || l.target >= static_cast<long>(num_vcpus())) continue;
    const uint64_t byte = (s_.cpus[static_cast<size_t>(l.target)].pendbaser & lpi_tables::kPendAddrMask) + intid / 8;
    uint8_t v = 0;
    if (!guest_read(byte, &v, 1)) {
      rc = -EFAULT;
      continue;
    }
    const uint8_t bit = static_cast<uint8_t>(1u << (intid % 8));
    if (((v & bit) != 0) == l.irq.latch) continue;
    v = l.irq.latch ? static_cast<uint8_t>(v | bit) : static_cast<uint8_t>(v & ~bit);
    if (!guest_write(byte, &v, 1)) return -EFAULT;
  }
  return rc;
}

// vgic_mmio_write_v3r_ctlr(): enabling syncs the pending bits of the LPIs targeting the vCPU
// from its pending table, unless the guest said the table is zero (PTZ); disabling drops
// every pending LPI of the vCPU.
void Vgic::write_enable_lpis(unsigned vcpu, bool enable) {
  RedistState& r = s_.cpus[vcpu];
  if (!s_.lpis_supported || r.enable_lpis == enable) return;
  r.enable_lpis = enable;
  if (!enable) {
    const std::set<uint32_t> ids = lpi_pending_[vcpu];
    for (uint32_t intid : ids) lpi_set_pending(intid, false);
  } else if (!(r.pendbaser & lpi_tables::kPendPTZ)) {
    // its_sync_lpi_pending_table(): the bit is read (not consumed) for each LPI targeting
    // this vCPU; an unreadable byte ends the sync.
    const uint64_t base = r.pendbaser & lpi_tables::kPendAddrMask;
    std::vector<uint32_t> ids;
    for (const auto& [intid, l] : s_.lpis)
      if (l.target == static_cast<long>(vcpu)) ids.push_back(intid);
    for (uint32_t intid : ids) {
      uint8_t pend = 0;
      if (!guest_read(base + intid / 8, &pend, 1)) break;
      lpi_set_pending(intid, ((pend >> (intid % 8)) & 1) != 0);
    }
  }
  refresh(vcpu);
}

}  // namespace kvm_model::vgic
