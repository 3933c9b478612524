#include "cpu/core.h"

#include <cstring>

#include "cpu/arch/esr.h"
#include "cpu/decoder/decoder.h"
#include "cpu/interp/interp_common.h"
#include "cpu/sysreg/sysregs.h"

namespace cpu {

using arch::esr::Ec;
namespace esr = arch::esr;

namespace {
// Blocks stop at this many instructions so a budget check happens regularly.
constexpr size_t kMaxBlockInsns = 64;
// This many exceptions in a row without one retired instruction means the guest can make
// no progress (e.g. a fault whose handler address faults too).
constexpr unsigned kExceptionLoopLimit = 64;
// Vector offsets from VBAR_EL1 (Arm ARM D1.10.2).
constexpr uint64_t kVecCurrentSp0 = 0x000, kVecCurrentSpx = 0x200, kVecLowerA64 = 0x400;
constexpr uint64_t kVecIrqOffset = 0x80;
constexpr uint32_t kDaifI = 1u << 7;
}  // namespace

void PhysMem::write(uint64_t pa, const void* src, uint64_t len) {
  if (len == 0) return;
  std::memcpy(ptr(pa), src, len);
  note_write(pa, len);
}

void PhysMem::invalidate(uint64_t page_index) {
  code_pages_[page_index] = 0;
  for (Core* c : cores_) c->invalidate_code_page(page_index);
}

Core::Core(PhysMem& mem, IdRegs ids) : ids_(ids), mem_(mem) {
  mem_.attach(this);
  reset(0);
}

Core::~Core() { mem_.detach(this); }

void Core::reset(uint64_t pc) {
  s_ = CpuState{};
  s_.el = 1;
  s_.spsel = 1;
  s_.daif = 0x3c0;  // D, A, I, F masked out of reset
  s_.pc = pc;
  sysreg::reset_all(*this);
  stop_requested_ = false;
  faults_without_progress_ = 0;
}

uint64_t Core::pstate_bits() const {
  const uint64_t m = (uint64_t{s_.el} << 2) | s_.spsel;
  return uint64_t{s_.nzcv} | s_.daif | (s_.il ? (1u << 20) : 0) | m;
}

void Core::set_pstate_bits(uint64_t spsr) {
  s_.nzcv = static_cast<uint32_t>(spsr & 0xf0000000u);
  s_.daif = static_cast<uint32_t>(spsr & 0x3c0);
  s_.il = (spsr >> 20) & 1;
  switch_sp(static_cast<uint8_t>((spsr >> 2) & 3), static_cast<uint8_t>(spsr & 1));
}

void Core::switch_sp(uint8_t el, uint8_t spsel) {
  // Bank the live SP into the register it belongs to, then load the newly selected one.
  if (s_.el == 0 || s_.spsel == 0) s_.sp_el0 = s_.r[kRegSp]; else s_.sp_el1 = s_.r[kRegSp];
  s_.el = el;
  s_.spsel = el == 0 ? 0 : spsel;
  s_.r[kRegSp] = (s_.el == 0 || s_.spsel == 0) ? s_.sp_el0 : s_.sp_el1;
}

Flow Core::take_sync_exception(uint32_t syndrome, uint64_t preferred_return, bool far_valid, uint64_t far) {
  const uint64_t vector = s_.el == 0 ? kVecLowerA64 : (s_.spsel ? kVecCurrentSpx : kVecCurrentSp0);
  set_sysreg(SysSlot::SPSR_EL1, pstate_bits());
  set_sysreg(SysSlot::ELR_EL1, preferred_return);
  set_sysreg(SysSlot::ESR_EL1, syndrome);
  if (far_valid) set_sysreg(SysSlot::FAR_EL1, far);
  if (faults_without_progress_ == 0) loop_origin_ = {syndrome, preferred_return, far_valid ? far : 0};
  // Exception entry: EL1 with SP_EL1, all of DAIF masked, IL cleared; the local exclusive
  // monitor is cleared so an interrupted LDXR/STXR sequence fails and retries.
  switch_sp(1, 1);
  s_.daif = 0x3c0;
  s_.il = false;
  s_.excl_valid = false;
  s_.pc = sysreg(SysSlot::VBAR_EL1) + vector;
  return Flow::kFault;
}

void Core::take_async_exception(uint64_t vector_offset) {
  const uint64_t base = s_.el == 0 ? kVecLowerA64 : (s_.spsel ? kVecCurrentSpx : kVecCurrentSp0);
  set_sysreg(SysSlot::SPSR_EL1, pstate_bits());
  set_sysreg(SysSlot::ELR_EL1, s_.pc);
  switch_sp(1, 1);
  s_.daif = 0x3c0;
  s_.il = false;
  s_.excl_valid = false;
  s_.pc = sysreg(SysSlot::VBAR_EL1) + base + vector_offset;
}

Flow Core::undefined(const DecodedInst& inst) {
  return take_sync_exception(esr::make(Ec::kUnknown, 0), inst.pc);
}

namespace interp {
Flow data_abort(Core& c, const DecodedInst& inst, uint64_t va, bool is_write, uint32_t fsc) {
  const Ec ec = c.state().el == 0 ? Ec::kDataAbortLower : Ec::kDataAbortSame;
  // ISV = 0: the instruction-specific syndrome is only reported for aborts taken to EL2.
  const uint32_t iss = fsc | (is_write ? esr::kIssWnR : 0);
  return c.take_sync_exception(esr::make(ec, iss), inst.pc, true, va);
}
}  // namespace interp

Flow Core::fetch_fault(uint64_t pc) {
  if (pc & 3) {
    return take_sync_exception(esr::make(Ec::kPcAlign, 0), pc, true, pc);
  }
  const Ec ec = s_.el == 0 ? Ec::kInstAbortLower : Ec::kInstAbortSame;
  return take_sync_exception(esr::make(ec, esr::kFscSyncExternal), pc, true, pc);
}

void Core::flush_decoded() {
  fast_.fill(nullptr);
  for (auto& [pc, b] : blocks_) retired_blocks_.push_back(std::move(b));
  blocks_.clear();
  page_blocks_.clear();
}

void Core::invalidate_code_page(uint64_t page) {
  auto it = page_blocks_.find(page);
  if (it == page_blocks_.end()) return;
  for (uint64_t pc : it->second) {
    auto b = blocks_.find(pc);
    if (b == blocks_.end()) continue;
    Block*& slot = fast_[(pc >> 2) % kFastCacheSize];
    if (slot == b->second.get()) slot = nullptr;
    // The block may be executing right now: keep it alive until run() returns.
    retired_blocks_.push_back(std::move(b->second));
    blocks_.erase(b);
  }
  page_blocks_.erase(it);
}

Block* Core::build_block(uint64_t pc) {
  auto block = std::make_unique<Block>();
  block->pc = pc;
  block->page = (pc - mem_.base()) >> kPageShift;
  uint64_t cur = pc;
  for (size_t n = 0; n < kMaxBlockInsns; ++n) {
    uint32_t word;
    std::memcpy(&word, mem_.ptr(cur), sizeof word);
    DecodedInst inst;
    const decoder::InsnId id = decoder::decode(word, cur, inst);
    block->insts.push_back(inst);
    cur += 4;
    if (decoder::ends_block(id)) break;
    // Stay within one page so a code write invalidates whole blocks exactly.
    if ((cur & (kPageSize - 1)) == 0 || !mem_.contains(cur, 4)) break;
  }
  mem_.mark_code_page(pc);
  Block* raw = block.get();
  page_blocks_[block->page].push_back(pc);
  blocks_[pc] = std::move(block);
  fast_[(pc >> 2) % kFastCacheSize] = raw;
  return raw;
}

Block* Core::lookup_block(uint64_t pc) {
  Block* b = fast_[(pc >> 2) % kFastCacheSize];
  if (b != nullptr && b->pc == pc) [[likely]] return b;
  auto it = blocks_.find(pc);
  if (it != blocks_.end()) {
    fast_[(pc >> 2) % kFastCacheSize] = it->second.get();
    return it->second.get();
  }
  return build_block(pc);
}

RunResult Core::run(uint64_t max_insns) {
  retired_blocks_.clear();  // no block is executing between run() calls
  return tracer_ ? run_loop<true>(max_insns) : run_loop<false>(max_insns);
}

template <bool kTrace>
RunResult Core::run_loop(uint64_t max_insns) {
  uint64_t retired = 0;
  stop_requested_ = false;
  while (retired < max_insns) {
    const uint64_t pc = s_.pc;
    Flow flow;
    Block* b = fast_[(pc >> 2) % kFastCacheSize];
    // Fast path: a cached block at this PC. A cached block implies the PC is aligned and
    // inside RAM, so only the rare conditions (stop request, PSTATE.IL) need checking.
    if (b == nullptr || b->pc != pc || (stop_requested_ | s_.il | irq_pending_)) [[unlikely]] {
      if (stop_requested_) {
        retired_total_ += retired;
        return {ExitReason::kStopRequested, retired};
      }
      if (irq_pending_ && (s_.daif & kDaifI) == 0) {
        // IRQ taken to EL1 between instructions; ELR is the next instruction to execute.
        take_async_exception(kVecIrqOffset);
        faults_without_progress_ = 0;
        continue;
      }
      if (s_.il) {
        // PSTATE.IL set by an illegal exception return: the next instruction takes an
        // Illegal Execution state exception (Arm ARM D1.4.x).
        flow = take_sync_exception(esr::make(Ec::kIllegalState, 0), pc);
      } else if ((pc & 3) != 0 || !mem_.contains(pc, 4)) {
        flow = fetch_fault(pc);
      } else {
        b = lookup_block(pc);
        flow = Flow::kNext;
      }
      if (flow == Flow::kFault) {
        if (++faults_without_progress_ >= kExceptionLoopLimit) {
          retired_total_ += retired;
          return {ExitReason::kExceptionLoop, retired};
        }
        continue;
      }
    }
    const DecodedInst* const first = b->insts.data();
    const DecodedInst* ip = first;
    const uint64_t avail = max_insns - retired;
    const DecodedInst* const end = ip + (b->insts.size() < avail ? b->insts.size() : avail);
    flow = Flow::kNext;
    for (; ip != end; ++ip) {
      if constexpr (kTrace) tracer_(*this, ip->pc, ip->raw);
      flow = ip->fn(*this, *ip);
      if (flow != Flow::kNext) [[unlikely]] break;
    }
    if (flow == Flow::kNext) {
      retired += static_cast<uint64_t>(end - first);
      s_.pc = (end - 1)->pc + 4;
      faults_without_progress_ = 0;
      continue;
    }
    retired += static_cast<uint64_t>(ip - first);
    if (flow == Flow::kFault) {
      if (++faults_without_progress_ >= kExceptionLoopLimit) {
        retired_total_ += retired;
        return {ExitReason::kExceptionLoop, retired};
      }
      continue;
    }
    ++retired;  // the instruction that left the block retired
    faults_without_progress_ = 0;
    if (flow == Flow::kExit) {
      retired_total_ += retired;
      return {pending_exit_, retired};
    }
  }
  retired_total_ += retired;
  return {ExitReason::kBudget, retired};
}

template RunResult Core::run_loop<true>(uint64_t);
template RunResult Core::run_loop<false>(uint64_t);

}  // namespace cpu
