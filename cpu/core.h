// The A64 core: architectural state of one vCPU, the pre-decoded block cache and the
// interpreter loop. It knows nothing about KVM or the PMU: system registers it does not
// own are delivered to a SysRegPort with an ESR_EL2-style syndrome, and hypervisor calls,
// semihosting and WFI leave run() as exits the caller handles.
#pragma once

#include <array>
#include <cstring>
#include <cassert>
#include <atomic>
#include <mutex>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "cpu/mmu/mmu.h"
#include "cpu/phys_mem.h"
#include "cpu/timing/timing_model.h"

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
  kExitUnretired,  // not retired; pc_ as the handler left it; return with exit_ set (MMIO)
  // Not an instruction: the end marker after a block's last instruction (see Block). Only
  // the marker returns it; the loop continues at the marker's pc.
  kEnd,
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

// How a load or store forms its data address from the DecodedInst, for the timing model
// (evaluated before the instruction executes, so writeback cannot disturb it).
enum class AddrMode : uint8_t {
  kNone,
  kBaseImm,   // X[n] + imm (offset, pre-index, unprivileged)
  kBase,      // X[n] (post-index, exclusives, atomics, ordered)
  kBaseReg,   // X[n] + ExtendReg(X[m], f0, f1)
  kLiteral,   // imm (PC-relative literal, resolved at decode)
};
// Timing side data of one decoded instruction (cpu/decoder/classify.h): 8 bytes, kept in a
// side array of its block so DecodedInst does not grow.
inline constexpr uint8_t kTimingExcEntry = 1;   // retires, then an exception is taken (SVC)
inline constexpr uint8_t kTimingExcReturn = 2;  // an exception return (ERET)
struct InstTiming {
  timing::StaticInfo s;
  AddrMode amode = AddrMode::kNone;
  uint8_t flags = 0;
};
static_assert(sizeof(InstTiming) == 8);

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

// One SIMD&FP register V0..V31 (Arm ARM A1.4.2): 128 bits, lanes in little-endian order
// (lane 0 of any size starts at bit 0). B/H/S/D scalar forms use the low lane; a write of
// a scalar or 64-bit vector form zeroes the bits above it (the handler does that).
struct alignas(16) VReg {
  std::array<uint64_t, 2> d{};  // d[0] = bits 63:0, d[1] = bits 127:64
  template <class T>
  T lane(unsigned i) const {
    T x;
    std::memcpy(&x, reinterpret_cast<const unsigned char*>(d.data()) + i * sizeof(T), sizeof(T));
    return x;
  }
  template <class T>
  void set_lane(unsigned i, T x) {
    std::memcpy(reinterpret_cast<unsigned char*>(d.data()) + i * sizeof(T), &x, sizeof(T));
  }
  bool operator==(const VReg&) const = default;
};
static_assert(sizeof(VReg) == 16);

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
  uint64_t excl_value[2] = {0, 0};  // what the load-exclusive read (STXR compares against it)
  bool event_register = false;
  // SIMD&FP registers. FPCR and FPSR live in sys[] (SysSlot::FPCR, SysSlot::FPSR).
  std::array<VReg, 32> v{};
};

