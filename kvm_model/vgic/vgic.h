// kvm_model::vgic::Vgic: the in-kernel GICv3 of a VM, as KVM's vgic-v3 presents it to a guest
// (Arm IHI 0069, GIC architecture version 3): one Distributor, one Redistributor per vCPU and
// the CPU interface system registers (ICC_*) of each vCPU. The memory map is QEMU virt's.
//
// ---------------------------------------------------------------------------------------------
// Where the architecture leaves a choice, this model picks as follows (and why):
//
//  * Security: one security state (GICD_CTLR.DS = 1, RAO/WI), affinity routing always enabled
//    (GICD_CTLR.ARE = 1, RAO/WI), no GICv2 compatibility: GICD_ITARGETSR, GICD_SGIR,
//    GICD_{C,S}PENDSGIR and the distributor's per-interrupt registers for INTIDs 0..31 are
//    RAZ/WI (IHI 0069 register descriptions: "When affinity routing is enabled ... RES0").
//  * Groups: every interrupt is Group 1. GICD_IGROUPR/GICR_IGROUPR0 read as 1 for every
//    implemented interrupt and ignore writes, GICD_CTLR.EnableGrp0 and ICC_IGRPEN0_EL1 are
//    RAZ/WI, ICC_IAR0_EL1/ICC_HPPIR0_EL1 read 1023, ICC_EOIR0_EL1 and ICC_AP0R0_EL1 are
//    RAZ/WI, ICC_BPR0_EL1 is stored (it matters through ICC_CTLR_EL1.CBPR). This is what KVM
//    did before its IIDR revision 2, and the pmuemu vCPU has no FIQ input for Group 0 anyway.
//    ICC_SGI0R_EL1 and ICC_ASGI1R_EL1 generate Group 0 / other-security-state SGIs; none can be
//    Group 0 here, so they are ignored (KVM's vgic_v3_dispatch_sgi with allow_group1 = false).
//  * Priority: 5 bits (KVM), low 3 bits of every priority field and of ICC_PMR_EL1 RAZ/WI;
//    5 preemption bits, so only ICC_AP1R0_EL1/ICC_AP0R0_EL1 exist and ICC_AP{0,1}R{1,2,3}_EL1
//    are UNDEFINED (IHI 0069 ICC_AP1R<n>_EL1: AP1R1 exists with 6 or more priority bits,
//    AP1R2/AP1R3 with 7; unimplemented ones are UNDEFINED).
//  * Interrupt selection among equal priorities: the lowest INTID wins (IMPLEMENTATION DEFINED).
//  * PPI configuration (GICR_ICFGR1) is read-only level, SGI configuration (GICR_ICFGR0)
//    read-only edge: KVM makes PPIs read-only because the timer relies on level semantics, and
//    the architecture lets it (IHI 0069 GICR_ICFGR1: "IMPLEMENTATION DEFINED whether ...
//    programmable").
//  * SPI routing: GICD_IROUTER keeps Aff2..Aff0; IRM is RAZ/WI (GICD_TYPER.No1N = 1) and Aff3 is
//    RAZ/WI (GICD_TYPER.A3V = 0). An SPI routed to an affinity with no vCPU stays pending and
//    is delivered nowhere until it is re-routed (like KVM's target_vcpu == NULL).
//  * GICR_WAKER implements the ProcessorSleep/ChildrenAsleep handshake (ChildrenAsleep follows
//    ProcessorSleep at once; both reset to 1) but a sleeping redistributor still forwards
//    interrupts: KVM's GICR_WAKER is RAZ/WI, so guests written for KVM need not clear it.
//  * LPIs exist only once the VM has an ITS (KVM's has_its; kvm_model/vgic/its.h): then
//    GICD_TYPER.LPIS = 1 and IDbits = 15 (16-bit INTIDs), GICR_TYPER.PLPIS = 1, GICR_CTLR
//    .EnableLPIs, GICR_PROPBASER (one VM-wide value, as KVM keeps it) and GICR_PENDBASER are
//    implemented, and GICR_INVLPIR/GICR_INVALLR re-read configuration bytes. Without an ITS
//    they are RAZ/WI and IDbits = 9 (10-bit INTIDs), as in KVM. LPIs exist only while an ITS
//    translation maps them (KVM allocates its vgic_irq at MAPTI/MAPI); their configuration
//    byte is read from guest memory when they are mapped and at INV/INVALL, never on its
//    own, and their pending bit is read from the target's pending table when they are
//    mapped and when EnableLPIs is set (unless PENDBASER.PTZ). No MBIs; GICR_STATUSR and
//    GICD_STATUSR are RAZ/WI.
//  * LPIs have no active state (IHI 0069 "LPIs"): acknowledging one clears its pending bit,
//    and its EOI is only a priority drop.
//  * MMIO access sizes (IHI 0069 "GIC memory-mapped register access"): 32-bit everywhere,
//    8-bit on IPRIORITYR/ITARGETSR, 64-bit on GICD_IROUTER, GICR_TYPER and GICR_{PROP,PEND}BASER.
//    Any other size, misaligned accesses, reserved offsets and unimplemented INTIDs are RAZ/WI.
//  * ICC_EOIR1_EL1 with no active priority, or naming a special or unimplemented INTID, is
//    ignored (UNPREDICTABLE); ICC_DIR_EL1 while ICC_CTLR_EL1.EOImode = 0 is ignored
//    (UNPREDICTABLE). The priority drop always clears the highest active priority (the
//    architecture requires EOIs to nest).
//  * Not thread-safe: the caller serialises all calls.
// ---------------------------------------------------------------------------------------------
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/vgic/gicv3_fields.h"

