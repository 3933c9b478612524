// The virtio-mmio block device driven as a driver would (virtio 1.2, sections 2.7 split
// virtqueues, 3.1 device initialisation, 4.2.2 MMIO registers, 5.2 block device), with the
// virtqueue and the requests laid out in a RAM buffer and the drive a temporary file.
#include <fcntl.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "emu/common/errors.h"
#include "emu/devices/virtio_blk.h"

namespace pmuemu::devices {
namespace {

namespace fs = std::filesystem;

// virtio-mmio register offsets (4.2.2).
constexpr uint64_t MagicValue = 0x000, Version = 0x004, DeviceID = 0x008, DeviceFeatures = 0x010,
                   DeviceFeaturesSel = 0x014, DriverFeatures = 0x020, DriverFeaturesSel = 0x024, QueueSel = 0x030,
                   QueueNumMax = 0x034, QueueNum = 0x038, QueueReady = 0x044, QueueNotify = 0x050,
                   InterruptStatus = 0x060, InterruptACK = 0x064, Status = 0x070, QueueDescLow = 0x080,
                   QueueDescHigh = 0x084, QueueDriverLow = 0x090, QueueDriverHigh = 0x094, QueueDeviceLow = 0x0a0,
                   QueueDeviceHigh = 0x0a4, Config = 0x100;
// Device status bits (2.1).
constexpr uint32_t ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, DEVICE_NEEDS_RESET = 64;
// Feature bits: VIRTIO_BLK_F_RO 5, VIRTIO_BLK_F_FLUSH 9, VIRTIO_F_VERSION_1 32.
constexpr uint64_t F_RO = uint64_t{1} << 5, F_FLUSH = uint64_t{1} << 9, F_VERSION_1 = uint64_t{1} << 32;
// Descriptor flags (2.7.5) and block request types/statuses (5.2.6).
constexpr uint16_t NEXT = 1, WRITE = 2;
constexpr uint32_t T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
constexpr uint8_t S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;

constexpr uint64_t kRamBase = 0x40000000, kRamSize = 1 << 20, kDevBase = 0x0a000000;
constexpr uint16_t kQueue = 8;
// Guest-physical layout of the test's virtqueue and buffers.
constexpr uint64_t kDesc = kRamBase + 0x1000, kAvail = kRamBase + 0x2000, kUsed = kRamBase + 0x3000,
                   kHdr = kRamBase + 0x4000, kData = kRamBase + 0x5000, kStatusByte = kRamBase + 0x7000;
constexpr uint64_t kSectors = 8;

uint8_t pattern(uint64_t i) { return static_cast<uint8_t>(i * 13 + i / 512); }

struct Drive {
  explicit Drive(uint64_t bytes) {
    static int n = 0;
    path = (fs::temp_directory_path() / ("unit_devices." + std::to_string(::getpid()) + "." + std::to_string(n++) +
                                         ".img"))
               .string();
    std::vector<uint8_t> b(bytes);
    for (uint64_t i = 0; i < bytes; ++i) b[i] = pattern(i);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                                static_cast<std::streamsize>(b.size()));
  }
  ~Drive() { fs::remove(path); }
  std::vector<uint8_t> contents() const {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  std::string path;
};

struct Result {
  uint8_t status;
  uint32_t used_len;
};

struct Blk {
  explicit Blk(bool readonly = false, uint64_t bytes = kSectors * 512) : drive(bytes), ram(kRamSize) {
    dev = std::make_unique<VirtioBlk>(DriveSpec{drive.path, readonly}, kDevBase, ram.data(), kRamBase, kRamSize);
    dev->set_irq_line([this](bool level) { edges.push_back(level); });
  }
  uint32_t r(uint64_t off) { return static_cast<uint32_t>(dev->read(off, 4)); }
  void w(uint64_t off, uint64_t v) { dev->write(off, v, 4); }
  uint8_t* at(uint64_t gpa) { return ram.data() + (gpa - kRamBase); }
  template <typename T>
  void put(uint64_t gpa, T v) { std::memcpy(at(gpa), &v, sizeof v); }
  template <typename T>
  T get(uint64_t gpa) {
    T v;
    std::memcpy(&v, at(gpa), sizeof v);
    return v;
  }
  uint64_t device_features() {
    w(DeviceFeaturesSel, 0);
    const uint64_t lo = r(DeviceFeatures);
    w(DeviceFeaturesSel, 1);
    return lo | uint64_t{r(DeviceFeatures)} << 32;
  }
  // The initialisation sequence of 3.1.1, accepting every offered feature.
  void init() {
    w(Status, 0);
    w(Status, ACKNOWLEDGE);
    w(Status, ACKNOWLEDGE | DRIVER);
    const uint64_t f = device_features();
    w(DriverFeaturesSel, 0);
    w(DriverFeatures, f & 0xffffffff);
    w(DriverFeaturesSel, 1);
    w(DriverFeatures, f >> 32);
    w(Status, ACKNOWLEDGE | DRIVER | FEATURES_OK);
    BOOST_REQUIRE(r(Status) & FEATURES_OK);
    w(QueueSel, 0);
    BOOST_REQUIRE_GE(r(QueueNumMax), kQueue);
    w(QueueNum, kQueue);
    w(QueueDescLow, kDesc & 0xffffffff);
    w(QueueDescHigh, kDesc >> 32);
    w(QueueDriverLow, kAvail & 0xffffffff);
    w(QueueDriverHigh, kAvail >> 32);
    w(QueueDeviceLow, kUsed & 0xffffffff);
    w(QueueDeviceHigh, kUsed >> 32);
    w(QueueReady, 1);
    w(Status, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
  }
  // Descriptor i of the table (2.7.5): addr le64, len le32, flags le16, next le16.
  void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    const uint64_t d = kDesc + 16ull * i;
    put(d, addr);
    put(d + 8, len);
    put(d + 12, flags);
    put(d + 14, next);
  }
  // Makes `head` available (2.7.13) and notifies; returns the used element's len after
  // checking the device returned that head.
  uint32_t submit(uint16_t head) {
    const uint16_t idx = get<uint16_t>(kAvail + 2);
    put<uint16_t>(kAvail + 4 + 2 * (idx % kQueue), head);
    put<uint16_t>(kAvail + 2, static_cast<uint16_t>(idx + 1));
    w(QueueNotify, 0);
    BOOST_REQUIRE_EQUAL(get<uint16_t>(kUsed + 2), static_cast<uint16_t>(idx + 1));
    const uint64_t elem = kUsed + 4 + 8ull * (idx % kQueue);
    BOOST_TEST(get<uint32_t>(elem) == head);
    return get<uint32_t>(elem + 4);
  }
  // A block request (5.2.6): header {type le32, reserved le32, sector le64}, data, status.
  Result request(uint32_t type, uint64_t sector, uint32_t data_len, bool device_writes_data, uint16_t head = 0) {
    put(kHdr, type);
    put<uint32_t>(kHdr + 4, 0);
    put(kHdr + 8, sector);
    put<uint8_t>(kStatusByte, 0xee);
    const uint16_t d1 = static_cast<uint16_t>((head + 1) % kQueue), d2 = static_cast<uint16_t>((head + 2) % kQueue);
    if (data_len != 0) {
      desc(head, kHdr, 16, NEXT, d1);
      desc(d1, kData, data_len, static_cast<uint16_t>(NEXT | (device_writes_data ? WRITE : 0)), d2);
      desc(d2, kStatusByte, 1, WRITE, 0);
    } else {
      desc(head, kHdr, 16, NEXT, d1);
      desc(d1, kStatusByte, 1, WRITE, 0);
    }
    const uint32_t len = submit(head);
    return {get<uint8_t>(kStatusByte), len};
  }
  Drive drive;
  std::vector<uint8_t> ram;
  std::unique_ptr<VirtioBlk> dev;
  std::vector<bool> edges;
};

BOOST_AUTO_TEST_SUITE(virtio_blk)

BOOST_AUTO_TEST_CASE(identification_registers) {
  Blk b;
  BOOST_TEST(b.r(MagicValue) == 0x74726976u);  // "virt" little-endian
  BOOST_TEST(b.r(Version) == 2u);              // the modern (non-legacy) interface
  BOOST_TEST(b.r(DeviceID) == 2u);             // block device
  BOOST_TEST(b.dev->owns(kDevBase));
  BOOST_TEST(b.dev->owns(kDevBase + 0x1ff));
  BOOST_TEST(!b.dev->owns(kDevBase + 0x200));
  // Configuration space: capacity in 512-byte sectors, le64 at offset 0.
  BOOST_TEST(b.dev->capacity_sectors() == kSectors);
  BOOST_TEST(b.dev->read(Config, 8) == kSectors);
  BOOST_TEST(b.r(Config) == kSectors);
  BOOST_TEST(b.r(Config + 4) == 0u);
  BOOST_TEST(b.dev->read(Config, 1) == kSectors);
  // Only queue 0 exists.
  b.w(QueueSel, 0);
  BOOST_TEST(b.r(QueueNumMax) == VirtioBlk::kQueueMax);
  b.w(QueueSel, 1);
  BOOST_TEST(b.r(QueueNumMax) == 0u);
}

BOOST_AUTO_TEST_CASE(a_partial_last_sector_is_not_part_of_the_capacity) {
  Blk b(false, kSectors * 512 + 100);
  BOOST_TEST(b.dev->capacity_sectors() == kSectors);
}

BOOST_AUTO_TEST_CASE(feature_negotiation) {
  Blk rw, ro(true);
  const uint64_t f = rw.device_features();
  BOOST_TEST((f & F_VERSION_1) != 0u);  // a modern device must offer it
  BOOST_TEST((f & F_FLUSH) != 0u);
  BOOST_TEST((f & F_RO) == 0u);
  BOOST_TEST((ro.device_features() & (F_RO | F_VERSION_1)) == (F_RO | F_VERSION_1));
  // Selector values beyond the two feature words read zero.
  rw.w(DeviceFeaturesSel, 2);
  BOOST_TEST(rw.r(DeviceFeatures) == 0u);
  // The status byte keeps what the driver set through the sequence.
  rw.init();
  BOOST_TEST(rw.r(Status) == (ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK));
  BOOST_TEST(rw.r(QueueReady) == 1u);
  // Writing 0 resets the device.
  rw.w(Status, 0);
  BOOST_TEST(rw.r(Status) == 0u);
  BOOST_TEST(rw.r(QueueReady) == 0u);
}

BOOST_AUTO_TEST_CASE(a_read_request_fills_the_buffer_and_notifies) {
  Blk b;
  b.init();
  std::memset(b.at(kData), 0x55, 1024);
  const Result res = b.request(T_IN, 2, 1024, true);
  BOOST_TEST(res.status == S_OK);
  BOOST_TEST(res.used_len == 1024u + 1);  // bytes the device wrote: data and status
  for (uint64_t i = 0; i < 1024; ++i)
    if (b.ram[kData - kRamBase + i] != pattern(2 * 512 + i)) {
      BOOST_ERROR("byte " << i << " of sector 2 read wrong");
      break;
    }
  // Used buffer notification: InterruptStatus bit 0 and the line raised, until acknowledged.
  BOOST_TEST(b.r(InterruptStatus) == 1u);
  BOOST_TEST(b.edges == std::vector<bool>{true});
  b.w(InterruptACK, 1);
  BOOST_TEST(b.r(InterruptStatus) == 0u);
  BOOST_TEST(b.edges == (std::vector<bool>{true, false}));
}

BOOST_AUTO_TEST_CASE(a_write_request_reaches_the_file) {
  Blk b;
  b.init();
  for (int i = 0; i < 1024; ++i) b.ram[kData - kRamBase + i] = static_cast<uint8_t>(0xff - i);
  const Result res = b.request(T_OUT, 5, 1024, false);
  BOOST_TEST(res.status == S_OK);
  BOOST_TEST(res.used_len == 1u);  // only the status byte was written
  const auto file = b.drive.contents();
  BOOST_REQUIRE_EQUAL(file.size(), kSectors * 512);
  for (uint64_t i = 0; i < file.size(); ++i) {
    const uint8_t expect = i >= 5 * 512 && i < 7 * 512 ? static_cast<uint8_t>(0xff - (i - 5 * 512)) : pattern(i);
    if (file[i] != expect) {
      BOOST_ERROR("file byte " << i << " is " << int(file[i]) << ", expected " << int(expect));
      break;
    }
  }
  // FLUSH (no data) completes OK.
  BOOST_TEST(b.request(T_FLUSH, 0, 0, false, 3).status == S_OK);
}

BOOST_AUTO_TEST_CASE(a_read_only_drive_refuses_writes_with_ioerr) {
  Blk b(true);
  b.init();
  std::memset(b.at(kData), 0, 512);
  // 5.2.6.1: a device offering VIRTIO_BLK_F_RO sets VIRTIO_BLK_S_IOERR for a write request
  // and writes no data.
  BOOST_TEST(b.request(T_OUT, 0, 512, false).status == S_IOERR);
  const auto file = b.drive.contents();
  for (uint64_t i = 0; i < 512; ++i)
    if (file[i] != pattern(i)) {
      BOOST_ERROR("the read-only image changed at byte " << i);
      break;
    }
  // Reads still work.
  BOOST_TEST(b.request(T_IN, 7, 512, true, 4).status == S_OK);
  BOOST_TEST(b.ram[kData - kRamBase + 511] == pattern(7 * 512 + 511));
}

BOOST_AUTO_TEST_CASE(out_of_range_sectors_and_unknown_requests) {
  Blk b;
  b.init();
  // The last sector is in range; one sector further, or a read running past the end, is not.
  BOOST_TEST(b.request(T_IN, kSectors - 1, 512, true).status == S_OK);
  BOOST_TEST(b.request(T_IN, kSectors, 512, true, 1).status == S_IOERR);
  BOOST_TEST(b.request(T_IN, kSectors - 1, 1024, true, 2).status == S_IOERR);
  BOOST_TEST(b.request(T_OUT, kSectors - 1, 1024, false, 3).status == S_IOERR);
  // A sector number whose byte offset overflows 64 bits.
  BOOST_TEST(b.request(T_IN, ~uint64_t{0} / 512 + 1, 512, true, 4).status == S_IOERR);
  BOOST_TEST(b.request(T_OUT, ~uint64_t{0}, 512, false, 5).status == S_IOERR);
  // A data length that is not a whole number of sectors.
  BOOST_TEST(b.request(T_IN, 0, 100, true, 6).status == S_IOERR);
  // An unknown type: VIRTIO_BLK_S_UNSUPP.
  BOOST_TEST(b.request(99, 0, 0, false, 7).status == S_UNSUPP);
  // The drive was not written by any of them.
  const auto file = b.drive.contents();
  for (uint64_t i = 0; i < file.size(); ++i)
    if (file[i] != pattern(i)) {
      BOOST_ERROR("file changed at byte " << i);
      break;
    }
  // The device keeps serving after refused requests.
  BOOST_TEST(b.request(T_IN, 0, 512, true).status == S_OK);
  BOOST_TEST((b.r(Status) & DEVICE_NEEDS_RESET) == 0u);
}

BOOST_AUTO_TEST_CASE(get_id_returns_a_nul_padded_serial) {
  Blk b;
  b.init();
  std::memset(b.at(kData), 0x55, 512);
  const Result res = b.request(T_GET_ID, 0, 512, true);
  BOOST_TEST(res.status == S_OK);
  // 5.2.6: the ID string is at most 20 bytes; used len counts them and the status byte.
  BOOST_TEST(res.used_len == 20u + 1);
  const std::string id(reinterpret_cast<const char*>(b.at(kData)), 20);
  BOOST_TEST(id.find('\0') != 0u);  // not empty
  BOOST_TEST(b.ram[kData - kRamBase + 20] == 0x55);  // nothing beyond 20 bytes
}

BOOST_AUTO_TEST_CASE(requests_are_not_served_before_the_queue_is_ready) {
  Blk b;
  b.w(QueueSel, 0);
  b.w(QueueNum, kQueue);
  b.w(QueueDescLow, kDesc & 0xffffffff);
  b.w(QueueDriverLow, kAvail & 0xffffffff);
  b.w(QueueDeviceLow, kUsed & 0xffffffff);
  b.desc(0, kHdr, 16, NEXT, 1);
  b.desc(1, kStatusByte, 1, WRITE, 0);
  b.put<uint16_t>(kAvail + 4, 0);
  b.put<uint16_t>(kAvail + 2, 1);
  b.w(QueueNotify, 0);
  BOOST_TEST(b.get<uint16_t>(kUsed + 2) == 0u);
  BOOST_TEST(b.r(InterruptStatus) == 0u);
  // Once ready, the pending request is served at the next notify.
  b.w(QueueReady, 1);
  b.put<uint32_t>(kHdr, T_FLUSH);
  b.w(QueueNotify, 0);
  BOOST_TEST(b.get<uint16_t>(kUsed + 2) == 1u);
}

BOOST_AUTO_TEST_CASE(a_descriptor_outside_ram_needs_a_reset) {
  Blk b;
  b.init();
  b.put<uint32_t>(kHdr, T_IN);
  b.put<uint64_t>(kHdr + 8, 0);
  b.desc(0, kHdr, 16, NEXT, 1);
  b.desc(1, kRamBase + kRamSize - 256, 512, NEXT | WRITE, 2);  // runs past the end of RAM
  b.desc(2, kStatusByte, 1, WRITE, 0);
  b.put<uint16_t>(kAvail + 4, 0);
  b.put<uint16_t>(kAvail + 2, 1);
  b.w(QueueNotify, 0);
  // 2.1.2: DEVICE_NEEDS_RESET, announced by a configuration change notification.
  BOOST_TEST((b.r(Status) & DEVICE_NEEDS_RESET) != 0u);
  BOOST_TEST((b.r(InterruptStatus) & 2u) != 0u);
  BOOST_TEST(b.edges.back() == true);
  // Nothing past RAM was touched and the request was not completed.
  BOOST_TEST(b.get<uint16_t>(kUsed + 2) == 0u);
  // A reset clears it all and the device works again.
  b.w(Status, 0);
  BOOST_TEST(b.r(Status) == 0u);
  BOOST_TEST(b.r(InterruptStatus) == 0u);
  BOOST_TEST(b.edges.back() == false);
  std::memset(b.at(kAvail), 0, 0x3000);
  b.init();
  BOOST_TEST(b.request(T_IN, 1, 512, true).status == S_OK);
}

BOOST_AUTO_TEST_CASE(a_looping_chain_needs_a_reset) {
  Blk b;
  b.init();
  b.desc(0, kHdr, 16, NEXT, 1);
  b.desc(1, kData, 512, NEXT, 0);  // back to the head: never ends
  b.put<uint16_t>(kAvail + 4, 0);
  b.put<uint16_t>(kAvail + 2, 1);
  b.w(QueueNotify, 0);
  BOOST_TEST((b.r(Status) & DEVICE_NEEDS_RESET) != 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(drive_option)

BOOST_AUTO_TEST_CASE(parse_drive_specs) {
  const DriveSpec a = parse_drive("disk.img");
  BOOST_TEST(a.path == "disk.img");
  BOOST_TEST(!a.readonly);
  const DriveSpec b = parse_drive("/x/disk.img,readonly");
  BOOST_TEST(b.path == "/x/disk.img");
  BOOST_TEST(b.readonly);
  for (const char* bad : {"", ",readonly", "disk.img,rw", "disk.img,readonly,x"}) {
    BOOST_TEST_CONTEXT("spec '" << bad << "'") {
      try {
        parse_drive(bad);
        BOOST_ERROR("accepted");
      } catch (const UsageError& e) {
        BOOST_TEST(std::string(e.what()).find(std::string("'") + bad + "'") != std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(an_image_that_cannot_be_used_is_refused_naming_it) {
  std::vector<uint8_t> ram(4096);
  const std::string missing = (fs::temp_directory_path() / "unit_devices.no-such.img").string();
  const std::string dir = fs::temp_directory_path().string();
  Drive tiny(511);
  struct Case {
    std::string path, what;
  };
  for (const Case& c : {Case{missing, "cannot open"}, Case{dir, "not a regular file"},
                        Case{tiny.path, "smaller than one 512-byte sector"}}) {
    BOOST_TEST_CONTEXT(c.path) {
      try {
        VirtioBlk v(DriveSpec{c.path, true}, kDevBase, ram.data(), kRamBase, ram.size());
        BOOST_ERROR("accepted");
      } catch (const InputError& e) {
        const std::string msg = e.what();
        BOOST_TEST(msg.rfind(c.path + ": ", 0) == 0u, msg);
        BOOST_TEST(msg.find(c.what) != std::string::npos, msg);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::devices