// Identification values the core reports (from the host's core catalogue, or the
// hypervisor's sanitised view of it).
struct IdRegs {
  uint64_t midr = 0x410FD050;  // Cortex-A55 r0p0 unless configured
  uint64_t mpidr = 0x80000000;
  uint64_t revidr = 0;
  // An unconfigured core (unit tests, fuzzers) advertises every instruction-set feature
  // pmuemu implements (cpu::kImplemented), so decode reaches every row of the table; a
  // configured core gets these from its catalogue entry through cpu::sanitise_ids
  // (cpu/id_regs.h), and decode gates each row on them (cpu/decoder/features.h).
  // EL0/EL1 AArch64 only, FP and AdvSIMD with half precision (FP = AdvSIMD = 1).
  uint64_t id_aa64pfr0 = 0x0000000000110011;
  uint64_t id_aa64pfr1 = 0;
  // PMUVer = 4 (PMUv3.1), DebugVer 8.0, BRPs = WRPs = 1: two breakpoints and two
  // watchpoints, the architectural minimum (0 is reserved).
  uint64_t id_aa64dfr0 = 0x0000000000101406;
  uint64_t id_aa64dfr1 = 0;
  // AES = 2 (with PMULL), SHA1 = SHA2 = 1, CRC32 = 1, Atomic = 2 (LSE), RDM, DP, FHM = 1.
  uint64_t id_aa64isar0 = 0x0001100010211120;
  uint64_t id_aa64isar1 = 0x0000000100011001; // DPB, JSCVT, FCMA, FRINTTS = 1
  uint64_t id_aa64isar2 = 0;
  uint64_t id_aa64zfr0 = 0;                   // SVE not implemented
  // PARange 48 bits, ASIDBits 16, TGran4 supported, TGran64 = 0xF and TGran16 = 0: the
  // MMU implements the 4 KiB granule only.
  uint64_t id_aa64mmfr0 = 0x000000000F000025;
  uint64_t id_aa64mmfr1 = 0;                  // no PAN, no hardware AF/dirty update, no VHE
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
  // A load or store with a valid syndrome (ISV = 1) to a physical address outside guest
  // RAM, as KVM_EXIT_MMIO: the access is in Core::mmio(). A write has completed (PC is
  // past it); a read completes with complete_mmio_read() before the next run().
  kMmio,
  // Any other data access outside RAM (pair, writeback, exclusive, atomic, DC ZVA), as
  // KVM_EXIT_ARM_NISV: mmio() holds the address, size and direction; PC is at the
  // instruction, which has not executed.
  kMmioNoSyndrome,
  // A guest access (data, fetch, table walk, AT) reached a slot page its HostPageGate says
  // the host has not populated: PC is at the instruction, which has not executed, and runs
  // again at the next run(). The gate knows the page.
  kHostPage,
};

// The data access behind ExitReason::kMmio / kMmioNoSyndrome. Neither counts as retired
// in RunResult: on hardware under KVM the guest access aborts to the hypervisor, which
// emulates it and steps PC, so the guest never retires it.
struct MmioAccess {
  uint64_t phys_addr = 0;   // the intermediate physical address (the PA: no stage 2)
  uint8_t size = 0;         // bytes
  bool is_write = false;
  uint64_t data = 0;        // writes: the value stored, zero-extended from size bytes
  // Completion of reads (KVM's SRT, SSE and SF syndrome fields):
  uint8_t rt = 0;           // destination register; 31 = XZR (the value is discarded)
  bool sign_extend = false; // sign-extend from size bytes
  bool sixty_four = false;  // Xt (else Wt: the upper 32 bits are zeroed)
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
  // Optional binding of an access to a port-defined route, made once per decoded MRS/MSR
  // (at its first execution) so that the port can skip classifying the encoding on every
  // trap. The route may encode only what the ISS fixes (the register, the direction, Rt):
  // it is kept for the life of the decoded block whatever the port's state becomes. 0 =
  // no route. Never 0xffffffff (the core's "not bound yet").
  virtual uint32_t bind(uint32_t /*iss*/) { return 0; }
  // Every trapped access, with the route bind(iss) gave (0 included); behaves exactly as
  // handle(core, iss, value). One virtual call per access whether or not the port binds.
  virtual Result handle_bound(Core& core, uint32_t /*route*/, uint32_t iss, uint64_t& value) {
    return handle(core, iss, value);
  }
  // Optional: the handler (cpu/interp/port_access.h, bound_port_handler) that runs every
  // later execution of an access bound to `route` instead of the core's generic one, with
  // the same behaviour as handle_bound(). Like the route, it stays in the decoded block
  // whatever the port's state becomes, so it may depend only on the route, the direction
  // and the port itself (a core keeps its port for its life). nullptr: the generic handler.
  virtual Handler bound_handler(uint32_t /*route*/, bool /*is_read*/) { return nullptr; }
};

