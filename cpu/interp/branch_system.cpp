// Branches, exception generation and system instructions (Arm ARM C4.1.87).
#include <atomic>

#include "cpu/decoder/fields.h"
#include "cpu/interp/fpsimd_common.h"
#include "cpu/interp/interp_common.h"
#include "cpu/interp/port_access.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/visitor.h"
#include "cpu/sysreg/sysregs.h"

namespace cpu::interp {
namespace {

using arch::esr::Ec;
namespace esr = arch::esr;

// ---------------- branches ----------------
Flow op_b(Core& c, const DecodedInst& i) {
  c.state().pc = i.imm;
  return c.next_block(i);
}
Flow op_bl(Core& c, const DecodedInst& i) {
  R(c, 30) = i.pc + 4;
  c.state().pc = i.imm;
  return c.next_block(i);
}
Flow op_b_cond(Core& c, const DecodedInst& i) {
  c.state().pc = cond_row_holds(i.imm2, c.state().nzcv) ? i.imm : i.pc + 4;
  return c.next_block(i);
}
template <bool k64, bool kNonZero>
Flow op_cbz(Core& c, const DecodedInst& i) {
  const bool zero = rd<k64>(c, i.n) == 0;
  c.state().pc = (zero != kNonZero) ? i.imm : i.pc + 4;
  return c.next_block(i);
}
template <bool kNonZero>
Flow op_tbz(Core& c, const DecodedInst& i) {
  const bool set = (R(c, i.n) >> i.f0) & 1;
  c.state().pc = (set == kNonZero) ? i.imm : i.pc + 4;
  return c.next_block(i);
}
Flow op_br(Core& c, const DecodedInst& i) {
  c.state().pc = R(c, i.n);
  return c.next_block(i);
}
Flow op_blr(Core& c, const DecodedInst& i) {
  const uint64_t target = R(c, i.n);  // read before LR is written: BLR X30 is valid
  R(c, 30) = i.pc + 4;
  c.state().pc = target;
  return c.next_block(i);
}

// ERET (Arm ARM D1.11 "Exception return"): restore PSTATE from SPSR_EL1 and PC from
// ELR_EL1. A return to AArch32, to EL2/EL3 or to EL0 with SP_ELx is an illegal return:
// PSTATE.IL is set and EL/SP stay as they are.
Flow op_eret(Core& c, const DecodedInst& i) {
  if (c.state().el == 0) return c.undefined(i);
  const uint64_t spsr = c.sysreg(SysSlot::SPSR_EL1);
  const uint64_t elr = c.sysreg(SysSlot::ELR_EL1);
  const unsigned m = spsr & 0x1f;
  const bool legal = (m == 0x0 /*EL0t*/ || m == 0x4 /*EL1t*/ || m == 0x5 /*EL1h*/);
  if (legal) {
    c.set_pstate_bits(spsr);
  } else {
    c.state().nzcv = static_cast<uint32_t>(spsr & 0xf0000000u);
    c.state().daif = static_cast<uint32_t>(spsr & 0x3c0);
    c.set_illegal_state();
  }
  c.state().pc = elr;
  return Flow::kJump;
}

// ---------------- exception generation ----------------
Flow op_svc(Core& c, const DecodedInst& i) {
  // The preferred return address of SVC is the next instruction.
  c.take_sync_exception(esr::make(Ec::kSvc64, static_cast<uint32_t>(i.imm)), i.pc + 4);
  return Flow::kJump;  // retired: SVC counts as executed
}
Flow op_brk(Core& c, const DecodedInst& i) {
  return c.take_sync_exception(esr::make(Ec::kBrk64, static_cast<uint32_t>(i.imm)), i.pc);
}
// HVC from EL1 goes to the hypervisor; at EL0 it is UNDEFINED (Arm ARM C6.2.x HVC).
Flow op_hvc(Core& c, const DecodedInst& i) {
  if (c.state().el == 0) return c.undefined(i);
  c.set_exit_imm(i.imm);
  c.pending_exit_ = ExitReason::kHvc;
  c.state().pc = i.pc + 4;
  return Flow::kExit;
}
// No EL3 is implemented, so SMC is UNDEFINED (Arm ARM: SMC when EL3 is not implemented),
// except at EL1 under a hypervisor that sets HCR_EL2.TSC: from Armv8.3 that traps to EL2
// even without EL3. A trapped instruction does not retire; the hypervisor steps past it.
Flow op_smc(Core& c, const DecodedInst& i) {
  if (c.state().el == 0 || !c.smc_traps()) return c.undefined(i);
  c.set_exit_imm(i.imm);
  c.pending_exit_ = ExitReason::kSmc;
  c.state().pc = i.pc + 4;
  return Flow::kExitUnretired;
}
// HLT #0xF000 is the A64 semihosting trap; it is honoured at EL1 only (as QEMU does by
// default) and where the core offers semihosting; any other HLT is UNDEFINED because
// halting debug is not enabled.
constexpr uint64_t kSemihostingImm = 0xF000;
Flow op_hlt(Core& c, const DecodedInst& i) {
  if (i.imm != kSemihostingImm || c.state().el == 0 || !c.semihosting()) return c.undefined(i);
  c.pending_exit_ = ExitReason::kSemihosting;
  c.state().pc = i.pc + 4;
  return Flow::kExit;
}

// ---------------- hints and barriers ----------------
Flow op_nop(Core&, const DecodedInst&) { return Flow::kNext; }
// WFI completes at once when an interrupt is pending, even a masked one (Arm ARM D1.6.2
// "Wait for Interrupt"); otherwise the vCPU halts and the caller decides when to wake it.
Flow op_wfi(Core& c, const DecodedInst& i) {
  if (c.irq_pending()) return Flow::kNext;
  c.pending_exit_ = ExitReason::kWfi;
  c.state().pc = i.pc + 4;
  return Flow::kExit;
}
// WFE completes at once when the event register is set (clearing it); with no other
// event source modelled yet it also completes, which the architecture permits.
Flow op_wfe(Core& c, const DecodedInst&) {
  c.state().event_register = false;
  return Flow::kNext;
}
Flow op_sev(Core& c, const DecodedInst&) {
  c.state().event_register = true;
  return Flow::kNext;
}
Flow op_clrex(Core& c, const DecodedInst&) {
  c.state().excl_valid = false;
  return Flow::kNext;
}

// ---------------- system registers ----------------
// EL0 access check. Returns kNext when allowed; otherwise the exception was taken.
Flow check_el0(Core& c, const DecodedInst& i, sysreg::El0 rule, bool is_read) {
  if (c.state().el != 0) return Flow::kNext;
  const uint64_t sctlr = c.sysreg(SysSlot::SCTLR_EL1);
  bool ok = false;
  switch (rule) {
    case sysreg::El0::kNever: return c.undefined(i);
    case sysreg::El0::kAlways: return Flow::kNext;
    case sysreg::El0::kReadOnly: return is_read ? Flow::kNext : c.undefined(i);
    case sysreg::El0::kUma: ok = (sctlr >> 9) & 1; break;
    case sysreg::El0::kUct: ok = (sctlr >> 15) & 1; break;
    case sysreg::El0::kDze: ok = (sctlr >> 14) & 1; break;
    case sysreg::El0::kUci: ok = (sctlr >> 26) & 1; break;
  }
  if (ok) return Flow::kNext;
  // Disabled-but-configurable EL0 accesses trap to EL1 with EC 0x18 and their syndrome,
  // which the MRS/MSR predecode made from the row's fields (imm2's low half).
  return c.take_sync_exception(esr::make(Ec::kSys64, port_iss(i)), i.pc);
}

// An access the core does not own: hand it to the port with the EC 0x18 ISS.
// imm2's high half before the port was asked for a route (SysRegPort::bind never gives it:
// a route is either 0 or the port's own non-zero id, and the marker is out of its range).
constexpr uint32_t kRouteUnbound = 0xffffffff;
template <bool kRead>
Flow trap_to_port(Core& c, const DecodedInst& i) {
  SysRegPort* port = c.sysreg_port();
  if (port == nullptr) return c.undefined(i);
  const uint32_t iss = port_iss(i);
  uint32_t route = port_route(i);
  if (route == kRouteUnbound) [[unlikely]] {
    // The block is owned by the core's thread, which alone writes it.
    route = port->bind(iss);
    DecodedInst& self = const_cast<DecodedInst&>(i);
    self.imm2 = uint64_t{route} << 32 | iss;
    // From the next execution on, the port's own handler for the route, if it has one.
    if (const Handler h = port->bound_handler(route, kRead); h != nullptr) self.fn = h;
  }
  // Route 0 (unbound) goes to handle() through handle_bound()'s contract.
  uint64_t& value = start_port_access<kRead>(c, i);
  return finish_port_access<kRead>(c, i, port->handle_bound(c, route, iss, value));
}

// DMB/DSB: a full host fence, so that cores on host threads (--threads) see each other's
// plain accesses in the order a barrier-using guest relies on (the host's store buffer is
// the one reordering x86 allows: a store followed by a load of another location).
Flow op_barrier(Core&, const DecodedInst&) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return Flow::kNext;
}

// Registers the port owns get these at predecode, skipping the sysreg table on every trap.
Flow op_mrs_port(Core& c, const DecodedInst& i) { return trap_to_port<true>(c, i); }
Flow op_msr_port(Core& c, const DecodedInst& i) { return trap_to_port<false>(c, i); }

// FPCR and FPSR are SIMD&FP state: CPACR_EL1.FPEN traps their MRS/MSR like any FP/SIMD
// instruction (EC 0x07; AArch64.CheckFPAdvSIMDEnabled in their access pseudocode).
bool is_fp_status_reg(const sysreg::Info& info) {
  return info.key == arch::sysreg(3, 3, 4, 4, 0) || info.key == arch::sysreg(3, 3, 4, 4, 1);
}

Flow op_mrs(Core& c, const DecodedInst& i) {
  const sysreg::Info& info = sysreg::at(static_cast<int>(i.imm));
  if (info.kind == sysreg::Kind::kTrap) return trap_to_port<true>(c, i);
  if (is_fp_status_reg(info) && !fp_enabled(c)) return fp_trap(c, i);
  if (Flow f = check_el0(c, i, info.el0, true); f != Flow::kNext) return f;
  if (!info.readable) return c.undefined(i);
  R(c, i.d) = info.kind == sysreg::Kind::kSlot ? c.sysreg(info.slot) : info.read(c);
  return Flow::kNext;
}
Flow op_msr(Core& c, const DecodedInst& i) {
  const sysreg::Info& info = sysreg::at(static_cast<int>(i.imm));
  // A trapped write changes no translation or PSTATE state: it stays in its block unless
  // the port says otherwise.
  if (info.kind == sysreg::Kind::kTrap) return trap_to_port<false>(c, i);
  if (is_fp_status_reg(info) && !fp_enabled(c)) return fp_trap(c, i);
  if (Flow f = check_el0(c, i, info.el0, false); f != Flow::kNext) return f;
  if (!info.writable) return c.undefined(i);
  // MSR SP_EL0 while SP_EL0 is the current stack pointer is UNDEFINED.
  if (info.key == arch::sysreg(3, 0, 4, 1, 0) && c.state().spsel == 0) return c.undefined(i);
  const uint64_t v = R(c, i.n);
  // A slot row with a write hook (the translation registers) stores through the hook,
  // which also applies the side effects of the write.
  if (info.write != nullptr) info.write(c, v); else c.set_sysreg(info.slot, v);
  c.state().pc = i.pc + 4;
  return Flow::kJump;  // context may have changed: leave the block
}

// MSR (immediate) to PSTATE fields: SPSel, DAIFSet, DAIFClr. Others are not implemented.
Flow op_msr_imm(Core& c, const DecodedInst& i) {
  const unsigned field = i.f0, crm = i.f1;
  if (field == 0x05) {  // SPSel
    if (c.state().el == 0) return c.undefined(i);
    c.switch_sp(c.state().el, crm & 1);
  } else {
    if (c.state().el == 0 && !((c.sysreg(SysSlot::SCTLR_EL1) >> 9) & 1)) {
      return c.take_sync_exception(esr::make(Ec::kSys64, arch::SysRegKey{0, 3, 4, static_cast<uint8_t>(crm),
                                                                           static_cast<uint8_t>(field & 7)}
                                                             .to_esr_iss(31, false)),
                                   i.pc);
    }
    if (field == 0x1e) c.state().daif |= (crm & 0xf) << 6;
    else c.state().daif &= ~((crm & 0xfu) << 6);
  }
  c.state().pc = i.pc + 4;
  return Flow::kJump;
}

// TLBI <op>E1{IS} by op2 (Arm ARM C5.5, op1 = 0, CRn = 8, CRm = 3 (IS) or 7); op2 4 and
// 6 are not allocated and never decoded (pre_SYS).
constexpr mmu::TlbiOp kTlbiByOp2[8] = {
    mmu::TlbiOp::kVmallE1, mmu::TlbiOp::kVaE1,    mmu::TlbiOp::kAsidE1,  mmu::TlbiOp::kVaaE1,
    mmu::TlbiOp::kVmallE1, mmu::TlbiOp::kVaLE1,   mmu::TlbiOp::kVmallE1, mmu::TlbiOp::kVaaLE1};
static_assert(kTlbiByOp2[0] == mmu::TlbiOp::kVmallE1 && kTlbiByOp2[1] == mmu::TlbiOp::kVaE1 &&
                  kTlbiByOp2[2] == mmu::TlbiOp::kAsidE1 && kTlbiByOp2[3] == mmu::TlbiOp::kVaaE1 &&
                  kTlbiByOp2[5] == mmu::TlbiOp::kVaLE1 && kTlbiByOp2[7] == mmu::TlbiOp::kVaaLE1,
              "TLBI op2 encodings (Arm ARM C5.5)");
constexpr unsigned kTlbiCrmInnerShareable = 3;

// DC ZVA (Arm ARM C5.3.x): zeroes the naturally aligned block DCZID_EL0.BS describes. It
// behaves as stores to every byte (write permission, WnR = 1, CM = 0); Device memory
// gives an Alignment fault; outside RAM it is an MMIO exit without syndrome.
Flow dc_zva(Core& c, const DecodedInst& i) {
  const uint16_t block = static_cast<uint16_t>(4u << (c.ids().dczid & 0xf));
  const uint64_t addr = R(c, i.n) & ~uint64_t{block - 1u};
  uint8_t* h = c.direct_data()
                   ? (c.mem().contains(addr, block) ? c.mem().ptr(addr) : nullptr)
                   : c.mmu().fast().lookup<mmu::AccessType::kWrite>(c.data_view(false), addr, block - 1u);
  if (h == nullptr) {
    const mmu::DataAccess a{.size = block, .align = block, .type = mmu::AccessType::kWrite, .device_faults = true};
    if (const Flow f = mmu::resolve_slow(c, i, addr, a, h); f != Flow::kNext) return f;
  }
  guest_zero(h, block);
  c.mem().note_write_host(h, block);
  return Flow::kNext;
}

// AT S1E1R/W and S1E0R/W (op1 = 0, CRn = 7, CRm = 8, op2 = 0..3): the result goes to
// PAR_EL1; a walk's external abort is taken as a Data Abort.
Flow at(Core& c, const DecodedInst& i, unsigned op2) {
  const mmu::View view = (op2 & 2) ? mmu::kViewEl0 : mmu::kViewEl1;
  const mmu::AccessType type = (op2 & 1) ? mmu::AccessType::kWrite : mmu::AccessType::kRead;
  const uint64_t va = R(c, i.n);
  mmu::Fault walk_abort;
  const uint64_t par = c.mmu().at(va, view, type, walk_abort);
  // Its walk reading outside every memory slot faults at stage 2, and KVM injects a plain
  // synchronous external abort (kvm_handle_guest_abort(): kvm_inject_dabt for a fault on
  // the stage-1 walk): no WnR, no CM.
  // A walk through a slot page the host has not populated waits for the page, as the
  // hardware's stage-2 fault on the walk makes KVM do, and the AT is retried.
  if (walk_abort.kind == mmu::FaultKind::kHostPage) return c.host_page_exit(i.pc);
  if (!walk_abort.ok()) return data_abort(c, i, va, false, mmu::fault_status(walk_abort));
  c.set_sysreg(SysSlot::PAR_EL1, par);
  return Flow::kNext;
}

// SYS: cache maintenance, TLB maintenance and address translation. Cache maintenance by
// VA is a no-op with no caches modelled (as in QEMU, it does not translate and cannot
// fault); DC ZVA writes zeros; TLBI and AT go to the MMU.
Flow op_sys(Core& c, const DecodedInst& i) {
  const unsigned op1 = i.f0, crn = i.f1, crm = i.f2, op2 = i.f3;
  const bool is_dc = crn == 7 && op1 == 3 && crm == 4 && op2 == 1;  // DC ZVA
  const bool el0_ok = (crn == 7 && op1 == 3);  // DC CVAU/CVAC/CIVAC/ZVA, IC IVAU
  if (c.state().el == 0) {
    if (!el0_ok) return c.undefined(i);
    const uint64_t sctlr = c.sysreg(SysSlot::SCTLR_EL1);
    const bool allowed = is_dc ? ((sctlr >> 14) & 1) : ((sctlr >> 26) & 1);
    if (!allowed) {
      const auto key = arch::SysRegKey{1, static_cast<uint8_t>(op1), static_cast<uint8_t>(crn),
                                       static_cast<uint8_t>(crm), static_cast<uint8_t>(op2)};
      return c.take_sync_exception(esr::make(Ec::kSys64, key.to_esr_iss(i.n, false)), i.pc);
    }
  }
  if (is_dc) {
    if (const Flow f = dc_zva(c, i); f != Flow::kNext) return f;
  } else if (crn == 8) {
    const mmu::TlbiOp op = kTlbiByOp2[op2];
    if (crm == kTlbiCrmInnerShareable) c.tlbi_inner_shareable(op, R(c, i.n)); else c.tlbi(op, R(c, i.n));
  } else if (crn == 7 && crm == 8 && op1 == 0 && op2 < 4) {
    if (const Flow f = at(c, i, op2); f != Flow::kNext) return f;
  }
  c.state().pc = i.pc + 4;
  return Flow::kRestart;  // DC ZVA may have written code; TLBI may change translation
}

}  // namespace

