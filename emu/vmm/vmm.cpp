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

#include "emu/boot/linux_guest.h"
#include "emu/common/errors.h"
#include "emu/devices/host_input.h"
#include "emu/devices/pl011.h"
#include "emu/gdb/stub.h"
#include "emu/vmm/disasm.h"
#include "emu/vmm/host_check.h"
#include "emu/vmm/host_model.h"
#include "emu/vmm/report.h"
#include "emu/vmm/semihosting.h"
#include "emu/vmm/snapshot.h"
#include "emu/vmm/vgic_snapshot.h"
#include "pmu/events.h"
#include "kvm_model/kvm.h"
// The VMM speaks /dev/kvm's ABI (Linux's arm64 UAPI, after the model's headers: its macros
// share names with the model's constants).
#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

namespace pmuemu::vmm {
namespace {

// Guest physical map (docs/guest-abi.md), the QEMU virt layout.
constexpr uint64_t kGicDist = 0x08000000, kGicRedist = 0x080A0000;
constexpr int kPmuPpi = 23;  // the PMU overflow interrupt, as QEMU virt wires it

// Instructions per KVM_RUN call: the VMM's scheduling quantum.
constexpr uint64_t kQuantum = 1u << 20;

// Guest RAM: anonymous private mapping, so untouched pages cost nothing and read as zero.
class RamBuffer {
 public:
  explicit RamBuffer(uint64_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map guest RAM");
    // Huge pages where the host allows them (QEMU asks the same for guest RAM): a guest
    // kernel touches its RAM everywhere while it boots, and one fault per 2 MiB instead of
    // per 4 KiB takes most of the page-fault time out of the boot. Only a hint: without
    // transparent huge pages it fails harmlessly.
    madvise(p, size, MADV_HUGEPAGE);
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


std::string errno_name(int rc) {
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

void check(int rc, const std::string& what) {
  if (rc < 0) throw KvmRefused(what + " failed: " + errno_name(rc));
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
  // A Linux guest's UART is one serial line whoever writes it: bytes pass through as written.
  void set_raw() { raw_ = true; }
  void uart(unsigned vcpu, char c) {
    if (raw_) {
      std::fputc(c, out_);
      if (c == '\n') std::fflush(out_);
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
  bool raw_ = false;
};

// ---- --json and --timeline documents (docs/json-output.md) ----
const char* timing_name(Timing t) { return t == Timing::kCycle ? "cycle" : "functional"; }

// The exit reason of a run that did not end in a served exit (limits, refusals, snapshot).
std::string fallback_exit_reason(const RunOptions& opts, const RunOutcome& r) {
  switch (r.exit_status) {
    case kExitFailEntry: return "fail-entry";
    case kExitKvmRefused: return "kvm-refused";
    case kExitMigrationRefused: return "migration-refused";
    case kExitInternal: return "internal-error";
    default: break;
  }
  if (r.error.rfind("instruction limit", 0) == 0) return "insn-limit";
  if (r.error.rfind("wall-clock limit", 0) == 0) return "timeout";
  if (r.error.rfind("stopped by SIG", 0) == 0) return "signal";
  if (r.error.rfind("killed by the debugger", 0) == 0) return "debugger-kill";
  if (r.error.rfind("every vCPU", 0) == 0) return "no-runnable-vcpu";
  if (!opts.save_path.empty() && r.exit_status == 0 && r.error.empty()) return "snapshot-saved";
  return "guest-fault";
}

std::string pcpu_core(const config::Host& host, uint32_t pcpu) {
  for (const auto& cl : host.clusters)
    if (pcpu >= cl.first_pcpu && pcpu < cl.first_pcpu + cl.cpus) return cl.core.name;
  return "?";
}

std::string render_json(const config::Host& host, const RunOptions& opts, const RunOutcome& r, const std::string& reason,
                        uint32_t runs, const std::function<void(JsonWriter&)>& vcpus,
                        const std::function<void(JsonWriter&, uint32_t)>& pcpu_totals = {}) {
  JsonWriter w;
  w.begin_object();
  w.key("format").value("pmuemu-run");
  w.newline().key("version").value(1);
  w.newline().key("host").value(host.name);
  w.newline().key("kvm_era").value(opts.kvm_era);
  w.newline().key("timing").value(timing_name(opts.timing));
  w.newline().key("runs").value(runs);
  w.newline().key("exit").begin_object();
  w.key("reason").value(reason).key("status").value(r.exit_status).key("message").value(r.error).end_object();
  w.newline().key("vcpus").begin_array();
  vcpus(w);
  w.end_array();
  w.newline().key("pcpus").begin_array();
  for (uint32_t c = 0; c < host.clusters.size(); ++c) {
    const auto& cl = host.clusters[c];
    for (uint32_t i = 0; i < cl.cpus; ++i) {
      w.newline().begin_object();
      w.key("id").value(cl.first_pcpu + i).key("cluster").value(c).key("core").value(cl.core.name);
      w.key("pmu_totals").begin_object();
      if (pcpu_totals) pcpu_totals(w, cl.first_pcpu + i);
      w.end_object();
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

std::string render_timeline(const config::Host& host, const std::set<uint32_t>& tids,
                            const std::vector<std::string>& events) {
  std::vector<std::string> all;
  {
    JsonWriter w;
    w.begin_object().key("name").value("process_name").key("ph").value("M").key("pid").value(1);
    w.key("args").begin_object().key("name").value("pmuemu VM on " + host.name).end_object().end_object();
    all.push_back(w.str());
  }
  for (uint32_t p : tids) {
    JsonWriter w;
    w.begin_object().key("name").value("thread_name").key("ph").value("M").key("pid").value(1).key("tid").value(p);
    w.key("args").begin_object().key("name").value("pCPU " + std::to_string(p) + " (" + pcpu_core(host, p) + ")");
    w.end_object().end_object();
    all.push_back(w.str());
    JsonWriter s;
    s.begin_object().key("name").value("thread_sort_index").key("ph").value("M").key("pid").value(1).key("tid").value(p);
    s.key("args").begin_object().key("sort_index").value(p).end_object().end_object();
    all.push_back(s.str());
  }
  all.insert(all.end(), events.begin(), events.end());
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  for (size_t i = 0; i < all.size(); ++i) out += all[i] + (i + 1 < all.size() ? ",\n" : "\n");
  out += "]}\n";
  return out;
}

std::string write_reports_without_vm(const config::Host& host, const RunOptions& opts, const RunOutcome& r) {
  std::string err;
  if (!opts.json_path.empty())
    err = write_text_file(opts.json_path,
                          render_json(host, opts, r, fallback_exit_reason(opts, r), 1, [](JsonWriter&) {}));
  if (!opts.timeline_path.empty()) {
    const std::string e = write_text_file(opts.timeline_path, render_timeline(host, {}, {}));
    if (err.empty()) err = e;
  }
  return err;
}

class Vmm {
 public:
  Vmm(const config::Host& host, const RunOptions& opts, std::optional<Snapshot> snapshot)
      : opts_(opts),
        host_(host),
        snapshot_(std::move(snapshot)),
        image_(snapshot_ || !opts.kernel_path.empty() ? loader::ElfImage{}
                                                      : loader::load_elf_file(opts.guest_path, opts.ram_base, opts.ram_size)),
        linux_(load_linux(opts)),
        dev_(abi_options(host, opts)),
        ram_(opts.ram_size),
        guest_ram_{ram_.data(), opts.ram_base, opts.ram_size},
        console_(opts.out),
        uart_([this](unsigned vcpu, char c) { console_.uart(vcpu, c); }) {
    if (opts.trace_vmm)
      dev_.set_trace([this](const std::string& line) {
        // The scheduler's quantum ends (its timer signal) and WFI blocks are not printed:
        // every KVM_RUN that comes back with an exit is.
        if (line.find("KVM_RUN) = -1 EINTR") != std::string::npos) return;
        std::fprintf(opts_.trace, "vmm: %s\n", line.c_str());
      });
    kvm_fd_ = call(dev_.open_dev(), "open(/dev/kvm)");
    vm_fd_ = call(ioctl(kvm_fd_, KVM_CREATE_VM, 0ul), "KVM_CREATE_VM");
    vm_ = dev_.vm_of(vm_fd_);
    const kvm_userspace_memory_region mem{0, 0, opts.ram_base, opts.ram_size, reinterpret_cast<uintptr_t>(ram_.data())};
    call(ioctl(vm_fd_, KVM_SET_USER_MEMORY_REGION, &mem), "KVM_SET_USER_MEMORY_REGION");
    for (const auto& seg : image_.segments) {
      // BSS-only segments have no file bytes (and a null data()); RAM is already zero.
      if (!seg.data.empty()) std::memcpy(ram_.data() + (seg.paddr - opts.ram_base), seg.data.data(), seg.data.size());
    }
    call(ioctl(vm_fd_, KVM_ARM_PREFERRED_TARGET, &init_), "KVM_ARM_PREFERRED_TARGET");
    init_.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (opts.pmu) init_.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
    // An era with KVM_ARM_VCPU_PMU_V3_STRICT: the VMM opts in, as a VMM written for it would.
    if (opts.pmu && strict_era()) init_.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3_STRICT;
    for (uint32_t id = 0; id < opts.vcpus; ++id) {
      const int fd = call(ioctl(vm_fd_, KVM_CREATE_VCPU, static_cast<unsigned long>(id)), "KVM_CREATE_VCPU(" + std::to_string(id) + ")");
      kvm_model::Vcpu* v = dev_.vcpu_of(fd);
      vcpu_fd_.push_back(fd);
      int err = 0;
      void* page = dev_.mmap(nullptr, static_cast<size_t>(ioctl(kvm_fd_, KVM_GET_VCPU_MMAP_SIZE, 0ul)),
                             PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, &err);
      if (page == MAP_FAILED) call(-err, "mmap(vcpu" + std::to_string(id) + ")");
      run_.push_back(static_cast<kvm_run*>(page));
      // vCPU k's thread is placed on pCPU k modulo the host's pCPU count, or on the first
      // pCPU of its --affinity set.
      std::vector<uint32_t> set = id < opts.affinity.size() ? opts.affinity[id] : std::vector<uint32_t>{};
      if (set.empty()) set.push_back(id % static_cast<uint32_t>(host.num_pcpus()));
      placement_.push_back({set, 0, 0});
      v->vcpu_load(set.front());
      vcpus_.push_back(v);
    }
    install_traces();
    install_observers();
    init_vcpus();
    // The in-kernel GICv3 at the QEMU virt addresses, initialised once every vCPU exists.
    kvm_create_device cd{KVM_DEV_TYPE_ARM_VGIC_V3, 0, 0};
    call(ioctl(vm_fd_, KVM_CREATE_DEVICE, &cd), "KVM_CREATE_DEVICE(VGIC_V3)");
    gic_fd_ = static_cast<int>(cd.fd);
    const uint64_t dist = kGicDist, redist = kGicRedist;
    const uint32_t nr_irqs = 64;
    const kvm_device_attr gic_attrs[] = {
        {0, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, reinterpret_cast<uintptr_t>(&dist)},
        {0, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, reinterpret_cast<uintptr_t>(&redist)},
        {0, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, reinterpret_cast<uintptr_t>(&nr_irqs)},
        {0, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0},
    };
    for (const auto& a : gic_attrs) call(ioctl(gic_fd_, KVM_SET_DEVICE_ATTR, &a), "KVM_SET_DEVICE_ATTR(vgic)");
    if (opts.pmu) setup_pmu(host);
    if (linux_) {
      console_.set_raw();
      input_ = devices::HostInput(opts.console_in);
      // A terminal feeding the UART is a serial line for the run (--threads reads no input).
      if (!opts.threads) {
        term_ = std::make_unique<devices::TerminalMode>(opts.console_in);
        if (term_->active() && opts.stop) opts.stop->set_before_exit([this] { term_->restore(); });
      }
      // UARTINTR on SPI 1, as the device tree says (KVM_IRQ_LINE).
      uart_.set_irq_line([this](bool level) {
        call(vm_->irq_line(devices::Pl011::kSpi, level),
             "KVM_IRQ_LINE(SPI " + std::to_string(devices::Pl011::kSpi) + ", " + (level ? "1" : "0") + ")");
      });
      // --drive k: a virtio-mmio block device at QEMU virt's k-th virtio-mmio slot, SPI 16 + k.
      for (size_t k = 0; k < opts.drives.size(); ++k) {
        auto d = std::make_unique<devices::VirtioBlk>(opts.drives[k], kVirtioBase + k * kVirtioStride, ram_.data(),
                                                      opts.ram_base, opts.ram_size);
        const unsigned spi = kVirtioSpi + static_cast<unsigned>(k);
        d->set_irq_line([this, spi](bool level) {
          call(vm_->irq_line(spi, level), "KVM_IRQ_LINE(SPI " + std::to_string(spi) + ", " + (level ? "1" : "0") + ")");
        });
        drives_.push_back(std::move(d));
      }
      boot_linux();
    }
    if (snapshot_) restore(*snapshot_); else set_boot_regs();
    if (opts.stop) opts.stop->set_kick([this] { kick_all(); });  // last: the vCPUs are complete
    if (opts.gdb) opts.gdb->attach(gdb_target_, [this] { return opts_.stop != nullptr && opts_.stop->reason() != 0; });
  }
  ~Vmm() {
    if (opts_.stop) opts_.stop->set_kick(nullptr);
    if (opts_.stop) opts_.stop->set_before_exit(nullptr);
  }

  // ---- SIGINT, SIGTERM, --timeout (stop.h), --save-on-exit ----
  // Every vCPU leaves KVM_RUN at its next block boundary; --threads vCPUs waiting for a
  // kick look again.
  void kick_all() {
    for (auto* v : vcpus_) v->request_immediate_exit();
    {
      const std::lock_guard g(kick_m_);
      std::fill(kicked_.begin(), kicked_.end(), 1);
    }
    kick_cv_.notify_all();
  }
  // Between two KVM_RUNs: the run's outcome if a stop was requested.
  std::optional<RunOutcome> stop_if_requested() {
    const int why = opts_.stop ? opts_.stop->reason() : 0;
    if (why == 0) return std::nullopt;
    if (why == StopControl::kTimeout)
      return finish(kExitGuestFault, "wall-clock limit reached (--timeout " + opts_.timeout_text + ")");
    return finish(128 + why, std::string("stopped by ") + stop_reason_name(why));
  }
  // Where each vCPU stands: its PC (the next instruction) and the instructions it retired.
  std::vector<std::string> where() {
    std::vector<std::string> out;
    for (auto* v : vcpus_) {
      uint64_t pc = 0;
      get_reg(v, kvm_model::kRegPc, pc, false);
      const uint32_t st = mp_state(v);
      std::string state = st == KVM_MP_STATE_STOPPED ? ", powered off" : st == KVM_MP_STATE_HALTED ? ", halted (WFI)" : "";
      out.push_back("vCPU " + std::to_string(v->id()) + ": PC " + hex(pc) + ", " + std::to_string(v->instructions()) +
                    " instructions" + state);
    }
    return out;
  }
  // --save-on-exit: the VM as it stands once the run is over (every vCPU outside KVM_RUN).
  void save_on_exit(const std::string& path) {
    save(path);
    std::fprintf(stderr, "pmuemu: snapshot written to %s after %" PRIu64 " guest instructions\n", path.c_str(),
                 instructions_with_restored());
  }

  RunOutcome run();
  RunOutcome finish_refused(const std::string& what) { return finish(kExitKvmRefused, what); }

 private:
  // ---- --threads: one host thread per vCPU (docs/cli.md) ----
  RunOutcome run_threaded();
  void vcpu_thread(kvm_model::Vcpu* v);
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
  std::optional<RunOutcome> result_;
  std::exception_ptr error_;        // a host error on a vCPU thread, rethrown by run()
  std::recursive_mutex vmm_m_;      // exit handling and the VMM's own state
  std::recursive_mutex obs_m_;      // --json/--timeline observations (leaf)
  std::mutex dis_m_;                // the disassembler of --trace insn (leaf)
  std::atomic<uint64_t> threaded_insns_{0};

 public:

 private:
  static kvm_model::vpmu::Era parse_era_or_throw(const std::string& name) {
    const auto era = kvm_model::vpmu::parse_era(name);
    if (!era) throw UsageError("--kvm: unknown kernel era '" + name + "' (known: " + kvm_model::vpmu::known_era_names() + ")");
    return *era;
  }

  // Every KVM-API call goes through here; --trace vmm is printed by the ABI layer.
  int call(long rc, const std::string& what) {
    check(static_cast<int>(rc), what);
    return static_cast<int>(rc);
  }
  static kvm_model::abi::Options abi_options(const config::Host& host, const RunOptions& opts) {
    kvm_model::abi::Options o;
    o.host = host_desc(host, opts.timing == Timing::kCycle);
    o.era = parse_era_or_throw(opts.kvm_era);
    o.vmm_pcpu = opts.vmm_cpu;
    o.checked_copies = false;  // every pointer is the VMM's own: the trusted, faster path
    return o;
  }
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
  // The vGIC's save/restore attribute groups (snapshots) and the MPIDR_EL1 that names each
  // vCPU's redistributor in them, read through ONE_REG.
  VgicAttrFn gic_attr_fn() {
    return [this](bool set, uint32_t group, uint64_t attr, void* value) {
      const kvm_device_attr a{0, group, attr, reinterpret_cast<uintptr_t>(value)};
      call(ioctl(gic_fd_, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a),
           std::string(set ? "KVM_SET_DEVICE_ATTR" : "KVM_GET_DEVICE_ATTR") + "(vgic, group " + std::to_string(group) +
               ", " + hex(attr) + ")");
    };
  }
  std::vector<uint64_t> vcpu_mpidrs() {
    constexpr uint64_t kMpidrId = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (3ull << 14) | 5;
    std::vector<uint64_t> m;
    for (auto* v : vcpus_) {
      uint64_t x = 0;
      call(get_reg(v, kMpidrId, x), "KVM_GET_ONE_REG(vcpu" + std::to_string(v->id()) + ", MPIDR_EL1)");
      m.push_back(x);
    }
    return m;
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
  int gdb_run(kvm_model::Vcpu* v, uint64_t budget) {
    uint64_t total = 0;
    const int rc = opts_.gdb->run_quantum(
        v->id(), budget,
        [&](uint64_t piece) {
          v->run_struct().insn_budget = piece;
          const int r = vcpu_run(v);
          return gdb::RunPiece{r, v->run_struct().insns_retired, r == -EINTR && urun(v).exit_reason == KVM_EXIT_INTR};
        },
        total);
    v->run_struct().insns_retired = total;
    return rc;
  }
  // --save-at-pc: vCPU 0 runs one instruction per KVM_RUN, its PC compared before each,
  // until it stands at the address (at_pc_); the quantum's total is reported as one run.
  int run_to_pc(kvm_model::Vcpu* v, uint64_t budget) {
    uint64_t total = 0;
    int rc = -EINTR;
    bool ran = false;
    while (total < budget) {
      uint64_t pc = 0;
      get_reg(v, kvm_model::kRegPc, pc, false);
      if (pc == *opts_.save_at_pc) {
        at_pc_ = true;
        break;
      }
      v->run_struct().insn_budget = 1;
      rc = vcpu_run(v);
      ran = true;
      total += v->run_struct().insns_retired;
      if (rc != -EINTR || urun(v).exit_reason != KVM_EXIT_INTR || v->run_struct().insns_retired == 0) break;
    }
    if (!ran) {
      // Already there: a KVM_RUN with no budget leaves the exit state a plain interruption.
      v->run_struct().insn_budget = 0;
      rc = vcpu_run(v);
    }
    v->run_struct().insns_retired = total;
    return rc;
  }
  bool at_pc_ = false;
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

  void install_traces() {
    if (opts_.trace_insn) {
      dis_ = std::make_unique<Disassembler>();
      for (auto* v : vcpus_) {
        v->set_insn_trace([this](unsigned id, uint64_t pc, uint32_t insn, uint8_t el) {
          if (!opts_.trace_insn_ranges.empty() &&
              std::none_of(opts_.trace_insn_ranges.begin(), opts_.trace_insn_ranges.end(),
                           [pc](const auto& r) { return pc >= r.first && pc < r.second; }))
            return;
          std::unique_lock g(dis_m_, std::defer_lock);
          if (opts_.threads) g.lock();
          const std::string t = dis_->text(insn, pc);
          std::fprintf(opts_.trace, "[vcpu%u EL%u] %016" PRIx64 ": %08x  %s\n", id, el, pc, insn,
                       t.empty() ? "<undefined>" : t.c_str());
        });
      }
    }
    if (opts_.trace_reset || opts_.trace_reset_summary) {
      for (auto* v : vcpus_) {
        v->set_reset_trace([this](unsigned id, uint32_t pcpu, const char* cause, const kvm_model::vpmu::ResetTrace& t) {
          print_reset(id, pcpu, cause, t);
        });
      }
    }
    if (opts_.trace_sysreg) {
      for (auto* v : vcpus_) {
        v->set_sysreg_trace([this](unsigned id, uint32_t pcpu, uint8_t el, arch::SysRegKey key, bool is_read,
                                   uint64_t value, bool undef) {
          // The register's name as the ABI names its ONE_REG id, else its encoding.
          const std::string name = kvm_model::abi::reg_name(key.to_one_reg_id());
          std::fprintf(opts_.trace, "sysreg: vCPU %u pCPU %u EL%u %s %-16s %s %#" PRIx64 " %s\n", id, pcpu, el,
                       is_read ? "MRS" : "MSR", name.c_str(), is_read ? "->" : "<-", value, undef ? "UNDEF" : "ok");
        });
      }
    }
  }

  // KVM_ARM_VCPU_INIT of every vCPU, on its own thread's pCPU: vCPU 0 runnable, the others
  // powered off until PSCI CPU_ON. At boot and after every system reset.
  void init_vcpus() {
    for (auto* v : vcpus_) {
      ::kvm_vcpu_init init = init_;
      if (v->id() != 0) init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
      call(ioctl(vfd(v), KVM_ARM_VCPU_INIT, &init), "KVM_ARM_VCPU_INIT(vcpu" + std::to_string(v->id()) + ")");
    }
  }

  static std::unique_ptr<boot::LinuxGuest> load_linux(const RunOptions& o) {
    if (o.kernel_path.empty()) return nullptr;
    return std::make_unique<boot::LinuxGuest>(boot::LinuxFiles{o.kernel_path, o.initrd_path, o.dtb_path},
                                              o.ram_base, o.ram_size);
  }

  // The device tree of the VM as built above, the boot-protocol memory image, and the
  // entry registers (PC at the kernel, X0 the DTB; X1-X3 are zero from the reset).
  void boot_linux() {
    boot::MachineDesc m;
    m.ram_base = opts_.ram_base;
    m.ram_size = opts_.ram_size;
    for (auto* v : vcpus_) m.mpidrs.push_back(v->mpidr());
    m.gic_dist = kGicDist;
    m.gic_redist = kGicRedist;
    m.pmu_intid = opts_.pmu ? kPmuPpi : -1;
    m.uart = devices::Pl011::kBase;
    m.uart_spi = devices::Pl011::kSpi;
    for (size_t k = 0; k < drives_.size(); ++k)
      m.virtio.push_back({drives_[k]->base(), devices::VirtioBlk::kSize, kVirtioSpi + static_cast<unsigned>(k)});
    m.bootargs = opts_.append;
    m.seed = opts_.seed;
    const auto& dtb = linux_->build_dtb(m);
    if (!opts_.dump_dtb_path.empty()) {
      const std::string err = write_text_file(opts_.dump_dtb_path, std::string(dtb.begin(), dtb.end()));
      if (!err.empty()) throw InputError(err);
    }
    // A restored VM's RAM is the snapshot's: the files wait for its next system reset.
    if (!snapshot_) linux_->load(ram_.data(), opts_.ram_base);
    image_.entry = linux_->entry();
    opts_.arg = linux_->dtb_address();
  }

  void set_boot_regs() {
    call(set_reg(vcpus_[0], kvm_model::kRegPc, image_.entry), "KVM_SET_ONE_REG(vcpu0, PC)");
    call(set_reg(vcpus_[0], kvm_model::kRegX(0), opts_.arg), "KVM_SET_ONE_REG(vcpu0, X0)");
  }

  // The PMU vCPU attributes, in the order QEMU/kvmtool issue them, on the VMM thread's pCPU;
  // then --pmcr-n as a migration restore would do it (GET, replace N, SET).
  long pmu_attr(const kvm_model::Vcpu* v, uint64_t attr, const void* value) {
    const kvm_device_attr a{0, KVM_ARM_VCPU_PMU_V3_CTRL, attr, reinterpret_cast<uintptr_t>(value)};
    return ioctl(vfd(v), KVM_SET_DEVICE_ATTR, &a);
  }
  bool strict_era() const {
    return kvm_model::vpmu::policy(parse_era_or_throw(opts_.kvm_era.empty() ? "6.7" : opts_.kvm_era)).has_pmu_v3_strict;
  }
  // --pmu MODE for the proposals' attribute 5: the attribute meaning of MODE, or kNone when
  // MODE names a core type.
  static kvm_model::vpmu::Attr5 pmu_mode(const std::string& mode) {
    namespace vp = kvm_model::vpmu;
    for (vp::Attr5 a : {vp::Attr5::kFixedCountersOnly, vp::Attr5::kEnablePartition})
      if (mode == vp::attr5_pmu_mode(a)) return a;
    return vp::Attr5::kNone;
  }
  void setup_pmu(const config::Host& host) {
    namespace vp = kvm_model::vpmu;
    const std::string era_name = opts_.kvm_era.empty() ? "6.7" : opts_.kvm_era;
    const vp::EraPolicy& pol = vp::policy(parse_era_or_throw(era_name));
    const vp::Attr5 mode = pmu_mode(opts_.pmu_core);
    if (mode != vp::Attr5::kNone && pol.attr5 != mode)
      throw UsageError("--pmu " + opts_.pmu_core + ": only in KVM era " + vp::eras_with_attr5(mode) + ", not in " +
                       era_name);
    // STRICT: --pmcr-n is SET_NR_COUNTERS (PMCR_EL0.N writes are ignored). For the same
    // reason a restore under STRICT sets the snapshot's N that way, before PMU_V3_INIT;
    // replaying PMCR_EL0 afterwards could not.
    int nr_counters = opts_.nr_counters;
    if (pol.has_pmu_v3_strict && opts_.pmcr_n >= 0) nr_counters = opts_.pmcr_n;
    int restore_n = -1;
    if (pol.has_pmu_v3_strict && snapshot_)
      for (const auto& [id, value] : snapshot_->cpus.front().regs)
        if (id == kPmcrId) restore_n = static_cast<int>((value.lo >> 11) & 0x1f);
    for (auto* v : vcpus_) {
      const std::string who = "vcpu" + std::to_string(v->id());
      int type = -1;
      if (!opts_.pmu_core.empty() && mode == vp::Attr5::kNone) {
        for (size_t c = 0; c < host.clusters.size(); ++c)
          if (host.clusters[c].core.name == opts_.pmu_core) type = static_cast<int>(vp::kArmPmuTypeBase + c);
        if (type < 0) throw UsageError("--pmu: host '" + host.name + "' has no cluster of core type '" + opts_.pmu_core + "'");
      } else if (pol.has_pmu_v3_strict) {
        // STRICT has no default PMU: select the one of the cluster vCPU 0 is placed on, the
        // PMU 6.16's default would have been.
        type = static_cast<int>(vp::kArmPmuTypeBase + host.cluster_index_of(placement_.front().cpus.front()));
      }
      if (type >= 0)
        call(pmu_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &type),
             "KVM_SET_DEVICE_ATTR(" + who + ", PMU_V3_SET_PMU, " + std::to_string(type) + ")");
      if (mode != vp::Attr5::kNone)
        call(pmu_attr(v, 5, nullptr), "KVM_SET_DEVICE_ATTR(" + who + ", PMU_V3 attribute 5 (" + opts_.pmu_core +
                                          ", " + era_name + "))");
      if (restore_n >= 0) {
        const unsigned n = static_cast<unsigned>(restore_n);
        // -EINVAL: the destination's PMU has fewer counters. Refused as a migration, as
        // restore() refuses a destination that keeps another N in the other eras.
        if (const long rc = pmu_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n); rc < 0)
          throw MigrationRefused("restore refused: the snapshot's PMCR_EL0.N is " + std::to_string(n) +
                                 " but the destination's PMU refuses it on " + who +
                                 " (PMU_V3_SET_NR_COUNTERS: " + errno_name(static_cast<int>(rc)) + ")");
      } else if (nr_counters >= 0) {
        const unsigned n = static_cast<unsigned>(nr_counters);
        call(pmu_attr(v, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS, &n),
             "KVM_SET_DEVICE_ATTR(" + who + ", PMU_V3_SET_NR_COUNTERS, " + std::to_string(n) + ")");
      }
      const int irq = kPmuPpi;
      call(pmu_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &irq),
           "KVM_SET_DEVICE_ATTR(" + who + ", PMU_V3_IRQ, 23)");
      call(pmu_attr(v, KVM_ARM_VCPU_PMU_V3_INIT, nullptr),
           "KVM_SET_DEVICE_ATTR(" + who + ", PMU_V3_INIT)");
    }
    if (opts_.pmcr_n >= 0 && !pol.has_pmu_v3_strict) {
      const uint64_t pmcr_id = arch::sysreg(3, 3, 9, 12, 0).to_one_reg_id();
      for (auto* v : vcpus_) {
        const std::string who = "vcpu" + std::to_string(v->id());
        uint64_t pmcr = 0;
        call(get_reg(v, pmcr_id, pmcr), "KVM_GET_ONE_REG(" + who + ", PMCR_EL0)");
        const uint64_t want = (pmcr & ~(uint64_t{0x1f} << 11)) | (uint64_t(opts_.pmcr_n) << 11);
        call(set_reg(v, pmcr_id, want), "KVM_SET_ONE_REG(" + who + ", PMCR_EL0, " + hex(want) + ")");
      }
    }
  }

  // ---- migration: snapshot save and restore (docs/snapshot.md) ----
  static constexpr uint64_t kPmcrId = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();
  static bool is_id_register(uint64_t id) {
    // The cache identification registers too: CTR_EL0 (a VM feature register since 6.10),
    // CLIDR_EL1, AIDR_EL1 and the CCSIDR demux ids (0x6020000000110000 | CSSELR).
    if ((id & ~uint64_t{0xff}) == 0x6020000000110000ull) return true;
    if (id == arch::SysRegKey{3, 3, 0, 0, 1}.to_one_reg_id() || id == arch::SysRegKey{3, 1, 0, 0, 1}.to_one_reg_id() ||
        id == arch::SysRegKey{3, 1, 0, 0, 7}.to_one_reg_id())
      return true;
    const auto key = arch::SysRegKey::from_one_reg_id(id);
    return key && key->op0 == 3 && key->op1 == 0 && key->crn == 0 && !(key->crm == 0 && key->op2 == 5);
  }
  static bool is_clear_alias(uint64_t id) {
    return id == arch::SysRegKey{3, 3, 9, 12, 2}.to_one_reg_id() ||  // PMCNTENCLR_EL0
           id == arch::SysRegKey{3, 0, 9, 14, 2}.to_one_reg_id() ||  // PMINTENCLR_EL1
           id == arch::SysRegKey{3, 3, 9, 12, 3}.to_one_reg_id();    // PMOVSCLR_EL0
  }

  // Writes the snapshot at a quiescent point: every vCPU is outside KVM_RUN and has had any
  // pending MMIO read completed (a KVM_RUN with a zero budget does that and nothing else).
  void save(const std::string& path) {
    Snapshot s;
    s.source_host = host_.name;
    // By canonical name: "newest" would restore under whatever era is newest at restore time.
    s.kvm_era = kvm_model::vpmu::era_name(parse_era_or_throw(opts_.kvm_era));
    s.pmu_core = opts_.pmu_core;
    s.pmu = opts_.pmu;
    s.vcpus = opts_.vcpus;
    s.ram_base = opts_.ram_base;
    s.ram_size = opts_.ram_size;
    s.instructions = total_instructions() + restored_instructions_;
    s.resets = out_.resets;
    for (auto* v : vcpus_) {
      if (mp_state(v) != KVM_MP_STATE_STOPPED) {
        // KVM_RUN with immediate_exit completes a pending MMIO read and returns -EINTR.
        urun(v).immediate_exit = 1;
        vcpu_run(v);
        urun(v).immediate_exit = 0;
      }
      SnapshotVcpu c;
      c.id = v->id();
      c.mp_state = mp_state(v);
      std::vector<uint64_t> ids;
      call(reg_list(v, ids), "KVM_GET_REG_LIST(vcpu" + std::to_string(v->id()) + ")");
      for (uint64_t id : ids) {
        RegValue value;
        check(get_reg_raw(v, id, &value), "KVM_GET_ONE_REG(vcpu" + std::to_string(v->id()) + ", " + hex(id) + ")");
        c.regs.emplace_back(id, value);
      }
      s.cpus.push_back(std::move(c));
    }
    s.vgic = save_vgic_state(gic_attr_fn(), vcpu_mpidrs());
    s.ram.assign(ram_.data(), ram_.data() + opts_.ram_size);
    save_snapshot(path, s);
  }

  // Restores like a VMM receiving a migration stream: the VM is already built (init, vGIC,
  // PMU attributes); now RAM, every register in list order, power states and the vGIC. Then
  // PMCR_EL0 is read back: under 6.7 KVM silently keeps its own N when the destination's PMU
  // has fewer counters, so the VMM must compare and refuse.
  void restore(const Snapshot& s) {
    std::memcpy(ram_.data(), s.ram.data(), s.ram.size());
    for (const auto& c : s.cpus) {
      kvm_model::Vcpu* v = vcpus_.at(c.id);
      const std::string who = "vcpu" + std::to_string(c.id);
      uint64_t dest_pmcr = 0;
      const bool has_pmcr = opts_.pmu && get_reg(v, kPmcrId, dest_pmcr) == 0;
      uint64_t saved_pmcr = 0;
      for (const auto& [id, value] : c.regs) {
        if (id == kPmcrId) saved_pmcr = value.lo;
        // The CLR registers alias their SET register's state. Since Linux 6.7 a userspace
        // write of a CLR id *clears* the written bits (spec 2.7), so replaying them after the
        // SET ids would disable every restored counter: restore the state once, via SET.
        if (is_clear_alias(id)) continue;
        // The identification registers are the destination CPU's own: KVM holds MIDR and
        // REVIDR invariant and lets userspace only lower feature fields, so a VMM that moves
        // a VM to another CPU type does not replay them (MPIDR, the vCPU's affinity, it does).
        if (is_id_register(id)) continue;
        call(set_reg_raw(v, id, &value), "KVM_SET_ONE_REG(" + who + ", " + hex(id) + ", " + hex(value.lo) +
                                            (kvm_model::one_reg_size(id) == 16 ? ":" + hex(value.hi) : "") + ")");
      }
      const kvm_mp_state st{c.mp_state};
      call(ioctl(vfd(v), KVM_SET_MP_STATE, &st), "KVM_SET_MP_STATE(" + who + ")");
      if (has_pmcr) {
        uint64_t now = 0;
        call(get_reg(v, kPmcrId, now), "KVM_GET_ONE_REG(" + who + ", PMCR_EL0)");
        const uint64_t want_n = (saved_pmcr >> 11) & 0x1f, got_n = (now >> 11) & 0x1f;
        if (want_n != got_n)
          throw MigrationRefused("restore refused: the snapshot's PMCR_EL0.N is " + std::to_string(want_n) +
                                 " but the destination kept N = " + std::to_string(got_n) + " on " + who +
                                 " (its PMU allows at most " + std::to_string((dest_pmcr >> 11) & 0x1f) + " counters)");
      }
    }
    restore_vgic_state(gic_attr_fn(), vcpu_mpidrs(), s.vgic, opts_.restore_path);
    restored_instructions_ = s.instructions;
    out_.resets = s.resets;
  }

 public:
  uint64_t instructions_with_restored() const { return total_instructions() + restored_instructions_; }

 private:
  uint64_t restored_instructions_ = 0;

  uint64_t total_instructions() const {
    // Threaded, other vCPUs' cores are running: each thread adds its quanta to this count.
    if (opts_.threads) return threaded_insns_.load();
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

  // ---- observation: --json, --timeline and --reinit-runs (docs/json-output.md) ----
  // Guest time for the timeline: the VM-wide count of retired instructions at 1 ns each (the
  // round-robin scheduler runs one vCPU at a time, so quanta follow each other on one clock).
  // The observation reads (GET_REG_LIST, GET_ONE_REG of PMU registers) bypass call(), so
  // --trace vmm shows the same calls with and without these options.
 public:
  // Writes --json and --timeline; returns "" or the first write error.
  std::string write_reports(const RunOutcome& r) {
    std::string err;
    if (!opts_.json_path.empty()) {
      const std::string reason = exit_reason_.empty() ? fallback_exit_reason(opts_, r) : exit_reason_;
      err = write_text_file(opts_.json_path,
                            render_json(host_, opts_, r, reason, reinit_done_ + 1, [this](JsonWriter& w) { write_vcpus_json(w); },
                                        [this](JsonWriter& w, uint32_t pcpu) { write_pcpu_totals(w, pcpu); }));
    }
    if (!opts_.timeline_path.empty()) {
      const std::string e = write_text_file(opts_.timeline_path, render_timeline(host_, tl_tids_, tl_events_));
      if (err.empty()) err = e;
    }
    return err;
  }

 private:
  // --trace reset: the reset, then each step with the register's name and its value before
  // and after ("0x" and 16 digits, zero included); --trace reset-summary: one line.
  void print_reset(unsigned id, uint32_t pcpu, const char* cause, const kvm_model::vpmu::ResetTrace& t) {
    if (!opts_.trace_reset) {
      size_t changed = 0;
      const kvm_model::vpmu::ResetStep* pmcr = nullptr;
      for (const auto& step : t) {
        changed += step.before != step.after;
        if (step.reg == "PMCR_EL0") pmcr = &step;
      }
      std::fprintf(opts_.trace, "reset: vCPU %u on pCPU %u (%s), era %s: %zu steps, %zu values changed", id, pcpu,
                   cause, opts_.kvm_era.c_str(), t.size(), changed);
      if (pmcr) std::fprintf(opts_.trace, ", PMCR_EL0 0x%016" PRIx64, pmcr->after);
      std::fprintf(opts_.trace, "\n");
      return;
    }
    std::fprintf(opts_.trace, "reset: vCPU %u on pCPU %u (%s), era %s\n", id, pcpu, cause, opts_.kvm_era.c_str());
    for (const auto& step : t)
      std::fprintf(opts_.trace, "reset:   %-34s %-22s 0x%016" PRIx64 " -> 0x%016" PRIx64 "\n", step.step.c_str(),
                   step.reg.c_str(), step.before, step.after);
  }

  void install_observers() {
    vcpu_pcpus_.resize(vcpus_.size());
    vcpu_insns_.resize(vcpus_.size());
    vcpu_cycles_.resize(vcpus_.size());
    last_pcpu_.assign(vcpus_.size(), -1);
    if (opts_.timeline_path.empty()) return;
    // Replaces install_traces()'s reset hook: it still prints with --trace reset.
    for (auto* v : vcpus_) {
      v->set_reset_trace([this](unsigned id, uint32_t pcpu, const char* cause, const kvm_model::vpmu::ResetTrace& t) {
        if (opts_.trace_reset || opts_.trace_reset_summary) print_reset(id, pcpu, cause, t);
        tl_instant(pcpu, "vCPU " + std::to_string(id) + " reset (" + cause + ")");
      });
    }
  }

  void tl_instant(uint32_t tid, const std::string& name) {
    const std::lock_guard g(obs_m_);
    JsonWriter w;
    w.begin_object().key("name").value(name).key("ph").value("i").key("s").value("t").key("pid").value(1);
    w.key("tid").value(tid).key("ts").raw_number(ns_to_us(tl_now_)).end_object();
    tl_events_.push_back(w.str());
    tl_tids_.insert(tid);
  }

  // After every KVM_RUN: which pCPU ran the vCPU, the quantum's slice, migrations,
  // FAIL_ENTRY, and the values of the counters the guest has enabled.
  void observe_quantum(kvm_model::Vcpu* v, int rc) {
    if (opts_.json_path.empty() && opts_.timeline_path.empty()) return;
    const std::lock_guard g(obs_m_);
    const kvm_run& rs = urun(v);
    const unsigned id = v->id();
    const uint32_t pcpu = v->loaded_pcpu();
    const uint64_t n = v->run_struct().insns_retired;
    auto& used = vcpu_pcpus_[id];
    if (std::find(used.begin(), used.end(), pcpu) == used.end()) used.push_back(pcpu);
    vcpu_insns_[id] += n;
    // The quantum's cycles: the growth of the pCPU's timing model since the last quantum
    // that ran there (one vCPU runs on a pCPU at a time); functional timing counts one
    // cycle per instruction.
    if (const cpu::timing::TimingModel* t = vm_->timing_model_if_used(pcpu)) {
      if (pcpu >= pcpu_cycles_seen_.size()) pcpu_cycles_seen_.resize(pcpu + 1, 0);
      vcpu_cycles_[id] += t->cycles() - pcpu_cycles_seen_[pcpu];
      pcpu_cycles_seen_[pcpu] = t->cycles();
    } else {
      vcpu_cycles_[id] += n;
    }
    const bool tl = !opts_.timeline_path.empty();
    if (tl && last_pcpu_[id] >= 0 && static_cast<uint32_t>(last_pcpu_[id]) != pcpu)
      tl_instant(pcpu, "vCPU " + std::to_string(id) + " migrated from pCPU " + std::to_string(last_pcpu_[id]) +
                           " to pCPU " + std::to_string(pcpu));
    last_pcpu_[id] = pcpu;
    if (tl && n > 0) {
      JsonWriter w;
      w.begin_object().key("name").value("vCPU " + std::to_string(id)).key("ph").value("X").key("pid").value(1);
      w.key("tid").value(pcpu).key("ts").raw_number(ns_to_us(tl_now_)).key("dur").raw_number(ns_to_us(n));
      w.key("args").begin_object().key("vcpu").value(id).key("instructions").value(n).end_object().end_object();
      tl_events_.push_back(w.str());
      tl_tids_.insert(pcpu);
    }
    tl_now_ += n;
    if (!tl) return;
    if (rc == 0 && rs.exit_reason == KVM_EXIT_FAIL_ENTRY)
      tl_instant(rs.fail_entry.cpu, "vCPU " + std::to_string(id) + " FAIL_ENTRY (CPU_UNSUPPORTED)");
    sample_counters(v);
    sample_physical(pcpu);
  }

  // "C" events of the physical side: the pCPU's core totals (INST_RETIRED, CPU_CYCLES) after
  // each quantum that ran there (cycle timing only: functional timing has no per-pCPU model).
  void sample_physical(uint32_t pcpu) {
    const cpu::timing::TimingModel* t = vm_->timing_model_if_used(pcpu);
    if (t == nullptr) return;
    static constexpr std::pair<uint16_t, const char*> kEvents[] = {{0x08, "INST_RETIRED"}, {0x11, "CPU_CYCLES"}};
    for (const auto& [ev, name] : kEvents) {
      JsonWriter w;
      w.begin_object().key("name").value("pCPU " + std::to_string(pcpu) + " " + name);
      w.key("ph").value("C").key("pid").value(1).key("ts").raw_number(ns_to_us(tl_now_));
      w.key("args").begin_object().key("value").value(t->totals()[ev]).end_object().end_object();
      tl_events_.push_back(w.str());
    }
  }

  // "C" events: PMEVCNTRn_EL0 / PMCCNTR_EL0 of every counter PMCNTENSET_EL0 enables.
  void sample_counters(kvm_model::Vcpu* v) {
    static constexpr uint64_t kPmcntensetId = arch::SysRegKey{3, 3, 9, 12, 1}.to_one_reg_id();
    uint64_t en = 0;
    if (get_reg(v, kPmcntensetId, en, false) != 0) return;
    for (unsigned b = 0; b < 32; ++b) {
      if (!((en >> b) & 1)) continue;
      const arch::SysRegKey key = b == 31 ? arch::sysreg(3, 3, 9, 13, 0)
                                          : arch::sysreg(3, 3, 14, static_cast<uint8_t>(8 | (b >> 3)),
                                                         static_cast<uint8_t>(b & 7));
      uint64_t value = 0;
      if (get_reg(v, key.to_one_reg_id(), value, false) != 0) continue;
      JsonWriter w;
      w.begin_object().key("name").value("vCPU " + std::to_string(v->id()) +
                                         (b == 31 ? std::string(" PMCCNTR") : " PMEVCNTR" + std::to_string(b)));
      w.key("ph").value("C").key("pid").value(1).key("ts").raw_number(ns_to_us(tl_now_));
      w.key("args").begin_object().key("value").value(value).end_object().end_object();
      tl_events_.push_back(w.str());
    }
  }

  // The run ended in a served exit: record its reason; after a clean end (semihosting exit
  // 0, PSCI SYSTEM_OFF) with --reinit-runs left, KVM_ARM_VCPU_INIT every vCPU and boot again
  // (guest RAM is kept), as the kernel's selftests do between runs. true: keep running.
  bool reinit_after(kvm_model::Vcpu* v, const RunOutcome& done) {
    const kvm_run& rs = urun(v);
    std::string reason;
    switch (rs.exit_reason) {
      case KVM_EXIT_DEBUG: reason = done.error.empty() ? "guest-exit" : "guest-fault"; break;
      case KVM_EXIT_SYSTEM_EVENT:
        reason = rs.system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "system-off" : "reset-limit";
        break;
      case KVM_EXIT_FAIL_ENTRY: reason = "fail-entry"; break;
      case KVM_EXIT_ARM_NISV: reason = "guest-fault"; break;
      case KVM_EXIT_INTERNAL_ERROR:
        reason = done.exit_status == kExitGuestFault ? "guest-fault" : "internal-error";
        break;
      default: reason = "internal-error";
    }
    const bool clean = done.exit_status == 0 && done.error.empty() && (reason == "guest-exit" || reason == "system-off");
    if (!clean || reinit_done_ >= opts_.reinit_runs) {
      exit_reason_ = reason;
      return false;
    }
    ++reinit_done_;
    if (!opts_.timeline_path.empty()) tl_instant(v->loaded_pcpu(), "re-init: run " + std::to_string(reinit_done_ + 1));
    init_vcpus();
    set_boot_regs();
    return true;
  }

  // PMU registers in KVM_GET_REG_LIST: op0 3, op1 0 or 3, CRn 9 or 14 (not the CRn 14 timer rows).
  static bool is_pmu_reg(const arch::SysRegKey& k) {
    if (k.op0 != 3 || (k.op1 != 0 && k.op1 != 3) || (k.crn != 9 && k.crn != 14)) return false;
    return (k.crn == 9 && (k.crm >= 12 || (k.op1 == 0 && k.crm == 14))) || (k.crn == 14 && k.crm >= 8);
  }

  void write_vcpus_json(JsonWriter& w) {
    for (auto* v : vcpus_) {
      const unsigned id = v->id();
      w.newline().begin_object();
      w.key("id").value(id);
      w.key("pcpus").begin_array();
      for (uint32_t p : vcpu_pcpus_[id]) w.value(p);
      w.end_array();
      w.key("instructions").value(vcpu_insns_[id]);
      w.key("cycles").value(vcpu_cycles_[id]);
      uint64_t pc = 0;
      get_reg(v, kvm_model::kRegPc, pc, false);
      w.key("pc").value(hex(pc));
      w.key("registers").begin_object();
      std::vector<uint64_t> ids;
      if (reg_list(v, ids, false) == 0) {
        for (uint64_t rid : ids) {
          const auto key = arch::SysRegKey::from_one_reg_id(rid);
          if (!key || !is_pmu_reg(*key)) continue;
          uint64_t value = 0;
          if (get_reg(v, rid, value, false) != 0) continue;
          w.key(kvm_model::abi::reg_name(rid)).value(hex(value));
        }
      }
      w.end_object();
      w.end_object();
    }
  }

  uint64_t tl_now_ = 0;                          // guest time (ns): instructions retired in the VM
  std::vector<std::string> tl_events_;           // rendered trace events, in order
  std::set<uint32_t> tl_tids_;                   // pCPU tracks with events
  std::vector<std::vector<uint32_t>> vcpu_pcpus_;  // per vCPU: pCPUs of its KVM_RUNs, first use first

  // The events the pCPU's core produced (its timing model's totals, by common-event name);
  // empty with functional timing or for a pCPU nothing ran on.
  void write_pcpu_totals(JsonWriter& w, uint32_t pcpu) const {
    const cpu::timing::TimingModel* t = vm_ ? vm_->timing_model_if_used(pcpu) : nullptr;
    if (t == nullptr) return;
    for (unsigned e = 0; e < arch::kNumCommonEvents; ++e) {
      if (t->totals()[e] == 0) continue;
      const std::string_view name = pmu::event_name(static_cast<uint16_t>(e));
      w.key(std::string(name)).value(t->totals()[e]);
    }
  }
  std::vector<uint64_t> vcpu_insns_;             // per vCPU: instructions run by this process
  std::vector<uint64_t> vcpu_cycles_;            // per vCPU: timing-model cycles of its quanta
  std::vector<uint64_t> pcpu_cycles_seen_;       // per pCPU: its model's cycles at its last quantum
  std::vector<int64_t> last_pcpu_;               // per vCPU: pCPU of its last KVM_RUN (-1: none)
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
  RamBuffer ram_;
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
  bool feed_uart(bool block) {
    uint8_t buf[devices::Pl011::kFifoDepth];
    const size_t room = std::min(uart_.rx_room(), sizeof buf);
    if (!linux_ || room == 0 || input_.at_eof()) return false;
    // Blocking: wait in slices, so that a stop request (SIGINT, --timeout) is seen while
    // nothing is typed.
    size_t n = 0;
    do n = input_.read(buf, room, block ? 50 : 0);
    while (block && n == 0 && !input_.at_eof() && !(opts_.stop && opts_.stop->reason() != 0));
    for (size_t k = 0; k < n; ++k) uart_.receive(buf[k]);
    return n > 0;
  }
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
  std::optional<std::string> bound_by_insn_limit(kvm_model::Vcpu* v, uint64_t& budget) {
    if (!opts_.max_insns) return std::nullopt;
    const uint64_t done = total_instructions();
    if (done >= opts_.max_insns) {
      uint64_t pc = 0;
      get_reg(v, kvm_model::kRegPc, pc, false);
      return "instruction limit reached (--max-insns " + std::to_string(opts_.max_insns) + ") at vCPU " +
             std::to_string(v->id()) + " PC " + hex(pc);
    }
    budget = std::min(budget, opts_.max_insns - done);
    return std::nullopt;
  }
  // --migrate-every: when due, the scheduler moves the vCPU thread to the next pCPU of its
  // set (KVM sees vcpu_put on the old pCPU and vcpu_load on the new one); the quantum ends
  // where the next move is due.
  void migrate_if_due(kvm_model::Vcpu* v, Placement& pl, uint64_t& budget) {
    if (!opts_.migrate_every || pl.cpus.size() < 2) return;
    if (pl.since >= opts_.migrate_every) {
      v->vcpu_put();
      pl.at = (pl.at + 1) % pl.cpus.size();
      pl.since = 0;
      v->vcpu_load(pl.cpus[pl.at]);
    }
    budget = std::min(budget, opts_.migrate_every - pl.since);
  }
  std::unique_ptr<Disassembler> dis_;
  RunOutcome out_;
};

std::optional<RunOutcome> Vmm::handle_exit(kvm_model::Vcpu* v) {
  kvm_run& run = urun(v);
  switch (run.exit_reason) {
    case KVM_EXIT_DEBUG: {
      uint64_t op, param;
      check(get_reg(v, kvm_model::kRegX(0), op), "KVM_GET_ONE_REG(X0)");
      check(get_reg(v, kvm_model::kRegX(1), param), "KVM_GET_ONE_REG(X1)");
      const SemihostingResult r = semihosting_call(guest_ram_, static_cast<uint32_t>(op), param, console_.out());
      if (!r.error.empty()) return finish(kExitGuestFault, "guest semihosting call: " + r.error);
      if (r.exit_status) return finish(*r.exit_status, "");
      check(set_reg(v, kvm_model::kRegX(0), r.x0), "KVM_SET_ONE_REG(X0)");
      return std::nullopt;
    }
    case KVM_EXIT_MMIO: {
      // Devices behind the MMIO path. Nothing else is mapped: reads of unassigned
      // addresses return zero and writes are ignored (docs/guest-abi.md).
      uint64_t data = 0;
      std::memcpy(&data, run.mmio.data, sizeof data);
      if (uart_.owns(run.mmio.phys_addr)) {
        const uint64_t off = run.mmio.phys_addr - devices::Pl011::kBase;
        if (run.mmio.is_write) uart_.write(v->id(), off, data); else data = uart_.read(off);
      } else if (auto d = std::find_if(drives_.begin(), drives_.end(),
                                       [&](const auto& x) { return x->owns(run.mmio.phys_addr); });
                 d != drives_.end()) {
        const uint64_t off = run.mmio.phys_addr - (*d)->base();
        if (run.mmio.is_write) (*d)->write(off, data, run.mmio.len); else data = (*d)->read(off, run.mmio.len);
      } else {
        data = 0;
      }
      if (!run.mmio.is_write) std::memcpy(run.mmio.data, &data, sizeof data);
      return std::nullopt;
    }
    case KVM_EXIT_ARM_NISV:
      return finish(kExitGuestFault, "guest accessed MMIO at IPA " + hex(run.arm_nisv.fault_ipa) +
                                         " with an instruction KVM cannot emulate (no syndrome: pair, writeback, "
                                         "exclusive or atomic) on vCPU " + std::to_string(v->id()));
    case KVM_EXIT_SYSTEM_EVENT:
      if (run.system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) return finish(kExitOk, "");
      if (++out_.resets > opts_.max_resets)
        return finish(kExitGuestFault,
                      "guest requested more than " + std::to_string(opts_.max_resets) + " system resets (--max-resets)");
      // The snapshot holds no boot image: only --kernel given with --restore has one.
      if (snapshot_ && !linux_)
        return finish(kExitGuestFault, "guest requested a system reset: a restored VM boots again only the --kernel "
                                       "given with --restore (the snapshot holds no boot image)");
      for (auto& d : drives_) d->reset();
      init_vcpus();  // guest RAM is kept: a guest can count its boots
      if (linux_) linux_->load(ram_.data(), opts_.ram_base);  // the boot protocol again, as QEMU does
      set_boot_regs();
      return std::nullopt;
    case KVM_EXIT_INTERNAL_ERROR:
      if (run.internal.suberror == kvm_model::PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP)
        return finish(kExitGuestFault, "guest fault without handler on vCPU " + std::to_string(v->id()) +
                                           ": exception loop started at PC " + hex(run.internal.data[3]) +
                                           " (ESR_EL1 " + hex(run.internal.data[0]) + ", ELR_EL1 " +
                                           hex(run.internal.data[1]) + ", FAR_EL1 " + hex(run.internal.data[2]) + ")");
      return finish(kExitInternal, "KVM_RUN internal error " + std::to_string(run.internal.suberror));
    case KVM_EXIT_FAIL_ENTRY:
      return finish(kExitFailEntry, "KVM_RUN of vCPU " + std::to_string(v->id()) +
                                        " failed entry: KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED) on pCPU " +
                                        std::to_string(run.fail_entry.cpu) + ", outside the VM's PMU's CPUs");
    default:
      return finish(kExitInternal, "unexpected KVM exit reason " + std::to_string(run.exit_reason));
  }
}

RunOutcome Vmm::run() {
  if (opts_.threads) return run_threaded();
  // Deterministic round robin: each runnable vCPU runs one quantum in vCPU order, so the
  // same command always interleaves the guest identically.
  const uint64_t quantum = vcpus_.size() == 1 ? (1u << 20) : 10000;
  if (opts_.gdb) {
    opts_.gdb->wait_for_debugger();  // stopped before the first instruction (docs/gdb.md)
    if (opts_.gdb->killed()) return finish(gdb::kExitDebuggerKill, "killed by the debugger");
  }
  for (;;) {
    if (!opts_.save_path.empty() && !opts_.save_at_pc && total_instructions() >= opts_.stop_after_insns) {
      save(opts_.save_path);
      std::fprintf(stderr, "pmuemu: snapshot written to %s after %" PRIu64 " guest instructions\n",
                   opts_.save_path.c_str(), instructions_with_restored());
      return finish(kExitOk, "");
    }
    bool progressed = feed_uart(false);
    for (auto* v : vcpus_) {
      if (auto stop = stop_if_requested()) return *stop;
      if (mp_state(v) == KVM_MP_STATE_STOPPED) continue;
      uint64_t budget = quantum;
      if (!opts_.save_path.empty() && !opts_.save_at_pc) budget = std::min(budget, std::max<uint64_t>(opts_.stop_after_insns - std::min(opts_.stop_after_insns, total_instructions()), 1));
      if (auto limit = bound_by_insn_limit(v, budget)) return finish(kExitGuestFault, *limit);
      Placement& pl = placement_[v->id()];
      migrate_if_due(v, pl, budget);
      v->run_struct().insn_budget = budget;
      const bool was_halted = mp_state(v) == KVM_MP_STATE_HALTED;
      const bool to_pc = opts_.save_at_pc && v->id() == 0;
      const int rc = opts_.gdb ? gdb_run(v, budget) : to_pc ? run_to_pc(v, budget) : vcpu_run(v);
      observe_quantum(v, rc);
      if (to_pc && at_pc_) {
        save(opts_.save_path);
        std::fprintf(stderr, "pmuemu: snapshot written to %s at PC %s after %" PRIu64 " guest instructions\n",
                     opts_.save_path.c_str(), hex(*opts_.save_at_pc).c_str(), instructions_with_restored());
        return finish(kExitOk, "");
      }
      if (opts_.gdb && opts_.gdb->killed()) return finish(gdb::kExitDebuggerKill, "killed by the debugger");
      pl.since += v->run_struct().insns_retired;
      // A halted vCPU that woke (an interrupt, its timer) is progress even before it retires.
      progressed |= v->run_struct().insns_retired > 0 || (was_halted && mp_state(v) != KVM_MP_STATE_HALTED);
      if (rc == -EINTR && urun(v).exit_reason == KVM_EXIT_INTR) continue;
      check(rc, "KVM_RUN(vcpu" + std::to_string(v->id()) + ")");
      progressed = true;
      if (auto done = handle_exit(v)) {
        if (reinit_after(v, *done)) continue;
        return *done;
      }
    }
    // Nothing can run until the user types: wait for the terminal (or the pipe).
    if (!progressed && feed_uart(true)) continue;
    if (!progressed) {
      if (auto stop = stop_if_requested()) return *stop;
      bool any_halted = false;
      for (auto* v : vcpus_) any_halted |= mp_state(v) == KVM_MP_STATE_HALTED;
      return finish(kExitGuestFault, any_halted ? "every vCPU is halted (WFI) or off and no interrupt can wake one"
                                                : "every vCPU is powered off (PSCI CPU_OFF) and none can be woken");
    }
  }
}


// ---------------- --threads ----------------
// Each vCPU has a host thread that loops: wait while it has nothing to run (powered off,
// or halted in WFI with no timer), take its pCPU's turn, KVM_RUN one quantum, serve the
// exit. Kicks (an SGI, a PSCI CPU_ON, an interrupt from another vCPU) wake a waiting
// thread through the VM's kick hook. Output order between vCPUs follows the host's thread
// timing: this mode is not deterministic.

void Vmm::acquire_pcpu(uint32_t pcpu) {
  PcpuTurn& t = *pcpu_turns_.at(pcpu);
  std::unique_lock g(t.m);
  const uint64_t ticket = t.next++;
  t.cv.wait(g, [&] { return t.serving == ticket; });
}

void Vmm::release_pcpu(uint32_t pcpu) {
  PcpuTurn& t = *pcpu_turns_.at(pcpu);
  {
    const std::lock_guard g(t.m);
    ++t.serving;
  }
  t.cv.notify_all();
}

void Vmm::end_threaded(const RunOutcome& out) {
  {
    const std::lock_guard g(kick_m_);
    if (done_) return;
    done_ = true;
    result_ = out;
  }
  kick_cv_.notify_all();
  for (auto* v : vcpus_) v->request_immediate_exit();
}

template <typename Fn>
void Vmm::with_world_stopped(unsigned self, Fn&& fn) {
  std::unique_lock g(kick_m_);
  // One stop at a time: a second requester parks (and so counts as stopped) meanwhile.
  while (pausing_ && !done_) {
    ++parked_;
    kick_cv_.notify_all();
    kick_cv_.wait(g, [&] { return !pausing_ || done_; });
    --parked_;
  }
  if (done_) return;
  pausing_ = true;
  g.unlock();
  for (auto* v : vcpus_)
    if (v->id() != self) v->request_immediate_exit();
  g.lock();
  kick_cv_.wait(g, [&] { return parked_ + idle_ + 1 >= vcpus_.size() || done_; });
  g.unlock();
  if (!done_) fn();
  g.lock();
  pausing_ = false;
  // Everyone re-examines its vCPU: power states and registers have just changed.
  std::fill(kicked_.begin(), kicked_.end(), 1);
  g.unlock();
  kick_cv_.notify_all();
}

void Vmm::vcpu_thread(kvm_model::Vcpu* v) {
  const unsigned id = v->id();
  const uint64_t quantum = kQuantum;
  Placement& pl = placement_[id];
  try {
    for (;;) {
      {
        std::unique_lock g(kick_m_);
        if (pausing_ && !done_) {
          ++parked_;
          kick_cv_.notify_all();
          kick_cv_.wait(g, [&] { return !pausing_ || done_; });
          --parked_;
        }
        if (done_) return;
      }
      // Anything to run? Power state is VM state: read it under the VM lock.
      uint8_t why = 0;
      bool was_halted = false;
      {
        const auto vl = vm_->lock();
        was_halted = v->mp_state() == KVM_MP_STATE_HALTED;
        if (v->powered_off() && !v->psci_on_pending()) why = 2;  // (KVM_GET_MP_STATE, read under the VM lock)
        else if (was_halted && halted_idle_[id]) why = 1;
      }
      if (why != 0) {
        std::unique_lock g(kick_m_);
        if (kicked_[id] || done_ || pausing_) {
          halted_idle_[id] = 0;  // kicked since the run that blocked: run again
          continue;
        }
        idle_why_[id] = why;
        ++idle_;
        // Wedged when every thread waits and none has been kicked (a kicked thread may not
        // have left its wait yet): nobody runs, so nobody can kick.
        bool wedged = idle_ == vcpus_.size();
        for (size_t k = 0; wedged && k < kicked_.size(); ++k) wedged = kicked_[k] == 0;
        if (wedged) {
          bool any_halted = false;
          for (uint8_t w : idle_why_) any_halted |= w == 1;
          --idle_;
          g.unlock();
          const std::lock_guard vg(vmm_m_);
          end_threaded(finish(kExitGuestFault, any_halted
                                                   ? "every vCPU is halted (WFI) or off and no interrupt can wake one"
                                                   : "every vCPU is powered off (PSCI CPU_OFF) and none can be woken"));
          return;
        }
        kick_cv_.notify_all();  // a stopping world counts idle threads as stopped
        kick_cv_.wait(g, [&] { return kicked_[id] || done_ || pausing_; });
        --idle_;
        idle_why_[id] = 0;
        halted_idle_[id] = 0;
        continue;
      }
      uint64_t budget = quantum;
      if (auto stop = stop_if_requested()) {
        const std::lock_guard vg(vmm_m_);
        end_threaded(*stop);
        return;
      }
      if (auto limit = bound_by_insn_limit(v, budget)) {
        const std::lock_guard vg(vmm_m_);
        end_threaded(finish(kExitGuestFault, *limit));
        return;
      }
      migrate_if_due(v, pl, budget);
      v->run_struct().insn_budget = budget;
      const uint32_t pcpu = pl.cpus[pl.at];
      {
        // Kicks from here on are for this KVM_RUN's outcome: one that lands while it runs
        // must not be lost if the run then blocks in WFI.
        const std::lock_guard g(kick_m_);
        kicked_[id] = 0;
      }
      acquire_pcpu(pcpu);
      const int rc = vcpu_run(v);
      observe_quantum(v, rc);
      release_pcpu(pcpu);
      const uint64_t n = v->run_struct().insns_retired;
      pl.since += n;
      threaded_insns_ += n;
      if (rc == -EINTR && urun(v).exit_reason == KVM_EXIT_INTR) {
        // Out of budget, an immediate exit, or blocked in WFI with nothing to wake it.
        // A vCPU that entered halted and is still halted without retiring anything has no
        // timer to wake it (KVM_RUN would have let time pass to it): wait for a kick.
        const auto vl = vm_->lock();
        if (was_halted && n == 0 && v->mp_state() == KVM_MP_STATE_HALTED) halted_idle_[id] = 1;
        continue;
      }
      {
        const std::lock_guard g(kick_m_);
        if (done_) return;
      }
      check(rc, "KVM_RUN(vcpu" + std::to_string(id) + ")");
      const kvm_run& rs = urun(v);
      const bool system_reset = rs.exit_reason == KVM_EXIT_SYSTEM_EVENT &&
                                rs.system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN;
      if (system_reset) {
        // init_vcpus() re-initialises every vCPU: only with the others stopped. (The VMM
        // lock is taken inside: a thread still on its way to park may need it first.)
        std::optional<RunOutcome> done;
        with_world_stopped(id, [&] {
          const std::lock_guard vg(vmm_m_);
          done = handle_exit(v);
        });
        if (done) end_threaded(*done);
        continue;
      }
      std::unique_lock vg(vmm_m_);
      if (auto done = handle_exit(v)) {
        bool again = false;
        if (done->exit_status == 0 && done->error.empty() && reinit_done_ < opts_.reinit_runs) {
          vg.unlock();
          with_world_stopped(id, [&] {
            const std::lock_guard g(vmm_m_);
            again = reinit_after(v, *done);
          });
        } else {
          reinit_after(v, *done);  // records the exit reason
        }
        if (!again) end_threaded(*done);
      }
    }
  } catch (...) {
    {
      const std::lock_guard g(kick_m_);
      if (!error_) error_ = std::current_exception();
    }
    end_threaded(RunOutcome{kExitInternal, "vCPU thread failed", 0, 0, {}});
  }
}

RunOutcome Vmm::run_threaded() {
  vm_->set_threaded();
  pcpu_turns_.clear();
  for (size_t p = 0; p < host_.num_pcpus(); ++p) pcpu_turns_.push_back(std::make_unique<PcpuTurn>());
  {
    // A stop request (stop.h) may kick from the watcher thread at any time.
    const std::lock_guard g(kick_m_);
    kicked_.assign(vcpus_.size(), 0);
    idle_why_.assign(vcpus_.size(), 0);
    halted_idle_.assign(vcpus_.size(), 0);
  }
  vm_->set_kick_hook([this](unsigned id) {
    {
      const std::lock_guard g(kick_m_);
      if (id < kicked_.size()) kicked_[id] = 1;
    }
    kick_cv_.notify_all();
  });
  std::vector<std::thread> threads;
  threads.reserve(vcpus_.size());
  for (auto* v : vcpus_) threads.emplace_back([this, v] { vcpu_thread(v); });
  for (auto& t : threads) t.join();
  vm_->set_kick_hook(nullptr);
  if (error_) std::rethrow_exception(error_);
  console_.flush();
  RunOutcome out = result_.value_or(finish(kExitInternal, "vCPU threads ended without an outcome"));
  out.instructions = total_instructions();
  return out;
}
}  // namespace

namespace {
// The vPMU's rules differ between eras (the N a restore can set, how the bitmaps and
// counters are written back, what a reset does), so a VM saved under one era is a different
// VM under another: restoring it there is refused unless the user asks for it.
void check_restore_era(const Snapshot& snap, const RunOptions& opts) {
  const auto saved = kvm_model::vpmu::parse_era(snap.kvm_era);
  if (!saved)
    throw InputError(opts.restore_path + ": the snapshot was taken under KVM era '" + snap.kvm_era +
                     "', which this pmuemu does not model (pmuemu --version lists the eras it models)");
  const auto wanted = kvm_model::vpmu::parse_era(opts.kvm_era);
  if (!wanted || *wanted == *saved || opts.allow_era_change) return;  // an unknown --kvm is reported by the VMM
  throw MigrationRefused("restore refused: " + opts.restore_path + " was taken under KVM era " +
                         std::string(kvm_model::vpmu::era_name(*saved)) + ", --kvm asks for era " +
                         std::string(kvm_model::vpmu::era_name(*wanted)) +
                         " (the vPMU rules differ; --allow-era-change restores it anyway)");
}
}  // namespace

RunOutcome run_guest(const config::Host& host, const RunOptions& in_opts) {
  RunOptions opts = in_opts;
  std::optional<Snapshot> snap;
  if (!opts.restore_path.empty()) {
    // The VM is rebuilt as the source VMM built it: same vCPUs, RAM and PMU choices; the
    // kernel era is the snapshot's unless --kvm names another.
    snap = load_snapshot(opts.restore_path);
    opts.vcpus = snap->vcpus;
    opts.ram_base = snap->ram_base;
    opts.ram_size = snap->ram_size;
    opts.pmu = snap->pmu;
    if (!snap->pmu && !opts.pmu_core.empty())
      throw UsageError("--pmu is not valid with --restore of " + opts.restore_path +
                       ": its VM was created without a PMU (--no-pmu)");
    if (opts.pmu_core.empty()) opts.pmu_core = snap->pmu_core;
    // --affinity is the destination VMM's placement, checked against the snapshot's vCPUs.
    for (size_t v = 0; v < opts.affinity.size(); ++v)
      if (!opts.affinity[v].empty() && v >= snap->vcpus)
        throw UsageError("--affinity: vCPU " + std::to_string(v) + " does not exist (the snapshot " +
                         opts.restore_path + " has " + std::to_string(snap->vcpus) + " vCPU" +
                         (snap->vcpus == 1 ? "" : "s") + ")");
  }
  if (opts.kvm_era.empty()) opts.kvm_era = snap ? snap->kvm_era : "6.7";
  std::unique_ptr<Vmm> vmm;
  RunOutcome out;
  try {
    if (snap) check_restore_era(*snap, opts);
    vmm = std::make_unique<Vmm>(host, opts, std::move(snap));
    out = vmm->run();
    if (out.error.rfind("instruction limit", 0) == 0 || out.error.rfind("wall-clock limit", 0) == 0 ||
        out.error.rfind("stopped by SIG", 0) == 0)
      out.where = vmm->where();
    if (!opts.save_on_exit_path.empty()) {
      try {
        vmm->save_on_exit(opts.save_on_exit_path);
      } catch (const std::runtime_error& e) {
        if (out.error.empty()) out.exit_status = kExitBadInput, out.error = e.what();
      }
    }
  } catch (const KvmRefused& e) {
    out = RunOutcome{};
    out.exit_status = kExitKvmRefused;
    out.error = e.what();
    // The errno alone does not say why a vCPU with PMU_V3 is refused on this host.
    if (opts.pmu && out.error.rfind("KVM_ARM_VCPU_INIT", 0) == 0) {
      const std::string why = no_vpmu_reason(host);
      if (!why.empty()) out.error += ": " + why + "; run with --no-pmu";
    }
  } catch (const MigrationRefused& e) {
    out = RunOutcome{};
    out.exit_status = kExitMigrationRefused;
    out.error = e.what();
  }
  // --json / --timeline: written whatever the outcome; a write failure is input error 65
  // unless the run already has its own error.
  const std::string err = vmm ? vmm->write_reports(out) : write_reports_without_vm(host, opts, out);
  if (!err.empty() && out.error.empty()) {
    out.exit_status = kExitBadInput;
    out.error = err;
  }
  if (opts.gdb) opts.gdb->guest_exited(out.exit_status);  // gdb hears the end (W packet)
  return out;
}

}  // namespace pmuemu::vmm
