#include "cpu/core.h"

#include <cstring>
#include <initializer_list>

#include "cpu/arch/esr.h"
#include "cpu/decoder/classify.h"
#include "cpu/decoder/decoder.h"
#include "cpu/interp/fusion.h"
#include "cpu/interp/interp_common.h"
#include "cpu/interp/visitor.h"
#include "cpu/mmu/fields.h"
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
// The end marker of every block (Block::count): its pc is the fall-through PC.
Flow end_of_block(Core& c, const DecodedInst& i) {
  c.state().pc = i.pc;
  return Flow::kEnd;
}
// The stop slot of a block's step layout (Block::steps): the instruction before it
// completed, and interp::next of that instruction returns here as if it had returned
// Flow::kNext itself.
Flow stop_after_step(Core&, const DecodedInst&) { return Flow::kNext; }
void build_steps(Block& b) {
  b.steps.reserve(2 * size_t{b.count});
  for (uint32_t k = 0; k < b.count; ++k) {
    b.steps.push_back(b.insts[k]);
    DecodedInst stop{};
    stop.fn = &stop_after_step;
    stop.pc = b.insts[k].pc + 4;
    b.steps.push_back(stop);
  }
}
// Flow sets as bit masks, so the block loop classifies a flow with a shift, not a chain
// of compares: the flows whose instruction retired, and those after which the loop
// simply goes on with the block at PC.
constexpr uint32_t flow_mask(std::initializer_list<Flow> flows) {
  uint32_t m = 0;
  for (Flow f : flows) m |= 1u << static_cast<unsigned>(f);
  return m;
}
constexpr uint32_t kFlowRetires = flow_mask({Flow::kJump, Flow::kExit, Flow::kRestart});
constexpr uint32_t kFlowContinues = flow_mask({Flow::kJump, Flow::kRestart, Flow::kEnd});
// After a block settles: the flows that let the loop go on with the block at the PC.
constexpr uint32_t kFlowGoesOn = kFlowContinues | flow_mask({Flow::kNext});
constexpr uint32_t flow_bit(uint32_t mask, Flow f) { return (mask >> static_cast<unsigned>(f)) & 1; }
}  // namespace

void PhysMem::write(uint64_t pa, const void* src, uint64_t len) {
  if (len == 0) return;
  guest_copy(ptr(pa), src, len);
  note_write(pa, len);
}

bool PhysMem::note_write_pages(uint64_t first, uint64_t last) {
  bool hit = false;
  for (uint64_t p = first; p <= last && p < code_pages_.size(); ++p) {
    uint8_t f = code_pages_[p].load(std::memory_order_relaxed);
    if (f & kLogFlag) {
      // The first write since the page's bit was cleared: log it (KVM's write-protection
      // fault on a logging slot, mark_page_dirty), then let later writes run free.
      f = code_pages_[p].fetch_and(static_cast<uint8_t>(~kLogFlag), std::memory_order_relaxed);
      if ((f & kLogFlag) && ram_dirty_ != nullptr) ram_dirty_->mark(p);
    }
    if (f & kCodeFlag) {
      invalidate(p);
      hit = true;
    }
  }
  return hit;
}

void PhysMem::host_pages_dropped(const uint8_t* h, uint64_t len) {
  const auto lo = reinterpret_cast<uintptr_t>(h), hi = lo + len;
  auto overlap = [&](const uint8_t* base, uint64_t size, auto&& each_page) {
    const auto b = reinterpret_cast<uintptr_t>(base);
    const uintptr_t from = std::max(lo, b), to = std::min<uintptr_t>(hi, b + size);
    for (uintptr_t a = from & ~uintptr_t{kPageSize - 1}; a < to; a += kPageSize) each_page(a - b);
  };
  overlap(host_, size_, [&](uint64_t off) {
    const uint64_t p = off >> kPageShift;
    if (p < code_pages_.size() && (code_pages_[p].load(std::memory_order_relaxed) & kCodeFlag)) invalidate(p);
  });
  for (const SlotRegion& s : slots_)
    overlap(s.host, s.size, [&](uint64_t off) {
      const uint64_t k = page_key(s.base + off);
      bool had;
      {
        std::lock_guard g(slot_code_m_);
        had = slot_code_pages_.erase(k) != 0;
      }
      if (had) invalidate_cores(k);
    });
}

void PhysMem::invalidate(uint64_t page_index) {
  code_pages_[page_index].fetch_and(static_cast<uint8_t>(~kCodeFlag), std::memory_order_relaxed);
  invalidate_cores(page_index);
}

