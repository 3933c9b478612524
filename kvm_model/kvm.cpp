#include "kvm_model/kvm.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

#include "cpu/interp/port_access.h"
#include "cpu/sysreg/sysregs.h"

namespace kvm_model {
namespace {

// The defined bits of FPSR and FPCR (what MSR keeps: cpu/sysreg/sysregs.cpp).
constexpr uint64_t kFpsrMask = 0xf800009f, kFpcrMask = 0x07ff9f00;

// The size a core-register offset has in struct kvm_regs (arch/arm64/kvm/guest.c
// core_reg_size_from_offset), whatever size the id itself claims; 0 for an id that is not
// a valid core register.
size_t core_reg_size(uint64_t id) {
  if ((id & ~KVM_REG_SIZE_MASK & ~uint64_t{0xffff}) != (KVM_REG_ARM64 | KVM_REG_ARM_CORE)) return 0;
  const unsigned off = static_cast<unsigned>(id & 0xffff);
  if (off < 2 * (36 + 5)) return off % 2 == 0 ? 8 : 0;        // regs[31], sp, pc, pstate, sp_el1, elr_el1, spsr[5]
  if (off >= kFpRegsU32 && off < kFpRegsU32 + 128) return (off - kFpRegsU32) % 4 == 0 ? 16 : 0;
  if (off == kFpRegsU32 + 128 || off == kFpRegsU32 + 129) return 4;  // fpsr, fpcr
  return 0;
}
// The error for an id no handler took (get_core_reg/set_core_reg): a core id reaching past
// struct kvm_regs (216 32-bit words) is -ENOENT; one inside it that is not a register of
// that size (padding, a V register through the 8-byte API, a mismatched size) is -EINVAL.
int core_reg_error(uint64_t id) {
  if ((id & ~KVM_REG_SIZE_MASK & ~uint64_t{0xffff}) != (KVM_REG_ARM64 | KVM_REG_ARM_CORE)) return -ENOENT;
  constexpr uint64_t kKvmRegsU32 = kFpRegsU32 + 128 + 4;
  const uint64_t off = id & 0xffff;
  return off + one_reg_size(id) / 4 >= kKvmRegsU32 ? -ENOENT : -EINVAL;
}
bool is_vreg_id(uint64_t id) { return core_reg_size(id) == 16 && one_reg_size(id) == 16; }
unsigned vreg_index(uint64_t id) { return static_cast<unsigned>(((id & 0xffff) - kFpRegsU32) / 4); }

// MPIDR_EL1 for a vCPU id, as KVM's reset_mpidr builds it: Aff0 = id[3:0],
// Aff1 = id[11:4], Aff2 = id[19:12], bit 31 RES1.
uint64_t mpidr_for(unsigned id) {
  return 0x80000000ull | (id & 0x0f) | (uint64_t{(id >> 4) & 0xff} << 8) | (uint64_t{(id >> 12) & 0xff} << 16);
}

// ---- PSCI 1.1 and SMCCC 1.1 function ids (Arm DEN0022, DEN0028) ----
constexpr uint64_t kPsciRetSuccess = 0;
constexpr uint64_t kPsciRetNotSupported = static_cast<uint64_t>(-1);
constexpr uint64_t kPsciRetInvalidParams = static_cast<uint64_t>(-2);
constexpr uint64_t kPsciRetAlreadyOn = static_cast<uint64_t>(-4);
constexpr uint64_t kPsciRetOnPending = static_cast<uint64_t>(-5);
constexpr uint64_t kPsciRetInvalidAddress = static_cast<uint64_t>(-9);
// MPIDR_HWID_BITMASK: Aff3 and Aff2..Aff0. PSCI reserves every other bit of a target
// affinity argument, and KVM refuses a set one (kvm_psci_valid_affinity).
constexpr uint64_t kMpidrHwidMask = 0xff00ffffffull;
// KVM_CREATE_VM type 0 gives the default 40-bit IPA space (KVM_PHYS_SHIFT); a CPU_ON entry
// point outside it is refused (kvm_ipa_valid).
constexpr unsigned kDefaultIpaBits = 40;
constexpr uint64_t kPsciAffinityOn = 0, kPsciAffinityOff = 1;
constexpr uint32_t kPsciVersion01 = 0, kPsciVersion10 = 0x00010000, kPsciVersion11 = 0x00010001;
constexpr uint64_t kSmcccVersion11 = 0x00010001;

bool pstate_mode_valid(uint64_t pstate) {
  const unsigned m = pstate & 0x1f;
  return m == 0x0 || m == 0x4 || m == 0x5;  // EL0t, EL1t, EL1h (no AArch32, no EL2)
}

}  // namespace

// ---------------- Vm ----------------
Vm::Vm(const HostDesc& host, const vpmu::HostPmus& pmus, vpmu::Era era)
    : host_(host), pmu_(pmus, era), era_(era), ctr_el0_(sanitised_ctr(host_)) {}
Vm::~Vm() = default;

int Vm::set_user_memory_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* userspace_addr) {
  if (slot != 0 || size == 0 || userspace_addr == nullptr) return -EINVAL;
  if ((gpa | size) & (cpu::kPageSize - 1)) return -EINVAL;
  if (!vcpus_.empty()) return -EEXIST;  // one slot, fixed before the vCPUs exist
  mem_ = std::make_unique<cpu::PhysMem>(userspace_addr, gpa, size);
  return 0;
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
      if (attr == kCtrlSavePendingTables) return 0;  // no ITS: no tables to save
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
  vgic_->set_irq_level(0, intid, level);
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

// ---------------- Vcpu ----------------
Vcpu::Vcpu(Vm& vm, unsigned id) : vm_(vm), id_(id), frequency_mhz_(vm.host().cpus.front().frequency_mhz) {
  cpu::IdRegs ids = vm.host().cpus.front().ids;
  ids.mpidr = mpidr_for(id);
  ids.ctr = vm.ctr_el0_;
  vm.apply_written_ids(ids);
  core_ = std::make_unique<cpu::Core>(*vm.mem(), ids);
  timer_.set_cntvoff(vm.voffset_);
  timer_.set_cntpoff(vm.poffset_);
  core_->set_sysreg_port(this);
  core_->set_smc_traps(true);  // KVM runs guests with HCR_EL2.TSC set
  core_->set_timing_model(vm.timing_model(pcpu_));
  vpmu_ = std::make_unique<vpmu::VcpuPmu>(vm.pmu(), id);
  // Functional timing: one cycle per instruction, so the vPMU counts off the core's
  // retired-instruction counts itself (set_clock), counter by counter as they are accessed.
  if (!vm.host().cycle_timing) vpmu_->use_insn_clock();
  // The PMU's overflow interrupt is a level on its IRQ (PPI 23 for every vCPU, or an SPI).
  core_->set_tlbi_broadcast(&Vm::broadcast_tlbi, &vm);
  vpmu_->set_irq_sink([this](bool level) {
    vgic::Vgic* gic = vm_.vgic();
    if (gic == nullptr || vpmu_->irq_num() < 16) return;
    const auto lk = vm_.lock();
    gic->set_irq_level(id_, static_cast<unsigned>(vpmu_->irq_num()), level);
    // The level reaches this core at once (an overflow at a trapped access is taken right
    // after it); an SPI may instead have gone to another vCPU.
    core_->set_irq_pending(gic->irq_pending(id_));
    vm_.kick_changed(id_);
  });
}
Vcpu::~Vcpu() = default;

int Vcpu::reset_vcpu(const char* cause, vpmu::ResetTrace& trace) {
  // kvm_reset_vcpu() zeroes the general registers and fp_regs (V0-V31, FPSR, FPCR): the
  // core's reset does both. The AArch32 banked SPSRs are kvm_regs storage and go with them.
  core_->reset(0);
  std::fill(std::begin(spsr_aarch32_), std::end(spsr_aarch32_), uint64_t{0});
  reset_kvm_stored_regs();
  timer_.reset();
  mmio_read_pending_ = false;
  // kvm_reset_vcpu(): the PMU part runs on the pCPU executing the reset (6.6 reads its PMCR).
  const int rc = vpmu::vcpu_reset(*vpmu_, pcpu_, &trace);
  // The guest's ID_AA64DFR0_EL1.PMUVer is the VM's (0 without the PMU feature).
  cpu::IdRegs ids = core_->ids();
  ids.id_aa64dfr0 = (ids.id_aa64dfr0 & ~uint64_t{0xf00}) | (uint64_t{vm_.pmu().pmuver()} << 8);
  core_->set_ids(ids);
  if (reset_trace_) reset_trace_(id_, pcpu_, cause, trace);
  mp_state_ = (features_.features[0] >> KVM_ARM_VCPU_POWER_OFF) & 1 ? KVM_MP_STATE_STOPPED
                                                                     : KVM_MP_STATE_RUNNABLE;
  return rc;
}

int Vcpu::arm_vcpu_init(const kvm_vcpu_init& init) {
  if (init.target != KVM_ARM_TARGET_GENERIC_V8) return -EINVAL;
  constexpr uint32_t kValid = (1u << KVM_ARM_VCPU_POWER_OFF) | (1u << KVM_ARM_VCPU_PSCI_0_2) |
                              (1u << KVM_ARM_VCPU_PMU_V3) | (1u << KVM_ARM_VCPU_EL1_32BIT);
  // KVM_ARM_VCPU_PMU_V3_STRICT exists only in the eras that have it (7.3).
  const uint32_t strict_bit = vpmu::policy(vm_.era_).has_pmu_v3_strict ? 1u << KVM_ARM_VCPU_PMU_V3_STRICT : 0;
  if (init.features[0] & ~(kValid | strict_bit)) return -ENOENT;
  for (int i = 1; i < 7; ++i)
    if (init.features[i] != 0) return -ENOENT;
  if (init.features[0] & (1u << KVM_ARM_VCPU_EL1_32BIT)) return -EINVAL;  // no AArch32 EL1
  // A re-init must ask for the same features (power-off aside).
  constexpr uint32_t kPowerOff = 1u << KVM_ARM_VCPU_POWER_OFF;
  if (initialised_ && ((features_.features[0] ^ init.features[0]) & ~kPowerOff)) return -EINVAL;
  // 6.7+ (kvm_vcpu_init_changed against kvm->arch.vcpu_features): every vCPU of the VM gets
  // the features of the first one initialised; the power-off bit is per call.
  const bool vm_wide = vpmu::policy(vm_.era_).vm_wide_vcpu_features;
  if (vm_wide && vm_.features_configured_ && ((vm_.vm_features_ ^ init.features[0]) & ~kPowerOff)) return -EINVAL;
  const bool has_pmu = (init.features[0] >> KVM_ARM_VCPU_PMU_V3) & 1;
  vpmu::ResetTrace trace;
  // The vCPU's own thread executes KVM_ARM_VCPU_INIT, on the pCPU it is placed on.
  const bool strict = (init.features[0] >> KVM_ARM_VCPU_PMU_V3_STRICT) & 1;
  if (int rc = vpmu::vcpu_init(*vpmu_, has_pmu, !initialised_, pcpu_, &trace, strict); rc != 0) return rc;
  features_ = init;
  // KVM_ARM_VCPU_INIT resets the vCPU: a PSCI CPU_ON still pending from before (say, a
  // system reset raced with it) is dropped with the rest of its state, as Linux drops the
  // pending KVM_REQ_VCPU_RESET's reset_state.
  psci_reset_pending_ = false;
  if (int rc = reset_vcpu("KVM_ARM_VCPU_INIT", trace); rc != 0) return rc;
  initialised_ = true;
  if (vm_wide && !vm_.features_configured_) {
    vm_.vm_features_ = init.features[0] & ~kPowerOff;
    vm_.features_configured_ = true;
  }
  return 0;
}

int Vcpu::get_reg_list(std::vector<uint64_t>& ids) {
  if (!initialised_) return -ENOEXEC;
  ids.clear();
  for (unsigned n = 0; n <= 30; ++n) ids.push_back(kRegX(n));
  for (uint64_t id : {kRegSp, kRegPc, kRegPstate, kRegSpEl1, kRegElrEl1, kRegSpsrEl1}) ids.push_back(id);
  // Then, in struct kvm_regs order (arch/arm64/kvm/guest.c walks it by offset): spsr[1..4],
  // fp_regs.vregs[0..31] (U128), fpsr and fpcr (U32).
  for (unsigned n = 1; n <= 4; ++n) ids.push_back(kRegSpsr(n));
  for (unsigned n = 0; n < 32; ++n) ids.push_back(kRegV(n));
  ids.push_back(kRegFpsr);
  ids.push_back(kRegFpcr);
  // System registers in ascending id order, as the kernel emits its sorted table.
  std::vector<uint64_t> sysregs;
  append_state_regs(sysregs);
  vpmu::append_reg_list(*vpmu_, sysregs);
  std::sort(sysregs.begin(), sysregs.end());
  ids.insert(ids.end(), sysregs.begin(), sysregs.end());
  return 0;
}

namespace {
// uapi/asm/kvm.h: the vCPU attribute groups besides the PMU's.
constexpr uint32_t kTimerCtrl = 1, kPvtimeCtrl = 2;
constexpr uint64_t kTimerIrqVtimer = 0, kTimerIrqPtimer = 1, kTimerIrqHvtimer = 2, kTimerIrqHptimer = 3;
constexpr uint64_t kPvtimeIpa = 0;
constexpr uint64_t kInvalidGpa = ~uint64_t{0};
}  // namespace

int Vcpu::set_device_attr(uint32_t group, uint64_t attr, const void* addr) {
  if (group == kTimerCtrl) {
    // kvm_arm_timer_set_attr(): needs the in-kernel vGIC; a PPI; VM-wide and fixed once a
    // vCPU has run. Checked for uniqueness only at the first run (the timer's ownership).
    if (!vm_.vgic_created_) return -EINVAL;
    if (addr == nullptr) return -EFAULT;
    int irq;
    std::memcpy(&irq, addr, sizeof irq);
    if (irq < 16 || irq >= 32) return -EINVAL;
    if (vm_.timer_ppis_immutable_) return -EBUSY;
    if (attr == kTimerIrqVtimer || attr == kTimerIrqPtimer) {
      vm_.timer_ppi_[attr == kTimerIrqVtimer ? 0 : 1] = static_cast<unsigned>(irq);
      return 0;
    }
    return attr == kTimerIrqHvtimer || attr == kTimerIrqHptimer ? 0 : -ENXIO;  // no NV: stored nowhere
  }
  if (group == kPvtimeCtrl) {
    // kvm_arm_pvtime_set_attr(): 64-byte aligned, set once, inside a memory slot.
    if (attr != kPvtimeIpa) return -ENXIO;
    if (addr == nullptr) return -EFAULT;
    uint64_t ipa;
    std::memcpy(&ipa, addr, sizeof ipa);
    if (ipa & 63) return -EINVAL;
    if (pvtime_ipa_ != kInvalidGpa) return -EEXIST;
    // kvm_arm_pvtime_set_attr(): the page must be in a memory slot (any slot).
    if (!vm_.guest_memory_present(ipa & ~uint64_t{4095}, 4096)) return -EINVAL;
    pvtime_ipa_ = ipa;
    return 0;
  }
  vpmu::IrqChipState chip = vm_.irqchip_state();
  return vpmu::set_device_attr(*vpmu_, group, attr, addr, chip, vm_.vmm_pcpu());
}
int Vcpu::get_device_attr(uint32_t group, uint64_t attr, void* addr) {
  if (group == kTimerCtrl) {
    if (attr > kTimerIrqHptimer) return -ENXIO;
    if (addr == nullptr) return -EFAULT;
    // The hypervisor timers of NV: KVM's defaults 28 and 26.
    const int irq = attr == kTimerIrqVtimer   ? static_cast<int>(vm_.timer_ppi_[0])
                    : attr == kTimerIrqPtimer ? static_cast<int>(vm_.timer_ppi_[1])
                    : attr == kTimerIrqHvtimer ? 28 : 26;
    std::memcpy(addr, &irq, sizeof irq);
    return 0;
  }
  if (group == kPvtimeCtrl) {
    if (attr != kPvtimeIpa) return -ENXIO;
    if (addr == nullptr) return -EFAULT;
    std::memcpy(addr, &pvtime_ipa_, sizeof pvtime_ipa_);
    return 0;
  }
  return vpmu::get_device_attr(*vpmu_, group, attr, addr, vm_.irqchip_state());
}
int Vcpu::has_device_attr(uint32_t group, uint64_t attr) {
  if (group == kTimerCtrl) return attr <= kTimerIrqHptimer ? 0 : -ENXIO;
  if (group == kPvtimeCtrl) return attr == kPvtimeIpa ? 0 : -ENXIO;
  return vpmu::has_device_attr(*vpmu_, group, attr);
}

vpmu::IrqChipState Vm::irqchip_state() {
  vpmu::IrqChipState chip;
  chip.in_kernel = vgic_created_;
  chip.initialized = vgic_ != nullptr;
  chip.nr_spis = vgic_nr_irqs_ == 0 ? 0 : vgic_nr_irqs_ - 32;
  chip.set_owner = [this](unsigned vcpu, int intid) { return vgic_set_owner(vcpu, intid, IrqOwner::kPmu); };
  return chip;
}

int Vcpu::get_one_reg(uint64_t id, uint64_t& value) {
  if (!initialised_) return -ENOEXEC;
  // Linux's vCPU ioctl handles a reset owed to PSCI CPU_ON before any register access, so
  // that userspace sees the state the vCPU will start from.
  apply_pending_psci_reset();
  if (vpmu::owns_one_reg_id(id)) return vpmu::get_one_reg(*vpmu_, id, value);
  if (owns_state_reg(id)) return get_state_reg(id, value);
  const cpu::CpuState& s = core_->state();
  if (id >= kRegX(0) && id <= kRegX(30) && ((id - kRegX(0)) & 1) == 0) {
    value = s.r[(id - kRegX(0)) / 2];
    return 0;
  }
  const bool on_el0_sp = s.el == 0 || s.spsel == 0;
  if (id == kRegSp) { value = on_el0_sp ? s.r[cpu::kRegSp] : s.sp_el0; return 0; }
  if (id == kRegSpEl1) { value = on_el0_sp ? s.sp_el1 : s.r[cpu::kRegSp]; return 0; }
  if (id == kRegPc) { value = s.pc; return 0; }
  if (id == kRegPstate) { value = core_->pstate_bits(); return 0; }
  if (id == kRegElrEl1) { value = core_->sysreg(cpu::SysSlot::ELR_EL1); return 0; }
  if (id == kRegSpsrEl1) { value = core_->sysreg(cpu::SysSlot::SPSR_EL1); return 0; }
  for (unsigned n = 1; n <= 4; ++n)
    if (id == kRegSpsr(n)) { value = spsr_aarch32_[n - 1]; return 0; }
  if (id == kRegFpsr) { value = static_cast<uint32_t>(core_->sysreg(cpu::SysSlot::FPSR)); return 0; }
  if (id == kRegFpcr) { value = static_cast<uint32_t>(core_->sysreg(cpu::SysSlot::FPCR)); return 0; }
  return core_reg_error(id);
}

int Vcpu::set_one_reg(uint64_t id, uint64_t value) {
  if (!initialised_) return -ENOEXEC;
  apply_pending_psci_reset();
  if (vpmu::owns_one_reg_id(id)) return vpmu::set_one_reg(*vpmu_, id, value);
  if (owns_state_reg(id)) return set_state_reg(id, value);
  cpu::CpuState& s = core_->state();
  if (id >= kRegX(0) && id <= kRegX(30) && ((id - kRegX(0)) & 1) == 0) {
    s.r[(id - kRegX(0)) / 2] = value;
    return 0;
  }
  const bool on_el0_sp = s.el == 0 || s.spsel == 0;
  if (id == kRegSp) { (on_el0_sp ? s.r[cpu::kRegSp] : s.sp_el0) = value; return 0; }
  if (id == kRegSpEl1) { (on_el0_sp ? s.sp_el1 : s.r[cpu::kRegSp]) = value; return 0; }
  if (id == kRegPc) { s.pc = value; return 0; }
  if (id == kRegPstate) {
    if (!pstate_mode_valid(value)) return -EINVAL;
    core_->set_pstate_bits(value);
    return 0;
  }
  if (id == kRegElrEl1) { core_->set_sysreg(cpu::SysSlot::ELR_EL1, value); return 0; }
  if (id == kRegSpsrEl1) { core_->set_sysreg(cpu::SysSlot::SPSR_EL1, value); return 0; }
  for (unsigned n = 1; n <= 4; ++n)
    if (id == kRegSpsr(n)) { spsr_aarch32_[n - 1] = value; return 0; }
  // FPSR/FPCR keep only their defined bits, as the registers themselves do (MSR's masks).
  if (id == kRegFpsr) { core_->set_sysreg(cpu::SysSlot::FPSR, value & kFpsrMask); return 0; }
  if (id == kRegFpcr) { core_->set_sysreg(cpu::SysSlot::FPCR, value & kFpcrMask); return 0; }
  return core_reg_error(id);
}

int Vcpu::get_one_reg_raw(uint64_t id, void* data) {
  const size_t size = one_reg_size(id);
  if (const size_t want = core_reg_size(id); want != 0 && want != size) return -EINVAL;
  if (size == 16) {
    if (!initialised_) return -ENOEXEC;
    if (!is_vreg_id(id)) return -ENOENT;
    std::memcpy(data, core_->state().v[vreg_index(id)].d.data(), 16);
    return 0;
  }
  if (size != 4 && size != 8) return -EINVAL;
  uint64_t v = 0;
  if (const int rc = get_one_reg(id, v); rc != 0) return rc;
  std::memcpy(data, &v, size);
  return 0;
}

int Vcpu::set_one_reg_raw(uint64_t id, const void* data) {
  const size_t size = one_reg_size(id);
  if (const size_t want = core_reg_size(id); want != 0 && want != size) return -EINVAL;
  if (size == 16) {
    if (!initialised_) return -ENOEXEC;
    if (!is_vreg_id(id)) return -ENOENT;
    std::memcpy(core_->state().v[vreg_index(id)].d.data(), data, 16);
    return 0;
  }
  if (size != 4 && size != 8) return -EINVAL;
  uint64_t v = 0;
  std::memcpy(&v, data, size);
  return set_one_reg(id, v);
}

void Vcpu::vcpu_load(uint32_t pcpu) {
  pcpu_ = pcpu;
  vpmu::vcpu_load(*vpmu_, pcpu);
  // The vCPU's clock now runs at this core's frequency.
  frequency_mhz_ = vm_.host().cpus.at(pcpu).frequency_mhz;
  // ... and its instructions through that core's timing model.
  core_->set_timing_model(vm_.timing_model(pcpu));
}
void Vcpu::vcpu_put() { vpmu::vcpu_put(*vpmu_); }

void Vcpu::set_insn_trace(InsnTrace t) {
  if (!t) {
    core_->set_tracer(nullptr);
    return;
  }
  core_->set_tracer([this, t = std::move(t)](const cpu::Core& c, uint64_t pc, uint32_t insn) {
    t(id_, pc, insn, c.state().el);
  });
}

// SMCCC calls (HVC #0 and SMC #0) are handled in the kernel as 6.12's kvm_smccc_call_handler
// does: the VMM's SMCCC filter decides first (handle, deny, or forward to userspace as
// KVM_EXIT_HYPERCALL), then the firmware feature bitmaps gate the TRNG, PV-time and
// KVM-vendor services, then the call is answered; PSCI calls answer per the VM's PSCI
// version (0.1, 0.2, 1.0, 1.1). Results go to x0-x3, as smccc_set_retval writes them.
namespace {
// Function ids (Arm DEN0028 SMCCC, DEN0022 PSCI, DEN0098 TRNG, DEN0057 PV time; KVM's
// vendor-hypervisor service).
constexpr uint32_t kFnSmcccVersion = 0x80000000, kFnSmcccArchFeatures = 0x80000001;
constexpr uint32_t kFnWorkaround1 = 0x80008000, kFnWorkaround2 = 0x80007fff, kFnWorkaround3 = 0x80003fff;
constexpr uint32_t kFnPvTimeFeatures = 0xc5000020, kFnPvTimeSt = 0xc5000021;
constexpr uint32_t kFnTrngVersion = 0x84000050, kFnTrngFeatures = 0x84000051, kFnTrngGetUuid = 0x84000052,
                   kFnTrngRnd32 = 0x84000053, kFnTrngRnd64 = 0xc4000053;
constexpr uint32_t kFnVendorCallUid = 0x8600ff01, kFnKvmFeatures = 0x86000000, kFnKvmPtp = 0x86000001;
// PSCI function numbers (low 16 bits; the 64-bit forms set bit 30).
enum : uint32_t {
  kPsciFnVersion = 0, kPsciFnCpuSuspend = 1, kPsciFnCpuOff = 2, kPsciFnCpuOn = 3, kPsciFnAffinityInfo = 4,
  kPsciFnMigrateInfoType = 6, kPsciFnSystemOff = 8, kPsciFnSystemReset = 9, kPsciFnFeatures = 0xa,
  kPsciFnSystemSuspend = 0xe, kPsciFnSystemReset2 = 0x12,
};
constexpr uint32_t kPsci32 = 0x84000000, kPsci64 = 0xc4000000;
// KVM's PSCI 0.1 function ids (KVM_PSCI_FN_BASE + n), which predate SMCCC.
constexpr uint32_t kKvmPsciFnBase = 0x95c1ba5e;
constexpr uint32_t kKvmPsci01CpuSuspend = kKvmPsciFnBase + 0, kKvmPsci01CpuOff = kKvmPsciFnBase + 1,
                   kKvmPsci01CpuOn = kKvmPsciFnBase + 2, kKvmPsci01Migrate = kKvmPsciFnBase + 3;
constexpr uint64_t kSmcccRetSuccess = 0, kSmcccRetNotRequired = static_cast<uint64_t>(-2);
constexpr uint64_t kWorkaroundRetUnaffected = 1;
constexpr uint64_t kPsciRetDenied = static_cast<uint64_t>(-3);
constexpr uint64_t kPsciRetInternalFailure = static_cast<uint64_t>(-6);
constexpr uint64_t kPsciTosMp = 2;  // MIGRATE_INFO_TYPE: no Trusted OS needing migration
constexpr uint64_t kTrngVersion10 = 0x10000, kTrngInvalidParameter = static_cast<uint64_t>(-2);
// The TRNG service's UUID and KVM's vendor-hypervisor UID, as the four registers return them.
constexpr uint64_t kTrngUuid[4] = {0x0d21e000, 0x11eb4384, 0x44527080, 0x4c5a4e55};
constexpr uint64_t kKvmUid[4] = {0xb66fb428, 0xe911c52e, 0x564bcaa9, 0x743a004d};
constexpr uint32_t kSystemEventSuspend = 5;  // KVM_SYSTEM_EVENT_SUSPEND
constexpr uint64_t kResetFlagPsciReset2 = 1;
constexpr uint64_t kHypercallExitSmc = 1;  // KVM_HYPERCALL_EXIT_SMC

uint32_t owner(uint32_t fn) { return (fn >> 24) & 0x3f; }
bool psci_range(uint32_t fn) { return owner(fn) == 4 && (fn & 0xffff) <= 0x1f; }
}  // namespace

struct PsciCall {
  // What the handler tells the run loop.
  enum class Next : uint8_t { kResume, kExit, kWfi };
  struct Ret {
    uint64_t a[4] = {kPsciRetNotSupported, 0, 0, 0};
  };

  // kvm_smccc_default_allowed(): calls no bitmap gates.
  static bool default_allowed(uint32_t fn) {
    return fn == kFnSmcccVersion || fn == kFnSmcccArchFeatures || psci_range(fn) ||
           (fn >= kKvmPsciFnBase && fn <= kKvmPsci01Migrate);
  }
  // kvm_smccc_test_fw_bmap().
  static bool bitmap_allows(const SmcccConfig& f, uint32_t fn) {
    switch (fn) {
      case kFnTrngVersion: case kFnTrngFeatures: case kFnTrngGetUuid: case kFnTrngRnd32: case kFnTrngRnd64:
        return f.std_bmap & 1;
      case kFnPvTimeFeatures: case kFnPvTimeSt:
        return f.std_hyp_bmap & 1;
      case kFnKvmFeatures: case kFnVendorCallUid:
        return f.vendor_hyp_bmap & 1;
      case kFnKvmPtp:
        return (f.vendor_hyp_bmap >> 1) & 1;
      default:
        return false;
    }
  }

  static Next call(Vcpu& v, bool is_smc) {
    const uint32_t fn = static_cast<uint32_t>(v.core_->x(0));
    const SmcccConfig& f = v.vm_.smccc();
    uint8_t action = f.filter_action(fn);
    if (action == KVM_SMCCC_FILTER_HANDLE && !bitmap_allows(f, fn) && !default_allowed(fn))
      action = KVM_SMCCC_FILTER_DENY;
    Ret r;
    if (action == KVM_SMCCC_FILTER_FWD_TO_USER) {
      // kvm_prepare_hypercall_exit(): the guest's registers are left for the VMM.
      v.run_.exit_reason = KVM_EXIT_HYPERCALL;
      v.run_.hypercall = {};
      v.run_.hypercall.nr = fn;
      v.run_.hypercall.flags = is_smc ? kHypercallExitSmc : 0;
      return Next::kExit;
    }
    Next next = Next::kResume;
    if (action == KVM_SMCCC_FILTER_HANDLE) next = service(v, fn, r);
    if (next == Next::kExit && v.run_.system_event.type == kSystemEventSuspend) return next;  // registers untouched
    for (unsigned i = 0; i < 4; ++i) v.core_->set_x(i, r.a[i]);
    return next;
  }

  static Next service(Vcpu& v, uint32_t fn, Ret& r) {
    const SmcccConfig& f = v.vm_.smccc();
    const uint64_t arg1 = v.core_->x(1);
    switch (fn) {
      case kFnSmcccVersion: r.a[0] = kSmcccVersion11; return Next::kResume;
      case kFnSmcccArchFeatures:
        // The emulated cores are unaffected by the Spectre variants the workarounds cover.
        switch (static_cast<uint32_t>(arg1)) {
          case kFnWorkaround1: case kFnWorkaround3: r.a[0] = kWorkaroundRetUnaffected; break;
          case kFnWorkaround2: r.a[0] = kSmcccRetNotRequired; break;
          case kFnPvTimeFeatures: if (f.std_hyp_bmap & 1) r.a[0] = kSmcccRetSuccess; break;
          default: break;
        }
        return Next::kResume;
      case kFnPvTimeFeatures: {
        const uint32_t q = static_cast<uint32_t>(arg1);
        if ((q == kFnPvTimeFeatures || q == kFnPvTimeSt) && v.pvtime_ipa_ != ~uint64_t{0}) r.a[0] = kSmcccRetSuccess;
        return Next::kResume;
      }
      case kFnPvTimeSt:
        // kvm_init_stolen_time(): the 64-byte record starts zeroed (revision 0, no stolen
        // time: an emulated vCPU is never preempted by its host).
        if (v.pvtime_ipa_ != ~uint64_t{0}) {
          const uint8_t zero[64] = {};
          v.vm_.write_guest(v.pvtime_ipa_, zero, sizeof zero);
          r.a[0] = v.pvtime_ipa_;
        }
        return Next::kResume;
      case kFnVendorCallUid:
        for (unsigned i = 0; i < 4; ++i) r.a[i] = kKvmUid[i];
        return Next::kResume;
      case kFnKvmFeatures: r.a[0] = f.vendor_hyp_bmap; return Next::kResume;
      case kFnKvmPtp: {
        // kvm_ptp_get_time(): wall-clock ns (emulated time since the VM's counter started)
        // and the chosen counter at the same instant, each split into two 32-bit halves.
        const uint64_t now = v.now_ticks();
        uint64_t cycles;
        if (arg1 == 0) cycles = v.timer_.count(timer::TimerId::kVirt, now);
        else if (arg1 == 1) cycles = v.timer_.count(timer::TimerId::kPhys, now);
        else return Next::kResume;
        const uint64_t ns = static_cast<uint64_t>(static_cast<unsigned __int128>(now) * 1000000000 / v.timer_.frequency());
        r.a[0] = ns >> 32; r.a[1] = ns & 0xffffffff; r.a[2] = cycles >> 32; r.a[3] = cycles & 0xffffffff;
        return Next::kResume;
      }
      case kFnTrngVersion: r.a[0] = kTrngVersion10; return Next::kResume;
      case kFnTrngFeatures: {
        const uint32_t q = static_cast<uint32_t>(arg1);
        if (q == kFnTrngVersion || q == kFnTrngFeatures || q == kFnTrngGetUuid || q == kFnTrngRnd32 || q == kFnTrngRnd64)
          r.a[0] = kSmcccRetSuccess;
        return Next::kResume;
      }
      case kFnTrngGetUuid:
        for (unsigned i = 0; i < 4; ++i) r.a[i] = kTrngUuid[i];
        return Next::kResume;
      case kFnTrngRnd32:
      case kFnTrngRnd64: {
        // kvm_trng_do_rnd(): up to 3 registers' worth of bits, the rest cleared. The bits
        // come from the VM's deterministic generator so runs repeat byte for byte.
        const unsigned width = fn == kFnTrngRnd32 ? 32 : 64;
        const uint32_t nbits = static_cast<uint32_t>(arg1);
        if (nbits > 3 * width) { r.a[0] = kTrngInvalidParameter; return Next::kResume; }
        uint64_t bits[3] = {};
        for (unsigned i = 0; i * 64 < nbits; ++i) bits[i] = v.vm_.next_random();
        for (unsigned b = nbits; b < 192; ++b) bits[b / 64] &= ~(uint64_t{1} << (b % 64));
        r.a[0] = kSmcccRetSuccess;
        if (width == 32) { r.a[1] = bits[1] & 0xffffffff; r.a[2] = bits[0] >> 32; r.a[3] = bits[0] & 0xffffffff; }
        else { r.a[1] = bits[2]; r.a[2] = bits[1]; r.a[3] = bits[0]; }
        return Next::kResume;
      }
      default:
        return psci(v, fn, r);
    }
  }

  // kvm_psci_version(): the VM's version for vCPUs with the PSCI 0.2 feature, else 0.1.
  static uint32_t psci_version(const Vcpu& v) {
    return (v.features() >> KVM_ARM_VCPU_PSCI_0_2) & 1 ? v.vm_.smccc().psci_version : kPsciVersion01;
  }

  static Next psci(Vcpu& v, uint32_t fn, Ret& r) {
    const uint32_t ver = psci_version(v);
    if (ver == kPsciVersion01) {
      if (fn == kKvmPsci01CpuOff) { cpu_off(v); r.a[0] = kPsciRetSuccess; return Next::kExit; }
      if (fn == kKvmPsci01CpuOn) { r.a[0] = cpu_on(v, ver); return Next::kResume; }
      return Next::kResume;
    }
    // PSCI 0.2+: 32-bit forms of calls with address/affinity arguments see only their low
    // halves (kvm_psci_narrow_to_32bit).
    const bool is64 = (fn & 0xff000000) == kPsci64;
    if ((fn & 0xff000000) != kPsci32 && !is64) return Next::kResume;
    const uint32_t num = fn & 0xffff;
    if (!is64 && (num == kPsciFnCpuOn || num == kPsciFnAffinityInfo || num == kPsciFnSystemSuspend ||
                  num == kPsciFnSystemReset2))
      for (unsigned i = 1; i < 4; ++i) v.core_->set_x(i, v.core_->x(i) & 0xffffffff);
    const bool v1x = ver >= kPsciVersion10;
    const bool minor1 = ver >= kPsciVersion11;
    const bool suspend_ok = v.vm_.smccc().system_suspend;
    switch (num) {
      case kPsciFnVersion:
        if (is64) return Next::kResume;
        r.a[0] = ver;
        return Next::kResume;
      case kPsciFnCpuSuspend:
        // kvm_psci_vcpu_suspend(): a WFI, then success.
        r.a[0] = kPsciRetSuccess;
        return Next::kWfi;
      case kPsciFnCpuOff:
        if (is64) return Next::kResume;
        cpu_off(v);
        r.a[0] = kPsciRetSuccess;
        return Next::kExit;
      case kPsciFnCpuOn: r.a[0] = cpu_on(v, ver); return Next::kResume;
      case kPsciFnAffinityInfo: r.a[0] = affinity_info(v); return Next::kResume;
      case kPsciFnMigrateInfoType:
        if (is64) return Next::kResume;
        r.a[0] = kPsciTosMp;
        return Next::kResume;
      case kPsciFnSystemOff:
      case kPsciFnSystemReset:
        if (is64) return Next::kResume;
        // The guest gets INTERNAL_FAILURE if the VMM resumes it after the event anyway.
        system_event(v, num == kPsciFnSystemOff ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, 0);
        r.a[0] = kPsciRetInternalFailure;
        return Next::kExit;
      case kPsciFnFeatures:
        if (!v1x || is64) return Next::kResume;
        r.a[0] = features(static_cast<uint32_t>(v.core_->x(1)), minor1, suspend_ok);
        return Next::kResume;
      case kPsciFnSystemSuspend:
        if (!v1x || !suspend_ok) return Next::kResume;
        // Straight to the VMM with the guest's registers untouched: it reads the entry point
        // and context id from x1/x2 (kvm_psci_system_suspend).
        v.run_.exit_reason = KVM_EXIT_SYSTEM_EVENT;
        v.run_.system_event = {};
        v.run_.system_event.type = kSystemEventSuspend;
        return Next::kExit;
      case kPsciFnSystemReset2: {
        if (!minor1) return Next::kResume;
        const uint64_t type = v.core_->x(1) & 0xffffffff;
        // Architectural warm reset (0) or a vendor type (bit 31): a reset event.
        if (type == 0 || (type & 0x80000000u)) {
          system_event(v, KVM_SYSTEM_EVENT_RESET, kResetFlagPsciReset2);
          r.a[0] = kPsciRetInternalFailure;
          return Next::kExit;
        }
        r.a[0] = kPsciRetInvalidParams;
        return Next::kResume;
      }
      default:
        return Next::kResume;
    }
  }

  // PSCI_FEATURES (1.0+).
  static uint64_t features(uint32_t q, bool minor1, bool suspend_ok) {
    const uint32_t num = q & 0xffff;
    const bool is32 = (q & 0xff000000) == kPsci32, is64 = (q & 0xff000000) == kPsci64;
    if (q == kFnSmcccVersion) return kPsciRetSuccess;
    if (!is32 && !is64) return kPsciRetNotSupported;
    switch (num) {
      case kPsciFnCpuSuspend: case kPsciFnCpuOn: case kPsciFnAffinityInfo:
        return kPsciRetSuccess;
      case kPsciFnVersion: case kPsciFnCpuOff: case kPsciFnMigrateInfoType: case kPsciFnSystemOff:
      case kPsciFnSystemReset: case kPsciFnFeatures:
        return is32 ? kPsciRetSuccess : kPsciRetNotSupported;
      case kPsciFnSystemSuspend: return suspend_ok ? kPsciRetSuccess : kPsciRetNotSupported;
      case kPsciFnSystemReset2: return minor1 ? kPsciRetSuccess : kPsciRetNotSupported;
      default: return kPsciRetNotSupported;
    }
  }

  // kvm_psci_vcpu_on().
  static uint64_t cpu_on(Vcpu& v, uint32_t ver) {
    const uint64_t mpidr = v.core_->x(1);
    if ((mpidr & ~kMpidrHwidMask) != 0) return kPsciRetInvalidParams;
    Vcpu* target = v.vm_.find_vcpu_by_mpidr(mpidr);
    if (target == nullptr) return kPsciRetInvalidParams;
    // Kept from the model before this SMCCC rework (6.12's kvm_psci_vcpu_on has neither):
    // an entry point outside the IPA space is INVALID_ADDRESS (PSCI 1.0+), a second CPU_ON
    // before the target ran is ON_PENDING.
    if (ver != kPsciVersion01 && (v.core_->x(2) >> kDefaultIpaBits) != 0) return kPsciRetInvalidAddress;
    if (ver != kPsciVersion01 && target->psci_reset_pending_) return kPsciRetOnPending;
    if (!target->powered_off() || target->psci_reset_pending_)
      return ver != kPsciVersion01 ? kPsciRetAlreadyOn : kPsciRetInvalidParams;
    target->request_psci_on(v.core_->x(2), v.core_->x(3));
    v.vm_.kick(target->id());  // a powered-off vCPU thread waits for exactly this
    return kPsciRetSuccess;
  }

  // kvm_psci_vcpu_affinity_info(): ON if any vCPU matching the affinity at and above the
  // given level is on.
  static uint64_t affinity_info(Vcpu& v) {
    const uint64_t level = v.core_->x(2);
    if (level > 3 || (v.core_->x(1) & ~kMpidrHwidMask) != 0) return kPsciRetInvalidParams;
    static constexpr uint64_t kAffMask[4] = {0xff00ffffffull, 0xff00ffff00ull, 0xff00ff0000ull, 0xff00000000ull};
    const uint64_t want = v.core_->x(1) & kAffMask[level];
    bool found = false;
    for (const auto& t : v.vm_.vcpus()) {
      if ((t->mpidr() & kAffMask[level]) != want) continue;
      found = true;
      if (!t->powered_off() || t->psci_reset_pending_) return kPsciAffinityOn;
    }
    return found ? kPsciAffinityOff : kPsciRetInvalidParams;
  }

  static void cpu_off(Vcpu& v) {
    v.mp_state_ = KVM_MP_STATE_STOPPED;
    v.run_.exit_reason = KVM_EXIT_INTR;
  }

  // kvm_prepare_system_event(): every vCPU stops; the caller exits with the event.
  static void system_event(Vcpu& v, uint32_t type, uint64_t flags) {
    for (const auto& t : v.vm_.vcpus()) t->power_off();
    v.run_.exit_reason = KVM_EXIT_SYSTEM_EVENT;
    v.run_.system_event = {};
    v.run_.system_event.type = type;
    v.run_.system_event.ndata = 1;
    v.run_.system_event.data[0] = flags;
  }
};

int Vcpu::handle_smccc(bool is_smc) {
  switch (PsciCall::call(*this, is_smc)) {
    case PsciCall::Next::kResume: return 1;
    case PsciCall::Next::kWfi: return 2;
    case PsciCall::Next::kExit: break;
  }
  return 0;
}

uint64_t Vcpu::mpidr() const { return mpidr_for(id_); }

uint64_t Vcpu::now_ticks() const {
  // Inside a guest run the clock includes the run so far: a guest polling the counter
  // (udelay) sees it move even when nothing bounds the run (no timer armed, no budget).
  uint64_t cycles = cycles_;
  if (in_slice_) {
    const cpu::timing::TimingModel* const tm = timing();
    if (tm != nullptr) {
      cycles += tm->cycles() - slice_cycles_start_;
    } else {
      const std::array<uint64_t, 2> now = core_->retired_by_el();
      cycles += now[0] + now[1] - slice_start_;
    }
  }
  return timer_.ticks_after(cycles, frequency_mhz_);
}

uint64_t Vcpu::settled_ticks() const { return timer_.ticks_after(cycles_, frequency_mhz_); }

uint64_t Vcpu::ticks_seen_by(const Vcpu& reader) const { return &reader == this ? now_ticks() : settled_ticks(); }

void Vcpu::catch_up_to_vm_time() {
  uint64_t latest = 0;
  for (const auto& v : vm_.vcpus()) latest = std::max(latest, v->ticks_seen_by(*this));
  advance_to(latest);
}

void Vcpu::advance_to(uint64_t ticks) {
  const uint64_t now = now_ticks();
  if (ticks <= now) return;
  // Rounded up, so the count reaches `ticks`.
  const unsigned __int128 c = static_cast<unsigned __int128>(ticks - now) * frequency_mhz_ * 1000000 / timer_.frequency() + 1;
  account(c > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(c));
}

uint64_t Vcpu::halted_clock_target() const {
  uint64_t latest = 0, earliest_deadline = UINT64_MAX;
  bool others_run = false;
  for (const auto& v : vm_.vcpus()) {
    latest = std::max(latest, v->ticks_seen_by(*this));
    if (v.get() == this || (v->powered_off() && !v->psci_reset_pending_)) continue;
    if (v->mp_state_ != KVM_MP_STATE_HALTED) others_run = true;
  }
  if (others_run) return latest;
  for (const auto& v : vm_.vcpus())
    if (v->mp_state_ == KVM_MP_STATE_HALTED || v.get() == this)
      earliest_deadline = std::min(earliest_deadline, v->timer_.next_deadline(v->ticks_seen_by(*this)));
  if (earliest_deadline == UINT64_MAX) return latest > now_ticks() ? latest : UINT64_MAX;
  return std::max(latest, earliest_deadline);
}

uint64_t Vcpu::insns_until_timer() const { return timer_.cycles_until_deadline(now_ticks(), frequency_mhz_); }

void Vcpu::sync_interrupts() {
  vgic::Vgic* gic = vm_.vgic();
  if (gic == nullptr) {
    // Userspace irqchip: the IRQ input is the line KVM_IRQ_LINE(KVM_ARM_IRQ_TYPE_CPU) drives.
    if (!vm_.vgic_created_) core_->set_irq_pending(user_irq_line_);
    return;
  }
  timer_.update(now_ticks(), *gic, id_);
  core_->set_irq_pending(gic->irq_pending(id_));
  vm_.kick_changed(id_);
}

namespace {
bool is_gic_cpuif(arch::SysRegKey k) { return k.op0 == 3 && k.op1 == 0 && (k.crn == 12 || (k.crn == 4 && k.crm == 6)); }
bool is_timer(arch::SysRegKey k) { return k.op0 == 3 && k.op1 == 3 && k.crn == 14 && k.crm <= 3; }
}  // namespace

cpu::SysRegPort::Result Vcpu::handle(cpu::Core& core, uint32_t iss, uint64_t& value) {
  // The PMU first: it is the hot path (every trapped PMU access of a profiling guest).
  const vpmu::TrapRoute route = vpmu::route_trap(iss);
  if (route.row == vpmu::kForeign) [[unlikely]] return handle_non_pmu(core, iss, value);
  return handle_pmu(core, route, iss, value);
}

// Only the PMU's encodings are bound (vpmu::bind_trap): the vGIC and timer registers are
// rare and keep the full lookup.
uint32_t Vcpu::bind(uint32_t iss) { return vpmu::bind_trap(iss); }

template <vpmu::trap::Op kOp>
[[gnu::always_inline]] inline cpu::SysRegPort::Result Vcpu::bound_access(Vcpu& v, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) {
  vpmu::VcpuPmu& pmu = *v.vpmu_;
  const uint8_t el = core.state().el;
  if constexpr (!vpmu::op_counts(kOp)) {
    // Neither reads a counter nor changes what counts: no clock, no overflow brought closer.
    return vpmu::handle_bound<kOp>(pmu, route, el, value) == vpmu::HandleResult::kHandled ? Result::kDone
                                                                                           : Result::kUndef;
  } else {
    // The cycle model's event flush stays on the full path.
    if (v.timing() != nullptr) return v.handle_pmu(core, vpmu::unpack_bound(route).route, iss, value);
    // handle_pmu()'s instruction-clock path for an encoding that does not settle every
    // counter first (bind_trap binds no other).
    const std::array<uint64_t, 2> now = core.retired_by_el();
    pmu.set_clock(now);
    const vpmu::HandleResult r = vpmu::handle_bound<kOp>(pmu, route, el, value);
    if (v.flush_skipped_ && pmu.may_count()) [[unlikely]] v.resync_counted();
    if constexpr (vpmu::op_writes(kOp)) {
      if (pmu.may_count()) {
        // Only counters the write moved (a value, a reconfiguration) need a look: the
        // others stay within the slice bound.
        if (const uint32_t moved = pmu.take_moved(); moved != 0) {
          const uint64_t ran = now[0] + now[1] - v.slice_start_;
          uint64_t bound;
          // Handled, a counter write went through set_counter_value() (an UNDEF touched nothing).
          if (kOp == vpmu::trap::Op::kCounterWrite && r == vpmu::HandleResult::kHandled)
            bound = pmu.insns_until_overflow_after_write(vpmu::unpack_bound(route).idx, moved);
          else
            bound = pmu.insns_until_overflow(false, moved);
          if (bound < v.slice_len_ - ran) core.request_stop();
        }
      }
    }
    return r == vpmu::HandleResult::kHandled ? Result::kDone : Result::kUndef;
  }
}

namespace {
using BoundFn = cpu::SysRegPort::Result (*)(Vcpu&, cpu::Core&, uint32_t route, uint32_t iss, uint64_t& value);
}  // namespace

// Indexed by vpmu::trap::Op; kRouted takes the full path.
const std::array<BoundFn, vpmu::trap::kNumOps> Vcpu::kBoundOps = {
    &Vcpu::routed_access,
    &Vcpu::bound_access<vpmu::trap::Op::kCounterRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kCounterWrite>,
    &Vcpu::bound_access<vpmu::trap::Op::kSelCounterRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kTyperRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kPmcrRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kSelrWrite>,
    &Vcpu::bound_access<vpmu::trap::Op::kCntenRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kTyperWrite>,
    &Vcpu::bound_access<vpmu::trap::Op::kCntenWrite>,
};
static_assert(static_cast<size_t>(vpmu::trap::Op::kCntenWrite) == 9 && vpmu::trap::kNumOps == 10 &&
                  static_cast<size_t>(vpmu::trap::Op::kSelrWrite) == 6 &&
                  static_cast<size_t>(vpmu::trap::Op::kCounterRead) == 1,
              "kBoundOps is indexed by vpmu::trap::Op");

cpu::SysRegPort::Result Vcpu::routed_access(Vcpu& v, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) {
  // Route 0: an encoding bind() left unbound (not the PMU's).
  if (route == 0) return v.handle(core, iss, value);
  return v.handle_pmu(core, vpmu::unpack_bound(route).route, iss, value);
}

cpu::SysRegPort::Result Vcpu::handle_bound(cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) {
  // The tracepoint stays on the full path.
  if (sysreg_trace_) [[unlikely]] return routed_access(*this, core, route, iss, value);
  return kBoundOps[static_cast<uint8_t>(vpmu::unpack_bound(route).op)](*this, core, route, iss, value);
}

template <vpmu::trap::Op kOp>
[[gnu::always_inline]] inline cpu::SysRegPort::Result Vcpu::installed_access(cpu::SysRegPort& port, cpu::Core& core, uint32_t route,
                                               uint32_t iss, uint64_t& value) {
  Vcpu& v = static_cast<Vcpu&>(port);
  if (v.sysreg_trace_) [[unlikely]] return routed_access(v, core, route, iss, value);
  return bound_access<kOp>(v, core, route, iss, value);
}

cpu::Handler Vcpu::bound_handler(uint32_t route, bool is_read) {
  // Per vpmu::trap::Op: the installed handler, null for kRouted (the generic path serves
  // it). Built here, in a member, because installed_access is private.
  static constexpr std::array<cpu::Handler, vpmu::trap::kNumOps> kInstalled = []<size_t... kOps>(std::index_sequence<kOps...>) {
    constexpr auto one = []<size_t kOp>() -> cpu::Handler {
      constexpr auto op = static_cast<vpmu::trap::Op>(kOp);
      if constexpr (op == vpmu::trap::Op::kRouted) return nullptr;
      else return &cpu::interp::bound_port_handler<!vpmu::op_writes(op), &Vcpu::installed_access<op>>;
    };
    return std::array<cpu::Handler, vpmu::trap::kNumOps>{one.template operator()<kOps>()...};
  }(std::make_index_sequence<vpmu::trap::kNumOps>{});
  const vpmu::trap::Op op = vpmu::unpack_bound(route).op;
  // A bound op fixes the direction; an encoding bound the other way round keeps the generic path.
  if (route == 0 || is_read == vpmu::op_writes(op)) return nullptr;
  return kInstalled[static_cast<uint8_t>(op)];
}

inline cpu::SysRegPort::Result Vcpu::handle_pmu(cpu::Core& core, vpmu::TrapRoute route, uint32_t iss, uint64_t& value) {
  const bool is_read = iss & 1;
  const uint8_t el = core.state().el;
  vpmu::HandleResult r;
  if (!(route.flags & vpmu::trap::kCounts)) {
    // Neither reads a counter or the overflow state nor changes what counts (PMSELR, PMCR
    // or PMEVTYPER reads, ...): no counts to gather, no clock, no overflow brought closer.
    r = vpmu::handle_sys_reg(*vpmu_, route, iss, el, value);
  } else {
    // The counters must include everything retired so far.
    cpu::timing::TimingModel* const tm = timing();
    const std::array<uint64_t, 2> now = core.retired_by_el();
    if (tm == nullptr) {
      // Functional timing: the clock is all the vPMU needs to bring any counter up to date;
      // all of them are settled first only where the overflow state could be observed.
      vpmu_->set_clock(now);
      if ((route.flags & vpmu::trap::kClockSettle) && vpmu_->settle()) vpmu::sync_hwstate(*vpmu_);
    } else {
      flush_events(FlushAt::kTrap);
    }
    r = vpmu::handle_sys_reg(*vpmu_, route, iss, el, value);
    if (flush_skipped_ && vpmu_->may_count()) [[unlikely]] resync_counted();
    if (!is_read && vpmu_->may_count()) {
      // A counter write may bring an overflow closer than the end of this slice: stop
      // there instead, so that its interrupt is not a slice late. On the instruction clock
      // only counters moved by the access need a look: the others have counted no faster
      // than the instructions the slice bound allowed for.
      const uint32_t moved = vpmu_->take_moved();
      const bool all = tm != nullptr || (route.flags & vpmu::trap::kClockSettle);
      if (all || moved != 0) {
        const uint64_t ran = now[0] + now[1] - slice_start_;
        const uint64_t until = all ? vpmu_->insns_until_overflow(tm != nullptr) : vpmu_->insns_until_overflow(false, moved);
        if (until < slice_len_ - ran) core.request_stop();  // ran < slice_len_: this access is in the slice
      }
    }
  }
  if (sysreg_trace_) [[unlikely]]
    sysreg_trace_(id_, pcpu_, el, arch::SysRegKey::from_esr_iss(iss), is_read, value, r == vpmu::HandleResult::kUndef);
  // The interrupt line changed only if the level did, and the sink has passed it on.
  return r == vpmu::HandleResult::kHandled ? Result::kDone : Result::kUndef;
}


// Kept out of handle() so the PMU path's prologue stays small.
cpu::SysRegPort::Result Vcpu::handle_non_pmu(cpu::Core& core, uint32_t iss, uint64_t& value) {
  const bool is_read = iss & 1;
  const uint8_t el = core.state().el;
  vgic::Vgic* gic = vm_.vgic();
  const auto key = arch::SysRegKey::from_esr_iss(iss);
  const auto lk = vm_.lock();  // the vGIC is shared (ICC_SGI1R_EL1 reaches other vCPUs)
  if (is_gic_cpuif(key)) {
    // The CPU interface exists only with an initialised in-kernel vGIC; EL0 never reaches it.
    if (gic == nullptr || el == 0) return Result::kUndef;
    const auto r = gic->sysreg(id_, key, is_read, value);
    core.set_irq_pending(gic->irq_pending(id_));
    vm_.kick_changed(id_);
    return r == vgic::Vgic::Access::kOk ? Result::kDone : Result::kUndef;
  }
  if (is_timer(key)) {
    timer::AccessContext ctx;
    ctx.el = el;
    ctx.cntkctl = core.sysreg(cpu::SysSlot::CNTKCTL_EL1);
    // The counter is one for the VM: a read never returns less than any vCPU has read
    // before (each vCPU's clock is its own and may trail another's by up to a quantum).
    ctx.now = std::max(now_ticks(), vm_.counter_floor_);
    vm_.counter_floor_ = ctx.now;
    ctx.gic = gic;
    ctx.vcpu = id_;
    // An EL0 access CNTKCTL_EL1 forbids traps to EL1; it is reported as UNDEFINED (EC 0x00)
    // here, which a guest's handler sees as the same refusal (docs/guest-abi.md).
    const auto r = timer_.sysreg(key, is_read, value, ctx);
    if (gic != nullptr) core.set_irq_pending(gic->irq_pending(id_));
    // A write may arm the timer: end the run at the next block so that it is bounded by
    // the new deadline (insns_until_timer) and the interrupt is taken on time.
    if (!is_read) core.request_stop();
    return r == timer::GenericTimer::Access::kOk ? Result::kDone : Result::kUndef;
  }
  return Result::kUndef;
}

void Vcpu::flush_events(FlushAt at) {
  cpu::timing::TimingModel* const tm = timing();
  if (tm == nullptr) {
    // Functional timing: every retired instruction is one cycle at the EL it ran at, which
    // the vPMU reads off the clock (a counter that cannot count ignores it).
    vpmu_->set_clock(core_->retired_by_el());
    if (vpmu_->settle()) vpmu::sync_hwstate(*vpmu_);
    return;
  }
  if (!vpmu_->may_count() && at == FlushAt::kTrap) {
    // No enabled backing event: perf would count nothing. What ran since the last flush is
    // left ungathered in the model's pending events and dropped by resync_counted() where
    // counting can start again: after a PMU trap, at guest entry.
    // A model is still drained at every exit: another vCPU may run on this pCPU next.
    flush_skipped_ = true;
    return;
  }
  flush_skipped_ = false;
  // Cycle-level timing: the events the pCPU's model emitted for what this vCPU ran since
  // the last flush (the model is drained at every exit and PMU access, so nothing of
  // another vCPU is in it). events_ is left all-zero again afterwards.
  const uint64_t touched = tm->drain_events(events_);
  if (touched == 0) return;
  if (vpmu::count_events(*vpmu_, events_)) vpmu::sync_hwstate(*vpmu_);
  clear_events(touched);
}

void Vcpu::clear_events(uint64_t touched) {
  for (auto& per_el : events_.counts)
    for (uint64_t m = touched; m != 0; m &= m - 1) per_el[std::countr_zero(m)] = 0;
}

void Vcpu::resync_counted() {
  // Counting has just become possible (a trap enabled a counter, a reload or a load ran):
  // what ran before this point ran uncounted, so it is dropped. (Cycle-level timing only:
  // on the instruction clock a backing event starts counting from the clock it joins at.)
  if (cpu::timing::TimingModel* tm = timing()) clear_events(tm->drain_events(events_));
  flush_skipped_ = false;
}

bool Vcpu::handle_mmio_in_kernel() {
  vgic::Vgic* gic = vm_.vgic();
  const cpu::MmioAccess& a = core_->mmio();
  if (gic == nullptr || !gic->owns(a.phys_addr)) return false;
  if (a.is_write) {
    gic->mmio_write(a.phys_addr, a.size, a.data);
  } else {
    uint64_t v = 0;
    gic->mmio_read(a.phys_addr, a.size, v);
    core_->complete_mmio_read(v);
  }
  core_->set_irq_pending(gic->irq_pending(id_));
  return true;
}

void Vcpu::request_psci_on(uint64_t entry, uint64_t context_id) {
  psci_entry_ = entry;
  psci_context_ = context_id;
  psci_reset_pending_ = true;
  mp_state_ = KVM_MP_STATE_RUNNABLE;
}

Vcpu* Vm::find_vcpu_by_mpidr(uint64_t mpidr) {
  constexpr uint64_t kAff = 0xff00ffffffull;
  for (const auto& v : vcpus_)
    if ((v->mpidr() & kAff) == (mpidr & kAff)) return v.get();
  return nullptr;
}

bool Vcpu::pmu_should_notify_user() {
  // kvm_pmu_should_notify_user() / kvm_pmu_update_run(): with no in-kernel irqchip the PMU's
  // interrupt level goes to userspace in run->s.regs.device_irq_level (bit KVM_ARM_DEV_PMU);
  // a change makes KVM_RUN return -EINTR with KVM_EXIT_INTR so the VMM can act on it.
  if (vm_.vgic_created_ || !vpmu_->has_pmu()) return false;
  const bool level = vpmu_->irq_level();
  if (level == ((run_.device_irq_level & vpmu::KVM_ARM_DEV_PMU) != 0)) return false;
  run_.device_irq_level ^= vpmu::KVM_ARM_DEV_PMU;
  run_.exit_reason = KVM_EXIT_INTR;
  return true;
}

int Vcpu::irq_line(unsigned line, bool level) {
  // KVM_ARM_IRQ_CPU_IRQ (0) or _FIQ (1); the model has no FIQ input (FIQs are never taken
  // at EL1 with SCR_EL3.FIQ clear in a KVM guest), so the FIQ line is accepted and ignored.
  if (line > 1) return -EINVAL;
  if (line == 0) {
    user_irq_line_ = level;
    core_->set_irq_pending(level);
    core_->request_stop();
  }
  return 0;
}

void Vcpu::complete_pending_mmio() {
  if (!mmio_read_pending_) return;
  // KVM completes an MMIO read on the KVM_RUN after the exit, with the VMM's data.
  uint64_t data = 0;
  std::memcpy(&data, run_.mmio.data, sizeof data);
  core_->complete_mmio_read(data);
  mmio_read_pending_ = false;
}

void Vcpu::apply_pending_psci_reset() {
  if (!psci_reset_pending_) return;
  // KVM_REQ_VCPU_RESET: the reset runs on the thread (and pCPU) that gets to it first, the
  // vCPU's own at KVM_RUN or a VMM thread's at KVM_{GET,SET}_ONE_REG, then the PSCI entry
  // point and context id are applied (kvm_reset_vcpu's reset_state).
  psci_reset_pending_ = false;
  const kvm_vcpu_init saved = features_;
  features_.features[0] &= ~(1u << KVM_ARM_VCPU_POWER_OFF);
  vpmu::ResetTrace trace;
  reset_vcpu("PSCI CPU_ON", trace);
  features_ = saved;
  core_->state().pc = psci_entry_;
  core_->set_x(0, psci_context_);
  // Its clock was stopped while it was off: it joins the VM's time.
  catch_up_to_vm_time();
}

int Vcpu::run() {
  if (!initialised_) return -ENOEXEC;
  // Everything but guest execution runs under the VM lock (threaded mode).
  auto lk = vm_.lock();
  run_.insns_retired = 0;
  complete_pending_mmio();
  apply_pending_psci_reset();
  if (mp_state_ == KVM_MP_STATE_STOPPED) {
    run_.exit_reason = KVM_EXIT_INTR;
    return -EINTR;
  }
  sync_interrupts();
  if (mp_state_ == KVM_MP_STATE_HALTED && !core_->irq_pending()) {
    // Blocked in WFI. The counter is one for the whole VM (as the host's is): while other
    // vCPUs run, this one's clock follows theirs; when every vCPU waits, time passes to
    // the earliest timer deadline among them, no host time spent.
    const uint64_t target = halted_clock_target();
    if (target == UINT64_MAX) {
      run_.exit_reason = KVM_EXIT_INTR;
      return -EINTR;
    }
    advance_to(target);
    sync_interrupts();
    if (!core_->irq_pending()) {
      run_.exit_reason = KVM_EXIT_INTR;
      return -EINTR;
    }
  }
  // KVM_RUN does vcpu_load() on the CPU the thread is on: the unsupported-CPU flag is
  // recomputed against the VM's current supported_cpus.
  vpmu::vcpu_load(*vpmu_, pcpu_);
  if (!has_run_) {
    // kvm_arch_vcpu_run_pid_change(): the vGIC's resources are mapped (its addresses must be
    // set by now), the timer claims its PPIs (kvm_timer_enable), and the PMU must be
    // initialised (INIT).
    if (int rc = vm_.vgic_map_resources(); rc != 0) return rc;
    if (vm_.vgic_ != nullptr) {
      // kvm_timer_enable(): the two timers need distinct PPIs, which they then own.
      if (vm_.timer_ppi_[0] == vm_.timer_ppi_[1]) return -EINVAL;
      for (unsigned ppi : vm_.timer_ppi_)
        if (int rc = vm_.vgic_set_owner(id_, static_cast<int>(ppi), Vm::IrqOwner::kTimer); rc != 0) return rc;
      timer_.set_ppis(vm_.timer_ppi_[0], vm_.timer_ppi_[1]);
    }
    vm_.timer_ppis_immutable_ = true;
    if (int rc = vpmu::first_run(*vpmu_, vm_.irqchip_state()); rc != 0) return rc;
    vm_.finalize_id_regs();
    has_run_ = true;
  }
  mp_state_ = KVM_MP_STATE_RUNNABLE;
  for (;;) {
    const uint64_t left = run_.insn_budget - run_.insns_retired;
    if (left == 0 || immediate_exit_.exchange(false, std::memory_order_relaxed)) {
      run_.exit_reason = KVM_EXIT_INTR;
      return -EINTR;
    }
    // Guest entry: pending PMU requests and its interrupt level, then the heterogeneous-host
    // check KVM makes with interrupts disabled right before entering the guest.
    vpmu::flush_hwstate(*vpmu_);
    if (pmu_should_notify_user()) return -EINTR;
    vpmu_->revalidate_clock();
    if (const auto cpu = vpmu::fail_entry_cpu(*vpmu_)) {
      run_.exit_reason = KVM_EXIT_FAIL_ENTRY;
      run_.fail_entry.hardware_entry_failure_reason = KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED;
      run_.fail_entry.cpu = *cpu;
      return 0;
    }
    sync_interrupts();
    if (flush_skipped_ && vpmu_->may_count()) resync_counted();
    cpu::timing::TimingModel* const tm = timing();
    const uint64_t cycles_before = tm != nullptr ? tm->cycles() : 0;
    // Stop where the timer or a PMU counter could fire, so its interrupt is taken on time.
    const uint64_t slice =
        std::min({left, insns_until_timer(), vpmu_->insns_until_overflow(timing() != nullptr)});
    const std::array<uint64_t, 2> at = core_->retired_by_el();
    slice_start_ = at[0] + at[1];
    slice_len_ = slice;
    slice_cycles_start_ = cycles_before;
    vpmu_->take_moved();  // the slice is bounded on every counter as it stands
    if (lk.owns_lock()) lk.unlock();
    in_slice_ = true;
    const cpu::RunResult r = core_->run(slice);
    in_slice_ = false;
    if (vm_.threaded()) lk.lock();
    run_.insns_retired += r.retired;
    // The vCPU's clock: the model's cycles, or one cycle per instruction (functional).
    account(tm != nullptr ? tm->cycles() - cycles_before : r.retired);
    // Guest exit: what the guest executed reaches its counters, then kvm_pmu_sync_hwstate.
    flush_events(FlushAt::kExit);
    vpmu::sync_hwstate(*vpmu_);
    sync_interrupts();
    if (pmu_should_notify_user()) return -EINTR;
    switch (r.reason) {
      case cpu::ExitReason::kBudget:
      case cpu::ExitReason::kStopRequested:
        continue;  // the budget check above, or the timer deadline just passed
      case cpu::ExitReason::kSmc:
        // SMCCC reserves non-zero SMC immediates: KVM answers NOT_SUPPORTED without
        // looking at the function id; SMC #0 is an SMCCC call like HVC #0.
        if (core_->exit_imm() != 0) {
          core_->set_x(0, kPsciRetNotSupported);
          continue;
        }
        [[fallthrough]];
      case cpu::ExitReason::kHvc: {
        const int next = handle_smccc(r.reason == cpu::ExitReason::kSmc);
        if (next == 1) continue;
        if (next == 2) {
          // PSCI CPU_SUSPEND: as WFI.
          if (core_->irq_pending()) continue;
          mp_state_ = KVM_MP_STATE_HALTED;
          run_.exit_reason = KVM_EXIT_INTR;
          return -EINTR;
        }
        return run_.exit_reason == KVM_EXIT_INTR ? -EINTR : 0;
      }
      case cpu::ExitReason::kSemihosting:
        run_.exit_reason = KVM_EXIT_DEBUG;
        run_.debug.hsr = PMUEMU_DEBUG_SEMIHOSTING;
        return 0;
      case cpu::ExitReason::kMmio: {
        if (handle_mmio_in_kernel()) continue;
        const cpu::MmioAccess& a = core_->mmio();
        run_.exit_reason = KVM_EXIT_MMIO;
        run_.mmio.phys_addr = a.phys_addr;
        run_.mmio.len = a.size;
        run_.mmio.is_write = a.is_write;
        std::memset(run_.mmio.data, 0, sizeof run_.mmio.data);
        if (a.is_write) std::memcpy(run_.mmio.data, &a.data, a.size);
        mmio_read_pending_ = !a.is_write;
        return 0;
      }
      case cpu::ExitReason::kMmioNoSyndrome:
        // KVM_EXIT_ARM_NISV: an access outside every memory slot that KVM cannot decode.
        run_.exit_reason = KVM_EXIT_ARM_NISV;
        run_.arm_nisv.fault_ipa = core_->mmio().phys_addr;
        run_.arm_nisv.esr_iss = core_->mmio().is_write ? (1u << 6) : 0;
        return 0;
      case cpu::ExitReason::kWfi:
        if (core_->irq_pending()) continue;
        // WFI with no interrupt pending: the vCPU blocks (the VMM sees HALTED).
        mp_state_ = KVM_MP_STATE_HALTED;
        run_.exit_reason = KVM_EXIT_INTR;
        return -EINTR;
      case cpu::ExitReason::kExceptionLoop: {
        run_.exit_reason = KVM_EXIT_INTERNAL_ERROR;
        run_.internal.suberror = PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP;
        run_.internal.ndata = 4;
        // The first fault of the loop is the one that explains it.
        run_.internal.data[0] = core_->loop_origin().esr;
        run_.internal.data[1] = core_->loop_origin().elr;
        run_.internal.data[2] = core_->loop_origin().far;
        run_.internal.data[3] = core_->loop_origin().elr;
        return 0;
      }
    }
  }
}

}  // namespace kvm_model