Flow op_undefined(Core& c, const DecodedInst& i) { return c.undefined(i); }

// The predecode functions take the fields of their row's pattern as parameters, in pattern
// order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern.

namespace {
// B, BL: imm26 words from the instruction.
bool pre_branch_imm(DecodedInst& i, Handler fn, F<'i'> imm26) {
  i.imm = i.pc + (arch::sign_extend(imm26, 26) << 2);
  i.fn = fn;
  return true;
}
// CBZ, CBNZ (Rt in n: the row's roles say so; sf in f0 for the load/CBZ fusion).
template <bool kNonZero>
bool pre_cb(DecodedInst& i, F<'f'> sf, F<'i'> imm19, F<'t'> rt) {
  i.imm = i.pc + (arch::sign_extend(imm19, 19) << 2);
  i.n = rzr(rt);
  i.f0 = static_cast<uint8_t>(sf);
  i.fn = sf ? &op_cbz<true, kNonZero> : &op_cbz<false, kNonZero>;
  return true;
}
// TBZ, TBNZ: the pattern's b is b5:b40, the bit number.
template <bool kNonZero>
bool pre_tb(DecodedInst& i, F<'b'> bit_pos, F<'i'> imm14, F<'t'> rt) {
  i.imm = i.pc + (arch::sign_extend(imm14, 14) << 2);
  i.f0 = static_cast<uint8_t>(bit_pos);
  i.n = rzr(rt);
  i.fn = &op_tbz<kNonZero>;
  return true;
}
// BR, BLR, RET.
template <Handler kFn>
bool pre_branch_reg(DecodedInst& i, F<'n'> rn) {
  i.n = rzr(rn);
  i.fn = kFn;
  return true;
}
// SVC, HVC, SMC, BRK, HLT: imm16 is the syndrome's ISS.
template <Handler kFn>
bool pre_exception(DecodedInst& i, F<'i'> imm16) {
  i.imm = imm16;
  i.fn = kFn;
  return true;
}
// CLREX, DSB, DMB, ISB: CRm (the barrier's domain and type, or CLREX's ignored field)
// changes nothing in a single-copy model with one observer per access.
template <Handler kFn>
bool pre_barrier(DecodedInst& i, F<'m'> /*crm*/) {
  i.fn = kFn;
  return true;
}
// MSR (register), MRS: o is o0:op1 (op0 = 2 + o0), then CRn, CRm, op2, Rt.
arch::SysRegKey sysreg_key(unsigned o0_op1, unsigned crn, unsigned crm, unsigned op2) {
  return arch::SysRegKey{static_cast<uint8_t>(2 + (o0_op1 >> 3)), static_cast<uint8_t>(o0_op1 & 7),
                         static_cast<uint8_t>(crn), static_cast<uint8_t>(crm), static_cast<uint8_t>(op2)};
}
}  // namespace