void PhysMem::set_dirty_log(std::shared_ptr<DirtyBitmap> log, bool protect_all) {
  ram_dirty_ = std::move(log);
  for (uint64_t p = 0; p < code_pages_.size(); ++p) {
    const bool protect =
        ram_dirty_ != nullptr && (protect_all || p >= ram_dirty_->pages() ||
                                  ((ram_dirty_->word(p / 64).load(std::memory_order_relaxed) >> (p % 64)) & 1) == 0);
    if (protect) code_pages_[p].fetch_or(kLogFlag, std::memory_order_relaxed);
    else code_pages_[p].fetch_and(static_cast<uint8_t>(~kLogFlag), std::memory_order_relaxed);
  }
}

void PhysMem::protect_for_log(uint64_t word, uint64_t mask) {
  if (ram_dirty_ == nullptr) return;
  while (mask != 0) {
    const uint64_t p = word * 64 + static_cast<unsigned>(__builtin_ctzll(mask));
    mask &= mask - 1;
    if (p < code_pages_.size()) code_pages_[p].fetch_or(kLogFlag, std::memory_order_relaxed);
  }
}

void PhysMem::set_slots(std::vector<SlotRegion> slots) {
  std::unordered_set<uint64_t> pages;
  {
    std::lock_guard g(slot_code_m_);
    pages.swap(slot_code_pages_);
  }
  for (uint64_t k : pages) invalidate_cores(k);
  slots_ = std::move(slots);
  slots_log_ = false;
  for (const SlotRegion& s : slots_) slots_log_ |= s.dirty != nullptr;
}

void PhysMem::mark_slot_code_page(uint64_t pa) {
  std::lock_guard g(slot_code_m_);
  slot_code_pages_.insert(page_key(pa));
}

bool PhysMem::note_slot_write(uint64_t pa, uint64_t len) {
  if (slots_log_) {
    if (const SlotRegion* s = slot(pa, len); s != nullptr && s->dirty != nullptr)
      s->dirty->mark_range((pa - s->base) >> kPageShift, (pa + len - 1 - s->base) >> kPageShift);
  }
  std::vector<uint64_t> hit;
  {
    std::lock_guard g(slot_code_m_);
    if (slot_code_pages_.empty()) return false;
    for (uint64_t k = page_key(pa), last = page_key(pa + len - 1);; ++k) {
      if (slot_code_pages_.erase(k) != 0) hit.push_back(k);
      if (k == last) break;
    }
  }
  for (uint64_t k : hit) invalidate_cores(k);
  return !hit.empty();
}

bool PhysMem::note_slot_write_host(const uint8_t* h, uint64_t len) {
  const auto at = reinterpret_cast<uintptr_t>(h);
  for (const SlotRegion& s : slots_) {
    const uint64_t off = at - reinterpret_cast<uintptr_t>(s.host);
    if (off < s.size) return note_slot_write(s.base + off, len);
  }
  return false;
}

void PhysMem::invalidate_cores(uint64_t page_index) {
  // With one host thread per core, another core's blocks belong to its thread: it gets the
  // page posted and drops the blocks at its next block boundary. (Its current block may
  // finish with the old code: cross-modifying code needs the guest's own synchronisation.)
  for (Core* c : cores_) {
    if (threaded_) c->post_code_invalidation(page_index);
    else c->invalidate_code_page(page_index);
  }
}

void Core::post_code_invalidation(uint64_t page) {
  {
    std::lock_guard g(inbox_.m);
    inbox_.code_pages.push_back(page);
  }
  attention_.fetch_or(kAttnRemote, std::memory_order_release);
}

void Core::post_tlbi(mmu::TlbiOp op, uint64_t operand) {
  {
    std::lock_guard g(inbox_.m);
    inbox_.tlbis.emplace_back(op, operand);
  }
  attention_.fetch_or(kAttnRemote, std::memory_order_release);
}

void Core::drain_inbox() {
  std::vector<uint64_t> pages;
  std::vector<std::pair<mmu::TlbiOp, uint64_t>> tlbis;
  {
    std::lock_guard g(inbox_.m);
    attention_.fetch_and(~kAttnRemote, std::memory_order_relaxed);
    pages.swap(inbox_.code_pages);
    tlbis.swap(inbox_.tlbis);
  }
  for (uint64_t p : pages) invalidate_code_page(p);
  for (const auto& [op, operand] : tlbis) tlbi(op, operand);
}

Core::Core(PhysMem& mem, IdRegs ids) : ids_(ids), features_(decoder::features_of(ids)), mem_(mem), mmu_(mem) {
  miss_block_.pc = 1;
  miss_block_.ctx = kCtxNever;
  miss_block_.succ = {&miss_block_, &miss_block_};
  direct_base_ = mem_.base();
  ram_host_ = mem_.host();
  code_pages_ = mem_.code_page_flags();
  fast_.fill(&miss_block_);
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
  faults_without_progress_ = 0;
  mmio_read_pending_ = false;
  // TLB contents are UNKNOWN after reset; a reset vCPU (PSCI CPU_ON) must not keep the
  // translations of its previous life even if its registers come back equal.
  mmu_.flush_all();
  new_translation_context();
  sync_translation_regs();
}

