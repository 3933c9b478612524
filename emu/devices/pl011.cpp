#include "emu/devices/pl011.h"

#include <array>

namespace pmuemu::devices {
namespace {

constexpr uint64_t kDr = 0x000, kRsr = 0x004, kFr = 0x018, kIbrd = 0x024, kFbrd = 0x028, kLcrH = 0x02c,
                   kCr = 0x030, kIfls = 0x034, kImsc = 0x038, kRis = 0x03c, kMis = 0x040, kIcr = 0x044,
                   kDmacr = 0x048;
// UARTFR: transmit FIFO empty (never busy, never full); receive FIFO empty / full.
constexpr uint32_t kFrTxfe = 1u << 7, kFrRxff = 1u << 6, kFrRxfe = 1u << 4;
// Interrupt bits of IMSC/RIS/MIS/ICR.
constexpr uint32_t kIntRx = 1u << 4, kIntTx = 1u << 5, kIntRt = 1u << 6;
// UARTCR: UARTEN, RXE.
constexpr uint32_t kCrUarten = 1u << 0, kCrRxe = 1u << 9;
// PrimeCell identification registers 0xFE0..0xFFC (DDI 0183 3.3.x): part 0x011, rev r1p5.
constexpr std::array<uint8_t, 8> kIds{0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

}  // namespace

uint32_t Pl011::raw_interrupts() const {
  return (tx_ris_ ? kIntTx : 0) | (rx_.empty() ? 0 : kIntRx | kIntRt);
}

void Pl011::update_irq() {
  const bool level = (raw_interrupts() & imsc_) != 0;
  if (level == level_) return;
  level_ = level;
  if (irq_) irq_(level);
}

uint64_t Pl011::read(uint64_t offset) {
  if (offset >= 0xfe0 && offset < 0x1000) return kIds[(offset - 0xfe0) / 4];
  switch (offset) {
    case kDr: {
      if (rx_.empty()) return 0;
      const uint8_t b = rx_.front();
      rx_.pop_front();
      update_irq();
      return b;  // no framing, parity, break or overrun errors on an emulated line
    }
    case kFr: return kFrTxfe | (rx_.empty() ? kFrRxfe : 0) | (rx_.size() >= kFifoDepth ? kFrRxff : 0);
    case kIbrd: return ibrd_;
    case kFbrd: return fbrd_;
    case kLcrH: return lcr_h_;
    case kCr: return cr_;
    case kIfls: return ifls_;
    case kImsc: return imsc_;
    case kRis: return raw_interrupts();
    case kMis: return raw_interrupts() & imsc_;
    default: return 0;  // RSR (no errors), DMACR, reserved: RAZ
  }
}

void Pl011::write(unsigned vcpu, uint64_t offset, uint64_t value) {
  switch (offset) {
    case kDr:
      sink_(vcpu, static_cast<char>(value & 0xff));
      tx_ris_ = true;
      break;
    case kIbrd: ibrd_ = static_cast<uint32_t>(value & 0xffff); break;
    case kFbrd: fbrd_ = static_cast<uint32_t>(value & 0x3f); break;
    case kLcrH: lcr_h_ = static_cast<uint32_t>(value & 0xff); break;
    case kCr: cr_ = static_cast<uint32_t>(value & 0xffff); break;
    case kIfls: ifls_ = static_cast<uint32_t>(value & 0x3f); break;
    case kImsc: imsc_ = static_cast<uint32_t>(value & 0x7ff); break;
    case kIcr:
      // Receive sources follow the FIFO: they stay raised while it holds data.
      if (value & kIntTx) tx_ris_ = false;
      break;
    case kRsr: case kRis: case kMis: case kDmacr: default: break;  // error clear, read-only, no DMA: ignored
  }
  update_irq();
}

size_t Pl011::rx_room() const {
  const bool listening = (cr_ & (kCrUarten | kCrRxe)) == (kCrUarten | kCrRxe) && (imsc_ & (kIntRx | kIntRt)) != 0;
  return listening ? kFifoDepth - rx_.size() : 0;
}

bool Pl011::receive(uint8_t byte) {
  if (rx_.size() >= kFifoDepth) return false;
  rx_.push_back(byte);
  update_irq();
  return true;
}

}  // namespace pmuemu::devices
