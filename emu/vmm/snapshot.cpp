#include "emu/vmm/snapshot.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "emu/common/errors.h"
#include "kvm_model/uapi.h"

namespace pmuemu::vmm {
namespace {

constexpr char kMagic[8] = {'P', 'M', 'U', 'E', 'M', 'U', 'S', 'N'};
constexpr uint64_t kPage = 4096;
// Upper bounds that keep a corrupted length field from allocating absurd amounts.
constexpr uint64_t kMaxRam = 4096ull << 20;
std::string hex_id(uint64_t id) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(id));
  return b;
}

constexpr uint32_t kMaxVcpus = 512, kMaxRegs = 4096, kMaxString = 4096, kMaxIrqs = 1024;

// FNV-1a 64: detects corruption (not tampering), cheap enough for 128 MiB.
uint64_t fnv1a(const uint8_t* p, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

class Writer {
 public:
  void u8(uint8_t v) { buf_.push_back(v); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  std::vector<uint8_t>& buf() { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, std::string name) : b_(b), name_(std::move(name)) {}
  [[noreturn]] void fail(const std::string& what) const { throw InputError(name_ + ": " + what); }
  void need(size_t n) const {
    if (b_.size() - pos_ < n) fail("truncated snapshot (needs " + std::to_string(n) + " more bytes at offset " + std::to_string(pos_) + ")");
  }
  uint8_t u8() { need(1); return b_[pos_++]; }
  uint32_t u32() { uint32_t v; need(4); std::memcpy(&v, &b_[pos_], 4); pos_ += 4; return v; }
  uint64_t u64() { uint64_t v; need(8); std::memcpy(&v, &b_[pos_], 8); pos_ += 8; return v; }
  std::string str() {
    const uint32_t n = u32();
    if (n > kMaxString) fail("string field of " + std::to_string(n) + " bytes");
    need(n);
    std::string s(reinterpret_cast<const char*>(&b_[pos_]), n);
    pos_ += n;
    return s;
  }
  const uint8_t* bytes(size_t n) { need(n); const uint8_t* p = &b_[pos_]; pos_ += n; return p; }
  size_t pos() const { return pos_; }

 private:
  const std::vector<uint8_t>& b_;
  std::string name_;
  size_t pos_ = 0;
};

void put_irq(Writer& w, const kvm_model::vgic::IrqState& q) {
  w.u8(static_cast<uint8_t>(q.enabled | (q.latch << 1) | (q.line << 2) | (q.active << 3) | (q.edge << 4)));
  w.u8(q.priority);
}
kvm_model::vgic::IrqState get_irq(Reader& r) {
  kvm_model::vgic::IrqState q;
  const uint8_t f = r.u8();
  q.enabled = f & 1;
  q.latch = f & 2;
  q.line = f & 4;
  q.active = f & 8;
  q.edge = f & 16;
  q.priority = r.u8();
  return q;
}

}  // namespace

void save_snapshot(const std::filesystem::path& path, const Snapshot& s) {
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.u32(kSnapshotVersion);
  w.str(s.source_host);
  w.str(s.kvm_era);
  w.str(s.pmu_core);
  w.u8(s.pmu);
  w.u32(s.pmu_irq);
  w.u32(s.vcpus);
  w.u64(s.ram_base);
  w.u64(s.ram_size);
  w.u64(s.instructions);
  w.u32(s.resets);
  w.u32(static_cast<uint32_t>(s.cpus.size()));
  for (const auto& c : s.cpus) {
    w.u32(c.id);
    w.u32(c.mp_state);
    w.u32(static_cast<uint32_t>(c.regs.size()));
    for (const auto& [id, v] : c.regs) {
      w.u64(id);
      const size_t size = kvm_model::one_reg_size(id);
      if (size == 4) {
        w.u32(static_cast<uint32_t>(v.lo));
      } else {
        w.u64(v.lo);
        if (size == 16) w.u64(v.hi);
      }
    }
  }
  const auto& g = s.vgic;
  w.u8(g.enable_grp1);
  w.u32(static_cast<uint32_t>(g.spis.size()));
  for (const auto& q : g.spis) put_irq(w, q);
  for (uint64_t r : g.irouter) w.u64(r);
  w.u32(static_cast<uint32_t>(g.cpus.size()));
  for (const auto& c : g.cpus) {
    w.u8(c.processor_sleep);
    for (const auto& q : c.irqs) put_irq(w, q);
    w.u8(c.cpuif.pmr);
    w.u8(c.cpuif.bpr0);
    w.u8(c.cpuif.bpr1);
    w.u8(static_cast<uint8_t>(c.cpuif.cbpr | (c.cpuif.eoimode << 1) | (c.cpuif.igrpen1 << 2)));
    w.u32(c.cpuif.ap1r0);
  }
  // RAM as the non-zero 4 KiB pages: (page index, 4096 bytes)..., then ~0.
  for (uint64_t p = 0; p * kPage < s.ram.size(); ++p) {
    const uint8_t* page = s.ram.data() + p * kPage;
    bool zero = true;
    for (uint64_t i = 0; i < kPage && zero; i += 8) {
      uint64_t v;
      std::memcpy(&v, page + i, 8);
      zero = v == 0;
    }
    if (zero) continue;
    w.u64(p);
    w.raw(page, kPage);
  }
  w.u64(~uint64_t{0});
  w.u64(fnv1a(w.buf().data(), w.buf().size()));

  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error(tmp.string() + ": cannot create: " + std::strerror(errno));
    const bool ok = std::fwrite(w.buf().data(), 1, w.buf().size(), f) == w.buf().size() && std::fflush(f) == 0;
    const int err = errno;
    std::fclose(f);
    if (!ok) {
      std::remove(tmp.c_str());
      throw std::runtime_error(tmp.string() + ": write failed: " + std::strerror(err));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path.string() + ": cannot rename the snapshot into place: " + ec.message());
  }
}