void Core::sync_translation_regs() {
  const mmu::Regime r{sysreg(SysSlot::SCTLR_EL1), sysreg(SysSlot::TCR_EL1), sysreg(SysSlot::TTBR0_EL1),
                      sysreg(SysSlot::TTBR1_EL1), sysreg(SysSlot::MAIR_EL1),
                      mmu::kPaBitsByEncoding[mmu::PARange(ids_.id_aa64mmfr0)]};
  const mmu::Mmu::Change change = mmu_.load(r);
  if (change == mmu::Mmu::Change::kContext || change == mmu::Mmu::Change::kAll) new_translation_context();
  direct_data_ = !mmu_.enabled() && !mmu::sctlr::A(r.sctlr);
  direct_limit_ = direct_data_ && mem_.size() >= kDirectMaxAccess ? mem_.size() - (kDirectMaxAccess - 1) : 0;
  refresh_ctx();
}

void Core::new_translation_context() {
  ++xlat_gen_;
  exec_pages_.used = 0;
  exec_pages_.full = false;
  refresh_ctx();
}

namespace {
size_t exec_page_slot(uint64_t page, size_t slots) { return static_cast<size_t>((page >> 12) * 0x9e3779b97f4a7c15ull >> 56) & (slots - 1); }
}  // namespace

void Core::note_exec_page(uint64_t pc) {
  ExecPages& e = exec_pages_;
  if (e.full) return;
  const uint64_t page = mmu::FastTlb::untag(pc & mmu::FastTlb::kPageMask);
  for (size_t i = exec_page_slot(page, ExecPages::kSlots);; i = (i + 1) & (ExecPages::kSlots - 1)) {
    if (e.gen[i] != xlat_gen_ + 1) {
      if (++e.used > ExecPages::kMaxUsed) {
        e.full = true;
        return;
      }
      e.gen[i] = xlat_gen_ + 1;
      e.page[i] = page;
      return;
    }
    if (e.page[i] == page) return;
  }
}

bool Core::exec_page_noted(uint64_t va) const {
  const ExecPages& e = exec_pages_;
  if (e.full) return true;
  const uint64_t page = va & mmu::FastTlb::kPageMask;
  for (size_t i = exec_page_slot(page, ExecPages::kSlots);; i = (i + 1) & (ExecPages::kSlots - 1)) {
    if (e.gen[i] != xlat_gen_ + 1) return false;
    if (e.page[i] == page) return true;
  }
}

void Core::tlbi(mmu::TlbiOp op, uint64_t operand) {
  const bool wide = mmu_.tlbi(op, operand);
  // Blocks were entered through translations that may be gone: re-check them (all of
  // them unless only one page's translation went, and no current block was entered
  // through that page). With the MMU off no block depends on the TLB.
  if (mmu_.enabled() && (wide || exec_page_noted(mmu::tlbi_operand::VA(operand)))) new_translation_context();
}

Flow Core::mmio_exit(const MmioAccess& access, ExitReason reason, uint64_t pc) {
  mmio_ = access;
  mmio_read_pending_ = reason == ExitReason::kMmio && !access.is_write;
  pending_exit_ = reason;
  s_.pc = pc;
  return Flow::kExitUnretired;
}

void Core::complete_mmio_read(uint64_t data) {
  if (!mmio_read_pending_) return;
  mmio_read_pending_ = false;
  const unsigned bits = mmio_.size * 8u;
  uint64_t v = data & arch::ones(bits);
  if (mmio_.sign_extend) v = static_cast<uint64_t>(arch::sign_extend(v, bits));
  if (!mmio_.sixty_four) v = static_cast<uint32_t>(v);
  set_x(mmio_.rt, v);
  s_.pc += 4;
}

uint64_t Core::pstate_bits() const {
  const uint64_t m = (uint64_t{s_.el} << 2) | s_.spsel;
  return uint64_t{s_.nzcv} | s_.daif | (s_.il ? (1u << 20) : 0) | m;
}

void Core::set_pstate_bits(uint64_t spsr) {
  s_.nzcv = static_cast<uint32_t>(spsr & 0xf0000000u);
  s_.daif = static_cast<uint32_t>(spsr & 0x3c0);
  s_.il = (spsr >> 20) & 1;
  if (s_.il) attention_.fetch_or(kAttnIl, std::memory_order_relaxed);
  switch_sp(static_cast<uint8_t>((spsr >> 2) & 3), static_cast<uint8_t>(spsr & 1));
}

