#include "emu/boot/linux_boot.h"

#include <zlib.h>

extern "C" {
#include <libfdt.h>
}

#include <algorithm>
#include <array>
#include <cstring>

#include "emu/common/errors.h"

namespace pmuemu::boot {
namespace {

[[noreturn]] void fail(std::string_view name, const std::string& what) {
  throw InputError(std::string(name) + ": " + what);
}

uint64_t le64(std::span<const uint8_t> b, size_t off) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{b[off + i]} << (8 * i);
  return v;
}
uint32_t le32(std::span<const uint8_t> b, size_t off) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= uint32_t{b[off + i]} << (8 * i);
  return v;
}

// booting.rst: the 64-byte header.
constexpr size_t kHeaderSize = 64;
constexpr size_t kTextOffset = 0x08, kImageSize = 0x10, kFlags = 0x18, kMagic = 0x38;
constexpr uint32_t kArm64Magic = 0x644d5241;  // "ARM\x64"
constexpr uint64_t kFlagBigEndian = 1, kFlagPageSizeMask = 3u << 1, kKnownFlags = 0xf;
constexpr uint64_t k2MiB = 2u << 20;
// The largest inflated Image accepted: Debian's are ~30 MiB; this stops a gzip bomb.
constexpr size_t kMaxInflated = size_t{512} << 20;
constexpr uint64_t kMaxDtb = 2u << 20;  // the protocol's DTB size limit

std::vector<uint8_t> gunzip(std::span<const uint8_t> in, std::string_view name) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("zlib: inflateInit2 failed");
  std::vector<uint8_t> out(std::max<size_t>(in.size() * 3, 1 << 20));
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.total_out == out.size()) {
      if (out.size() >= kMaxInflated) {
        inflateEnd(&z);
        fail(name, "gzip data inflates to more than " + std::to_string(kMaxInflated >> 20) + " MiB");
      }
      out.resize(std::min(out.size() * 2, kMaxInflated));
    }
    z.next_out = out.data() + z.total_out;
    z.avail_out = static_cast<uInt>(out.size() - z.total_out);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK || (z.avail_in == 0 && z.avail_out != 0)) {
      const std::string msg = z.msg ? z.msg : (z.avail_in == 0 ? "truncated" : "error " + std::to_string(rc));
      inflateEnd(&z);
      fail(name, "corrupt gzip data: " + msg);
    }
  }
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

// splitmix64 (Steele, Lea, Flood 2014): a fixed, well-mixed sequence from one 64-bit seed.
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// libfdt's sequential-write calls return negative FDT_ERR_* codes; the blob is sized so
// none can fail, so a failure is a pmuemu bug.
void ok(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string("device tree generation: ") + what + ": " + fdt_strerror(rc));
}

// Device tree interrupt specifiers (the arm,gic-v3 binding): type, number, flags.
constexpr uint32_t kGicSpi = 0, kGicPpi = 1;
constexpr uint32_t kIrqEdgeRising = 1, kIrqLevelHigh = 4;