bool pre_B(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::B>(i, insn, [](DecodedInst& i, F<'i'> imm26) { return pre_branch_imm(i, &op_b, imm26); });
}
bool pre_BL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::BL>(i, insn, [](DecodedInst& i, F<'i'> imm26) { return pre_branch_imm(i, &op_bl, imm26); });
}
bool pre_B_cond(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::B_cond>(i, insn, [](DecodedInst& i, F<'i'> imm19, F<'c'> cond) {
    i.imm = i.pc + (arch::sign_extend(imm19, 19) << 2);
    i.f0 = static_cast<uint8_t>(cond);
    i.imm2 = kCondTable[i.f0];  // the condition's row, looked up once here
    i.fn = &op_b_cond;
    return true;
  });
}
bool pre_CBZ(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CBZ>(i, insn, pre_cb<false>); }
bool pre_CBNZ(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CBNZ>(i, insn, pre_cb<true>); }
bool pre_TBZ(DecodedInst& i, uint32_t insn) { return with_fields<pattern::TBZ>(i, insn, pre_tb<false>); }
bool pre_TBNZ(DecodedInst& i, uint32_t insn) { return with_fields<pattern::TBNZ>(i, insn, pre_tb<true>); }
bool pre_BR(DecodedInst& i, uint32_t insn) { return with_fields<pattern::BR>(i, insn, pre_branch_reg<&op_br>); }
bool pre_BLR(DecodedInst& i, uint32_t insn) { return with_fields<pattern::BLR>(i, insn, pre_branch_reg<&op_blr>); }
bool pre_RET(DecodedInst& i, uint32_t insn) { return with_fields<pattern::RET>(i, insn, pre_branch_reg<&op_br>); }
bool pre_ERET(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::ERET>(i, insn, [](DecodedInst& i) {
    i.fn = &op_eret;
    return true;
  });
}