void Core::switch_sp(uint8_t el, uint8_t spsel) {
  // Bank the live SP into the register it belongs to, then load the newly selected one.
  if (s_.el == 0 || s_.spsel == 0) s_.sp_el0 = s_.r[kRegSp]; else s_.sp_el1 = s_.r[kRegSp];
  s_.el = el;
  s_.spsel = el == 0 ? 0 : spsel;
  s_.r[kRegSp] = (s_.el == 0 || s_.spsel == 0) ? s_.sp_el0 : s_.sp_el1;
  refresh_ctx();  // EL0 and EL1 have different fetch permissions
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
Flow data_abort(Core& c, const DecodedInst& inst, uint64_t va, bool is_write, uint32_t fsc, uint32_t extra_iss) {
  const Ec ec = c.state().el == 0 ? Ec::kDataAbortLower : Ec::kDataAbortSame;
  // ISV = 0: the instruction-specific syndrome is only reported for aborts taken to EL2.
  const uint32_t iss = fsc | (is_write ? esr::kIssWnR : 0) | extra_iss;
  return c.take_sync_exception(esr::make(ec, iss), inst.pc, true, va);
}
}  // namespace interp

Flow Core::fetch_abort(uint64_t pc, uint32_t fsc) {
  const Ec ec = s_.el == 0 ? Ec::kInstAbortLower : Ec::kInstAbortSame;
  return take_sync_exception(esr::make(ec, fsc), pc, true, pc);
}

void Core::unlink_all() {
  miss_block_.succ = {&miss_block_, &miss_block_};
  for (auto& [key, b] : blocks_) b->succ = {&miss_block_, &miss_block_};
}

void Core::drop_block(std::unique_ptr<Block> b) {
  b->ctx = kCtxNever;
  dropped_blocks_.push_back(std::move(b));
  // The run loop frees them at its next block boundary.
  if (too_many_dropped()) attention_.fetch_or(kAttnDropped, std::memory_order_relaxed);
}

void Core::free_dropped_blocks() {
  // A quarter of the live blocks (and a floor for small guests) between two unlink_all()s:
  // the walk over the live blocks is paid for by that many drops.
  attention_.fetch_and(~kAttnDropped, std::memory_order_relaxed);
  if (!too_many_dropped()) return;
  unlink_all();
  dropped_blocks_.clear();
}

void Core::flush_decoded() {
  fast_.fill(&miss_block_);
  for (auto& [key, b] : blocks_) drop_block(std::move(b));
  blocks_.clear();
  page_blocks_.clear();
}

void Core::set_ids(const IdRegs& ids) {
  ids_ = ids;
  const uint32_t f = decoder::features_of(ids);
  if (f == features_) return;
  features_ = f;
  flush_decoded();  // blocks decoded with other features may hold now-UNDEFINED encodings
}

void Core::invalidate_code_page(uint64_t page) {
  auto it = page_blocks_.find(page);
  if (it == page_blocks_.end()) return;
  for (const BlockKey& key : it->second) {
    auto b = blocks_.find(key);
    if (b == blocks_.end()) continue;
    Block*& slot = fast_[(key.va >> 2) % kFastCacheSize];
    if (slot == b->second.get()) slot = &miss_block_;
    drop_block(std::move(b->second));
    blocks_.erase(b);
  }
  page_blocks_.erase(it);
}