namespace kvm_model::vgic {

// QEMU virt memory map (hw/arm/virt.c VIRT_GIC_DIST, VIRT_GIC_REDIST).
inline constexpr uint64_t kDistBase = 0x08000000;
inline constexpr uint64_t kDistSize = 0x10000;
inline constexpr uint64_t kRedistBase = 0x080A0000;
inline constexpr uint64_t kRedistStride = 0x20000;   // RD_base frame, then SGI_base frame
inline constexpr uint64_t kSgiFrameOffset = 0x10000;

// Device PPIs (KVM's defaults; QEMU virt's DT uses the same numbers).
inline constexpr unsigned kPmuPpi = 23;
inline constexpr unsigned kVirtTimerPpi = 27;
inline constexpr unsigned kPhysTimerPpi = 30;

inline constexpr unsigned kDefaultNumIrqs = 64;

// The state of one interrupt, as KVM's struct vgic_irq keeps it (IHI 0069 "Interrupt
// lifecycle"). The pending state is derived: a level-sensitive interrupt is pending while its
// line is high or a latch is set; an edge-triggered one only through the latch.
struct IrqState {
  bool enabled = false;
  bool latch = false;     // rising edge seen, or set by ISPENDR/SGI; cleared by ICPENDR and ack
  bool line = false;      // the input level last given to set_irq_level()
  bool active = false;
  bool edge = false;      // Int_config[1]: 1 = edge-triggered
  uint8_t priority = 0;   // bits [2:0] always 0

  bool pending() const { return latch || (!edge && line); }
};

// The CPU interface registers of one vCPU (the ICC_* of IHI 0069 "AArch64 System register descriptions").
struct CpuIfState {
  uint8_t pmr = 0;                 // ICC_PMR_EL1
  uint8_t bpr0 = kMinBpr0;         // ICC_BPR0_EL1
  uint8_t bpr1 = kMinBpr1;         // ICC_BPR1_EL1 (its own value, when CBPR = 0)
  bool cbpr = false;               // ICC_CTLR_EL1.CBPR
  bool eoimode = false;            // ICC_CTLR_EL1.EOImode
  bool igrpen1 = false;            // ICC_IGRPEN1_EL1.Enable
  uint32_t ap1r0 = 0;              // ICC_AP1R0_EL1: one bit per active group priority
};

// One redistributor: the banked SGIs/PPIs, GICR_WAKER, its LPI controls and the CPU
// interface of its vCPU.
struct RedistState {
  std::array<IrqState, kNumPrivate> irqs{};
  bool processor_sleep = true;     // GICR_WAKER.ProcessorSleep
  bool enable_lpis = false;        // GICR_CTLR.EnableLPIs
  uint64_t pendbaser = 0;          // GICR_PENDBASER, sanitised (PTZ kept: it reads as 0)
  CpuIfState cpuif;
};

// One LPI (KVM's vgic_irq of an INTID >= 8192): always edge-triggered and Group 1; `active`
// is never set.
struct LpiState {
  IrqState irq;
  long target = -1;                // the vCPU id it is delivered to; -1: collection unmapped
  unsigned refs = 0;               // ITS translations that map to it
};

// Everything guest-visible, as a plain copyable value (snapshots).
struct VgicState {
  bool enable_grp1 = false;        // GICD_CTLR.EnableGrp1
  std::vector<IrqState> spis;      // INTID 32 + i
  std::vector<uint64_t> irouter;   // GICD_IROUTER<32 + i>, Aff2..Aff0 only
  std::vector<RedistState> cpus;   // one per vCPU
  bool lpis_supported = false;     // the VM has an ITS (KVM's has_its)
  uint64_t propbaser = 0;          // GICR_PROPBASER, shared by every redistributor
  std::map<uint32_t, LpiState> lpis;  // the mapped LPIs by INTID
};

class Vgic {
 public:
  enum class Access : uint8_t { kOk, kUndef };

