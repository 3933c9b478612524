// The memory-mapped GICv3 registers: the Distributor (GICD_*) and, per vCPU, the Redistributor
// RD_base and SGI_base frames (GICR_*), each a constexpr table of {offset, length, access
// sizes, name, read, write} rows (IHI 0069 "The GIC Distributor register map", "The GIC
// Redistributor register map"). A null read is RAZ, a null write WI.
#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "kvm_model/vgic/vgic.h"

namespace kvm_model::vgic {

namespace {

// Access sizes a row accepts, as a mask of byte counts (1, 2, 4, 8 are distinct bits).
constexpr uint8_t kW8 = 1, kW32 = 4, kW64 = 8;
constexpr unsigned kDistFrame = ~0u;   // frame_vcpu of the distributor

using ReadFn = uint64_t (*)(const Vgic&, unsigned frame_vcpu, uint32_t off, unsigned size);
using WriteFn = void (*)(Vgic&, unsigned frame_vcpu, uint32_t off, unsigned size, uint64_t value);

struct MmioReg {
  uint32_t offset;        // first byte, relative to the frame
  uint32_t length;        // bytes (a register array covers all its instances)
  uint8_t sizes;          // accepted access sizes (kW*)
  std::string_view name;
  ReadFn read;            // off is relative to `offset`; null = RAZ
  WriteFn write;          // null = WI
};

// The bytes [off, off + size) of a 64-bit register image (for 32-bit halves of 64-bit registers).
constexpr uint64_t slice(uint64_t reg, uint32_t off, unsigned size) {
  return arch::bits_dyn(reg, (off % 8 + size) * 8 - 1, (off % 8) * 8);
}

// ---- per-interrupt field accessors (the GICD_I*R<n> / GICR_I*R0 families) ----
// get returns the Bpi-bit field of one interrupt; set receives the field written.

uint32_t get_group(const IrqState&, unsigned) { return 1; }   // all Group 1: RAO/WI
uint32_t get_enabled(const IrqState& s, unsigned) { return s.enabled; }
uint32_t get_pending(const IrqState& s, unsigned) { return s.pending(); }
uint32_t get_active(const IrqState& s, unsigned) { return s.active; }
uint32_t get_priority(const IrqState& s, unsigned) { return s.priority; }
// Int_config<x>: [1] = 1 for edge-triggered, [0] RES0 (IHI 0069 GICD_ICFGR<n>).
uint32_t get_config(const IrqState& s, unsigned) { return s.edge ? 2u : 0u; }

void set_enable(IrqState& s, unsigned, uint32_t f) { if (f) s.enabled = true; }
void clear_enable(IrqState& s, unsigned, uint32_t f) { if (f) s.enabled = false; }
// Set-pending latches even a level-sensitive interrupt; clear-pending removes only the latch,
// so a level interrupt whose line is high stays pending (IHI 0069 GICD_ICPENDR<n>).
void set_pending(IrqState& s, unsigned, uint32_t f) { if (f) s.latch = true; }
void clear_pending(IrqState& s, unsigned, uint32_t f) { if (f) s.latch = false; }
void set_active(IrqState& s, unsigned, uint32_t f) { if (f) s.active = true; }
void clear_active(IrqState& s, unsigned, uint32_t f) { if (f) s.active = false; }
void set_priority(IrqState& s, unsigned, uint32_t f) { s.priority = static_cast<uint8_t>(f) & kPriorityMask; }
// SGIs (always edge) and PPIs (level, KVM) are read-only; SPIs take Int_config[1].
void set_config(IrqState& s, unsigned intid, uint32_t f) {
  if (intid >= kNumPrivate) s.edge = arch::bit<1>(f);
}

}  // namespace

// Handlers that need the Vgic's internals (friend of Vgic).
struct MmioOps {
  static const IrqState* frame_irq(const Vgic& g, unsigned frame_vcpu, unsigned intid) {
    // With affinity routing, the distributor's registers for INTIDs 0..31 are RAZ/WI and the
    // redistributor's cover exactly those 32.
    if (frame_vcpu == kDistFrame) return intid < kNumPrivate ? nullptr : g.irq(0, intid);
    return intid < kNumPrivate ? g.irq(frame_vcpu, intid) : nullptr;
  }
  static IrqState* frame_irq(Vgic& g, unsigned frame_vcpu, unsigned intid) {
    return const_cast<IrqState*>(frame_irq(std::as_const(g), frame_vcpu, intid));
  }
  static void refresh_frame(Vgic& g, unsigned frame_vcpu) {
    if (frame_vcpu == kDistFrame) g.refresh_all(); else g.refresh(frame_vcpu);
  }