Block* Core::build_block(uint64_t pc, uint64_t pa) {
  auto block = std::make_unique<Block>();
  block->pc = pc;
  block->ctx = ctx_;
  block->pa = pa;
  block->page = mem_.page_key(pa);
  // RAM, or the memory slot lookup_block found the code in (slots are whole pages, and a
  // block never leaves its page).
  const bool in_ram = mem_.contains(pa, 4);
  const SlotRegion* slot = in_ram ? nullptr : mem_.slot(pa, 4);
  uint64_t cur = pc, cur_pa = pa;
  decoder::InsnId prev_id = decoder::InsnId::kUndefined, id = decoder::InsnId::kUndefined;
  for (size_t n = 0; n < kMaxBlockInsns; ++n) {
    const uint32_t word = guest_load<uint32_t>(in_ram ? mem_.ptr(cur_pa) : slot->ptr(cur_pa));
    DecodedInst inst;
    prev_id = id;
    id = decoder::decode(word, cur, inst, features_);
    block->insts.push_back(inst);
    block->timing.push_back(decoder::classify(id, inst));
    // Fused pairs (interp/fusion.h) that may sit anywhere in the block.
    if (n > 0)
      if (const interp::FusionRule* r = interp::fusion_rule(prev_id, id, interp::FusePlace::kAnywhere))
        r->fuse(block->insts[n - 1], block->insts[n], id);
    cur += 4;
    cur_pa += 4;
    if (decoder::ends_block(id, inst)) break;
    // Stay within one page: one translation covers the block, and a code write
    // invalidates whole blocks exactly.
    if ((cur & (kPageSize - 1)) == 0 || (in_ram && !mem_.contains(cur_pa, 4))) break;
  }
  block->count = static_cast<uint32_t>(block->insts.size());
  // Fused pairs whose second instruction closes the block.
  if (block->count >= 2)
    if (const interp::FusionRule* r = interp::fusion_rule(prev_id, id, interp::FusePlace::kBlockEnd))
      r->fuse(block->insts[block->count - 2], block->insts[block->count - 1], id);
  block->next_pc = cur;
  block->succ = {&miss_block_, &miss_block_};
  DecodedInst marker{};
  marker.fn = &end_of_block;
  marker.pc = cur;
  block->insts.push_back(marker);
  if (in_ram) mem_.mark_code_page(pa);
  else mem_.mark_slot_code_page(pa);
  Block* raw = block.get();
  const BlockKey key{pc, pa};
  page_blocks_[block->page].push_back(key);
  blocks_[key] = std::move(block);
  fast_[(pc >> 2) % kFastCacheSize] = raw;
  return raw;
}

Block* Core::lookup_block(uint64_t pc) {
  if (pc & 3) {
    take_sync_exception(esr::make(Ec::kPcAlign, 0), pc, true, pc);
    return nullptr;
  }
  uint64_t pa = pc;
  if (!mmu_.enabled()) {
    if (!mem_.contains(pc, 4) && mem_.slot(pc, 4) == nullptr) {
      // With stage 1 off the flat mapping still checks the PA size: a PC above it is an
      // Address size fault at level 0, as for data; elsewhere outside RAM nothing answers.
      const mmu::Fault f = mmu_.translate(pc).fault;
      fetch_abort(pc, f.ok() ? esr::kFscSyncExternal : mmu::fault_status(f));
      return nullptr;
    }
  } else {
    const mmu::View view = s_.el == 0 ? mmu::kViewEl0 : mmu::kViewEl1;
    if (const uint8_t* h = mmu_.fast().lookup<mmu::AccessType::kExec>(view, pc, 3)) {
      pa = mem_.base() + static_cast<uint64_t>(h - mem_.host());
    } else {
      // Instruction fetch: translation faults, then execute permission (the walk caches
      // the leaf; a faulting fetch leaves nothing behind).
      const mmu::Translation t = mmu_.translate(pc);
      mmu::Fault f = t.fault;
      if (f.kind == mmu::FaultKind::kHostPage) {
        fetch_host_page_ = true;
        return nullptr;
      }
      if (f.ok()) f = mmu::Mmu::check_permission(t, view, mmu::AccessType::kExec);
      if (!f.ok()) {
        fetch_abort(pc, mmu::fault_status(f));
        return nullptr;
      }
      // Outside every memory slot there is nothing to execute: KVM injects a synchronous
      // external abort into the guest (kvm_handle_guest_abort(): an instruction abort
      // outside a memslot is re-injected, kvm_inject_pabt). Read-only slots execute.
      if (!mem_.contains(t.pa, 4) && mem_.slot(t.pa, 4) == nullptr) {
        fetch_abort(pc, esr::kFscSyncExternal);
        return nullptr;
      }
      mmu_.fill_fast(view, pc, t);
      pa = t.pa;
    }
  }
  // Code in a slot page the host has not populated: the fetch waits for the page. (Blocks
  // decoded from a page that is dropped later are invalidated with it, so a cached block
  // never runs from a missing page.)
  if (!mem_.contains(pa, 4))
    if (const SlotRegion* s = mem_.slot(pa, 4); s != nullptr && !mem_.slot_page_present(s->ptr(pa), false)) {
      fetch_host_page_ = true;
      return nullptr;
    }
  if (mmu_.enabled()) note_exec_page(pc);
  Block*& slot = fast_[(pc >> 2) % kFastCacheSize];
  if (slot->pc == pc && slot->pa == pa) {
    slot->ctx = ctx_;  // same code, re-validated under the current context
    return slot;
  }
  auto it = blocks_.find(BlockKey{pc, pa});
  if (it != blocks_.end()) {
    it->second->ctx = ctx_;
    slot = it->second.get();
    return slot;
  }
  return build_block(pc, pa);
}