bool pre_SVC(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SVC>(i, insn, pre_exception<&op_svc>); }
bool pre_HVC(DecodedInst& i, uint32_t insn) { return with_fields<pattern::HVC>(i, insn, pre_exception<&op_hvc>); }
bool pre_SMC(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SMC>(i, insn, pre_exception<&op_smc>); }
bool pre_BRK(DecodedInst& i, uint32_t insn) { return with_fields<pattern::BRK>(i, insn, pre_exception<&op_brk>); }
bool pre_HLT(DecodedInst& i, uint32_t insn) { return with_fields<pattern::HLT>(i, insn, pre_exception<&op_hlt>); }

bool pre_HINT(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::HINT>(i, insn, [](DecodedInst& i, F<'m'> crm, F<'o'> op2) {
    // CRm:op2 selects the hint; unallocated hints execute as NOP (Arm ARM C6.2 HINT).
    static constexpr Handler kHints[8] = {&op_nop, &op_nop /*YIELD*/, &op_wfe, &op_wfi,
                                          &op_sev, &op_sev /*SEVL*/, &op_nop, &op_nop};
    const unsigned sel = (crm << 3) | op2;
    i.fn = sel < 8 ? kHints[sel] : &op_nop;
    return true;
  });
}
bool pre_CLREX(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CLREX>(i, insn, pre_barrier<&op_clrex>); }
bool pre_DSB(DecodedInst& i, uint32_t insn) { return with_fields<pattern::DSB>(i, insn, pre_barrier<&op_barrier>); }
bool pre_DMB(DecodedInst& i, uint32_t insn) { return with_fields<pattern::DMB>(i, insn, pre_barrier<&op_barrier>); }
bool pre_ISB(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ISB>(i, insn, pre_barrier<&op_nop>); }

