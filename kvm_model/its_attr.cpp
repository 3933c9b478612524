// The VM's ITS devices (vgic-its.c's device ops and kvm_send_userspace_msi): creation, the
// frame address, the register and control attribute groups, and KVM_SIGNAL_MSI.
#include <cerrno>

#include "kvm_model/kvm.h"

namespace kvm_model {

namespace {
constexpr uint32_t kMsiValidDevid = 1;  // KVM_MSI_VALID_DEVID
}  // namespace

void Vm::connect_vgic_memory() {
  vgic_->set_guest_memory([this](uint64_t gpa, void* buf, size_t len, bool is_write) {
    if (buf == nullptr) return guest_memory_present(gpa, len);
    return is_write ? write_guest(gpa, buf, len) : read_guest(gpa, buf, len);
  });
  if (!its_.empty()) vgic_->enable_lpi_support();
}

unsigned Vm::create_its() {
  const auto lk = lock();
  its_.push_back(std::make_unique<vgic::Its>());
  // vgic_its_create(): has_its for the whole VM, which GICD_TYPER.LPIS shows.
  if (vgic_ != nullptr) vgic_->enable_lpi_support();
  return static_cast<unsigned>(its_.size() - 1);
}

void Vm::set_its_base(unsigned index, uint64_t base) {
  const auto lk = lock();
  its_.at(index)->set_base(base);
}

vgic::Its* Vm::its_at(uint64_t gpa) {
  for (const auto& i : its_)
    if (i->owns(gpa)) return i.get();
  return nullptr;
}

int Vm::its_regs_get(unsigned index, uint64_t offset, uint64_t& value) {
  const auto lk = lock();
  return its_.at(index)->user_read(offset, value);
}

int Vm::its_regs_set(unsigned index, uint64_t offset, uint64_t value) {
  const auto lk = lock();
  const int rc = its_.at(index)->user_write(vgic_.get(), offset, value);
  kick_changed(~0u);
  return rc;
}

int Vm::its_ctrl(unsigned index, uint64_t attr) {
  const auto lk = lock();
  vgic::Its& its = *its_.at(index);
  switch (attr) {
    case KVM_DEV_ARM_VGIC_CTRL_INIT:
      return 0;
    case KVM_DEV_ARM_ITS_CTRL_RESET:
      its.reset(vgic_.get());
      kick_changed(~0u);
      return 0;
    case KVM_DEV_ARM_ITS_SAVE_TABLES:
      return vgic_ != nullptr ? its.save_tables(*vgic_) : 0;
    case KVM_DEV_ARM_ITS_RESTORE_TABLES: {
      const int rc = vgic_ != nullptr ? its.restore_tables(*vgic_) : 0;
      kick_changed(~0u);
      return rc;
    }
    default:
      return 0;  // vgic_its_ctrl() takes any other attribute and does nothing
  }
}

int Vm::signal_msi(uint64_t address, uint32_t data, uint32_t devid, uint32_t flags) {
  // kvm_send_userspace_msi(), then kvm_set_msi() and vgic_its_inject_msi().
  if (!vgic_created_ || (flags & ~kMsiValidDevid)) return -EINVAL;
  if (its_.empty()) return -ENODEV;
  if (!(flags & kMsiValidDevid)) return -EINVAL;
  const auto lk = lock();
  // The doorbell must be an ITS's GITS_TRANSLATER: KVM looks the address up on its MMIO bus
  // and takes the ITS device registered there (any address of its 128 KiB region).
  vgic::Its* its = nullptr;
  for (const auto& i : its_)
    if (i->base() != ~uint64_t{0} && address - i->base() < vgic::kItsFrameSize) its = i.get();
  if (its == nullptr) return -EINVAL;
  if (vgic_ == nullptr) return -EBUSY;  // the ITS cannot have been enabled by a guest yet
  const int rc = its->signal(*vgic_, devid, data);
  if (threaded_)
    for (unsigned id : vgic_->take_changed()) kick(id);
  return rc;
}

}  // namespace kvm_model
