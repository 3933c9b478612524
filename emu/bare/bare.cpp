#include "emu/bare/bare.h"

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "cpu/core.h"
#include "emu/common/errors.h"
#include "emu/common/guest_ram.h"
#include "emu/devices/pl011.h"
#include "emu/loader/elf.h"
#include "emu/vmm/disasm.h"
#include "emu/vmm/host_model.h"
#include "emu/vmm/semihosting.h"
#include "kvm_model/timer/generic_timer.h"
#include "kvm_model/vgic/vgic.h"
#include "pmu/pmu.h"

namespace pmuemu::bare {
namespace {

namespace vgic = kvm_model::vgic;
namespace timer = kvm_model::timer;

// Instructions per run() call when nothing nearer (timer deadline, counter overflow) bounds it.
constexpr uint64_t kQuantum = 1u << 20;
constexpr uint64_t kMpidr = 0x80000000;  // pCPU 0: Aff0..Aff3 = 0, bit 31 RES1

// PSCI 1.1 / SMCCC 1.1 function ids and results (Arm DEN0022, DEN0028), as the VMM path's
// firmware (kvm_model's PSCI) implements them.
constexpr uint32_t kSmcccVersion = 0x80000000, kSmcccArchFeatures = 0x80000001;
constexpr uint32_t kPsciVersion = 0x84000000, kPsciCpuOff = 0x84000002, kPsciCpuOn64 = 0xC4000003,
                   kPsciAffinityInfo64 = 0xC4000004, kPsciSystemOff = 0x84000008,
                   kPsciSystemReset = 0x84000009, kPsciFeatures = 0x8400000A;
constexpr uint32_t kPsciImplemented[] = {kSmcccVersion, kPsciVersion,      kPsciFeatures,   kPsciCpuOn64,
                                         kPsciAffinityInfo64, kPsciCpuOff, kPsciSystemOff, kPsciSystemReset};
constexpr uint64_t kPsciSuccess = 0;
constexpr uint64_t kPsciNotSupported = static_cast<uint64_t>(-1);
constexpr uint64_t kPsciInvalidParams = static_cast<uint64_t>(-2);
constexpr uint64_t kPsciAlreadyOn = static_cast<uint64_t>(-4);
constexpr uint64_t kPsciVersion11 = 0x00010001;
constexpr uint64_t kAffMask = 0xff00ffffffull;

bool is_gic_cpuif(arch::SysRegKey k) { return k.op0 == 3 && k.op1 == 0 && (k.crn == 12 || (k.crn == 4 && k.crm == 6)); }
bool is_timer(arch::SysRegKey k) { return k.op0 == 3 && k.op1 == 3 && k.crn == 14 && k.crm <= 3; }

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}


class Machine final : private cpu::SysRegPort {
 public:
  Machine(const config::Host& host, const vmm::RunOptions& opts)
      : opts_(opts),
        core_type_(host.cluster_of(0).core),
        image_(loader::load_elf_file(opts.guest_path, opts.ram_base, opts.ram_size)),
        ram_(opts.ram_size),
        mem_(ram_.data(), opts.ram_base, opts.ram_size),
        guest_ram_{ram_.data(), opts.ram_base, opts.ram_size},
        pmu_(vmm::pmu_config(core_type_, opts.timing == vmm::Timing::kCycle)),
        gic_(1, vgic::kDefaultNumIrqs),
        uart_([this](unsigned, char c) { std::fputc(c, opts_.out); }),
        frequency_mhz_(core_type_.timing.frequency_mhz) {
    for (const auto& seg : image_.segments)
      if (!seg.data.empty()) std::memcpy(ram_.data() + (seg.paddr - opts.ram_base), seg.data.data(), seg.data.size());
    cpu::IdRegs ids = vmm::id_regs(core_type_);
    ids.mpidr = kMpidr;
    core_ = std::make_unique<cpu::Core>(mem_, ids);
    core_->set_sysreg_port(this);
    if (opts.timing == vmm::Timing::kCycle) {
      model_ = std::make_unique<cpu::timing::TimingModel>(vmm::timing_params(core_type_));
      core_->set_timing_model(model_.get());
    }
    if (opts.trace_insn) {
      dis_ = std::make_unique<vmm::Disassembler>();
      core_->set_tracer([this](const cpu::Core& c, uint64_t pc, uint32_t insn) {
        const std::string t = dis_->text(insn, pc);
        std::fprintf(opts_.trace, "[cpu0 EL%u] %016" PRIx64 ": %08x  %s\n", c.state().el, pc, insn,
                     t.empty() ? "<undefined>" : t.c_str());
      });
    }
    boot();
  }

