#include "emu/vmm/vmm.h"

#include <sys/mman.h>

#include <cinttypes>
#include <cstring>
#include <memory>

#include "emu/common/errors.h"
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

}  // namespace

RunOutcome run_guest(const config::Host& host, const RunOptions& opts) {
  const loader::ElfImage image = loader::load_elf_file(opts.guest_path, opts.ram_base, opts.ram_size);

  kvm_model::Kvm kvm(host_desc(host));
  std::unique_ptr<kvm_model::Vm> vm;
  check(kvm.create_vm(vm), "KVM_CREATE_VM");

  RamBuffer ram(opts.ram_size);
  check(vm->set_user_memory_region(0, opts.ram_base, opts.ram_size, ram.data()), "KVM_SET_USER_MEMORY_REGION");
  for (const auto& seg : image.segments) {
    std::memcpy(ram.data() + (seg.paddr - opts.ram_base), seg.data.data(), seg.data.size());
  }
  const GuestRam guest_ram{ram.data(), opts.ram_base, opts.ram_size};

  kvm_model::Vcpu* vcpu = nullptr;
  check(vm->create_vcpu(0, vcpu), "KVM_CREATE_VCPU");
  kvm_model::kvm_vcpu_init init;
  check(vm->arm_preferred_target(init), "KVM_ARM_PREFERRED_TARGET");
  init.features[0] |= 1u << kvm_model::KVM_ARM_VCPU_PSCI_0_2;

  auto boot = [&] {
    check(vcpu->arm_vcpu_init(init), "KVM_ARM_VCPU_INIT");
    check(vcpu->set_one_reg(kvm_model::kRegPc, image.entry), "KVM_SET_ONE_REG(PC)");
    check(vcpu->set_one_reg(kvm_model::kRegX(0), opts.arg), "KVM_SET_ONE_REG(X0)");
  };
  boot();
  vcpu->vcpu_load(0);

  std::unique_ptr<Disassembler> dis;
  if (opts.trace_insn) {
    dis = std::make_unique<Disassembler>();
    vcpu->set_insn_trace([&](unsigned id, uint64_t pc, uint32_t insn, uint8_t el) {
      const std::string t = dis->text(insn, pc);
      std::fprintf(opts.trace, "[vcpu%u EL%u] %016" PRIx64 ": %08x  %s\n", id, el, pc, insn,
                   t.empty() ? "<undefined>" : t.c_str());
    });
  }

  RunOutcome out;
  auto finish = [&](int status, std::string error) {
    out.exit_status = status;
    out.error = std::move(error);
    out.instructions = vcpu->instructions();
    std::fflush(opts.out);
    return out;
  };

  kvm_model::KvmRun& run = vcpu->run_struct();
  for (;;) {
    uint64_t budget = kQuantum;
    if (opts.max_insns) {
      const uint64_t done = vcpu->instructions();
      if (done >= opts.max_insns)
        return finish(kExitGuestFault, "instruction limit reached (--max-insns " + std::to_string(opts.max_insns) +
                                           ") at PC " + hex(([&] { uint64_t pc; vcpu->get_one_reg(kvm_model::kRegPc, pc); return pc; })()));
      budget = std::min(budget, opts.max_insns - done);
    }
    run.insn_budget = budget;
    const int rc = vcpu->run();
    if (rc == -EINTR && run.exit_reason == kvm_model::KVM_EXIT_INTR) {
      if (vcpu->mp_state() == kvm_model::KVM_MP_STATE_HALTED)
        return finish(kExitGuestFault, "every vCPU is halted (WFI) and no interrupt can wake one");
      if (vcpu->mp_state() == kvm_model::KVM_MP_STATE_STOPPED)
        return finish(kExitGuestFault, "every vCPU is powered off (PSCI CPU_OFF) and none can be woken");
      continue;
    }
    check(rc, "KVM_RUN");
    switch (run.exit_reason) {
      case kvm_model::KVM_EXIT_DEBUG: {
        uint64_t op, param;
        check(vcpu->get_one_reg(kvm_model::kRegX(0), op), "KVM_GET_ONE_REG(X0)");
        check(vcpu->get_one_reg(kvm_model::kRegX(1), param), "KVM_GET_ONE_REG(X1)");
        const SemihostingResult r = semihosting_call(guest_ram, static_cast<uint32_t>(op), param, opts.out);
        if (!r.error.empty()) return finish(kExitGuestFault, "guest semihosting call: " + r.error);
        if (r.exit_status) return finish(*r.exit_status, "");
        check(vcpu->set_one_reg(kvm_model::kRegX(0), r.x0), "KVM_SET_ONE_REG(X0)");
        break;
      }
      case kvm_model::KVM_EXIT_SYSTEM_EVENT:
        if (run.system_event.type == kvm_model::KVM_SYSTEM_EVENT_SHUTDOWN) return finish(kExitOk, "");
        if (++out.resets > opts.max_resets)
          return finish(kExitGuestFault, "guest requested more than " + std::to_string(opts.max_resets) +
                                             " system resets (--max-resets)");
        boot();  // guest RAM is kept: a guest can count its boots
        break;
      case kvm_model::KVM_EXIT_INTERNAL_ERROR:
        if (run.internal.suberror == kvm_model::PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP)
          return finish(kExitGuestFault, "guest fault without handler: exception loop started at PC " +
                                             hex(run.internal.data[3]) + " (ESR_EL1 " + hex(run.internal.data[0]) +
                                             ", ELR_EL1 " + hex(run.internal.data[1]) + ", FAR_EL1 " +
                                             hex(run.internal.data[2]) + ")");
        return finish(kExitInternal, "KVM_RUN internal error " + std::to_string(run.internal.suberror));
      default:
        return finish(kExitInternal, "unexpected KVM exit reason " + std::to_string(run.exit_reason));
    }
  }
}

}  // namespace pmuemu::vmm
