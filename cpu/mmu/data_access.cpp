#include "cpu/mmu/data_access.h"

#include <algorithm>
#include <cstring>

#include "cpu/arch/esr.h"
#include "cpu/interp/interp_common.h"
#include "cpu/mmu/fields.h"

namespace cpu::mmu {
namespace {

// The part of an access inside one page (an access crosses at most one page boundary).
struct Piece {
  uint64_t va;
  unsigned len;
  uint64_t pa = 0;
  uint8_t* host = nullptr;  // the memory this access reaches: RAM or another slot, else null
  bool ram = false;         // host is RAM (decoded code is tracked per page there)
  bool host_page = false;   // a slot page the host has not populated (HostPageGate)
};

bool is_write(const DataAccess& a) { return a.type != AccessType::kRead; }

// A walk outside every memory slot: KVM injects a synchronous external abort with no
// syndrome beyond its class (no WnR, no CM: inject_abt64()).
Flow walk_abort(Core& c, const DecodedInst& i, uint64_t va) {
  return interp::data_abort(c, i, va, false, fault_status({FaultKind::kWalkExternal, 0}));
}

// Where the piece's physical address leads: RAM, or a memory slot the access may use (a
// write to a read-only slot is KVM's MMIO exit: kvm_handle_guest_abort() sends a write
// fault on a read-only memslot to io_mem_abort()).
// A slot page the host has not populated is asked for first, unless the access is a
// write to a read-only slot, which goes to io_mem_abort() without touching the page. A
// read-modify-write (atomic, exclusive) asks for it as a read: its stage-2 translation
// fault reports WnR = 0 because the read faults first, so KVM maps the page for reading and
// the write then takes a permission fault (on a read-only slot: the exit without syndrome).
void locate(const PhysMem& mem, const DataAccess& a, Piece& p, bool rmw) {
  if (mem.contains(p.pa, p.len)) {
    p.ram = true;
    p.host = mem.ptr(p.pa);
    return;
  }
  const SlotRegion* s = mem.slot(p.pa, p.len);
  if (s == nullptr) return;
  const bool ro_write = s->read_only && is_write(a);
  if ((!ro_write || rmw) && !mem.slot_page_present(s->ptr(p.pa), is_write(a) && !rmw)) {
    p.host_page = true;
    return;
  }
  if (!ro_write) p.host = s->ptr(p.pa);
}

// After a write of a piece: may it have hit decoded code?
bool note_piece_write(PhysMem& mem, const Piece& p) {
  return p.ram ? mem.note_write(p.pa, p.len) : mem.note_slot_write(p.pa, p.len);
}

// Translates one piece and checks it (AArch64.TranslateAddress for a data access):
// translation-class faults, then the alignment fault caused by Device memory, then
// permission (Arm ARM R_XCHFJ orders memory-type alignment faults before permission
// faults). Returns Flow::kNext, or the flow of the abort taken. FAR is the piece's VA:
// for an access crossing into a faulting page, the first byte of that page.
Flow check_piece(Core& c, const DecodedInst& i, const DataAccess& a, uint64_t access_va, Piece& p, bool rmw = false) {
  Mmu& mmu = c.mmu();
  const Translation t = mmu.translate(p.va);
  if (t.fault.kind == FaultKind::kWalkExternal) return walk_abort(c, i, p.va);
  if (t.fault.kind == FaultKind::kHostPage) return c.host_page_exit(i.pc);
  if (!t.fault.ok()) return interp::data_abort(c, i, p.va, is_write(a), fault_status(t.fault));
  // With stage 1 disabled, data is Device-nGnRnE and misaligned accesses would fault;
  // this model keeps MMU-off accesses free of that check (its fast path never made it,
  // nor does QEMU 7.2, the differential tests' reference).
  const bool misaligned = (access_va & (a.align - 1)) != 0;
  if (mmu.enabled() && t.device() && (misaligned || a.device_faults)) {
    return interp::alignment_fault(c, i, access_va, is_write(a));
  }
  const View view = c.data_view(a.unpriv);
  if (const Fault f = Mmu::check_permission(t, view, a.type); !f.ok()) {
    return interp::data_abort(c, i, p.va, is_write(a), fault_status(f));
  }
  p.pa = t.pa;
  locate(c.mem(), a, p, rmw);
  if (p.host_page) return c.host_page_exit(i.pc);
  mmu.fill_fast(view, p.va, t);
  return Flow::kNext;
}

// An access to a physical address no memory slot covers: the MMIO exit KVM would make.
// With a syndrome the caller can emulate it; a write carries its data and completes now
// (PC steps past it), a read completes with Core::complete_mmio_read().
Flow mmio(Core& c, const DecodedInst& i, const DataAccess& a, uint64_t pa, bool syndrome, const uint8_t* buf) {
  MmioAccess m;
  m.phys_addr = pa;
  // Only a DC ZVA block can exceed a byte's range; KVM's NISV exit carries no size at all.
  m.size = static_cast<uint8_t>(std::min<unsigned>(a.size, 255));
  m.is_write = is_write(a);
  if (!syndrome) return c.mmio_exit(m, ExitReason::kMmioNoSyndrome, i.pc);
  if (m.is_write) std::memcpy(&m.data, buf, std::min<size_t>(a.size, sizeof m.data));
  m.rt = static_cast<uint8_t>(arch::bits<4, 0>(i.raw));  // Rt of every single-register form
  m.sign_extend = a.sign_extend;
  m.sixty_four = a.sixty_four;
  return c.mmio_exit(m, ExitReason::kMmio, m.is_write ? i.pc + 4 : i.pc);
}

}  // namespace

Flow access_slow(Core& c, const DecodedInst& i, uint64_t va, const DataAccess& a, uint8_t* buf) {
  // SCTLR_EL1.A: a misaligned access faults before it is translated (AArch64.CheckAlignment;
  // the unit is the element, so each register of a pair separately).
  if (sctlr::A(c.sysreg(SysSlot::SCTLR_EL1)) && (va & (a.align - 1)) != 0) {
    return interp::alignment_fault(c, i, va, is_write(a));
  }
  const uint64_t to_page_end = kPageSize - (va & (kPageSize - 1));
  if (to_page_end >= a.size) {
    // A misaligned access inside one page of Normal RAM that the fast table maps for this
    // view (the tag without alignment bits): no translation needed.
    const FastEntry& e = c.mmu().fast().entry(c.data_view(a.unpriv), va);
    if ((is_write(a) ? e.write : e.read) == (va & FastTlb::kPageMask)) {
      uint8_t* h = FastTlb::host(e, va);
      if (!is_write(a)) {
        guest_copy(buf, h, a.size);
        return Flow::kNext;
      }
      guest_copy(h, buf, a.size);
      return c.mem().note_write_host(h, a.size) ? Flow::kRestart : Flow::kNext;
    }
  }
  Piece pieces[2] = {{va, a.size}, {0, 0}};
  unsigned n = 1;
  if (to_page_end < a.size) {
    pieces[0].len = static_cast<unsigned>(to_page_end);
    pieces[1] = Piece{va + to_page_end, static_cast<unsigned>(a.size - to_page_end)};
    n = 2;
  }
  for (unsigned k = 0; k < n; ++k) {
    if (const Flow f = check_piece(c, i, a, va, pieces[k]); f != Flow::kNext) return f;
  }

  const bool all_mem = pieces[0].host != nullptr && (n == 1 || pieces[1].host != nullptr);
  const bool no_mem = pieces[0].host == nullptr && (n == 1 || pieces[1].host == nullptr);
  if (all_mem) {
    bool code = false;
    unsigned off = 0;
    for (unsigned k = 0; k < n; ++k) {
      uint8_t* h = pieces[k].host;
      if (is_write(a)) {
        guest_copy(h, buf + off, pieces[k].len);
        code |= note_piece_write(c.mem(), pieces[k]);
      } else {
        guest_copy(buf + off, h, pieces[k].len);
      }
      off += pieces[k].len;
    }
    return code ? Flow::kRestart : Flow::kNext;
  }
  // KVM can only describe an access to one contiguous MMIO range: one that crosses a page
  // boundary gets no syndrome.
  if (no_mem) return mmio(c, i, a, pieces[0].pa, a.syndrome && n == 1, buf);
  // Partly in memory: nothing answers for the rest, a synchronous external abort at its
  // first byte.
  const Piece& outside = pieces[0].host != nullptr ? pieces[1] : pieces[0];
  return interp::data_abort(c, i, outside.va, is_write(a), arch::esr::kFscSyncExternal);
}

Flow resolve_slow(Core& c, const DecodedInst& i, uint64_t va, const DataAccess& a, uint8_t*& host) {
  // Callers pass naturally aligned addresses (exclusives and atomics check alignment
  // first, as B2.5.2 requires whatever the memory type; DC ZVA aligns down), so the
  // location is inside one page and SCTLR_EL1.A has nothing to add.
  Piece p{va, a.size};
  // Exclusives and atomics read before they write; DC ZVA only writes.
  const bool rmw = is_write(a) && !a.device_faults;
  if (const Flow f = check_piece(c, i, a, va, p, rmw); f != Flow::kNext) return f;
  if (p.host == nullptr) return mmio(c, i, a, p.pa, false, nullptr);
  host = p.host;
  return Flow::kNext;
}

}  // namespace cpu::mmu
