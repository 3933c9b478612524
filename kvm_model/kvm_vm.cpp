// The VM: guest memory slots, vCPU creation, the in-kernel vGIC device and its attributes,
// the SMCCC filter, kicks and TLBI broadcasts between vCPUs.
#include <algorithm>

#include "kvm_model/kvm.h"
#include "kvm_model/kvm_consts.h"

namespace kvm_model {
// ---------------- Vm ----------------
Vm::Vm(const HostDesc& host, const vpmu::HostPmus& pmus, vpmu::Era era)
    : host_(host), pmu_(pmus, era), era_(era), ctr_el0_(sanitised_ctr(host_)) {}
Vm::~Vm() = default;

int Vm::set_user_memory_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* userspace_addr) {
  if (slot != 0 || size == 0 || userspace_addr == nullptr) return -EINVAL;
  if ((gpa | size) & (cpu::kPageSize - 1)) return -EINVAL;
  if (!vcpus_.empty()) return -EEXIST;  // one slot, fixed before the vCPUs exist
  mem_ = std::make_unique<cpu::PhysMem>(userspace_addr, gpa, size);
  mem_->set_slots(slots_);
  mem_->set_gate(gate_);
  return 0;
}

void Vm::set_semihosting(bool on) {
  semihosting_ = on;
  for (const auto& v : vcpus_) v->core_->set_semihosting(on);
}

void Vm::set_host_page_gate(cpu::HostPageGate* g) {
  gate_ = g;
  if (mem_ != nullptr) mem_->set_gate(g);
}

void Vm::host_pages_dropped(const uint8_t* h, uint64_t len) {
  if (mem_ == nullptr) return;
  const auto lo = reinterpret_cast<uintptr_t>(h), hi = lo + len;
  auto overlaps = [&](const uint8_t* base, uint64_t size) {
    const auto b = reinterpret_cast<uintptr_t>(base);
    return lo < b + size && b < hi;
  };
  bool hit = overlaps(mem_->host(), mem_->size());
  for (const cpu::SlotRegion& s : slots_) hit |= overlaps(s.host, s.size);
  if (!hit) return;
  mem_->host_pages_dropped(h, len);
  // Walks may have cached leaves read from dropped table pages: kvm_tlb_flush_vmid_range().
  for (const auto& v : vcpus_) {
    if (threaded_) v->core_->post_tlbi(cpu::mmu::TlbiOp::kVmallE1, 0);
    else v->core_->tlbi(cpu::mmu::TlbiOp::kVmallE1, 0);
  }
}

void Vm::set_memory_slots(std::vector<cpu::SlotRegion> slots) {
  slots_ = std::move(slots);
  if (mem_ != nullptr) mem_->set_slots(slots_);
}

cpu::timing::TimingModel* Vm::timing_model(uint32_t pcpu) {
  if (!host_.cycle_timing) return nullptr;
  if (timing_.size() != host_.cpus.size()) timing_.resize(host_.cpus.size());
  auto& m = timing_.at(pcpu);
  if (m == nullptr) m = std::make_unique<cpu::timing::TimingModel>(host_.cpus[pcpu].timing);
  return m.get();
}

void Vm::set_threaded() {
  threaded_ = true;
  mem_->set_threaded(true);
  // Built on first use otherwise: build every pCPU's model now, before threads share them.
  for (uint32_t p = 0; p < host_.cpus.size(); ++p) timing_model(p);
}

void Vm::kick(unsigned id) {
  for (const auto& v : vcpus_) {
    if (v->id() != id) continue;
    v->core_->request_stop();
    if (kick_hook_) kick_hook_(id);
  }
}

void Vm::kick_changed(unsigned self) {
  if (!threaded_ || vgic_ == nullptr) return;
  for (unsigned id : vgic_->take_changed())
    if (id != self) kick(id);
}

