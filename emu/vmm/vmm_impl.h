// The VMM behind `pmuemu run`: the Vmm class and the helpers its sources share
// (vmm.cpp: the run loop and exits; vmm_setup.cpp: building the VM; vmm_snapshot.cpp:
// save and restore; vmm_observe.cpp: what each KVM_RUN tells the run observer
// (run_observer.h); vmm_threads.cpp: --threads). Private to emu/vmm: only those sources see
// the arm64 UAPI headers.
#pragma once

#include "emu/vmm/vmm.h"

#include <sys/mman.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <memory>
#include <functional>
#include <optional>
#include <set>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "emu/boot/linux_guest.h"
#include "emu/common/errors.h"
#include "emu/common/guest_ram.h"
#include "emu/devices/host_input.h"
#include "emu/devices/pl011.h"
#include "emu/gdb/events.h"
#include "emu/gdb/stub.h"
#include "emu/vmm/disasm.h"
#include "emu/vmm/fault_dump.h"
#include "emu/vmm/host_check.h"
#include "emu/vmm/host_model.h"
#include "emu/vmm/report.h"
#include "emu/vmm/run_observer.h"
#include "emu/vmm/semihosting.h"
#include "emu/vmm/snapshot.h"
#include "emu/vmm/vgic_snapshot.h"
#include "pmu/events.h"
#include "kvm_model/kvm.h"
// The VMM speaks /dev/kvm's ABI (Linux's arm64 UAPI, after the model's headers: its macros
// share names with the model's constants).
#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

