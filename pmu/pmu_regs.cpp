// The PMU system-register table: one row per AArch64 PMU register (Arm ARM D17.5), with its
// EL0 gate (permission), architectural read/write (effect) and raw read/write hooks, kept
// separate. Rows are sorted by encoding at compile time and looked up by bisection.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "pmu/pmu.h"

namespace pmu {

using arch::SysRegKey;
using arch::sysreg;

struct RegOps {
  using A = Pmu::Access;
  using ReadFn = A (*)(const Pmu&, SysRegKey, uint8_t el, uint64_t&);
  using WriteFn = A (*)(Pmu&, SysRegKey, uint8_t el, uint64_t);
  using RawReadFn = uint64_t (*)(const Pmu&, SysRegKey);
  using RawWriteFn = void (*)(Pmu&, SysRegKey, uint64_t);

  struct Row {
    RegInfo info;
    ReadFn read;           // nullptr: no MRS encoding (UNDEF)
    WriteFn write;         // nullptr: no MSR encoding (UNDEF)
    RawReadFn raw_read;    // nullptr: reads 0 (write-only register)
    RawWriteFn raw_write;  // nullptr: ignored (read-only or stateless register)
  };

  static constexpr A kOk = A::kOk;
  static constexpr A kUndef = A::kUndef;

  static constexpr unsigned counter_index(SysRegKey k) { return counter_of_key_fields(k.crm, k.op2); }

  // ---- PMCR_EL0: P and C are write-1 actions that read as 0 and are not stored ----
  // Below EL2, N reads as MDCR_EL2.HPMN (the counters EL1 and EL0 may use).
  static A pmcr_read(const Pmu& p, SysRegKey, uint8_t el, uint64_t& v) { v = p.pmcr_value_at(el); return kOk; }
  static A pmcr_write(Pmu& p, SysRegKey, uint8_t el, uint64_t v) { p.write_pmcr(v, true, el); return kOk; }
  static uint64_t pmcr_raw_read(const Pmu& p, SysRegKey) { return p.pmcr_value(); }
  static void pmcr_raw_write(Pmu& p, SysRegKey, uint64_t v) { p.write_pmcr(v, false, 2); }

  // ---- SET/CLR bitmap pairs: bits for unimplemented counters are RAZ/WI ----
  template <uint64_t Pmu::*kMap>
  static A bitmap_read(const Pmu& p, SysRegKey, uint8_t el, uint64_t& v) { v = p.*kMap & p.mask_at(el); return kOk; }
  template <uint64_t Pmu::*kMap>
  static A bitmap_set(Pmu& p, SysRegKey, uint8_t el, uint64_t v) {
    p.update_bitmap(p.*kMap, p.*kMap | (v & p.mask_at(el)));
    return kOk;
  }
  template <uint64_t Pmu::*kMap>
  static A bitmap_clear(Pmu& p, SysRegKey, uint8_t el, uint64_t v) {
    p.update_bitmap(p.*kMap, p.*kMap & ~(v & p.mask_at(el)));
    return kOk;
  }
  template <uint64_t Pmu::*kMap>
  static uint64_t bitmap_raw_read(const Pmu& p, SysRegKey) { return p.*kMap; }
  template <uint64_t Pmu::*kMap>
  static void bitmap_raw_write(Pmu& p, SysRegKey, uint64_t v) {
    p.settle_if_pending();
    p.*kMap = v & p.valid_mask();
    p.recompute();
  }

  // ---- PMSWINC_EL0: write-only, no state ----
  static A swinc_write(Pmu& p, SysRegKey, uint8_t el, uint64_t v) {
    p.software_increment(static_cast<uint32_t>(v & p.mask_at(el)), el);
    return kOk;
  }