  template <unsigned Bpi, uint32_t (*Get)(const IrqState&, unsigned)>
  static uint64_t read_irqs(const Vgic& g, unsigned fv, uint32_t off, unsigned size) {
    const unsigned first = off * 8 / Bpi;
    uint64_t v = 0;
    for (unsigned i = 0; i < size * 8 / Bpi; ++i)
      if (const IrqState* s = frame_irq(g, fv, first + i))
        v |= uint64_t{Get(*s, first + i)} << (i * Bpi);
    return v;
  }
  template <unsigned Bpi, void (*Set)(IrqState&, unsigned, uint32_t)>
  static void write_irqs(Vgic& g, unsigned fv, uint32_t off, unsigned size, uint64_t v) {
    const unsigned first = off * 8 / Bpi;
    for (unsigned i = 0; i < size * 8 / Bpi; ++i)
      if (IrqState* s = frame_irq(g, fv, first + i))
        Set(*s, first + i, static_cast<uint32_t>(arch::bits_dyn(v, (i + 1) * Bpi - 1, i * Bpi)));
    refresh_frame(g, fv);
  }

  // GICD_CTLR: EnableGrp1 is the only writable bit; ARE and DS read as one.
  static uint64_t read_gicd_ctlr(const Vgic& g, unsigned, uint32_t, unsigned) {
    return gicd_ctlr::kARE | gicd_ctlr::kDS | (g.s_.enable_grp1 ? gicd_ctlr::kEnableGrp1 : 0);
  }
  static void write_gicd_ctlr(Vgic& g, unsigned, uint32_t, unsigned, uint64_t v) {
    g.s_.enable_grp1 = gicd_ctlr::EnableGrp1(v);
    g.refresh_all();
  }
  // With an ITS: LPIS and 16 INTID bits (KVM's INTERRUPT_ID_BITS_ITS); else 10 bits.
  static uint64_t read_gicd_typer(const Vgic& g, unsigned, uint32_t, unsigned) {
    const uint32_t lpis = g.s_.lpis_supported ? gicd_typer::kLPIS | ((kLpiIdBits - 1) << gicd_typer::kIDbitsShift)
                                              : 9u << gicd_typer::kIDbitsShift;
    return gicd_typer::ITLinesNumber(g.num_irqs_) | lpis | gicd_typer::kNo1N;
  }

  // GICD_IROUTER<n> at 0x6000 + 8n; n < 32 is reserved and unimplemented SPIs are RAZ/WI.
  static uint64_t read_irouter(const Vgic& g, unsigned, uint32_t off, unsigned size) {
    const unsigned intid = off / 8;
    if (intid < kNumPrivate || intid >= g.num_irqs_ || intid >= kMaxIrqs) return 0;
    return slice(g.s_.irouter[intid - kNumPrivate], off, size);
  }
  static void write_irouter(Vgic& g, unsigned, uint32_t off, unsigned size, uint64_t v) {
    const unsigned intid = off / 8;
    if (intid < kNumPrivate || intid >= g.num_irqs_ || intid >= kMaxIrqs) return;
    if (off % 8 != 0) return;  // upper word: Aff3 only, RAZ/WI (A3V = 0)
    g.s_.irouter[intid - kNumPrivate] = v & irouter::kStoredMask;
    g.retarget_spi(intid);
    g.refresh_all();
  }