// One decoded basic block: straight-line instructions ending at a branch, an
// exception-generating or context-changing instruction, or a page boundary.
//
// A block is identified by (VA, PA): its decoded content depends on nothing else. Whether
// it may be entered is a property of the current translation context: ctx is the core's
// context stamp at the time the block was last looked up through a real translation,
// and a jump-cache hit requires it to be current (see Core::ctx_).
struct Block {
  uint64_t pc = 0;
  uint64_t ctx = 0;
  uint64_t pa = 0;
  uint64_t page = 0;  // physical page index of the block's code
  // insts[0, count) are the block's instructions; insts[count] is an end marker (handler
  // returning Flow::kEnd, pc = the fall-through PC), so the functional loop needs no
  // bounds check per instruction: every block stops at a non-kNext flow.
  uint32_t count = 0;
  uint64_t next_pc = 0;  // the fall-through PC, insts[count].pc
  // Chaining: the blocks that followed this one last time (taken / fall-through), so the
  // next block is found without the jump cache, whose probe has to wait for the PC the
  // branch just computed. A link is only a hint: it is taken when its block's pc matches
  // and that block passes the same context check as a jump-cache hit. A dropped block
  // gets a stamp no context has (Core::drop_block), so a link to it is never taken; the
  // links are reset (Core::unlink_all) before dropped blocks are freed.
  std::array<Block*, 2> succ{};
  std::vector<DecodedInst> insts;
  std::vector<InstTiming> timing;  // insts[i]'s timing class; read only with a timing model
  // The step layout, built the first time the run loop runs the block one instruction at
  // a time (timing, trace, the end of the budget): insts[k] at 2k, and at 2k + 1 a stop
  // slot whose handler returns Flow::kNext, so that the tail call of interp::next ends
  // there instead of running on into insts[k + 1]. A copy, so an MRS/MSR binding its route
  // (which rewrites its own DecodedInst) may bind each copy once; both behave the same.
  std::vector<DecodedInst> steps;
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
  // Also sets the instruction-set features decode honours (decoder::features_of); blocks
  // decoded under other features are dropped.
  void set_ids(const IdRegs& ids);
  PhysMem& mem() { return mem_; }

  // Architectural reset of the core: EL1h, DAIF masked, MMU off, registers zero.
  void reset(uint64_t pc);

  // Executes at most max_insns instructions.
  RunResult run(uint64_t max_insns);
  // Safe from any thread (a kick): the run returns kStopRequested at the next block
  // boundary, or at once if it has not started. The request is consumed by that return.
  void request_stop() { attention_.fetch_or(kAttnStop, std::memory_order_relaxed); }

  // ---- work posted by other threads (--threads) ----
  // Another thread's store hit a page this core decoded code from, or another core ran a
  // TLBI *IS: the work waits in an inbox and is applied at this core's next block
  // boundary, on its own thread (blocks and TLB are only ever touched by their owner).
  void post_code_invalidation(uint64_t page);
  void post_tlbi(mmu::TlbiOp op, uint64_t operand);

  // The core's IRQ input (the GIC CPU interface's output). A pending IRQ is taken at the
  // next block boundary once PSTATE.I is clear, and wakes a WFI even while masked.
  void set_irq_pending(bool level) {
    if (level == irq_pending_) return;
    irq_pending_ = level;
    if (level) attention_.fetch_or(kAttnIrq, std::memory_order_relaxed);
    else attention_.fetch_and(~kAttnIrq, std::memory_order_relaxed);
  }
  bool irq_pending() const { return irq_pending_; }