// A TLBI *IS reaches every vCPU of the VM (the Inner Shareable domain). Threaded, another
// vCPU's TLB belongs to its thread, so the operation is posted and applied at its next
// block boundary (before its next DSB could observe anything, in practice).
void Vm::broadcast_tlbi(void* vm, cpu::Core& origin, cpu::mmu::TlbiOp op, uint64_t operand) {
  Vm& self = *static_cast<Vm*>(vm);
  for (const auto& v : self.vcpus_) {
    if (v->core_.get() == &origin) continue;
    if (self.threaded_) v->core_->post_tlbi(op, operand);
    else v->core_->tlbi(op, operand);
  }
}

int Vm::create_vcpu(unsigned id, Vcpu*& out) {
  if (mem_ == nullptr) return -EINVAL;  // the model needs guest memory before vCPUs
  if (vgic_) return -EBUSY;             // KVM refuses new vCPUs once the vGIC is initialised
  if (id >= 512) return -EINVAL;        // KVM_MAX_VCPUS on arm64
  for (const auto& v : vcpus_)
    if (v->id() == id) return -EEXIST;
  vcpus_.push_back(std::make_unique<Vcpu>(*this, id));
  out = vcpus_.back().get();
  return 0;
}

int Vm::create_device(uint32_t type) {
  if (type != KVM_DEV_TYPE_ARM_VGIC_V3) return -ENODEV;
  if (vgic_created_) return -EEXIST;
  // kvm_vgic_create(): not once a vCPU has run.
  for (const auto& v : vcpus_)
    if (v->has_run()) return -EBUSY;
  vgic_created_ = true;
  return 0;
}

namespace {
// uapi/asm/kvm.h: the attribute numbers and the REDIST_REGION encoding.
constexpr uint64_t kAddrRedistRegion = 5;
constexpr uint64_t kRdistIndexMask = 0xfff, kRdistFlagsMask = 0xfull << 12;
constexpr uint64_t kRdistBaseMask = 0xfffffffff0000ull;
constexpr unsigned kRdistCountShift = 52;
constexpr uint64_t kSz64K = 0x10000;
constexpr uint64_t kIpaSize = uint64_t{1} << kDefaultIpaBits;
constexpr uint32_t kCtrlSavePendingTables = 3;
constexpr unsigned kNrIrqsLegacy = 256;  // VGIC_NR_IRQS_LEGACY: CTRL_INIT without NR_IRQS
}  // namespace

