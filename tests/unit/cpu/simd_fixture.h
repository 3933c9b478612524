// Advanced SIMD instruction tests: a core with FP/SIMD enabled (CPACR_EL1.FPEN = 0b11), and
// a harness that runs one instruction many times on random and boundary register contents
// and compares Vd and FPSR.QC with a reference model written in the test from the Arm
// pseudocode. The references do the pseudocode's integer arithmetic on unbounded integers
// (boost::multiprecision::cpp_int), so they share nothing with the emulator's Wide<T>.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "cpu_fixture.h"

namespace test {

using Big = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<>, boost::multiprecision::et_off>;

template <class T> inline constexpr unsigned kE = sizeof(T) * 8;

// Int(x, unsigned) of a lane.
template <class T> Big zx(T v) { return Big(static_cast<uint64_t>(v)); }
template <class T> Big sx(T v) {
  const uint64_t u = static_cast<uint64_t>(v);
  Big b(u);
  if ((u >> (kE<T> - 1)) & 1) b -= Big(1) << kE<T>;
  return b;
}
// v modulo 2^esize as a lane.
template <class T> T trunc(Big v) {
  const Big m = Big(1) << kE<T>;
  v %= m;
  if (v < 0) v += m;
  return static_cast<T>(static_cast<uint64_t>(v));
}
// SignedSatQ / UnsignedSatQ.
template <class T> T ssat(const Big& v, bool& q) {
  const Big hi = (Big(1) << (kE<T> - 1)) - 1, lo = -(Big(1) << (kE<T> - 1));
  if (v > hi) { q = true; return trunc<T>(hi); }
  if (v < lo) { q = true; return trunc<T>(lo); }
  return trunc<T>(v);
}
template <class T> T usat(const Big& v, bool& q) {
  const Big hi = (Big(1) << kE<T>) - 1;
  if (v > hi) { q = true; return trunc<T>(hi); }
  if (v < 0) { q = true; return 0; }
  return trunc<T>(v);
}
// floor(v / 2^n), the pseudocode's >> on integers.
inline Big fshr(const Big& v, unsigned n) {
  const Big d = Big(1) << n;
  if (v >= 0) return v / d;
  return -((-v + d - 1) / d);
}

// One 128-bit register image from lanes.
template <class T> cpu::VReg lanes(std::initializer_list<T> l) {
  cpu::VReg r;
  unsigned k = 0;
  for (T x : l) r.set_lane<T>(k++, x);
  return r;
}

class SimdFixture : public CpuFixture {
 public:
  SimdFixture() : rng_(20261206) { core.set_sysreg(cpu::SysSlot::CPACR_EL1, uint64_t{3} << 20); }

  cpu::VReg& v(unsigned n) { return core.state().v[n]; }
  bool qc() const { return (core.sysreg(cpu::SysSlot::FPSR) >> 27) & 1; }

  // Runs ins with V1 = a, V2 = b, V0 = d (and V3 = e), FPSR cleared; returns V0.
  cpu::VReg run(const Insn& ins, const cpu::VReg& a, const cpu::VReg& b, const cpu::VReg& d, const cpu::VReg& e = {}) {
    v(0) = d;
    v(1) = a;
    v(2) = b;
    v(3) = e;
    core.set_sysreg(cpu::SysSlot::FPSR, 0);
    load({ins});
    step(1);
    BOOST_REQUIRE_MESSAGE(core.state().pc == kCode + 4, "instruction did not retire: " << ins.text);
    return v(0);
  }

  // A lane value: boundary values of its width half of the time, random bits otherwise.
  template <class T> T pick() {
    static const uint64_t kEdges[] = {0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x7fff, 0x8000, 0xffff,
                                      0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffff,
                                      0x8000000000000000, 0xffffffffffffffff};
    std::uniform_int_distribution<int> coin(0, 3);
    const int c = coin(rng_);
    uint64_t x = rng_() | (static_cast<uint64_t>(rng_()) << 32);
    if (c == 0) x = kEdges[rng_() % (sizeof kEdges / sizeof kEdges[0])];
    else if (c == 1) x = ~kEdges[rng_() % (sizeof kEdges / sizeof kEdges[0])];
    else if (c == 2) x = (rng_() & 1) ? (uint64_t{1} << (kE<T> - 1)) - (rng_() % 4) : (rng_() % 4);
    return static_cast<T>(x);
  }
  // A shift-count lane for SSHL and friends: SInt(<7:0>) around 0, the element size and
  // the extremes, with random upper bits (which the instruction ignores).
  template <class T> T pick_shift() {
    const int e = static_cast<int>(kE<T>);
    static const int kExtra[] = {-128, 127, -1, 0, 1};
    int s;
    if (rng_() % 4 == 0) s = kExtra[rng_() % 5];
    else s = static_cast<int>(rng_() % (2 * e + 7)) - (e + 3);
    uint64_t hi = rng_() | (static_cast<uint64_t>(rng_()) << 32);
    return static_cast<T>((hi << 8) | static_cast<uint8_t>(static_cast<int8_t>(s)));
  }
  template <class T> cpu::VReg random_reg() {
    cpu::VReg r;
    for (unsigned k = 0; k < 16 / sizeof(T); ++k) r.set_lane<T>(k, pick<T>());
    return r;
  }
  template <class T> cpu::VReg shift_reg() {
    cpu::VReg r;
    for (unsigned k = 0; k < 16 / sizeof(T); ++k) r.set_lane<T>(k, pick_shift<T>());
    return r;
  }

  // Register-level reference: (a = Vn, b = Vm, d = old Vd, q) -> new Vd.
  using RegRef = std::function<cpu::VReg(const cpu::VReg&, const cpu::VReg&, const cpu::VReg&, bool&)>;
  using Gen = std::function<cpu::VReg()>;

  void check(const Insn& ins, const RegRef& ref, Gen ga, Gen gb = {}, Gen gd = {}, int trials = 200) {
    if (!gb) gb = ga;
    if (!gd) gd = ga;
    for (int t = 0; t < trials; ++t) {
      const cpu::VReg a = ga(), b = gb(), d = gd();
      bool q = false;
      const cpu::VReg want = ref(a, b, d, q);
      const cpu::VReg got = run(ins, a, b, d);
      BOOST_TEST_CONTEXT(ins.text << " a=" << hex(a) << " b=" << hex(b) << " d=" << hex(d)) {
        BOOST_TEST(hex(got) == hex(want));
        BOOST_TEST(qc() == q);
      }
      if (hex(got) != hex(want)) return;  // one report per instruction is enough
    }
  }

  // Elementwise lane reference over `bytes` bytes of the register (8, 16 or a scalar's
  // size); the rest of Vd becomes zero.
  template <class T>
  void lanewise(const Insn& ins, unsigned bytes, std::function<T(T a, T b, T d, bool& q)> f, Gen gb = {}) {
    auto ref = [=](const cpu::VReg& a, const cpu::VReg& b, const cpu::VReg& d, bool& q) {
      cpu::VReg r;
      for (unsigned k = 0; k < bytes / sizeof(T); ++k) r.set_lane<T>(k, f(a.lane<T>(k), b.lane<T>(k), d.lane<T>(k), q));
      return r;
    };
    check(ins, ref, [this] { return random_reg<T>(); }, gb);
  }

  static std::string hex(const cpu::VReg& r) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(r.d[1]),
                  static_cast<unsigned long long>(r.d[0]));
    return buf;
  }

  std::mt19937 rng_;
};

}  // namespace test
