#include "emu/devices/virtio_blk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "emu/common/errors.h"

namespace pmuemu::devices {

namespace {

// virtio-mmio registers (virtio 1.2, 4.2.2): offsets from the device's base.
enum Reg : uint64_t {
  kMagic = 0x000, kVersion = 0x004, kDeviceId = 0x008, kVendorId = 0x00c,
  kDeviceFeatures = 0x010, kDeviceFeaturesSel = 0x014, kDriverFeatures = 0x020, kDriverFeaturesSel = 0x024,
  kQueueSel = 0x030, kQueueNumMax = 0x034, kQueueNum = 0x038, kQueueReady = 0x044, kQueueNotify = 0x050,
  kInterruptStatus = 0x060, kInterruptAck = 0x064, kStatus = 0x070,
  kQueueDescLow = 0x080, kQueueDescHigh = 0x084, kQueueDriverLow = 0x090, kQueueDriverHigh = 0x094,
  kQueueDeviceLow = 0x0a0, kQueueDeviceHigh = 0x0a4, kConfigGeneration = 0x0fc, kConfig = 0x100,
};
constexpr uint32_t kMagicValue = 0x74726976;  // "virt"
constexpr uint32_t kBlockDeviceId = 2;
constexpr uint32_t kVendor = 0x554d4550;      // "PEMU"

constexpr unsigned kBlkFRo = 5, kBlkFFlush = 9, kFVersion1 = 32;
constexpr uint32_t kStatusNeedsReset = 64;

constexpr uint16_t kDescNext = 1, kDescWrite = 2;
constexpr uint32_t kReqIn = 0, kReqOut = 1, kReqFlush = 4, kReqGetId = 8;
constexpr uint8_t kBlkOk = 0, kBlkIoErr = 1, kBlkUnsupp = 2;
constexpr uint64_t kSector = 512;

uint64_t set_half(uint64_t v, bool high, uint64_t half) {
  return high ? (v & 0xffffffffull) | (half << 32) : (v & ~0xffffffffull) | (half & 0xffffffffull);
}

}  // namespace

DriveSpec parse_drive(const std::string& spec) {
  DriveSpec d;
  const size_t comma = spec.find(',');
  d.path = spec.substr(0, comma);
  if (d.path.empty()) throw UsageError("--drive '" + spec + "': expected FILE or FILE,readonly");
  if (comma != std::string::npos) {
    const std::string opt = spec.substr(comma + 1);
    if (opt != "readonly")
      throw UsageError("--drive '" + spec + "': unknown option '" + opt + "' (the only option is 'readonly')");
    d.readonly = true;
  }
  return d;
}

VirtioBlk::VirtioBlk(const DriveSpec& drive, uint64_t base, uint8_t* ram, uint64_t ram_base, uint64_t ram_size)
    : path_(drive.path), readonly_(drive.readonly), base_(base), ram_(ram), ram_base_(ram_base), ram_size_(ram_size) {
  fd_ = ::open(path_.c_str(), (readonly_ ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path_ + ": cannot open drive image: " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw InputError(path_ + ": drive image is not a regular file");
  }
  sectors_ = static_cast<uint64_t>(st.st_size) / kSector;
  if (sectors_ == 0) {
    ::close(fd_);
    throw InputError(path_ + ": drive image is " + std::to_string(st.st_size) +
                     " bytes, smaller than one 512-byte sector");
  }
}

VirtioBlk::~VirtioBlk() {
  if (fd_ >= 0) {
    flush();
    ::close(fd_);
  }
}

std::string VirtioBlk::flush() {
  if (readonly_ || fd_ < 0) return "";
  if (::fsync(fd_) != 0) return path_ + ": cannot flush drive image: " + std::strerror(errno);
  return "";
}

uint64_t VirtioBlk::device_features() const {
  uint64_t f = (uint64_t{1} << kFVersion1) | (uint64_t{1} << kBlkFFlush);
  if (readonly_) f |= uint64_t{1} << kBlkFRo;
  return f;
}

void VirtioBlk::reset() {
  dev_features_sel_ = drv_features_sel_ = 0;
  driver_features_ = 0;
  status_ = 0;
  interrupt_status_ = 0;
  queue_sel_ = 0;
  queue_num_ = 0;
  queue_ready_ = false;
  desc_ = avail_ = used_ = 0;
  last_avail_ = 0;
  broken_ = false;
  update_irq();
}

void VirtioBlk::update_irq() {
  const bool level = interrupt_status_ != 0;
  if (level == level_) return;
  level_ = level;
  if (irq_) irq_(level);
}

uint64_t VirtioBlk::read(uint64_t off, unsigned size) {
  if (off >= kConfig) {
    // struct virtio_blk_config: capacity (le64) first; the other fields are absent (their
    // feature bits are not offered) and read as zero.
    const uint64_t rel = off - kConfig;
    if (rel >= 8) return 0;
    uint8_t cap[8];
    for (unsigned i = 0; i < 8; ++i) cap[i] = static_cast<uint8_t>(sectors_ >> (8 * i));
    uint64_t v = 0;
    for (unsigned i = 0; i < size && rel + i < 8; ++i) v |= uint64_t{cap[rel + i]} << (8 * i);
    return v;
  }
  switch (off) {
    case kMagic: return kMagicValue;
    case kVersion: return 2;
    case kDeviceId: return kBlockDeviceId;
    case kVendorId: return kVendor;
    case kDeviceFeatures: return dev_features_sel_ < 2 ? (device_features() >> (32 * dev_features_sel_)) & 0xffffffffu : 0;
    case kQueueNumMax: return queue_sel_ == 0 ? kQueueMax : 0;
    case kQueueReady: return queue_sel_ == 0 && queue_ready_;
    case kInterruptStatus: return interrupt_status_;
    case kStatus: return status_;
    case kConfigGeneration: return 0;
    default: return 0;  // write-only and reserved registers read as zero
  }
}

void VirtioBlk::write(uint64_t off, uint64_t value, unsigned) {
  const uint32_t v = static_cast<uint32_t>(value);
  // Queue registers other than queue 0 (the only one) are ignored.
  const bool q0 = queue_sel_ == 0;
  switch (off) {
    case kDeviceFeaturesSel: dev_features_sel_ = v; break;
    case kDriverFeaturesSel: drv_features_sel_ = v; break;
    case kDriverFeatures:
      if (drv_features_sel_ < 2) driver_features_ = set_half(driver_features_, drv_features_sel_ == 1, v);
      break;
    case kQueueSel: queue_sel_ = v; break;
    case kQueueNum: if (q0) queue_num_ = v; break;
    case kQueueReady: if (q0) queue_ready_ = (v & 1) != 0; break;
    case kQueueDescLow: case kQueueDescHigh: if (q0) desc_ = set_half(desc_, off == kQueueDescHigh, v); break;
    case kQueueDriverLow: case kQueueDriverHigh: if (q0) avail_ = set_half(avail_, off == kQueueDriverHigh, v); break;
    case kQueueDeviceLow: case kQueueDeviceHigh: if (q0) used_ = set_half(used_, off == kQueueDeviceHigh, v); break;
    case kQueueNotify: if (v == 0) notify(); break;
    case kInterruptAck: interrupt_status_ &= ~v; update_irq(); break;
    case kStatus:
      if (v == 0) reset(); else status_ = v | (broken_ ? kStatusNeedsReset : 0);
      break;
    default: break;  // read-only, reserved and configuration space: writes ignored
  }
}

uint8_t* VirtioBlk::guest(uint64_t gpa, uint64_t len) const {
  if (gpa < ram_base_ || len > ram_size_ || gpa - ram_base_ > ram_size_ - len) return nullptr;
  return ram_ + (gpa - ram_base_);
}

bool VirtioBlk::collect(uint16_t head, std::vector<Seg>& segs) const {
  uint16_t i = head;
  // A chain longer than the queue must loop: refused.
  for (uint32_t n = 0; n < queue_num_; ++n) {
    if (i >= queue_num_) return false;
    const uint8_t* d = guest(desc_ + 16ull * i, 16);
    if (d == nullptr) return false;
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
    std::memcpy(&addr, d, 8);
    std::memcpy(&len, d + 8, 4);
    std::memcpy(&flags, d + 12, 2);
    std::memcpy(&next, d + 14, 2);
    // VIRTIO_F_INDIRECT_DESC is not offered: an indirect descriptor is a driver error.
    if (flags & ~(kDescNext | kDescWrite)) return false;
    const bool w = (flags & kDescWrite) != 0;
    // Device-readable descriptors come before device-writable ones (2.7.4.2).
    if (!w && !segs.empty() && segs.back().device_writes) return false;
    if (guest(addr, len) == nullptr) return false;
    segs.push_back({addr, len, w});
    if (!(flags & kDescNext)) return true;
    i = next;
  }
  return false;
}

bool VirtioBlk::serve(uint16_t head) {
  std::vector<Seg> segs;
  uint32_t written = 0;
  uint8_t status = kBlkIoErr;
  const bool ok_chain = collect(head, segs);
  // The status byte is the last byte of the last device-writable descriptor.
  if (!ok_chain || segs.empty() || !segs.back().device_writes || segs.back().len == 0) return false;
  Seg& last = segs.back();
  uint8_t* status_byte = guest(last.gpa + last.len - 1, 1);
  last.len -= 1;

  std::vector<uint8_t> in;  // the device-readable bytes: header, then OUT data
  for (const Seg& s : segs)
    if (!s.device_writes) in.insert(in.end(), guest(s.gpa, s.len), guest(s.gpa, s.len) + s.len);
  if (in.size() >= 16) {
    uint32_t type;
    uint64_t sector;
    std::memcpy(&type, in.data(), 4);
    std::memcpy(&sector, in.data() + 8, 8);
    uint64_t out_room = 0;
    for (const Seg& s : segs)
      if (s.device_writes) out_room += s.len;
    const uint64_t data_in = in.size() - 16;
    auto in_range = [&](uint64_t bytes) {
      return bytes % kSector == 0 && sector <= sectors_ && bytes / kSector <= sectors_ - sector;
    };
    if (type == kReqIn) {
      if (in_range(out_room)) {
        status = kBlkOk;
        uint64_t pos = sector * kSector;
        for (const Seg& s : segs) {
          if (!s.device_writes || s.len == 0) continue;
          const ssize_t n = ::pread(fd_, guest(s.gpa, s.len), s.len, static_cast<off_t>(pos));
          if (n != static_cast<ssize_t>(s.len)) { status = kBlkIoErr; break; }
          pos += s.len;
          written += s.len;
        }
      }
    } else if (type == kReqOut) {
      if (!readonly_ && in_range(data_in)) {
        const ssize_t n = ::pwrite(fd_, in.data() + 16, data_in, static_cast<off_t>(sector * kSector));
        status = n == static_cast<ssize_t>(data_in) ? kBlkOk : kBlkIoErr;
      }
    } else if (type == kReqFlush) {
      status = flush().empty() ? kBlkOk : kBlkIoErr;
    } else if (type == kReqGetId) {
      // The serial number: up to 20 bytes, NUL-padded.
      char id[20] = "pmuemu-virtio-blk";
      uint64_t left = sizeof id;
      for (const Seg& s : segs) {
        if (!s.device_writes || left == 0) continue;
        const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(s.len, left));
        std::memcpy(guest(s.gpa, n), id + (sizeof id - left), n);
        left -= n;
        written += n;
      }
      status = kBlkOk;
    } else {
      status = kBlkUnsupp;
    }
  }
  *status_byte = status;
  written += 1;
  // The used ring: flags (le16), idx (le16), then ring[queue_num_] of {id le32, len le32}.
  uint8_t* used = guest(used_, 4 + 8ull * queue_num_);
  if (used == nullptr) return false;
  uint16_t idx;
  std::memcpy(&idx, used + 2, 2);
  const uint32_t id = head, len = written;
  std::memcpy(used + 4 + 8ull * (idx % queue_num_), &id, 4);
  std::memcpy(used + 4 + 8ull * (idx % queue_num_) + 4, &len, 4);
  ++idx;
  std::memcpy(used + 2, &idx, 2);
  return true;
}

void VirtioBlk::notify() {
  if (!queue_ready_ || broken_ || queue_num_ == 0 || queue_num_ > kQueueMax || (queue_num_ & (queue_num_ - 1)))
    return;
  // The available ring: flags (le16), idx (le16), ring[queue_num_] of le16 heads.
  const uint8_t* avail = guest(avail_, 4 + 2ull * queue_num_);
  if (avail == nullptr) {
    broken_ = true;
  } else {
    uint16_t avail_idx;
    std::memcpy(&avail_idx, avail + 2, 2);
    bool any = false;
    while (last_avail_ != avail_idx) {
      uint16_t head;
      std::memcpy(&head, avail + 4 + 2ull * (last_avail_ % queue_num_), 2);
      if (!serve(head)) {
        broken_ = true;
        break;
      }
      ++last_avail_;
      any = true;
    }
    if (any) interrupt_status_ |= 1;  // used buffer notification
  }
  if (broken_) {
    status_ |= kStatusNeedsReset;
    interrupt_status_ |= 2;  // configuration change notification: the driver looks at Status
  }
  update_irq();
}

}  // namespace pmuemu::devices