  vmm::RunOutcome run();

 private:
  // Cold boot and PSCI SYSTEM_RESET: every block of the core is reset, RAM is kept.
  void boot() {
    core_->reset(image_.entry);
    core_->set_x(0, opts_.arg);
    pmu_.reset();
    gic_.reset();
    timer_.reset();
    flush_events();  // nothing counted before the reset reaches the reset counters
    ev_.clear();
  }

  // The core's clock in cycles, including the run() in progress (a timer read mid-run).
  uint64_t live_cycles() const {
    if (!in_run_) return cycles_;
    return cycles_ + (model_ ? model_->cycles() - run_cycles0_ : core_->retired_total() - run_insns0_);
  }
  uint64_t now_ticks() const { return timer_.ticks_after(live_cycles(), frequency_mhz_); }
  // Cycles until the timer output could change (UINT64_MAX: never), at least 1.
  uint64_t cycles_until_timer() const { return timer_.cycles_until_deadline(now_ticks(), frequency_mhz_); }

  // Events the core produced since the last flush -> the PMU. Functional timing: one
  // instruction, one cycle; cycle timing: whatever the model emitted.
  void flush_events() {
    if (model_) {
      const arch::EventMask touched = model_->drain_events(ev_);
      if (!touched.any()) return;
      pmu_.add_events(ev_);
      ev_.clear(touched);
      return;
    }
    const auto now = core_->retired_by_el();
    const uint64_t n[2] = {now[0] - counted_[0], now[1] - counted_[1]};
    if ((n[0] | n[1]) == 0) return;
    counted_ = now;
    for (unsigned el = 0; el < 2; ++el) {
      auto& c = ev_.counts[el];
      c[0x08] = n[el];  // INST_RETIRED
      c[0x1B] = n[el];  // INST_SPEC
      c[0x11] = n[el];  // CPU_CYCLES
    }
    pmu_.add_events(ev_);
    for (auto& c : ev_.counts) c[0x08] = c[0x1B] = c[0x11] = 0;
  }

  // Timer and PMU outputs into the GIC, the GIC's output into the core.
  void sync_interrupts() {
    timer_.update(now_ticks(), gic_, 0);
    gic_.set_irq_level(0, vgic::kPmuPpi, pmu_.irq_level());
    core_->set_irq_pending(gic_.irq_pending(0));
  }

  Result handle(cpu::Core& core, uint32_t iss, uint64_t& value) override;
  std::optional<vmm::RunOutcome> handle_hvc();
  void handle_mmio();

  vmm::RunOutcome finish(int status, std::string error) {
    std::fflush(opts_.out);
    vmm::RunOutcome out;
    out.exit_status = status;
    out.error = std::move(error);
    out.instructions = core_->retired_total();
    out.resets = resets_;
    return out;
  }

