// KVM_IOEVENTFD and KVM_IRQFD (virt/kvm/eventfd.c's ABI): eventfds that stand for guest
// MMIO writes and for interrupt lines, so that a VMM's I/O threads and the guest notify
// each other without a KVM_RUN exit. QEMU 9 and later refuse to start without both.
//
// ioeventfd: a guest write that an MMIO exit would hand the VMM, at an address (and length,
// and value, when asked) that a registration names, signals the registration's eventfd and
// the guest runs on. irqfd: a write to the eventfd fires the routes of a GSI (KVM_SET_GSI_ROUTING;
// by default GSI n is SPI n + 32): an SPI's line is raised, or an MSI goes to the ITS; with
// RESAMPLE the guest's EOI of that SPI lowers it again and signals a second eventfd.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "kvm_model/abi/state.h"

namespace kvm_model::abi {
namespace {

// A registration's address bus: ioeventfd_bus_from_flags(). arm64 guests only ever write
// the MMIO bus; the PIO and s390 notification buses take registrations all the same.
IoBus bus_of(uint32_t flags) {
  if (flags & KVM_IOEVENTFD_FLAG_PIO) return IoBus::kPio;
  if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY) return IoBus::kCcwNotify;
  return IoBus::kMmio;
}

// ioeventfd_check_collision(): two registrations of one bus and address clash unless both
// have a length, the lengths differ, or both match data and the data differ.
bool collides(const IoEventfd& a, const IoEventfd& b) {
  if (a.bus != b.bus || a.addr != b.addr) return false;
  if (a.len == 0 || b.len == 0) return true;
  if (a.len != b.len) return false;
  return a.wildcard || b.wildcard || a.datamatch == b.datamatch;
}

// ioeventfd_in_range(): the address must be the registration's; a registration without a
// length takes any write there; else the length must be equal and, with DATAMATCH, the
// value written (little-endian, as the data of an MMIO exit) too.
bool hits(const IoEventfd& e, uint64_t addr, uint32_t len, const uint8_t* data) {
  if (e.bus != IoBus::kMmio || addr != e.addr) return false;
  if (e.len == 0) return true;
  if (len != e.len) return false;
  if (e.wildcard) return true;
  uint64_t v = 0;
  std::memcpy(&v, data, len);
  return v == e.datamatch;
}

// The duplicates one host resolver holds, which do not keep an eventfd open in the
// program's eyes (Linux's eventfd_ctx references do not hold the file either).
struct HeldFds {
  std::mutex m;
  std::set<int> fds;
};

class HostEventfd final : public Eventfd {
 public:
  HostEventfd(int fd, int witness, std::shared_ptr<HeldFds> held) : fd_(fd), witness_(witness), held_(std::move(held)) {
    std::lock_guard lk(held_->m);
    held_->fds.insert(fd_);
  }
  ~HostEventfd() override {
    {
      std::lock_guard lk(held_->m);
      held_->fds.erase(fd_);
    }
    sys_close(fd_);
  }
  void signal() override {
    // eventfd_signal() never blocks: a count that is full stays full. The VMM's descriptor
    // may be blocking, so a write is only tried when it cannot wait.
    pollfd p{fd_, POLLOUT, 0};
    const uint64_t one = 1;
    if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT)) (void)!::write(fd_, &one, sizeof one);
  }
  bool take() override {
    pollfd p{fd_, POLLIN, 0};
    uint64_t v;
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && ::read(fd_, &v, sizeof v) == sizeof v;
  }
  bool same(const Eventfd& other) const override {
    const auto* h = dynamic_cast<const HostEventfd*>(&other);
    return h != nullptr && sys_same_file(fd_, h->fd_);
  }
  // The fd the VMM registered still names the file: one kcmp. Otherwise (closed, or its
  // number reused) every descriptor of the process is looked at once, and another that
  // names the file becomes the one watched.
  bool hung_up() override {
    if (witness_ >= 0 && sys_same_file(witness_, fd_)) return false;
    witness_ = -1;
    DIR* d = opendir("/proc/self/fd");
    if (d == nullptr) return false;  // cannot tell: keep it, as before the close
    std::lock_guard lk(held_->m);
    for (const dirent* e; (e = readdir(d)) != nullptr;) {
      char* end = nullptr;
      const long fd = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || end == e->d_name || fd == dirfd(d) || held_->fds.count(static_cast<int>(fd))) continue;
      if (sys_same_file(static_cast<int>(fd), fd_)) {
        witness_ = static_cast<int>(fd);
        break;
      }
    }
    closedir(d);
    return witness_ < 0;
  }

 private:
  int fd_;
  int witness_;
  std::shared_ptr<HeldFds> held_;
};