  // num_irqs: total INTIDs including the 32 private ones (KVM's nr_irqs), a multiple of 32 in
  // 64..1024 (INTIDs >= 1020 are never implemented). num_vcpus: 1..512 (vCPU ids are 0..n-1).
  // Throws std::invalid_argument naming the parameter otherwise.
  explicit Vgic(unsigned num_vcpus, unsigned num_irqs = kDefaultNumIrqs);

  unsigned num_vcpus() const { return static_cast<unsigned>(s_.cpus.size()); }

  // Guest-physical layout (KVM_DEV_ARM_VGIC_GRP_ADDR): the distributor frame and the
  // redistributor regions, filled in order by vCPU index (count 0: unbounded, the legacy
  // KVM_VGIC_V3_ADDR_TYPE_REDIST). Default: the QEMU virt layout.
  struct RedistRegion {
    uint64_t base;
    uint32_t count;
  };
  void set_layout(uint64_t dist_base, std::vector<RedistRegion> regions) {
    dist_base_ = dist_base;
    regions_ = std::move(regions);
  }
  uint64_t dist_base() const { return dist_base_; }
  // The vCPU ids in creation order (default 0..num_vcpus-1). Redistributors are handed out in
  // this order, region by region, because KVM assigns one when a vCPU is created and, for
  // the vCPUs still without one, when a region is added (vgic_register_redist_iodev in
  // kvm_for_each_vcpu order): the assigned vCPUs are always a prefix of the creation order.
  // Ids not listed have no redistributor. Throws std::invalid_argument for an id >=
  // num_vcpus() or a repeated one.
  void set_vcpu_order(const std::vector<unsigned>& ids);
  // The redistributor frame of a vCPU, or ~0 if the regions do not cover it.
  uint64_t redist_base(unsigned vcpu) const;
  // GICR_TYPER.Last of a vCPU's redistributor (KVM's vgic_mmio_vcpu_rdist_is_last): the
  // last frame handed out in its region, unless the region is full and a contiguous region
  // that follows it holds frames too. False for a vCPU without a redistributor.
  bool redist_is_last(unsigned vcpu) const;
  unsigned num_irqs() const { return num_irqs_; }
  // Bytes of guest-physical space used by the redistributors (num_vcpus * kRedistStride).
  uint64_t redist_size() const { return num_vcpus() * kRedistStride; }

  // Cold reset of everything, device input lines included (a device that is not reset with the
  // GIC must drive its line again).
  void reset();
  // Reset of one vCPU's CPU interface (ICC_* registers), e.g. on PSCI CPU_ON; the
  // redistributor and the interrupts keep their state, as on a PE reset.
  void reset_cpu_interface(unsigned vcpu);

  // ---- MMIO (the distributor and redistributor frames) ----
  // Inside the distributor frame or one of the num_vcpus redistributor frames.
  bool owns(uint64_t gpa) const;
  // false = not a GIC address (value untouched). size is 1, 2, 4 or 8; disallowed sizes,
  // misaligned accesses and reserved registers read 0 / ignore the write and return true.
  bool mmio_read(uint64_t gpa, unsigned size, uint64_t& value);
  bool mmio_write(uint64_t gpa, unsigned size, uint64_t value);