  // GICR_TYPER: affinity, processor number (the vCPU id, 16 bits) and Last.
  static uint64_t read_gicr_typer(const Vgic& g, unsigned fv, uint32_t off, unsigned size) {
    uint64_t v = (affinity_of_vcpu(fv) << gicr_typer::kAffinityShift) |
                 (uint64_t{fv & 0xffffu} << gicr_typer::kProcessorNumberShift);
    if (g.redist_is_last(fv)) v |= gicr_typer::kLast;
    if (g.s_.lpis_supported) v |= gicr_typer::kPLPIS;
    return slice(v, off, size);
  }

  // ---- LPI controls (RAZ/WI without an ITS) ----
  // A 32-bit write updates its half of a 64-bit register (KVM's update_64bit_reg).
  static uint64_t merge(uint64_t reg, uint32_t off, unsigned size, uint64_t v) {
    if (size == 8) return v;
    const unsigned shift = (off % 8) * 8;
    const uint64_t mask = ((uint64_t{1} << (size * 8)) - 1) << shift;
    return (reg & ~mask) | ((v << shift) & mask);
  }
  static uint64_t read_gicr_ctlr(const Vgic& g, unsigned fv, uint32_t, unsigned) {
    return g.s_.cpus[fv].enable_lpis ? gicr_ctlr::kEnableLPIs : 0;
  }
  static void write_gicr_ctlr(Vgic& g, unsigned fv, uint32_t, unsigned, uint64_t v) {
    g.write_enable_lpis(fv, (v & gicr_ctlr::kEnableLPIs) != 0);
  }
  static uint64_t read_propbaser(const Vgic& g, unsigned, uint32_t off, unsigned size) {
    return slice(g.s_.propbaser, off, size);
  }
  // Ignored while this redistributor has LPIs enabled (UNPREDICTABLE; KVM ignores it).
  static void write_propbaser(Vgic& g, unsigned fv, uint32_t off, unsigned size, uint64_t v) {
    if (!g.s_.lpis_supported || g.s_.cpus[fv].enable_lpis) return;
    const uint64_t r = sanitise_baser(merge(g.s_.propbaser, off, size, v), 10, 7, 56);
    g.s_.propbaser = r & ~lpi_tables::kPropRes0;
  }
  static uint64_t read_pendbaser(const Vgic& g, unsigned fv, uint32_t off, unsigned size) {
    return slice(g.s_.cpus[fv].pendbaser & ~lpi_tables::kPendPTZ, off, size);
  }
  static void write_pendbaser(Vgic& g, unsigned fv, uint32_t off, unsigned size, uint64_t v) {
    RedistState& r = g.s_.cpus[fv];
    if (!g.s_.lpis_supported || r.enable_lpis) return;
    r.pendbaser = sanitise_baser(merge(r.pendbaser, off, size, v), 10, 7, 56) & ~lpi_tables::kPendRes0;
  }
  // GICR_INVLPIR / GICR_INVALLR: only the low word's write counts (the upper one is for vPEs),
  // and only with LPIs enabled here.
  static void write_invlpir(Vgic& g, unsigned fv, uint32_t off, unsigned, uint64_t v) {
    if (off % 8 != 0 || !g.s_.cpus[fv].enable_lpis) return;
    const auto intid = static_cast<uint32_t>(v);
    if (intid >= kFirstLpi) g.lpi_update_config(intid);
  }
  static void write_invallr(Vgic& g, unsigned fv, uint32_t off, unsigned, uint64_t) {
    if (off % 8 != 0 || !g.s_.cpus[fv].enable_lpis) return;
    g.lpi_invall(fv);
  }
  // GICR_WAKER: ChildrenAsleep follows ProcessorSleep immediately (nothing to quiesce).
  static uint64_t read_gicr_waker(const Vgic& g, unsigned fv, uint32_t, unsigned) {
    return g.s_.cpus[fv].processor_sleep ? gicr_waker::kProcessorSleep | gicr_waker::kChildrenAsleep : 0;
  }
  static void write_gicr_waker(Vgic& g, unsigned fv, uint32_t, unsigned, uint64_t v) {
    g.s_.cpus[fv].processor_sleep = gicr_waker::ProcessorSleep(v);
  }
};

namespace {

uint64_t read_iidr(const Vgic&, unsigned, uint32_t, unsigned) { return kIidr; }
// The CoreSight-style ID block at 0xFFD0..0xFFFC: only PIDR2 (ArchRev) is populated, as KVM.
uint64_t read_idregs(const Vgic&, unsigned, uint32_t off, unsigned) { return off == 0x18 ? kPidr2 : 0; }

template <unsigned Bpi, uint32_t (*Get)(const IrqState&, unsigned)>
constexpr ReadFn kReadIrqs = &MmioOps::read_irqs<Bpi, Get>;
template <unsigned Bpi, void (*Set)(IrqState&, unsigned, uint32_t)>
constexpr WriteFn kWriteIrqs = &MmioOps::write_irqs<Bpi, Set>;

// Distributor (IHI 0069 Table "Distributor register map").
constexpr MmioReg kDistRegs[] = {
    {0x0000, 4, kW32, "GICD_CTLR", &MmioOps::read_gicd_ctlr, &MmioOps::write_gicd_ctlr},
    {0x0004, 4, kW32, "GICD_TYPER", &MmioOps::read_gicd_typer, nullptr},
    {0x0008, 4, kW32, "GICD_IIDR", read_iidr, nullptr},
    {0x000C, 4, kW32, "GICD_TYPER2", nullptr, nullptr},
    {0x0010, 4, kW32, "GICD_STATUSR", nullptr, nullptr},
    {0x0080, 0x80, kW32, "GICD_IGROUPR", kReadIrqs<1, get_group>, nullptr},
    {0x0100, 0x80, kW32, "GICD_ISENABLER", kReadIrqs<1, get_enabled>, kWriteIrqs<1, set_enable>},
    {0x0180, 0x80, kW32, "GICD_ICENABLER", kReadIrqs<1, get_enabled>, kWriteIrqs<1, clear_enable>},
    {0x0200, 0x80, kW32, "GICD_ISPENDR", kReadIrqs<1, get_pending>, kWriteIrqs<1, set_pending>},
    {0x0280, 0x80, kW32, "GICD_ICPENDR", kReadIrqs<1, get_pending>, kWriteIrqs<1, clear_pending>},
    {0x0300, 0x80, kW32, "GICD_ISACTIVER", kReadIrqs<1, get_active>, kWriteIrqs<1, set_active>},
    {0x0380, 0x80, kW32, "GICD_ICACTIVER", kReadIrqs<1, get_active>, kWriteIrqs<1, clear_active>},
    {0x0400, 0x400, kW8 | kW32, "GICD_IPRIORITYR", kReadIrqs<8, get_priority>, kWriteIrqs<8, set_priority>},
    {0x0800, 0x400, kW8 | kW32, "GICD_ITARGETSR", nullptr, nullptr},       // ARE = 1: RES0
    {0x0C00, 0x100, kW32, "GICD_ICFGR", kReadIrqs<2, get_config>, kWriteIrqs<2, set_config>},
    {0x0D00, 0x80, kW32, "GICD_IGRPMODR", nullptr, nullptr},               // DS = 1: RES0
    {0x0E00, 0x100, kW32, "GICD_NSACR", nullptr, nullptr},                 // DS = 1: RES0
    {0x0F00, 4, kW32, "GICD_SGIR", nullptr, nullptr},                      // ARE = 1: WI
    {0x0F10, 0x10, kW8 | kW32, "GICD_CPENDSGIR", nullptr, nullptr},        // ARE = 1: RES0
    {0x0F20, 0x10, kW8 | kW32, "GICD_SPENDSGIR", nullptr, nullptr},        // ARE = 1: RES0
    {0x6000, 0x2000, kW32 | kW64, "GICD_IROUTER", &MmioOps::read_irouter, &MmioOps::write_irouter},
    {0xFFD0, 0x30, kW32, "GICD_IDREGS", read_idregs, nullptr},
};

// Redistributor RD_base frame (IHI 0069 Table "Redistributor register map", RD_base).
constexpr MmioReg kRdRegs[] = {
    {0x0000, 4, kW32, "GICR_CTLR", &MmioOps::read_gicr_ctlr, &MmioOps::write_gicr_ctlr},
    {0x0004, 4, kW32, "GICR_IIDR", read_iidr, nullptr},
    {0x0008, 8, kW32 | kW64, "GICR_TYPER", &MmioOps::read_gicr_typer, nullptr},
    {0x0010, 4, kW32, "GICR_STATUSR", nullptr, nullptr},
    {0x0014, 4, kW32, "GICR_WAKER", &MmioOps::read_gicr_waker, &MmioOps::write_gicr_waker},
    {0x0070, 8, kW32 | kW64, "GICR_PROPBASER", &MmioOps::read_propbaser, &MmioOps::write_propbaser},
    {0x0078, 8, kW32 | kW64, "GICR_PENDBASER", &MmioOps::read_pendbaser, &MmioOps::write_pendbaser},
    {0x00A0, 8, kW32 | kW64, "GICR_INVLPIR", nullptr, &MmioOps::write_invlpir},
    {0x00B0, 8, kW32 | kW64, "GICR_INVALLR", nullptr, &MmioOps::write_invallr},
    {0x00C0, 4, kW32, "GICR_SYNCR", nullptr, nullptr},   // invalidations complete at once: Busy 0
    {0xFFD0, 0x30, kW32, "GICR_IDREGS", read_idregs, nullptr},
};

// Redistributor SGI_base frame, offsets relative to the frame (IHI 0069, SGI_base): the same
// per-interrupt layout as the distributor, for INTIDs 0..31 of this vCPU.
constexpr MmioReg kSgiRegs[] = {
    {0x0080, 4, kW32, "GICR_IGROUPR0", kReadIrqs<1, get_group>, nullptr},
    {0x0100, 4, kW32, "GICR_ISENABLER0", kReadIrqs<1, get_enabled>, kWriteIrqs<1, set_enable>},
    {0x0180, 4, kW32, "GICR_ICENABLER0", kReadIrqs<1, get_enabled>, kWriteIrqs<1, clear_enable>},
    {0x0200, 4, kW32, "GICR_ISPENDR0", kReadIrqs<1, get_pending>, kWriteIrqs<1, set_pending>},
    {0x0280, 4, kW32, "GICR_ICPENDR0", kReadIrqs<1, get_pending>, kWriteIrqs<1, clear_pending>},
    {0x0300, 4, kW32, "GICR_ISACTIVER0", kReadIrqs<1, get_active>, kWriteIrqs<1, set_active>},
    {0x0380, 4, kW32, "GICR_ICACTIVER0", kReadIrqs<1, get_active>, kWriteIrqs<1, clear_active>},
    {0x0400, 0x20, kW8 | kW32, "GICR_IPRIORITYR", kReadIrqs<8, get_priority>, kWriteIrqs<8, set_priority>},
    {0x0C00, 8, kW32, "GICR_ICFGR", kReadIrqs<2, get_config>, kWriteIrqs<2, set_config>},
    {0x0D00, 4, kW32, "GICR_IGRPMODR0", nullptr, nullptr},     // DS = 1: RES0
    {0x0E00, 4, kW32, "GICR_NSACR", nullptr, nullptr},         // DS = 1: RES0
};

// Table validator: rows sorted, disjoint, inside a 64 KiB frame, lengths whole registers of the
// widest accepted size.
constexpr bool valid_table(std::span<const MmioReg> t) {
  for (size_t i = 0; i < t.size(); ++i) {
    const MmioReg& r = t[i];
    const unsigned unit = (r.sizes & kW64) ? 8 : 4;
    if (r.length == 0 || r.length % unit != 0 || r.offset % unit != 0) return false;
    if (r.offset + r.length > 0x10000) return false;
    if (i > 0 && t[i - 1].offset + t[i - 1].length > r.offset) return false;
  }
  return true;
}
static_assert(valid_table(kDistRegs), "kDistRegs: rows must be sorted, disjoint and aligned");
static_assert(valid_table(kRdRegs), "kRdRegs: rows must be sorted, disjoint and aligned");
static_assert(valid_table(kSgiRegs), "kSgiRegs: rows must be sorted, disjoint and aligned");

const MmioReg* find_row(std::span<const MmioReg> t, uint32_t off) {
  auto it = std::upper_bound(t.begin(), t.end(), off, [](uint32_t o, const MmioReg& r) { return o < r.offset; });
  if (it == t.begin()) return nullptr;
  --it;
  return off < it->offset + it->length ? &*it : nullptr;
}

// Where a GIC address lands: table, frame (kDistFrame or a vCPU) and offset in the frame.
struct Decoded {
  std::span<const MmioReg> table;
  unsigned frame_vcpu;
  uint32_t off;
};

bool decode(const Vgic& gic, uint64_t gpa, Decoded& d) {
  if (gpa - gic.dist_base() < kDistSize) {
    d = {kDistRegs, kDistFrame, static_cast<uint32_t>(gpa - gic.dist_base())};
    return true;
  }
  for (unsigned vcpu = 0; vcpu < gic.num_vcpus(); ++vcpu) {
    const uint64_t base = gic.redist_base(vcpu);
    if (base == ~uint64_t{0}) continue;
    const uint64_t rel = gpa - base;
    if (rel >= kRedistStride) continue;
    const auto off = static_cast<uint32_t>(rel);
    if (off < kSgiFrameOffset) d = {kRdRegs, vcpu, off};
    else d = {kSgiRegs, vcpu, static_cast<uint32_t>(off - kSgiFrameOffset)};
    return true;
  }
  return false;
}

// A row accepts the access: a permitted size, naturally aligned, within the row.
const MmioReg* accepted_row(const Decoded& d, unsigned size) {
  if (size != 1 && size != 2 && size != 4 && size != 8) return nullptr;
  if (d.off % size != 0) return nullptr;
  const MmioReg* r = find_row(d.table, d.off);
  if (r == nullptr || (r->sizes & size) == 0 || d.off + size > r->offset + r->length) return nullptr;
  return r;
}

}  // namespace

void Vgic::set_vcpu_order(const std::vector<unsigned>& ids) {
  std::vector<long> pos(num_vcpus(), -1);
  for (size_t p = 0; p < ids.size(); ++p) {
    if (ids[p] >= num_vcpus() || pos[ids[p]] >= 0)
      throw std::invalid_argument("kvm_model/vgic: set_vcpu_order: vCPU id " + std::to_string(ids[p]) +
                                  (ids[p] >= num_vcpus() ? " out of range" : " repeated"));
    pos[ids[p]] = static_cast<long>(p);
  }
  order_pos_ = std::move(pos);
}

uint64_t Vgic::region_used(size_t r) const {
  uint64_t created = 0, first = 0;
  for (long p : order_pos_) created += p >= 0;
  for (size_t i = 0; i < r; ++i) first += regions_[i].count;
  if (created <= first) return 0;
  const uint64_t left = created - first;
  return regions_[r].count == 0 ? left : std::min<uint64_t>(left, regions_[r].count);
}

bool Vgic::redist_slot(unsigned vcpu, size_t& region, uint64_t& index) const {
  if (vcpu >= order_pos_.size() || order_pos_[vcpu] < 0) return false;
  const auto p = static_cast<uint64_t>(order_pos_[vcpu]);
  uint64_t first = 0;
  for (size_t r = 0; r < regions_.size(); ++r) {
    if (regions_[r].count == 0 || p < first + regions_[r].count) {
      region = r;
      index = p - first;
      return true;
    }
    first += regions_[r].count;
  }
  return false;
}

uint64_t Vgic::redist_base(unsigned vcpu) const {
  size_t r;
  uint64_t i;
  if (!redist_slot(vcpu, r, i)) return ~uint64_t{0};
  return regions_[r].base + i * kRedistStride;
}

bool Vgic::redist_is_last(unsigned vcpu) const {
  size_t r;
  uint64_t i;
  if (!redist_slot(vcpu, r, i)) return false;
  if (i + 1 < region_used(r)) return false;
  const RedistRegion& reg = regions_[r];
  if (reg.count != 0 && i + 1 == reg.count) {
    // A full region continues into a region starting right after it that holds frames: the
    // frames are contiguous, so the last one is further on.
    const uint64_t end = reg.base + uint64_t{reg.count} * kRedistStride;
    for (size_t q = 0; q < regions_.size(); ++q)
      if (regions_[q].base == end && region_used(q) > 0) return false;
  }
  return true;
}

uint64_t Vgic::frame_read(unsigned frame_vcpu, uint32_t off, unsigned size) {
  Decoded d = frame_vcpu == kDistFrame ? Decoded{kDistRegs, kDistFrame, off}
              : off < kSgiFrameOffset  ? Decoded{kRdRegs, frame_vcpu, off}
                                       : Decoded{kSgiRegs, frame_vcpu, static_cast<uint32_t>(off - kSgiFrameOffset)};
  if (const MmioReg* r = accepted_row(d, size); r != nullptr && r->read != nullptr)
    return r->read(*this, d.frame_vcpu, d.off - r->offset, size);
  return 0;
}

void Vgic::frame_write(unsigned frame_vcpu, uint32_t off, unsigned size, uint64_t value) {
  Decoded d = frame_vcpu == kDistFrame ? Decoded{kDistRegs, kDistFrame, off}
              : off < kSgiFrameOffset  ? Decoded{kRdRegs, frame_vcpu, off}
                                       : Decoded{kSgiRegs, frame_vcpu, static_cast<uint32_t>(off - kSgiFrameOffset)};
  if (const MmioReg* r = accepted_row(d, size); r != nullptr && r->write != nullptr)
    r->write(*this, d.frame_vcpu, d.off - r->offset, size, size == 8 ? value : arch::bits_dyn(value, size * 8 - 1, 0));
}

bool Vgic::owns(uint64_t gpa) const {
  Decoded d;
  return decode(*this, gpa, d);
}

bool Vgic::mmio_read(uint64_t gpa, unsigned size, uint64_t& value) {
  Decoded d;
  if (!decode(*this, gpa, d)) return false;
  value = 0;
  if (const MmioReg* r = accepted_row(d, size); r != nullptr && r->read != nullptr)
    value = r->read(*this, d.frame_vcpu, d.off - r->offset, size);
  return true;
}

bool Vgic::mmio_write(uint64_t gpa, unsigned size, uint64_t value) {
  Decoded d;
  if (!decode(*this, gpa, d)) return false;
  if (const MmioReg* r = accepted_row(d, size); r != nullptr && r->write != nullptr)
    r->write(*this, d.frame_vcpu, d.off - r->offset, size, size == 8 ? value : arch::bits_dyn(value, size * 8 - 1, 0));
  return true;
}

}  // namespace kvm_model::vgic