  // Before the core first runs: decoded MRS/MSR keep the routes the port bound them to.
  // Once, before the core runs: decoded blocks may hold the port's own handlers.
  void set_sysreg_port(SysRegPort* port) { port_ = port; }
  // HCR_EL2.TSC as a hypervisor sets it: SMC at EL1 traps to it (ExitReason::kSmc, PC past
  // the SMC, not retired) instead of being UNDEFINED, which it is with neither EL2 nor EL3.
  void set_smc_traps(bool on) { smc_traps_ = on; }
  bool smc_traps() const { return smc_traps_; }
  // HLT #0xF000 at EL1 as a semihosting call (ExitReason::kSemihosting), the default; off,
  // it is UNDEFINED like every HLT, as on hardware without halting debug, which is what a
  // KVM guest gets from Linux.
  void set_semihosting(bool on) { semihosting_ = on; }
  bool semihosting() const { return semihosting_; }
  // The cycle-level timing model of the physical core this core runs on, or null for
  // functional timing. With a model, every retired instruction is handed to it (class,
  // registers, PC, data address, branch outcome) and exceptions taken and returned are
  // reported; the run loop is a separate instantiation, so functional mode pays nothing.
  // The model's events accumulate in it until its owner drains them.
  void set_timing_model(timing::TimingModel* m) { timing_ = m; }
  timing::TimingModel* timing_model() const { return timing_; }
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
  // Blocks dropped and not yet freed (drop_block).
  size_t dropped_block_count() const { return dropped_blocks_.size(); }
  // Instructions retired at EL0 and at EL1 since construction (the functional core's
  // INST_RETIRED, split by EL for PMU filtering). Up to date at every run() exit and, for
  // the port, at every trapped system-register access: the instructions of the current
  // block before the access are added while the port runs.
  std::array<uint64_t, 2> retired_by_el() const { return retired_before(port_at_); }
  // The same before `at`, an instruction of the block executing (null: between blocks), for
  // the handlers a port installs that do their work without a port access bracket.
  std::array<uint64_t, 2> retired_before(const DecodedInst* at) const {
    // The blocks a chain retired before the one executing (prev_), then that block's
    // instructions before the access, by PC: a block's instructions are consecutive
    // words, in Block::insts and Block::steps alike. Selected, not stored into an indexed
    // element: the port's hot path reads both halves at once (no store-forwarding stall).
    const uint64_t k = at != nullptr ? chain_budget_ - chain_left_ - prev_->count + ((at->pc - prev_->pc) >> 2) : 0;
    const bool el1 = s_.el != 0;
    return {retired_el_[0] + (el1 ? 0 : k), retired_el_[1] + (el1 ? k : 0)};
  }
  // Brackets a port access made by `at`, an instruction of the block now executing.
  void begin_port_access(const DecodedInst& at) {
    port_at_ = &at;
    // The port may read the timing model: it must count the block's instructions before
    // this one, which the run loop hands over in bulk (timing_counted_).
    if (timing_ != nullptr) [[unlikely]] {
      const auto k = static_cast<uint32_t>((at.pc - prev_->pc) >> 2);
      timing_->count_retired(k - timing_counted_);
      timing_counted_ = k;
    }
  }
  // The X[Rt] image of a port access in flight. It lives here, not on the handler's stack,
  // so that no local's address escapes and the handler can tail-call the next instruction's.
  uint64_t& port_value() { return port_value_; }
  void end_port_access() { port_at_ = nullptr; }
  // After a port access: must the block stop here? Only if the access left an IRQ that
  // PSTATE lets in (taken at once, as KVM injects it on re-entry) or asked for a stop;
  // otherwise a trapped access runs inside its block like any other instruction.
  bool must_leave_block() const {
    return (attention_.load(std::memory_order_relaxed) & kAttnStop) != 0 ||
           (irq_pending_ && (s_.daif & (1u << 7)) == 0);
  }

  // General-purpose register access with X31 meaning XZR.
  uint64_t x(unsigned n) const { return n == 31 ? 0 : s_.r[n]; }
  void set_x(unsigned n, uint64_t v) { if (n != 31) s_.r[n] = v; }
  uint64_t sp() const { return s_.r[kRegSp]; }
  void set_sp(uint64_t v) { s_.r[kRegSp] = v; }

  // PSTATE as an SPSR image (M[3:0] = EL and SP, DAIF, NZCV, IL).
  uint64_t pstate_bits() const;
  void set_pstate_bits(uint64_t spsr);
  // Sets PSTATE.IL (an illegal exception return): the next block entry takes the Illegal
  // Execution state exception.
  void set_illegal_state() {
    s_.il = true;
    attention_.fetch_or(kAttnIl, std::memory_order_relaxed);
  }