class FdtWriter {
 public:
  explicit FdtWriter(size_t size) : buf_(size) {
    ok(fdt_create(buf_.data(), static_cast<int>(size)), "create");
    ok(fdt_finish_reservemap(buf_.data()), "reserve map");
  }
  void begin(const char* n) { ok(fdt_begin_node(buf_.data(), n), n); }
  void end() { ok(fdt_end_node(buf_.data()), "end node"); }
  void str(const char* p, const std::string& v) { ok(fdt_property_string(buf_.data(), p, v.c_str()), p); }
  // A string list: NUL-separated strings.
  void strs(const char* p, std::initializer_list<const char*> v) {
    std::string s;
    for (const char* x : v) s.append(x).push_back('\0');
    ok(fdt_property(buf_.data(), p, s.data(), static_cast<int>(s.size())), p);
  }
  void u32(const char* p, uint32_t v) { ok(fdt_property_u32(buf_.data(), p, v), p); }
  void u64(const char* p, uint64_t v) { ok(fdt_property_u64(buf_.data(), p, v), p); }
  void cells(const char* p, std::initializer_list<uint32_t> v) { cells(p, std::vector<uint32_t>(v)); }
  void cells(const char* p, const std::vector<uint32_t>& v) {
    std::vector<fdt32_t> be;
    for (uint32_t x : v) be.push_back(cpu_to_fdt32(x));
    ok(fdt_property(buf_.data(), p, be.data(), static_cast<int>(be.size() * 4)), p);
  }
  // reg with #address-cells = #size-cells = 2.
  void reg64(std::initializer_list<std::pair<uint64_t, uint64_t>> v) {
    std::vector<uint32_t> c;
    for (auto [a, s] : v) {
      c.push_back(static_cast<uint32_t>(a >> 32));
      c.push_back(static_cast<uint32_t>(a));
      c.push_back(static_cast<uint32_t>(s >> 32));
      c.push_back(static_cast<uint32_t>(s));
    }
    cells("reg", c);
  }
  void empty(const char* p) { ok(fdt_property(buf_.data(), p, nullptr, 0), p); }
  void bytes(const char* p, const std::vector<uint8_t>& v) {
    ok(fdt_property(buf_.data(), p, v.data(), static_cast<int>(v.size())), p);
  }
  std::vector<uint8_t> finish() {
    ok(fdt_finish(buf_.data()), "finish");
    ok(fdt_pack(buf_.data()), "pack");
    buf_.resize(fdt_totalsize(buf_.data()));
    return std::move(buf_);
  }

 private:
  std::vector<uint8_t> buf_;
};

std::string hexname(const char* base, uint64_t addr) {
  char b[64];
  std::snprintf(b, sizeof b, "%s@%llx", base, static_cast<unsigned long long>(addr));
  return b;
}

}  // namespace

KernelImage parse_kernel(std::span<const uint8_t> in, std::string_view name) {
  KernelImage k;
  if (in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
    k.bytes = gunzip(in, name);
    k.was_gzip = true;
  } else {
    k.bytes.assign(in.begin(), in.end());
  }
  const std::span<const uint8_t> b(k.bytes);
  const std::string what = k.was_gzip ? "the inflated kernel" : "kernel";
  if (b.size() < kHeaderSize)
    fail(name, "not an arm64 Image: " + what + " is " + std::to_string(b.size()) + " bytes, shorter than the 64-byte header");
  if (le32(b, kMagic) != kArm64Magic)
    fail(name, "not an arm64 Image: no \"ARM\\x64\" magic at offset 0x38 (" + what + ")");
  ImageHeader& h = k.header;
  h.text_offset = le64(b, kTextOffset);
  h.image_size = le64(b, kImageSize);
  h.flags = le64(b, kFlags);
  if (h.flags & kFlagBigEndian) fail(name, "big-endian kernel (Image flags bit 0): only little-endian guests run");
  const uint64_t page = (h.flags & kFlagPageSizeMask) >> 1;
  if (page > 1)
    fail(name, std::string("kernel built for ") + (page == 2 ? "16" : "64") +
                   " KiB pages (Image flags bits 2:1): the MMU implements the 4 KiB granule only");
  if (h.flags & ~kKnownFlags) fail(name, "Image flags " + std::to_string(h.flags) + " has reserved bits set");
  if (h.image_size == 0)
    fail(name, "Image header has image_size 0 (a kernel older than 3.17): its memory footprint is unknown");
  if (h.image_size < b.size())
    fail(name, "Image header's image_size (" + std::to_string(h.image_size) + ") is smaller than the " +
                   std::to_string(b.size()) + " bytes of the Image");
  if (h.text_offset % 4096 != 0 || h.text_offset >= k2MiB)
    fail(name, "Image text_offset " + std::to_string(h.text_offset) + " is not a 4 KiB-aligned offset below 2 MiB");
  return k;
}

