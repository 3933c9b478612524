#include "emu/devices/pl011.h"

#include <array>

namespace pmuemu::devices {
namespace {

constexpr uint64_t kDr = 0x000, kFr = 0x018, kIbrd = 0x024, kFbrd = 0x028, kLcrH = 0x02c, kCr = 0x030,
                   kImsc = 0x038, kRis = 0x03c, kMis = 0x040, kIcr = 0x044;
// UARTFR: transmit FIFO empty and receive FIFO empty; never busy, never full.
constexpr uint32_t kFrTxfe = 1u << 7, kFrRxfe = 1u << 4;
// PrimeCell identification registers 0xFE0..0xFFC (DDI 0183 3.3.x): part 0x011, rev r1p5.
constexpr std::array<uint8_t, 8> kIds{0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

}  // namespace

uint64_t Pl011::read(uint64_t offset) const {
  if (offset >= 0xfe0 && offset < 0x1000) return kIds[(offset - 0xfe0) / 4];
  switch (offset) {
    case kFr: return kFrTxfe | kFrRxfe;
    case kIbrd: return ibrd_;
    case kFbrd: return fbrd_;
    case kLcrH: return lcr_h_;
    case kCr: return cr_;
    case kImsc: return imsc_;
    default: return 0;  // DR (nothing received), RIS/MIS (no interrupt), reserved: RAZ
  }
}

void Pl011::write(unsigned vcpu, uint64_t offset, uint64_t value) {
  switch (offset) {
    case kDr: sink_(vcpu, static_cast<char>(value & 0xff)); break;
    case kIbrd: ibrd_ = static_cast<uint32_t>(value & 0xffff); break;
    case kFbrd: fbrd_ = static_cast<uint32_t>(value & 0x3f); break;
    case kLcrH: lcr_h_ = static_cast<uint32_t>(value & 0xff); break;
    case kCr: cr_ = static_cast<uint32_t>(value & 0xffff); break;
    case kImsc: imsc_ = static_cast<uint32_t>(value & 0x7ff); break;
    case kIcr: case kRis: case kMis: default: break;  // write-only clears, read-only, reserved: ignored
  }
}

}  // namespace pmuemu::devices
