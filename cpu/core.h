// The A64 core: architectural state of one vCPU, the pre-decoded block cache and the
// interpreter loop. It knows nothing about KVM or the PMU: system registers it does not
// own are delivered to a SysRegPort with an ESR_EL2-style syndrome, and hypervisor calls,
// semihosting and WFI leave run() as exits the caller handles.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "cpu/phys_mem.h"

namespace cpu {

class Core;
struct DecodedInst;

// What a handler tells the block loop. Anything but kNext leaves the straight-line path.
enum class Flow : uint8_t {
  kNext,     // retired; fall through to the next instruction
  kJump,     // retired; pc_ holds the next PC
  kFault,    // not retired; a synchronous exception was taken (pc_ = vector)
  kExit,     // retired; pc_ = next PC; return to run()'s caller with exit_ set
  kRestart,  // retired; pc_ = next PC; the block may be stale (code written), look up again
};

using Handler = Flow (*)(Core&, const DecodedInst&);

// One pre-decoded instruction. Register fields are slot indices into CpuState::r, already
// resolved for the XZR/SP meaning of register 31 in this encoding.
struct DecodedInst {
  Handler fn;
  uint64_t pc;
  uint64_t imm;     // immediate, branch target, bitmask or sysreg table index
  uint64_t imm2;    // a second immediate (bitfield tmask, pair offset, ...)
  uint8_t d, n, m, a;
  uint8_t f0, f1, f2, f3;  // small per-row fields (shift type/amount, cond, size, ...)
  uint32_t raw;
};

// Register-file slots beyond X0..X30 (see DecodedInst).
inline constexpr uint8_t kRegZr = 31;    // reads as zero
inline constexpr uint8_t kRegSink = 32;  // writes to XZR land here and are never read
inline constexpr uint8_t kRegSp = 33;    // the stack pointer selected by PSTATE.{EL,SP}
inline constexpr unsigned kNumRegSlots = 34;

enum class SysSlot : uint16_t {
#define SYSREG_SLOT(name) name,
#include "cpu/sysreg/sysreg_slots.inc"
#undef SYSREG_SLOT
  kCount
};

struct CpuState {
  std::array<uint64_t, kNumRegSlots> r{};
  uint64_t pc = 0;
  uint32_t nzcv = 0;   // PSTATE.{N,Z,C,V} in bits 31:28, the NZCV register layout
  uint32_t daif = 0;   // PSTATE.{D,A,I,F} in bits 9:6, the DAIF register layout
  uint8_t el = 1;
  uint8_t spsel = 1;   // PSTATE.SP
  bool il = false;     // PSTATE.IL after an illegal exception return
  uint64_t sp_el0 = 0, sp_el1 = 0;  // banked; the live one is mirrored in r[kRegSp]
  std::array<uint64_t, static_cast<size_t>(SysSlot::kCount)> sys{};
  // Local exclusive monitor (Arm ARM B2.9): one tagged granule.
  uint64_t excl_addr = 0;
  uint8_t excl_size = 0;
  bool excl_valid = false;
  bool event_register = false;
};

// Identification values the core reports (from the host's core catalogue, or the
// hypervisor's sanitised view of it).
struct IdRegs {
  uint64_t midr = 0x410FD050;  // Cortex-A55 r0p0 unless configured
  uint64_t mpidr = 0x80000000;
  uint64_t revidr = 0;
  uint64_t id_aa64pfr0 = 0x0000000000FF0011;  // EL0/EL1 AArch64 only; FP/AdvSIMD not implemented
  uint64_t id_aa64pfr1 = 0;
  uint64_t id_aa64dfr0 = 0x0000000000000406;  // PMUVer = 4 (PMUv3.1), DebugVer 8.0
  uint64_t id_aa64dfr1 = 0;
  uint64_t id_aa64isar0 = 0x0000000000200000; // Atomic = 2 (LSE)
  uint64_t id_aa64isar1 = 0;
  uint64_t id_aa64mmfr0 = 0x0000000000000005; // PARange 48 bits, 4K granule, no 16K/64K is set later
  uint64_t id_aa64mmfr1 = 0;
  uint64_t id_aa64mmfr2 = 0;
  uint64_t ctr = 0x84448004;                  // 64-byte lines, PIPT I-cache
  uint64_t clidr = 0x0A200023;
  uint64_t dczid = 0x4;                       // DC ZVA block: 64 bytes
};

// Why run() returned.
enum class ExitReason : uint8_t {
  kBudget,         // instruction budget used up
  kHvc,            // HVC executed at EL1 (imm16 in exit_imm); pc is past it
  kSmc,            // SMC executed at EL1
  kSemihosting,    // HLT #0xF000; pc is past it
  kWfi,            // WFI with nothing pending; pc is past it
  kExceptionLoop,  // exceptions are being taken with no instruction retiring in between
  kStopRequested,  // request_stop() was called
};

struct RunResult {
  ExitReason reason;
  uint64_t retired;
};

// Where MRS/MSR to registers the core does not own go (the PMU, under a hypervisor the
// KVM model). The syndrome is the ISS of an ESR_EL2 EC 0x18 exit.
class SysRegPort {
 public:
  enum class Result : uint8_t { kDone, kUndef };
  virtual ~SysRegPort() = default;
  // value: the X[Rt] image for a write, the result for a read.
  virtual Result handle(Core& core, uint32_t iss, uint64_t& value) = 0;
};

// One decoded basic block: straight-line instructions ending at a branch, an
// exception-generating or context-changing instruction, or a page boundary.
struct Block {
  uint64_t pc = 0;
  uint64_t page = 0;  // physical page index of the block's code
  std::vector<DecodedInst> insts;
};

class Core {
 public:
  Core(PhysMem& mem, IdRegs ids);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  CpuState& state() { return s_; }
  const CpuState& state() const { return s_; }
  const IdRegs& ids() const { return ids_; }
  void set_ids(const IdRegs& ids) { ids_ = ids; }
  PhysMem& mem() { return mem_; }

