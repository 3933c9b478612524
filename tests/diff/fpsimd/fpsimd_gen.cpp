// Generator of random SIMD&FP guest programs for the differential test against QEMU
// (tests/diff/fpsimd/run_fpsimd drives it; docs/reliability.md describes the method).
//
// A program is a sequence of segments. Each segment loads a fresh random state (V0-V31,
// X0-X18, FPCR, FPSR, NZCV) from a data record, runs a few random instructions drawn from
// the SIMD&FP rows the decoder implements (the A64X rows of cpu/decoder/a64.inc, whatever
// has landed), and then either hashes the whole observable state (hash mode: one 64-bit
// line per segment) or, in full mode, dumps it after every instruction so the first
// differing instruction can be found. Everything derives from (seed, segment index), so
// one segment regenerates on its own, byte for byte.
//
//   fpsimd_gen rows [--integer]
//       lists the rows it draws from (name, mask, value, mnemonics)
//   fpsimd_gen program --seed S --segments N --per-segment K --out DIR/NAME
//                      [--first-segment F] [--full] [--integer] [--exclude ROW,ROW...] [--only ROW,ROW...]
//       --integer draws from the integer data-processing rows (ALU, multiply, divide)
//       instead of the SIMD&FP ones; the state loaded and compared is the same
//       writes NAME.S (the program) and NAME.bin (its data records), and NAME.list (one line
//       per random instruction: segment, index, word, row)
//
// Exit status: 0 success, 2 usage error (one message naming the bad argument).
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/decoder/decoder.h"
#include "cpu/decoder/roles.h"
#include "cpu/timing/timing_model.h"

namespace {

using cpu::decoder::InsnId;
namespace roles = cpu::decoder::roles;

// Per decoder row: SIMD&FP (A64X) or integer, its timing class and its register roles.
struct RowInfo {
  bool present = false;
  bool simd_fp = false;
  cpu::timing::OpClass cls{};
  roles::Roles roles = 0;
};
constexpr auto kRowInfo = [] {
  using namespace roles;
  using enum cpu::timing::OpClass;
  std::array<RowInfo, static_cast<size_t>(InsnId::kCount) + 1> t{};
#define A64(name, mnem, pattern, c, rl, ...) t[static_cast<size_t>(InsnId::name)] = RowInfo{true, false, c, rl};
#define A64X(name, mnem, pattern, c, rl, ...) t[static_cast<size_t>(InsnId::name)] = RowInfo{true, true, c, rl};
#include "cpu/decoder/a64.inc"
#undef A64X
#undef A64
  return t;
}();

// Integer data processing: what an ALU, multiplier or divider does with registers and
// NZCV alone (no memory, no branch, no system register).
constexpr bool integer_data_processing(const RowInfo& r) {
  using enum cpu::timing::OpClass;
  return !r.simd_fp && (r.cls == kAlu || r.cls == kMul || r.cls == kDiv) && (r.roles & roles::kAmMask) == 0;
}

// X0..X18 carry random test values and may be written by the instructions; X19..X30 and SP
// belong to the harness (their values are the same on both emulators, so reading them is
// fine).
constexpr unsigned kTestedX = 19;
// Record layout shared with the harness assembly below: fpcr, nzcv, fpsr, exception count,
// x0..x18, ESR of the last exception, v0..v31 (704 bytes, 88 words). The dump after each
// instruction has the same layout.
constexpr unsigned kRecordBytes = 704;
constexpr unsigned kRecordWords = kRecordBytes / 8;
constexpr unsigned kVOffset = 192;

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "fpsimd_gen: %s\n", msg.c_str());
  std::exit(2);
}

// Rows eligible for random sequences: SIMD&FP data processing or, with --integer, integer
// data processing (loads and stores address memory and branches leave the sequence, which a
// random sequence cannot do safely).
std::vector<InsnId> eligible_rows(bool integer, const std::set<std::string>& exclude,
                                  const std::set<std::string>& only) {
  std::vector<InsnId> out;
  for (const auto& row : cpu::decoder::rows()) {
    const auto& x = kRowInfo[static_cast<size_t>(row.id)];
    if (!x.present) continue;
    if (integer ? !integer_data_processing(x) : (!x.simd_fp || (x.roles & roles::kAmMask) != 0)) continue;
    const std::string name(row.name);
    if (exclude.count(name)) continue;
    if (!only.empty() && !only.count(name)) continue;
    out.push_back(row.id);
  }
  return out;
}