  // Takes a synchronous exception to EL1 (Arm ARM D1.10): returns Flow::kFault.
  Flow take_sync_exception(uint32_t esr, uint64_t preferred_return, bool far_valid = false,
                           uint64_t far = 0);
  // Takes an asynchronous exception (IRQ = 0x80, FIQ = 0x100 vector offsets).
  void take_async_exception(uint64_t vector_offset);
  Flow undefined(const DecodedInst& inst);

  // ---- MMIO exits ----
  // The access behind the last kMmio / kMmioNoSyndrome exit.
  const MmioAccess& mmio() const { return mmio_; }
  // Completes the MMIO read of the last kMmio exit as KVM does on the next KVM_RUN:
  // writes Rt (truncated to the access size, then sign- or zero-extended as the load
  // requires) and steps PC past the load. Ignored unless a read is pending.
  void complete_mmio_read(uint64_t data);

  // ---- TLB maintenance ----
  // Applies a TLBI operation to this core's TLBs (an IS form executed by another core is
  // applied through this too). Call on the thread running the core, between run() calls.
  void tlbi(mmu::TlbiOp op, uint64_t operand);
  // A TLBI *IS executed by this core: applied here, then handed to the broadcast hook.
  void tlbi_inner_shareable(mmu::TlbiOp op, uint64_t operand) {
    tlbi(op, operand);
    if (tlbi_broadcast_ != nullptr) tlbi_broadcast_(tlbi_broadcast_ctx_, *this, op, operand);
  }
  // Called after this core executes a TLBI *IS (already applied locally) so the caller
  // can apply it to the other vCPUs of the Inner Shareable domain. Optional; without it
  // the IS forms act on this core only.
  using TlbiBroadcast = void (*)(void* ctx, Core& origin, mmu::TlbiOp op, uint64_t operand);
  void set_tlbi_broadcast(TlbiBroadcast fn, void* ctx) {
    tlbi_broadcast_ = fn;
    tlbi_broadcast_ctx_ = ctx;
  }
  mmu::Mmu& mmu() { return mmu_; }
  const mmu::Mmu& mmu() const { return mmu_; }

  // Drops every decoded block (e.g. after the guest image is reloaded).
  void flush_decoded();
  // Called by PhysMem when a page holding decoded code is written.
  void invalidate_code_page(uint64_t page);

  // ---- used by instruction handlers ----
  // Threaded dispatch (interp::next): a handler that completes continues straight into
  // the next instruction's handler, recording it as current (set_current) so the run loop
  // can tell where the block was left. Where the loop runs instructions one at a time
  // (timing, trace, the end of the budget) it runs them from Block::steps, whose stop
  // slots end that chain after each one, and chaining() is off, so that branches do not
  // chain into other blocks either.
  bool chaining() const { return chain_; }
  // The return of a plain branch (PC set, nothing else changed): while chaining, and
  // when the block at PC is a linked successor of this one (Block::succ) that passes the
  // block-entry checks of the run loop (context stamp, attention word) and fits the
  // budget, continues straight into the next one; otherwise Flow::kJump to the run loop.
  // The run loop counts the chained blocks when the chain ends (from chain_left_), all at
  // the EL the chain started at: a branch cannot change the EL. A run of chained blocks is
  // bounded (kMaxChainInsns) so that the host stack stays bounded where handlers do not
  // end in tail calls.
  Flow next_block([[maybe_unused]] const DecodedInst& i) {
    if (!chain_) return Flow::kJump;
    const uint64_t pc = s_.pc;
    Block* const cur = prev_;  // the block this branch ends
    // A branch ends its block (decoder::ends_block): the whole block retires.
    assert(&i == cur->insts.data() + cur->count - 1);
    // Two probes, each a host branch: their outcome, like the guest branch's, is in the
    // host's branch history when it predicts the jump into the next block. (Indexing
    // succ by "PC is the fall-through" would need one probe, but that jump then goes
    // mispredicted far more often.)
    Block* b = cur->succ[0];
    if (b->pc != pc) {
      b = cur->succ[1];
      if (b->pc != pc) return Flow::kJump;
    }
    if (((b->ctx ^ ctx_) | attention_.load(std::memory_order_relaxed)) != 0) return Flow::kJump;
    if (b->count > chain_left_) return Flow::kJump;
    chain_left_ -= b->count;
    prev_ = b;
    const DecodedInst* const first = b->insts.data();
    cur_ = first;
    return first->fn(*this, *first);
  }
  void set_current(const DecodedInst* i) { cur_ = i; }
  SysRegPort* sysreg_port() const { return port_; }
  void switch_sp(uint8_t el, uint8_t spsel);  // bank the live SP and select a new one
  uint64_t sysreg(SysSlot s) const { return s_.sys[static_cast<size_t>(s)]; }
  void set_sysreg(SysSlot s, uint64_t v) { s_.sys[static_cast<size_t>(s)] = v; }
  void set_exit_imm(uint64_t v) { exit_imm_ = v; }
  ExitReason pending_exit_ = ExitReason::kBudget;

