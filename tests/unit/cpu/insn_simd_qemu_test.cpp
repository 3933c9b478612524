// Advanced SIMD integer and Crypto instructions against QEMU (qemu-system-aarch64 -cpu max):
// one bare-metal program runs every (instruction, register contents) case on QEMU and
// writes V0, FPSR and X0 after each through semihosting; the same cases run on pmuemu and
// must give the same bytes. A fixed list of instructions from every group, each on
// sixteen random and boundary register images; the random differential harness is
// elsewhere. QEMU missing is a failure that says how to install it.
#include <array>
#include <cstdio>
#include <fstream>

#include "simd_fixture.h"

namespace {

// Instructions reading V0-V3 (V0 also as the destination), X1, writing V0 or X0.
constexpr uint32_t kWords[] = {
    0x4e220c20, 0x6e620c20, 0x4ea22c20, 0x6ee22c20, 0x5ee20c20, 0x7e222c20,  // sqadd uqadd sqsub uqsub (vector, scalar)
    0x0e220420, 0x6e621420, 0x4e223420, 0x6ea23420, 0x4ee23c20, 0x0ea28c20,  // shadd urhadd cmgt cmhi cmge cmtst
    0x4e224420, 0x6ea25420, 0x4e224c20, 0x4e625c20, 0x6ee25c20, 0x5ee24c20,  // sshl srshl sqshl sqrshl uqrshl
    0x6e227c20, 0x4e629c20, 0x4ea29420, 0x6e229c20, 0x4e62b420, 0x6ea2b420,  // uaba mul mla pmul sqdmulh sqrdmulh
    0x6e428420, 0x6e828c20, 0x7e428420, 0x4e22bc20, 0x2e22a420, 0x5ef1b820,  // sqrdmlah/sh addp umaxp addp(scalar)
    0x6e621c20, 0x6ea21c20, 0x2ee21c20, 0x4e829420, 0x2e829420, 0x4fa2e820,  // bsl bit bif sdot udot sdot(elem)
    0x4e200820, 0x6e600820, 0x4e202820, 0x6ea06820, 0x4e203820, 0x6ea03820,  // rev64 rev32 saddlp uadalp suqadd usqadd
    0x4e604820, 0x4e205820, 0x2e605820, 0x4e207820, 0x6ea07820, 0x6ee09820,  // cls cnt rbit sqabs sqneg cmle #0
    0x4ea12820, 0x0e614820, 0x6e214820, 0x2ea12820, 0x5e214820, 0x6ea13820,  // xtn2 sqxtn uqxtn2 sqxtun sqxtn(scalar) shll2
    0x4e31b820, 0x4e303820, 0x6eb03820, 0x0e30a820, 0x6eb1a820,              // addv saddlv uaddlv smaxv uminv
    0x4e1f0420, 0x5e160420, 0x0e020c20, 0x4e1c2c20, 0x0e1e3c20, 0x6e0c6420,  // dup(elem) mov(scalar) dup(gen) smov umov ins
    0x0f00d640, 0x6f02c6c0, 0x4f043400, 0x6f07b7e0, 0x0f06f400, 0x2f05e4a0,  // movi mvni orr bic fmov movi d
    0x4e023820, 0x0e025820, 0x4e426820, 0x6e022820, 0x0e032020, 0x4e025020,  // zip1 uzp2 trn2 ext tbl tbx
    0x4f0d0420, 0x7f400420, 0x6f202420, 0x5f403420, 0x6f0d4420, 0x7f515420,  // sshr ushr srshr srsra sri sli
    0x6f136420, 0x5f297420, 0x4f1f8c20, 0x6f0d9c20, 0x6f398c20, 0x5f109c20,  // sqshlu sqshl rshrn2 uqrshrn2 sqrshrun2 sqrshrn
    0x0f0fa420, 0x4f08a420,                                                  // sshll sxtl2
    0x6ea20020, 0x6e223020, 0x6ea24020, 0x6e226020, 0x0e625020, 0x6e62a020,  // uaddl2 usubw2 raddhn2 rsubhn2 sabal umlsl2
    0x0e62d020, 0x4ea29020, 0x0e22e020, 0x0ee2e020, 0x4ee2e020, 0x5ea29020,  // sqdmull sqdmlal2 pmull pmull(1q) pmull2 sqdmlal(scalar)
    0x4f728820, 0x4f52d820, 0x6f82d820, 0x6fa22820, 0x0f523020, 0x5fa27020,  // by element: mul sqrdmulh sqrdmlah umlal2 sqdmlal sqdmlsl
    0x4e284820, 0x4e285820, 0x4e286820, 0x4e287820,                          // aese aesd aesmc aesimc
    0x5e020020, 0x5e021020, 0x5e022020, 0x5e023020, 0x5e280820, 0x5e281820,  // sha1c sha1p sha1m sha1su0 sha1h sha1su1
    0x5e024020, 0x5e025020, 0x5e282820, 0x5e026020,                          // sha256h sha256h2 sha256su0 sha256su1
};
constexpr unsigned kPerWord = 16;

constexpr uint32_t movz16(unsigned rd, uint32_t imm) { return 0xd2a00000u | (imm << 5) | rd; }

// The program: code at kQCode, inputs (64 bytes a case: V0-V3; X1 = the low half of V3) at
// kQIn, outputs (32 bytes a case: V0, FPSR, X0) at kQOut, semihosting blocks at kQParam
// (above the device tree QEMU puts at the start of RAM).
constexpr uint64_t kQCode = 0x41000000, kQIn = 0x41040000, kQOut = 0x41200000, kQParam = 0x41300000;

std::vector<uint32_t> program(size_t ncases, const std::vector<uint32_t>& insn_of_case) {
  std::vector<uint32_t> p = {0xd2a00600, 0xd5181040, 0xd5033fdf,  // CPACR_EL1.FPEN = 0b11; ISB
                             movz16(20, kQIn >> 16), movz16(21, kQOut >> 16)};
  for (size_t c = 0; c < ncases; ++c) {
    const uint32_t body[] = {0xd51b443f,  // msr fpsr, xzr
                             0xf9401a81,  // ldr x1, [x20, #48]
                             0xad400680,  // ldp q0, q1, [x20]
                             0xad410e82,  // ldp q2, q3, [x20, #32]
                             0x91010294,  // add x20, x20, #64
                             0xd2800000,  // movz x0, #0
                             insn_of_case[c],
                             0x3d8002a0,  // str q0, [x21]
                             0xd53b4429,  // mrs x9, fpsr
                             0xa90102a9,  // stp x9, x0, [x21, #16]
                             0x910082b5};  // add x21, x21, #32
    p.insert(p.end(), std::begin(body), std::end(body));
  }
  const uint32_t len = static_cast<uint32_t>(ncases * 32);
  const uint32_t tail[] = {
      movz16(1, kQParam >> 16),
      0xd28e8742, 0xf2a00e82, 0xf9002022,  // ":tt" at [x1, #64]
      0x91010024, 0xf9000024, 0xd2800082, 0xf9000422, 0xd2800062, 0xf9000822,  // SYS_OPEN {name, "w", 3}
      0x52800020, 0xd45e0000,              // w0 = SYS_OPEN; hlt #0xf000
      0xf9000020, movz16(2, kQOut >> 16), 0xf9000422,  // SYS_WRITE {handle, kOut, len}
      0xd2a00003u | ((len >> 16) << 5), 0xf2800003u | ((len & 0xffff) << 5),  // movz x3, len<31:16>, lsl 16; movk x3, len<15:0>
      0xf9000823, 0x528000a0, 0xd45e0000,
      0xd28004c2, 0xf2a00042, 0xf9001022, 0xf900143f, 0x91008021,  // SYS_EXIT {ADP_Stopped_ApplicationExit, 0}
      0x52800300, 0xd45e0000};
  p.insert(p.end(), std::begin(tail), std::end(tail));
  return p;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(simd_against_qemu, test::SimdFixture)

BOOST_AUTO_TEST_CASE(fixed_cases_match_qemu) {
  std::vector<uint32_t> insn_of_case;
  std::vector<std::array<cpu::VReg, 4>> inputs;
  for (uint32_t w : kWords) {
    for (unsigned k = 0; k < kPerWord; ++k) {
      std::array<cpu::VReg, 4> in;
      for (unsigned r = 0; r < 4; ++r) {
        switch ((k + r) % 4) {
          case 0: in[r] = random_reg<uint8_t>(); break;
          case 1: in[r] = random_reg<uint16_t>(); break;
          case 2: in[r] = random_reg<uint32_t>(); break;
          default: in[r] = random_reg<uint64_t>(); break;
        }
      }
      inputs.push_back(in);
      insn_of_case.push_back(w);
    }
  }
  const size_t n = inputs.size();
  const auto code = program(n, insn_of_case);
  BOOST_REQUIRE(code.size() * 4 <= kQIn - kQCode);
  std::vector<uint8_t> image(kQIn - kQCode + 64 * n);
  std::memcpy(image.data(), code.data(), code.size() * 4);
  for (size_t c = 0; c < n; ++c)
    for (unsigned r = 0; r < 4; ++r) std::memcpy(image.data() + (kQIn - kQCode) + 64 * c + 16 * r, inputs[c][r].d.data(), 16);
  const std::string bin = std::string(PMUEMU_BINARY_DIR) + "/simd_qemu_cases.bin";
  {
    std::ofstream f(bin, std::ios::binary);
    f.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  }
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(kQCode));
  const std::string cmd = std::string("timeout 60 qemu-system-aarch64 -M virt -cpu max -nodefaults -display none -net none ") +
                          "-chardev stdio,id=semihost -semihosting-config enable=on,target=native,chardev=semihost " +
                          "-device loader,file=" + bin + ",addr=" + addr + ",force-raw=on -device loader,addr=" + addr +
                          ",cpu-num=0 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(p != nullptr, "cannot run qemu-system-aarch64 (install it with scripts/install-deps)");
  std::vector<uint8_t> out;
  uint8_t buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.insert(out.end(), buf, buf + got);
  const int rc = pclose(p);
  BOOST_REQUIRE_MESSAGE(rc == 0 && out.size() == 32 * n,
                        "qemu-system-aarch64 failed or is missing (run scripts/install-deps): status " << rc << ", "
                            << out.size() << " bytes of " << 32 * n << ": "
                            << std::string(out.begin(), out.begin() + std::min<size_t>(out.size(), 300)));

  unsigned mismatches = 0;
  for (size_t c = 0; c < n; ++c) {
    for (unsigned r = 0; r < 4; ++r) v(r) = inputs[c][r];
    x(1) = inputs[c][3].d[0];
    x(0) = 0;
    core.set_sysreg(cpu::SysSlot::FPSR, 0);
    mem.write(kCode, &insn_of_case[c], 4);
    core.state().pc = kCode;
    step(1);
    uint64_t q[4];
    std::memcpy(q, out.data() + 32 * c, 32);
    const bool same = v(0).d[0] == q[0] && v(0).d[1] == q[1] && core.sysreg(cpu::SysSlot::FPSR) == q[2] && x(0) == q[3];
    if (!same && mismatches++ < 20) {
      BOOST_ERROR("0x" << std::hex << insn_of_case[c] << " (" << dis.text(insn_of_case[c], kCode) << ") inputs "
                       << hex(inputs[c][0]) << " " << hex(inputs[c][1]) << " " << hex(inputs[c][2]) << " "
                       << hex(inputs[c][3]) << ": pmuemu V0 " << hex(v(0)) << " FPSR " << core.sysreg(cpu::SysSlot::FPSR)
                       << " X0 " << x(0) << ", QEMU V0 " << q[1] << q[0] << " FPSR " << q[2] << " X0 " << q[3]);
    }
  }
  BOOST_TEST(mismatches == 0u);
  BOOST_TEST_MESSAGE(n << " cases compared with QEMU");
}

BOOST_AUTO_TEST_SUITE_END()
