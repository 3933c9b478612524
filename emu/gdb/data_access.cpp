#include "emu/gdb/data_access.h"

namespace pmuemu::gdb {
namespace {

constexpr uint32_t bits(uint32_t w, unsigned hi, unsigned lo) { return (w >> lo) & ((1u << (hi - lo + 1)) - 1); }
constexpr int64_t sext(uint64_t v, unsigned width) {
  const uint64_t m = uint64_t{1} << (width - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

// ExtendReg (Arm ARM J1, aarch64/instrs/extendreg): option selects the extension of Xm.
uint64_t extend(uint64_t x, unsigned option, unsigned shift) {
  switch (option & 3) {
    case 0: x = option & 4 ? static_cast<uint64_t>(static_cast<int8_t>(x)) : static_cast<uint8_t>(x); break;
    case 1: x = option & 4 ? static_cast<uint64_t>(static_cast<int16_t>(x)) : static_cast<uint16_t>(x); break;
    case 2: x = option & 4 ? static_cast<uint64_t>(static_cast<int32_t>(x)) : static_cast<uint32_t>(x); break;
    default: break;
  }
  return x << shift;
}

}  // namespace

std::optional<DataAccess> data_access(uint32_t w, uint64_t pc, const std::function<uint64_t(unsigned)>& xreg) {
  // Loads and stores: op0 x1x0 (Arm ARM C4.1, "Loads and Stores").
  if ((w & 0x0a000000) != 0x08000000) return std::nullopt;
  const unsigned size = bits(w, 31, 30), rn = bits(w, 9, 5);
  const bool simd = bits(w, 26, 26) != 0;
  const auto base = [&] { return xreg(rn); };

  // Load/store exclusive, ordered, compare-and-swap: bits 29:24 = 001000.
  if (bits(w, 29, 24) == 0x08 && !simd) {
    const bool l = bits(w, 22, 22), o1 = bits(w, 21, 21);
    const unsigned o2 = bits(w, 23, 23);
    const uint64_t n = uint64_t{1} << size;
    if (o2 == 1 && o1 == 1) return DataAccess{base(), n, true, true};  // CAS (read, and write on a match)
    if (o2 == 0 && o1 == 1 && size < 2) {                              // CASP (pairs of W or X)
      return DataAccess{base(), 2 * (uint64_t{4} << size), true, true};
    }
    const uint64_t len = o1 ? 2 * n : n;  // LDXP/STXP and friends move a pair
    return DataAccess{base(), len, l, !l};
  }
  // Load register (literal): bits 29:27 = 011, 25:24 = 00.
  if (bits(w, 29, 27) == 3 && bits(w, 25, 24) == 0) {
    const unsigned opc = size;
    if (!simd && opc == 3) return std::nullopt;  // PRFM: no access
    const uint64_t len = simd ? uint64_t{4} << opc : opc == 1 ? 8 : 4;
    if (simd && opc == 3) return std::nullopt;
    return DataAccess{pc + static_cast<uint64_t>(sext(bits(w, 23, 5), 19) * 4), len, true, false};
  }
  // Load/store pair: bits 29:27 = 101.
  if (bits(w, 29, 27) == 5) {
    const unsigned opc = size, mode = bits(w, 24, 23);
    const bool l = bits(w, 22, 22);
    unsigned scale;
    if (simd) {
      if (opc == 3) return std::nullopt;
      scale = 2 + opc;
    } else {
      if (opc == 3) return std::nullopt;  // (LDIAPP/STILP and tag pairs: not covered)
      scale = opc == 2 ? 3 : 2;
    }
    const uint64_t off = static_cast<uint64_t>(sext(bits(w, 21, 15), 7) << scale);
    const uint64_t va = mode == 1 ? base() : base() + off;  // post-index uses the base as it is
    return DataAccess{va, uint64_t{2} << scale, l, !l};
  }
  // Load/store register: bits 29:27 = 111.
  if (bits(w, 29, 27) != 7) return std::nullopt;
  const unsigned opc = bits(w, 23, 22);
  unsigned scale = size;
  bool load;
  if (simd) {
    if (opc & 2) {
      if (size != 0) return std::nullopt;
      scale = 4;  // Q registers
    }
    load = opc & 1;
  } else {
    if (size == 3 && opc == 2) return std::nullopt;  // PRFM
    if (size == 2 && opc == 3) return std::nullopt;  // unallocated
    load = opc != 0;
  }
  const uint64_t len = uint64_t{1} << scale;
  if (bits(w, 25, 24) == 1)  // unsigned offset
    return DataAccess{base() + (uint64_t{bits(w, 21, 10)} << scale), len, load, !load};
  if (bits(w, 21, 21) == 0) {
    // Unscaled, post-index, unprivileged, pre-index (bits 11:10 = 00, 01, 10, 11).
    const uint64_t off = static_cast<uint64_t>(sext(bits(w, 20, 12), 9));
    return DataAccess{bits(w, 11, 10) == 1 ? base() : base() + off, len, load, !load};
  }
  if (bits(w, 11, 10) == 2) {  // register offset
    const unsigned rm = bits(w, 20, 16), option = bits(w, 15, 13);
    const uint64_t xm = rm == 31 ? 0 : xreg(rm);
    return DataAccess{base() + extend(xm, option, bits(w, 12, 12) ? scale : 0), len, load, !load};
  }
  if (bits(w, 11, 10) == 0 && !simd) {
    // Atomic memory operations (LDADD ... SWP, LDAPR): read and write, LDAPR reads only.
    const bool ldapr = bits(w, 15, 12) == 0xc && bits(w, 20, 16) == 31;
    return DataAccess{base(), len, true, !ldapr};
  }
  return std::nullopt;
}

}  // namespace pmuemu::gdb