  // Data accesses take the inline RAM bounds check (VA == PA, no checks) only with
  // SCTLR_EL1.{M,A} = {0,0}; otherwise they go through the fast TLB.
  bool direct_data() const { return direct_data_; }
  // The inline MMU-off data path: an access of up to kDirectMaxAccess bytes at va is in
  // RAM, and needs nothing else, when va - direct_base() < direct_limit(). The limit is 0
  // unless direct_data() (so the one compare also tests it) and stops kDirectMaxAccess - 1
  // bytes short of the end of RAM, leaving the last bytes to the slow path, which checks
  // the exact size.
  static constexpr uint64_t kDirectMaxAccess = 64;  // LD4/ST4 of four Q registers
  uint64_t direct_base() const { return direct_base_; }
  uint64_t direct_limit() const { return direct_limit_; }
  uint8_t* ram_host() const { return ram_host_; }
  // After a store of kLen bytes through h (inside RAM): may it have written a page
  // holding decoded code? Two flag loads; if so, PhysMem::note_write_host decides and
  // drops the page's blocks.
  template <unsigned kLen>
  [[gnu::always_inline]] bool store_may_hit_code(const uint8_t* h) const {
    const uint64_t off = static_cast<uint64_t>(h - ram_host_);
    return (code_pages_[off >> kPageShift].load(std::memory_order_relaxed) |
            code_pages_[(off + kLen - 1) >> kPageShift].load(std::memory_order_relaxed)) != 0;
  }
  template <unsigned kLen>
  [[gnu::always_inline]] bool store_hits_code(const uint8_t* h) {
    return store_may_hit_code<kLen>(h) && mem_.note_write_host(h, kLen);
  }
  // The permission view of a data access: EL0 for LDTR/STTR, else the current EL.
  mmu::View data_view(bool unpriv) const { return unpriv ? mmu::kViewEl0 : static_cast<mmu::View>(s_.el); }
  // Re-reads SCTLR/TCR/TTBRn/MAIR_EL1 after a write: drops what the change invalidated.
  void sync_translation_regs();
  // Leaves run() with an MMIO exit: records the access and sets PC.
  Flow mmio_exit(const MmioAccess& access, ExitReason reason, uint64_t pc);
  // Leaves run() with ExitReason::kHostPage, PC at the instruction that must run again.
  Flow host_page_exit(uint64_t pc) {
    pending_exit_ = ExitReason::kHostPage;
    s_.pc = pc;
    return Flow::kExitUnretired;
  }

 private:
  struct BlockKey {
    uint64_t va, pa;
    bool operator==(const BlockKey&) const = default;
  };
  struct BlockKeyHash {
    size_t operator()(const BlockKey& k) const { return std::hash<uint64_t>{}(k.va * 0x9e3779b97f4a7c15ull ^ k.pa); }
  };