namespace pmuemu::vmm::detail {

// Guest physical map (docs/guest-abi.md), the QEMU virt layout.
constexpr uint64_t kGicDist = 0x08000000, kGicRedist = 0x080A0000;
constexpr int kPmuPpi = 23;  // the PMU overflow interrupt, as QEMU virt wires it

// Instructions per KVM_RUN call: the VMM's scheduling quantum.
constexpr uint64_t kQuantum = 1u << 20;


inline std::string errno_name(int rc) {
  return std::string(strerrorname_np(-rc) ? strerrorname_np(-rc) : "E?");
}

// A KVM-API call the VMM could not complete (the kernel model refused it): the run ends
// with kExitKvmRefused and one line naming the call and the errno.
struct KvmRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The destination cannot take the VM as saved (e.g. fewer PMU counters): nothing runs.
struct MigrationRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(int rc, const std::string& what) {
  if (rc < 0) throw KvmRefused(what + " failed: " + errno_name(rc));
}

inline std::string hex(uint64_t v) {
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
  // A Linux guest's UART is one serial line whoever writes it: bytes pass through as written.
  void set_raw() { raw_ = true; }
  void uart(unsigned vcpu, char c) {
    if (raw_) {
      std::fputc(c, out_);
      if (c == '\n') std::fflush(out_);
      unflushed_ = c != '\n';
      wrote_ = true;
      return;
    }
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
  // A serial console's prompt ("login: ", "# ") ends without a newline, and the guest then
  // waits for the user: the rest of a line is written out once a round of the run loop (or
  // a slice of the input thread) passes without a byte from the guest, so the prompt shows
  // while the guest waits, and a burst of output still costs no write per byte.
  void flush_if_quiet() {
    if (std::exchange(wrote_, false) || !unflushed_) return;
    unflushed_ = false;
    std::fflush(out_);
  }
  void flush() {
    unflushed_ = false;
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
  bool raw_ = false;
  bool unflushed_ = false;  // raw: the last line is not written out yet
  bool wrote_ = false;      // raw: a byte came since the last flush_if_quiet()
};

// Refuses a restore under another kernel era than the snapshot's unless asked (vmm_snapshot.cpp).
void check_restore_era(const Snapshot& snap, const RunOptions& opts);

class Vmm : private ObservedVm {
 public:
  Vmm(const config::Host& host, const RunOptions& opts, std::optional<Snapshot> snapshot);
  ~Vmm();

  // ---- SIGINT, SIGTERM, --timeout (stop.h), --save-on-exit ----
  // Every vCPU leaves KVM_RUN at its next block boundary; --threads vCPUs waiting for a
  // kick look again.
  void kick_all();
  // Between two KVM_RUNs: the run's outcome if a stop was requested.
  std::optional<RunOutcome> stop_if_requested();
  // Where each vCPU stands: its PC (the next instruction) and the instructions it retired.
  std::vector<std::string> where();
  // --save-on-exit: the VM as it stands once the run is over (every vCPU outside KVM_RUN).
  void save_on_exit(const std::string& path);

  RunOutcome run();
  RunOutcome finish_refused(const std::string& what) { return finish(kExitKvmRefused, what); }

 private:
  // ---- --threads: one host thread per vCPU (docs/cli.md) ----
  RunOutcome run_threaded();
  void vcpu_thread(kvm_model::Vcpu* v);
  // A Linux guest's console input, on a thread of its own (the vCPU threads never wait for it).
  void input_thread();
  // Every vCPU thread waits for a kick and none has one coming (a kicked thread may not
  // have left its wait yet): nobody runs, so nobody can kick. With kick_m_ held.
  bool all_waiting() const;
  // The error that ends such a run, by what the vCPUs wait in. With kick_m_ held.
  std::string all_waiting_error() const;
  // The one text of a run that ends because no vCPU can run again (either scheduler):
  // some vCPU halted in WFI, or all powered off.
  static const char* no_wake_error(bool any_halted);
  // Ends the run with `out` (the first caller wins) and makes every vCPU thread return.
  void end_threaded(const RunOutcome& out);
  // Stops every other vCPU thread outside KVM_RUN, runs fn, lets them go again (system
  // reset and --reinit-runs re-initialise every vCPU, which must not be running).
  template <typename Fn>
  void with_world_stopped(unsigned self, Fn&& fn);
  // A pCPU runs one vCPU at a time: vCPU threads placed on the same pCPU take turns, in
  // arrival order (a ticket lock, so that no vCPU starves), for each KVM_RUN.
  struct PcpuTurn {
    std::mutex m;
    std::condition_variable cv;
    uint64_t next = 0, serving = 0;
  };
  void acquire_pcpu(uint32_t pcpu);
  void release_pcpu(uint32_t pcpu);
  std::vector<std::unique_ptr<PcpuTurn>> pcpu_turns_;
  // Scheduler state of the threads; kick_m_ is a leaf lock (the kick hook takes it with the
  // VM lock held), so nothing is called into the VM while holding it.
  std::mutex kick_m_;
  std::condition_variable kick_cv_;
  std::vector<uint8_t> kicked_;     // per vCPU: woken since it last looked
  std::vector<uint8_t> idle_why_;   // per vCPU waiting for a kick: 1 halted, 2 powered off
  unsigned idle_ = 0;               // vCPU threads waiting for a kick
  unsigned parked_ = 0;             // vCPU threads parked for a stopped world
  bool pausing_ = false;
  bool done_ = false;
  // The console input may still bring bytes (a Linux guest, before the end of its input):
  // vCPUs all waiting is then no end of the run by itself (input_thread() decides).
  bool input_open_ = false;
  std::optional<RunOutcome> result_;
  std::exception_ptr error_;        // a host error on a vCPU thread, rethrown by run()
  std::recursive_mutex vmm_m_;      // exit handling and the VMM's own state
  std::mutex dis_m_;                // the disassembler of --trace insn (leaf)
  std::atomic<uint64_t> threaded_insns_{0};

 public:

 private:
  static kvm_model::vpmu::Era parse_era_or_throw(const std::string& name);

  // Every KVM-API call goes through here; --trace vmm is printed by the ABI layer.
  int call(long rc, const std::string& what) {
    check(static_cast<int>(rc), what);
    return static_cast<int>(rc);
  }
  static kvm_model::abi::Options abi_options(const config::Host& host, const RunOptions& opts);
  // ioctl(2) on the emulated /dev/kvm: the result or -errno.
  long ioctl(int fd, unsigned long req, const void* arg) { return dev_.ioctl(fd, req, reinterpret_cast<uintptr_t>(arg)); }
  long ioctl(int fd, unsigned long req, unsigned long arg) { return dev_.ioctl(fd, req, arg); }
  int vfd(const kvm_model::Vcpu* v) const { return vcpu_fd_.at(v->id()); }
  kvm_run& urun(const kvm_model::Vcpu* v) const { return *run_.at(v->id()); }
  // ONE_REG, REG_LIST, MP_STATE. traced = false: the observers' reads (--json, --timeline),
  // which --trace vmm leaves out so that it shows the same calls with and without them.
  int get_reg(const kvm_model::Vcpu* v, uint64_t id, uint64_t& value, bool traced = true) {
    const kvm_one_reg r{id, reinterpret_cast<uintptr_t>(&value)};
    return static_cast<int>(traced ? ioctl(vfd(v), KVM_GET_ONE_REG, &r)
                                   : dev_.ioctl_untraced(vfd(v), KVM_GET_ONE_REG, reinterpret_cast<uintptr_t>(&r)));
  }
  int set_reg(const kvm_model::Vcpu* v, uint64_t id, uint64_t value) {
    const kvm_one_reg r{id, reinterpret_cast<uintptr_t>(&value)};
    return static_cast<int>(ioctl(vfd(v), KVM_SET_ONE_REG, &r));
  }
  // A register of any size (the 128-bit V registers): the buffer holds one_reg_size(id) bytes.
  int get_reg_raw(const kvm_model::Vcpu* v, uint64_t id, void* value) {
    const kvm_one_reg r{id, reinterpret_cast<uintptr_t>(value)};
    return static_cast<int>(ioctl(vfd(v), KVM_GET_ONE_REG, &r));
  }
  int set_reg_raw(const kvm_model::Vcpu* v, uint64_t id, const void* value) {
    const kvm_one_reg r{id, reinterpret_cast<uintptr_t>(value)};
    return static_cast<int>(ioctl(vfd(v), KVM_SET_ONE_REG, &r));
  }
  int reg_list(const kvm_model::Vcpu* v, std::vector<uint64_t>& ids, bool traced = true) {
    auto list_call = [&](kvm_reg_list* l) {
      return traced ? ioctl(vfd(v), KVM_GET_REG_LIST, l)
                    : dev_.ioctl_untraced(vfd(v), KVM_GET_REG_LIST, reinterpret_cast<uintptr_t>(l));
    };
    kvm_reg_list probe{0};
    const long rc = list_call(&probe);  // E2BIG with the count
    if (rc != -E2BIG) return static_cast<int>(rc);
    std::vector<uint64_t> buf(probe.n + 1);
    buf[0] = probe.n;
    if (long r = list_call(reinterpret_cast<kvm_reg_list*>(buf.data())); r != 0) return static_cast<int>(r);
    ids.assign(buf.begin() + 1, buf.end());
    return 0;
  }
  uint32_t mp_state(const kvm_model::Vcpu* v) {
    kvm_mp_state st{};
    dev_.ioctl_untraced(vfd(v), KVM_GET_MP_STATE, reinterpret_cast<uintptr_t>(&st));
    return st.mp_state;
  }
  int vcpu_run(const kvm_model::Vcpu* v) { return static_cast<int>(ioctl(vfd(v), KVM_RUN, 0ul)); }

  // --gdb: the quantum goes through the stub, which runs it in pieces while it has
  // breakpoints to check; the observers see the quantum's total as one KVM_RUN.
  int gdb_run(kvm_model::Vcpu* v, uint64_t budget);
  // --save-at-pc: vCPU 0 runs one instruction per KVM_RUN, its PC compared before each,
  // until it stands at the address (at_pc_); the quantum's total is reported as one run.
  int run_to_pc(kvm_model::Vcpu* v, uint64_t budget);
  bool at_pc_ = false;
  // The guest's snapshot call (semihosting kSysPmuemuSnapshot): X0 is set first, so a run
  // restored from the snapshot goes on as the one that asked for it.
  std::optional<RunOutcome> snapshot_on_request(kvm_model::Vcpu* v) {
    const bool can = !opts_.save_on_request_path.empty();
    check(set_reg(v, kvm_model::kRegX(0), can ? 0 : ~uint64_t{0}), "KVM_SET_ONE_REG(X0)");
    if (!can) return std::nullopt;
    save(opts_.save_on_request_path);
    std::fprintf(stderr, "pmuemu: snapshot written to %s at the guest's request (vCPU %u) after %" PRIu64
                 " guest instructions\n", opts_.save_on_request_path.c_str(), v->id(), instructions_with_restored());
    return std::nullopt;
  }
  // --trace insn: the last instructions of each vCPU, printed with its registers when the run
  // ends on a guest fault or a limit (one-thread runs: the rings are each vCPU thread's own).
  std::vector<InsnRing> insn_rings_;
  void dump_vcpus() {
    for (auto* v : vcpus_) {
      if (mp_state(v) == KVM_MP_STATE_STOPPED && insn_rings_[v->id()].in_order().empty()) continue;
      const std::string d = format_vcpu_dump(
          v->id(), [&](uint64_t id, uint64_t& value) { return get_reg(v, id, value, false) == 0; },
          insn_rings_[v->id()].in_order(), [&](const InsnRecord& r) {
            const std::string t = dis_->text(r.insn, r.pc);
            char b[64];
            std::snprintf(b, sizeof b, "[vcpu%u EL%u] %016" PRIx64 ": %08x  ", v->id(), r.el, r.pc, r.insn);
            return b + (t.empty() ? std::string("<undefined>") : t);
          });
      std::fputs(d.c_str(), opts_.trace);
    }
    std::fflush(opts_.trace);
  }
  // What the stub reads and writes: ONE_REG (untraced, so --trace vmm shows the same calls
  // with and without a debugger) and guest RAM.
  class GdbTarget final : public gdb::Target {
   public:
    explicit GdbTarget(Vmm& m) : m_(m) {}
    unsigned vcpu_count() const override { return static_cast<unsigned>(m_.vcpus_.size()); }
    bool get_reg(unsigned v, uint64_t id, void* value) override { return one_reg(v, KVM_GET_ONE_REG, id, value); }
    bool set_reg(unsigned v, uint64_t id, const void* value) override {
      return one_reg(v, KVM_SET_ONE_REG, id, const_cast<void*>(value));
    }
    bool powered_off(unsigned v) override { return m_.mp_state(m_.vcpus_.at(v)) == KVM_MP_STATE_STOPPED; }
    const cpu::PhysMem& phys() override { return *m_.vm_->mem(); }
    void write_phys(uint64_t pa, const void* src, uint64_t len) override { m_.vm_->mem()->write(pa, src, len); }

   private:
    bool one_reg(unsigned v, unsigned long req, uint64_t id, void* value) {
      const kvm_one_reg r{id, reinterpret_cast<uintptr_t>(value)};
      return m_.dev_.ioctl_untraced(m_.vfd(m_.vcpus_.at(v)), req, reinterpret_cast<uintptr_t>(&r)) == 0;
    }
    Vmm& m_;
  };
  GdbTarget gdb_target_{*this};

  void install_traces();

  // KVM_ARM_VCPU_INIT of every vCPU, on its own thread's pCPU: vCPU 0 runnable, the others
  // powered off until PSCI CPU_ON. At boot and after every system reset.
  void init_vcpus();

  static std::unique_ptr<boot::LinuxGuest> load_linux(const RunOptions& o);

  // The device tree of the VM as built above, the boot-protocol memory image, and the
  // entry registers (PC at the kernel, X0 the DTB; X1-X3 are zero from the reset).
  void boot_linux();

  void set_boot_regs();

  // The PMU vCPU attributes, in the order QEMU/kvmtool issue them, on the VMM thread's pCPU;
  // then --pmcr-n as a migration restore would do it (GET, replace N, SET).
  long pmu_attr(const kvm_model::Vcpu* v, uint64_t attr, const void* value);
  bool strict_era() const {
    return kvm_model::vpmu::policy(parse_era_or_throw(opts_.kvm_era.empty() ? "6.7" : opts_.kvm_era)).has_pmu_v3_strict;
  }
  // --pmu MODE for the proposals' attribute 5: the attribute meaning of MODE, or kNone when
  // MODE names a core type.
  static kvm_model::vpmu::Attr5 pmu_mode(const std::string& mode);
  void setup_pmu(const config::Host& host);

  // ---- migration: snapshot save and restore (docs/snapshot.md) ----
  static constexpr uint64_t kPmcrId = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();
  static bool is_id_register(uint64_t id);
  static bool is_clear_alias(uint64_t id);

  // Writes the snapshot at a quiescent point: every vCPU is outside KVM_RUN and has had any
  // pending MMIO read completed (a KVM_RUN with a zero budget does that and nothing else).
  void save(const std::string& path);

  // Restores like a VMM receiving a migration stream: the VM is already built (init, vGIC,
  // PMU attributes); now RAM, every register in list order, power states and the vGIC. Then
  // PMCR_EL0 is read back: under 6.7 KVM silently keeps its own N when the destination's PMU
  // has fewer counters, so the VMM must compare and refuse.
  void restore(const Snapshot& s);
  // The vGIC's save/restore attribute groups on its device fd (snapshots) and the MPIDR_EL1
  // of each vCPU, read through ONE_REG, that names its redistributor in them.
  VgicAttrFn gic_attr_fn();
  std::vector<uint64_t> vcpu_mpidrs();

 public:
  uint64_t instructions_with_restored() const { return total_instructions() + restored_instructions_; }

 private:
  uint64_t restored_instructions_ = 0;

  uint64_t total_instructions() const;

  RunOutcome finish(int status, std::string error);

  // ---- observation: --json, --timeline, --trace reset (run_observer.h) ----
 public:
  // Writes --json and --timeline; returns "" or the first write error.
  std::string write_reports(const RunOutcome& r) { return obs_.write_reports(this, r, exit_reason_, reinit_done_ + 1); }

 private:
  // What the observer reads: ONE_REG and REG_LIST bypass call(), so --trace vmm shows the
  // same calls with and without --json/--timeline.
  bool observed_reg(unsigned vcpu, uint64_t id, uint64_t& value) override {
    return get_reg(vcpus_.at(vcpu), id, value, false) == 0;
  }
  bool observed_reg_list(unsigned vcpu, std::vector<uint64_t>& ids) override {
    return reg_list(vcpus_.at(vcpu), ids, false) == 0;
  }
  const cpu::timing::TimingModel* observed_timing(uint32_t pcpu) const override {
    return vm_ ? vm_->timing_model_if_used(pcpu) : nullptr;
  }
  // Sizes the observer and, with --timeline, puts each vCPU reset on it.
  void install_observers();
  // After every KVM_RUN: what the observer needs of the quantum.
  void observe_quantum(kvm_model::Vcpu* v, int rc);

  // The run ended in a served exit: record its reason; after a clean end (semihosting exit
  // 0, PSCI SYSTEM_OFF) with --reinit-runs left, KVM_ARM_VCPU_INIT every vCPU and boot again
  // (guest RAM is kept), as the kernel's selftests do between runs. true: keep running.
  bool reinit_after(kvm_model::Vcpu* v, const RunOutcome& done);

  std::string exit_reason_;                      // set when the run ends in a served exit
  uint32_t reinit_done_ = 0;                     // --reinit-runs performed

  // Serves one exit of `v`; returns an outcome when the run is over.
  std::optional<RunOutcome> handle_exit(kvm_model::Vcpu* v);

  RunOptions opts_;
  const config::Host& host_;
  std::optional<Snapshot> snapshot_;
  loader::ElfImage image_;
  std::unique_ptr<boot::LinuxGuest> linux_;
  kvm_model::abi::Dev dev_;            // the emulated /dev/kvm
  int kvm_fd_ = -1, vm_fd_ = -1, gic_fd_ = -1;
  std::vector<int> vcpu_fd_;            // per vCPU id
  std::vector<kvm_run*> run_;           // per vCPU id: its mapped kvm_run page
  // The model behind the VM fd, for what the host OS (not KVM) provides: scheduling
  // (vcpu_load), run budgets, tracepoints, the timing models (docs/kvm-api.md).
  kvm_model::Vm* vm_ = nullptr;
  GuestRamBuffer ram_;
  GuestRam guest_ram_;
  Console console_;
  devices::Pl011 uart_;
  // QEMU virt's virtio-mmio window: 0x0a00_0000 + 0x200 per device, SPIs from 16.
  static constexpr uint64_t kVirtioBase = 0x0a000000, kVirtioStride = 0x200;
  static constexpr unsigned kVirtioSpi = 16;
  std::vector<std::unique_ptr<devices::VirtioBlk>> drives_;
  ::kvm_vcpu_init init_;
  devices::HostInput input_{-1};
  std::unique_ptr<devices::TerminalMode> term_;  // restored when the Vmm goes
  // Linux guests: host input into the UART's receive FIFO while the guest listens (the
  // driver unmasked the receive interrupt) and there is room. true if bytes went in.
  bool feed_uart(bool block);
  std::vector<kvm_model::Vcpu*> vcpus_;
  struct Placement {
    std::vector<uint32_t> cpus;  // the vCPU thread's allowed pCPUs
    size_t at;                   // index of the pCPU it is on
    uint64_t since;              // instructions run since it was placed there
  };
  std::vector<Placement> placement_;
  std::vector<uint8_t> halted_idle_;  // --threads: per vCPU, its last KVM_RUN blocked in WFI

  // Per quantum, both schedulers. --max-insns: the error once the VM-wide count reached it,
  // else the quantum's budget bounded by what is left.
  std::optional<std::string> bound_by_insn_limit(kvm_model::Vcpu* v, uint64_t& budget);
  // --migrate-every: when due, the scheduler moves the vCPU thread to the next pCPU of its
  // set (KVM sees vcpu_put on the old pCPU and vcpu_load on the new one); the quantum ends
  // where the next move is due.
  void migrate_if_due(kvm_model::Vcpu* v, Placement& pl, uint64_t& budget);
  std::unique_ptr<Disassembler> dis_;
  RunOutcome out_;
  RunObserver obs_{host_, opts_};  // after opts_ and host_, which it refers to
};

}  // namespace pmuemu::vmm::detail