// ---------------------------------------------------------------- random values
// The hard cases of each format, as bit patterns: signed zeros, infinities, quiet and
// signalling NaNs with payloads, the smallest and largest subnormals and normals, one and
// values around it, halfway cases for rounding to integer, and the integer limits.
uint64_t pick(std::mt19937_64& rng, std::initializer_list<uint64_t> v) {
  return *(v.begin() + rng() % v.size());
}

uint64_t hard_f64(std::mt19937_64& rng) {
  const uint64_t s = (rng() & 1) << 63;
  switch (rng() % 16) {
    case 0: return s;                                         // +-0
    case 1: return s | 0x7ff0000000000000ull;                 // +-Inf
    case 2: return s | 0x7ff8000000000000ull | (rng() & 0x7ffffffffffffull);  // qNaN
    case 3: return s | 0x7ff0000000000000ull | ((rng() & 0x7ffffffffffffull) | 1);  // sNaN
    case 4: return s | pick(rng, {1ull, 0x000fffffffffffffull, 0x0008000000000000ull}) ;  // subnormal
    case 5: return s | (rng() & 0x000fffffffffffffull);       // random subnormal
    case 6: return s | pick(rng, {0x0010000000000000ull, 0x7fefffffffffffffull, 0x0010000000000001ull});
    case 7: return s | pick(rng, {0x3ff0000000000000ull, 0x3fe0000000000000ull, 0x3ff8000000000000ull,
                                  0x4004000000000000ull, 0x3ff0000000000001ull, 0x3fefffffffffffffull});
    // halfway and near-integer values: 0.5, 1.5, 2.5, -2.5 and 2^52 + 0.5 neighbours
    case 8: return s | pick(rng, {0x4330000000000001ull, 0x432fffffffffffffull, 0x4000000000000000ull,
                                  0x400c000000000000ull, 0x3fe0000000000001ull});
    // integer limits as doubles: 2^63, 2^63 - 1024, 2^64, 2^31, 2^32, 2^31 - 0.5, 2^31 + 0.5
    case 9: return s | pick(rng, {0x43e0000000000000ull, 0x43dfffffffffffffull, 0x43f0000000000000ull,
                                  0x41e0000000000000ull, 0x41f0000000000000ull, 0x41dfffffffe00000ull,
                                  0x41e0000000100000ull, 0x41efffffffe00000ull});
    case 10: case 11: {  // random normal of modest exponent (results stay finite and exact-ish)
      const uint64_t e = 1023 - 40 + rng() % 80;
      return s | (e << 52) | (rng() & 0x000fffffffffffffull);
    }
    default: return rng();
  }
}

uint32_t hard_f32(std::mt19937_64& rng) {
  const uint32_t s = static_cast<uint32_t>(rng() & 1) << 31;
  const uint32_t r = static_cast<uint32_t>(rng());
  switch (rng() % 16) {
    case 0: return s;
    case 1: return s | 0x7f800000u;
    case 2: return s | 0x7fc00000u | (r & 0x3fffffu);
    case 3: return s | 0x7f800000u | ((r & 0x3fffffu) | 1u);
    case 4: return s | static_cast<uint32_t>(pick(rng, {1u, 0x007fffffu, 0x00400000u}));
    case 5: return s | (r & 0x007fffffu);
    case 6: return s | static_cast<uint32_t>(pick(rng, {0x00800000u, 0x7f7fffffu, 0x00800001u}));
    case 7: return s | static_cast<uint32_t>(pick(rng, {0x3f800000u, 0x3f000000u, 0x3fc00000u, 0x40200000u,
                                                        0x3f800001u, 0x3f7fffffu}));
    case 8: return s | static_cast<uint32_t>(pick(rng, {0x4b000001u, 0x4affffffu, 0x4b7fffffu, 0x3f000001u}));
    case 9: return s | static_cast<uint32_t>(pick(rng, {0x4f000000u, 0x4effffffu, 0x5f000000u, 0x5effffffu,
                                                        0x4f800000u, 0x477fe000u, 0x47800000u}));
    case 10: case 11: {
      const uint32_t e = 127 - 20 + static_cast<uint32_t>(rng() % 40);
      return s | (e << 23) | (r & 0x7fffffu);
    }
    default: return r;
  }
}