  // ---- PMSELR_EL0: SEL [4:0], bits [63:5] RES0 ----
  static A selr_read(const Pmu& p, SysRegKey, uint8_t, uint64_t& v) { v = p.selr_; return kOk; }
  static A selr_write(Pmu& p, SysRegKey, uint8_t, uint64_t v) { p.selr_ = v & selr::kSelMask; return kOk; }
  static uint64_t selr_raw_read(const Pmu& p, SysRegKey) { return p.selr_; }
  static void selr_raw_write(Pmu& p, SysRegKey, uint64_t v) { p.selr_ = v & selr::kSelMask; }

  // ---- PMCEID0/1_EL0 (op2 6/7), PMMIR_EL1: read-only identification ----
  static A pmceid_read(const Pmu& p, SysRegKey k, uint8_t, uint64_t& v) { v = p.pmceid_[k.op2 & 1]; return kOk; }
  static uint64_t pmceid_raw_read(const Pmu& p, SysRegKey k) { return p.pmceid_[k.op2 & 1]; }
  static A pmmir_read(const Pmu& p, SysRegKey, uint8_t, uint64_t& v) { v = p.config_.pmmir_slots & pmmir::kSlotsMask; return kOk; }
  static uint64_t pmmir_raw_read(const Pmu& p, SysRegKey) { return p.config_.pmmir_slots & pmmir::kSlotsMask; }

  // ---- PMCCNTR_EL0, PMCCFILTR_EL0 ----
  static A ccntr_read(const Pmu& p, SysRegKey, uint8_t, uint64_t& v) { v = p.live_ccntr(); return kOk; }
  static A ccntr_write(Pmu& p, SysRegKey, uint8_t, uint64_t v) { p.write_ccntr(v); return kOk; }
  static uint64_t ccntr_raw_read(const Pmu& p, SysRegKey) { return p.live_ccntr(); }
  static void ccntr_raw_write(Pmu& p, SysRegKey, uint64_t v) { p.write_ccntr(v); }
  static A ccfiltr_read(const Pmu& p, SysRegKey, uint8_t, uint64_t& v) { v = p.ccfiltr_; return kOk; }
  static A ccfiltr_write(Pmu& p, SysRegKey, uint8_t, uint64_t v) { p.write_ccfiltr(v); return kOk; }
  static uint64_t ccfiltr_raw_read(const Pmu& p, SysRegKey) { return p.ccfiltr_; }
  static void ccfiltr_raw_write(Pmu& p, SysRegKey, uint64_t v) { p.write_ccfiltr(v); }

  // ---- PMEVCNTR<n>_EL0, PMEVTYPER<n>_EL0: n >= N is UNDEFINED (raw: RAZ/WI); below EL2
  // so is n >= MDCR_EL2.HPMN (choices in pmu.h) ----
  static A evcntr_read(const Pmu& p, SysRegKey k, uint8_t el, uint64_t& v) {
    const unsigned n = counter_index(k);
    if (n >= p.counters_at(el)) return kUndef;
    v = p.live_evcntr(n);
    return kOk;
  }
  static A evcntr_write(Pmu& p, SysRegKey k, uint8_t el, uint64_t v) {
    const unsigned n = counter_index(k);
    if (n >= p.counters_at(el)) return kUndef;
    p.write_evcntr(n, v);
    return kOk;
  }
  static uint64_t evcntr_raw_read(const Pmu& p, SysRegKey k) {
    const unsigned n = counter_index(k);
    return n < p.n_ ? p.live_evcntr(n) : 0;
  }
  static void evcntr_raw_write(Pmu& p, SysRegKey k, uint64_t v) {
    if (const unsigned n = counter_index(k); n < p.n_) p.write_evcntr(n, v);
  }
  static A evtyper_read(const Pmu& p, SysRegKey k, uint8_t el, uint64_t& v) {
    const unsigned n = counter_index(k);
    if (n >= p.counters_at(el)) return kUndef;
    v = p.evtyper_[n];
    return kOk;
  }
  static A evtyper_write(Pmu& p, SysRegKey k, uint8_t el, uint64_t v) {
    const unsigned n = counter_index(k);
    if (n >= p.counters_at(el)) return kUndef;
    p.write_evtyper(n, v);
    return kOk;
  }
  static uint64_t evtyper_raw_read(const Pmu& p, SysRegKey k) {
    const unsigned n = counter_index(k);
    return n < p.n_ ? p.evtyper_[n] : 0;
  }
  static void evtyper_raw_write(Pmu& p, SysRegKey k, uint64_t v) {
    if (const unsigned n = counter_index(k); n < p.n_) p.write_evtyper(n, v);
  }