void check_initrd(std::span<const uint8_t> b, std::string_view name) {
  if (b.empty()) fail(name, "initrd is empty");
  struct Magic {
    std::array<uint8_t, 6> bytes;
    size_t len;
  };
  // The formats init/initramfs.c and lib/decompress.c recognise.
  static constexpr Magic kMagics[] = {
      {{'0', '7', '0', '7', '0', '1'}, 6},  // cpio newc
      {{'0', '7', '0', '7', '0', '2'}, 6},  // cpio crc
      {{0x1f, 0x8b}, 2},                    // gzip
      {{0x1f, 0x9e}, 2},                    // old gzip
      {{'B', 'Z', 'h'}, 3},                 // bzip2
      {{0x5d, 0x00, 0x00}, 3},              // lzma
      {{0xfd, '7', 'z', 'X', 'Z', 0x00}, 6},  // xz
      {{0x89, 'L', 'Z', 'O', 0x00}, 5},     // lzo
      {{0x02, 0x21, 0x4c, 0x18}, 4},        // lz4 legacy
      {{0x28, 0xb5, 0x2f, 0xfd}, 4},        // zstd
  };
  for (const auto& m : kMagics)
    if (b.size() >= m.len && std::equal(m.bytes.begin(), m.bytes.begin() + m.len, b.begin())) return;
  fail(name, "not an initrd: neither a cpio newc archive nor gzip, bzip2, lzma, xz, lzo, lz4 or zstd data");
}

namespace {
// libfdt reads the blob through its structures: it must be 8-byte aligned (a span from a
// caller, a file read at an offset, need not be).
std::vector<uint64_t> aligned_copy(std::span<const uint8_t> b) {
  std::vector<uint64_t> v((b.size() + 7) / 8);
  if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
  return v;
}
}  // namespace

void check_dtb(std::span<const uint8_t> in, std::string_view name) {
  const std::vector<uint64_t> copy = aligned_copy(in);
  const std::span<const uint8_t> b(reinterpret_cast<const uint8_t*>(copy.data()), in.size());
  if (b.size() < sizeof(fdt_header)) fail(name, "not a device tree blob: shorter than its header");
  if (fdt_magic(b.data()) != FDT_MAGIC) fail(name, "not a device tree blob: bad magic (expected 0xd00dfeed)");
  if (fdt_totalsize(b.data()) > b.size())
    fail(name, "device tree blob is truncated: header says " + std::to_string(fdt_totalsize(b.data())) +
                   " bytes, the file has " + std::to_string(b.size()) + " bytes");
  if (fdt_totalsize(b.data()) > kMaxDtb) fail(name, "device tree blob is larger than the boot protocol's 2 MiB");
  // Before version 16 a node's name was its full path. libfdt 1.6's fdt_check_full reads
  // through a null name when such a node's path holds no '/' (fdt_get_name finds none), and
  // dtc writes version 17, so older blobs are refused up front.
  if (fdt_version(b.data()) < 16)
    fail(name, "device tree blob of version " + std::to_string(fdt_version(b.data())) +
                   ": only versions 16 and 17 are taken (before 16, node names were full paths)");
  if (const int rc = fdt_check_full(b.data(), b.size()); rc != 0)
    fail(name, std::string("invalid device tree blob: ") + fdt_strerror(rc));
}

Placement place(const ImageHeader& h, uint64_t ram_base, uint64_t ram_size, uint64_t initrd_size,
                std::string_view kernel_name) {
  // image_size and the initrd size come from files: in 128 bits no sum can wrap around
  // into a placement that seems to fit.
  using u128 = unsigned __int128;
  const u128 base = (u128{ram_base} + k2MiB - 1) & ~u128{k2MiB - 1};
  const u128 kernel = base + h.text_offset;
  const u128 kernel_end = kernel + h.image_size;
  const u128 dtb = (kernel_end + k2MiB - 1) & ~u128{k2MiB - 1};
  const u128 initrd = dtb + k2MiB;
  const u128 end = initrd + ((u128{initrd_size} + 4095) & ~u128{4095});
  if (end > u128{ram_base} + ram_size)
    fail(kernel_name, "kernel (" + std::to_string(h.image_size >> 20) + " MiB), DTB and initrd (" +
                          std::to_string(initrd_size >> 20) + " MiB) need " + std::to_string(static_cast<uint64_t>((end - ram_base + (1 << 20) - 1) >> 20)) +
                          " MiB of RAM from its start; the VM has " + std::to_string(ram_size >> 20) + " MiB (--memory)");
  Placement p;
  p.kernel = static_cast<uint64_t>(kernel);
  p.kernel_end = static_cast<uint64_t>(kernel_end);
  p.dtb = static_cast<uint64_t>(dtb);
  p.initrd = static_cast<uint64_t>(initrd);
  p.initrd_size = initrd_size;
  return p;
}