  // ---- CPU interface of a vCPU (an EC 0x18 ICC_* access at EL1) ----
  // MRS (is_read; value receives the result) or MSR (value holds X[Rt]). kUndef for keys that
  // are not implemented ICC_* registers and for MRS of write-only / MSR of read-only ones.
  // The caller handles EL0 (no ICC_* register is accessible at EL0). std::out_of_range for
  // vcpu >= num_vcpus() (a caller bug, not a guest action).
  Access sysreg(unsigned vcpu, arch::SysRegKey key, bool is_read, uint64_t& value);

  // ---- device inputs ----
  // Drives the input line of an interrupt: SGIs/PPIs (intid < 32) of `vcpu`, or an SPI
  // (vcpu ignored). A rising edge latches an edge-triggered interrupt; a level-sensitive one is
  // pending while the line is high. Throws std::out_of_range for intid >= num_irqs() or, for a
  // private interrupt, vcpu >= num_vcpus().
  void set_irq_level(unsigned vcpu, unsigned intid, bool level);
  // An injection from userspace (KVM_IRQ_LINE) or an irqfd (kvm_vgic_inject_irq): the same,
  // except that asserting an edge-triggered interrupt whose line is already high makes it
  // pending again. KVM's injection is an event, not a sampled wire (vgic_validate_injection()
  // takes every level-1 injection of an edge interrupt). The in-kernel sources (timer, PMU)
  // drive set_irq_level(), which sees only changes.
  void inject_irq(unsigned vcpu, unsigned intid, bool level);
  // kvm_notify_acked_irq(): called with the INTID when the guest deactivates a
  // level-triggered SPI (the EOI maintenance interrupt KVM asks for on such an interrupt's
  // list register), for irqfd resampling. Runs inside the deactivation, the vGIC's lock held.
  using SpiAckHook = std::function<void(unsigned intid)>;
  void set_spi_ack_hook(SpiAckHook h) { spi_ack_ = std::move(h); }

  // ---- outputs ----
  // The vCPU's IRQ signal (IHI 0069 pseudocode CanSignalInterrupt): the highest-priority
  // pending, enabled, not active Group 1 interrupt routed to the vCPU exists, GICD_CTLR
  // .EnableGrp1 and ICC_IGRPEN1_EL1 are set, its priority value is below ICC_PMR_EL1 and its
  // group priority is higher (numerically lower) than the running priority. O(1): cached.
  bool irq_pending(unsigned vcpu) const { return out_[vcpu] != 0; }
  // vCPUs whose irq_pending() changed since the previous call, in increasing order.
  std::vector<unsigned> take_changed();

