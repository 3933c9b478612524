// The exact path of Arm floating point (see fp.h). Each function follows the Arm ARM
// pseudocode function of the same name; values are exact integer mantissas times powers of
// two, and the only rounding is in round_real (FPRoundBase).
#include "cpu/fp/fp.h"

#include <bit>
#include <utility>

namespace cpu::fp {
namespace {

using u128 = unsigned __int128;

// An exact real value mant * 2^exp, or, with sticky, a value strictly between mant * 2^exp
// and (mant + 1) * 2^exp. A sticky value always has at least 64 significant bits in mant,
// so the missing part lies far below any rounding position.
struct Real {
  bool sign = false;
  int exp = 0;
  u128 mant = 0;
  bool sticky = false;
  bool is_zero() const { return mant == 0 && !sticky; }
};

int msb(u128 x) {
  const uint64_t hi = static_cast<uint64_t>(x >> 64);
  if (hi) return 127 - std::countl_zero(hi);
  return 63 - std::countl_zero(static_cast<uint64_t>(x));
}

// Where a discarded fraction lies relative to one half of the last kept unit.
enum Frac : uint8_t { kExact, kBelowHalf, kHalf, kAboveHalf };

// mant * 2^-k split into its integer part and the class of the discarded fraction
// (sticky adds an infinitesimal below mant's last bit).
struct Split {
  u128 i;
  Frac f;
};
Split split(u128 mant, int k, bool sticky) {
  // A left shift of 128 or more would be undefined: the value is beyond any integer the
  // callers produce, which saturate on it, so it is given as the largest u128.
  if (k <= -128) return {mant != 0 ? ~u128{0} : u128{0}, sticky ? kBelowHalf : kExact};
  if (k <= 0) return {mant << -k, sticky ? kBelowHalf : kExact};
  if (k > 128) return {0, (mant || sticky) ? kBelowHalf : kExact};
  const u128 i = k == 128 ? 0 : mant >> k;
  const u128 rem = k == 128 ? mant : mant & ((u128{1} << k) - 1);
  const u128 half = u128{1} << (k - 1);
  Frac f;
  if (rem == 0) f = sticky ? kBelowHalf : kExact;
  else if (rem < half) f = kBelowHalf;
  else if (rem == half) f = sticky ? kAboveHalf : kHalf;
  else f = kAboveHalf;
  return {i, f};
}

// Whether a magnitude with this discarded fraction rounds away from zero.
bool rounds_up(Rounding r, bool sign, bool odd, Frac f) {
  switch (r) {
    case Rounding::kTieEven: return f == kAboveHalf || (f == kHalf && odd);
    case Rounding::kTieAway: return f >= kHalf;
    case Rounding::kPosInf: return f != kExact && !sign;
    case Rounding::kNegInf: return f != kExact && sign;
    case Rounding::kZero:
    case Rounding::kOdd: return false;
  }
  return false;
}

// FPRoundBase for a nonzero value. fz: flush tiny results (FZ, or FZ16 for half outside
// conversions); ahp: the alternative half-precision format (conversions only).
template <int N>
uint64_t round_real(const Real& v, Rounding r, bool fz, bool ahp, Env& env) {
  constexpr int E = Fmt<N>::E, F = Fmt<N>::F;
  constexpr int kMinExp = 2 - (1 << (E - 1));
  const int exponent = v.exp + msb(v.mant);  // 2^exponent <= |v| < 2^(exponent+1)
  if (fz && exponent < kMinExp) {
    // Flush to zero: UFC without IXC, and never a trapped underflow.
    env.flags |= kUFC;
    return zero<N>(v.sign);
  }
  int biased = exponent - kMinExp + 1;
  if (biased < 0) biased = 0;
  const int lsb_exp = biased == 0 ? kMinExp - F : exponent - F;
  Split s = split(v.mant, lsb_exp - v.exp, v.sticky);
  uint64_t m = static_cast<uint64_t>(s.i);
  // Tininess is detected before rounding.
  if (biased == 0 && s.f != kExact) env.flags |= kUFC;
  if (rounds_up(r, v.sign, m & 1, s.f)) {
    ++m;
    if (m == (uint64_t{1} << F) && biased == 0) biased = 1;  // a denormal rounded to the smallest normal
    if (m == (uint64_t{1} << (F + 1))) {
      ++biased;
      m >>= 1;
    }
  }
  if (s.f != kExact && r == Rounding::kOdd) m |= 1;
  const uint64_t sgn = v.sign ? sign_bit<N>() : 0;
  bool inexact = s.f != kExact;
  uint64_t result;
  if (!ahp) {
    if (biased >= (1 << E) - 1) {
      bool to_inf;
      switch (r) {
        case Rounding::kTieEven: case Rounding::kTieAway: to_inf = true; break;
        case Rounding::kPosInf: to_inf = !v.sign; break;
        case Rounding::kNegInf: to_inf = v.sign; break;
        default: to_inf = false; break;
      }
      result = to_inf ? infinity<N>(v.sign) : max_normal<N>(v.sign);
      env.flags |= kOFC;
      inexact = true;
    } else {
      result = sgn | (static_cast<uint64_t>(biased) << F) | (m & ((uint64_t{1} << F) - 1));
    }
  } else {
    if (biased >= (1 << E)) {
      result = sgn | (sign_bit<N>() - 1);
      env.flags |= kIOC;
      inexact = false;
    } else {
      result = sgn | (static_cast<uint64_t>(biased) << F) | (m & ((uint64_t{1} << F) - 1));
    }
  }
  if (inexact) env.flags |= kIXC;
  return result;
}

// FPRound and FPRoundCV.
template <int N>
uint64_t fp_round(const Real& v, Rounding r, Env& env) {
  return round_real<N>(v, r, N == 16 ? env.fz16() : env.fz(), false, env);
}
template <int N>
uint64_t fp_round_cv(const Real& v, Rounding r, Env& env) {
  return round_real<N>(v, r, N == 16 ? false : env.fz(), N == 16 && env.ahp(), env);
}

template <int N>
Unpacked unpack_base(uint64_t x, bool fz, bool ahp, Env& env) {
  constexpr int E = Fmt<N>::E, F = Fmt<N>::F;
  constexpr int kBias = (1 << (E - 1)) - 1;
  const bool sign = (x >> (N - 1)) & 1;
  const int e = static_cast<int>((x >> F) & ((1u << E) - 1));
  const uint64_t frac = x & ((uint64_t{1} << F) - 1);
  if (e == 0) {
    if (frac == 0) return {Type::kZero, sign, 0, 0};
    if (fz) {
      // Half-precision inputs flush without IDC (FPUnpackBase).
      if (N != 16) env.flags |= kIDC;
      return {Type::kZero, sign, 0, 0};
    }
    return {Type::kDenormal, sign, 1 - kBias - F, frac};
  }
  if (e == (1 << E) - 1 && !(N == 16 && ahp)) {
    if (frac == 0) return {Type::kInf, sign, 0, 0};
    return {(frac >> (F - 1)) ? Type::kQNaN : Type::kSNaN, sign, 0, 0};
  }
  return {Type::kNormal, sign, e - kBias - F, frac | (uint64_t{1} << F)};
}

bool is_nan_type(Type t) { return t == Type::kQNaN || t == Type::kSNaN; }

// FPProcessNaN: quieten a signalling NaN (IOC), or the default NaN under FPCR.DN.
template <int N>
uint64_t process_nan(Type t, uint64_t x, Env& env) {
  if (t == Type::kSNaN) {
    x |= uint64_t{1} << (Fmt<N>::F - 1);
    env.flags |= kIOC;
  }
  return env.dn() ? default_nan<N>() : x;
}

// FPProcessNaNs: signalling NaNs before quiet ones, the first operand first.
template <int N>
bool process_nans(const Unpacked& ua, const Unpacked& ub, uint64_t a, uint64_t b, uint64_t& out, Env& env) {
  if (ua.type == Type::kSNaN) out = process_nan<N>(ua.type, a, env);
  else if (ub.type == Type::kSNaN) out = process_nan<N>(ub.type, b, env);
  else if (ua.type == Type::kQNaN) out = process_nan<N>(ua.type, a, env);
  else if (ub.type == Type::kQNaN) out = process_nan<N>(ub.type, b, env);
  else return false;
  return true;
}
template <int N>
bool process_nans3(const Unpacked& u1, const Unpacked& u2, const Unpacked& u3, uint64_t a, uint64_t b, uint64_t c,
                   uint64_t& out, Env& env) {
  if (u1.type == Type::kSNaN) out = process_nan<N>(u1.type, a, env);
  else if (u2.type == Type::kSNaN) out = process_nan<N>(u2.type, b, env);
  else if (u3.type == Type::kSNaN) out = process_nan<N>(u3.type, c, env);
  else if (u1.type == Type::kQNaN) out = process_nan<N>(u1.type, a, env);
  else if (u2.type == Type::kQNaN) out = process_nan<N>(u2.type, b, env);
  else if (u3.type == Type::kQNaN) out = process_nan<N>(u3.type, c, env);
  else return false;
  return true;
}

Real real_of(const Unpacked& u) { return Real{u.sign, u.exp, u.mant, false}; }

// The exact sum of two exact values whose mantissas are below 2^120; the result may carry
// sticky bits when the exponents are far apart.
Real add_real(Real a, Real b) {
  if (a.mant == 0) return b;
  if (b.mant == 0) return a;
  int ta = a.exp + msb(a.mant), tb = b.exp + msb(b.mant);
  if (ta < tb) {
    std::swap(a, b);
    std::swap(ta, tb);
  }
  const int lsb = ta - 125;
  const u128 am = a.mant << (a.exp - lsb);
  u128 bm;
  bool st = false;
  if (b.exp >= lsb) {
    bm = b.mant << (b.exp - lsb);
  } else {
    const int k = lsb - b.exp;
    if (k >= 128) {
      bm = 0;
      st = true;
    } else {
      bm = b.mant >> k;
      st = (b.mant & ((u128{1} << k) - 1)) != 0;
    }
  }
  Real r;
  r.exp = lsb;
  if (a.sign == b.sign) {
    r.sign = a.sign;
    r.mant = am + bm;
    r.sticky = st;
  } else if (st) {
    // b lost bits, so b's top is far below a's and a - b is about a: a - (bm + d) with
    // 0 < d < 1 is (am - bm - 1) + (1 - d).
    r.sign = a.sign;
    r.mant = am - bm - 1;
    r.sticky = true;
  } else if (am >= bm) {
    r.sign = a.sign;
    r.mant = am - bm;
  } else {
    r.sign = b.sign;
    r.mant = bm - am;
  }
  return r;
}

Real mul_real(const Unpacked& a, const Unpacked& b) {
  return Real{a.sign != b.sign, a.exp + b.exp, static_cast<u128>(a.mant) * b.mant, false};
}

u128 isqrt(u128 x, bool& exact) {
  // Digit-by-digit square root.
  u128 res = 0, bitv = u128{1} << 126;
  while (bitv > x) bitv >>= 2;
  while (bitv) {
    if (x >= res + bitv) {
      x -= res + bitv;
      res = (res >> 1) + bitv;
    } else {
      res >>= 1;
    }
    bitv >>= 2;
  }
  exact = x == 0;
  return res;
}

template <int N>
uint64_t zero_by_rounding(Env& env) {
  return zero<N>(env.rounding() == Rounding::kNegInf);
}

// The sum of two exact reals rounded as FPAdd/FPMulAdd do: an exact zero gets +0, or -0
// when rounding toward minus infinity.
template <int N>
uint64_t round_sum(const Real& x, const Real& y, Env& env) {
  const Real s = add_real(x, y);
  if (s.is_zero()) return zero_by_rounding<N>(env);
  return fp_round<N>(s, env.rounding(), env);
}

}  // namespace

template <int N>
Unpacked unpack(uint64_t x, Env& env) {
  return unpack_base<N>(x, N == 16 ? env.fz16() : env.fz(), false, env);
}
template <int N>
Unpacked unpack_cv(uint64_t x, Env& env) {
  return unpack_base<N>(x, N == 16 ? false : env.fz(), env.ahp(), env);
}

template <int N>
uint64_t add(uint64_t a, uint64_t b, Env& env) {
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  if (inf1 && inf2 && ua.sign != ub.sign) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if (inf1) return infinity<N>(ua.sign);
  if (inf2) return infinity<N>(ub.sign);
  if (ua.type == Type::kZero && ub.type == Type::kZero && ua.sign == ub.sign) return zero<N>(ua.sign);
  return round_sum<N>(real_of(ua), real_of(ub), env);
}

template <int N>
uint64_t sub(uint64_t a, uint64_t b, Env& env) {
  // FPSub is FPAdd with the second operand's sign inverted, except that a NaN operand
  // keeps its own sign.
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  if (inf1 && inf2 && ua.sign == ub.sign) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if (inf1) return infinity<N>(ua.sign);
  if (inf2) return infinity<N>(!ub.sign);
  if (ua.type == Type::kZero && ub.type == Type::kZero && ua.sign != ub.sign) return zero<N>(ua.sign);
  Real rb = real_of(ub);
  rb.sign = !rb.sign;
  return round_sum<N>(real_of(ua), rb, env);
}

template <int N>
uint64_t mul(uint64_t a, uint64_t b, Env& env) {
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  const bool z1 = ua.type == Type::kZero, z2 = ub.type == Type::kZero;
  const bool s = ua.sign != ub.sign;
  if ((inf1 && z2) || (z1 && inf2)) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if (inf1 || inf2) return infinity<N>(s);
  if (z1 || z2) return zero<N>(s);
  return fp_round<N>(mul_real(ua, ub), env.rounding(), env);
}

template <int N>
uint64_t mulx(uint64_t a, uint64_t b, Env& env) {
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  const bool z1 = ua.type == Type::kZero, z2 = ub.type == Type::kZero;
  const bool s = ua.sign != ub.sign;
  if ((inf1 && z2) || (z1 && inf2)) return (s ? sign_bit<N>() : 0) | (uint64_t{1} << (N - 2));  // FPTwo
  if (inf1 || inf2) return infinity<N>(s);
  if (z1 || z2) return zero<N>(s);
  return fp_round<N>(mul_real(ua, ub), env.rounding(), env);
}

template <int N>
uint64_t div(uint64_t a, uint64_t b, Env& env) {
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  const bool z1 = ua.type == Type::kZero, z2 = ub.type == Type::kZero;
  const bool s = ua.sign != ub.sign;
  if ((inf1 && inf2) || (z1 && z2)) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if (inf1 || z2) {
    if (!inf1) env.flags |= kDZC;
    return infinity<N>(s);
  }
  if (z1 || inf2) return zero<N>(s);
  const int sh = 127 - msb(ua.mant);
  const u128 num = static_cast<u128>(ua.mant) << sh;
  const u128 q = num / ub.mant;
  const bool st = q * ub.mant != num;
  return fp_round<N>(Real{s, ua.exp - sh - ub.exp, q, st}, env.rounding(), env);
}

template <int N>
uint64_t sqrt(uint64_t a, Env& env) {
  const Unpacked u = unpack<N>(a, env);
  if (is_nan_type(u.type)) return process_nan<N>(u.type, a, env);
  if (u.type == Type::kZero) return zero<N>(u.sign);
  if (u.type == Type::kInf && !u.sign) return infinity<N>(false);
  if (u.sign) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  // Scale the mantissa to 125 or 126 bits with an even exponent.
  int sh = 125 - msb(u.mant);
  if ((u.exp - sh) & 1) ++sh;
  const u128 m = static_cast<u128>(u.mant) << sh;
  bool exact;
  const u128 r = isqrt(m, exact);
  return fp_round<N>(Real{false, (u.exp - sh) / 2, r, !exact}, env.rounding(), env);
}

template <int N>
uint64_t muladd(uint64_t addend, uint64_t a, uint64_t b, Env& env) {
  const Unpacked uc = unpack<N>(addend, env), ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  const bool z1 = ua.type == Type::kZero, z2 = ub.type == Type::kZero;
  uint64_t out;
  const bool done = process_nans3<N>(uc, ua, ub, addend, a, b, out, env);
  // 0 * Inf + qNaN is invalid and gives the default NaN (FPMulAdd).
  if (uc.type == Type::kQNaN && ((inf1 && z2) || (z1 && inf2))) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if (done) return out;
  const bool infc = uc.type == Type::kInf, zc = uc.type == Type::kZero;
  const bool sp = ua.sign != ub.sign, infp = inf1 || inf2, zp = z1 || z2;
  if ((inf1 && z2) || (z1 && inf2) || (infc && infp && uc.sign != sp)) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if ((infc && !uc.sign) || (infp && !sp)) return infinity<N>(false);
  if ((infc && uc.sign) || (infp && sp)) return infinity<N>(true);
  if (zc && zp && uc.sign == sp) return zero<N>(uc.sign);
  Real p;
  if (!zp) p = mul_real(ua, ub);
  return round_sum<N>(real_of(uc), p, env);
}

uint64_t muladd_h(uint64_t addend, uint64_t a, uint64_t b, Env& env) {
  const Unpacked uc = unpack<32>(addend, env), ua = unpack<16>(a, env), ub = unpack<16>(b, env);
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  const bool z1 = ua.type == Type::kZero, z2 = ub.type == Type::kZero;
  // FPProcessNaNs3H: as FPProcessNaNs3, a half-precision NaN converted to single.
  auto half_nan = [&](const Unpacked& u, uint64_t x) {
    Env quiet{env.fpcr & ~kFpcrDN};
    const uint64_t q = process_nan<16>(u.type, x, quiet);
    env.flags |= quiet.flags;
    if (env.dn()) return default_nan<32>();
    return (u.sign ? sign_bit<32>() : 0) | default_nan<32>() | ((q & 0x1ffu) << 13);
  };
  uint64_t out = 0;
  bool done = true;
  if (uc.type == Type::kSNaN) out = process_nan<32>(uc.type, addend, env);
  else if (ua.type == Type::kSNaN) out = half_nan(ua, a);
  else if (ub.type == Type::kSNaN) out = half_nan(ub, b);
  else if (uc.type == Type::kQNaN) out = process_nan<32>(uc.type, addend, env);
  else if (ua.type == Type::kQNaN) out = half_nan(ua, a);
  else if (ub.type == Type::kQNaN) out = half_nan(ub, b);
  else done = false;
  if (uc.type == Type::kQNaN && ((inf1 && z2) || (z1 && inf2))) {
    env.flags |= kIOC;
    return default_nan<32>();
  }
  if (done) return out;
  const bool infc = uc.type == Type::kInf, zc = uc.type == Type::kZero;
  const bool sp = ua.sign != ub.sign, infp = inf1 || inf2, zp = z1 || z2;
  if ((inf1 && z2) || (z1 && inf2) || (infc && infp && uc.sign != sp)) {
    env.flags |= kIOC;
    return default_nan<32>();
  }
  if ((infc && !uc.sign) || (infp && !sp)) return infinity<32>(false);
  if ((infc && uc.sign) || (infp && sp)) return infinity<32>(true);
  if (zc && zp && uc.sign == sp) return zero<32>(uc.sign);
  Real p;
  if (!zp) p = mul_real(ua, ub);
  return round_sum<32>(real_of(uc), p, env);
}

namespace {
// FPMax/FPMin after NaN processing: the chosen operand, re-encoded through FPRound.
template <int N, bool kMax>
uint64_t maxmin(uint64_t a, uint64_t b, Env& env) {
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  auto value_cmp = [](const Unpacked& x, const Unpacked& y) {  // -1, 0, 1 for x <, ==, > y
    auto key = [](const Unpacked& u) -> int {
      if (u.type == Type::kInf) return u.sign ? -2 : 2;
      if (u.type == Type::kZero) return 0;
      return u.sign ? -1 : 1;
    };
    const int kx = key(x), ky = key(y);
    if (kx != ky || kx == 0 || kx == 2 || kx == -2) return kx < ky ? -1 : kx > ky ? 1 : 0;
    // Same sign, both finite nonzero: compare magnitudes.
    const int tx = x.exp + msb(x.mant), ty = y.exp + msb(y.mant);
    int mag;
    if (tx != ty) {
      mag = tx < ty ? -1 : 1;
    } else {
      const int lo = x.exp < y.exp ? x.exp : y.exp;
      const u128 mx = static_cast<u128>(x.mant) << (x.exp - lo), my = static_cast<u128>(y.mant) << (y.exp - lo);
      mag = mx < my ? -1 : mx > my ? 1 : 0;
    }
    return kx < 0 ? -mag : mag;
  };
  const int c = value_cmp(ua, ub);
  const Unpacked& pick = (kMax ? c > 0 : c < 0) ? ua : ub;
  if (pick.type == Type::kInf) return infinity<N>(pick.sign);
  if (pick.type == Type::kZero) return zero<N>(kMax ? (ua.sign && ub.sign) : (ua.sign || ub.sign));
  return fp_round<N>(real_of(pick), env.rounding(), env);
}

template <int N>
Type raw_type(uint64_t x) {
  if (!is_nan<N>(x)) return Type::kNormal;
  return ((x >> (Fmt<N>::F - 1)) & 1) ? Type::kQNaN : Type::kSNaN;
}
}  // namespace

template <int N> uint64_t max(uint64_t a, uint64_t b, Env& env) { return maxmin<N, true>(a, b, env); }
template <int N> uint64_t min(uint64_t a, uint64_t b, Env& env) { return maxmin<N, false>(a, b, env); }

// FPMaxNum/FPMinNum: one quiet NaN against a number is treated as the infinity that loses.
template <int N>
uint64_t maxnum(uint64_t a, uint64_t b, Env& env) {
  const Type ta = raw_type<N>(a), tb = raw_type<N>(b);
  if (ta == Type::kQNaN && tb != Type::kQNaN) a = infinity<N>(true);
  else if (ta != Type::kQNaN && tb == Type::kQNaN) b = infinity<N>(true);
  return max<N>(a, b, env);
}
template <int N>
uint64_t minnum(uint64_t a, uint64_t b, Env& env) {
  const Type ta = raw_type<N>(a), tb = raw_type<N>(b);
  if (ta == Type::kQNaN && tb != Type::kQNaN) a = infinity<N>(false);
  else if (ta != Type::kQNaN && tb == Type::kQNaN) b = infinity<N>(false);
  return min<N>(a, b, env);
}

namespace {
// FPRecipStepFused / FPRSqrtStepFused: c + (-a) * b with one rounding, halved for RSqrt.
template <int N, bool kRsqrt>
uint64_t step(uint64_t a, uint64_t b, Env& env) {
  a = fneg<N>(a);
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  uint64_t out;
  if (process_nans<N>(ua, ub, a, b, out, env)) return out;
  const bool inf1 = ua.type == Type::kInf, inf2 = ub.type == Type::kInf;
  const bool z1 = ua.type == Type::kZero, z2 = ub.type == Type::kZero;
  constexpr int F = Fmt<N>::F;
  constexpr uint64_t kBias = (uint64_t{1} << (Fmt<N>::E - 1)) - 1;
  if ((inf1 && z2) || (z1 && inf2)) {
    // FPTwo('0') or FPOnePointFive('0').
    return kRsqrt ? ((kBias << F) | (uint64_t{1} << (F - 1))) : ((kBias + 1) << F);
  }
  if (inf1 || inf2) return infinity<N>(ua.sign != ub.sign);
  Real c{false, 0, kRsqrt ? 3u : 2u, false};
  Real p;
  if (!z1 && !z2) p = mul_real(ua, ub);
  Real s = add_real(c, p);
  if (s.is_zero()) return zero_by_rounding<N>(env);
  if (kRsqrt) s.exp -= 1;
  return fp_round<N>(s, env.rounding(), env);
}
}  // namespace

template <int N> uint64_t recip_step(uint64_t a, uint64_t b, Env& env) { return step<N, false>(a, b, env); }
template <int N> uint64_t rsqrt_step(uint64_t a, uint64_t b, Env& env) { return step<N, true>(a, b, env); }

template <int N>
uint32_t compare(uint64_t a, uint64_t b, bool signal_nans, Env& env) {
  const Unpacked ua = unpack<N>(a, env), ub = unpack<N>(b, env);
  if (is_nan_type(ua.type) || is_nan_type(ub.type)) {
    if (ua.type == Type::kSNaN || ub.type == Type::kSNaN || signal_nans) env.flags |= kIOC;
    return 0b0011;
  }
  if (ua.type == Type::kZero && ub.type == Type::kZero) return 0b0110;
  if (ua.type != Type::kZero && ub.type != Type::kZero && ua.sign == ub.sign && ua.type == ub.type &&
      ua.exp == ub.exp && ua.mant == ub.mant)
    return 0b0110;
  const auto key = [](const Unpacked& u) -> int {
    if (u.type == Type::kInf) return u.sign ? -2 : 2;
    if (u.type == Type::kZero) return 0;
    return u.sign ? -1 : 1;
  };
  const int ka = key(ua), kb = key(ub);
  bool greater;
  if (ka != kb) {
    greater = ka > kb;
  } else {
    const int ta = ua.exp + msb(ua.mant), tb = ub.exp + msb(ub.mant);
    bool mag_greater;
    if (ta != tb) {
      mag_greater = ta > tb;
    } else {
      const int lo = ua.exp < ub.exp ? ua.exp : ub.exp;
      mag_greater = (static_cast<u128>(ua.mant) << (ua.exp - lo)) > (static_cast<u128>(ub.mant) << (ub.exp - lo));
    }
    greater = ka > 0 ? mag_greater : !mag_greater;
  }
  return greater ? 0b0010 : 0b1000;
}

template <int N>
bool compare_eq(uint64_t a, uint64_t b, Env& env) {
  return compare<N>(a, b, false, env) == 0b0110;
}
template <int N>
bool compare_ge(uint64_t a, uint64_t b, Env& env) {
  const uint32_t r = compare<N>(a, b, true, env);
  return r == 0b0110 || r == 0b0010;
}
template <int N>
bool compare_gt(uint64_t a, uint64_t b, Env& env) {
  return compare<N>(a, b, true, env) == 0b0010;
}

template <int N>
uint64_t round_int(uint64_t a, Rounding r, bool exact, Env& env) {
  const Unpacked u = unpack<N>(a, env);
  if (is_nan_type(u.type)) return process_nan<N>(u.type, a, env);
  if (u.type == Type::kInf) return infinity<N>(u.sign);
  if (u.type == Type::kZero) return zero<N>(u.sign);
  if (u.exp >= 0) return a;  // already an integer
  const Split s = split(u.mant, -u.exp, false);
  u128 i = s.i;
  if (rounds_up(r, u.sign, static_cast<uint64_t>(i) & 1, s.f)) ++i;
  uint64_t result;
  if (i == 0) result = zero<N>(u.sign);
  else result = fp_round<N>(Real{u.sign, 0, i, false}, Rounding::kZero, env);
  if (s.f != kExact && exact) env.flags |= kIXC;
  return result;
}

template <int N>
uint64_t round_int_n(uint64_t a, Rounding r, int intsize, Env& env) {
  constexpr int F = Fmt<N>::F;
  constexpr int kBias = (1 << (Fmt<N>::E - 1)) - 1;
  // -2^(intsize-1) as an N-bit value.
  const uint64_t most_negative = sign_bit<N>() | (static_cast<uint64_t>(kBias + intsize - 1) << F);
  const Unpacked u = unpack<N>(a, env);
  if (is_nan_type(u.type) || u.type == Type::kInf) {
    env.flags |= kIOC;
    return most_negative;
  }
  if (u.type == Type::kZero) return zero<N>(u.sign);
  const Split s = split(u.mant, -u.exp, false);
  u128 i = s.i;
  if (rounds_up(r, u.sign, static_cast<uint64_t>(i) & 1, s.f)) ++i;
  const u128 limit = u128{1} << (intsize - 1);
  if (u.exp > 64 || (u.sign ? i > limit : i >= limit)) {
    env.flags |= kIOC;  // no IXC for the overflow case
    return most_negative;
  }
  const uint64_t result = i == 0 ? zero<N>(u.sign) : fp_round<N>(Real{u.sign, 0, i, false}, Rounding::kZero, env);
  if (s.f != kExact) env.flags |= kIXC;
  return result;
}

template <int N>
uint64_t to_fixed(uint64_t a, int fbits, bool is_unsigned, Rounding r, int m, Env& env) {
  const Unpacked u = unpack<N>(a, env);
  const uint64_t umax = m == 64 ? ~uint64_t{0} : (uint64_t{1} << m) - 1;
  const uint64_t smax = umax >> 1;
  auto saturate = [&](bool neg) -> uint64_t {
    env.flags |= kIOC;
    if (is_unsigned) return neg ? 0 : umax;
    return neg ? ((smax + 1) & umax) : smax;
  };
  if (is_nan_type(u.type)) {
    env.flags |= kIOC;
    return 0;
  }
  if (u.type == Type::kInf) return saturate(u.sign);
  if (u.type == Type::kZero) return 0;
  const int e = u.exp + fbits;
  if (e + msb(u.mant) >= 66) return saturate(u.sign);
  const Split s = split(u.mant, -e, false);
  u128 i = s.i;
  if (rounds_up(r, u.sign, static_cast<uint64_t>(i) & 1, s.f)) ++i;
  uint64_t result;
  if (u.sign) {
    if (i == 0) {
      result = 0;
    } else if (is_unsigned || i > static_cast<u128>(smax) + 1) {
      return saturate(true);
    } else {
      result = (0 - static_cast<uint64_t>(i)) & umax;
    }
  } else {
    if (i > (is_unsigned ? umax : smax)) return saturate(false);
    result = static_cast<uint64_t>(i);
  }
  if (s.f != kExact) env.flags |= kIXC;
  return result;
}

template <int N>
uint64_t from_fixed(uint64_t x, int fbits, bool is_unsigned, Rounding r, int m, Env& env) {
  if (m < 64) x &= (uint64_t{1} << m) - 1;
  bool neg = false;
  if (!is_unsigned && ((x >> (m - 1)) & 1)) {
    neg = true;
    x = (0 - x) & (m == 64 ? ~uint64_t{0} : (uint64_t{1} << m) - 1);
  }
  if (x == 0) return zero<N>(false);
  return fp_round<N>(Real{neg, -fbits, x, false}, r, env);
}

uint32_t to_fixed_js(uint64_t a, bool* z, Env& env) {
  const Unpacked u = unpack<64>(a, env);
  *z = true;
  if (is_nan_type(u.type) || u.type == Type::kInf) {
    env.flags |= kIOC;
    *z = false;
    return 0;
  }
  if (u.type == Type::kZero) {
    if (u.sign) *z = false;  // -0.0 is not exactly representable as an integer
    return 0;
  }
  // Truncate toward zero, then take the low 32 bits of the (signed) integer.
  const Split s = split(u.mant, -u.exp, false);
  uint64_t low;
  bool overflow;
  if (u.exp >= 64) {
    low = 0;
    overflow = true;
  } else {
    const u128 i = u.exp > 0 ? static_cast<u128>(u.mant) << u.exp : s.i;
    low = static_cast<uint64_t>(i);
    overflow = u.sign ? i > (u128{1} << 31) : i > 0x7fffffffu;
    if (u.sign) low = 0 - low;
  }
  if (overflow) {
    env.flags |= kIOC;
    *z = false;
  } else if (s.f != kExact) {
    env.flags |= kIXC;
    *z = false;
  }
  return static_cast<uint32_t>(low);
}

template <int To, int From>
uint64_t convert(uint64_t a, Rounding r, Env& env) {
  const Unpacked u = unpack_cv<From>(a, env);
  const bool alt_hp = To == 16 && env.ahp();
  if (is_nan_type(u.type)) {
    uint64_t result;
    if (alt_hp) {
      result = zero<To>(u.sign);
    } else if (env.dn()) {
      result = default_nan<To>();
    } else {
      // FPConvertNaN: the sign, a set quiet bit, and the payload below the quiet bit,
      // aligned at the top of the destination's fraction.
      constexpr int Ff = Fmt<From>::F, Ft = Fmt<To>::F;
      const uint64_t payload = a & ((uint64_t{1} << (Ff - 1)) - 1);
      const uint64_t p = Ft >= Ff ? payload << (Ft - Ff) : payload >> (Ff - Ft);
      result = (u.sign ? sign_bit<To>() : 0) | default_nan<To>() | p;
    }
    if (u.type == Type::kSNaN || alt_hp) env.flags |= kIOC;
    return result;
  }
  if (u.type == Type::kInf) {
    if (alt_hp) {
      env.flags |= kIOC;
      return (u.sign ? sign_bit<To>() : 0) | (sign_bit<To>() - 1);
    }
    return infinity<To>(u.sign);
  }
  if (u.type == Type::kZero) return zero<To>(u.sign);
  return fp_round_cv<To>(real_of(u), r, env);
}

unsigned recip_estimate_table(unsigned a) {
  a = a * 2 + 1;  // the midpoint of the input interval
  const unsigned b = (1u << 19) / a;
  return (b + 1) / 2;  // rounded to nearest
}

unsigned rsqrt_estimate_table(unsigned a) {
  if (a < 256) {
    a = a * 2 + 1;  // 0.25 .. 0.5 in units of 1/512, midpoint
  } else {
    a = (a >> 1) << 1;
    a = (a + 1) * 2;  // 0.5 .. 1.0 in units of 1/256, midpoint
  }
  unsigned b = 512;
  while (static_cast<uint64_t>(a) * (b + 1) * (b + 1) < (uint64_t{1} << 28)) ++b;
  return (b + 1) / 2;
}

template <int N>
uint64_t recip_estimate(uint64_t a, Env& env) {
  constexpr int E = Fmt<N>::E, F = Fmt<N>::F;
  const Unpacked u = unpack<N>(a, env);
  if (is_nan_type(u.type)) return process_nan<N>(u.type, a, env);
  if (u.type == Type::kInf) return zero<N>(u.sign);
  if (u.type == Type::kZero) {
    env.flags |= kDZC;
    return infinity<N>(u.sign);
  }
  const int top = u.exp + msb(u.mant);  // 2^top <= |a| < 2^(top+1)
  constexpr int kTinyExp = N == 16 ? -16 : N == 32 ? -128 : -1024;
  constexpr int kBigExp = N == 16 ? 14 : N == 32 ? 126 : 1022;
  if (top < kTinyExp) {
    bool to_inf;
    switch (env.rounding()) {
      case Rounding::kTieEven: to_inf = true; break;
      case Rounding::kPosInf: to_inf = !u.sign; break;
      case Rounding::kNegInf: to_inf = u.sign; break;
      default: to_inf = false; break;
    }
    env.flags |= kOFC | kIXC;
    return to_inf ? infinity<N>(u.sign) : max_normal<N>(u.sign);
  }
  if ((N == 16 ? env.fz16() : env.fz()) && top >= kBigExp) {
    env.flags |= kUFC;
    return zero<N>(u.sign);
  }
  // A 52-bit fraction and the biased exponent, as the pseudocode scales every format.
  uint64_t fraction = (a & ((uint64_t{1} << F) - 1)) << (52 - F);
  int exp = static_cast<int>((a >> F) & ((1u << E) - 1));
  if (exp == 0) {
    if (((fraction >> 51) & 1) == 0) {
      exp = -1;
      fraction = (fraction << 2) & ((uint64_t{1} << 52) - 1);
    } else {
      fraction = (fraction << 1) & ((uint64_t{1} << 52) - 1);
    }
  }
  const unsigned scaled = 256u | static_cast<unsigned>(fraction >> 44);
  int result_exp = (N == 16 ? 29 : N == 32 ? 253 : 2045) - exp;
  const unsigned est = recip_estimate_table(scaled);
  fraction = static_cast<uint64_t>(est & 0xffu) << 44;
  if (result_exp == 0) {
    fraction = (uint64_t{1} << 51) | (fraction >> 1);
  } else if (result_exp == -1) {
    fraction = (uint64_t{1} << 50) | (fraction >> 2);
    result_exp = 0;
  }
  return (u.sign ? sign_bit<N>() : 0) | (static_cast<uint64_t>(result_exp) << F) | (fraction >> (52 - F));
}

template <int N>
uint64_t rsqrt_estimate(uint64_t a, Env& env) {
  constexpr int E = Fmt<N>::E, F = Fmt<N>::F;
  const Unpacked u = unpack<N>(a, env);
  if (is_nan_type(u.type)) return process_nan<N>(u.type, a, env);
  if (u.type == Type::kZero) {
    env.flags |= kDZC;
    return infinity<N>(u.sign);
  }
  if (u.sign) {
    env.flags |= kIOC;
    return default_nan<N>();
  }
  if (u.type == Type::kInf) return zero<N>(false);
  uint64_t fraction = (a & ((uint64_t{1} << F) - 1)) << (52 - F);
  int exp = static_cast<int>((a >> F) & ((1u << E) - 1));
  constexpr uint64_t kFracMask = (uint64_t{1} << 52) - 1;
  if (exp == 0) {
    while (((fraction >> 51) & 1) == 0) {
      fraction = (fraction << 1) & kFracMask;
      --exp;
    }
    fraction = (fraction << 1) & kFracMask;
  }
  const unsigned scaled = (exp & 1) == 0 ? (256u | static_cast<unsigned>(fraction >> 44))
                                         : (128u | static_cast<unsigned>(fraction >> 45));
  const int base = N == 16 ? 44 : N == 32 ? 380 : 3068;
  // The pseudocode's DIV rounds toward minus infinity; base - exp is positive here.
  const int result_exp = (base - exp) / 2;
  const unsigned est = rsqrt_estimate_table(scaled);
  return (static_cast<uint64_t>(result_exp) << F) | (static_cast<uint64_t>(est & 0xffu) << (F - 8));
}

template <int N>
uint64_t recpx(uint64_t a, Env& env) {
  constexpr int E = Fmt<N>::E, F = Fmt<N>::F;
  const Unpacked u = unpack<N>(a, env);
  if (is_nan_type(u.type)) return process_nan<N>(u.type, a, env);
  const uint64_t emask = (uint64_t{1} << E) - 1;
  const uint64_t exp = (a >> F) & emask;
  const uint64_t sgn = u.sign ? sign_bit<N>() : 0;
  if (exp == 0) return sgn | ((emask - 1) << F);
  return sgn | ((~exp & emask) << F);
}

uint32_t urecpe(uint32_t a) {
  if ((a >> 31) == 0) return 0xffffffffu;
  return (recip_estimate_table(a >> 23) & 0x1ffu) << 23;
}
uint32_t ursqrte(uint32_t a) {
  if ((a >> 30) == 0) return 0xffffffffu;
  return (rsqrt_estimate_table(a >> 23) & 0x1ffu) << 23;
}

#define PMUEMU_FP_INST(N)                                                                  \
  template Unpacked unpack<N>(uint64_t, Env&);                                             \
  template Unpacked unpack_cv<N>(uint64_t, Env&);                                          \
  template uint64_t add<N>(uint64_t, uint64_t, Env&);                                      \
  template uint64_t sub<N>(uint64_t, uint64_t, Env&);                                      \
  template uint64_t mul<N>(uint64_t, uint64_t, Env&);                                      \
  template uint64_t mulx<N>(uint64_t, uint64_t, Env&);                                     \
  template uint64_t div<N>(uint64_t, uint64_t, Env&);                                      \
  template uint64_t sqrt<N>(uint64_t, Env&);                                               \
  template uint64_t muladd<N>(uint64_t, uint64_t, uint64_t, Env&);                         \
  template uint64_t max<N>(uint64_t, uint64_t, Env&);                                      \
  template uint64_t min<N>(uint64_t, uint64_t, Env&);                                      \
  template uint64_t maxnum<N>(uint64_t, uint64_t, Env&);                                   \
  template uint64_t minnum<N>(uint64_t, uint64_t, Env&);                                   \
  template uint64_t recip_step<N>(uint64_t, uint64_t, Env&);                               \
  template uint64_t rsqrt_step<N>(uint64_t, uint64_t, Env&);                               \
  template uint32_t compare<N>(uint64_t, uint64_t, bool, Env&);                            \
  template bool compare_eq<N>(uint64_t, uint64_t, Env&);                                   \
  template bool compare_ge<N>(uint64_t, uint64_t, Env&);                                   \
  template bool compare_gt<N>(uint64_t, uint64_t, Env&);                                   \
  template uint64_t round_int<N>(uint64_t, Rounding, bool, Env&);                          \
  template uint64_t round_int_n<N>(uint64_t, Rounding, int, Env&);                         \
  template uint64_t to_fixed<N>(uint64_t, int, bool, Rounding, int, Env&);                 \
  template uint64_t from_fixed<N>(uint64_t, int, bool, Rounding, int, Env&);               \
  template uint64_t recip_estimate<N>(uint64_t, Env&);                                     \
  template uint64_t rsqrt_estimate<N>(uint64_t, Env&);                                     \
  template uint64_t recpx<N>(uint64_t, Env&);
PMUEMU_FP_INST(16)
PMUEMU_FP_INST(32)
PMUEMU_FP_INST(64)
#undef PMUEMU_FP_INST
template uint64_t convert<16, 32>(uint64_t, Rounding, Env&);
template uint64_t convert<16, 64>(uint64_t, Rounding, Env&);
template uint64_t convert<32, 16>(uint64_t, Rounding, Env&);
template uint64_t convert<32, 64>(uint64_t, Rounding, Env&);
template uint64_t convert<64, 16>(uint64_t, Rounding, Env&);
template uint64_t convert<64, 32>(uint64_t, Rounding, Env&);

}  // namespace cpu::fp