  const vmm::RunOptions& opts_;
  config::CoreType core_type_;
  loader::ElfImage image_;
  GuestRamBuffer ram_;
  cpu::PhysMem mem_;
  vmm::GuestRam guest_ram_;
  pmu::Pmu pmu_;
  vgic::Vgic gic_;
  timer::GenericTimer timer_;
  devices::Pl011 uart_;
  std::unique_ptr<cpu::Core> core_;
  std::unique_ptr<cpu::timing::TimingModel> model_;
  std::unique_ptr<vmm::Disassembler> dis_;
  arch::EventCounts ev_;
  std::array<uint64_t, 2> counted_{};
  uint32_t frequency_mhz_;
  uint64_t cycles_ = 0;
  bool in_run_ = false;
  uint64_t run_cycles0_ = 0, run_insns0_ = 0;
  uint32_t resets_ = 0;
};

cpu::SysRegPort::Result Machine::handle(cpu::Core& core, uint32_t iss, uint64_t& value) {
  const auto key = arch::SysRegKey::from_esr_iss(iss);
  const bool is_read = iss & 1;
  const uint8_t el = core.state().el;
  Result result = Result::kUndef;
  if (is_gic_cpuif(key)) {
    // ICC_* registers are not accessible at EL0.
    if (el != 0 && gic_.sysreg(0, key, is_read, value) == vgic::Vgic::Access::kOk) result = Result::kDone;
  } else if (is_timer(key)) {
    timer::AccessContext ctx;
    ctx.el = el;
    ctx.cntkctl = core.sysreg(cpu::SysSlot::CNTKCTL_EL1);
    ctx.now = now_ticks();
    ctx.gic = &gic_;
    ctx.vcpu = 0;
    if (timer_.sysreg(key, is_read, value, ctx) == timer::GenericTimer::Access::kOk) result = Result::kDone;
    // A new compare value may bring the deadline closer than this run() was bounded by.
    if (!is_read) core.request_stop();
  } else if (pmu::find_register(key) != nullptr) {
    flush_events();  // the counters include every instruction before this one
    const bool ok = pmu::handle_iss(pmu_, iss, el, value) == pmu::Pmu::Access::kOk;
    if (opts_.trace_sysreg)
      std::fprintf(opts_.trace, "sysreg: pCPU 0 EL%u %-8s S%u_%u_C%u_C%u_%u %s %#" PRIx64 " %s\n", el,
                   is_read ? "MRS" : "MSR", key.op0, key.op1, key.crn, key.crm, key.op2, is_read ? "->" : "<-", value,
                   ok ? "ok" : "UNDEF");
    gic_.set_irq_level(0, vgic::kPmuPpi, pmu_.irq_level());
    if (ok) result = Result::kDone;
    // Reprogramming may bring an overflow closer than this run() was bounded by: end it at
    // this block so the next one is bounded by the new events_until_overflow().
    if (!is_read) core.request_stop();
  }
  core.set_irq_pending(gic_.irq_pending(0));
  return result;
}

// PSCI/SMCCC from the firmware; nullopt = resume the guest.
std::optional<vmm::RunOutcome> Machine::handle_hvc() {
  const uint32_t fn = static_cast<uint32_t>(core_->x(0));
  uint64_t ret = kPsciNotSupported;
  switch (fn) {
    case kSmcccVersion:
    case kPsciVersion: ret = kPsciVersion11; break;
    case kSmcccArchFeatures: ret = kPsciNotSupported; break;
    case kPsciFeatures: {
      const uint32_t q = static_cast<uint32_t>(core_->x(1));
      ret = std::find(std::begin(kPsciImplemented), std::end(kPsciImplemented), q) != std::end(kPsciImplemented)
                ? kPsciSuccess
                : kPsciNotSupported;
      break;
    }
    case kPsciCpuOn64: ret = (core_->x(1) & kAffMask) == (kMpidr & kAffMask) ? kPsciAlreadyOn : kPsciInvalidParams; break;
    case kPsciAffinityInfo64: {
      const uint64_t level = core_->x(2);
      static constexpr uint64_t kLevelMask[4] = {0xff00ffffffull, 0xff00ffff00ull, 0xff00ff0000ull, 0xff00000000ull};
      if (level > 3) ret = kPsciInvalidParams;
      else ret = (core_->x(1) & kLevelMask[level]) == (kMpidr & kLevelMask[level]) ? 0 /*ON*/ : kPsciInvalidParams;
      break;
    }
    case kPsciCpuOff:
      return finish(kExitGuestFault, "the only CPU is powered off (PSCI CPU_OFF) and none can wake it");
    case kPsciSystemOff:
      return finish(kExitOk, "");
    case kPsciSystemReset:
      if (++resets_ > opts_.max_resets)
        return finish(kExitGuestFault,
                      "guest requested more than " + std::to_string(opts_.max_resets) + " system resets (--max-resets)");
      boot();
      return std::nullopt;
    default: break;
  }
  core_->set_x(0, ret);
  return std::nullopt;
}

// Device accesses outside RAM with a syndrome: the GIC, the PL011; anything else reads as
// zero and ignores writes (docs/guest-abi.md).
void Machine::handle_mmio() {
  const cpu::MmioAccess& a = core_->mmio();
  uint64_t data = 0;
  if (gic_.owns(a.phys_addr)) {
    if (a.is_write) gic_.mmio_write(a.phys_addr, a.size, a.data);
    else gic_.mmio_read(a.phys_addr, a.size, data);
  } else if (uart_.owns(a.phys_addr)) {
    const uint64_t off = a.phys_addr - devices::Pl011::kBase;
    if (a.is_write) uart_.write(0, off, a.data);
    else data = uart_.read(off);
  }
  if (!a.is_write) core_->complete_mmio_read(data);
  core_->set_irq_pending(gic_.irq_pending(0));
}

vmm::RunOutcome Machine::run() {
  for (;;) {
    uint64_t budget = kQuantum;
    if (opts_.max_insns) {
      const uint64_t done = core_->retired_total();
      if (done >= opts_.max_insns)
        return finish(kExitGuestFault, "instruction limit reached (--max-insns " + std::to_string(opts_.max_insns) +
                                           ") at pCPU 0 PC " + hex(core_->state().pc));
      budget = std::min(budget, opts_.max_insns - done);
    }
    // The overflow interrupt is at most one chunk late: no chunk is longer than the number of
    // events any counter can still take without overflowing (one event per instruction and
    // counter with functional timing; a chunk of cycle-timed instructions may carry more).
    budget = std::min(budget, std::max<uint64_t>(1, pmu_.events_until_overflow()));
    budget = std::min(budget, cycles_until_timer());
    sync_interrupts();
    in_run_ = true;
    run_cycles0_ = model_ ? model_->cycles() : 0;
    run_insns0_ = core_->retired_total();
    const cpu::RunResult r = core_->run(budget);
    cycles_ = live_cycles();
    in_run_ = false;
    flush_events();
    sync_interrupts();
    switch (r.reason) {
      case cpu::ExitReason::kBudget:
      case cpu::ExitReason::kStopRequested:
        continue;
      case cpu::ExitReason::kHvc:
      case cpu::ExitReason::kSmc:
        if (auto done = handle_hvc()) return *done;
        continue;
      case cpu::ExitReason::kSemihosting: {
        const vmm::SemihostingResult s = vmm::semihosting_call(guest_ram_, static_cast<uint32_t>(core_->x(0)),
                                                               core_->x(1), opts_.out);
        if (!s.error.empty()) return finish(kExitGuestFault, "guest semihosting call: " + s.error);
        if (s.exit_status) return finish(*s.exit_status, "");
        core_->set_x(0, s.x0);
        continue;
      }
      case cpu::ExitReason::kMmio:
        handle_mmio();
        continue;
      case cpu::ExitReason::kMmioNoSyndrome:
        return finish(kExitGuestFault, "guest accessed MMIO at PA " + hex(core_->mmio().phys_addr) +
                                           " with an instruction the emulated device path cannot perform (no "
                                           "syndrome: pair, writeback, exclusive or atomic) on pCPU 0");
      case cpu::ExitReason::kHostPage:  // only a gate's slots stop so; bare metal has none
        return finish(kExitGuestFault, "guest access to a host page that is not there");
      case cpu::ExitReason::kWfi: {
        if (core_->irq_pending()) continue;
        // Halted in WFI: time passes until the timer fires (no event counts meanwhile).
        const uint64_t skip = cycles_until_timer();
        if (skip == UINT64_MAX) return finish(kExitGuestFault, "the CPU is halted (WFI) and no interrupt can wake it");
        cycles_ += skip;
        sync_interrupts();
        continue;
      }
      case cpu::ExitReason::kExceptionLoop: {
        const auto& o = core_->loop_origin();
        return finish(kExitGuestFault, "guest fault without handler on pCPU 0: exception loop started at PC " +
                                           hex(o.elr) + " (ESR_EL1 " + hex(o.esr) + ", ELR_EL1 " + hex(o.elr) +
                                           ", FAR_EL1 " + hex(o.far) + ")");
      }
    }
  }
}

}  // namespace

vmm::RunOutcome run_bare(const config::Host& host, const vmm::RunOptions& opts) {
  Machine m(host, opts);
  return m.run();
}

}  // namespace pmuemu::bare