RunResult Core::run(uint64_t max_insns) {
  free_dropped_blocks();  // no block is executing between run() calls
  // The caller may have changed PSTATE through state(): IL must be looked at.
  if (s_.il) attention_.fetch_or(kAttnIl, std::memory_order_relaxed);
  // The caller may have written translation registers or PSTATE directly (ONE_REG).
  sync_translation_regs();
  if (timing_ != nullptr) return tracer_ ? run_loop<true, true>(max_insns) : run_loop<false, true>(max_insns);
  return tracer_ ? run_loop<true, false>(max_insns) : run_loop<false, false>(max_insns);
}

namespace {
// The data address of a load or store, from the registers before it executes.
[[gnu::always_inline]] inline uint64_t data_address(const CpuState& s, const DecodedInst& i, AddrMode m) {
  switch (m) {
    case AddrMode::kBaseImm: return s.r[i.n] + i.imm;
    case AddrMode::kBase: return s.r[i.n];
    case AddrMode::kBaseReg: return s.r[i.n] + interp::extend_reg(s.r[i.m], i.f0, i.f1);
    case AddrMode::kLiteral: return i.imm;
    case AddrMode::kNone: break;
  }
  return 0;
}
constexpr bool is_branch_class(timing::OpClass c) {
  return c >= timing::OpClass::kBranch && c <= timing::OpClass::kReturn;
}
constexpr arch::CountEl count_el(uint8_t el) { return static_cast<arch::CountEl>(el); }

}  // namespace

// ---- the run loop's modes (core.h: enter_block, run_chained, run_stepped, settle_block) ----

// Block entry: the block at the PC, through the last block's links or the jump cache. A
// cached block checked under the current translation context implies the PC is aligned,
// mapped executable and inside RAM, so only the rare conditions (stop request, posted work,
// PSTATE.IL, IRQ) need checking, and those are one word.
template <bool kTiming>
[[gnu::always_inline]] inline Block* Core::enter_block(Entry& why) {
  const uint64_t pc = s_.pc;
  Block* b = prev_->succ[0];
  bool linked = true;
  if (b->pc != pc) [[unlikely]] {
    b = prev_->succ[1];
    if (b->pc != pc) {
      b = fast_[(pc >> 2) % kFastCacheSize];
      linked = false;
    }
  }
  if (b->pc != pc || b->ctx != ctx_ || attention_.load(std::memory_order_relaxed) != 0) [[unlikely]] {
    const uint32_t attn = attention_.load(std::memory_order_acquire);
    if (attn & kAttnDropped) {
      free_dropped_blocks();
      prev_ = &miss_block_;  // it may have been one of them
      return why = Entry::kRetry, nullptr;
    }
    if (attn & kAttnRemote) {
      drain_inbox();
      return why = Entry::kRetry, nullptr;  // the block at pc may be gone, or its translation
    }
    if (attn & kAttnStop) {
      attention_.fetch_and(~kAttnStop, std::memory_order_relaxed);
      return why = Entry::kStop, nullptr;
    }
    // PSTATE.IL was cleared since (exception entry): stop looking at it.
    if ((attn & kAttnIl) && !s_.il) attention_.fetch_and(~kAttnIl, std::memory_order_relaxed);
    [[maybe_unused]] const uint8_t el_before = s_.el;
    if (irq_pending_ && (s_.daif & kDaifI) == 0) {
      // IRQ taken to EL1 between instructions; ELR is the next instruction to execute.
      take_async_exception(kVecIrqOffset);
      if constexpr (kTiming) timing_->exception(count_el(el_before), false);
      faults_without_progress_ = 0;
      return why = Entry::kRetry, nullptr;
    }
    Flow flow;
    if (s_.il) {
      // PSTATE.IL set by an illegal exception return: the next instruction takes an
      // Illegal Execution state exception (Arm ARM D1.4.x).
      flow = take_sync_exception(esr::make(Ec::kIllegalState, 0), pc);
    } else {
      b = lookup_block(pc);
      flow = b != nullptr ? Flow::kNext : Flow::kFault;
      linked = false;
      if (fetch_host_page_) {
        fetch_host_page_ = false;
        return why = Entry::kHostPage, nullptr;
      }
    }
    if (flow == Flow::kFault) {
      if constexpr (kTiming) timing_->exception(count_el(el_before), false);
      why = ++faults_without_progress_ >= kExceptionLoopLimit ? Entry::kExceptionLoop : Entry::kRetry;
      return nullptr;
    }
  }
  if (!linked) prev_->succ[pc == prev_->next_pc ? 1 : 0] = b;
  prev_ = b;
  return b;
}

