#include "emu/vmm/vmm.h"

#include <sys/mman.h>

#include <cinttypes>
#include <cstring>
#include <memory>
#include <optional>

#include "emu/common/errors.h"
#include "emu/devices/pl011.h"
#include "emu/vmm/disasm.h"
#include "emu/vmm/semihosting.h"
#include "kvm_model/kvm.h"

namespace pmuemu::vmm {
namespace {

// Instructions per KVM_RUN call: the VMM's scheduling quantum.
constexpr uint64_t kQuantum = 1u << 20;

// Guest RAM: anonymous private mapping, so untouched pages cost nothing and read as zero.
class RamBuffer {
 public:
  explicit RamBuffer(uint64_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map guest RAM");
    ptr_ = static_cast<uint8_t*>(p);
  }
  ~RamBuffer() { munmap(ptr_, size_); }
  RamBuffer(const RamBuffer&) = delete;
  RamBuffer& operator=(const RamBuffer&) = delete;
  uint8_t* data() const { return ptr_; }

 private:
  uint8_t* ptr_ = nullptr;
  uint64_t size_;
};

kvm_model::HostDesc host_desc(const config::Host& host) {
  kvm_model::HostDesc d;
  for (uint32_t c = 0; c < host.clusters.size(); ++c) {
    const auto& cl = host.clusters[c];
    for (uint32_t i = 0; i < cl.cpus; ++i) {
      kvm_model::HostCpu cpu;
      cpu.ids.midr = cl.core.midr;
      // ID_AA64DFR0_EL1.PMUVer (bits 11:8) from the core's PMU version.
      cpu.ids.id_aa64dfr0 = (cpu.ids.id_aa64dfr0 & ~uint64_t{0xf00}) | (uint64_t{cl.core.pmuver} << 8);
      cpu.cluster = c;
      d.cpus.push_back(cpu);
    }
  }
  return d;
}

std::string errno_name(int rc) {
  return std::string(strerrorname_np(-rc) ? strerrorname_np(-rc) : "E?");
}

void check(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string(what) + " failed: " + errno_name(rc));
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// Guest console: semihosting and PL011 output. PL011 lines are tagged "[cpuN] " once more
// than one vCPU has written to the UART; semihosting output is passed through untagged, as
// QEMU prints it, so single-threaded guests compare byte for byte.
class Console {
 public:
  explicit Console(std::FILE* out) : out_(out) {}
  void uart(unsigned vcpu, char c) {
    if (lines_.size() <= vcpu) lines_.resize(vcpu + 1);
    writers_ |= uint64_t{1} << (vcpu & 63);
    std::string& line = lines_[vcpu];
    line.push_back(c);
    if (c == '\n') {
      if (writers_ & (writers_ - 1)) std::fprintf(out_, "[cpu%u] ", vcpu);
      std::fwrite(line.data(), 1, line.size(), out_);
      line.clear();
    }
  }
  void flush() {
    for (size_t v = 0; v < lines_.size(); ++v) {
      if (lines_[v].empty()) continue;
      if (writers_ & (writers_ - 1)) std::fprintf(out_, "[cpu%zu] ", v);
      std::fwrite(lines_[v].data(), 1, lines_[v].size(), out_);
      lines_[v].clear();
    }
    std::fflush(out_);
  }
  std::FILE* out() const { return out_; }