int Vm::vgic_set_attr(uint32_t group, uint64_t attr, uint64_t value) {
  if (!vgic_created_) return -ENXIO;
  switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_ADDR: {
      // vgic_check_iorange(): set once, aligned, inside the IPA space.
      auto check = [](uint64_t cur, uint64_t addr, uint64_t size) {
        if (cur != kAddrUndef) return -EEXIST;
        if ((addr | size) & (kSz64K - 1)) return -EINVAL;
        if (addr + size < addr) return -EINVAL;
        if (addr + size > kIpaSize) return -E2BIG;
        return 0;
      };
      if (attr == KVM_VGIC_V3_ADDR_TYPE_DIST) {
        if (int rc = check(vgic_dist_, value, vgic::kDistSize); rc != 0) return rc;
        vgic_dist_ = value;
        // Addresses may follow CTRL_INIT (QEMU sets them once the machine is built): the
        // layout is what the first KVM_RUN maps, whenever it was given.
        if (vgic_) vgic_->set_layout(vgic_dist_, vgic_regions_);
        return 0;
      }
      if (attr == KVM_VGIC_V3_ADDR_TYPE_REDIST || attr == kAddrRedistRegion) {
        // vgic_v3_set_redist_base(): the legacy single base and the region list exclude each
        // other; regions are added at the next index.
        const bool legacy = attr == KVM_VGIC_V3_ADDR_TYPE_REDIST;
        const uint64_t base = legacy ? value : value & kRdistBaseMask;
        const uint32_t count = legacy ? 0 : static_cast<uint32_t>(value >> kRdistCountShift);
        const uint32_t index = legacy ? 0 : static_cast<uint32_t>(value & kRdistIndexMask);
        if (!legacy && (count == 0 || (value & kRdistFlagsMask))) return -EINVAL;
        // vgic_v3_alloc_redist_region(), in its order. A legacy base spans the vCPUs that
        // exist now (vgic_v3_rd_region_size).
        const uint64_t nvcpus = vcpus_.size();
        auto region_size = [nvcpus](uint32_t c) { return (c != 0 ? c : nvcpus) * vgic::kRedistStride; };
        const uint64_t size = region_size(count);
        if (base + size < base) return -EINVAL;
        // The first region has index 0; a legacy base after a counted region is refused,
        // after another legacy base it already exists; a new region takes the next index.
        if (vgic_regions_.empty()) {
          if (index != 0) return -EINVAL;
        } else {
          if (legacy) return vgic_regions_.back().count != 0 ? -EINVAL : -EEXIST;
          if (index != vgic_regions_.size()) return -EINVAL;
        }
        auto overlaps = [](uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz) { return a < b + bsz && b < a + asz; };
        if (legacy && vgic_dist_ != kAddrUndef && overlaps(base, size, vgic_dist_, vgic::kDistSize)) return -EINVAL;
        for (const auto& r : vgic_regions_)
          if (overlaps(base, size, r.base, region_size(r.count))) return -EINVAL;
        if (int rc = check(kAddrUndef, base, size); rc != 0) return rc;
        // vgic_register_all_redist_iodevs(): when the region gives an existing vCPU its
        // redistributor, vgic_v3_check_base() must hold (no frame over the distributor).
        uint64_t covered = 0;
        bool has_legacy = false;
        for (const auto& r : vgic_regions_) { covered += r.count; has_legacy |= r.count == 0; }
        if (!has_legacy && covered < nvcpus && vgic_dist_ != kAddrUndef) {
          if (overlaps(base, size, vgic_dist_, vgic::kDistSize)) return -EINVAL;
          for (const auto& r : vgic_regions_)
            if (overlaps(r.base, region_size(r.count), vgic_dist_, vgic::kDistSize)) return -EINVAL;
        }
        vgic_regions_.push_back({base, count});
        if (vgic_) vgic_->set_layout(vgic_dist_, vgic_regions_);
        return 0;
      }
      return -ENXIO;
    }
    case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
      // At least the 32 private interrupts plus 32 SPIs, a multiple of 32, at most 1024.
      if (value < 64 || value > 1024 || value % 32) return -EINVAL;
      if (vgic_nr_irqs_ != 0 || vgic_) return -EBUSY;  // set once; INIT picked a default
      vgic_nr_irqs_ = static_cast<uint32_t>(value);
      return 0;
    case KVM_DEV_ARM_VGIC_GRP_CTRL:
      if (attr == kCtrlSavePendingTables) {
        // vgic_v3_save_pending_tables(): -ENXIO before CTRL_INIT; each mapped LPI's pending
        // bit into its target's pending table.
        if (vgic_ == nullptr) return -ENXIO;
        const auto lk = lock();
        return vgic_->save_pending_tables();
      }
      if (attr != KVM_DEV_ARM_VGIC_CTRL_INIT) return -ENXIO;
      if (vgic_) return 0;  // vgic_init() is idempotent
      {
        // The model's vGIC state is indexed by vCPU id (its redistributor and MPIDR follow
        // the id, as KVM's do), and KVM allows sparse ids: size it by the largest id.
        unsigned ids = 0;
        for (const auto& v : vcpus_) ids = std::max(ids, v->id() + 1);
        if (vgic_nr_irqs_ == 0) vgic_nr_irqs_ = kNrIrqsLegacy;
        vgic_ = std::make_unique<vgic::Vgic>(std::max(ids, 1u), vgic_nr_irqs_);
        vgic_->set_layout(vgic_dist_, vgic_regions_);
        std::vector<unsigned> order;  // redistributors go to vCPUs in creation order
        for (const auto& v : vcpus_) order.push_back(v->id());
        vgic_->set_vcpu_order(order);
        connect_vgic_memory();
      }
      return 0;
    default:
      return -ENXIO;
  }
}