  // Architectural reset of the core: EL1h, DAIF masked, MMU off, registers zero.
  void reset(uint64_t pc);

  // Executes at most max_insns instructions.
  RunResult run(uint64_t max_insns);
  void request_stop() { stop_requested_ = true; }

  // The core's IRQ input (the GIC CPU interface's output). A pending IRQ is taken at the
  // next block boundary once PSTATE.I is clear, and wakes a WFI even while masked.
  void set_irq_pending(bool level) { irq_pending_ = level; }
  bool irq_pending() const { return irq_pending_; }

  void set_sysreg_port(SysRegPort* port) { port_ = port; }
  // Per-instruction trace; called before each instruction executes.
  using Tracer = std::function<void(const Core&, uint64_t pc, uint32_t insn)>;
  void set_tracer(Tracer t) { tracer_ = std::move(t); }

  uint64_t exit_imm() const { return exit_imm_; }
  // The first exception of the run of exceptions that ended in ExitReason::kExceptionLoop:
  // the guest's original fault, not the fault of its missing vector.
  struct FaultRecord {
    uint64_t esr = 0, elr = 0, far = 0;
  };
  const FaultRecord& loop_origin() const { return loop_origin_; }
  uint64_t retired_total() const { return retired_total_; }

  // General-purpose register access with X31 meaning XZR.
  uint64_t x(unsigned n) const { return n == 31 ? 0 : s_.r[n]; }
  void set_x(unsigned n, uint64_t v) { if (n != 31) s_.r[n] = v; }
  uint64_t sp() const { return s_.r[kRegSp]; }
  void set_sp(uint64_t v) { s_.r[kRegSp] = v; }

  // PSTATE as an SPSR image (M[3:0] = EL and SP, DAIF, NZCV, IL).
  uint64_t pstate_bits() const;
  void set_pstate_bits(uint64_t spsr);

  // Takes a synchronous exception to EL1 (Arm ARM D1.10): returns Flow::kFault.
  Flow take_sync_exception(uint32_t esr, uint64_t preferred_return, bool far_valid = false,
                           uint64_t far = 0);
  // Takes an asynchronous exception (IRQ = 0x80, FIQ = 0x100 vector offsets).
  void take_async_exception(uint64_t vector_offset);
  Flow undefined(const DecodedInst& inst);

  // Drops every decoded block (e.g. after the guest image is reloaded).
  void flush_decoded();
  // Called by PhysMem when a page holding decoded code is written.
  void invalidate_code_page(uint64_t page);

  // ---- used by instruction handlers ----
  SysRegPort* sysreg_port() const { return port_; }
  void switch_sp(uint8_t el, uint8_t spsel);  // bank the live SP and select a new one
  uint64_t sysreg(SysSlot s) const { return s_.sys[static_cast<size_t>(s)]; }
  void set_sysreg(SysSlot s, uint64_t v) { s_.sys[static_cast<size_t>(s)] = v; }
  void set_exit_imm(uint64_t v) { exit_imm_ = v; }
  ExitReason pending_exit_ = ExitReason::kBudget;

 private:
  Block* lookup_block(uint64_t pc);
  Block* build_block(uint64_t pc);
  Flow fetch_fault(uint64_t pc);
  template <bool kTrace>
  RunResult run_loop(uint64_t max_insns);

  CpuState s_;
  IdRegs ids_;
  PhysMem& mem_;
  SysRegPort* port_ = nullptr;
  Tracer tracer_;
  uint64_t exit_imm_ = 0;
  uint64_t retired_total_ = 0;
  bool stop_requested_ = false;
  bool irq_pending_ = false;
  unsigned faults_without_progress_ = 0;
  FaultRecord loop_origin_;

  static constexpr size_t kFastCacheSize = 4096;
  std::array<Block*, kFastCacheSize> fast_{};
  std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> page_blocks_;  // page -> block PCs
  std::vector<std::unique_ptr<Block>> retired_blocks_;  // freed when no block is executing
};

}  // namespace cpu