uint16_t hard_f16(std::mt19937_64& rng) {
  const uint16_t s = static_cast<uint16_t>((rng() & 1) << 15);
  const uint16_t r = static_cast<uint16_t>(rng());
  switch (rng() % 14) {
    case 0: return s;
    case 1: return s | 0x7c00u;
    case 2: return s | 0x7e00u | (r & 0x1ffu);
    case 3: return s | 0x7c00u | ((r & 0x1ffu) | 1u);
    case 4: return s | static_cast<uint16_t>(pick(rng, {1u, 0x03ffu, 0x0200u}));
    case 5: return s | (r & 0x03ffu);
    case 6: return s | static_cast<uint16_t>(pick(rng, {0x0400u, 0x7bffu, 0x0401u}));
    case 7: return s | static_cast<uint16_t>(pick(rng, {0x3c00u, 0x3800u, 0x3e00u, 0x4100u, 0x3c01u, 0x3bffu}));
    case 8: return s | static_cast<uint16_t>(pick(rng, {0x6400u, 0x63ffu, 0x6401u, 0x7800u}));
    case 9: case 10: {
      const uint16_t e = static_cast<uint16_t>(15 - 6 + rng() % 12);
      return s | static_cast<uint16_t>(e << 10) | (r & 0x3ffu);
    }
    default: return r;
  }
}

uint64_t hard_int(std::mt19937_64& rng, unsigned bits) {
  const uint64_t mask = bits == 64 ? ~0ull : ((1ull << bits) - 1);
  const uint64_t top = 1ull << (bits - 1);
  switch (rng() % 10) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;             // -1
    case 3: return top;              // INT_MIN
    case 4: return top - 1;          // INT_MAX
    case 5: return top + 1;
    case 6: return rng() & 0xff & mask;
    default: return rng() & mask;
  }
}

// One 128-bit register: lanes of one random element type, each lane a hard case of that type.
std::array<uint64_t, 2> random_v(std::mt19937_64& rng) {
  std::array<uint64_t, 2> v{};
  unsigned char* b = reinterpret_cast<unsigned char*>(v.data());
  switch (rng() % 8) {
    case 0: case 1:
      for (unsigned i = 0; i < 2; ++i) v[i] = hard_f64(rng);
      break;
    case 2: case 3:
      for (unsigned i = 0; i < 4; ++i) {
        const uint32_t x = hard_f32(rng);
        std::memcpy(b + 4 * i, &x, 4);
      }
      break;
    case 4:
      for (unsigned i = 0; i < 8; ++i) {
        const uint16_t x = hard_f16(rng);
        std::memcpy(b + 2 * i, &x, 2);
      }
      break;
    case 5: {
      const unsigned bits = 8u << (rng() % 4);
      for (unsigned i = 0; i < 128 / bits; ++i) {
        const uint64_t x = hard_int(rng, bits);
        std::memcpy(b + i * bits / 8, &x, bits / 8);
      }
      break;
    }
    default:
      v = {rng(), rng()};
  }
  return v;
}

uint64_t random_x(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return hard_int(rng, 64);
    case 1: return hard_int(rng, 32);
    case 2: return hard_f64(rng);
    case 3: return hard_f32(rng);
    case 4: return hard_f16(rng);
    // Small shift-like and index-like values.
    default: return rng() % 80;
  }
}

// FPCR for a mode index 0..63: RMode (bits 23:22) x FZ (24) x DN (25) x FZ16 (19) x AHP (26).
uint64_t fpcr_of_mode(unsigned m) {
  return (uint64_t{m & 3u} << 22) | (uint64_t{(m >> 2) & 1u} << 24) | (uint64_t{(m >> 3) & 1u} << 25) |
         (uint64_t{(m >> 4) & 1u} << 19) | (uint64_t{(m >> 5) & 1u} << 26);
}

// --------------------------------------------------------------- instructions
// Encodings where the reference (QEMU 7.2, Debian 12) is known to deviate from the Arm ARM;
// the generator does not draw them, so a mismatch always means pmuemu. Each entry says
// what QEMU does wrong; docs/reliability.md lists them.
struct Deviation {
  uint32_t mask, value;
  const char* what;
};
constexpr Deviation kQemuDeviations[] = {
    // FCVTZS Hd, Hn, #fbits (scalar, fixed point, half precision): QEMU writes the result
    // sign-extended to 32 bits; the Arm ARM writes a 16-bit element and clears the rest.
    {0xfff0fc00u, 0x5f10fc00u, "FCVTZS (scalar, fixed-point) half precision"},
};