std::vector<uint8_t> rng_seed_bytes(uint64_t seed) {
  uint64_t st = seed ^ 0x726e672d73656564ull;  // "rng-seed": a stream apart from kaslr-seed's
  std::vector<uint8_t> out(64);
  for (size_t i = 0; i < out.size(); i += 8) {
    const uint64_t v = splitmix(st);
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}

uint64_t kaslr_seed_value(uint64_t seed) {
  if (seed == 0) return 0;
  uint64_t st = seed;
  const uint64_t v = splitmix(st);
  return v == 0 ? 1 : v;
}

std::vector<uint8_t> make_dtb(const MachineDesc& m) {
  FdtWriter w(64 * 1024 + m.mpidrs.size() * 512 + m.bootargs.size());
  constexpr uint32_t kGicPhandle = 1, kClockPhandle = 2;
  w.begin("");
  w.str("compatible", "linux,dummy-virt");
  w.str("model", "pmuemu KVM virtual machine");
  w.u32("#address-cells", 2);
  w.u32("#size-cells", 2);
  w.u32("interrupt-parent", kGicPhandle);

  w.begin("chosen");
  w.str("bootargs", m.bootargs);
  w.str("stdout-path", "/" + hexname("pl011", m.uart));
  if (m.initrd_size != 0) {
    w.u64("linux,initrd-start", m.initrd);
    w.u64("linux,initrd-end", m.initrd + m.initrd_size);
  }
  w.bytes("rng-seed", rng_seed_bytes(m.seed));
  w.u64("kaslr-seed", kaslr_seed_value(m.seed));
  w.end();

  w.begin(hexname("memory", m.ram_base).c_str());
  w.str("device_type", "memory");
  w.reg64({{m.ram_base, m.ram_size}});
  w.end();

  w.begin("cpus");
  w.u32("#address-cells", 1);
  w.u32("#size-cells", 0);
  for (uint64_t mpidr : m.mpidrs) {
    const uint32_t reg = static_cast<uint32_t>(mpidr & 0xffffff);  // Aff2..Aff0
    w.begin(hexname("cpu", reg).c_str());
    w.str("device_type", "cpu");
    w.str("compatible", m.cpu_compatible);
    w.u32("reg", reg);
    w.str("enable-method", "psci");
    w.end();
  }
  w.end();

  w.begin("psci");
  w.strs("compatible", {"arm,psci-1.0", "arm,psci-0.2"});
  w.str("method", "hvc");
  w.end();

  w.begin(hexname("intc", m.gic_dist).c_str());
  w.str("compatible", "arm,gic-v3");
  w.u32("#interrupt-cells", 3);
  w.empty("interrupt-controller");
  w.u32("#address-cells", 2);  // the binding asks for them on an interrupt provider (children: ITS)
  w.u32("#size-cells", 2);
  w.empty("ranges");
  w.u32("#redistributor-regions", 1);
  w.reg64({{m.gic_dist, m.gic_dist_size}, {m.gic_redist, m.gic_redist_stride * m.mpidrs.size()}});
  w.u32("phandle", kGicPhandle);
  w.end();

  // The architected timer: secure and non-secure physical, virtual, hypervisor PPIs.
  w.begin("timer");
  w.str("compatible", "arm,armv8-timer");
  w.cells("interrupts", {kGicPpi, 13, kIrqLevelHigh, kGicPpi, 14, kIrqLevelHigh, kGicPpi, 11, kIrqLevelHigh,
                         kGicPpi, 10, kIrqLevelHigh});
  w.empty("always-on");
  w.end();

  if (m.pmu_intid >= 16 && m.pmu_intid < 32) {
    w.begin("pmu");
    w.str("compatible", "arm,armv8-pmuv3");
    w.cells("interrupts", {kGicPpi, static_cast<uint32_t>(m.pmu_intid - 16), kIrqLevelHigh});
    w.end();
  }

  w.begin("apb-pclk");
  w.str("compatible", "fixed-clock");
  w.u32("#clock-cells", 0);
  w.u32("clock-frequency", m.uart_clock_hz);
  w.str("clock-output-names", "clk24mhz");
  w.u32("phandle", kClockPhandle);
  w.end();

  w.begin(hexname("pl011", m.uart).c_str());
  w.strs("compatible", {"arm,pl011", "arm,primecell"});
  w.reg64({{m.uart, m.uart_size}});
  w.cells("interrupts", {kGicSpi, m.uart_spi, kIrqLevelHigh});
  w.strs("clock-names", {"uartclk", "apb_pclk"});
  w.cells("clocks", {kClockPhandle, kClockPhandle});
  w.end();

  for (const auto& v : m.virtio) {
    w.begin(hexname("virtio_mmio", v.base).c_str());
    w.str("compatible", "virtio,mmio");
    w.reg64({{v.base, v.size}});
    w.cells("interrupts", {kGicSpi, v.spi, kIrqEdgeRising});
    w.empty("dma-coherent");
    w.end();
  }

  w.end();
  return w.finish();
}

std::vector<uint8_t> patch_dtb(std::span<const uint8_t> in, const MachineDesc& m, std::string_view name) {
  check_dtb(in, name);
  const std::vector<uint64_t> src = aligned_copy(in);
  const size_t size = fdt_totalsize(src.data()) + 4096 + m.bootargs.size();
  std::vector<uint64_t> buf((size + 7) / 8);
  if (const int rc = fdt_open_into(src.data(), buf.data(), static_cast<int>(buf.size() * 8)); rc < 0)
    fail(name, std::string("cannot open the device tree: ") + fdt_strerror(rc));
  void* f = buf.data();
  int chosen = fdt_path_offset(f, "/chosen");
  if (chosen < 0) chosen = fdt_add_subnode(f, 0, "chosen");
  if (chosen < 0) fail(name, std::string("cannot add /chosen: ") + fdt_strerror(chosen));
  auto set = [&](int rc, const char* what) {
    if (rc < 0) fail(name, std::string("cannot set /chosen/") + what + ": " + fdt_strerror(rc));
  };
  if (!m.bootargs.empty()) set(fdt_setprop_string(f, chosen, "bootargs", m.bootargs.c_str()), "bootargs");
  if (m.initrd_size != 0) {
    set(fdt_setprop_u64(f, chosen, "linux,initrd-start", m.initrd), "linux,initrd-start");
    set(fdt_setprop_u64(f, chosen, "linux,initrd-end", m.initrd + m.initrd_size), "linux,initrd-end");
  }
  const auto seed = rng_seed_bytes(m.seed);
  set(fdt_setprop(f, chosen, "rng-seed", seed.data(), static_cast<int>(seed.size())), "rng-seed");
  set(fdt_setprop_u64(f, chosen, "kaslr-seed", kaslr_seed_value(m.seed)), "kaslr-seed");
  fdt_pack(f);
  const auto* bytes = static_cast<const uint8_t*>(f);
  std::vector<uint8_t> out(bytes, bytes + fdt_totalsize(f));
  if (out.size() > kMaxDtb) fail(name, "device tree blob with /chosen is larger than the boot protocol's 2 MiB");
  return out;
}

}  // namespace pmuemu::boot
