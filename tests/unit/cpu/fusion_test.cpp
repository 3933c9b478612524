// The fused-pair table (cpu/interp/fusion.h): each rule fuses the pairs it names, in every
// form it claims (W and X loads, 32- and 64-bit compares), and leaves the forms it does not
// have alone. That the fused handlers compute what the two instructions do apart is
// block_chain_test's job.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>

#include "cpu/decoder/decoder.h"
#include "cpu/interp/fusion.h"

namespace {

using cpu::decoder::InsnId;
using cpu::interp::FusePlace;

struct Decoded {
  InsnId id;
  cpu::DecodedInst inst;
};
Decoded dec(uint32_t word, uint64_t pc) {
  Decoded d{};
  d.id = cpu::decoder::decode(word, pc, d.inst);
  return d;
}

// Fuses the pair (first at 0x1000, second at 0x1004) through the table; whether the first
// instruction's handler changed.
bool fuses(uint32_t first, uint32_t second, FusePlace place) {
  Decoded a = dec(first, 0x1000);
  const Decoded b = dec(second, 0x1004);
  const cpu::interp::FusionRule* r = cpu::interp::fusion_rule(a.id, b.id, place);
  if (r == nullptr) return false;
  const cpu::Handler before = a.inst.fn;
  const bool did = r->fuse(a.inst, b.inst, b.id);
  BOOST_TEST(did == (a.inst.fn != before), r->name);
  return did;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fusion)

BOOST_AUTO_TEST_CASE(every_rule_names_decodable_pairs) {
  BOOST_TEST(!cpu::interp::fusion_rules().empty());
  for (const auto& r : cpu::interp::fusion_rules()) {
    BOOST_TEST(!r.first.empty(), r.name);
    BOOST_TEST(!r.second.empty(), r.name);
    BOOST_TEST(r.fuse != nullptr, r.name);
  }
}

BOOST_AUTO_TEST_CASE(compare_and_branch) {
  BOOST_TEST(fuses(0xf100047f, 0x54000041, FusePlace::kBlockEnd));   // cmp x3, #1; b.ne
  BOOST_TEST(fuses(0x7100047f, 0x54000041, FusePlace::kBlockEnd));   // cmp w3, #1; b.ne
  BOOST_TEST(fuses(0xeb02003f, 0x54000041, FusePlace::kBlockEnd));   // cmp x1, x2; b.ne
  BOOST_TEST(!fuses(0xeb02083f, 0x54000041, FusePlace::kBlockEnd));  // cmp x1, x2, lsl #2: no fused form
  BOOST_TEST(!fuses(0xf100047f, 0x54000041, FusePlace::kAnywhere));  // only where the B.cond ends the block
}

BOOST_AUTO_TEST_CASE(compare_and_select) {
  BOOST_TEST(fuses(0xeb02003f, 0x9a830020, FusePlace::kAnywhere));   // cmp x1, x2; csel x0, x1, x3, eq
  BOOST_TEST(fuses(0x7100047f, 0x1a9f17e0, FusePlace::kAnywhere));   // cmp w3, #1; cset w0, eq
  BOOST_TEST(!fuses(0xf100047f, 0x9a830020, FusePlace::kBlockEnd));
}

BOOST_AUTO_TEST_CASE(load_and_zero_branch_in_both_widths) {
  BOOST_TEST(fuses(0xf9400420, 0xb4000060, FusePlace::kBlockEnd));   // ldr x0, [x1, #8]; cbz x0
  BOOST_TEST(fuses(0xb9400820, 0x35000060, FusePlace::kBlockEnd));   // ldr w0, [x1, #8]; cbnz w0
  BOOST_TEST(fuses(0xf85f8020, 0xb5000060, FusePlace::kBlockEnd));   // ldur x0, [x1, #-8]; cbnz x0
  BOOST_TEST(!fuses(0xf9400420, 0xb4000061, FusePlace::kBlockEnd));  // cbz x1: not the loaded register
  BOOST_TEST(!fuses(0x39400420, 0x34000060, FusePlace::kBlockEnd));  // ldrb w0: no fused form
}

BOOST_AUTO_TEST_SUITE_END()