  // ---- PMXEVTYPER_EL0 / PMXEVCNTR_EL0: through PMSELR_EL0.SEL (choices in pmu.h) ----
  static A xevtyper_read(const Pmu& p, SysRegKey, uint8_t el, uint64_t& v) {
    const unsigned sel = selr::SEL(p.selr_);
    if (sel == kCycleIdx) return ccfiltr_read(p, {}, el, v);
    if (sel >= p.counters_at(el)) return kUndef;
    v = p.evtyper_[sel];
    return kOk;
  }
  static A xevtyper_write(Pmu& p, SysRegKey, uint8_t el, uint64_t v) {
    const unsigned sel = selr::SEL(p.selr_);
    if (sel == kCycleIdx) return ccfiltr_write(p, {}, el, v);
    if (sel >= p.counters_at(el)) return kUndef;
    p.write_evtyper(sel, v);
    return kOk;
  }
  static uint64_t xevtyper_raw_read(const Pmu& p, SysRegKey) {
    uint64_t v = 0;
    xevtyper_read(p, {}, 2, v);
    return v;
  }
  static void xevtyper_raw_write(Pmu& p, SysRegKey, uint64_t v) { xevtyper_write(p, {}, 2, v); }
  static A xevcntr_read(const Pmu& p, SysRegKey, uint8_t el, uint64_t& v) {
    const unsigned sel = selr::SEL(p.selr_);
    if (sel >= p.counters_at(el)) return kUndef;  // includes SEL == 31
    v = p.live_evcntr(sel);
    return kOk;
  }
  static A xevcntr_write(Pmu& p, SysRegKey, uint8_t el, uint64_t v) {
    const unsigned sel = selr::SEL(p.selr_);
    if (sel >= p.counters_at(el)) return kUndef;
    p.write_evcntr(sel, v);
    return kOk;
  }
  static uint64_t xevcntr_raw_read(const Pmu& p, SysRegKey) {
    uint64_t v = 0;
    xevcntr_read(p, {}, 2, v);
    return v;
  }
  static void xevcntr_raw_write(Pmu& p, SysRegKey, uint64_t v) { xevcntr_write(p, {}, 2, v); }

  // ---- PMUSERENR_EL0: readable at EL0, writable only when privileged ----
  static A userenr_read(const Pmu& p, SysRegKey, uint8_t, uint64_t& v) { v = p.userenr_; return kOk; }
  static A userenr_write(Pmu& p, SysRegKey, uint8_t, uint64_t v) { p.userenr_ = v & userenr::kMask; return kOk; }
  static uint64_t userenr_raw_read(const Pmu& p, SysRegKey) { return p.userenr_; }
  static void userenr_raw_write(Pmu& p, SysRegKey, uint64_t v) { p.userenr_ = v & userenr::kMask; }

  // ---- the table ----
  // Row factories by access kind, so readable/writable follow from the kind (no function-pointer
  // comparisons in constant expressions: sanitizer builds cannot fold those).
  static constexpr Row rw_row(std::string_view name, SysRegKey key, El0Gate el0_read, El0Gate el0_write,
                              ReadFn rd, WriteFn wr, RawReadFn raw_rd, RawWriteFn raw_wr) {
    return {{name, key, true, true, el0_read, el0_write, pmuver::kV3}, rd, wr, raw_rd, raw_wr};
  }
  static constexpr Row ro_row(std::string_view name, SysRegKey key, El0Gate el0_read, ReadFn rd,
                              RawReadFn raw_rd, uint8_t min_pmuver = pmuver::kV3) {
    return {{name, key, true, false, el0_read, El0Gate::kNever, min_pmuver}, rd, nullptr, raw_rd, nullptr};
  }
  static constexpr Row wo_row(std::string_view name, SysRegKey key, El0Gate el0_write, WriteFn wr) {
    return {{name, key, false, true, El0Gate::kNever, el0_write, pmuver::kV3}, nullptr, wr, nullptr, nullptr};
  }
  template <uint64_t Pmu::*kMap>
  static constexpr Row bitmap_row(std::string_view name, SysRegKey key, El0Gate gate, bool set) {
    return rw_row(name, key, gate, gate, &bitmap_read<kMap>, set ? &bitmap_set<kMap> : &bitmap_clear<kMap>,
                  &bitmap_raw_read<kMap>, &bitmap_raw_write<kMap>);
  }