  // Translates and checks an instruction fetch at pc and finds or builds its block;
  // nullptr when an exception was taken instead.
  Block* lookup_block(uint64_t pc);
  Block* build_block(uint64_t pc, uint64_t pa);
  Flow fetch_abort(uint64_t pc, uint32_t fsc);
  // New translation context: jump-cache entries stamped with an older context stop
  // matching, so every block is re-entered through a fresh translation.
  void new_translation_context();
  void refresh_ctx() { ctx_ = (xlat_gen_ << 1) | ((mmu_.enabled() && s_.el == 0) ? 1 : 0); }
  // The run loop (docs/interpreter.md, "The run loop"). One pass of run_loop is three named
  // modes: block entry (enter_block: find the block at the PC, or take what is pending
  // first), then the block runs chained (run_chained: functional mode, the block fits the
  // budget; handlers call into each other and branches into further blocks) or stepped
  // (run_stepped: one instruction at a time, for the tracer, the timing model or a budget
  // ending inside the block); settle_block then counts what it retired and decides whether
  // the loop goes on. Invariant: every instruction a mode retires is added to retired_el_
  // as the block settles, and to retired_total_ only in finish_run, the loop's one exit.
  enum class Entry : uint8_t { kRun, kRetry, kStop, kExceptionLoop, kHostPage };
  bool fetch_host_page_ = false;  // lookup_block stopped at a slot page the host lacks
  struct BlockRun {
    Flow flow;           // how the last instruction run left (kNext: the budget ended)
    uint64_t retired;    // instructions retired, chained blocks included
    bool chained_more;   // the run entered blocks after the first (progress, whatever the last did)
  };
  enum class Verdict : uint8_t { kContinue, kExit, kExceptionLoop };
  template <bool kTiming>
  Block* enter_block(Entry& why);  // nullptr: nothing to run, `why` says what instead
  BlockRun run_chained(Block* b, uint64_t avail);
  template <bool kTrace, bool kTiming>
  BlockRun run_stepped(Block* b, uint64_t avail, uint8_t block_el);
  Verdict settle_block(const BlockRun& r, uint8_t block_el, uint64_t& retired);
  RunResult finish_run(ExitReason why, uint64_t retired);
  template <bool kTrace, bool kTiming>
  RunResult run_loop(uint64_t max_insns);

  CpuState s_;
  IdRegs ids_;
  uint32_t features_;  // decoder::FeatureSet of ids_: rows whose feature is absent are UNDEFINED
  PhysMem& mem_;
  SysRegPort* port_ = nullptr;
  timing::TimingModel* timing_ = nullptr;
  Tracer tracer_;
  uint64_t exit_imm_ = 0;
  uint64_t retired_total_ = 0;
  std::array<uint64_t, 2> retired_el_{};
  const DecodedInst* cur_ = nullptr;          // the instruction executing (while chaining)
  bool chain_ = false;
  // Block chaining from branch handlers (next_block): the block executing (the last one
  // entered, whose links are tried), the instructions the chain may retire from the start
  // of the block the run loop dispatched (the run's budget, capped at kMaxChainInsns),
  // and what is left of that once the block executing completes. The blocks chained
  // before the one executing thus retired chain_budget_ - chain_left_ - prev_->count.
  // Outside a chain (one instruction at a time) chain_budget_ = prev_->count and
  // chain_left_ = 0.
  Block* prev_ = nullptr;
  uint64_t chain_budget_ = 0;
  uint64_t chain_left_ = 0;
  static constexpr uint64_t kMaxChainInsns = 1024;
  const DecodedInst* port_at_ = nullptr;       // the instruction making a port access
  // With a timing model: how many instructions of the block now running the model has
  // counted (the run loop counts them in bulk; a port access brings the count up to it).
  uint32_t timing_counted_ = 0;
  // The rare conditions a block entry must look at, one bit each so the fast path tests
  // them all with one load. Stop and remote are set by other threads (kicks, posted
  // work); IRQ and IL by this core's own thread. IL may stay set after PSTATE.IL is
  // cleared (exception entry): the slow path then drops it.
  static constexpr uint32_t kAttnStop = 1;    // request_stop()
  static constexpr uint32_t kAttnRemote = 2;  // the inbox below is not empty
  static constexpr uint32_t kAttnIrq = 4;     // irq_pending_
  static constexpr uint32_t kAttnIl = 8;      // PSTATE.IL may be set
  static constexpr uint32_t kAttnDropped = 16;  // free_dropped_blocks() has work
  std::atomic<uint32_t> attention_{0};
  bool irq_pending_ = false;
  bool smc_traps_ = false;
  bool semihosting_ = true;
  struct Inbox {
    std::mutex m;
    std::vector<uint64_t> code_pages;
    std::vector<std::pair<mmu::TlbiOp, uint64_t>> tlbis;
  } inbox_;
  void drain_inbox();
  unsigned faults_without_progress_ = 0;
  FaultRecord loop_origin_;