// Chained run (functional mode, the whole block fits the budget): handlers chain into each
// other (interp::next) up to the first non-kNext flow, at the latest the end marker; one that
// returns kNext breaks the chain and the loop continues after it. Branches may chain into
// further blocks (Core::next_block), which retire themselves; the flow returned belongs to
// the block executing last.
[[gnu::always_inline]] inline Core::BlockRun Core::run_chained(Block* b, uint64_t avail) {
  const DecodedInst* ip = b->insts.data();
  cur_ = ip;
  const uint64_t chain_budget = avail < kMaxChainInsns ? avail : kMaxChainInsns;
  chain_budget_ = chain_budget;
  chain_left_ = chain_budget - b->count;
  Flow flow;
  while ((flow = ip->fn(*this, *ip)) == Flow::kNext) {
    ip = cur_ + 1;
    cur_ = ip;
  }
  ip = cur_;
  // The blocks chained before the one executing last retired whole; of that one, the
  // instructions before the one that left it, plus that one if it retired (the end marker
  // is not an instruction).
  const Block* const last = prev_;
  const uint64_t chained = chain_budget - chain_left_ - last->count;
  const uint64_t n = chained + static_cast<uint64_t>(ip - last->insts.data()) + flow_bit(kFlowRetires, flow);
  return {flow, n, chained != 0};
}

// Stepped run: one instruction at a time from the block's step layout, because the budget
// ends inside this block, or every instruction goes to the timing model or the tracer.
template <bool kTrace, bool kTiming>
[[gnu::always_inline]] inline Core::BlockRun Core::run_stepped(Block* b, uint64_t avail, uint8_t block_el) {
  [[maybe_unused]] timing::TimingModel* const tm = timing_;
  chain_ = false;
  if (b->steps.empty()) [[unlikely]] build_steps(*b);
  const uint64_t limit = b->count < avail ? b->count : avail;
  const DecodedInst* const steps = b->steps.data();
  chain_budget_ = b->count;
  chain_left_ = 0;
  const DecodedInst* ip = steps;
  const DecodedInst* const end = steps + 2 * limit;
  Flow flow = Flow::kNext;
  if constexpr (kTiming) {
    // Every retired instruction goes to the model: its address is taken before it runs
    // (writeback may change the base), its branch outcome after.
    const InstTiming* tp = b->timing.data();
    const arch::CountEl cel = count_el(block_el);
    timing::DynInfo d;
    // The block runs at one EL and the pipeline shape is fixed: both are settled once,
    // outside the per-instruction loop (TimingModel::retire_at_el).
    tm->enter_el(cel);
    timing_counted_ = 0;
    // One instruction: false when it left the block. Only the instruction that leaves
    // the block can be a branch (decoder::ends_block); every one after the block's first
    // follows the one retired before it.
    const auto step = [&]<bool kOutOfOrder, bool kFollows>() __attribute__((always_inline)) {
      if constexpr (kTrace) tracer_(*this, ip->pc, ip->raw);
      const InstTiming& t = *tp;
      d.pc = ip->pc;
      using timing::Mem;
      if (t.amode != AddrMode::kNone) {
        d.addr = data_address(s_, *ip, t.amode);
        flow = ip->fn(*this, *ip);
        if (flow != Flow::kNext) [[unlikely]] return false;
        tm->retire_at_el<kOutOfOrder, timing::RetireAs{.mem = Mem::kYes, .may_branch = false, .count = false, .follows = kFollows}>(t.s, d);
      } else {
        flow = ip->fn(*this, *ip);
        if (flow != Flow::kNext) [[unlikely]] return false;
        tm->retire_at_el<kOutOfOrder, timing::RetireAs{.mem = Mem::kNo, .may_branch = false, .count = false, .follows = kFollows}>(t.s, d);
      }
      return true;
    };
    const auto run_timed = [&]<bool kOutOfOrder>() __attribute__((always_inline)) {
      if (ip == end || !step.template operator()<kOutOfOrder, false>()) return;
      for (ip += 2, ++tp; ip != end; ip += 2, ++tp)
        if (!step.template operator()<kOutOfOrder, true>()) return;
    };
    // The instruction that left the block, usually the branch ending it: a branch with its
    // outcome (a direct conditional branch's target is known at decode even when not
    // taken); the others as any instruction, with the exception entry or return they made.
    const auto retire_leaving = [&]<bool kOutOfOrder>() __attribute__((always_inline)) {
      const InstTiming& t = *tp;
      if (flow == Flow::kFault) {
        tm->exception(cel, false);
      } else if (flow != Flow::kExitUnretired) {
        if (is_branch_class(t.s.cls)) [[likely]] {
          d.taken = s_.pc != ip->pc + 4;
          d.next_pc = (!d.taken && t.s.cls == timing::OpClass::kCondBranch) ? ip->imm : s_.pc;
          if (ip != steps) tm->retire_at_el<kOutOfOrder, timing::RetireAs{.mem = timing::Mem::kNo, .follows = true}>(t.s, d);
          else tm->retire_at_el<kOutOfOrder, timing::RetireAs{.mem = timing::Mem::kNo}>(t.s, d);
        } else {
          tm->retire_at_el<kOutOfOrder>(t.s, d);
        }
        if (t.flags) tm->exception(cel, (t.flags & kTimingExcReturn) != 0);
      }
    };
    if (tm->out_of_order()) run_timed.template operator()<true>();
    else run_timed.template operator()<false>();
    if (flow != Flow::kNext) {
      if (tm->out_of_order()) retire_leaving.template operator()<true>();
      else retire_leaving.template operator()<false>();
    }
  } else {
    for (; ip != end; ip += 2) {
      if constexpr (kTrace) tracer_(*this, ip->pc, ip->raw);
      flow = ip->fn(*this, *ip);
      if (flow != Flow::kNext) [[unlikely]] break;
    }
  }
  chain_ = !kTiming && !kTrace;
  // Instructions retired by this block: all of it up to the limit, or those before the
  // one that left it plus that one unless it faulted or exited without retiring.
  uint64_t n = static_cast<uint64_t>(ip - steps) / 2;
  // The model counted none of them in the loop (RetireAs::count), only those a port
  // access brought it up to (timing_counted_).
  if constexpr (kTiming) tm->count_retired(n - timing_counted_);
  if (flow != Flow::kNext && flow != Flow::kFault && flow != Flow::kExitUnretired) ++n;
  // The budget ended inside (or at the end of) the block: the PC is the last stop slot's,
  // past the last instruction run.
  if (flow == Flow::kNext) s_.pc = (end - 1)->pc;
  return {flow, n, false};
}

