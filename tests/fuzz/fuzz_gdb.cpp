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
#include "kvm_model/uapi.h"

namespace {

constexpr uint64_t kRamBase = 0x40000000, kRamSize = 64 * 1024;

class FuzzTarget final : public pmuemu::gdb::Target {
 public:
  FuzzTarget() : ram_(kRamSize), mem_(ram_.data(), kRamBase, kRamSize) {}
  unsigned vcpu_count() const override { return 2; }
  bool get_reg(unsigned v, uint64_t id, void* value) override {
    if (v >= 2) return false;
    std::memcpy(value, regs_[v][id].data(), kvm_model::one_reg_size(id));
    return true;
  }
  bool set_reg(unsigned v, uint64_t id, const void* value) override {
    if (v >= 2) return false;
    auto& r = regs_[v][id];
    r.fill(0);
    std::memcpy(r.data(), value, kvm_model::one_reg_size(id));
    return true;
  }
  bool powered_off(unsigned) override { return false; }
  const cpu::PhysMem& phys() override { return mem_; }
  void write_phys(uint64_t pa, const void* src, uint64_t len) override {
    if (!mem_.contains(pa, len)) __builtin_trap();  // the stub must never write outside RAM
    std::memcpy(mem_.ptr(pa), src, len);
  }
  std::vector<uint8_t> ram_;
  cpu::PhysMem mem_;
  std::map<uint64_t, std::array<uint8_t, 16>> regs_[2];
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One listening socket for the whole run (port 0: nobody connects).
  static std::FILE* const log = std::fopen("/dev/null", "w");
  static pmuemu::gdb::Stub* const stub = new pmuemu::gdb::Stub(pmuemu::gdb::Endpoint{false, 0, {}}, log);
  FuzzTarget t;
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
