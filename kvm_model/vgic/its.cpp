// The ITS model: register frame, command queue and translation (its.h has the choices).
#include "kvm_model/vgic/its.h"

#include <algorithm>
#include <cerrno>
#include <span>
#include <vector>

namespace kvm_model::vgic {

namespace {

// Register offsets in the control frame (IHI 0069 "ITS register map").
constexpr uint32_t kOffCtlr = 0x0000, kOffIidr = 0x0004, kOffTyper = 0x0008, kOffCbaser = 0x0080,
                   kOffCwriter = 0x0088, kOffCreadr = 0x0090, kOffBaser = 0x0100, kOffIdregs = 0xFFD0;

constexpr uint32_t kCtlrEnable = 1u << 0;
constexpr uint32_t kCtlrQuiescent = 1u << 31;

// GITS_TYPER: Physical [0], ITT_entry_size [7:4] (bytes - 1), ID_bits [12:8] (bits - 1),
// Devbits [17:13] (bits - 1).
constexpr unsigned kDevBits = 16, kEventIdBits = 16, kEntrySize = 8;
constexpr uint64_t kTyperValue = 1 | ((kEntrySize - 1) << 4) | ((kEventIdBits - 1) << 8) | ((kDevBits - 1) << 13);
// GITS_IIDR: ProductID 0x4B (KVM), revision 0 (the only table ABI), implementer Arm.
constexpr uint32_t kIidrValue = (0x4Bu << 24) | 0x43Bu;
constexpr unsigned kIidrRevShift = 12;

// GITS_CBASER / GITS_BASER<n> fields.
constexpr uint64_t kValid = 1ull << 63;
constexpr uint64_t kIndirect = 1ull << 62;
constexpr unsigned kTypeShift = 56, kEntrySizeShift = 48;
constexpr uint64_t kBaserRoMask = (0x1full << 48) | (0x7ull << 56);  // Entry_Size, Type
constexpr uint64_t kPageSizeMask = 3ull << 8;
constexpr uint64_t kPageSize64K = 2ull << 8;
constexpr uint64_t kTypeDevice = 1, kTypeCollection = 4;
constexpr uint64_t kCmdSize = 32;
constexpr uint64_t kCmdOffsetMask = 0xfffe0;   // GITS_CWRITER/CREADR Offset [19:5]
constexpr uint64_t kCbaserAddrMask = 0x000ffffffffff000ull;
constexpr uint64_t k64K = 0x10000;
constexpr uint32_t kCollNotMapped = ~0u;

uint64_t queue_size(uint64_t cbaser) { return ((cbaser & 0xff) + 1) << 12; }

// The 64-bit table address of GITS_BASER<n> with 64 KiB pages: PA [47:16], PA[51:48] in [15:12].
uint64_t baser_addr(uint64_t baser) {
  return (baser & 0x0000ffffffff0000ull) | (((baser >> 12) & 0xf) << 48);
}

uint64_t slice(uint64_t reg, uint32_t off, unsigned size) {
  const unsigned shift = (off % 8) * 8;
  return size == 8 ? reg : (reg >> shift) & ((uint64_t{1} << (size * 8)) - 1);
}
uint64_t merge(uint64_t reg, uint32_t off, unsigned size, uint64_t v) {
  if (size == 8) return v;
  const unsigned shift = (off % 8) * 8;
  const uint64_t mask = ((uint64_t{1} << (size * 8)) - 1) << shift;
  return (reg & ~mask) | ((v << shift) & mask);
}

// A register of the control frame: its first offset, length and the access sizes it takes
// (bit n set: an n-byte access).
struct ItsReg {
  uint32_t offset, length;
  uint8_t sizes;
};
constexpr ItsReg kRegs[] = {
    {kOffCtlr, 4, 4},  {kOffIidr, 4, 4},    {kOffTyper, 8, 4 | 8},  {kOffCbaser, 8, 4 | 8},
    {kOffCwriter, 8, 4 | 8}, {kOffCreadr, 8, 4 | 8}, {kOffBaser, 0x40, 4 | 8}, {kOffIdregs, 0x30, 4},
};
const ItsReg* find_reg(uint32_t off) {
  for (const ItsReg& r : kRegs)
    if (off >= r.offset && off < r.offset + r.length) return &r;
  return nullptr;
}

// The CoreSight-style ID registers (vgic_mmio_read_its_idregs): PIDR4 says a 64 KiB page,
// PIDR0/1 the part number, PIDR2 GICv3, CIDR0..3 the component preamble.
uint32_t idreg(uint32_t off) {
  switch (off) {
    case 0xFFD0: return 0x40;
    case 0xFFE0: return 0x92;
    case 0xFFE4: return 0xb4;
    case 0xFFE8: return 0x3b;
    case 0xFFF0: return 0x0d;
    case 0xFFF4: return 0xf0;
    case 0xFFF8: return 0x05;
    case 0xFFFC: return 0xb1;
    default: return 0;
  }
}

// Command fields (IHI 0069 "ITS command descriptions"), from the four little-endian
// doublewords of a command.
struct Cmd {
  const uint64_t (&d)[4];
  uint8_t number() const { return static_cast<uint8_t>(d[0]); }
  uint32_t devid() const { return static_cast<uint32_t>(d[0] >> 32); }
  unsigned size() const { return static_cast<unsigned>(d[1] & 0x1f) + 1; }   // EventID bits
  uint32_t eventid() const { return static_cast<uint32_t>(d[1]); }
  uint32_t pintid() const { return static_cast<uint32_t>(d[1] >> 32); }
  uint32_t icid() const { return static_cast<uint32_t>(d[2] & 0xffff); }
  uint64_t itt_addr() const { return d[2] & 0x000fffffffffff00ull; }
  uint64_t rdbase() const { return (d[2] >> 16) & 0xffffffffull; }         // PTA = 0: a vCPU id
  uint64_t rdbase2() const { return (d[3] >> 16) & 0xffffffffull; }        // MOVALL's second
  bool valid() const { return (d[2] >> 63) != 0; }
};

}  // namespace

void Its::reset_registers() {
  // KVM's INITIAL_BASER_VALUE (inner RaWb, outer same as inner, Inner Shareable, 64 KiB
  // pages) with the ABI's entry size and each table's type.
  const uint64_t initial = (uint64_t{3} << 59) | (uint64_t{1} << 10) | kPageSize64K |
                           (uint64_t{kEntrySize - 1} << kEntrySizeShift);
  s_.baser_device = initial | (kTypeDevice << kTypeShift);
  s_.baser_coll = initial | (kTypeCollection << kTypeShift);
}

long Its::collection_target(uint32_t coll) const {
  const auto it = s_.collections.find(coll);
  if (it == s_.collections.end() || it->second == kCollNotMapped) return -1;
  return static_cast<long>(it->second);
}

bool Its::check_id(const Vgic& gic, uint64_t baser, uint32_t id, uint64_t* entry) const {
  const uint64_t l1_size = ((baser & 0xff) + 1) * k64K;
  const uint64_t type = (baser >> kTypeShift) & 7;
  const uint64_t base = baser_addr(baser);
  const uint64_t esz = ((baser >> kEntrySizeShift) & 0x1f) + 1;
  if (type == kTypeDevice) {
    if (id >= (1u << kDevBits)) return false;
  } else if (type == kTypeCollection) {
    if (id >= (1u << 16)) return false;   // GITS_TYPER.CIL = 0: 16-bit collection ids
  } else {
    return false;
  }
  uint64_t addr = 0;
  if (!(baser & kIndirect)) {
    if (id >= l1_size / esz) return false;
    addr = base + id * esz;
  } else {
    // Two levels: a 64-bit level-1 entry (Valid [63], PA [51:16]) per 64 KiB page of entries.
    const uint64_t per_page = k64K / esz;
    const uint64_t index = id / per_page;
    if (index >= l1_size / 8) return false;
    uint64_t l1 = 0;
    if (!gic.guest_read(base + index * 8, &l1, 8)) return false;
    if (!(l1 & kValid)) return false;
    addr = (l1 & 0x000fffffffff0000ull) + (id % per_page) * esz;
  }
  if (entry != nullptr) *entry = addr;
  return gic.guest_present(addr, 1);
}

void Its::free_device(Vgic& gic, uint32_t devid) {
  const auto it = s_.devices.find(devid);
  if (it == s_.devices.end()) return;
  for (const auto& [ev, ite] : it->second.ites) gic.lpi_put(ite.lpi);
  s_.devices.erase(it);
}

// MAPC V=0 / a new collection table: translations through the collection lose it for good
// (a later MAPC of the same id does not bring them back; KVM's ite->collection = NULL).
void Its::drop_collection(uint32_t coll) {
  if (s_.collections.erase(coll) == 0) return;
  for (auto& [devid, dev] : s_.devices)
    for (auto& [ev, ite] : dev.ites)
      if (ite.collection_valid && ite.collection == coll) ite.collection_valid = false;
}

int Its::handle_command(Vgic& gic, const uint64_t (&raw)[4]) {
  const Cmd c{raw};
  auto find_ite = [&](uint32_t devid, uint32_t ev) -> ItsState::Ite* {
    const auto d = s_.devices.find(devid);
    if (d == s_.devices.end()) return nullptr;
    const auto i = d->second.ites.find(ev);
    return i == d->second.ites.end() ? nullptr : &i->second;
  };
  auto ite_target = [&](const ItsState::Ite& ite) -> long {
    return ite.collection_valid ? collection_target(ite.collection) : -1;
  };
  switch (c.number()) {
    case its_cmd::kMapd: {
      uint64_t entry = 0;
      if (!check_id(gic, s_.baser_device, c.devid(), &entry)) return its_error::kMapd_DeviceOor;
      if (c.valid() && c.size() > kEventIdBits) return its_error::kMapd_IttSizeOor;
      // Remapping a mapped device drops its translations (its cached data).
      free_device(gic, c.devid());
      if (!c.valid()) {
        const uint64_t zero = 0;
        return gic.guest_write(entry, &zero, 8) ? 0 : -EFAULT;
      }
      s_.devices[c.devid()] = ItsState::Device{c.itt_addr(), c.size(), {}};
      return 0;
    }
    case its_cmd::kMapc: {
      if (!c.valid()) {
        drop_collection(c.icid());
        return 0;
      }
      if (!gic.vcpu_exists(c.rdbase())) return its_error::kMapc_ProcnumOor;
      const auto target = static_cast<uint32_t>(c.rdbase());
      if (auto it = s_.collections.find(c.icid()); it != s_.collections.end()) {
        it->second = target;
        for (const auto& [devid, dev] : s_.devices)
          for (const auto& [ev, ite] : dev.ites)
            if (ite.collection_valid && ite.collection == c.icid()) gic.lpi_set_target(ite.lpi, target);
        return 0;
      }
      if (!check_id(gic, s_.baser_coll, c.icid(), nullptr)) return its_error::kMapc_CollectionOor;
      s_.collections[c.icid()] = target;
      return 0;
    }
    case its_cmd::kMapti:
    case its_cmd::kMapi: {
      const auto d = s_.devices.find(c.devid());
      if (d == s_.devices.end()) return its_error::kMapti_UnmappedDevice;
      ItsState::Device& dev = d->second;
      const uint32_t ev = c.eventid();
      if (ev >= (uint64_t{1} << dev.eventid_bits) || !gic.guest_present(dev.itt_addr + uint64_t{ev} * kEntrySize, 1))
        return its_error::kMapti_IdOor;
      const uint32_t lpi = c.number() == its_cmd::kMapti ? c.pintid() : ev;
      if (lpi < kFirstLpi || lpi >= gic.lpi_limit()) return its_error::kMapti_PhysicalIdOor;
      if (dev.ites.count(ev) != 0) return 0;  // already mapped: UNPREDICTABLE, ignored
      bool new_coll = false;
      if (s_.collections.count(c.icid()) == 0) {
        if (!check_id(gic, s_.baser_coll, c.icid(), nullptr)) return its_error::kMapc_CollectionOor;
        s_.collections[c.icid()] = kCollNotMapped;
        new_coll = true;
      }
      if (int rc = gic.lpi_get(lpi, collection_target(c.icid())); rc != 0) {
        if (new_coll) s_.collections.erase(c.icid());
        return rc;
      }
      dev.ites[ev] = ItsState::Ite{c.icid(), lpi, true};
      return 0;
    }
    case its_cmd::kMovi: {
      ItsState::Ite* ite = find_ite(c.devid(), c.eventid());
      if (ite == nullptr) return its_error::kMovi_UnmappedInterrupt;
      if (ite_target(*ite) < 0) return its_error::kMovi_UnmappedCollection;
      const long target = collection_target(c.icid());
      if (target < 0) return its_error::kMovi_UnmappedCollection;
      ite->collection = c.icid();
      ite->collection_valid = true;
      gic.lpi_set_target(ite->lpi, target);
      return 0;
    }
    case its_cmd::kDiscard: {
      ItsState::Ite* ite = find_ite(c.devid(), c.eventid());
      if (ite == nullptr || ite_target(*ite) < 0) return its_error::kDiscard_UnmappedInterrupt;
      ItsState::Device& dev = s_.devices.find(c.devid())->second;
      const uint64_t entry = dev.itt_addr + uint64_t{c.eventid()} * kEntrySize;
      gic.lpi_put(ite->lpi);
      dev.ites.erase(c.eventid());
      const uint64_t zero = 0;
      return gic.guest_write(entry, &zero, 8) ? 0 : -EFAULT;
    }
    case its_cmd::kClear: {
      const ItsState::Ite* ite = find_ite(c.devid(), c.eventid());
      if (ite == nullptr) return its_error::kClear_UnmappedInterrupt;
      gic.lpi_set_pending(ite->lpi, false);
      return 0;
    }
    case its_cmd::kInv: {
      const ItsState::Ite* ite = find_ite(c.devid(), c.eventid());
      if (ite == nullptr) return its_error::kInv_UnmappedInterrupt;
      return gic.lpi_update_config(ite->lpi);
    }
    case its_cmd::kInvall: {
      const long target = collection_target(c.icid());
      if (target < 0) return its_error::kInvall_UnmappedCollection;
      gic.lpi_invall(static_cast<unsigned>(target));
      return 0;
    }
    case its_cmd::kMovall: {
      if (!gic.vcpu_exists(c.rdbase()) || !gic.vcpu_exists(c.rdbase2())) return its_error::kMovall_ProcnumOor;
      if (c.rdbase() != c.rdbase2())
        gic.lpi_move_all(static_cast<unsigned>(c.rdbase()), static_cast<unsigned>(c.rdbase2()));
      return 0;
    }
    case its_cmd::kInt: {
      const int rc = signal(gic, c.devid(), c.eventid());
      return rc == 1 ? 0 : (rc == 0 ? its_error::kInt_UnmappedInterrupt : rc);
    }
    case its_cmd::kSync:
      return 0;  // every command has taken effect already
    default:
      return -ENODEV;  // not an ITS command KVM knows: skipped
  }
}

void Its::process_commands(Vgic& gic) {
  if (!s_.enabled) return;
  const uint64_t base = s_.cbaser & kCbaserAddrMask;
  const uint64_t size = queue_size(s_.cbaser);
  // At most one lap of the queue: CREADR and CWRITER are both 32-byte aligned offsets
  // inside it, so the loop ends where CWRITER points.
  for (uint64_t n = 0; s_.creadr != s_.cwriter && n < size / kCmdSize; ++n) {
    uint64_t cmd[4] = {};
    // An unreadable command (a bogus CBASER) is skipped (IHI 0069 leaves it to the ITS).
    if (gic.guest_read(base + s_.creadr, cmd, sizeof cmd)) handle_command(gic, cmd);
    s_.creadr += kCmdSize;
    if (s_.creadr >= size) s_.creadr = 0;
  }
}

int Its::signal(Vgic& gic, uint32_t devid, uint32_t eventid) {
  if (!s_.enabled) return -EBUSY;
  const auto d = s_.devices.find(devid);
  if (d == s_.devices.end()) return 0;
  const auto i = d->second.ites.find(eventid);
  if (i == d->second.ites.end() || !i->second.collection_valid) return 0;
  const long target = collection_target(i->second.collection);
  if (target < 0 || !gic.vcpu_exists(static_cast<uint64_t>(target))) return 0;
  if (!gic.lpis_enabled(static_cast<unsigned>(target))) return -EBUSY;
  gic.lpi_set_pending(i->second.lpi, true);
  return 1;
}

void Its::release(Vgic* gic) {
  if (gic != nullptr)
    for (const auto& [devid, dev] : s_.devices)
      for (const auto& [ev, ite] : dev.ites) gic->lpi_put(ite.lpi);
  s_.devices.clear();
  s_.collections.clear();
}

void Its::reset(Vgic* gic) {
  // vgic_its_reset(): the tables' ABI fields stay, their Valid bits go.
  s_.baser_device &= ~kValid;
  s_.baser_coll &= ~kValid;
  s_.cbaser = 0;
  s_.creadr = 0;
  s_.cwriter = 0;
  s_.enabled = false;
  release(gic);
}

// ---- registers ----

uint64_t Its::mmio_read(uint64_t gpa, unsigned size) const {
  const auto off = static_cast<uint32_t>(gpa - base_);
  const ItsReg* r = find_reg(off);
  if (r == nullptr || size > 8 || (r->sizes & size) == 0 || off % size != 0) return 0;
  switch (r->offset) {
    case kOffCtlr:
      return (s_.enabled ? kCtlrEnable : 0) | (s_.creadr == s_.cwriter ? kCtlrQuiescent : 0);
    case kOffIidr: return kIidrValue;
    case kOffTyper: return slice(kTyperValue, off, size);
    case kOffCbaser: return slice(s_.cbaser, off, size);
    case kOffCwriter: return slice(s_.cwriter, off, size);
    case kOffCreadr: return slice(s_.creadr, off, size);
    case kOffBaser: {
      const unsigned index = (off - kOffBaser) / 8;
      return slice(index == 0 ? s_.baser_device : index == 1 ? s_.baser_coll : 0, off, size);
    }
    case kOffIdregs: return idreg(off);
    default: return 0;
  }
}

void Its::write_ctlr(Vgic* gic, uint64_t value) {
  const bool enable = (value & kCtlrEnable) != 0;
  // Enabling with an invalid command queue or table is UNPREDICTABLE: KVM ignores the write.
  if (!s_.enabled && enable &&
      (!(s_.baser_device & kValid) || !(s_.baser_coll & kValid) || !(s_.cbaser & kValid)))
    return;
  s_.enabled = enable;
  if (gic != nullptr) process_commands(*gic);
}

void Its::write_cbaser(uint32_t off, unsigned size, uint64_t value) {
  if (s_.enabled) return;  // read-only while enabled
  // Sanitised like KVM's, and 64 KiB aligned (PA [15:12] cleared); the queue restarts empty.
  s_.cbaser = sanitise_baser(merge(s_.cbaser, off, size, value), 10, 59, 53) & ~0xf000ull;
  s_.creadr = 0;
  s_.cwriter = 0;
}

void Its::write_baser(Vgic* gic, unsigned index, uint32_t off, unsigned size, uint64_t value) {
  if (s_.enabled || index > 1) return;
  uint64_t& reg = index == 0 ? s_.baser_device : s_.baser_coll;
  const uint64_t type = index == 0 ? kTypeDevice : kTypeCollection;
  uint64_t v = merge(reg, off, size, value) & ~kBaserRoMask;
  if (type == kTypeCollection) v &= ~kIndirect;  // a flat collection table only
  v |= (uint64_t{kEntrySize - 1} << kEntrySizeShift) | (type << kTypeShift);
  v = (sanitise_baser(v, 10, 59, 53) & ~kPageSizeMask) | kPageSize64K;
  const uint64_t old = reg;
  reg = v;
  // A new table: the mappings of the old one are gone (a rewrite of the same value, as the
  // Linux driver does on resume, keeps them).
  if (v == old) return;
  if (type == kTypeDevice) {
    std::vector<uint32_t> ids;
    for (const auto& [devid, dev] : s_.devices) ids.push_back(devid);
    for (uint32_t devid : ids) {
      if (gic != nullptr) free_device(*gic, devid);
      else s_.devices.erase(devid);
    }
  } else {
    std::vector<uint32_t> ids;
    for (const auto& [coll, t] : s_.collections) ids.push_back(coll);
    for (uint32_t coll : ids) drop_collection(coll);
  }
}

void Its::mmio_write(Vgic& gic, uint64_t gpa, unsigned size, uint64_t value) {
  const auto off = static_cast<uint32_t>(gpa - base_);
  const ItsReg* r = find_reg(off);
  if (r == nullptr || size > 8 || (r->sizes & size) == 0 || off % size != 0) return;
  switch (r->offset) {
    case kOffCtlr:
      write_ctlr(&gic, value);
      return;
    case kOffCbaser:
      write_cbaser(off, size, value);
      return;
    case kOffCwriter: {
      const uint64_t w = merge(s_.cwriter, off, size, value) & kCmdOffsetMask;
      if (w >= queue_size(s_.cbaser)) return;  // beyond the queue: ignored
      s_.cwriter = w;
      process_commands(gic);
      return;
    }
    case kOffBaser:
      write_baser(&gic, (off - kOffBaser) / 8, off, size, value);
      return;
    default:
      return;  // IIDR, TYPER, CREADR, ID registers: read-only
  }
}

// ---- KVM_DEV_ARM_VGIC_GRP_ITS_REGS ----

int Its::user_reg_check(uint64_t offset) {
  // 64-bit registers are accessed whole, the others (CTLR, IIDR, ID registers) as u32.
  const uint64_t align = (offset < kOffTyper || offset >= kOffIdregs) ? 3 : 7;
  if (offset & align) return -EINVAL;
  if (offset >= 0x10000 || find_reg(static_cast<uint32_t>(offset)) == nullptr) return -ENXIO;
  return 0;
}

int Its::user_read(uint64_t offset, uint64_t& value) const {
  if (int rc = user_reg_check(offset); rc != 0) return rc;
  if (base_ == ~uint64_t{0}) return -ENXIO;
  const ItsReg* r = find_reg(static_cast<uint32_t>(offset));
  const unsigned len = (r->sizes & 8) ? 8 : 4;
  value = mmio_read(base_ + offset, len);
  return 0;
}

int Its::user_write(Vgic* gic, uint64_t offset, uint64_t value) {
  if (int rc = user_reg_check(offset); rc != 0) return rc;
  if (base_ == ~uint64_t{0}) return -ENXIO;
  const auto off = static_cast<uint32_t>(offset);
  const ItsReg* r = find_reg(off);
  const unsigned len = (r->sizes & 8) ? 8 : 4;
  switch (r->offset) {
    case kOffIidr:
      // Only table ABI revision 0 exists.
      return ((value >> kIidrRevShift) & 0xf) != 0 ? -EINVAL : 0;
    case kOffCreadr: {
      if (s_.enabled) return -EBUSY;
      const uint64_t rd = value & kCmdOffsetMask;
      if (rd >= queue_size(s_.cbaser)) return -EINVAL;
      s_.creadr = rd;
      return 0;
    }
    case kOffCtlr:
      write_ctlr(gic, value);
      return 0;
    case kOffCbaser:
      write_cbaser(off, len, value);
      return 0;
    case kOffCwriter: {
      const uint64_t w = value & kCmdOffsetMask;
      if (w >= queue_size(s_.cbaser)) return 0;
      s_.cwriter = w;
      if (gic != nullptr) process_commands(*gic);
      return 0;
    }
    case kOffBaser:
      write_baser(gic, (off - kOffBaser) / 8, off, len, value);
      return 0;
    default:
      return 0;  // TYPER, ID registers: writes ignored
  }
}

}  // namespace kvm_model::vgic