int Vm::vgic_get_attr(uint32_t group, uint64_t attr, uint64_t& value) const {
  if (!vgic_created_) return -ENXIO;
  switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_ADDR:
      if (attr == KVM_VGIC_V3_ADDR_TYPE_DIST) {
        value = vgic_dist_;
        return 0;
      }
      if (attr == KVM_VGIC_V3_ADDR_TYPE_REDIST) {
        value = vgic_regions_.empty() ? kAddrUndef : vgic_regions_.front().base;
        return 0;
      }
      if (attr == kAddrRedistRegion) {
        const uint64_t index = value & kRdistIndexMask;
        if (index >= vgic_regions_.size()) return -ENOENT;
        const auto& r = vgic_regions_[index];
        value = index | r.base | (uint64_t{r.count} << kRdistCountShift);
        return 0;
      }
      return -ENXIO;
    case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
      value = vgic_nr_irqs_ == 0 ? 32 : vgic_nr_irqs_;  // nr_spis + 32: 32 while unset
      return 0;
    default:
      return -ENXIO;
  }
}

int Vm::vgic_has_attr(uint32_t group, uint64_t attr) const {
  if (!vgic_created_) return -ENXIO;
  switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_ADDR:
      return attr == KVM_VGIC_V3_ADDR_TYPE_DIST || attr == KVM_VGIC_V3_ADDR_TYPE_REDIST || attr == kAddrRedistRegion
                 ? 0
                 : -ENXIO;
    case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
      return 0;
    case KVM_DEV_ARM_VGIC_GRP_CTRL:
      return attr == KVM_DEV_ARM_VGIC_CTRL_INIT || attr == kCtrlSavePendingTables ? 0 : -ENXIO;
    default:
      return -ENXIO;
  }
}

int Vm::vgic_map_resources() {
  if (!vgic_created_) return 0;
  // vgic_v3_map_resources(), in its order: every vCPU needs a redistributor and the
  // distributor an address (-ENXIO), the frames must not overlap or leave the IPA space
  // (vgic_v3_check_base, -EINVAL), and only then must the vGIC be initialised (-EBUSY).
  // Redistributors are handed out region by region in vCPU order (a legacy REDIST base
  // covers every vCPU).
  const uint64_t nvcpus = vcpus_.size();
  {
    uint64_t covered = 0;
    bool legacy = false;
    for (const auto& r : vgic_regions_) {
      if (r.count == 0) legacy = true;
      covered += r.count;
    }
    if (!legacy && covered < nvcpus) return -ENXIO;
  }
  if (vgic_dist_ == kAddrUndef) return -ENXIO;
  for (const auto& r : vgic_regions_) {
    const uint64_t size = (r.count != 0 ? r.count : nvcpus) * vgic::kRedistStride;
    if (r.base + size < r.base || r.base + size > kIpaSize) return -EINVAL;
    if (vgic_dist_ < r.base + size && r.base < vgic_dist_ + vgic::kDistSize) return -EINVAL;
  }
  if (!vgic_) return -EBUSY;  // a GICv3 must be initialised by userspace
  for (const auto& v : vcpus_)
    if (vgic_->redist_base(v->id()) == kAddrUndef) return -ENXIO;
  return 0;
}

int Vm::vgic_set_owner(unsigned vcpu, int intid, IrqOwner owner) {
  if (!vgic_) return -EAGAIN;
  const bool ppi = intid >= 16 && intid < 32;
  if (!ppi && !(intid >= 32 && static_cast<unsigned>(intid) < vgic_nr_irqs_)) return -EINVAL;
  const auto key = std::make_pair(ppi ? vcpu : ~0u, intid);
  const auto it = irq_owner_.find(key);
  if (it != irq_owner_.end() && it->second != owner) return -EEXIST;
  irq_owner_[key] = owner;
  return 0;
}