  // ---- LPIs (vgic_lpi.cpp), driven by the ITS model ----
  // Guest memory as KVM reads and writes it (kvm_read_guest/kvm_write_guest): false when
  // the range is in no memory slot; buf null only asks whether it is.
  using GuestMemory = std::function<bool(uint64_t gpa, void* buf, size_t len, bool is_write)>;
  void set_guest_memory(GuestMemory m) { mem_ = std::move(m); }
  bool guest_read(uint64_t gpa, void* buf, size_t len) const { return mem_ && mem_(gpa, buf, len, false); }
  bool guest_write(uint64_t gpa, const void* buf, size_t len) const {
    return mem_ && mem_(gpa, const_cast<void*>(buf), len, true);
  }
  bool guest_present(uint64_t gpa, size_t len) const { return mem_ && mem_(gpa, nullptr, len, false); }
  // An ITS was created (vgic_its_create: has_its, and PROPBASER's initial attributes). Stays on.
  void enable_lpi_support();
  bool lpis_supported() const { return s_.lpis_supported; }
  bool lpis_enabled(unsigned vcpu) const { return vcpu < num_vcpus() && s_.cpus[vcpu].enable_lpis; }
  // kvm_get_vcpu_by_id(): a vCPU with this id exists (has a redistributor slot in the order).
  bool vcpu_exists(uint64_t id) const { return id < order_pos_.size() && order_pos_[id] >= 0; }
  // One past the largest LPI INTID GICR_PROPBASER.IDbits allows (KVM's max_lpis_propbaser).
  uint32_t lpi_limit() const;
  // vgic_add_lpi(): a new reference to LPI `intid` (>= 8192). A new LPI targets `target`
  // (-1: none) and reads its configuration byte and its pending bit (consuming it) from
  // guest memory; -EFAULT (and no LPI) when either read fails. An existing one only gains a
  // reference.
  int lpi_get(uint32_t intid, long target);
  // Drops a reference; the LPI, pending state included, goes with the last one.
  void lpi_put(uint32_t intid);
  // Retargets (update_affinity); with `only_from` >= 0 only an LPI now targeting it.
  void lpi_set_target(uint32_t intid, long target, long only_from = -1);
  // MOVALL: every LPI targeting `from` moves to `to`.
  void lpi_move_all(unsigned from, unsigned to);
  void lpi_set_pending(uint32_t intid, bool pending);
  // update_lpi_config(): re-reads the configuration byte; with filter >= 0 applies it only
  // if the LPI targets that vCPU. -EFAULT if the byte cannot be read.
  int lpi_update_config(uint32_t intid, long filter = -1);
  // INVALL / GICR_INVALLR: every LPI targeting `vcpu` re-reads its configuration.
  void lpi_invall(unsigned vcpu);
  // KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: each mapped LPI's pending bit into its target's
  // pending table (bytes rewritten only where they differ). -EFAULT if a byte could not be
  // read or written (the others are still saved).
  int save_pending_tables();
  const LpiState* lpi(uint32_t intid) const {
    const auto it = s_.lpis.find(intid);
    return it == s_.lpis.end() ? nullptr : &it->second;
  }

  // ---- userspace save/restore (KVM_DEV_ARM_VGIC_GRP_*; vgic_uaccess.cpp) ----
  // The register view KVM gives the VMM: 32-bit accesses at an offset of the distributor
  // frame (GRP_DIST_REGS) or of a vCPU's 128 KiB redistributor (GRP_REDIST_REGS, RD_base
  // then SGI_base). It differs from the guest's where KVM's does (vgic-mmio-v3.c uaccess):
  // GICD_ISPENDR/GICR_ISPENDR0 read and write the pending latch alone (a write also clears
  // the latches of the zero bits), GICD_ICPENDR/GICR_ICPENDR0 are RAZ/WI, GICD_IIDR and
  // GICD_TYPER2 accept only their own value (-EINVAL otherwise), GICR_TYPER ignores writes.
  // Offsets with no register in KVM's tables, or naming an INTID beyond num_irqs(), read 0
  // and ignore writes, as in KVM.
  enum class UserFrame : uint8_t { kDist, kRedist };
  // KVM_HAS_DEVICE_ATTR: a register KVM's tables have at this 32-bit aligned offset, with
  // num_irqs interrupts configured.
  static bool user_reg_exists(UserFrame f, uint32_t offset, unsigned num_irqs);
  // 0, or -EINVAL for a refused GICD_IIDR/GICD_TYPER2 value. vcpu: the redistributor's
  // vCPU (ignored for the distributor). std::out_of_range for vcpu >= num_vcpus().
  int user_read(UserFrame f, unsigned vcpu, uint32_t offset, uint32_t& value);
  int user_write(UserFrame f, unsigned vcpu, uint32_t offset, uint32_t value);
  // GRP_CPU_SYSREGS: the ICC_* registers KVM saves (PMR, BPR0, AP0R<n>, AP1R<n>, BPR1, CTLR,
  // SRE, IGRPEN0, IGRPEN1), by encoding. user_sysreg_exists is KVM_HAS_DEVICE_ATTR;
  // the accessors return 0, -ENOENT for another encoding, -EINVAL for AP{0,1}R1..3 (5
  // priority bits: only AP{0,1}R0 exist), an ICC_CTLR_EL1 whose PRIbits, IDbits, SEIS or A3V
  // this CPU interface cannot provide, or an ICC_SRE_EL1 with SRE clear.
  static bool user_sysreg_exists(arch::SysRegKey key);
  int user_sysreg_read(unsigned vcpu, arch::SysRegKey key, uint64_t& value);
  int user_sysreg_write(unsigned vcpu, arch::SysRegKey key, uint64_t value);
  // GRP_LEVEL_INFO: the input line levels of INTIDs first..first+31 (first a multiple of 32,
  // else -EINVAL) as seen from `vcpu` (its SGIs/PPIs, or SPIs). Reads report level-sensitive
  // interrupts only; writes set the line of every interrupt whatever its configuration, and
  // latch nothing (the pending latch is restored through ISPENDR). SGIs and INTIDs beyond
  // num_irqs() read 0 and ignore writes.
  int user_line_levels(unsigned vcpu, unsigned first, uint32_t& bits) const;
  int user_set_line_levels(unsigned vcpu, unsigned first, uint32_t bits);

