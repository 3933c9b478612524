// A virtio block device (virtio 1.2, section 5.2) on the virtio-mmio transport, version 2
// (the "modern" register layout of section 4.2.2), backed by a raw image file. One
// virtqueue of split rings; features VIRTIO_F_VERSION_1, VIRTIO_BLK_F_FLUSH and, for a
// read-only drive, VIRTIO_BLK_F_RO. Requests are served synchronously when the driver
// writes QueueNotify; the used-buffer notification is InterruptStatus bit 0, whose level
// the VMM drives onto an SPI.
//
// Guest memory is reached through a flat view of RAM; a descriptor that points outside RAM,
// a malformed chain (indirect, looping, readable after writable, no status byte) or rings
// outside RAM set DEVICE_NEEDS_RESET and stop serving the queue until a reset, never a host
// fault; a well-formed request the drive cannot serve (out-of-range sectors, a write to a
// read-only drive) completes with VIRTIO_BLK_S_IOERR. Writes go to the file as the guest makes them (pwrite); FLUSH and the end of
// the run fsync it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pmuemu::devices {

struct DriveSpec {
  std::string path;
  bool readonly = false;
};
// "FILE" or "FILE,readonly". Throws UsageError naming the spec for anything else.
DriveSpec parse_drive(const std::string& spec);

class VirtioBlk {
 public:
  static constexpr uint64_t kSize = 0x200;
  static constexpr uint16_t kQueueMax = 256;

  using IrqLine = std::function<void(bool level)>;
  // Opens the image (read-write unless readonly). Throws InputError naming the file when it
  // cannot be opened or is smaller than one 512-byte sector.
  VirtioBlk(const DriveSpec& drive, uint64_t base, uint8_t* ram, uint64_t ram_base, uint64_t ram_size);
  ~VirtioBlk();
  VirtioBlk(const VirtioBlk&) = delete;
  VirtioBlk& operator=(const VirtioBlk&) = delete;

  void set_irq_line(IrqLine line) { irq_ = std::move(line); }
  uint64_t base() const { return base_; }
  bool owns(uint64_t gpa) const { return gpa - base_ < kSize; }
  uint64_t read(uint64_t offset, unsigned size);
  void write(uint64_t offset, uint64_t value, unsigned size);
  // Device reset (Status written 0, and a system reset of the VM).
  void reset();
  // fsync the image (FLUSH requests, end of run). Returns "" or an error naming the file.
  std::string flush();
  uint64_t capacity_sectors() const { return sectors_; }

 private:
  struct Seg {
    uint64_t gpa;
    uint32_t len;
    bool device_writes;
  };
  void notify();
  bool serve(uint16_t head);
  uint8_t* guest(uint64_t gpa, uint64_t len) const;
  bool collect(uint16_t head, std::vector<Seg>& segs) const;
  void update_irq();
  uint64_t device_features() const;

  std::string path_;
  bool readonly_;
  int fd_ = -1;
  uint64_t sectors_ = 0;
  uint64_t base_;
  uint8_t* ram_;
  uint64_t ram_base_, ram_size_;
  IrqLine irq_;
  bool level_ = false;

  // Transport state (section 4.2.2).
  uint32_t dev_features_sel_ = 0, drv_features_sel_ = 0;
  uint64_t driver_features_ = 0;
  uint32_t status_ = 0;
  uint32_t interrupt_status_ = 0;
  uint32_t queue_sel_ = 0;
  uint32_t queue_num_ = 0;
  bool queue_ready_ = false;
  uint64_t desc_ = 0, avail_ = 0, used_ = 0;
  uint16_t last_avail_ = 0;
  bool broken_ = false;  // DEVICE_NEEDS_RESET: the queue is not served until a reset
};

}  // namespace pmuemu::devices