// What a mode retired joins the per-EL counts, and the flow decides whether the loop goes
// on. A fault that retires nothing counts towards the exception-loop limit; any retired
// instruction (or exit) is progress.
[[gnu::always_inline]] inline Core::Verdict Core::settle_block(const BlockRun& r, uint8_t block_el, uint64_t& retired) {
  retired += r.retired;
  retired_el_[block_el] += r.retired;
  if (flow_bit(kFlowGoesOn, r.flow)) [[likely]] {
    faults_without_progress_ = 0;
    return Verdict::kContinue;
  }
  if (r.chained_more) faults_without_progress_ = 0;
  if (r.flow == Flow::kFault)
    return ++faults_without_progress_ >= kExceptionLoopLimit ? Verdict::kExceptionLoop : Verdict::kContinue;
  if (r.flow != Flow::kExitUnretired) faults_without_progress_ = 0;
  return Verdict::kExit;  // kExit, kExitUnretired: the handler set pending_exit_
}

// The loop's one exit: the instructions this call retired join the total here and only here.
RunResult Core::finish_run(ExitReason why, uint64_t retired) {
  retired_total_ += retired;
  return {why, retired};
}

template <bool kTrace, bool kTiming>
RunResult Core::run_loop(uint64_t max_insns) {
  uint64_t retired = 0;
  chain_ = !kTiming && !kTrace;
  prev_ = &miss_block_;
  while (retired < max_insns) {
    Entry why = Entry::kRun;
    Block* const b = enter_block<kTiming>(why);
    if (b == nullptr) [[unlikely]] {
      if (why == Entry::kStop) return finish_run(ExitReason::kStopRequested, retired);
      if (why == Entry::kExceptionLoop) return finish_run(ExitReason::kExceptionLoop, retired);
      if (why == Entry::kHostPage) return finish_run(ExitReason::kHostPage, retired);
      continue;  // kRetry
    }
    const uint64_t avail = max_insns - retired;
    // A block runs at one EL: only its last instruction can change it.
    const uint8_t block_el = s_.el;
    BlockRun r;
    if constexpr (!kTiming && !kTrace) {
      r = b->count <= avail ? run_chained(b, avail) : run_stepped<kTrace, kTiming>(b, avail, block_el);
    } else {
      r = run_stepped<kTrace, kTiming>(b, avail, block_el);
    }
    const Verdict v = settle_block(r, block_el, retired);
    if (v == Verdict::kContinue) [[likely]] continue;
    return finish_run(v == Verdict::kExit ? pending_exit_ : ExitReason::kExceptionLoop, retired);
  }
  return finish_run(ExitReason::kBudget, retired);
}

template RunResult Core::run_loop<true, false>(uint64_t);
template RunResult Core::run_loop<false, false>(uint64_t);
template RunResult Core::run_loop<true, true>(uint64_t);
template RunResult Core::run_loop<false, true>(uint64_t);

}  // namespace cpu