 private:
  std::FILE* out_;
  std::vector<std::string> lines_;
  uint64_t writers_ = 0;
};

class Vmm {
 public:
  Vmm(const config::Host& host, const RunOptions& opts)
      : opts_(opts),
        image_(loader::load_elf_file(opts.guest_path, opts.ram_base, opts.ram_size)),
        kvm_(host_desc(host)),
        ram_(opts.ram_size),
        guest_ram_{ram_.data(), opts.ram_base, opts.ram_size},
        console_(opts.out),
        uart_([this](unsigned vcpu, char c) { console_.uart(vcpu, c); }) {
    check(kvm_.create_vm(vm_), "KVM_CREATE_VM");
    check(vm_->set_user_memory_region(0, opts.ram_base, opts.ram_size, ram_.data()), "KVM_SET_USER_MEMORY_REGION");
    for (const auto& seg : image_.segments) {
      // BSS-only segments have no file bytes (and a null data()); RAM is already zero.
      if (!seg.data.empty()) std::memcpy(ram_.data() + (seg.paddr - opts.ram_base), seg.data.data(), seg.data.size());
    }
    check(vm_->arm_preferred_target(init_), "KVM_ARM_PREFERRED_TARGET");
    init_.features[0] |= 1u << kvm_model::KVM_ARM_VCPU_PSCI_0_2;
    for (uint32_t id = 0; id < opts.vcpus; ++id) {
      kvm_model::Vcpu* v = nullptr;
      check(vm_->create_vcpu(id, v), "KVM_CREATE_VCPU");
      // vCPU k is placed on pCPU k modulo the host's pCPU count.
      v->vcpu_load(id % static_cast<uint32_t>(host.num_pcpus()));
      vcpus_.push_back(v);
    }
    if (opts.trace_insn) {
      dis_ = std::make_unique<Disassembler>();
      for (auto* v : vcpus_) {
        v->set_insn_trace([this](unsigned id, uint64_t pc, uint32_t insn, uint8_t el) {
          const std::string t = dis_->text(insn, pc);
          std::fprintf(opts_.trace, "[vcpu%u EL%u] %016" PRIx64 ": %08x  %s\n", id, el, pc, insn,
                       t.empty() ? "<undefined>" : t.c_str());
        });
      }
    }
    boot();
  }

  RunOutcome run();

 private:
  // Initialises every vCPU as a VMM does at boot and after a system reset: vCPU 0 at the
  // ELF entry with x0 = --arg, the others powered off until PSCI CPU_ON.
  void boot() {
    for (auto* v : vcpus_) {
      kvm_model::kvm_vcpu_init init = init_;
      if (v->id() != 0) init.features[0] |= 1u << kvm_model::KVM_ARM_VCPU_POWER_OFF;
      check(v->arm_vcpu_init(init), "KVM_ARM_VCPU_INIT");
    }
    check(vcpus_[0]->set_one_reg(kvm_model::kRegPc, image_.entry), "KVM_SET_ONE_REG(PC)");
    check(vcpus_[0]->set_one_reg(kvm_model::kRegX(0), opts_.arg), "KVM_SET_ONE_REG(X0)");
  }

  uint64_t total_instructions() const {
    uint64_t n = 0;
    for (auto* v : vcpus_) n += v->instructions();
    return n;
  }

  RunOutcome finish(int status, std::string error) {
    console_.flush();
    out_.exit_status = status;
    out_.error = std::move(error);
    out_.instructions = total_instructions();
    return out_;
  }

  // Serves one exit of `v`; returns an outcome when the run is over.
  std::optional<RunOutcome> handle_exit(kvm_model::Vcpu* v);

