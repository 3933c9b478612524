// Block chaining and threaded dispatch (cpu/core.cpp): a block jumps straight into the
// block it linked last time, so these tests pin what the links must never change: the
// instruction budget is exact, running K instructions at once equals K single steps, and
// code written while its block is linked (even the block doing the write) is what runs next.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "cpu_fixture.h"

using test::CpuFixture;
using test::Insn;

namespace {

// Two blocks that loop through each other: l..b.ne (4 instructions), then m..tbz or
// m..b l (2 or 4): linked taken, fall-through and direct branches.
void load_two_block_loop(CpuFixture& f) {
  f.load({{0x8b030000, "add x0, x0, x3"},
          {0xcac01c84, "eor x4, x4, x0, ror #7"},
          {0xf1000463, "subs x3, x3, #1"},
          {0x54000041, "b.ne #0x40001014"},
          {0xd45e0000, "hlt #0xf000"},
          {0x910004a5, "add x5, x5, #1"},
          {0x3607ff45, "tbz w5, #0, #0x40001000"},
          {0xd1000c84, "sub x4, x4, #3"},
          {0x17fffff8, "b #0x40001000"}});
}

struct Snapshot {
  uint64_t x0, x3, x4, x5, pc;
  bool operator==(const Snapshot&) const = default;
};
Snapshot snap(CpuFixture& f) { return {f.x(0), f.x(3), f.x(4), f.x(5), f.core.state().pc}; }

// Records, at every trapped access, the EL1 instructions the core says have retired.
struct CountingPort : cpu::SysRegPort {
  std::vector<uint64_t> seen;
  Result handle(cpu::Core& core, uint32_t, uint64_t& value) override {
    seen.push_back(core.retired_by_el()[1]);
    value = 0;
    return Result::kDone;
  }
};

// A: add; subs; b.ne B; hlt.  B: add; mrs (trapped); b A. The k-th access comes after
// 6k + 4 instructions, whether the blocks chain or run one instruction at a time.
std::vector<uint64_t> port_counts_in_loop(CpuFixture& f, uint64_t chunk) {
  CountingPort port;
  f.core.set_sysreg_port(&port);
  f.load({{0x8b030000, "add x0, x0, x3"},
          {0xf1000463, "subs x3, x3, #1"},
          {0x54000041, "b.ne #0x40001010"},
          {0xd45e0000, "hlt #0xf000"},
          {0x910004a5, "add x5, x5, #1"},
          {0xd53b9c06, "mrs x6, pmcr_el0"},
          {0x17fffffa, "b #0x40001000"}});
  f.x(3) = 100;
  const uint64_t before = f.core.retired_by_el()[1];
  cpu::RunResult r{};
  for (uint64_t total = 0; total < 100000; total += r.retired) {
    r = f.step(chunk);
    if (r.reason != cpu::ExitReason::kBudget) break;
  }
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kSemihosting));
  for (uint64_t& n : port.seen) n -= before;
  f.core.set_sysreg_port(nullptr);
  return port.seen;
}

// Runs in chunks of `chunk` instructions until a run ends for a reason other than the
// budget, or `limit` instructions have retired: the last run's result, with retired = the
// instructions of all of them.
cpu::RunResult run_in_chunks(CpuFixture& f, uint64_t chunk, uint64_t limit) {
  uint64_t retired = 0;
  cpu::RunResult r{};
  while (retired < limit) {
    r = f.step(chunk);
    retired += r.retired;
    if (r.reason != cpu::ExitReason::kBudget) break;
  }
  r.retired = retired;
  return r;
}

// The two-block loop run to its end in one run, then again in runs of `chunk`
// instructions: the same instructions retired and the same final state.
void runs_of_equal_one_run(CpuFixture& f, uint64_t chunk) {
  load_two_block_loop(f);
  f.x(3) = 3000;
  const cpu::RunResult whole = f.step(100000);  // ends at the HLT after 3000 iterations
  const Snapshot once = snap(f);
  BOOST_TEST(static_cast<int>(whole.reason) == static_cast<int>(cpu::ExitReason::kSemihosting));

  load_two_block_loop(f);
  f.x(0) = f.x(4) = f.x(5) = 0;
  f.x(3) = 3000;
  BOOST_TEST(run_in_chunks(f, chunk, whole.retired + 1).retired == whole.retired);
  BOOST_TEST((snap(f) == once));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(block_chain, CpuFixture)

BOOST_AUTO_TEST_CASE(port_access_counts_the_chained_blocks_before_it) {
  std::vector<uint64_t> want;
  for (uint64_t k = 0; k < 99; ++k) want.push_back(6 * k + 4);
  for (const uint64_t chunk : {100000ull, 1ull, 5ull}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) { BOOST_TEST(port_counts_in_loop(*this, chunk) == want, boost::test_tools::per_element()); }
  }
}