long host_eventfd(const std::shared_ptr<HeldFds>& held, int fd, std::shared_ptr<Eventfd>& out) {
  if (fd < 0) return -EBADF;
  char link[64];
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = readlink(proc.c_str(), link, sizeof link - 1);
  if (n < 0) return -EBADF;
  link[n] = '\0';
  if (std::strcmp(link, "anon_inode:[eventfd]") != 0) return -EINVAL;
  const int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return -errno;
  out = std::make_shared<HostEventfd>(dup, fd, held);
  return 0;
}

}  // namespace

EventfdResolver host_eventfd_resolver() {
  return [held = std::make_shared<HeldFds>()](int fd, std::shared_ptr<Eventfd>& out) {
    return host_eventfd(held, fd, out);
  };
}

long State::ioeventfd(VmObj& vm, unsigned long arg) {
  kvm_ioeventfd a;
  if (int rc = get(a, arg); rc != 0) return rc;
  IoEventfd e{bus_of(a.flags), a.addr, a.len, (a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH) == 0, a.datamatch, nullptr};
  if (e.wildcard) e.datamatch = 0;
  if (a.flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
    // kvm_deassign_ioeventfd_idx(): the registration of this eventfd with the same bus,
    // address, length and kind of match (and data, if it matches data): -ENOENT if none.
    if (long rc = eventfds(a.fd, e.ev); rc != 0) return rc;
    for (auto it = vm.ioeventfds.begin(); it != vm.ioeventfds.end(); ++it) {
      if (it->bus != e.bus || !it->ev->same(*e.ev) || it->addr != e.addr || it->len != e.len ||
          it->wildcard != e.wildcard || (!e.wildcard && it->datamatch != e.datamatch))
        continue;
      vm.ioeventfds.erase(it);
      return 0;
    }
    return -ENOENT;
  }
  // kvm_assign_ioeventfd(): a natural size or 0 (any), no wrap-around, known flags, and no
  // data match without a size; then the eventfd, then the collision check.
  if (a.len != 0 && a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8) return -EINVAL;
  if (a.addr + a.len < a.addr) return -EINVAL;
  if (a.flags & ~static_cast<uint32_t>(KVM_IOEVENTFD_VALID_FLAG_MASK)) return -EINVAL;
  if (a.len == 0 && (a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH)) return -EINVAL;
  if (long rc = eventfds(a.fd, e.ev); rc != 0) return rc;
  for (const IoEventfd& o : vm.ioeventfds)
    if (collides(o, e)) return -EEXIST;
  vm.ioeventfds.push_back(std::move(e));
  return 0;
}

bool State::serve_ioeventfd(VmObj& vm, VcpuData& vc) {
  const KvmRun& r = vc.v->run_struct();
  if (!r.mmio.is_write) return false;  // an ioeventfd has no read side
  std::lock_guard lk(vm.m);
  for (const IoEventfd& e : vm.ioeventfds) {
    if (!hits(e, r.mmio.phys_addr, r.mmio.len, r.mmio.data)) continue;
    e.ev->signal();
    return true;
  }
  return false;
}