  RunOptions opts_;
  loader::ElfImage image_;
  kvm_model::Kvm kvm_;
  std::unique_ptr<kvm_model::Vm> vm_;
  RamBuffer ram_;
  GuestRam guest_ram_;
  Console console_;
  devices::Pl011 uart_;
  kvm_model::kvm_vcpu_init init_;
  std::vector<kvm_model::Vcpu*> vcpus_;
  std::unique_ptr<Disassembler> dis_;
  RunOutcome out_;
};

std::optional<RunOutcome> Vmm::handle_exit(kvm_model::Vcpu* v) {
  kvm_model::KvmRun& run = v->run_struct();
  switch (run.exit_reason) {
    case kvm_model::KVM_EXIT_DEBUG: {
      uint64_t op, param;
      check(v->get_one_reg(kvm_model::kRegX(0), op), "KVM_GET_ONE_REG(X0)");
      check(v->get_one_reg(kvm_model::kRegX(1), param), "KVM_GET_ONE_REG(X1)");
      const SemihostingResult r = semihosting_call(guest_ram_, static_cast<uint32_t>(op), param, console_.out());
      if (!r.error.empty()) return finish(kExitGuestFault, "guest semihosting call: " + r.error);
      if (r.exit_status) return finish(*r.exit_status, "");
      check(v->set_one_reg(kvm_model::kRegX(0), r.x0), "KVM_SET_ONE_REG(X0)");
      return std::nullopt;
    }
    case kvm_model::KVM_EXIT_SYSTEM_EVENT:
      if (run.system_event.type == kvm_model::KVM_SYSTEM_EVENT_SHUTDOWN) return finish(kExitOk, "");
      if (++out_.resets > opts_.max_resets)
        return finish(kExitGuestFault,
                      "guest requested more than " + std::to_string(opts_.max_resets) + " system resets (--max-resets)");
      boot();  // guest RAM is kept: a guest can count its boots
      return std::nullopt;
    case kvm_model::KVM_EXIT_INTERNAL_ERROR:
      if (run.internal.suberror == kvm_model::PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP)
        return finish(kExitGuestFault, "guest fault without handler on vCPU " + std::to_string(v->id()) +
                                           ": exception loop started at PC " + hex(run.internal.data[3]) +
                                           " (ESR_EL1 " + hex(run.internal.data[0]) + ", ELR_EL1 " +
                                           hex(run.internal.data[1]) + ", FAR_EL1 " + hex(run.internal.data[2]) + ")");
      return finish(kExitInternal, "KVM_RUN internal error " + std::to_string(run.internal.suberror));
    default:
      return finish(kExitInternal, "unexpected KVM exit reason " + std::to_string(run.exit_reason));
  }
}

RunOutcome Vmm::run() {
  // Deterministic round robin: each runnable vCPU runs one quantum in vCPU order, so the
  // same command always interleaves the guest identically.
  const uint64_t quantum = vcpus_.size() == 1 ? (1u << 20) : 10000;
  for (;;) {
    bool progressed = false;
    for (auto* v : vcpus_) {
      if (v->powered_off() && !v->psci_on_pending()) continue;
      if (v->mp_state() == kvm_model::KVM_MP_STATE_HALTED) continue;
      uint64_t budget = quantum;
      if (opts_.max_insns) {
        const uint64_t done = total_instructions();
        if (done >= opts_.max_insns) {
          uint64_t pc = 0;
          v->get_one_reg(kvm_model::kRegPc, pc);
          return finish(kExitGuestFault, "instruction limit reached (--max-insns " + std::to_string(opts_.max_insns) +
                                             ") at vCPU " + std::to_string(v->id()) + " PC " + hex(pc));
        }
        budget = std::min(budget, opts_.max_insns - done);
      }
      v->run_struct().insn_budget = budget;
      const int rc = v->run();
      progressed |= v->run_struct().insns_retired > 0;
      if (rc == -EINTR && v->run_struct().exit_reason == kvm_model::KVM_EXIT_INTR) continue;
      check(rc, "KVM_RUN");
      progressed = true;
      if (auto done = handle_exit(v)) return *done;
    }
    if (!progressed) {
      bool any_halted = false;
      for (auto* v : vcpus_) any_halted |= v->mp_state() == kvm_model::KVM_MP_STATE_HALTED;
      return finish(kExitGuestFault, any_halted ? "every vCPU is halted (WFI) or off and no interrupt can wake one"
                                                : "every vCPU is powered off (PSCI CPU_OFF) and none can be woken");
    }
  }
}

}  // namespace

RunOutcome run_guest(const config::Host& host, const RunOptions& opts) {
  Vmm vmm(host, opts);
  return vmm.run();
}

}  // namespace pmuemu::vmm