BOOST_AUTO_TEST_CASE(budget_is_exact_across_linked_blocks) {
  // Budgets below, at and far above the 1024-instruction cap on one chain.
  for (const uint64_t budget : {1ull, 3ull, 4ull, 5ull, 7ull, 1023ull, 1024ull, 1025ull, 5000ull}) {
    BOOST_TEST_CONTEXT("budget " << budget) {
      load_two_block_loop(*this);
      x(0) = x(4) = x(5) = 0;
      x(3) = 100000;
      const cpu::RunResult r = step(budget);
      BOOST_TEST(r.retired == budget);
      BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kBudget));
    }
  }
}

BOOST_AUTO_TEST_CASE(one_run_equals_single_steps) { runs_of_equal_one_run(*this, 1); }

// a: add x0, x0, #1; b b.  b (at kCode + b_offset): 100 iterations; at the 50th it rewrites
// a's ADD to add #16 with a store. Returns x0 at the end (850 when the new code ran). Runs
// `chunk` instructions per run() call: 1 runs every instruction from its block's step
// layout (Block::steps), the store that drops its own block included.
uint64_t rewrite_in_loop(CpuFixture& f, uint64_t b_offset, Insn branch_to_b, Insn skip_store, Insn loop_back,
                         uint64_t chunk = 100000) {
  f.place(CpuFixture::kCode, {{0x91000400, "add x0, x0, #1"}, branch_to_b});
  f.place(CpuFixture::kCode + b_offset, {{0xf1000463, "subs x3, x3, #1"},
                                         {0xf100c87f, "cmp x3, #0x32"},
                                         skip_store,
                                         {0xb9000022, "str w2, [x1]"},
                                         loop_back,
                                         {0xd45e0000, "hlt #0xf000"}});
  f.core.state().pc = CpuFixture::kCode;
  f.x(1) = CpuFixture::kCode;
  f.x(2) = 0x91004000;  // add x0, x0, #16
  f.x(3) = 100;
  cpu::RunResult r{};
  for (uint64_t total = 0; total < 100000; total += r.retired) {
    r = f.step(chunk);
    if (r.reason != cpu::ExitReason::kBudget) break;
  }
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kSemihosting));
  return f.x(0);
}

BOOST_AUTO_TEST_CASE(store_into_a_linked_block_runs_the_new_code) {
  // b on the next page: only a's page is invalidated, so the blocks of b that linked to
  // the old a survive and must not jump into it any more.
  BOOST_TEST(rewrite_in_loop(*this, 0x1000, {0x140003ff, "b #0x40002000"}, {0x54000041, "b.ne #0x40002010"},
                             {0xb5ff7f83, "cbnz x3, #0x40001000"}) == 50u * 1 + 50u * 16);
}

BOOST_AUTO_TEST_CASE(store_into_the_executing_page) {
  // Both parts on one page: the store invalidates the block doing it.
  BOOST_TEST(rewrite_in_loop(*this, 0x800, {0x140001ff, "b #0x40001800"}, {0x54000041, "b.ne #0x40001810"},
                             {0xb5ffbf83, "cbnz x3, #0x40001000"}) == 50u * 1 + 50u * 16);
}

BOOST_AUTO_TEST_CASE(store_into_the_executing_page_one_instruction_at_a_time) {
  // Every instruction runs alone from the step layout, whose stop slots end each one's
  // threaded dispatch; the store drops the block it runs from, which must stay usable.
  BOOST_TEST(rewrite_in_loop(*this, 0x800, {0x140001ff, "b #0x40001800"}, {0x54000041, "b.ne #0x40001810"},
                             {0xb5ffbf83, "cbnz x3, #0x40001000"}, 1) == 50u * 1 + 50u * 16);
}

BOOST_AUTO_TEST_CASE(budgets_ending_inside_blocks_equal_one_run) {
  // Chunks of 3 end inside the 4-instruction block and start the next run in its middle:
  // the step layout and the chained path take turns on the same blocks.
  runs_of_equal_one_run(*this, 3);
}

BOOST_AUTO_TEST_CASE(host_write_between_runs_drops_the_links) {
  load_two_block_loop(*this);
  x(3) = 1000000;
  step(4000);  // the loop's blocks are built and linked
  // The VMM (or a snapshot restore) rewrites the loop's first instruction between runs.
  const uint32_t sub = 0xcb030000;  // sub x0, x0, x3
  mem.write(kCode, &sub, 4);
  x(0) = 0;
  x(3) = 10;
  core.state().pc = kCode;
  step(100000);
  BOOST_TEST(x(0) == static_cast<uint64_t>(-(10 + 9 + 8 + 7 + 6 + 5 + 4 + 3 + 2 + 1)));
}

