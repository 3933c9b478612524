// The stub's packet handlers against a scripted target (two vCPUs, registers in a map, 64 KiB
// of RAM at 0x4000_0000 with the MMU off): replies computed from the target's state, and an
// error reply, never a crash, for malformed packets.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstring>
#include <map>
#include <array>

#include "cpu/phys_mem.h"
#include "emu/gdb/packet.h"
#include "emu/gdb/registers.h"
#include "emu/gdb/stub.h"
#include "tests/support/gdb_fake_target.h"
#include "cpu/arch/sysreg_key.h"
#include "kvm_model/uapi.h"

using namespace pmuemu::gdb;

namespace {

using pmuemu::gdb::testing::FakeTarget;

struct Fixture {
  Fixture() : log(std::tmpfile()), stub(Endpoint{false, 0, {}}, log) {
    t.off_[1] = true;  // vCPU 1 powered off, as secondaries are before PSCI CPU_ON
    stub.attach(t, [] { return false; });
  }
  ~Fixture() { std::fclose(log); }
  std::string ask(const std::string& p) { return stub.handle(p).value_or("<no reply>"); }
  FakeTarget t;
  std::FILE* log;
  Stub stub;
};

std::string le_hex(uint64_t v, unsigned bytes) {
  uint8_t b[8];
  std::memcpy(b, &v, 8);
  return to_hex(b, bytes);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(gdb_stub, Fixture)

BOOST_AUTO_TEST_CASE(qsupported_announces_packet_size_and_features) {
  const std::string r = ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  BOOST_TEST(r.find("PacketSize=" + std::string([] {
                      char b[16];
                      std::snprintf(b, sizeof b, "%zx", kMaxPacket);
                      return std::string(b);
                    }())) != std::string::npos);
  BOOST_TEST(r.find("qXfer:features:read+") != std::string::npos);
  BOOST_TEST(r.find("multiprocess+") == std::string::npos);  // thread ids are plain
}

BOOST_AUTO_TEST_CASE(target_description_is_served_in_pieces_and_names_every_register) {
  std::string doc;
  for (uint64_t off = 0;; off += 100) {
    char q[80];
    std::snprintf(q, sizeof q, "qXfer:features:read:aarch64-fpu.xml:%llx,64", static_cast<unsigned long long>(off));
    const std::string r = ask(q);
    BOOST_TEST_REQUIRE((r[0] == 'm' || r[0] == 'l'));
    doc += r.substr(1);
    if (r[0] == 'l') break;
    BOOST_TEST_REQUIRE(r.size() == 101u);
  }
  BOOST_TEST(doc == *target_description("aarch64-fpu.xml"));
  const std::string all =
      *target_description("aarch64-core.xml") + doc + *target_description("pmuemu-sysregs.xml");
  unsigned n = 0;
  for (const auto& d : registers()) {
    BOOST_TEST(all.find("name=\"" + d.name + "\" bitsize=\"" + std::to_string(d.bits)) != std::string::npos, d.name);
    BOOST_TEST(all.find("regnum=\"" + std::to_string(n++) + "\"") != std::string::npos);
  }
  BOOST_TEST(g_register_count() == 68u);  // x0-x30, sp, pc, cpsr, v0-v31, fpsr, fpcr
  // then the system registers: 12 EL1 and ID registers, 10 PMU ones, ELR/SPSR/SP_EL1 and
  // PMEVCNTR<n>_EL0, PMEVTYPER<n>_EL0 for n = 0..30
  BOOST_TEST(n == 68u + 12 + 10 + 3 + 62);
  BOOST_TEST(all.find("<reg name=\"pmcr_el0\" bitsize=\"64\" type=\"uint64\" regnum=\"80\" group=\"system\"/>") !=
             std::string::npos);
  BOOST_TEST(ask("qXfer:features:read:target.xml:0,1000").find("aarch64-core.xml") != std::string::npos);
  BOOST_TEST(ask("qXfer:features:read:nonesuch.xml:0,10") == "E00");
  BOOST_TEST(ask("qXfer:features:read:target.xml:0") == "E01");
}

BOOST_AUTO_TEST_CASE(registers_read_and_write_through_one_reg) {
  t.set64(0, kvm_model::kRegPc, 0x40080010);
  t.set64(0, kvm_model::kRegX(3), 0x1122334455667788);
  BOOST_TEST(ask("p20") == le_hex(0x40080010, 8));  // pc is register 32
  BOOST_TEST(ask("p3") == le_hex(0x1122334455667788, 8));
  BOOST_TEST(ask("P5=" + le_hex(0xdeadbeef, 8)) == "OK");
  BOOST_TEST(t.reg64(0, kvm_model::kRegX(5)) == 0xdeadbeefu);
  // cpsr is 32 bits for gdb: a write keeps PSTATE's upper half.
  t.set64(0, kvm_model::kRegPstate, 0x0000000100000000ull | 0x3c5);
  BOOST_TEST(ask("p21") == le_hex(0x3c5, 4));
  BOOST_TEST(ask("P21=" + le_hex(0x600003c5, 4)) == "OK");
  BOOST_TEST(t.reg64(0, kvm_model::kRegPstate) == 0x00000001600003c5ull);
  // sp is SP_EL1 at EL1h (M = 0b0101), SP_EL0 at EL1t.
  t.set64(0, kvm_model::kRegSp, 0x1000);
  t.set64(0, kvm_model::kRegSpEl1, 0x2000);
  BOOST_TEST(ask("p1f") == le_hex(0x2000, 8));
  t.set64(0, kvm_model::kRegPstate, 0x3c4);
  BOOST_TEST(ask("p1f") == le_hex(0x1000, 8));
  // The whole set: one hex string of every register in order, written back unchanged.
  const std::string g = ask("g");
  size_t bytes = 0;
  for (size_t r = 0; r < g_register_count(); ++r) bytes += registers()[r].bits / 8;
  BOOST_TEST(g.size() == 2 * bytes);
  BOOST_TEST(ask("G" + g) == "OK");
  BOOST_TEST(ask("g") == g);
  // Hg selects the vCPU the register packets address (thread 2 = vCPU 1).
  t.set64(1, kvm_model::kRegX(0), 42);
  BOOST_TEST(ask("Hg2") == "OK");
  BOOST_TEST(ask("p0") == le_hex(42, 8));
}

BOOST_AUTO_TEST_CASE(memory_reads_writes_and_faults) {
  BOOST_TEST(ask("M40000010,4:a1b2c3d4") == "OK");
  BOOST_TEST(t.ram_[0x10] == 0xa1);
  BOOST_TEST(t.ram_[0x13] == 0xd4);
  BOOST_TEST(ask("m4000000f,6") == "00a1b2c3d400");
  // Binary X: the reader has undone the escapes; the bytes are taken as they are.
  BOOST_TEST(ask(std::string("X40000020,3:") + "\x24\x23\x7d") == "OK");
  BOOST_TEST(ask("m40000020,3") == "24237d");
  // Outside RAM: an error, and a read that runs off the end gives what it could.
  BOOST_TEST(ask("m0,4") == "E0e");
  BOOST_TEST(ask("m4000fffe,4").size() == 4u);
  BOOST_TEST(ask("M3ffffffc,4:00000000") == "E0e");
  BOOST_TEST(ask("m40000000,0") == "");
}

BOOST_AUTO_TEST_CASE(threads_are_vcpus) {
  BOOST_TEST(ask("qfThreadInfo") == "m1,2");
  BOOST_TEST(ask("qsThreadInfo") == "l");
  BOOST_TEST(ask("T2") == "OK");
  BOOST_TEST(ask("T3") == "E02");
  BOOST_TEST(ask("qThreadExtraInfo,2") == to_hex(std::string("vCPU 1 (powered off)")));
  BOOST_TEST(ask("?") == "T05thread:1;");
}

BOOST_AUTO_TEST_CASE(breakpoints_and_watchpoints) {
  BOOST_TEST(ask("Z0,40080000,4") == "OK");
  BOOST_TEST(ask("Z1,40080004,4") == "OK");
  BOOST_TEST(ask("z0,40080000,4") == "OK");
  BOOST_TEST(ask("Z0,40080000,2") == "E01");  // A64 has no 2-byte instructions
  BOOST_TEST(ask("Z2,40000000,8") == "OK");
  BOOST_TEST(ask("z2,40000000,8") == "OK");
  BOOST_TEST(ask("Z3,40000000,8") == "OK");  // read and access watchpoints
  BOOST_TEST(ask("Z4,40000000,8") == "OK");
  BOOST_TEST(ask("z3,40000000,8") == "OK");
  BOOST_TEST(ask("z4,40000000,8") == "OK");
  BOOST_TEST(ask("Z5,40000000,8") == "");
}

BOOST_AUTO_TEST_CASE(resume_packets) {
  BOOST_TEST(ask("vCont?") == "vCont;c;C;s;S;t");
  BOOST_TEST(ask("vCont;s:2;c") == "<no reply>");
  BOOST_TEST(stub.resumed());
  BOOST_TEST(ask("c40080100") == "<no reply>");
  BOOST_TEST(t.reg64(1, kvm_model::kRegPc) == 0u);  // Hc was not set: vCPU 0 gets the address
  BOOST_TEST(t.reg64(0, kvm_model::kRegPc) == 0x40080100u);
}

BOOST_AUTO_TEST_CASE(malformed_packets_get_error_replies) {
  const char* const bad[] = {"m",        "mzz,4",  "m40000000",  "m,4",      "M40000000,4:zz", "M40000000,4:00",
                             "M40000000", "X4,1",  "p",          "pzz",      "p999",           "P",
                             "P1=zz",    "P1=00",  "G00",        "Hx",       "Hg99",           "Hgzz",
                             "Z0",       "Z0,zz,4", "Z2,40000000,0", "vCont;q", "vCont;s:9",  "vCont;",
                             "Tzz",      "qThreadExtraInfo,9", "c12345678901234567", "qXfer:features:read:x"};
  for (const char* p : bad) {
    const std::string r = ask(p);
    BOOST_TEST((r.size() == 3 && r[0] == 'E'), p << " -> " << r);
    BOOST_TEST(!stub.resumed(), p);
  }
  // Unknown packets: the empty reply ("not supported").
  BOOST_TEST(ask("Jabc") == "");
  BOOST_TEST(ask("vFlashWrite:0") == "");
  BOOST_TEST(ask("") == "");
}

BOOST_AUTO_TEST_CASE(system_registers_are_read_one_by_one_and_unavailable_ones_say_so) {
  const uint64_t pmcr = arch::sysreg(3, 3, 9, 12, 0).to_one_reg_id();
  t.set64(0, pmcr, 0x41013000);
  BOOST_TEST(ask("p50") == le_hex(0x41013000, 8));  // pmcr_el0 is register 80
  BOOST_TEST(ask("P50=" + le_hex(0x41013001, 8)) == "OK");
  BOOST_TEST(t.reg64(0, pmcr) == 0x41013001u);
  // g covers core and fpu only: its size does not grow with the system registers.
  BOOST_TEST(ask("g").size() == 2u * (31 * 8 + 8 + 8 + 4 + 32 * 16 + 4 + 4));
  // A VM without a PMU has no PMCR_EL0: "unavailable" rather than an error.
  t.refused_.insert(pmcr);
  BOOST_TEST(ask("p50") == std::string(16, 'x'));
  // A core register that cannot be read is still an error.
  t.refused_.insert(kvm_model::kRegPc);
  BOOST_TEST(ask("p20") == "E02");
}

std::string monitor(Fixture& f, const std::string& cmd) {
  const std::string r = f.ask("qRcmd," + to_hex(cmd));
  const auto text = from_hex(r);
  BOOST_TEST_REQUIRE(text.has_value(), cmd << " -> " << r);
  return std::string(text->begin(), text->end());
}

BOOST_AUTO_TEST_CASE(monitor_stop_on_switches_each_event) {
  BOOST_TEST(monitor(*this, "stop-on") ==
             "stop-on reset off\nstop-on psci off\nstop-on fail-entry off\nstop-on pmu-overflow off\n");
  BOOST_TEST(monitor(*this, "stop-on  psci on").find("stop-on psci on\n") != std::string::npos);
  BOOST_TEST(monitor(*this, "stop-on all on") ==
             "stop-on reset on\nstop-on psci on\nstop-on fail-entry on\nstop-on pmu-overflow on\n");
  BOOST_TEST(monitor(*this, "stop-on reset off").find("stop-on reset off\nstop-on psci on") != std::string::npos);
  BOOST_TEST(monitor(*this, "stop-on nmi on").find("unknown event 'nmi'") != std::string::npos);
  BOOST_TEST(monitor(*this, "stop-on psci maybe").find("unknown monitor command") != std::string::npos);
  BOOST_TEST(monitor(*this, "help").find("stop-on EVENT|all on|off") != std::string::npos);
  BOOST_TEST(monitor(*this, "stop-reason") == "no event stop yet\n");
  BOOST_TEST(ask("qRcmd,zz") == "E01");
}

BOOST_AUTO_TEST_CASE(events_are_kept_only_when_stopped_on) {
  // Not asked for: nothing kept, the vCPU is not cut out of KVM_RUN.
  BOOST_TEST(!stub.note_event(0, StopOn::kReset, "vCPU 0: reset (KVM_ARM_VCPU_INIT)"));
  monitor(*this, "stop-on reset on");
  // Asked for, but vCPU 0 is not inside KVM_RUN (the VMM reset it): kept for its next run,
  // and there is no KVM_RUN to end.
  BOOST_TEST(!stub.note_event(0, StopOn::kReset, "vCPU 0: reset (KVM_ARM_VCPU_INIT)"));
  BOOST_TEST(!stub.note_event(7, StopOn::kReset, "no such vCPU"));
  // Its run stops before the first instruction, and the stop says why (O packet, then T05).
  // With no debugger connected the stop is served by nobody: the piece function must not run.
  bool ran = false;
  uint64_t retired = 0;
  BOOST_TEST(ask("vCont;c") == "<no reply>");
  stub.run_quantum(0, 100, [&](uint64_t) { ran = true; return RunPiece{-EINTR, 0, true}; }, retired);
  BOOST_TEST(monitor(*this, "stop-reason") == "pmuemu: vCPU 0: reset (KVM_ARM_VCPU_INIT)\n");
  BOOST_TEST(ask("?") == "T05thread:1;");
  // Switched off: events of that kind still pending are dropped.
  monitor(*this, "stop-on reset on");
  stub.note_event(1, StopOn::kReset, "vCPU 1: reset (PSCI CPU_ON)");
  monitor(*this, "stop-on reset off");
  BOOST_TEST(ask("vCont;c") == "<no reply>");
  stub.run_quantum(1, 100, [&](uint64_t) { ran = true; return RunPiece{-EINTR, 100, true}; }, retired);
  BOOST_TEST(ran);
  BOOST_TEST(retired == 100u);
  BOOST_TEST(monitor(*this, "stop-reason") == "pmuemu: vCPU 0: reset (KVM_ARM_VCPU_INIT)\n");
}

BOOST_AUTO_TEST_CASE(read_watchpoint_stops_before_the_load) {
  // ldr x1, [x2, #16] at the PC (MMU off: virtual = physical), x2 + 16 inside the watch.
  const uint32_t ldr = 0xf9400841;
  std::memcpy(t.ram_.data(), &ldr, 4);
  t.set64(0, kvm_model::kRegPc, FakeTarget::kRamBase);
  t.set64(0, kvm_model::kRegX(2), FakeTarget::kRamBase + 0x1000 - 16 + 4);
  BOOST_TEST(ask("Z3,40001000,8") == "OK");
  BOOST_TEST(ask("vCont;c") == "<no reply>");
  bool ran = false;
  uint64_t retired = 0;
  const auto run = [&](uint64_t) {
    ran = true;
    return RunPiece{-EINTR, 1, true};
  };
  stub.run_quantum(0, 1, run, retired);
  BOOST_TEST(!ran);  // stopped before the instruction
  BOOST_TEST(ask("?") == "T05rwatch:40001004;thread:1;");
  // A store there is no read: an access watchpoint takes it, a read one does not.
  const uint32_t str = 0xf9000841;  // str x1, [x2, #16]
  std::memcpy(t.ram_.data(), &str, 4);
  BOOST_TEST(ask("z3,40001000,8") == "OK");
  BOOST_TEST(ask("Z3,40001000,8") == "OK");
  BOOST_TEST(ask("vCont;c") == "<no reply>");
  stub.run_quantum(0, 1, run, retired);  // (resumed where it stopped: the instruction runs)
  BOOST_TEST(ran);
  ran = false;
  BOOST_TEST(ask("z3,40001000,8") == "OK");
  BOOST_TEST(ask("Z4,40001000,8") == "OK");
  stub.run_quantum(0, 1, run, retired);
  BOOST_TEST(!ran);
  BOOST_TEST(ask("?") == "T05awatch:40001004;thread:1;");
}

BOOST_AUTO_TEST_SUITE_END()