bool qemu_deviates(uint32_t w) {
  for (const auto& d : kQemuDeviations)
    if ((w & d.mask) == d.value) return true;
  return false;
}

// A random encoding of `id` that the decoder accepts as that row, with any X destination in
// the tested registers. Returns 0 if 200 tries found none.
uint32_t random_word(std::mt19937_64& rng, InsnId id) {
  const auto& row = cpu::decoder::rows()[static_cast<size_t>(id)];
  const auto& x = kRowInfo[static_cast<size_t>(id)];
  for (int t = 0; t < 200; ++t) {
    uint32_t w = (static_cast<uint32_t>(rng()) & ~row.mask) | row.value;
    // A general-register destination of a SIMD&FP or integer data-processing instruction is
    // always Rd, bits [4:0] (never 31 here, so never SP: the harness owns it).
    if (x.roles & roles::kXdW) w = (w & ~31u) | static_cast<uint32_t>(rng() % kTestedX);
    if ((w & row.mask) != row.value || qemu_deviates(w)) continue;
    cpu::DecodedInst d;
    if (cpu::decoder::decode(w, 0x40080000, d) == id) return w;
  }
  return 0;
}

struct Options {
  uint64_t seed = 1;
  unsigned segments = 100;
  unsigned per_segment = 10;
  unsigned first_segment = 0;
  bool full = false;
  bool integer = false;
  std::string out;
  std::set<std::string> exclude, only;
};

std::set<std::string> split_names(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.insert(item);
  return out;
}

uint64_t parse_u64(const char* flag, const char* v) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long x = std::strtoull(v, &end, 0);
  if (end == v || *end != '\0' || errno != 0) usage(std::string(flag) + " needs a number, got '" + v + "'");
  return x;
}

// The harness: entry, exception vectors that step over any exception and count it, the
// record loader, the two state savers, the hex printer and semihosting exit.
const char* kHarness = R"(// Generated by fpsimd_gen: do not edit.
    .section .text.boot, "ax"
    .global _start
_start:
    msr     spsel, #1
    ldr     x1, =__stack_top
    mov     sp, x1
    adr     x1, vectors
    msr     vbar_el1, x1
    // CPACR_EL1.FPEN = 0b11: SIMD&FP instructions do not trap at EL1 or EL0.
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    ldr     x19, =records
    ldr     x20, =dump
    ldr     x21, =results
    mov     x28, #0x01b3
    movk    x28, #0x100, lsl #32
    bl      program
    // Print every result word as 16 hex digits, one line per word in hash mode and one
    // line per record in full mode.
    ldr     x22, =results
    ldr     x23, =text
    mov     x26, #0
1:  cmp     x22, x21
    b.hs    4f
    ldr     x24, [x22], #8
    mov     x25, #60
2:  lsr     x27, x24, x25
    and     x27, x27, #15
    cmp     x27, #10
    add     x1, x27, #'0'
    add     x2, x27, #('a' - 10)
    csel    x27, x1, x2, lo
    strb    w27, [x23], #1
    subs    x25, x25, #4
    b.pl    2b
    add     x26, x26, #1
    cmp     x26, #WORDS_PER_LINE
    b.lo    3f
    mov     x26, #0
    mov     w27, #10
    strb    w27, [x23], #1
    b       1b
3:  mov     w27, #' '
    strb    w27, [x23], #1
    b       1b
4:  strb    wzr, [x23]
    mov     w0, #0x04           // SYS_WRITE0
    ldr     x1, =text
    hlt     #0xf000
    mov     w0, #0x18           // SYS_EXIT, ADP_Stopped_ApplicationExit, status 0
    ldr     x1, =exit_block
    hlt     #0xf000
5:  b       5b