long State::irqfd(VmObj& vm, unsigned long arg) {
  kvm_irqfd a;
  if (int rc = get(a, arg); rc != 0) return rc;
  // kvm_irqfd(): DEASSIGN and RESAMPLE are the flags.
  if (a.flags & ~static_cast<uint32_t>(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)) return -EINVAL;
  Irqfd f{a.gsi, nullptr, nullptr};
  if (a.flags & KVM_IRQFD_FLAG_DEASSIGN) {
    // kvm_irqfd_deassign(): every irqfd of this eventfd and GSI goes; none is not an error.
    // The last resampling irqfd of a GSI lowers its line (irqfd_resampler_shutdown()).
    if (long rc = eventfds(static_cast<int>(a.fd), f.ev); rc != 0) return rc;
    drop_irqfds(vm, [&](const Irqfd& o) { return o.gsi == f.gsi && o.ev->same(*f.ev); });
    return 0;
  }
  // kvm_irqfd_assign(): the interrupt controller must be initialised (-EAGAIN), the fd an
  // eventfd, with RESAMPLE the resamplefd too, and the eventfd not serving another irqfd of
  // this VM (-EBUSY).
  if (!vm.vm->vgic_created() || vm.vm->vgic() == nullptr) return -EAGAIN;
  if (long rc = eventfds(static_cast<int>(a.fd), f.ev); rc != 0) return rc;
  if (a.flags & KVM_IRQFD_FLAG_RESAMPLE)
    if (long rc = eventfds(static_cast<int>(a.resamplefd), f.resample); rc != 0) return rc;
  for (const Irqfd& o : vm.irqfds)
    if (o.ev->same(*f.ev)) return -EBUSY;
  vm.irqfds.push_back(std::move(f));
  publish_resamplers(vm);
  // A write made before the assignment counts (the vfs_poll() at the end of the assignment).
  poll_irqfds(vm);
  return 0;
}

// irqfd_shutdown(): the irqfds `gone` picks leave the VM; a GSI whose last resampling irqfd
// left has its line lowered (irqfd_resampler_shutdown()).
void State::drop_irqfds(VmObj& vm, const std::function<bool(const Irqfd&)>& gone) {
  std::vector<uint32_t> resampled;
  const size_t before = vm.irqfds.size();
  std::erase_if(vm.irqfds, [&](const Irqfd& o) {
    if (!gone(o)) return false;
    if (o.resample != nullptr) resampled.push_back(o.gsi);
    return true;
  });
  if (vm.irqfds.size() == before) return;
  for (const uint32_t gsi : resampled) {
    if (std::any_of(vm.irqfds.begin(), vm.irqfds.end(),
                    [&](const Irqfd& o) { return o.gsi == gsi && o.resample != nullptr; }))
      continue;
    for (unsigned intid : spis_of(vm, gsi)) {
      const auto lk = vm.vm->lock();
      vm.vm->vgic()->inject_irq(0, intid, false);
    }
  }
  publish_resamplers(vm);
}

// The SPIs a GSI is routed to (an MSI route has none): by default SPI gsi + 32 when the
// vGIC has it, else the irqchip entries of the VMM's table (kvm_irq_map_gsi()).
std::vector<unsigned> State::spis_of(VmObj& vm, uint32_t gsi) {
  std::vector<unsigned> out;
  const vgic::Vgic* g = vm.vm->vgic();
  if (g == nullptr) return out;
  auto add = [&](uint32_t pin) {
    if (pin < g->num_irqs() - vgic::kNumPrivate) out.push_back(pin + vgic::kNumPrivate);
  };
  if (!vm.routes) {
    add(gsi);
  } else {
    for (const GsiRoute& r : *vm.routes)
      if (r.gsi == gsi && !r.msi) add(r.pin);
  }
  return out;
}

// The resampling irqfds by the SPI they raise, for the vGIC's EOI hook, which runs inside
// guest execution without vm.m: a new snapshot after every change of the irqfds or the
// routing (irqfd_update()), swapped in atomically. The hook is installed with the first.
void State::publish_resamplers(VmObj& vm) {
  auto snap = std::make_shared<std::vector<Resampler>>();
  for (const Irqfd& f : vm.irqfds)
    if (f.resample != nullptr)
      for (unsigned intid : spis_of(vm, f.gsi)) snap->push_back({intid, f.resample});
  const bool first = vm.resamplers.load() == nullptr;
  vm.resamplers.store(std::move(snap));
  vgic::Vgic* g = vm.vm->vgic();
  if (!first || g == nullptr) return;
  // irqfd_resampler_ack(): the guest deactivated the SPI: its line goes low, then every
  // resamplefd of it is signalled, so the VMM looks at its device again and writes the
  // irqfd if the device still asserts it.
  VmObj* v = &vm;
  g->set_spi_ack_hook([v](unsigned intid) {
    const auto snap = v->resamplers.load();
    bool lowered = false;
    for (const Resampler& r : *snap) {
      if (r.intid != intid) continue;
      if (!lowered) v->vm->vgic()->inject_irq(0, intid, false);
      lowered = true;
      r.fd->signal();
    }
  });
}

