// The program's /dev/kvm is the KVM model's ioctl ABI (kvm_model/abi): the same layer the C
// library and the preload shim give x86 programs. Since the program's memory sits at the
// same host addresses as its own pointers, the ABI layer reads and writes the structs the
// program passes exactly as Linux's copy_from_user/copy_to_user would, and the guest RAM
// of KVM_SET_USER_MEMORY_REGION is the program's own memory.
#include "emu/user/kvm_bridge.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "emu/common/errors.h"
#include "emu/user/uffd.h"
#include "kvm_model/abi/abi.h"
#include "emu/vmm/host_model.h"

namespace pmuemu::user {
namespace {

// A program's eventfd as the KVM model holds it: the open file (shared by its dups), so that
// the program may close the fd it registered. It hangs up when no descriptor of the program
// names that file any more: the fd it was registered with is looked at first, then, once
// that is closed or reused, every descriptor, and another that names the file is watched.
class ProgramEventfd final : public kvm_model::abi::Eventfd {
 public:
  ProgramEventfd(Process& p, std::shared_ptr<OpenFile> f, int fd) : p_(p), f_(std::move(f)), witness_(fd) {}
  void signal() override { eventfd_signal(p_, *f_); }
  bool take() override { return eventfd_take(p_, *f_); }
  bool same(const Eventfd& other) const override {
    const auto* o = dynamic_cast<const ProgramEventfd*>(&other);
    return o != nullptr && o->f_ == f_;
  }
  bool hung_up() override {
    const auto& files = p_.files();
    if (const auto it = files.find(witness_); it != files.end() && it->second == f_) return false;
    const auto it = std::find_if(files.begin(), files.end(), [&](const auto& e) { return e.second == f_; });
    if (it == files.end()) return true;
    witness_ = it->first;
    return false;
  }

 private:
  Process& p_;
  std::shared_ptr<OpenFile> f_;
  int witness_;
};

static_assert(kWaitHostPage == kvm_model::kRunWaitHostPage, "KVM_RUN's wait-for-a-page result");

class AbiBackend final : public KvmBackend {
 public:
  AbiBackend(std::unique_ptr<kvm_model::abi::Dev> dev, bool trace, std::FILE* out)
      : dev_(std::move(dev)), caller_pcpu_(dev_->options().vmm_pcpu) {
    // The program's signals are emulated, not pmuemu's own: KVM_RUN must not see the host
    // process's pending signals, only the calling thread's (set_pending_signals()).
    dev_->set_pending_signals([] { return uint64_t{0}; });
    if (trace)
      dev_->set_trace([out](const std::string& line) {
        std::fputs(line.c_str(), out);
        if (line.empty() || line.back() != '\n') std::fputc('\n', out);
      });
  }
  int open_system() override { return dev_->open_dev(); }
  void set_pending_signals(std::function<uint64_t()> pending) override {
    dev_->set_pending_signals(std::move(pending));
  }
  long ioctl(int fd, unsigned long request, uint64_t arg) override {
    constexpr unsigned long kKvmRun = 0xae80;             // _IO(KVMIO, 0x80)
    constexpr unsigned long kKvmArmVcpuInit = 0x4020aeae;  // _IOW(KVMIO, 0xae, struct kvm_vcpu_init)
    // KVM_RUN loads the vCPU on the CPU its thread runs on, and KVM_ARM_VCPU_INIT's reset
    // runs there too: the default PMU is the one of that CPU (kvm_pmu_probe_armpmu() reads
    // the current CPU), and 6.6's reset reads that CPU's PMCR_EL0. The thread's pCPU is the
    // one --vmm-cpu and sched_setaffinity chose.
    const bool run = request == kKvmRun;
    kvm_model::Vcpu* v = run || request == kKvmArmVcpuInit ? dev_->vcpu_of(fd) : nullptr;
    if (v != nullptr && v->loaded_pcpu() != caller_pcpu_) v->vcpu_load(caller_pcpu_);
    if (v == nullptr || !run) return dev_->ioctl(fd, request, arg);
    // KVM_RUN's vcpu_load: the stolen time KVM records for the guest is the calling
    // thread's run delay (kvm_update_stolen_time() reads current->sched_info.run_delay).
    v->set_caller_run_delay(run_delay_);
    const uint64_t before = v->instructions();
    // The guest runs at most the rest of the thread's quantum; a run that stops there
    // (KVM_EXIT_INTR on the budget, not a halt or an exit of the guest's) is restarted by
    // the caller once the thread runs again.
    v->run_struct().insn_budget = budget_;
    const long rc = dev_->ioctl(fd, request, arg);
    preempted_ = rc == -EINTR && budget_ != UINT64_MAX && v->run_struct().insns_retired >= budget_;
    v->run_struct().insn_budget = UINT64_MAX;
    guest_instructions_ += v->instructions() - before;
    return rc;
  }
  void set_eventfds(Process& p) override {
    dev_->set_eventfd_resolver([&p](int fd, std::shared_ptr<kvm_model::abi::Eventfd>& out) -> long {
      const auto it = p.files().find(fd);
      if (it == p.files().end()) return -EBADF;
      if (it->second->kind != OpenFile::Kind::kEventfd) return -EINVAL;
      out = std::make_shared<ProgramEventfd>(p, it->second, fd);
      return 0;
    });
  }
  void set_caller_budget(uint64_t insns) override { budget_ = insns; }
  bool take_preempted() override { return std::exchange(preempted_, false); }
  uint64_t take_guest_instructions() override { return std::exchange(guest_instructions_, 0); }
  bool map_shared(int fd, uint64_t va, uint64_t len, uint64_t offset, int prot, bool copy_on_write) override {
    int err = 0;
    const int flags = (copy_on_write ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED;
    void* p = dev_->mmap(reinterpret_cast<void*>(va), len, prot, flags, fd, static_cast<long>(offset), &err);
    return p != MAP_FAILED && p == reinterpret_cast<void*>(va);
  }
  void close(int fd) override { dev_->close(fd); }
  void set_caller_pcpu(uint32_t pcpu) override {
    caller_pcpu_ = pcpu;
    dev_->set_vmm_pcpu(pcpu);
  }
  void set_host_page_gate(cpu::HostPageGate* gate) override { dev_->set_host_page_gate(gate); }
  void host_pages_dropped(uint64_t va, uint64_t len) override {
    dev_->host_pages_dropped(reinterpret_cast<const void*>(va), len);
  }
  void set_caller_run_delay(uint64_t ns) override { run_delay_ = ns; }

 private:
  std::unique_ptr<kvm_model::abi::Dev> dev_;
  uint64_t run_delay_ = 0;
  uint32_t caller_pcpu_;
  uint64_t guest_instructions_ = 0;
  uint64_t budget_ = UINT64_MAX;
  bool preempted_ = false;
};

}  // namespace

std::unique_ptr<KvmBackend> make_kvm_backend(const config::Host& host, const std::string& era,
                                             const UserOptions& opts) {
  const auto e = kvm_model::vpmu::parse_era(era);
  if (!e) throw UsageError("--kvm: '" + era + "' is not one of " + kvm_model::vpmu::known_era_names());
  kvm_model::abi::Options o;
  o.host = vmm::host_desc(host, false);
  o.era = *e;
  o.vmm_pcpu = opts.vmm_cpu;
  o.newest_uapi = opts.newest_uapi;
  return std::make_unique<AbiBackend>(std::make_unique<kvm_model::abi::Dev>(std::move(o)), opts.trace_vmm, opts.trace);
}

}  // namespace pmuemu::user