// x19 -> record: fpcr, nzcv, fpsr, (exception count), x0..x18, (esr), v0..v31.
load:
    ldp     x0, x1, [x19, #0]
    msr     fpcr, x0
    msr     nzcv, x1
    ldr     x0, [x19, #16]
    msr     fpsr, x0
    ldr     x0, =exc_area
    stp     xzr, xzr, [x0]
)";

const char* kHarness2 = R"(    ldp     x0, x1, [x19, #32]
    ldp     x2, x3, [x19, #48]
    ldp     x4, x5, [x19, #64]
    ldp     x6, x7, [x19, #80]
    ldp     x8, x9, [x19, #96]
    ldp     x10, x11, [x19, #112]
    ldp     x12, x13, [x19, #128]
    ldp     x14, x15, [x19, #144]
    ldp     x16, x17, [x19, #160]
    ldr     x18, [x19, #176]
    add     x19, x19, #704
    ret

// The observable state into `dump`, same layout as a record. NZCV and FPSR first: nothing
// before them may change either.
snapshot:
    mrs     x22, nzcv
    mrs     x23, fpsr
    mrs     x24, fpcr
    stp     x24, x22, [x20, #0]
    ldr     x25, =exc_area
    ldp     x24, x26, [x25]
    stp     x23, x24, [x20, #16]
    stp     x0, x1, [x20, #32]
    stp     x2, x3, [x20, #48]
    stp     x4, x5, [x20, #64]
    stp     x6, x7, [x20, #80]
    stp     x8, x9, [x20, #96]
    stp     x10, x11, [x20, #112]
    stp     x12, x13, [x20, #128]
    stp     x14, x15, [x20, #144]
    stp     x16, x17, [x20, #160]
    stp     x18, x26, [x20, #176]
)";

// Neither saver may change NZCV (the next instruction may read it): loops count with
// SUB + CBNZ. In hash mode: FNV-style 64-bit hash of the 88 words of the snapshot, one result word.
// In full mode: the 88 words themselves.
const char* kHarness3 = R"(    ret

save_hash:
    mov     x27, x30
    bl      snapshot
    mov     x30, x27
    mov     x24, #0x2325
    movk    x24, #0x8422, lsl #16
    movk    x24, #0x9ce4, lsl #32
    movk    x24, #0xcbf2, lsl #48
    mov     x25, x20
    mov     x26, #88
1:  ldr     x27, [x25], #8
    eor     x24, x24, x27
    mul     x24, x24, x28
    eor     x24, x24, x24, lsr #29
    sub     x26, x26, #1
    cbnz    x26, 1b
    str     x24, [x21], #8
    ret

save_full:
    mov     x27, x30
    bl      snapshot
    mov     x30, x27
    mov     x25, x20
    mov     x26, #88
1:  ldr     x27, [x25], #8
    str     x27, [x21], #8
    sub     x26, x26, #1
    cbnz    x26, 1b
    ret

// Every exception: count it, keep its ESR, step over the instruction.
step_over:
    stp     x0, x1, [sp, #-16]!
    stp     x2, x3, [sp, #-16]!
    mrs     x0, elr_el1
    add     x0, x0, #4
    msr     elr_el1, x0
    ldr     x0, =exc_area
    ldr     x1, [x0]
    add     x1, x1, #1
    mrs     x2, esr_el1
    stp     x1, x2, [x0]
    ldp     x2, x3, [sp], #16
    ldp     x0, x1, [sp], #16
    eret
    .ltorg

    .section .vectors, "ax"
    .balign 2048
vectors:
    .rept 16
    .balign 128
    b       step_over
    .endr

    .section .rodata
    .balign 16
exit_block: .quad 0x20026, 0
    .bss
    .balign 16
exc_area: .space 16
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("expected a command: rows | program");
  const std::string cmd = argv[1];
  Options o;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--seed") o.seed = parse_u64("--seed", val());
    else if (a == "--segments") o.segments = static_cast<unsigned>(parse_u64("--segments", val()));
    else if (a == "--per-segment") o.per_segment = static_cast<unsigned>(parse_u64("--per-segment", val()));
    else if (a == "--first-segment") o.first_segment = static_cast<unsigned>(parse_u64("--first-segment", val()));
    else if (a == "--full") o.full = true;
    else if (a == "--integer") o.integer = true;
    else if (a == "--out") o.out = val();
    else if (a == "--exclude") o.exclude = split_names(val());
    else if (a == "--only") o.only = split_names(val());
    else usage("unknown argument '" + a + "'");
  }
  const auto rows = eligible_rows(o.integer, o.exclude, o.only);
  if (cmd == "rows") {
    for (InsnId id : rows) {
      const auto& r = cpu::decoder::rows()[static_cast<size_t>(id)];
      std::printf("%s 0x%08x 0x%08x %s\n", std::string(r.name).c_str(), r.mask, r.value,
                  std::string(r.mnemonics).c_str());
    }
    return 0;
  }
  if (cmd != "program") usage("unknown command '" + cmd + "' (rows | program)");
  if (o.out.empty()) usage("program needs --out DIR/NAME");
  if (o.per_segment == 0 || o.per_segment > 64) usage("--per-segment must be 1..64");
  if (o.segments == 0 || o.segments > 100000) usage("--segments must be 1..100000");
  if (rows.empty())
    usage(std::string("no ") + (o.integer ? "integer" : "SIMD&FP") +
          " data-processing rows to draw from (none implemented, or all excluded)");

  std::ofstream bin(o.out + ".bin", std::ios::binary), list(o.out + ".list");
  if (!bin || !list) usage("cannot write " + o.out + ".{S,bin,list}");
  std::ostringstream S;
  S << "#define WORDS_PER_LINE " << (o.full ? kRecordWords : 1) << "\n" << kHarness;
  for (unsigned v = 0; v < 32; v += 2)
    S << "    ldp     q" << v << ", q" << v + 1 << ", [x19, #" << kVOffset + 16 * v << "]\n";
  S << kHarness2;
  for (unsigned v = 0; v < 32; v += 2)
    S << "    stp     q" << v << ", q" << v + 1 << ", [x20, #" << kVOffset + 16 * v << "]\n";
  S << kHarness3;
  S << "\n    .text\n    .balign 4\nprogram:\n    str     x30, [sp, #-16]!\n";

  std::vector<unsigned char> data;
  for (unsigned seg = o.first_segment; seg < o.first_segment + o.segments; ++seg) {
    // One generator per segment, so a segment is the same however the run is split.
    std::seed_seq sq{static_cast<uint32_t>(o.seed), static_cast<uint32_t>(o.seed >> 32), seg, 0x5eedu};
    std::mt19937_64 rng(sq);
    std::array<uint64_t, kRecordWords> rec{};
    rec[0] = fpcr_of_mode(seg % 64);
    rec[1] = (rng() & 0xfull) << 28;
    // FPSR: cumulative flags IOC DZC OFC UFC IXC (bits 4:0), IDC (7) and QC (27), sometimes set.
    rec[2] = (rng() % 4 == 0) ? (rng() & 0x0800009full) : 0;
    for (unsigned r = 0; r < kTestedX; ++r) rec[4 + r] = random_x(rng);
    for (unsigned v = 0; v < 32; ++v) {
      const auto x = random_v(rng);
      rec[kVOffset / 8 + 2 * v] = x[0];
      rec[kVOffset / 8 + 2 * v + 1] = x[1];
    }
    const auto* p = reinterpret_cast<const unsigned char*>(rec.data());
    data.insert(data.end(), p, p + kRecordBytes);
    S << "    bl      load\n";
    if (o.full) S << "    bl      save_full\n";
    for (unsigned k = 0; k < o.per_segment; ++k) {
      InsnId id = rows[rng() % rows.size()];
      uint32_t w = random_word(rng, id);
      for (int t = 0; w == 0 && t < 16; ++t) w = random_word(rng, id = rows[rng() % rows.size()]);
      if (w == 0) usage("no row yields an acceptable encoding");
      const auto& row = cpu::decoder::rows()[static_cast<size_t>(id)];
      S << "    .inst   0x" << std::hex << w << std::dec << "  // " << row.name << "\n";
      char line[128];
      std::snprintf(line, sizeof line, "%u %u 0x%08x %s\n", seg, k, w, std::string(row.name).c_str());
      list << line;
      if (o.full) S << "    bl      save_full\n";
    }
    if (!o.full) S << "    bl      save_hash\n";
  }
  S << "    ldr     x30, [sp], #16\n    ret\n";
  const size_t results_words = o.full ? size_t{kRecordWords} * o.segments * (o.per_segment + 1) : o.segments;
  const std::string bin_name = o.out.substr(o.out.find_last_of('/') + 1) + ".bin";
  S << "\n    .section .rodata\n    .balign 16\nrecords:\n    .incbin \"" << bin_name << "\"\n";
  S << "\n    .bss\n    .balign 16\ndump: .space " << kRecordBytes << "\nresults: .space " << results_words * 8
    << "\ntext: .space " << results_words * 17 + 16 << "\n";
  std::ofstream final_s(o.out + ".S");
  final_s << S.str();
  bin.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!final_s || !bin || !list) usage("writing " + o.out + ".{S,bin,list} failed");
  return 0;
}