  // The translation context stamp blocks are checked against on every block entry:
  // (generation << 1) | (MMU on and at EL0). The generation moves on every TLBI and
  // every write that changes translation; the low bit keeps EL1 and EL0 fetch
  // permissions apart.
  uint64_t xlat_gen_ = 0;
  uint64_t ctx_ = 0;
  // The VA pages (untagged, as TLBI operands name them) that blocks were entered through
  // under the current generation. A TLBI by VA of any other page cannot change a
  // translation a current block depends on, so it leaves the generation alone: Linux
  // issues tens of thousands of those (page-table and vmalloc upkeep) while it boots,
  // and moving the generation on each one made every block re-validate itself. Pages
  // cut from block leaves are the MMU's to report (Mmu::tlbi), and a full set makes
  // every TLBI by VA move the generation on.
  struct ExecPages {
    static constexpr size_t kSlots = 256;
    static constexpr size_t kMaxUsed = kSlots / 2;  // probe chains stay short
    std::array<uint64_t, kSlots> page{};
    std::array<uint64_t, kSlots> gen{};  // a slot is used only if it holds the generation + 1
    size_t used = 0;
    bool full = false;
  } exec_pages_;
  void note_exec_page(uint64_t pc);
  bool exec_page_noted(uint64_t va) const;
  bool direct_data_ = true;
  uint64_t direct_base_ = 0;
  uint64_t direct_limit_ = 0;
  uint8_t* ram_host_ = nullptr;  // PhysMem's, fixed for its lifetime
  const std::atomic<uint8_t>* code_pages_ = nullptr;
  mmu::Mmu mmu_;
  MmioAccess mmio_;
  bool mmio_read_pending_ = false;
  TlbiBroadcast tlbi_broadcast_ = nullptr;
  void* tlbi_broadcast_ctx_ = nullptr;

  static constexpr size_t kFastCacheSize = 4096;
  // The context stamp of the miss block and of dropped blocks: ctx_ never takes it (it
  // would take 2^63 translation changes).
  static constexpr uint64_t kCtxNever = ~uint64_t{0};
  static constexpr size_t kDroppedFloor = 64;
  // Empty jump-cache slots point here: its PC is misaligned and its stamp never current,
  // so the run loop needs no null check.
  Block miss_block_;
  // Resets every live Block::succ and the miss block's.
  void unlink_all();
  // Takes a block out of use: it may be executing and live blocks may link to it, so it
  // stays allocated, with a stamp no context has, until free_dropped_blocks().
  void drop_block(std::unique_ptr<Block> b);
  // With no block executing (between run() calls, or at the run loop's top): frees the
  // dropped blocks once there are enough of them to pay for the unlink_all() that must
  // come first, so a guest that keeps writing to its code pages costs O(1) per dropped
  // block, not O(live blocks), and holds a bounded number of them.
  void free_dropped_blocks();
  bool too_many_dropped() const { return dropped_blocks_.size() > kDroppedFloor + blocks_.size() / 4; }
  std::array<Block*, kFastCacheSize> fast_{};
  std::unordered_map<BlockKey, std::unique_ptr<Block>, BlockKeyHash> blocks_;
  std::unordered_map<uint64_t, std::vector<BlockKey>> page_blocks_;  // physical page -> blocks
  std::vector<std::unique_ptr<Block>> dropped_blocks_;  // see drop_block()
  uint64_t port_value_ = 0;  // see port_value(); last, so the hot members keep their layout
};

}  // namespace cpu