int Vm::set_smccc_filter(uint32_t base, uint32_t nr_functions, uint8_t action) {
  const uint32_t last = base + nr_functions - 1;
  if (nr_functions == 0 || last < base || action > KVM_SMCCC_FILTER_FWD_TO_USER) return -EINVAL;
  if (has_run()) return -EBUSY;
  auto& f = smccc_.filter;
  if (f.empty()) {
    // kvm_smccc_filter_insert_reserved(): the SMCCC architecture calls (32- and 64-bit
    // fast calls of owner 0) stay KVM's, so a VMM cannot misreport Spectre mitigations.
    f.push_back({0x80000000u, 0x8000ffffu, KVM_SMCCC_FILTER_HANDLE});
    f.push_back({0xc0000000u, 0xc000ffffu, KVM_SMCCC_FILTER_HANDLE});
  }
  for (const auto& r : f)
    if (base <= r.last && last >= r.first) return -EEXIST;
  f.push_back({base, last, action});
  return 0;
}

bool Vm::has_run() const {
  for (const auto& v : vcpus_)
    if (v->has_run()) return true;
  return false;
}

bool Vm::guest_memory_present(uint64_t gpa, size_t len) {
  if (mem_ != nullptr && mem_->contains(gpa, len)) return true;
  return guest_memory_hook_ && guest_memory_hook_(gpa, nullptr, len, false);
}

bool Vm::write_guest(uint64_t gpa, const void* data, size_t len) {
  if (mem_ != nullptr && mem_->contains(gpa, len)) {
    mem_->write(gpa, data, len);  // keeps the core's decoded-code cache coherent
    return true;
  }
  return guest_memory_hook_ && guest_memory_hook_(gpa, const_cast<void*>(data), len, true);
}

bool Vm::read_guest(uint64_t gpa, void* data, size_t len) {
  if (mem_ != nullptr && mem_->contains(gpa, len)) {
    cpu::guest_copy(data, mem_->ptr(gpa), len);
    return true;
  }
  return guest_memory_hook_ && guest_memory_hook_(gpa, data, len, false);
}

uint64_t Vm::next_random() {
  // splitmix64
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int Vm::irq_line(unsigned spi, bool level) {
  if (vgic_ == nullptr) return -ENXIO;
  const unsigned intid = 32 + spi;
  if (spi >= 988 || intid >= vgic_nr_irqs_) return -EINVAL;
  const auto lk = lock();
  vgic_->inject_irq(0, intid, level);
  // Each vCPU's core picks its output up at its next entry (sync_interrupts); threaded, a
  // vCPU blocked in WFI or running guest code is kicked to look now.
  if (threaded_)
    for (unsigned id : vgic_->take_changed()) kick(id);
  return 0;
}

int Vm::arm_preferred_target(kvm_vcpu_init& init) const {
  init = kvm_vcpu_init{};
  init.target = KVM_ARM_TARGET_GENERIC_V8;
  return 0;
}

int Kvm::create_vm(std::unique_ptr<Vm>& out) const {
  if (host_.cpus.empty()) return -ENODEV;
  out = std::make_unique<Vm>(host_, pmus_, era_);
  return 0;
}

vpmu::IrqChipState Vm::irqchip_state() {
  vpmu::IrqChipState chip;
  chip.in_kernel = vgic_created_;
  chip.initialized = vgic_ != nullptr;
  chip.nr_spis = vgic_nr_irqs_ == 0 ? 0 : vgic_nr_irqs_ - 32;
  chip.set_owner = [this](unsigned vcpu, int intid) { return vgic_set_owner(vcpu, intid, IrqOwner::kPmu); };
  return chip;
}

Vcpu* Vm::find_vcpu_by_mpidr(uint64_t mpidr) {
  constexpr uint64_t kAff = 0xff00ffffffull;
  for (const auto& v : vcpus_)
    if ((v->mpidr() & kAff) == (mpidr & kAff)) return v.get();
  return nullptr;
}
}  // namespace kvm_model
