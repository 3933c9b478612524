// The VM fd of /dev/kvm (kvm_vm_ioctl, kvm_arch_vm_ioctl): memory slots and their dirty
// logs, vCPU and device creation, IRQ lines and the VM-scoped capabilities.
#include "kvm_model/abi/state.h"

namespace kvm_model::abi {

void sync_slot_list(VmObj& vm) {
  if (!vm.slots_stale) return;
  std::vector<cpu::SlotRegion> regions;
  regions.reserve(vm.slots.size());
  for (const auto& [id, s] : vm.slots)
    if (static_cast<int>(id) != vm.backing_slot)
      regions.push_back({s.gpa, s.size, reinterpret_cast<uint8_t*>(s.uaddr), (s.flags & KVM_MEM_READONLY) != 0, s.dirty.get()});
  vm.vm->set_memory_slots(std::move(regions));
  vm.slots_stale = false;
  vm.retired_logs.clear();
}

// After a slot change: the cores' list is rebuilt later (sync_slot_list); the RAM's log,
// which the model's own writes to RAM mark at once, is applied now (O(1)).
static void sync_slots(VmObj& vm) {
  vm.slots_stale = true;
  // The model's RAM logs through its pages' flags (cpu::PhysMem::set_dirty_log).
  cpu::PhysMem* ram = vm.vm->mem();
  if (ram == nullptr) return;
  const auto b = vm.slots.find(static_cast<uint16_t>(vm.backing_slot));
  Slot* const bs = vm.backing_slot >= 0 && b != vm.slots.end() ? &b->second : nullptr;
  const std::shared_ptr<cpu::DirtyBitmap> log = bs != nullptr ? bs->dirty : nullptr;
  if (log != ram->dirty_log() || (bs != nullptr && bs->protect_all)) ram->set_dirty_log(log, bs != nullptr && bs->protect_all);
  if (bs != nullptr) bs->protect_all = false;
}

// kvm_prepare_memory_region() and kvm_arch_commit_memory_region() for the log of a slot
// being created, moved or changed: none without KVM_MEM_LOG_DIRTY_PAGES; the old one when
// there is one; else a new one, all pages dirty under KVM_DIRTY_LOG_INITIALLY_SET. Logging
// write-protects the whole slot, except with INITIALLY_SET, where KVM_CLEAR_DIRTY_LOG
// protects the pages it clears.
static void start_dirty_log(const VmObj& vm, Slot& s, std::shared_ptr<cpu::DirtyBitmap> old) {
  if (!(s.flags & KVM_MEM_LOG_DIRTY_PAGES)) {
    s.dirty = nullptr;
    s.protect_all = false;
    return;
  }
  const bool init_set = (vm.manual_dirty_log & KVM_DIRTY_LOG_INITIALLY_SET) != 0;
  s.dirty = old != nullptr ? std::move(old) : std::make_shared<cpu::DirtyBitmap>(s.size / kPageSize, init_set);
  s.protect_all = !init_set;
}

long State::set_memory_region(VmObj& vm, const kvm_userspace_memory_region2& mem) {
  // The cores hold the slot's log by plain pointer until sync_slots replaces their list.
  const auto old = vm.slots.find(static_cast<uint16_t>(mem.slot));
  std::shared_ptr<cpu::DirtyBitmap> keep = old != vm.slots.end() ? old->second.dirty : nullptr;
  const long rc = update_memory_region(vm, mem);
  if (rc == 0) {
    if (keep != nullptr) vm.retired_logs.push_back(std::move(keep));
    sync_slots(vm);
  }
  return rc;
}

long State::update_memory_region(VmObj& vm, const kvm_userspace_memory_region2& mem) {
  // check_memory_region_flags(): no guest_memfd on arm64.
  if (mem.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) return -EINVAL;
  const uint16_t id = static_cast<uint16_t>(mem.slot);
  const uint32_t as_id = mem.slot >> 16;
  if ((mem.memory_size | mem.guest_phys_addr | mem.userspace_addr) & (kPageSize - 1)) return -EINVAL;
  if (mem.memory_size != 0 && mem.userspace_addr == 0) return -EINVAL;  // !access_ok()
  if (mem.userspace_addr + mem.memory_size < mem.userspace_addr) return -EINVAL;
  if (as_id >= 1 || id >= kUserMemSlots) return -EINVAL;
  if (mem.guest_phys_addr + mem.memory_size < mem.guest_phys_addr) return -EINVAL;
  const auto old = vm.slots.find(id);
  if (mem.memory_size == 0) {
    if (old == vm.slots.end()) return -EINVAL;
    // The model's RAM stays mapped in the cores once vCPUs exist (docs/kvm-api.md): its
    // deletion then stops the vCPUs from running rather than unmapping it under them.
    if (id == vm.backing_slot && !vm.vm->vcpus().empty()) vm.ram_deleted = true;
    if (id == vm.backing_slot) vm.backing_slot = -1;
    vm.by_gpa.erase(old->second.gpa);
    vm.slots.erase(old);
    return 0;
  }
  bool move = false;
  if (old != vm.slots.end()) {
    const Slot& o = old->second;
    if (mem.userspace_addr != o.uaddr || mem.memory_size != o.size || ((mem.flags ^ o.flags) & KVM_MEM_READONLY))
      return -EINVAL;
    if (mem.guest_phys_addr == o.gpa) {
      // KVM_MR_FLAGS_ONLY (dirty logging on or off) or nothing.
      if (mem.flags != o.flags) {
        old->second.flags = mem.flags;
        start_dirty_log(vm, old->second, o.dirty);
      }
      return 0;
    }
    move = true;
    if (id == vm.backing_slot && !vm.vm->vcpus().empty()) return -EBUSY;
  }
  // Slots never overlap, so ordered by address they are ordered by end too: of the other
  // slots that start below the new end, only the highest can reach past the new start.
  for (auto it = vm.by_gpa.lower_bound(mem.guest_phys_addr + mem.memory_size); it != vm.by_gpa.begin();) {
    --it;
    if (it->second == id) continue;
    const Slot& s = vm.slots.at(it->second);
    if (s.gpa + s.size > mem.guest_phys_addr) return -EEXIST;
    break;
  }
  // kvm_arch_prepare_memory_region(): inside the VM's IPA space.
  if (mem.guest_phys_addr + mem.memory_size > (uint64_t{1} << vm.ipa_bits)) return -EFAULT;
  Slot s{mem.flags, mem.guest_phys_addr, mem.memory_size, mem.userspace_addr};
  // A moved slot keeps its log (kvm_prepare_memory_region() reuses the old bitmap).
  start_dirty_log(vm, s, move ? old->second.dirty : nullptr);
  // The model's RAM: the first writable slot created before any vCPU exists. Other slots
  // (and read-only ones) are served at their exits, in the ABI layer.
  const bool backs = vm.vm->mem() == nullptr && !(mem.flags & KVM_MEM_READONLY) && vm.vm->vcpus().empty();
  if (backs || (move && id == vm.backing_slot)) {
    if (int rc = vm.vm->set_user_memory_region(0, s.gpa, s.size, reinterpret_cast<uint8_t*>(s.uaddr)); rc != 0)
      return rc;
    vm.backing_slot = id;
  }
  if (move) vm.by_gpa.erase(old->second.gpa);
  vm.by_gpa[s.gpa] = id;
  vm.slots[id] = s;
  return 0;
}

long State::create_vcpu(const std::shared_ptr<VmObj>& vm, unsigned long id) {
  if (id >= kMaxVcpus) return -EINVAL;
  for (const auto& v : vm->vcpus)
    if (v->id == id) return -EEXIST;
  // kvm_arch_vcpu_precreate(): not once the vGIC is initialised.
  if (vm->vm->vgic() != nullptr) return -EBUSY;
  if (vm->vm->mem() == nullptr) {
    // No RAM slot yet: the model's cores still need a memory. Give them one page of the
    // VM's own at the top of its IPA space, where no slot a VMM creates later is likely to
    // be shadowed by it; every other guest access is served through the slots.
    vm->stand_in_ram = std::make_unique<uint8_t[]>(kPageSize);  // value-initialised: zeros
    const uint64_t top = (uint64_t{1} << vm->ipa_bits) - kPageSize;
    if (int rc = vm->vm->set_user_memory_region(0, top, kPageSize, vm->stand_in_ram.get()); rc != 0) return rc;
  }
  const int fd = dup(vm->arena->fd);
  if (fd < 0) return -errno;
  Vcpu* v = nullptr;
  if (int rc = vm->vm->create_vcpu(static_cast<unsigned>(id), v); rc != 0) {
    sys_close(fd);
    return rc;
  }
  auto data = std::make_unique<VcpuData>();
  data->id = static_cast<unsigned>(id);
  data->v = v;
  data->index = static_cast<unsigned>(vm->vcpus.size());
  data->run = reinterpret_cast<kvm_run*>(vm->runs + data->index * kVcpuMmapSize);
  VcpuData* raw = data.get();
  vm->vcpus.push_back(std::move(data));
  return install(std::make_shared<File>(File{Kind::kVcpu, vm, raw}), fd);
}

long State::create_device(const std::shared_ptr<VmObj>& vm, unsigned long arg) {
  kvm_create_device cd;
  if (int rc = get(cd, arg); rc != 0) return rc;
  // kvm_ioctl_create_device(): the type must exist; KVM_CREATE_DEVICE_TEST only asks.
  if (cd.type != KVM_DEV_TYPE_ARM_VGIC_V3 && cd.type != KVM_DEV_TYPE_ARM_VGIC_ITS) return -ENODEV;
  if (cd.flags & KVM_CREATE_DEVICE_TEST) return 0;
  if (cd.type == KVM_DEV_TYPE_ARM_VGIC_ITS) {
    // vgic_its_create(): any number of ITSes, each with its own fd.
    const int fd = dup(vm->arena->fd);
    if (fd < 0) return -errno;
    cd.fd = static_cast<uint32_t>(fd);
    if (int rc = put(arg, cd); rc != 0) {
      sys_close(fd);
      return rc;
    }
    install(std::make_shared<File>(File{Kind::kDevice, vm, nullptr, std::make_shared<ItsDev>(ItsDev{vm->vm->create_its()})}), fd);
    return 0;
  }
  if (int rc = vm->vm->create_device(cd.type); rc != 0) return rc;
  const int fd = dup(vm->arena->fd);
  if (fd < 0) return -errno;
  cd.fd = static_cast<uint32_t>(fd);
  if (int rc = put(arg, cd); rc != 0) {
    sys_close(fd);
    return rc;  // the device stays created, as in Linux
  }
  install(std::make_shared<File>(File{Kind::kDevice, vm, nullptr}), fd);
  return 0;  // the fd is in the struct
}

long State::irq_line(VmObj& vm, unsigned long arg) {
  kvm_irq_level il;
  if (int rc = get(il, arg); rc != 0) return rc;
  const uint32_t irq = il.irq;
  const unsigned type = (irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
  const unsigned vcpu_idx = ((irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK) |
                            (((irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) << 8);
  const unsigned num = (irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
  auto vcpu_at = [&](unsigned idx) -> VcpuData* {
    return idx < vm.vcpus.size() ? vm.vcpus[idx].get() : nullptr;  // kvm_get_vcpu(): by index
  };
  const bool in_kernel = vm.vm->vgic_created();
  switch (type) {
    case KVM_ARM_IRQ_TYPE_CPU: {
      if (in_kernel) return -ENXIO;
      VcpuData* vc = vcpu_at(vcpu_idx);
      if (vc == nullptr) return -EINVAL;
      if (num > KVM_ARM_IRQ_CPU_FIQ) return -EINVAL;
      return vc->v->irq_line(num, il.level != 0);
    }
    case KVM_ARM_IRQ_TYPE_PPI: {
      if (!in_kernel) return -ENXIO;
      VcpuData* vc = vcpu_at(vcpu_idx);
      if (vc == nullptr) return -EINVAL;
      if (num < 16 || num >= 32) return -EINVAL;
      if (vm.vm->vgic() == nullptr) return -EBUSY;  // vgic_lazy_init(): a GICv3 is not lazy
      const auto lk = vm.vm->lock();
      vm.vm->vgic()->inject_irq(vc->id, num, il.level != 0);
      return 0;
    }
    case KVM_ARM_IRQ_TYPE_SPI: {
      if (!in_kernel) return -ENXIO;
      if (vm.vm->vgic() == nullptr) return -EBUSY;
      if (num < 32 || num >= vm.vm->vgic()->num_irqs()) return -EINVAL;
      const auto lk = vm.vm->lock();
      vm.vm->vgic()->inject_irq(0, num, il.level != 0);
      return 0;
    }
    default:
      return -EINVAL;
  }
}

// kvm_vm_ioctl_set_counter_offset(): a nonzero reserved word is -EINVAL; the offset is set
// only while every vCPU's mutex can be taken at once (lock_all_vcpus, which only tries
// them): a vCPU in KVM_RUN or any other vCPU ioctl makes it -EBUSY.
long State::set_counter_offset(VmObj& vm, const kvm_arm_counter_offset& off) {
  if (off.reserved != 0) return -EINVAL;
  const auto held = vm.lock_all_vcpus();
  if (!held) return -EBUSY;
  vm.vm->set_counter_offset(off.counter_offset);
  return 0;
}

long State::vm_ioctl(const std::shared_ptr<VmObj>& vmp, unsigned long req, unsigned long arg) {
  VmObj& vm = *vmp;
  std::lock_guard lk(vm.m);
  switch (req) {
    case KVM_CREATE_VCPU:
      return create_vcpu(vmp, arg);
    case KVM_CHECK_EXTENSION:
      return check_extension(&vm, static_cast<long>(arg));
    case KVM_ENABLE_CAP: {
      kvm_enable_cap cap;
      if (int rc = get(cap, arg); rc != 0) return rc;
      if (cap.flags) return -EINVAL;
      // kvm_vm_ioctl_enable_cap(): the arm64 capabilities a VMM can enable.
      if (cap.cap == KVM_CAP_ARM_NISV_TO_USER) {
        vm.nisv_to_user = true;
        return 0;
      }
      if (cap.cap == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) {
        // kvm_vm_ioctl_enable_cap_generic(): INITIALLY_SET only with PROTECT_ENABLE.
        const uint64_t caps = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
        const uint64_t allowed = (cap.args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) ? caps : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
        if (cap.args[0] & ~allowed) return -EINVAL;
        vm.manual_dirty_log = cap.args[0];
        return 0;
      }
      if (cap.cap == KVM_CAP_ARM_SYSTEM_SUSPEND) {
        // KVM_ARCH_FLAG_SYSTEM_SUSPEND_ENABLED: PSCI SYSTEM_SUSPEND exits to the VMM.
        vm.vm->smccc().system_suspend = true;
        return 0;
      }
      if (cap.cap == KVM_CAP_PMUEMU_SEMIHOSTING) {
        // pmuemu's extension (include/pmuemu/kvm.h): args[0] 1 on, 0 off.
        if (cap.args[0] > 1) return -EINVAL;
        vm.vm->set_semihosting(cap.args[0] == 1);
        return 0;
      }
      return -EINVAL;
    }
    case KVM_HAS_DEVICE_ATTR:
    case KVM_SET_DEVICE_ATTR: {
      // kvm_vm_has_attr() / kvm_vm_set_attr(): the SMCCC filter is the arm64 VM attribute.
      kvm_device_attr at;
      if (int rc = get(at, arg); rc != 0) return rc;
      if (at.group != KVM_ARM_VM_SMCCC_CTRL || at.attr != KVM_ARM_VM_SMCCC_FILTER) return -ENXIO;
      if (req == KVM_HAS_DEVICE_ATTR) return 0;
      kvm_smccc_filter f;
      if (int rc = get(f, at.addr); rc != 0) return rc;
      for (uint8_t b : f.pad)
        if (b != 0) return -EINVAL;
      return vm.vm->set_smccc_filter(f.base, f.nr_functions, f.action);
    }
    case KVM_SET_USER_MEMORY_REGION:
    case KVM_SET_USER_MEMORY_REGION2: {
      kvm_userspace_memory_region2 mem{};
      if (req == KVM_SET_USER_MEMORY_REGION2) {
        if (!uapi_6_8(opts)) return -ENOTTY;
        if (int rc = get(mem, arg); rc != 0) return rc;
      } else {
        if (int rc = copy_in(&mem, arg, sizeof(kvm_userspace_memory_region)); rc != 0) return rc;
        if (mem.flags & ~kMemFlagsV1) return -EINVAL;
      }
      return set_memory_region(vm, mem);
    }
    case KVM_GET_DIRTY_LOG:
      return get_dirty_log(vm, arg);
    case KVM_CLEAR_DIRTY_LOG:
      return clear_dirty_log(vm, arg);
    case KVM_CREATE_DEVICE:
      return create_device(vmp, arg);
    case KVM_IRQ_LINE:
      return irq_line(vm, arg);
    case KVM_IOEVENTFD:
      return ioeventfd(vm, arg);
    case KVM_IRQFD:
      return irqfd(vm, arg);
    case KVM_SET_GSI_ROUTING:
      return set_gsi_routing(vm, arg);
    case KVM_GET_STATS_FD:
      return vm_stats_fd(vm);
    case KVM_REGISTER_COALESCED_MMIO:
    case KVM_UNREGISTER_COALESCED_MMIO:
      return coalesced_mmio(vm, req == KVM_REGISTER_COALESCED_MMIO, arg);
    case KVM_SIGNAL_MSI: {
      kvm_msi msi;
      if (int rc = get(msi, arg); rc != 0) return rc;
      return vm.vm->signal_msi((uint64_t{msi.address_hi} << 32) | msi.address_lo, msi.data, msi.devid, msi.flags);
    }
    case KVM_ARM_SET_COUNTER_OFFSET: {
      kvm_arm_counter_offset off;
      if (int rc = get(off, arg); rc != 0) return rc;
      return set_counter_offset(vm, off);
    }
    case KVM_ARM_PREFERRED_TARGET: {
      kvm_vcpu_init init{};
      init.target = KVM_ARM_TARGET_GENERIC_V8;
      return put(arg, init);
    }
    case KVM_ARM_GET_REG_WRITABLE_MASKS: {
      if (!uapi_6_8(opts)) return -EINVAL;  // kvm_arch_vm_ioctl() default
      reg_mask_range range;
      if (int rc = get(range, arg); rc != 0) return rc;
      if (range.range != KVM_ARM_FEATURE_ID_RANGE) return -EINVAL;
      for (uint32_t r : range.reserved)
        if (r != 0) return -EINVAL;
      std::vector<uint64_t> masks(KVM_ARM_FEATURE_ID_RANGE_SIZE, 0);
      writable_id_masks(vm.vm->era(), masks);
      return copy_out(range.addr, masks.data(), masks.size() * sizeof(uint64_t));
    }
    default:
      return -EINVAL;  // kvm_arch_vm_ioctl()
  }
}

// The dirty log of the memslot the dirty-log ioctls name (address space in bits 31:16, which
// must be 0 on arm64): -EINVAL for a bad id, -ENOENT for a slot that does not log.
static long logged_slot(VmObj& vm, uint32_t slot, cpu::DirtyBitmap*& out) {
  const uint32_t as_id = slot >> 16;
  const uint16_t id = static_cast<uint16_t>(slot);
  if (as_id >= 1 || id >= kUserMemSlots) return -EINVAL;
  const auto it = vm.slots.find(id);
  if (it == vm.slots.end() || it->second.dirty == nullptr) return -ENOENT;
  out = it->second.dirty.get();
  return 0;
}

// kvm_get_dirty_log_protect(): the slot's bitmap, rounded up to 64-bit words. Without
// manual protection the bits are taken (cleared) and their pages protected again, so the
// next write to them logs anew; with it, the log is only read and KVM_CLEAR_DIRTY_LOG does
// that. A bad destination gives -EFAULT and puts the taken bits back, so no bit is lost
// (Linux would lose them).
long State::get_dirty_log(VmObj& vm, unsigned long arg) {
  kvm_dirty_log log;
  if (int rc = get(log, arg); rc != 0) return rc;
  cpu::DirtyBitmap* slot_log = nullptr;
  if (long rc = logged_slot(vm, log.slot, slot_log); rc != 0) return rc;
  cpu::DirtyBitmap& bm = *slot_log;
  const uint16_t id = static_cast<uint16_t>(log.slot);
  const unsigned long dst = reinterpret_cast<unsigned long>(log.dirty_bitmap);
  std::vector<uint64_t> words(bm.word_count());
  const size_t bytes = words.size() * sizeof(uint64_t);
  const bool ram = static_cast<int>(id) == vm.backing_slot && vm.vm->mem() != nullptr;
  for (uint64_t w = 0; w < words.size(); ++w) {
    if (vm.manual_dirty_log & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
      words[w] = bm.word(w).load(std::memory_order_relaxed);
      continue;
    }
    words[w] = bm.word(w).exchange(0, std::memory_order_relaxed);
    if (ram && words[w] != 0) vm.vm->mem()->protect_for_log(w, words[w]);
  }
  if (int rc = copy_out(dst, words.data(), bytes); rc != 0) {
    if (!(vm.manual_dirty_log & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
      for (uint64_t w = 0; w < words.size(); ++w) bm.word(w).fetch_or(words[w], std::memory_order_relaxed);
    return rc;
  }
  return 0;
}

// kvm_clear_dirty_log_protect(): clears the bits the caller's bitmap sets in
// [first_page, first_page + num_pages) and protects those pages again. first_page must be
// a multiple of 64, and num_pages too unless the range ends at the end of the slot.
long State::clear_dirty_log(VmObj& vm, unsigned long arg) {
  kvm_clear_dirty_log log;
  if (int rc = get(log, arg); rc != 0) return rc;
  // Both -EINVAL, so checking first_page before the slot id gives the same answers.
  if (log.first_page & 63) return -EINVAL;
  cpu::DirtyBitmap* slot_log = nullptr;
  if (long rc = logged_slot(vm, log.slot, slot_log); rc != 0) return rc;
  cpu::DirtyBitmap& bm = *slot_log;
  const uint16_t id = static_cast<uint16_t>(log.slot);
  const uint64_t npages = bm.pages();
  if (log.first_page > npages || log.num_pages > npages - log.first_page ||
      (log.num_pages < npages - log.first_page && (log.num_pages & 63)))
    return -EINVAL;
  std::vector<uint64_t> mask((uint64_t{log.num_pages} + 63) / 64);
  if (copy_in(mask.data(), reinterpret_cast<unsigned long>(log.dirty_bitmap), mask.size() * sizeof(uint64_t)) != 0)
    return -EFAULT;
  const bool ram = static_cast<int>(id) == vm.backing_slot && vm.vm->mem() != nullptr;
  for (uint64_t k = 0; k < mask.size(); ++k) {
    if (mask[k] == 0) continue;
    const uint64_t w = log.first_page / 64 + k;
    // Bits beyond the slot's last page (a final partial word) name no page.
    const uint64_t cleared = mask[k] & bm.word(w).fetch_and(~mask[k], std::memory_order_relaxed) & bm.full_word(w);
    if (ram && cleared != 0) vm.vm->mem()->protect_for_log(w, cleared);
  }
  return 0;
}

}  // namespace kvm_model::abi
