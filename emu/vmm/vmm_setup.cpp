// Building the VM as a VMM does through /dev/kvm: the VM and its vCPUs, guest RAM and the
// program or Linux image, the vGIC, the PMU attributes, the tracepoints.
#include "emu/vmm/vmm_impl.h"
#include "pmu/pmuv3_fields.h"

namespace pmuemu::vmm::detail {
Vmm::Vmm(const config::Host& host, const RunOptions& opts, std::optional<Snapshot> snapshot)
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
  // Accesses KVM cannot emulate (no syndrome) come back as KVM_EXIT_ARM_NISV, which the run
  // loop reports, rather than as KVM_RUN failing with ENOSYS.
  const kvm_enable_cap nisv{KVM_CAP_ARM_NISV_TO_USER, 0, {}, {}};
  call(ioctl(vm_fd_, KVM_ENABLE_CAP, &nisv), "KVM_ENABLE_CAP(ARM_NISV_TO_USER)");
  // pmuemu's guests talk to the VMM through semihosting (docs/guest-abi.md): ask for its
  // exits, which /dev/kvm keeps off by default (a guest's HLT is UNDEFINED under Linux).
  const kvm_enable_cap semihosting{KVM_CAP_PMUEMU_SEMIHOSTING, 0, {1}, {}};
  call(ioctl(vm_fd_, KVM_ENABLE_CAP, &semihosting), "KVM_ENABLE_CAP(PMUEMU_SEMIHOSTING)");
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
    // A terminal feeding the UART is a serial line for the run.
    term_ = std::make_unique<devices::TerminalMode>(opts.console_in);
    if (term_->active() && opts.stop) opts.stop->set_before_exit([this] { term_->restore(); });
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
  if (opts.gdb) {
    opts.gdb->attach(gdb_target_, [this] { return opts_.stop != nullptr && opts_.stop->reason() != 0; });
    gdb::report_vcpu_events(*opts.gdb, vcpus_);  // monitor stop-on
  }
}

Vmm::~Vmm() {
  if (opts_.stop) opts_.stop->set_kick(nullptr);
  if (opts_.stop) opts_.stop->set_before_exit(nullptr);
}

kvm_model::vpmu::Era Vmm::parse_era_or_throw(const std::string& name) {
  const auto era = kvm_model::vpmu::parse_era(name);
  if (!era) throw UsageError("--kvm: unknown kernel era '" + name + "' (known: " + kvm_model::vpmu::known_era_names() + ")");
  return *era;
}

kvm_model::abi::Options Vmm::abi_options(const config::Host& host, const RunOptions& opts) {
  kvm_model::abi::Options o;
  o.host = host_desc(host, opts.timing == Timing::kCycle);
  o.era = parse_era_or_throw(opts.kvm_era);
  o.vmm_pcpu = opts.vmm_cpu;
  o.checked_copies = false;  // every pointer is the VMM's own: the trusted, faster path
  return o;
}

void Vmm::install_traces() {
  if (opts_.trace_insn) {
    dis_ = std::make_unique<Disassembler>();
    for (auto* v : vcpus_) {
      insn_rings_.resize(vcpus_.size());
      v->set_insn_trace([this](unsigned id, uint64_t pc, uint32_t insn, uint8_t el) {
        insn_rings_[id].push(pc, insn, el);  // for the dump at a fault or limit (fault_dump.h)
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
        print_reset(opts_.trace, opts_, id, pcpu, cause, t);
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

void Vmm::init_vcpus() {
  for (auto* v : vcpus_) {
    ::kvm_vcpu_init init = init_;
    if (v->id() != 0) init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    call(ioctl(vfd(v), KVM_ARM_VCPU_INIT, &init), "KVM_ARM_VCPU_INIT(vcpu" + std::to_string(v->id()) + ")");
  }
}

std::unique_ptr<boot::LinuxGuest> Vmm::load_linux(const RunOptions& o) {
  if (o.kernel_path.empty()) return nullptr;
  return std::make_unique<boot::LinuxGuest>(boot::LinuxFiles{o.kernel_path, o.initrd_path, o.dtb_path},
                                            o.ram_base, o.ram_size);
}

void Vmm::boot_linux() {
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

void Vmm::set_boot_regs() {
  call(set_reg(vcpus_[0], kvm_model::kRegPc, image_.entry), "KVM_SET_ONE_REG(vcpu0, PC)");
  call(set_reg(vcpus_[0], kvm_model::kRegX(0), opts_.arg), "KVM_SET_ONE_REG(vcpu0, X0)");
}

long Vmm::pmu_attr(const kvm_model::Vcpu* v, uint64_t attr, const void* value) {
  const kvm_device_attr a{0, KVM_ARM_VCPU_PMU_V3_CTRL, attr, reinterpret_cast<uintptr_t>(value)};
  return ioctl(vfd(v), KVM_SET_DEVICE_ATTR, &a);
}

kvm_model::vpmu::Attr5 Vmm::pmu_mode(const std::string& mode) {
  namespace vp = kvm_model::vpmu;
  for (vp::Attr5 a : {vp::Attr5::kFixedCountersOnly, vp::Attr5::kEnablePartition})
    if (mode == vp::attr5_pmu_mode(a)) return a;
  return vp::Attr5::kNone;
}

void Vmm::setup_pmu(const config::Host& host) {
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
      if (id == kPmcrId) restore_n = static_cast<int>(pmu::pmcr::N(value.lo));
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

}  // namespace pmuemu::vmm::detail
