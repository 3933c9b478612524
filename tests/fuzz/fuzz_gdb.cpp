// The gdb stub's protocol layer: any byte stream from a debugger gives replies or nothing,
// never a crash, a read outside guest RAM or a hang. The first 32 bytes of the input set the
// translation registers (SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1) of a scripted vCPU so the
// memory packets walk guest-made page tables; the next 4 KiB seed guest RAM; the rest is
// fed to the packet reader, and each packet is handled as the stub would.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <array>
#include <memory>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "cpu/phys_mem.h"
#include "emu/gdb/packet.h"
#include "emu/gdb/stub.h"
#include "tests/support/gdb_fake_target.h"
#include "kvm_model/uapi.h"

namespace {

using pmuemu::gdb::testing::FakeTarget;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One listening socket for the whole run (port 0: nobody connects).
  static std::FILE* const log = std::fopen("/dev/null", "w");
  static pmuemu::gdb::Stub* const stub = new pmuemu::gdb::Stub(pmuemu::gdb::Endpoint{false, 0, {}}, log);
  FakeTarget t;
  constexpr uint64_t kRegs[] = {arch::sysreg(3, 0, 1, 0, 0).to_one_reg_id(), arch::sysreg(3, 0, 2, 0, 2).to_one_reg_id(),
                                arch::sysreg(3, 0, 2, 0, 0).to_one_reg_id(), arch::sysreg(3, 0, 2, 0, 1).to_one_reg_id()};
  for (size_t i = 0; i < 4 && size >= 8; ++i, data += 8, size -= 8) t.set_reg(0, kRegs[i], data);
  const size_t seed = std::min<size_t>(size, 4096);
  std::memcpy(t.ram_.data(), data, seed);
  data += seed;
  size -= seed;
  stub->attach(t, [] { return false; });
  pmuemu::gdb::Reader reader;
  std::vector<pmuemu::gdb::Event> events;
  reader.feed(std::string_view(reinterpret_cast<const char*>(data), size), events);
  for (const auto& e : events) {
    if (e.kind != pmuemu::gdb::Event::kPacket) continue;
    if (e.payload[0] == 'k' || e.payload.rfind("vKill", 0) == 0) continue;  // ends the stub's life
    const auto reply = stub->handle(e.payload);
    if (reply && reply->size() > pmuemu::gdb::kMaxPacket + 1) __builtin_trap();  // larger than announced
  }
  return 0;
}