// kvm_set_irq_routing(): the whole table at once. Each GSI below KVM_MAX_IRQ_ROUTES; an
// irqchip entry names irqchip 0 and a pin below KVM_IRQCHIP_NUM_PINS, without flags; an
// MSI entry may carry KVM_MSI_VALID_DEVID; a GSI has at most one entry per irqchip, and an
// MSI entry is its only one. Any error leaves the old table in force.
long State::set_gsi_routing(VmObj& vm, unsigned long arg) {
  kvm_irq_routing head;
  if (int rc = get(head, arg); rc != 0) return rc;
  if (head.nr > kMaxIrqRoutes || head.flags != 0) return -EINVAL;
  std::vector<kvm_irq_routing_entry> ue(head.nr);
  if (head.nr != 0)
    if (int rc = copy_in(ue.data(), arg + offsetof(kvm_irq_routing, entries), ue.size() * sizeof ue[0]); rc != 0)
      return rc;
  std::vector<GsiRoute> table;
  table.reserve(ue.size());
  for (const kvm_irq_routing_entry& e : ue) {
    if (e.gsi >= kMaxIrqRoutes) return -EINVAL;
    GsiRoute r{e.gsi, e.type == KVM_IRQ_ROUTING_MSI, 0};
    if (e.type == KVM_IRQ_ROUTING_IRQCHIP) {
      if (e.flags != 0 || e.u.irqchip.irqchip != 0 || e.u.irqchip.pin >= kIrqchipPins) return -EINVAL;
      r.pin = e.u.irqchip.pin;
    } else if (e.type == KVM_IRQ_ROUTING_MSI) {
      if (e.flags & ~static_cast<uint32_t>(KVM_MSI_VALID_DEVID)) return -EINVAL;
      r.msi_addr = (uint64_t{e.u.msi.address_hi} << 32) | e.u.msi.address_lo;
      r.msi_data = e.u.msi.data;
      r.msi_devid = e.u.msi.devid;
      r.msi_flags = e.flags;
    } else {
      return -EINVAL;
    }
    // setup_routing_entry(): one irqchip 0 entry per GSI, and nothing beside an MSI.
    for (const GsiRoute& o : table)
      if (o.gsi == r.gsi) return -EINVAL;
    table.push_back(r);
  }
  vm.routes = std::move(table);
  publish_resamplers(vm);
  return 0;
}

// irqfd_wakeup(): every irqfd whose eventfd was written fires its GSI's route. An SPI's line
// is raised and left high (kvm_arch_set_irq_inatomic() injects level 1 and nothing lowers
// it): an edge-triggered SPI becomes pending, a level-triggered one stays asserted until the
// VMM lowers the line (KVM_IRQ_LINE) or the guest clears it. An SPI the vGIC lacks raises
// nothing (vgic_irqfd_set_irq()); an MSI goes through the ITS; a GSI without a route does
// nothing. A GSI has at most one route on arm64 (one irqchip; an MSI route is alone).
// Then irqfd_wakeup(EPOLLHUP): an irqfd whose eventfd the program no longer holds any
// descriptor of leaves the VM, as if deassigned (a count written before the close has fired
// above, as Linux fires it at the write).
// Called with the VM's lock (vm.m) held, before every call on one of the VM's files.
void State::poll_irqfds(VmObj& vm) {
  for (const Irqfd& f : vm.irqfds) {
    if (!f.ev->take()) continue;
    vgic::Vgic* g = vm.vm->vgic();
    if (g == nullptr) continue;
    for (unsigned intid : spis_of(vm, f.gsi)) {
      const auto lk = vm.vm->lock();
      g->inject_irq(0, intid, true);
    }
    if (vm.routes)
      for (const GsiRoute& r : *vm.routes)
        if (r.gsi == f.gsi && r.msi) (void)vm.vm->signal_msi(r.msi_addr, r.msi_data, r.msi_devid, r.msi_flags);
  }
  drop_irqfds(vm, [](const Irqfd& f) { return f.ev->hung_up(); });
}

}  // namespace kvm_model::abi