Snapshot load_snapshot(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(name + ": cannot open snapshot");
  const std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_snapshot(b, name);
}

Snapshot parse_snapshot(const std::vector<uint8_t>& b, const std::string& name) {
  Reader r(b, name);
  if (b.size() < sizeof kMagic + 12 || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0)
    r.fail("not a pmuemu snapshot (bad magic)");
  uint64_t stored;
  std::memcpy(&stored, b.data() + b.size() - 8, 8);
  if (fnv1a(b.data(), b.size() - 8) != stored) r.fail("checksum mismatch: the snapshot is corrupted or truncated");
  r.bytes(sizeof kMagic);
  const uint32_t version = r.u32();
  if (version != kSnapshotVersion && version != 1)
    r.fail("snapshot version " + std::to_string(version) + ", this pmuemu reads versions 1 and " +
           std::to_string(kSnapshotVersion));
  Snapshot s;
  s.format_version = version;
  s.source_host = r.str();
  s.kvm_era = r.str();
  if (s.kvm_era == "newest") s.kvm_era = kEraNewestBeforeNames;
  s.pmu_core = r.str();
  s.pmu = r.u8() != 0;
  s.pmu_irq = r.u32();
  s.vcpus = r.u32();
  s.ram_base = r.u64();
  s.ram_size = r.u64();
  s.instructions = r.u64();
  s.resets = r.u32();
  if (s.vcpus == 0 || s.vcpus > kMaxVcpus) r.fail("vCPU count " + std::to_string(s.vcpus) + " out of range");
  if (s.ram_size == 0 || s.ram_size > kMaxRam || s.ram_size % kPage) r.fail("RAM size " + std::to_string(s.ram_size) + " out of range");
  const uint32_t ncpus = r.u32();
  if (ncpus != s.vcpus) r.fail("holds " + std::to_string(ncpus) + " vCPUs, header says " + std::to_string(s.vcpus));
  for (uint32_t i = 0; i < ncpus; ++i) {
    SnapshotVcpu c;
    c.id = r.u32();
    c.mp_state = r.u32();
    const uint32_t n = r.u32();
    if (n > kMaxRegs) r.fail("vCPU " + std::to_string(c.id) + " has " + std::to_string(n) + " registers");
    for (uint32_t k = 0; k < n; ++k) {
      const uint64_t id = r.u64();
      RegValue v;
      if (version == 1) {
        v.lo = r.u64();  // every value 8 bytes, whatever the id's size
      } else {
        const size_t size = kvm_model::one_reg_size(id);
        if (size != 4 && size != 8 && size != 16)
          r.fail("register id " + hex_id(id) + " has a size of " + std::to_string(size) + " bytes");
        v.lo = size == 4 ? r.u32() : r.u64();
        if (size == 16) v.hi = r.u64();
      }
      c.regs.emplace_back(id, v);
    }
    s.cpus.push_back(std::move(c));
  }
  auto& g = s.vgic;
  g.enable_grp1 = r.u8() != 0;
  const uint32_t nspi = r.u32();
  if (nspi > kMaxIrqs) r.fail("vGIC with " + std::to_string(nspi) + " SPIs");
  for (uint32_t i = 0; i < nspi; ++i) g.spis.push_back(get_irq(r));
  for (uint32_t i = 0; i < nspi; ++i) g.irouter.push_back(r.u64());
  const uint32_t ngc = r.u32();
  if (ngc != s.vcpus) r.fail("vGIC state for " + std::to_string(ngc) + " vCPUs, header says " + std::to_string(s.vcpus));
  g.cpus.resize(ngc);
  for (auto& c : g.cpus) {
    c.processor_sleep = r.u8() != 0;
    for (auto& q : c.irqs) q = get_irq(r);
    c.cpuif.pmr = r.u8();
    c.cpuif.bpr0 = r.u8();
    c.cpuif.bpr1 = r.u8();
    const uint8_t f = r.u8();
    c.cpuif.cbpr = f & 1;
    c.cpuif.eoimode = f & 2;
    c.cpuif.igrpen1 = f & 4;
    c.cpuif.ap1r0 = r.u32();
  }
  // The page records are checked before RAM is allocated: the header may claim up to
  // 4 GiB, and a file that is wrong further on must not cost that much memory first
  // (found by fuzz_snapshot: RSS above 2 GiB on crafted inputs).
  std::vector<std::pair<uint64_t, const uint8_t*>> pages;
  for (;;) {
    const uint64_t p = r.u64();
    if (p == ~uint64_t{0}) break;
    if (p >= s.ram_size / kPage) r.fail("RAM page " + std::to_string(p) + " beyond the RAM size");
    pages.emplace_back(p, r.bytes(kPage));
  }
  if (r.pos() != b.size() - 8) r.fail("trailing bytes after the RAM pages");
  s.ram.assign(s.ram_size, 0);
  for (const auto& [p, data] : pages) std::memcpy(s.ram.data() + p * kPage, data, kPage);
  return s;
}

}  // namespace pmuemu::vmm
