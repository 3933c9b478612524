// kvm_model::vgic::Its: a GICv3 Interrupt Translation Service as KVM's vgic-its presents it
// (Arm IHI 0069 chapter "The ITS"): the 64 KiB control frame (GITS_CTLR, IIDR, TYPER,
// CBASER, CWRITER, CREADR, BASER<n>, the ID registers), the command queue read from guest
// memory, and the translation of (DeviceID, EventID) into LPIs of the vGIC. The translation
// register GITS_TRANSLATER sits in the second 64 KiB frame; a VMM reaches it through
// KVM_SIGNAL_MSI (signal()), as KVM does.
//
// Where the architecture leaves a choice, this model makes KVM's (ABI revision 0):
//  * GITS_TYPER: physical LPIs, 16 DeviceID bits, 16 EventID bits, 8-byte ITT entries,
//    PTA = 0 (a target address is a vCPU id), no collections held in the ITS (HCC = 0),
//    16-bit collection ids (CIL = 0).
//  * Two tables: GITS_BASER0 the device table, GITS_BASER1 the collection table (flat only;
//    the device table may be two-level); 8-byte entries, 64 KiB pages, the type and entry
//    size read-only; BASER2..7 RAZ/WI. Written while the ITS is disabled only; a changed
//    value drops every device (BASER0) or collection (BASER1) mapping.
//  * The mappings are held in the model, not in the guest's tables (KVM writes them there
//    only at KVM_DEV_ARM_ITS_SAVE_TABLES); a table entry must lie in a memory slot for an id
//    to be accepted. Unmapping (MAPD V=0, DISCARD) zeroes the entry in guest memory, as KVM.
//  * Commands run synchronously when CWRITER is written (or GITS_CTLR.Enable is set), so
//    CREADR equals CWRITER after every write and GITS_CTLR.Quiescent is set. A command with an
//    error is skipped (KVM reports no command errors: GITS_CREADR.Stalled is never set), and
//    so is one whose 32 bytes cannot be read. Unknown command numbers are ignored.
//  * CBASER and BASER<n> are read-only while the ITS is enabled; enabling needs valid
//    CBASER, BASER0 and BASER1 (else the write is ignored: UNPREDICTABLE).
//  * MAPTI/MAPI of an already mapped event is ignored (UNPREDICTABLE). MAPD of a mapped
//    device drops its translations first. MAPC V=0 and MOVI/MOVALL take effect at once.
//  * Not thread-safe: the caller serialises all calls (the VM lock).
#pragma once

#include <cstdint>
#include <map>

#include "kvm_model/vgic/vgic.h"

namespace kvm_model::vgic {

inline constexpr uint64_t kItsFrameSize = 0x20000;  // control frame + translation frame
inline constexpr uint64_t kGitsTranslater = 0x10040;

// KVM's E_ITS_* command error codes (the ITS "command error" encodings KVM uses internally:
// IHI 0069 "Command errors"). They are positive; negative values are errnos.
namespace its_error {
inline constexpr int kMovi_UnmappedInterrupt = 0x010107;
inline constexpr int kMovi_UnmappedCollection = 0x010109;
inline constexpr int kInt_UnmappedInterrupt = 0x010307;
inline constexpr int kClear_UnmappedInterrupt = 0x010507;
inline constexpr int kMapd_DeviceOor = 0x010801;
inline constexpr int kMapd_IttSizeOor = 0x010802;
inline constexpr int kMapc_ProcnumOor = 0x010902;
inline constexpr int kMapc_CollectionOor = 0x010903;
inline constexpr int kMapti_UnmappedDevice = 0x010a04;
inline constexpr int kMapti_IdOor = 0x010a05;
inline constexpr int kMapti_PhysicalIdOor = 0x010a06;
inline constexpr int kInv_UnmappedInterrupt = 0x010c07;
inline constexpr int kInvall_UnmappedCollection = 0x010d09;
inline constexpr int kMovall_ProcnumOor = 0x010e01;
inline constexpr int kDiscard_UnmappedInterrupt = 0x010f07;
}  // namespace its_error

// The ITS command numbers (IHI 0069 "ITS commands").
namespace its_cmd {
inline constexpr uint8_t kMovi = 0x01, kInt = 0x03, kClear = 0x04, kSync = 0x05, kMapd = 0x08,
                         kMapc = 0x09, kMapti = 0x0a, kMapi = 0x0b, kInv = 0x0c, kInvall = 0x0d,
                         kMovall = 0x0e, kDiscard = 0x0f;
}  // namespace its_cmd

// Everything guest-visible of one ITS (a plain copyable value).
struct ItsState {
  bool enabled = false;            // GITS_CTLR.Enable
  uint64_t cbaser = 0;
  uint64_t cwriter = 0;
  uint64_t creadr = 0;
  uint64_t baser_device = 0;       // GITS_BASER0
  uint64_t baser_coll = 0;         // GITS_BASER1
  struct Ite {
    uint32_t collection;           // collection id
    uint32_t lpi;                  // INTID
    bool collection_valid = true;  // false once MAPC V=0 removed its collection
  };
  struct Device {
    uint64_t itt_addr;
    unsigned eventid_bits;
    std::map<uint32_t, Ite> ites;  // by EventID
  };
  std::map<uint32_t, Device> devices;        // by DeviceID
  std::map<uint32_t, uint64_t> collections;  // collection id -> target vCPU id (~0: unmapped)
};

class Its {
 public:
  Its() { reset_registers(); }