  static constexpr std::size_t kNumNamed = 17;
  static constexpr std::size_t kNumRows = kNumNamed + 2 * kMaxEventCounters;

  static constexpr std::array<Row, kNumRows> build();
};

namespace {

// "PMEVCNTR7_EL0"-style names, generated once at compile time.
struct CounterNames {
  static constexpr std::size_t kMaxLen = 20;
  std::array<std::array<char, kMaxLen>, kMaxEventCounters> text{};
  std::array<std::size_t, kMaxEventCounters> len{};
  constexpr std::string_view operator[](unsigned n) const { return {text[n].data(), len[n]}; }
};

constexpr CounterNames make_counter_names(std::string_view prefix) {
  CounterNames t;
  for (unsigned n = 0; n < kMaxEventCounters; ++n) {
    std::size_t i = 0;
    for (char ch : prefix) t.text[n][i++] = ch;
    if (n >= 10) t.text[n][i++] = static_cast<char>('0' + n / 10);
    t.text[n][i++] = static_cast<char>('0' + n % 10);
    for (char ch : std::string_view("_EL0")) t.text[n][i++] = ch;
    t.len[n] = i;
  }
  return t;
}

constexpr CounterNames kEvcntrNames = make_counter_names("PMEVCNTR");
constexpr CounterNames kEvtyperNames = make_counter_names("PMEVTYPER");

}  // namespace

constexpr std::array<RegOps::Row, RegOps::kNumRows> RegOps::build() {
  using G = El0Gate;
  std::array<Row, kNumRows> t{};
  std::size_t i = 0;
  // EL1 registers: never accessible at EL0.
  t[i++] = bitmap_row<&Pmu::inten_>("PMINTENSET_EL1", sysreg(3, 0, 9, 14, 1), G::kNever, true);
  t[i++] = bitmap_row<&Pmu::inten_>("PMINTENCLR_EL1", sysreg(3, 0, 9, 14, 2), G::kNever, false);
  t[i++] = ro_row("PMMIR_EL1", sysreg(3, 0, 9, 14, 6), G::kNever, &pmmir_read, &pmmir_raw_read, pmuver::kV3p4);
  // EL0 registers, gated by PMUSERENR_EL0.
  t[i++] = rw_row("PMCR_EL0", sysreg(3, 3, 9, 12, 0), G::kEn, G::kEn, &pmcr_read, &pmcr_write, &pmcr_raw_read,
                  &pmcr_raw_write);
  t[i++] = bitmap_row<&Pmu::cnten_>("PMCNTENSET_EL0", sysreg(3, 3, 9, 12, 1), G::kEn, true);
  t[i++] = bitmap_row<&Pmu::cnten_>("PMCNTENCLR_EL0", sysreg(3, 3, 9, 12, 2), G::kEn, false);
  t[i++] = bitmap_row<&Pmu::ovs_>("PMOVSCLR_EL0", sysreg(3, 3, 9, 12, 3), G::kEn, false);
  t[i++] = wo_row("PMSWINC_EL0", sysreg(3, 3, 9, 12, 4), G::kEnOrSw, &swinc_write);
  t[i++] = rw_row("PMSELR_EL0", sysreg(3, 3, 9, 12, 5), G::kEnOrEr, G::kEnOrEr, &selr_read, &selr_write,
                  &selr_raw_read, &selr_raw_write);
  t[i++] = ro_row("PMCEID0_EL0", sysreg(3, 3, 9, 12, 6), G::kEn, &pmceid_read, &pmceid_raw_read);
  t[i++] = ro_row("PMCEID1_EL0", sysreg(3, 3, 9, 12, 7), G::kEn, &pmceid_read, &pmceid_raw_read);
  t[i++] = rw_row("PMCCNTR_EL0", sysreg(3, 3, 9, 13, 0), G::kEnOrCr, G::kEn, &ccntr_read, &ccntr_write,
                  &ccntr_raw_read, &ccntr_raw_write);
  t[i++] = rw_row("PMXEVTYPER_EL0", sysreg(3, 3, 9, 13, 1), G::kEn, G::kEn, &xevtyper_read, &xevtyper_write,
                  &xevtyper_raw_read, &xevtyper_raw_write);
  t[i++] = rw_row("PMXEVCNTR_EL0", sysreg(3, 3, 9, 13, 2), G::kEnOrEr, G::kEn, &xevcntr_read, &xevcntr_write,
                  &xevcntr_raw_read, &xevcntr_raw_write);
  t[i++] = rw_row("PMUSERENR_EL0", sysreg(3, 3, 9, 14, 0), G::kAlways, G::kNever, &userenr_read, &userenr_write,
                  &userenr_raw_read, &userenr_raw_write);
  t[i++] = bitmap_row<&Pmu::ovs_>("PMOVSSET_EL0", sysreg(3, 3, 9, 14, 3), G::kEn, true);
  t[i++] = rw_row("PMCCFILTR_EL0", sysreg(3, 3, 14, 15, 7), G::kEn, G::kEn, &ccfiltr_read, &ccfiltr_write,
                  &ccfiltr_raw_read, &ccfiltr_raw_write);
  for (unsigned n = 0; n < kMaxEventCounters; ++n) {
    const auto crm_lo = static_cast<uint8_t>(n >> 3), op2 = static_cast<uint8_t>(n & 7);
    t[i++] = rw_row(kEvcntrNames[n], sysreg(3, 3, 14, static_cast<uint8_t>(8 + crm_lo), op2), G::kEnOrEr, G::kEn,
                    &evcntr_read, &evcntr_write, &evcntr_raw_read, &evcntr_raw_write);
    t[i++] = rw_row(kEvtyperNames[n], sysreg(3, 3, 14, static_cast<uint8_t>(12 + crm_lo), op2), G::kEn, G::kEn,
                    &evtyper_read, &evtyper_write, &evtyper_raw_read, &evtyper_raw_write);
  }
  std::sort(t.begin(), t.end(), [](const Row& a, const Row& b) { return a.info.key.index() < b.info.key.index(); });
  return t;
}

namespace {

constexpr auto kRows = RegOps::build();

constexpr bool sorted_and_unique() {
  for (std::size_t i = 1; i < kRows.size(); ++i)
    if (kRows[i - 1].info.key.index() >= kRows[i].info.key.index()) return false;
  return true;
}
static_assert(sorted_and_unique(), "PMU register table has a duplicate encoding");

constexpr bool named_and_counted() {
  std::size_t named = 0;
  for (const auto& r : kRows) {
    if (r.info.name.empty()) return false;
    const auto family = r.info.name.substr(0, 6);
    named += family != "PMEVCN" && family != "PMEVTY";
  }
  return named == RegOps::kNumNamed;
}
static_assert(named_and_counted(), "PMU register table: a row without a name, or a family miscounted");

constexpr auto kInfos = [] {
  std::array<RegInfo, kRows.size()> a{};
  for (std::size_t i = 0; i < kRows.size(); ++i) a[i] = kRows[i].info;
  return a;
}();

const RegOps::Row* find_row(SysRegKey key) {
  const uint16_t idx = key.index();
  const auto* it = std::lower_bound(kRows.begin(), kRows.end(), idx,
                                    [](const RegOps::Row& r, uint16_t i) { return r.info.key.index() < i; });
  return (it != kRows.end() && it->info.key.index() == idx) ? it : nullptr;
}

std::string key_text(SysRegKey k) {
  return "S" + std::to_string(k.op0) + "_" + std::to_string(k.op1) + "_C" + std::to_string(k.crn) + "_C" +
         std::to_string(k.crm) + "_" + std::to_string(k.op2);
}

}  // namespace

std::span<const RegInfo> register_table() { return kInfos; }

int register_index(SysRegKey key) {
  const RegOps::Row* r = find_row(key);
  return r ? static_cast<int>(r - kRows.data()) : -1;
}

const RegInfo* find_register(SysRegKey key) {
  const RegOps::Row* r = find_row(key);
  return r ? &kInfos[static_cast<std::size_t>(r - kRows.data())] : nullptr;
}

bool Pmu::gate_allows(const RegInfo& reg, bool is_read) const {
  switch (is_read ? reg.el0_read : reg.el0_write) {
    case El0Gate::kNever: return false;
    case El0Gate::kAlways: return true;
    case El0Gate::kEn: return userenr_ & userenr::kEN;
    case El0Gate::kEnOrEr: return userenr_ & (userenr::kEN | userenr::kER);
    case El0Gate::kEnOrCr: return userenr_ & (userenr::kEN | userenr::kCR);
    case El0Gate::kEnOrSw: return userenr_ & (userenr::kEN | userenr::kSW);
  }
  return false;
}

Pmu::Access Pmu::read(SysRegKey key, uint8_t el, uint64_t& value) {
  const RegOps::Row* r = find_row(key);
  if (r == nullptr) return Access::kUndef;
  return read_at(static_cast<unsigned>(r - kRows.data()), el, value);
}

Pmu::Access Pmu::write(SysRegKey key, uint8_t el, uint64_t value) {
  const RegOps::Row* r = find_row(key);
  if (r == nullptr) return Access::kUndef;
  return write_at(static_cast<unsigned>(r - kRows.data()), el, value);
}

Pmu::Access Pmu::read_at(unsigned index, uint8_t el, uint64_t& value) {
  const RegOps::Row& r = kRows[index];
  if (config_.pmuver < r.info.min_pmuver || r.read == nullptr) return Access::kUndef;
  if (el == 0 && !gate_allows(r.info, true)) return Access::kUndef;
  return r.read(*this, r.info.key, el, value);
}

Pmu::Access Pmu::write_at(unsigned index, uint8_t el, uint64_t value) {
  const RegOps::Row& r = kRows[index];
  if (config_.pmuver < r.info.min_pmuver || r.write == nullptr) return Access::kUndef;
  if (el == 0 && !gate_allows(r.info, false)) return Access::kUndef;
  return r.write(*this, r.info.key, el, value);
}

uint64_t Pmu::reg(SysRegKey key) const {
  const RegOps::Row* r = find_row(key);
  if (r == nullptr || config_.pmuver < r->info.min_pmuver)
    throw std::invalid_argument("pmu: reg(): " + key_text(key) + " is not a PMU register of this PMU");
  return r->raw_read ? r->raw_read(*this, key) : 0;
}

void Pmu::set_reg(SysRegKey key, uint64_t v) {
  const RegOps::Row* r = find_row(key);
  if (r == nullptr || config_.pmuver < r->info.min_pmuver)
    throw std::invalid_argument("pmu: set_reg(): " + key_text(key) + " is not a PMU register of this PMU");
  if (r->raw_write) r->raw_write(*this, key, v);
}

Pmu::Access handle_iss(Pmu& pmu, uint32_t iss, uint8_t el, uint64_t& value) {
  const SysRegKey key = SysRegKey::from_esr_iss(iss);
  const bool is_read = arch::bit<0>(iss);
  return is_read ? pmu.read(key, el, value) : pmu.write(key, el, value);
}

}  // namespace pmu