bool pre_MSR_imm(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::MSR_imm>(i, insn, [](DecodedInst& i, F<'o'> op1, F<'m'> crm, F<'p'> op2) {
    const unsigned field = (op1 << 3) | op2;
    // SPSel (op1=0, op2=5), DAIFSet (op1=3, op2=6), DAIFClr (op1=3, op2=7).
    if (field != 0x05 && field != 0x1e && field != 0x1f) return false;
    i.f0 = static_cast<uint8_t>(field);
    i.f1 = static_cast<uint8_t>(crm);
    i.fn = &op_msr_imm;
    return true;
  });
}
bool pre_SYS(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SYS>(i, insn, [](DecodedInst& i, F<'o'> op1, F<'n'> crn, F<'m'> crm, F<'p'> op2, F<'t'> rt) {
    // Allocated: cache maintenance (CRn 7), TLB maintenance (CRn 8) and AT (CRn 7, CRm 8).
    const bool dc_ic = crn == 7 && ((op1 == 0 && ((crm == 1 && op2 == 0) || (crm == 5 && op2 == 0) ||
                                                  (crm == 6 && (op2 == 1 || op2 == 2)) ||
                                                  (crm == 10 && op2 == 2) || (crm == 14 && op2 == 2) ||
                                                  (crm == 8 && op2 < 4))) ||
                                    (op1 == 3 && ((crm == 4 && op2 == 1) || (crm == 5 && op2 == 1) ||
                                                  (crm == 10 && op2 == 1) || (crm == 11 && op2 == 1) ||
                                                  (crm == 14 && op2 == 1))));
    const bool tlbi = crn == 8 && op1 == 0 && (crm == 3 || crm == 7) &&
                      (op2 == 0 || op2 == 1 || op2 == 2 || op2 == 3 || op2 == 5 || op2 == 7);
    if (!dc_ic && !tlbi) return false;
    i.f0 = static_cast<uint8_t>(op1);
    i.f1 = static_cast<uint8_t>(crn);
    i.f2 = static_cast<uint8_t>(crm);
    i.f3 = static_cast<uint8_t>(op2);
    i.n = rzr(rt);
    i.fn = &op_sys;
    return true;
  });
}
bool pre_MSR_reg(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::MSR_reg>(i, insn, [](DecodedInst& i, F<'o'> o0_op1, F<'n'> crn, F<'m'> crm, F<'p'> op2, F<'t'> rt) {
    const arch::SysRegKey key = sysreg_key(o0_op1, crn, crm, op2);
    const int idx = sysreg::find(key);
    if (idx < 0) return false;
    i.imm = static_cast<uint64_t>(idx);
    i.imm2 = uint64_t{kRouteUnbound} << 32 | key.to_esr_iss(rt, false);
    i.n = rzr(rt);
    i.fn = sysreg::at(idx).kind == sysreg::Kind::kTrap ? &op_msr_port : &op_msr;
    return true;
  });
}
bool is_port_write(const DecodedInst& i) { return i.fn == &op_msr_port; }
bool pre_MRS(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::MRS>(i, insn, [](DecodedInst& i, F<'o'> o0_op1, F<'n'> crn, F<'m'> crm, F<'p'> op2, F<'t'> rt) {
    const arch::SysRegKey key = sysreg_key(o0_op1, crn, crm, op2);
    const int idx = sysreg::find(key);
    if (idx < 0) return false;
    i.imm = static_cast<uint64_t>(idx);
    i.imm2 = uint64_t{kRouteUnbound} << 32 | key.to_esr_iss(rt, true);
    i.d = wzr(rt);
    i.fn = sysreg::at(idx).kind == sysreg::Kind::kTrap ? &op_mrs_port : &op_mrs;
    return true;
  });
}

}  // namespace cpu::interp