  // KVM_VGIC_ITS_ADDR_TYPE: the frame's base (~0 until set).
  uint64_t base() const { return base_; }
  void set_base(uint64_t b) { base_ = b; }
  bool owns(uint64_t gpa) const { return base_ != ~uint64_t{0} && gpa - base_ < 0x10000; }

  // A guest access to the control frame (gpa inside owns()). size 1, 2, 4 or 8; accesses
  // of another size, misaligned, or to reserved offsets read 0 / are ignored.
  uint64_t mmio_read(uint64_t gpa, unsigned size) const;
  void mmio_write(Vgic& gic, uint64_t gpa, unsigned size, uint64_t value);

  // A write of `data` (the EventID) by device `devid` to GITS_TRANSLATER (KVM_SIGNAL_MSI's
  // kvm_set_msi): 1 the LPI is now pending, 0 the translation failed (the ITS drops it),
  // -EBUSY the ITS or the target's LPIs are disabled.
  int signal(Vgic& gic, uint32_t devid, uint32_t eventid);

  // KVM_DEV_ARM_ITS_CTRL_RESET (vgic_its_reset): disabled, CBASER/CREADR/CWRITER cleared,
  // the BASER<n> Valid bits cleared (their other fields kept), every mapping dropped.
  void reset(Vgic* gic);
  // KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES (table ABI revision 0): the mappings into
  // / from the guest's device, ITT and collection tables. 0 or -errno as vgic-its.c's.
  int save_tables(Vgic& gic);
  int restore_tables(Vgic& gic);
  // Drops every mapping (the device fd's release).
  void release(Vgic* gic);

  // KVM_DEV_ARM_VGIC_GRP_ITS_REGS (vgic_its_attr_regs_access): the register at `offset`,
  // 64-bit registers as one u64 at an 8-byte aligned offset, the others as u32 at a 4-byte
  // aligned one. -EINVAL misaligned, -ENXIO no register there; writes: -EINVAL an IIDR with
  // an unknown revision or a CREADR beyond the queue, -EBUSY CREADR while enabled.
  static int user_reg_check(uint64_t offset);
  int user_read(uint64_t offset, uint64_t& value) const;
  int user_write(Vgic* gic, uint64_t offset, uint64_t value);

  const ItsState& state() const { return s_; }

 private:
  void reset_registers();
  void process_commands(Vgic& gic);
  int handle_command(Vgic& gic, const uint64_t (&cmd)[4]);
  // The vCPU a mapped collection targets, or -1.
  long collection_target(uint32_t coll) const;
  // vgic_its_check_id(): the entry for `id` in the table of `baser` lies in guest memory.
  bool check_id(const Vgic& gic, uint64_t baser, uint32_t id, uint64_t* entry) const;
  void free_device(Vgic& gic, uint32_t devid);
  void drop_collection(uint32_t coll);
  void write_baser(Vgic* gic, unsigned index, uint32_t off, unsigned size, uint64_t value);
  void write_cbaser(uint32_t off, unsigned size, uint64_t value);
  void write_ctlr(Vgic* gic, uint64_t value);

  uint64_t base_ = ~uint64_t{0};
  ItsState s_;
};

}  // namespace kvm_model::vgic
