// The Crypto extensions (Arm ARM C4.1.93-C4.1.94): FEAT_AES (AESE AESD AESMC AESIMC),
// FEAT_SHA1 (SHA1C SHA1P SHA1M SHA1H SHA1SU0 SHA1SU1) and FEAT_SHA256 (SHA256H SHA256H2
// SHA256SU0 SHA256SU1). The AES S-boxes are derived at compile time from their FIPS-197
// definition (multiplicative inverse in GF(2^8), then the affine transform); the SHA
// steps follow the Arm pseudocode (SHA1hash*/SHA256hash) with FIPS 180-4's functions.
// Not gated on ID_AA64ISAR0 yet: the ID-register owner adds that in the predecode.
// The lane loops have fixed trip counts; GCC's default -O2 cost model ("very cheap")
// leaves most of them scalar, so this file asks for the full model.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif
#include <array>
#include <bit>

#include "cpu/decoder/fields.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/simd_ops.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

using namespace simd;

// ---------------- AES ----------------
constexpr u8 xtime(u8 x) { return static_cast<u8>((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }
constexpr u8 gmul(u8 a, u8 b) {
  u8 r = 0;
  for (int k = 0; k < 8; ++k) {
    if (b & 1) r ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return r;
}
// Multiplicative inverses in GF(2^8) through the powers of the generator 3 (p * 3 = p ^
// xtime(p)): inv(3^i) = 3^(255-i). A few hundred constexpr steps, where searching all
// products for 1 exceeds clang's default constexpr step limit. FIPS-197 5.1.1: 0 maps to 0.
constexpr std::array<u8, 256> kGfInv = [] {
  std::array<u8, 256> pow{}, log{}, inv{};
  u8 p = 1;
  for (unsigned i = 0; i < 255; ++i) {
    pow[i] = p;
    log[p] = static_cast<u8>(i);
    p = static_cast<u8>(p ^ xtime(p));
  }
  for (unsigned x = 1; x < 256; ++x) inv[x] = pow[(255 - log[x]) % 255];
  return inv;
}();
constexpr std::array<u8, 256> kSbox = [] {
  std::array<u8, 256> s{};
  for (unsigned x = 0; x < 256; ++x) {
    const u8 b = kGfInv[x];
    // b'_i = b_i ^ b_(i+4) ^ b_(i+5) ^ b_(i+6) ^ b_(i+7) ^ c_i, c = 0x63.
    const u8 r = static_cast<u8>(b ^ std::rotl(b, 1) ^ std::rotl(b, 2) ^ std::rotl(b, 3) ^ std::rotl(b, 4) ^ 0x63);
    s[x] = r;
  }
  return s;
}();
constexpr std::array<u8, 256> kInvSbox = [] {
  std::array<u8, 256> s{};
  for (unsigned x = 0; x < 256; ++x) s[kSbox[x]] = static_cast<u8>(x);
  return s;
}();
static_assert(kSbox[0x00] == 0x63 && kSbox[0x53] == 0xed);  // FIPS-197 figure 7 and 5.1.1
static_assert(gmul(0x53, kGfInv[0x53]) == 1 && gmul(0xca, kGfInv[0xca]) == 1 && kSbox[0xff] == 0x16);

// The state is the register's bytes in column-major order: byte 4c + r is row r, column c.
Flow op_aese(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  u8 s[16], r[16];
  VReg x = V(c, i.d);
  x.d[0] ^= V(c, i.n).d[0];
  x.d[1] ^= V(c, i.n).d[1];
  get<16>(x, s);
  for (unsigned col = 0; col < 4; ++col)
    for (unsigned row = 0; row < 4; ++row) r[4 * col + row] = kSbox[s[4 * ((col + row) % 4) + row]];
  put<16>(V(c, i.d), r);
  return next(c, i);
}
Flow op_aesd(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  u8 s[16], r[16];
  VReg x = V(c, i.d);
  x.d[0] ^= V(c, i.n).d[0];
  x.d[1] ^= V(c, i.n).d[1];
  get<16>(x, s);
  for (unsigned col = 0; col < 4; ++col)
    for (unsigned row = 0; row < 4; ++row) r[4 * ((col + row) % 4) + row] = kInvSbox[s[4 * col + row]];
  put<16>(V(c, i.d), r);
  return next(c, i);
}
template <bool kInverse>
Flow op_aesmc(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  u8 s[16], r[16];
  get<16>(V(c, i.n), s);
  // MixColumns multiplies each column by {02 03 01 01} (circulant); InvMixColumns by {0e 0b 0d 09}.
  constexpr u8 m[4] = {kInverse ? u8{0x0e} : u8{2}, kInverse ? u8{0x0b} : u8{3}, kInverse ? u8{0x0d} : u8{1},
                       kInverse ? u8{0x09} : u8{1}};
  for (unsigned col = 0; col < 4; ++col)
    for (unsigned row = 0; row < 4; ++row) {
      u8 acc = 0;
      for (unsigned k = 0; k < 4; ++k) acc ^= gmul(m[(k - row + 4) % 4], s[4 * col + k]);
      r[4 * col + row] = acc;
    }
  put<16>(V(c, i.d), r);
  return next(c, i);
}

// ---------------- SHA-1 and SHA-256 ----------------
constexpr u32 sha_choose(u32 x, u32 y, u32 z) { return ((y ^ z) & x) ^ z; }
constexpr u32 sha_parity(u32 x, u32 y, u32 z) { return x ^ y ^ z; }
constexpr u32 sha_majority(u32 x, u32 y, u32 z) { return (x & y) | ((x | y) & z); }

struct Q4 { u32 w[4]; };
inline Q4 getq(const VReg& r) { Q4 q; std::memcpy(q.w, r.d.data(), 16); return q; }
inline void putq(Core& c, unsigned d, const Q4& q) { std::memcpy(V(c, d).d.data(), q.w, 16); }

// SHA1C / SHA1P / SHA1M: four rounds on the hash state X (Vd) and E (Sn) with W (Vm).
template <u32 (*kF)(u32, u32, u32)>
Flow op_sha1_hash(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  Q4 x = getq(V(c, i.d));
  u32 y = V(c, i.n).lane<u32>(0);
  const Q4 w = getq(V(c, i.m));
  for (unsigned e = 0; e < 4; ++e) {
    const u32 t = kF(x.w[1], x.w[2], x.w[3]);
    y = y + std::rotl(x.w[0], 5) + t + w.w[e];
    x.w[1] = std::rotl(x.w[1], 30);
    // <Y, X> = ROL(Y:X, 32)
    const u32 top = x.w[3];
    x.w[3] = x.w[2];
    x.w[2] = x.w[1];
    x.w[1] = x.w[0];
    x.w[0] = y;
    y = top;
  }
  putq(c, i.d, x);
  return next(c, i);
}
Flow op_sha1su0(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const Q4 a = getq(V(c, i.d)), b = getq(V(c, i.n)), m = getq(V(c, i.m));
  const Q4 r{{a.w[2] ^ a.w[0] ^ m.w[0], a.w[3] ^ a.w[1] ^ m.w[1], b.w[0] ^ a.w[2] ^ m.w[2], b.w[1] ^ a.w[3] ^ m.w[3]}};
  putq(c, i.d, r);
  return next(c, i);
}
Flow op_sha1h(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  set_v64(c, i.d, std::rotl(V(c, i.n).lane<u32>(0), 30));
  return next(c, i);
}
Flow op_sha1su1(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const Q4 a = getq(V(c, i.d)), b = getq(V(c, i.n));
  const u32 t[4] = {a.w[0] ^ b.w[1], a.w[1] ^ b.w[2], a.w[2] ^ b.w[3], a.w[3]};
  const Q4 r{{std::rotl(t[0], 1), std::rotl(t[1], 1), std::rotl(t[2], 1), std::rotl(t[3], 1) ^ std::rotl(t[0], 2)}};
  putq(c, i.d, r);
  return next(c, i);
}

constexpr u32 sigma0(u32 x) { return std::rotr(x, 2) ^ std::rotr(x, 13) ^ std::rotr(x, 22); }
constexpr u32 sigma1(u32 x) { return std::rotr(x, 6) ^ std::rotr(x, 11) ^ std::rotr(x, 25); }

// SHA256hash(X, Y, W, part1): four rounds; X holds a..d, Y holds e..h.
inline Q4 sha256_hash(Q4 x, Q4 y, const Q4& w, bool part1) {
  for (unsigned e = 0; e < 4; ++e) {
    const u32 chs = sha_choose(y.w[0], y.w[1], y.w[2]);
    const u32 maj = sha_majority(x.w[0], x.w[1], x.w[2]);
    const u32 t = y.w[3] + sigma1(y.w[0]) + chs + w.w[e];
    x.w[3] = t + x.w[3];
    y.w[3] = t + sigma0(x.w[0]) + maj;
    // <Y, X> = ROL(Y:X, 32)
    const u32 xt = x.w[3], yt = y.w[3];
    x.w[3] = x.w[2]; x.w[2] = x.w[1]; x.w[1] = x.w[0]; x.w[0] = yt;
    y.w[3] = y.w[2]; y.w[2] = y.w[1]; y.w[1] = y.w[0]; y.w[0] = xt;
  }
  return part1 ? x : y;
}
template <bool kPart1>
Flow op_sha256h(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const Q4 d = getq(V(c, i.d)), n = getq(V(c, i.n)), w = getq(V(c, i.m));
  putq(c, i.d, kPart1 ? sha256_hash(d, n, w, true) : sha256_hash(n, d, w, false));
  return next(c, i);
}
Flow op_sha256su0(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const Q4 a = getq(V(c, i.d)), b = getq(V(c, i.n));
  const u32 t[4] = {a.w[1], a.w[2], a.w[3], b.w[0]};
  Q4 r;
  for (unsigned e = 0; e < 4; ++e) r.w[e] = (std::rotr(t[e], 7) ^ std::rotr(t[e], 18) ^ (t[e] >> 3)) + a.w[e];
  putq(c, i.d, r);
  return next(c, i);
}
Flow op_sha256su1(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const Q4 a = getq(V(c, i.d)), b = getq(V(c, i.n)), m = getq(V(c, i.m));
  const u32 t0[4] = {b.w[1], b.w[2], b.w[3], m.w[0]};
  auto s1 = [](u32 x) { return std::rotr(x, 17) ^ std::rotr(x, 19) ^ (x >> 10); };
  Q4 r;
  r.w[0] = s1(m.w[2]) + a.w[0] + t0[0];
  r.w[1] = s1(m.w[3]) + a.w[1] + t0[1];
  r.w[2] = s1(r.w[0]) + a.w[2] + t0[2];
  r.w[3] = s1(r.w[1]) + a.w[3] + t0[3];
  putq(c, i.d, r);
  return next(c, i);
}

}  // namespace

// The predecode functions take the fields of their row's pattern as parameters, in pattern
// order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern.

// FEAT_AES (the row fixes size = 00).
bool pre_CRYPTO_AES(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::CRYPTO_AES>(i, insn, [](DecodedInst& i, F<'o'> opcode, F<'n'> rn, F<'d'> rd) {
    constexpr Handler t[4] = {&op_aese, &op_aesd, &op_aesmc<false>, &op_aesmc<true>};
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.fn = t[opcode];
    return true;
  });
}
// FEAT_SHA1 (opcodes 000-011), FEAT_SHA256 (100-110).
bool pre_CRYPTO_SHA3(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::CRYPTO_SHA3>(i, insn, [](DecodedInst& i, F<'m'> rm, F<'o'> opcode, F<'n'> rn, F<'d'> rd) {
    if (opcode == 7) return false;
    constexpr Handler t[7] = {&op_sha1_hash<&sha_choose>, &op_sha1_hash<&sha_parity>, &op_sha1_hash<&sha_majority>,
                              &op_sha1su0, &op_sha256h<true>, &op_sha256h<false>, &op_sha256su1};
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.m = static_cast<uint8_t>(rm);
    i.fn = t[opcode];
    return true;
  });
}
// FEAT_SHA1 (SHA1H, SHA1SU1), FEAT_SHA256 (SHA256SU0).
bool pre_CRYPTO_SHA2(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::CRYPTO_SHA2>(i, insn, [](DecodedInst& i, F<'o'> opcode, F<'n'> rn, F<'d'> rd) {
    if (opcode == 3) return false;
    constexpr Handler t[3] = {&op_sha1h, &op_sha1su1, &op_sha256su0};
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.fn = t[opcode];
    return true;
  });
}

}  // namespace cpu::interp