// ---- KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES: table ABI revision 0 ----
// Entries are 8 bytes, little-endian (Linux's Documentation/virt/kvm/devices/arm-vgic-its.rst):
//  DTE: Valid [63], Next [62:49] (DeviceID offset to the next saved device, 0 for the last),
//       ITT_addr [48:5] (the ITT address >> 8), Size [4:0] (EventID bits - 1).
//  ITE: Next [63:48] (EventID offset to the next ITE, 0 for the last), pINTID [47:16], ICID [15:0].
//  CTE: Valid [63], RDBase [51:16] (the target vCPU id), ICID [15:0].
namespace kvm_model::vgic {

namespace {
constexpr uint64_t kMaxDevidOffset = (1u << 14) - 1, kMaxEventidOffset = (1u << 16) - 1;

bool write64(Vgic& gic, uint64_t gpa, uint64_t v) { return gic.guest_write(gpa, &v, 8); }
}  // namespace

int Its::save_tables(Vgic& gic) {
  // Devices, each with its ITT, in DeviceID order; a device table that is not valid saves none.
  if (s_.baser_device & kValid) {
    for (auto d = s_.devices.begin(); d != s_.devices.end(); ++d) {
      uint64_t entry = 0;
      if (!check_id(gic, s_.baser_device, d->first, &entry)) return -EINVAL;
      const ItsState::Device& dev = d->second;
      for (auto i = dev.ites.begin(); i != dev.ites.end(); ++i) {
        const auto n = std::next(i);
        const uint64_t next = n == dev.ites.end() ? 0 : std::min<uint64_t>(n->first - i->first, kMaxEventidOffset);
        const uint64_t ite = (next << 48) | (uint64_t{i->second.lpi} << 16) | i->second.collection;
        if (!write64(gic, dev.itt_addr + uint64_t{i->first} * kEntrySize, ite)) return -EFAULT;
      }
      // The next device whose entry the table can hold.
      uint64_t next = 0;
      for (auto n = std::next(d); n != s_.devices.end(); ++n) {
        if (check_id(gic, s_.baser_device, n->first, nullptr)) {
          next = std::min<uint64_t>(n->first - d->first, kMaxDevidOffset);
          break;
        }
      }
      const uint64_t dte = kValid | (next << 49) | ((dev.itt_addr >> 8) << 5) | (dev.eventid_bits - 1);
      if (!write64(gic, entry, dte)) return -EFAULT;
    }
  }
  // Collections one after the other, closed by an invalid entry if the table has room.
  if (!(s_.baser_coll & kValid)) return 0;
  const uint64_t base = baser_addr(s_.baser_coll);
  const uint64_t size = ((s_.baser_coll & 0xff) + 1) * k64K;
  uint64_t filled = 0;
  for (const auto& [coll, target] : s_.collections) {
    if (filled >= size) return -EFAULT;  // more collections than the table holds
    const uint64_t cte = kValid | (uint64_t{static_cast<uint32_t>(target)} << 16) | coll;
    if (!write64(gic, base + filled, cte)) return -EFAULT;
    filled += kEntrySize;
  }
  if (filled == size) return 0;
  return write64(gic, base + filled, 0) ? 0 : -EFAULT;
}

// Walks `size` bytes of 8-byte entries from `base`, the first with id `first_id`: fn returns
// < 0 an error, 0 "that was the last", else the id offset to the next entry. 1 when the
// table ended before a last entry was found.
template <typename Fn>
int scan_table(const Vgic& gic, uint64_t base, uint64_t size, uint64_t first_id, Fn fn) {
  uint64_t id = first_id, off = 0;
  while (off < size) {
    uint64_t e = 0;
    if (!gic.guest_read(base + off, &e, 8)) return -EFAULT;
    const long next = fn(id, e);
    if (next <= 0) return static_cast<int>(next);
    const uint64_t step = static_cast<uint64_t>(next) * kEntrySize;
    if (step >= size - off) break;
    id += static_cast<uint64_t>(next);
    off += step;
  }
  return 1;
}

int Its::restore_tables(Vgic& gic) {
  // Collections first: the ITEs name them.
  if (s_.baser_coll & kValid) {
    const uint64_t base = baser_addr(s_.baser_coll);
    const uint64_t size = ((s_.baser_coll & 0xff) + 1) * k64K;
    for (uint64_t off = 0; off < size; off += kEntrySize) {
      uint64_t e = 0;
      if (!gic.guest_read(base + off, &e, 8)) return -EFAULT;
      if (!(e & kValid)) break;
      const auto target = static_cast<uint32_t>(e >> 16);
      const auto coll = static_cast<uint32_t>(e & 0xffff);
      if (target != kCollNotMapped && !gic.vcpu_exists(target)) return -EINVAL;
      if (s_.collections.count(coll) != 0) return -EEXIST;
      if (!check_id(gic, s_.baser_coll, coll, nullptr)) return -EINVAL;
      s_.collections[coll] = target;
    }
  }
  if (!(s_.baser_device & kValid)) return 0;
  auto restore_dte = [&](uint64_t devid, uint64_t e) -> long {
    if (!(e & kValid)) return 1;
    const unsigned bits = static_cast<unsigned>(e & 0x1f) + 1;
    const uint64_t itt = ((e >> 5) & ((uint64_t{1} << 44) - 1)) << 8;
    const long next = static_cast<long>((e >> 49) & kMaxDevidOffset);
    if (bits > kEventIdBits || s_.devices.count(static_cast<uint32_t>(devid)) != 0) return -EINVAL;
    if (!check_id(gic, s_.baser_device, static_cast<uint32_t>(devid), nullptr)) return -EINVAL;
    const auto id = static_cast<uint32_t>(devid);
    s_.devices[id] = ItsState::Device{itt, bits, {}};
    auto restore_ite = [&](uint64_t ev, uint64_t v) -> long {
      const auto lpi = static_cast<uint32_t>((v >> 16) & 0xffffffffu);
      if (lpi == 0) return 1;  // no translation here: look at the next entry
      if (lpi < kFirstLpi) return -EINVAL;
      const uint64_t step = v >> 48;
      if (ev + step >= (uint64_t{1} << bits)) return -EINVAL;
      const auto coll = static_cast<uint32_t>(v & 0xffff);
      if (s_.collections.count(coll) == 0) return -EINVAL;
      if (!gic.guest_present(itt + ev * kEntrySize, 1)) return -EINVAL;
      if (int rc = gic.lpi_get(lpi, collection_target(coll)); rc != 0) return rc;
      s_.devices[id].ites[static_cast<uint32_t>(ev)] = ItsState::Ite{coll, lpi, true};
      return static_cast<long>(step);
    };
    const int rc = scan_table(gic, itt, (uint64_t{1} << bits) * kEntrySize, 0, restore_ite);
    if (rc < 0) {
      free_device(gic, id);
      return rc;
    }
    return next;
  };
  const uint64_t base = baser_addr(s_.baser_device);
  const uint64_t size = ((s_.baser_device & 0xff) + 1) * k64K;
  int rc = 0;
  if (s_.baser_device & kIndirect) {
    // Two levels: each valid level-1 entry points at a 64 KiB page of DTEs.
    rc = scan_table(gic, base, size, 0, [&](uint64_t index, uint64_t l1) -> long {
      if (!(l1 & kValid)) return 1;
      const int r = scan_table(gic, l1 & 0x000fffffffff0000ull, k64K, index * (k64K / kEntrySize), restore_dte);
      return r <= 0 ? r : 1;
    });
  } else {
    rc = scan_table(gic, base, size, 0, restore_dte);
  }
  if (rc > 0) rc = 0;
  if (rc < 0) {
    // vgic_its_restore_tables_v0(): nothing half-restored stays.
    std::vector<uint32_t> ids;
    for (const auto& [devid, dev] : s_.devices) ids.push_back(devid);
    for (uint32_t devid : ids) free_device(gic, devid);
    s_.collections.clear();
  }
  return rc;
}

}  // namespace kvm_model::vgic