// Every iteration stores into the page its own block came from, so every iteration drops
// that block and decodes it anew. Dropped blocks stay allocated while links may lead to
// them, but the run loop frees them as they pile up, within the one long run: the count
// stays near the floor (64), not at the 10000 drops.
BOOST_AUTO_TEST_CASE(a_loop_writing_its_own_code_page_keeps_few_dropped_blocks) {
  load({{0x91000400, "add x0, x0, #1"},
        {0xb9000022, "str w2, [x1]"},
        {0xf1000463, "subs x3, x3, #1"},
        {0x54ffffa1, "b.ne #0x40001000"},
        {0xd45e0000, "hlt #0xf000"}});
  x(0) = 0;
  x(1) = kCode + 0x800;  // data on the code's page
  x(3) = 10000;
  const cpu::RunResult r = step(1000000);
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kSemihosting));
  BOOST_TEST(x(0) == 10000u);
  BOOST_TEST(core.dropped_block_count() <= 100u);
}

// CMP right before a closing B.cond runs with it while the block chains
// (interp::fuse_with_b_cond), and alone from the step layout. Both must take the branch
// exactly when ConditionHolds() of the compare's NZCV (Arm ARM C1.2.4, computed here
// independently) says so, and leave NZCV as the compare set it.
namespace {
struct Nzcv {
  bool n, z, c, v;
};
Nzcv subs_flags(uint64_t a, uint64_t b, bool is64) {
  const unsigned bits = is64 ? 64 : 32;
  const uint64_t mask = is64 ? ~uint64_t{0} : 0xffffffffull;
  a &= mask;
  b &= mask;
  const uint64_t r = (a - b) & mask;
  const bool sa = (a >> (bits - 1)) & 1, sb = (b >> (bits - 1)) & 1, sr = (r >> (bits - 1)) & 1;
  return {sr, r == 0, a >= b, sa != sb && sr != sa};
}
bool holds(unsigned cond, Nzcv f) {
  bool r = false;
  switch (cond >> 1) {
    case 0: r = f.z; break;
    case 1: r = f.c; break;
    case 2: r = f.n; break;
    case 3: r = f.v; break;
    case 4: r = f.c && !f.z; break;
    case 5: r = f.n == f.v; break;
    case 6: r = f.n == f.v && !f.z; break;
    default: return true;
  }
  return (cond & 1) ? !r : r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(compare_and_branch_run_together_as_apart) {
  static constexpr const char* kCond[] = {"eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc",
                                          "hi", "ls", "ge", "lt", "gt", "le", "al"};
  struct Form {
    uint32_t word;
    const char* text;
    bool is64, imm;
  };
  // cmp x1, x2 / cmp w1, w2 / cmp x1, #5 / cmp w1, #5
  static constexpr Form kForms[] = {{0xeb02003f, "cmp x1, x2", true, false},
                                    {0x6b02003f, "cmp w1, w2", false, false},
                                    {0xf100143f, "cmp x1, #5", true, true},
                                    {0x7100143f, "cmp w1, #5", false, true}};
  const uint64_t values[] = {0, 1, 5, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000004,
                             0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff};
  for (const Form& form : kForms) {
    for (unsigned cond = 0; cond < 15; ++cond) {
      const std::string branch = std::string("b.") + kCond[cond] + " #0x40001010";
      load({{form.word, form.text},
            {0x54000060 | cond, branch.c_str()},
            {0xd2800020, "movz x0, #0x1"},
            {0xd45e0000, "hlt #0xf000"},
            {0xd2800040, "movz x0, #0x2"},
            {0xd45e0000, "hlt #0xf000"}});
      for (const uint64_t a : values) {
        for (const uint64_t b : values) {
          if (form.imm && b != values[0]) continue;  // the immediate is fixed: one pass
          const uint64_t rhs = form.imm ? 5 : b;
          const Nzcv f = subs_flags(a, rhs, form.is64);
          const uint64_t want_x0 = holds(cond, f) ? 2 : 1;
          const uint32_t want_nzcv = (f.n << 3) | (f.z << 2) | (f.c << 1) | uint32_t{f.v};
          for (const uint64_t chunk : {100ull, 1ull}) {
            BOOST_TEST_CONTEXT(form.text << " / " << branch << " a=" << a << " b=" << rhs << " chunk " << chunk) {
              core.state().pc = kCode;
              x(0) = 0;
              x(1) = a;
              x(2) = b;
              set_nzcv(0);
              const cpu::RunResult r = run_in_chunks(*this, chunk, 100);
              BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kSemihosting));
              BOOST_TEST(r.retired == 4u);
              BOOST_TEST(x(0) == want_x0);
              BOOST_TEST(nzcv() == want_nzcv);
            }
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(compare_and_select_run_together_as_apart) {
  // As above for CMP followed by a conditional select (interp::fuse_with_csel).
  static constexpr const char* kCond[] = {"eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc",
                                          "hi", "ls", "ge", "lt", "gt", "le", "al"};
  static constexpr const char* kOp[] = {"csel", "csinc", "csinv", "csneg"};
  // op <d>0, <d>3, <d>4, cond: sf, op (bit 30), o2 (bit 10)
  const uint64_t values[] = {0, 1, 5, 0x7fffffff, 0x80000000, 0xffffffff, 0x8000000000000000, 0xffffffffffffffff};
  const uint64_t x3 = 0x123456789abcdef0, x4 = 0x0fedcba987654321;
  for (const bool cmp64 : {false, true}) {
    for (const bool sel64 : {false, true}) {
      for (unsigned op = 0; op < 4; ++op) {
        for (unsigned cond = 0; cond < 15; ++cond) {
          const char r = sel64 ? 'x' : 'w';
          const std::string text = std::string(kOp[op]) + " " + r + "0, " + r + "3, " + r + "4, " + kCond[cond];
          const uint32_t word = (sel64 ? 0x80000000u : 0) | ((op >> 1) << 30) | 0x1a840060u | (cond << 12) | ((op & 1) << 10);
          load({{cmp64 ? 0xeb02003fu : 0x6b02003fu, cmp64 ? "cmp x1, x2" : "cmp w1, w2"},
                {word, text.c_str()},
                {0xd45e0000, "hlt #0xf000"}});
          for (const uint64_t a : values) {
            for (const uint64_t b : values) {
              const Nzcv f = subs_flags(a, b, cmp64);
              uint64_t want = x3;
              if (!holds(cond, f)) {
                want = x4;
                if (op == 1) want = x4 + 1;
                if (op == 2) want = ~x4;
                if (op == 3) want = 0 - x4;
              }
              if (!sel64) want = static_cast<uint32_t>(want);
              for (const uint64_t chunk : {100ull, 1ull}) {
                BOOST_TEST_CONTEXT(text << " after cmp a=" << a << " b=" << b << " chunk " << chunk) {
                  core.state().pc = kCode;
                  x(0) = 0;
                  x(1) = a;
                  x(2) = b;
                  x(3) = x3;
                  x(4) = x4;
                  set_nzcv(0);
                  BOOST_TEST(run_in_chunks(*this, chunk, 100).retired == 3u);
                  BOOST_TEST(x(0) == want);
                  BOOST_TEST(nzcv() == ((f.n << 3) | (f.z << 2) | (f.c << 1) | uint32_t{f.v}));
                }
              }
            }
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(load_and_zero_branch_run_together_as_apart) {
  // LDR followed by the CBZ/CBNZ of the loaded register (interp::fuse_load_with_cbz):
  // chained, one instruction at a time, and with the load on its slow path (the last
  // bytes of RAM, beyond the inline bounds check).
  const uint64_t values[] = {0, 1, 0x80000000, 0x100000000, 0xffffffff00000000, 0xffffffffffffffff};
  for (const bool ld64 : {false, true}) {
    for (const bool br64 : {false, true}) {
      for (const bool nonzero : {false, true}) {
        const std::string br = std::string(nonzero ? "cbnz " : "cbz ") + (br64 ? "x0" : "w0") + ", #0x40001010";
        const uint32_t br_word = (br64 ? 0x80000000u : 0) | (nonzero ? 0x35000060u : 0x34000060u);
        load({{ld64 ? 0xf9400420u : 0xb9400820u, ld64 ? "ldr x0, [x1, #8]" : "ldr w0, [x1, #8]"},
              {br_word, br.c_str()},
              {0xd2800025, "movz x5, #0x1"},
              {0xd45e0000, "hlt #0xf000"},
              {0xd2800045, "movz x5, #0x2"},
              {0xd45e0000, "hlt #0xf000"}});
        for (const uint64_t base : {kData, kBase + kSize - 16}) {
          for (const uint64_t v : values) {
            write64(base + 8, v);
            const uint64_t loaded = ld64 ? v : static_cast<uint32_t>(v);
            const bool zero = (br64 ? loaded : static_cast<uint32_t>(loaded)) == 0;
            const uint64_t want_x5 = zero != nonzero ? 2 : 1;
            for (const uint64_t chunk : {100ull, 1ull}) {
              BOOST_TEST_CONTEXT((ld64 ? "ldr x0" : "ldr w0") << " / " << br << " base " << std::hex << base << " v " << v
                                                             << " chunk " << std::dec << chunk) {
                core.state().pc = kCode;
                x(0) = 0x5555;
                x(1) = base;
                x(5) = 0;
                BOOST_TEST(run_in_chunks(*this, chunk, 100).retired == 4u);
                BOOST_TEST(x(0) == loaded);
                BOOST_TEST(x(5) == want_x5);
              }
            }
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