  // ---- snapshots ----
  const VgicState& state() const { return s_; }
  // Replaces the state (same num_vcpus and num_irqs, else std::invalid_argument) and
  // recomputes the outputs; every vCPU whose output changes is reported by take_changed().
  void set_state(const VgicState& s);

 private:
  friend struct MmioOps;
  friend struct CpuIfOps;
  friend struct UaccessOps;
  friend struct LpiOps;

  // A frame access by offset (vgic_mmio.cpp): frame_vcpu ~0u is the distributor, else the
  // vCPU whose RD_base (offsets below kSgiFrameOffset) or SGI_base frame is meant.
  uint64_t frame_read(unsigned frame_vcpu, uint32_t off, unsigned size);
  void frame_write(unsigned frame_vcpu, uint32_t off, unsigned size, uint64_t value);
  // The region and index in it of a vCPU's redistributor; false if it has none.
  bool redist_slot(unsigned vcpu, size_t& region, uint64_t& index) const;
  // Frames handed out in region r (KVM's free_index).
  uint64_t region_used(size_t r) const;

  struct Hppi {
    unsigned intid = kSpuriousIntid;
    uint8_t priority = kIdlePriority;
  };

  IrqState* irq(unsigned vcpu, unsigned intid);              // null if not implemented
  const IrqState* irq(unsigned vcpu, unsigned intid) const;
  long spi_target(unsigned intid) const { return spi_target_[intid - kNumPrivate]; }
  void retarget_spi(unsigned intid);

  // CPU interface arithmetic (IHI 0069 "Interrupt prioritization"; pseudocode GroupBits).
  Hppi highest_pending(unsigned vcpu) const;
  uint8_t group_priority_mask(unsigned vcpu) const;   // for Group 1 interrupts
  uint8_t running_priority(unsigned vcpu) const;
  bool can_signal(unsigned vcpu, const Hppi& h) const;
  unsigned acknowledge(unsigned vcpu);                  // ICC_IAR1_EL1 read
  void end_of_interrupt(unsigned vcpu, unsigned intid); // ICC_EOIR1_EL1 write
  void deactivate(unsigned vcpu, unsigned intid);       // ICC_DIR_EL1 / EOImode 0
  void send_sgi(unsigned vcpu, uint64_t sgi1r);         // ICC_SGI1R_EL1 write

  // Recompute the cached output of one vCPU / of all, recording flips for take_changed().
  void refresh(unsigned vcpu);
  void refresh_all();

  unsigned num_irqs_;
  uint64_t dist_base_ = kDistBase;
  std::vector<RedistRegion> regions_{{kRedistBase, 0}};
  std::vector<long> order_pos_;     // creation position of each vCPU id, -1 if not created
  VgicState s_;
  std::vector<long> spi_target_;    // derived from s_.irouter: vCPU id or -1
  std::vector<uint8_t> out_;        // cached irq_pending()
  std::vector<uint8_t> changed_;
  // Derived from s_.lpis: per vCPU, the LPIs targeting it whose pending latch is set (what
  // highest_pending scans). Every change of an LPI's target or latch goes through
  // lpi_reindex().
  std::vector<std::set<uint32_t>> lpi_pending_;
  void lpi_reindex(uint32_t intid, long old_target, bool old_latch);
  void rebuild_lpi_index();
  // GICR_CTLR.EnableLPIs written (vgic_mmio_write_v3r_ctlr).
  void write_enable_lpis(unsigned vcpu, bool enable);
  GuestMemory mem_;
  SpiAckHook spi_ack_;
};

}  // namespace kvm_model::vgic
