#include "kvm_model/kvm.h"
// After the model's headers (see abi.cpp).
#include "kvm_model/abi/abi.h"
#include "kvm_model/abi/regs.h"

#include "kvm_model/id_writable.h"
#include "pmuemu/kvm.h"

#include <algorithm>
#include <cstddef>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cpu/sysreg/sysregs.h"
#include "kvm_model/vpmu/sys_regs.h"

namespace kvm_model::abi {
namespace {

constexpr uint64_t kCoreBase = KVM_REG_ARM64 | KVM_REG_ARM_CORE;
// struct kvm_regs in 32-bit units (the UAPI's own layout: fp_regs is 16-byte aligned).
constexpr unsigned kOffSpsr = offsetof(kvm_regs, spsr) / 4;
constexpr unsigned kOffVregs = offsetof(kvm_regs, fp_regs.vregs) / 4;
constexpr unsigned kOffFpsr = offsetof(kvm_regs, fp_regs.fpsr) / 4, kOffFpcr = offsetof(kvm_regs, fp_regs.fpcr) / 4;
static_assert(kOffSpsr == 72 && kOffVregs == 84 && kOffFpsr == 212 && kOffFpcr == 213);

bool is_core(uint64_t id) { return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_CORE; }
unsigned core_off(uint64_t id) { return static_cast<unsigned>(id & 0xffff); }

// KVM's firmware pseudo-registers (arch/arm64/kvm/hypercalls.c) in kvm_arm_copy_fw_reg_indices order.
constexpr std::array<uint64_t, 7> kFwRegs = {
    KVM_REG_ARM_PSCI_VERSION,  KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
    KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, KVM_REG_ARM_STD_BMAP, KVM_REG_ARM_STD_HYP_BMAP,
    KVM_REG_ARM_VENDOR_HYP_BMAP,
};
// The emulated cores need none of the Spectre mitigations the workaround registers describe.
constexpr uint64_t kWa1 = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED;
constexpr uint64_t kWa2 = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED;
constexpr uint64_t kWa3 = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED;
constexpr uint64_t kStdFeatures = 1, kStdHypFeatures = 1, kVendorHypFeatures = 3;
constexpr uint64_t kPsci01 = 0, kPsci02 = 2, kPsci10 = 0x10000, kPsci11 = 0x10001;

// Linux's KVM_GET_REG_LIST timer block, in its order.
constexpr std::array<uint64_t, 6> kTimerRegs = {
    KVM_REG_ARM_TIMER_CTL, KVM_REG_ARM_TIMER_CNT, KVM_REG_ARM_TIMER_CVAL,
    KVM_REG_ARM_PTIMER_CTL, KVM_REG_ARM_PTIMER_CNT, KVM_REG_ARM_PTIMER_CVAL,
};

bool wants_psci02(const Vcpu& v) { return (v.features() >> KVM_ARM_VCPU_PSCI_0_2) & 1; }

int get_fw(RegCtx& c, uint64_t id, uint64_t& val) {
  switch (id) {
    case KVM_REG_ARM_PSCI_VERSION:
      // kvm_psci_version(): the VM's version for a vCPU with the PSCI 0.2 feature.
      val = wants_psci02(c.v) ? c.fw.psci_version : kPsci01;
      return 0;
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1: val = kWa1; return 0;
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2: val = kWa2; return 0;
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3: val = kWa3; return 0;
    case KVM_REG_ARM_STD_BMAP: val = c.fw.std_bmap; return 0;
    case KVM_REG_ARM_STD_HYP_BMAP: val = c.fw.std_hyp_bmap; return 0;
    case KVM_REG_ARM_VENDOR_HYP_BMAP: val = c.fw.vendor_hyp_bmap; return 0;
    default: return -ENOENT;
  }
}

int set_fw(RegCtx& c, uint64_t id, uint64_t val) {
  switch (id) {
    case KVM_REG_ARM_PSCI_VERSION:
      // kvm_arm_set_fw_reg(): 0.1 only without the PSCI 0.2 feature, 0.2/1.0/1.1 only with it.
      if (val == kPsci01) return wants_psci02(c.v) ? -EINVAL : (c.fw.psci_version = static_cast<uint32_t>(val), 0);
      if (val == kPsci02 || val == kPsci10 || val == kPsci11) {
        if (!wants_psci02(c.v)) return -EINVAL;
        c.fw.psci_version = static_cast<uint32_t>(val);
        return 0;
      }
      return -EINVAL;
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3: {
      // A level no higher than the host's (NOT_REQUIRED is the highest: anything valid).
      if (val & ~uint64_t{3}) return -EINVAL;
      const uint64_t host = id == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1 ? kWa1 : kWa3;
      return val <= host ? 0 : -EINVAL;
    }
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
      if (val & ~uint64_t{KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED | 3}) return -EINVAL;
      return (val & 3) <= kWa2 ? 0 : -EINVAL;
    case KVM_REG_ARM_STD_BMAP:
    case KVM_REG_ARM_STD_HYP_BMAP:
    case KVM_REG_ARM_VENDOR_HYP_BMAP: {
      // kvm_arm_set_fw_reg_bmap(): known bits only; fixed once the VM has run.
      uint64_t& bmap = id == KVM_REG_ARM_STD_BMAP       ? c.fw.std_bmap
                       : id == KVM_REG_ARM_STD_HYP_BMAP ? c.fw.std_hyp_bmap
                                                        : c.fw.vendor_hyp_bmap;
      const uint64_t valid = id == KVM_REG_ARM_STD_BMAP       ? kStdFeatures
                             : id == KVM_REG_ARM_STD_HYP_BMAP ? kStdHypFeatures
                                                              : kVendorHypFeatures;
      if (val & ~valid) return -EINVAL;
      if (val != bmap && c.vm_has_run) return -EBUSY;
      bmap = val;
      return 0;
    }
    default:
      return -ENOENT;
  }
}

bool is_demux(uint64_t id) { return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_DEMUX; }

// kvm_arm_copy_sys_reg_indices(): the invariant registers come first, unsorted.
constexpr std::array<uint64_t, 3> kInvariantRegs = {
    ARM64_SYS_REG(3, 0, 0, 0, 0),  // MIDR_EL1
    ARM64_SYS_REG(3, 0, 0, 0, 6),  // REVIDR_EL1
    ARM64_SYS_REG(3, 1, 0, 0, 7),  // AIDR_EL1
};

bool is_fw(uint64_t id) {
  const uint64_t cop = id & KVM_REG_ARM_COPROC_MASK;
  return cop == KVM_REG_ARM_FW || cop == KVM_REG_ARM_FW_FEAT_BMAP;
}

uint64_t load(const uint8_t* b, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, b, std::min<size_t>(n, 8));
  return v;
}
void store(uint8_t* b, size_t n, uint64_t v) { std::memcpy(b, &v, std::min<size_t>(n, 8)); }

}  // namespace

int get_reg(RegCtx c, uint64_t id, uint8_t* buf, size_t size) {
  // Core registers of every size (x0-x30 ... the AArch32 SPSRs, V0-V31, FPSR, FPCR): the
  // model checks the id's size against struct kvm_regs (validate_core_offset).
  if (is_core(id)) return c.v.get_one_reg_raw(id, buf);
  if (is_fw(id)) {
    if (size != 8) return -ENOENT;
    uint64_t v;
    if (int rc = get_fw(c, id, v); rc != 0) return rc;
    store(buf, size, v);
    return 0;
  }
  // The CCSIDR demux ids are U32 (demux_c15_get); system and timer registers are 64-bit
  // (kvm_sys_reg_get_user).
  if (is_demux(id)) return size == 4 ? c.v.get_one_reg_raw(id, buf) : -ENOENT;
  if (size != 8) return -ENOENT;
  return c.v.get_one_reg_raw(id, buf);
}

int set_reg(RegCtx c, uint64_t id, const uint8_t* buf, size_t size) {
  if (is_core(id)) return c.v.set_one_reg_raw(id, buf);
  if (is_fw(id)) {
    if (size != 8) return -ENOENT;
    return set_fw(c, id, load(buf, size));
  }
  if (is_demux(id)) return size == 4 ? c.v.set_one_reg_raw(id, buf) : -ENOENT;
  if (size != 8) return -ENOENT;
  return c.v.set_one_reg_raw(id, buf);
}

int list_regs(RegCtx c, std::vector<uint64_t>& ids) {
  std::vector<uint64_t> model;
  if (int rc = c.v.get_reg_list(model); rc != 0) return rc;
  ids.clear();
  std::vector<uint64_t> core, sys;
  for (uint64_t id : model) (is_core(id) ? core : sys).push_back(id);
  // The banked AArch32 SPSRs are core registers KVM always lists.
  for (unsigned i = 1; i < 5; ++i) {
    const uint64_t id = kCoreBase | KVM_REG_SIZE_U64 | (kOffSpsr + 2 * i);
    if (std::find(core.begin(), core.end(), id) == core.end()) core.push_back(id);
  }
  std::sort(core.begin(), core.end(), [](uint64_t a, uint64_t b) { return core_off(a) < core_off(b); });
  ids.insert(ids.end(), core.begin(), core.end());
  ids.insert(ids.end(), kFwRegs.begin(), kFwRegs.end());
  // The timer block, the invariant registers, every other system register in ascending
  // order (the sorted sys_reg_descs walk), then the CCSIDR demux ids.
  auto has = [&sys](uint64_t id) { return std::find(sys.begin(), sys.end(), id) != sys.end(); };
  for (uint64_t t : kTimerRegs)
    if (has(t)) ids.push_back(t);
  for (uint64_t r : kInvariantRegs)
    if (has(r)) ids.push_back(r);
  std::vector<uint64_t> rest, demux;
  for (uint64_t id : sys) {
    if (std::find(kTimerRegs.begin(), kTimerRegs.end(), id) != kTimerRegs.end() ||
        std::find(kInvariantRegs.begin(), kInvariantRegs.end(), id) != kInvariantRegs.end())
      continue;
    (is_demux(id) ? demux : rest).push_back(id);
  }
  std::sort(rest.begin(), rest.end());
  std::sort(demux.begin(), demux.end());
  ids.insert(ids.end(), rest.begin(), rest.end());
  ids.insert(ids.end(), demux.begin(), demux.end());
  return 0;
}

void writable_id_masks(vpmu::Era era, std::vector<uint64_t>& masks) { id_writable::writable_masks(era, masks); }

size_t attr_payload_size(uint32_t group, uint64_t attr) {
  switch (group) {
    case KVM_ARM_VCPU_PMU_V3_CTRL:
      switch (attr) {
        case KVM_ARM_VCPU_PMU_V3_IRQ: return sizeof(int);
        case KVM_ARM_VCPU_PMU_V3_FILTER: return sizeof(kvm_pmu_event_filter);
        case KVM_ARM_VCPU_PMU_V3_SET_PMU: return sizeof(int);
        case KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS: return sizeof(unsigned);
        default: return 0;
      }
    case KVM_ARM_VCPU_TIMER_CTRL: return sizeof(int);
    case KVM_ARM_VCPU_PVTIME_CTRL: return sizeof(uint64_t);
    default: return 0;
  }
}

// ---------------- names ----------------
namespace {
struct IoctlName {
  unsigned long req;
  const char* name;
};
constexpr IoctlName kIoctls[] = {
    {KVM_GET_API_VERSION, "KVM_GET_API_VERSION"},
    {KVM_CREATE_VM, "KVM_CREATE_VM"},
    {KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION"},
    {KVM_GET_VCPU_MMAP_SIZE, "KVM_GET_VCPU_MMAP_SIZE"},
    {KVM_CREATE_VCPU, "KVM_CREATE_VCPU"},
    {KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION"},
    {KVM_SET_USER_MEMORY_REGION2, "KVM_SET_USER_MEMORY_REGION2"},
    {KVM_ENABLE_CAP, "KVM_ENABLE_CAP"},
    {KVM_GET_DIRTY_LOG, "KVM_GET_DIRTY_LOG"},
    {KVM_CLEAR_DIRTY_LOG, "KVM_CLEAR_DIRTY_LOG"},
    {KVM_SET_SIGNAL_MASK, "KVM_SET_SIGNAL_MASK"},
    {KVM_IRQ_LINE, "KVM_IRQ_LINE"},
    {KVM_IOEVENTFD, "KVM_IOEVENTFD"},
    {KVM_IRQFD, "KVM_IRQFD"},
    {KVM_SET_GSI_ROUTING, "KVM_SET_GSI_ROUTING"},
    {KVM_GET_STATS_FD, "KVM_GET_STATS_FD"},
    {KVM_REGISTER_COALESCED_MMIO, "KVM_REGISTER_COALESCED_MMIO"},
    {KVM_UNREGISTER_COALESCED_MMIO, "KVM_UNREGISTER_COALESCED_MMIO"},
    {KVM_SIGNAL_MSI, "KVM_SIGNAL_MSI"},
    {KVM_CREATE_DEVICE, "KVM_CREATE_DEVICE"},
    {KVM_ARM_PREFERRED_TARGET, "KVM_ARM_PREFERRED_TARGET"},
    {KVM_ARM_GET_REG_WRITABLE_MASKS, "KVM_ARM_GET_REG_WRITABLE_MASKS"},
    {KVM_ARM_SET_COUNTER_OFFSET, "KVM_ARM_SET_COUNTER_OFFSET"},
    {KVM_RUN, "KVM_RUN"},
    {KVM_GET_MP_STATE, "KVM_GET_MP_STATE"},
    {KVM_SET_MP_STATE, "KVM_SET_MP_STATE"},
    {KVM_ARM_VCPU_INIT, "KVM_ARM_VCPU_INIT"},
    {KVM_ARM_VCPU_FINALIZE, "KVM_ARM_VCPU_FINALIZE"},
    {KVM_GET_ONE_REG, "KVM_GET_ONE_REG"},
    {KVM_SET_ONE_REG, "KVM_SET_ONE_REG"},
    {KVM_GET_REG_LIST, "KVM_GET_REG_LIST"},
    {KVM_SET_DEVICE_ATTR, "KVM_SET_DEVICE_ATTR"},
    {KVM_GET_DEVICE_ATTR, "KVM_GET_DEVICE_ATTR"},
    {KVM_HAS_DEVICE_ATTR, "KVM_HAS_DEVICE_ATTR"},
};

struct ErrnoName {
  int err;
  const char* name;
};
constexpr ErrnoName kErrnos[] = {
    {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {EINTR, "EINTR"}, {EIO, "EIO"}, {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
    {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"}, {ENODEV, "ENODEV"}, {EINVAL, "EINVAL"},
    {ENOSPC, "ENOSPC"}, {ENOTTY, "ENOTTY"}, {ENOSYS, "ENOSYS"}, {EOPNOTSUPP, "EOPNOTSUPP"},
    {512, "ERESTARTSYS"},  // kRunWaitHostPage: the thread waits for a page, then KVM_RUN again
};

const char* exit_name(uint32_t r) {
  switch (r) {
    case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
    case KVM_EXIT_HYPERCALL: return "KVM_EXIT_HYPERCALL";
    case KVM_EXIT_DEBUG: return "KVM_EXIT_DEBUG";
    case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
    case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
    case KVM_EXIT_INTR: return "KVM_EXIT_INTR";
    case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
    case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
    case KVM_EXIT_ARM_NISV: return "KVM_EXIT_ARM_NISV";
    default: return "KVM_EXIT_?";
  }
}

std::string hex(uint64_t v);

// Device-attribute names: the vCPU's groups (kind 2) and the vGICv3's (kind 3).
std::string attr_name(int kind, uint32_t group, uint64_t attr) {
  static constexpr const char* kVcpuGroups[] = {"PMU_V3_CTRL", "TIMER_CTRL", "PVTIME_CTRL"};
  static constexpr const char* kPmuAttrs[] = {"PMU_V3_IRQ", "PMU_V3_INIT", "PMU_V3_FILTER", "PMU_V3_SET_PMU",
                                              "PMU_V3_SET_NR_COUNTERS"};
  static constexpr const char* kTimerAttrs[] = {"IRQ_VTIMER", "IRQ_PTIMER", "IRQ_HVTIMER", "IRQ_HPTIMER"};
  static constexpr const char* kGicGroups[] = {"GRP_ADDR", "GRP_DIST_REGS", "GRP_CPU_REGS", "GRP_NR_IRQS",
                                               "GRP_CTRL", "GRP_REDIST_REGS", "GRP_CPU_SYSREGS", "GRP_LEVEL_INFO"};
  static constexpr const char* kGicAddrs[] = {"V2_DIST", "V2_CPU", "DIST", "REDIST", "ITS", "REDIST_REGION"};
  static constexpr const char* kGicCtrl[] = {"INIT", "ITS_SAVE_TABLES", "ITS_RESTORE_TABLES", "SAVE_PENDING_TABLES"};
  auto pick = [](const auto& names, uint64_t i) {
    return i < std::size(names) ? std::string(names[i]) : std::to_string(i);
  };
  if (kind == 2) {
    const std::string g = pick(kVcpuGroups, group);
    if (group == 0) return g + ", " + pick(kPmuAttrs, attr);
    if (group == 1) return g + ", " + pick(kTimerAttrs, attr);
    if (group == 2 && attr == 0) return g + ", PVTIME_IPA";
    return g + ", " + std::to_string(attr);
  }
  if (kind == 3) {
    const std::string g = pick(kGicGroups, group);
    if (group == 0) return g + ", " + pick(kGicAddrs, attr);
    if (group == 4) return g + ", " + pick(kGicCtrl, attr);
    return g + ", " + hex(attr);
  }
  return std::to_string(group) + ", " + std::to_string(attr);
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#" PRIx64, v);
  return b;
}

// Reads the caller's struct for the trace only when the pointer is plausible; a trace never
// faults where the call itself returned -EFAULT.
template <typename T>
bool peek(unsigned long arg, long rc, T& out) {
  if (arg < 4096 || rc == -EFAULT) return false;
  std::memcpy(&out, reinterpret_cast<const void*>(arg), sizeof(T));
  return true;
}
}  // namespace

const char* ioctl_name(unsigned long request) {
  for (const auto& i : kIoctls)
    if (i.req == request) return i.name;
  return nullptr;
}

const char* errno_name(int err) {
  for (const auto& e : kErrnos)
    if (e.err == err) return e.name;
  return "E?";
}

std::string reg_name(uint64_t id) {
  char b[48];
  if (is_core(id)) {
    const unsigned off = core_off(id);
    if (off < 62 && off % 2 == 0) return "X" + std::to_string(off / 2);
    static constexpr const char* kNames[] = {"SP", "PC", "PSTATE", "SP_EL1", "ELR_EL1", "SPSR_EL1",
                                             "SPSR_ABT", "SPSR_UND", "SPSR_IRQ", "SPSR_FIQ"};
    if (off >= 62 && off < kOffSpsr + 10 && off % 2 == 0) return kNames[(off - 62) / 2];
    if (off >= kOffVregs && off < kOffFpsr && (off - kOffVregs) % 4 == 0) return "V" + std::to_string((off - kOffVregs) / 4);
    if (off == kOffFpsr) return "FPSR";
    if (off == kOffFpcr) return "FPCR";
    std::snprintf(b, sizeof b, "CORE+%u", off);
    return b;
  }
  switch (id) {
    case KVM_REG_ARM_PSCI_VERSION: return "PSCI_VERSION";
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1: return "SMCCC_ARCH_WORKAROUND_1";
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2: return "SMCCC_ARCH_WORKAROUND_2";
    case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3: return "SMCCC_ARCH_WORKAROUND_3";
    case KVM_REG_ARM_STD_BMAP: return "STD_BMAP";
    case KVM_REG_ARM_STD_HYP_BMAP: return "STD_HYP_BMAP";
    case KVM_REG_ARM_VENDOR_HYP_BMAP: return "VENDOR_HYP_BMAP";
    // KVM's timer ids: CNT and CVAL of the virtual timer have each other's encodings.
    case KVM_REG_ARM_TIMER_CTL: return "CNTV_CTL_EL0";
    case KVM_REG_ARM_TIMER_CNT: return "CNTVCT_EL0";
    case KVM_REG_ARM_TIMER_CVAL: return "CNTV_CVAL_EL0";
    case KVM_REG_ARM_PTIMER_CTL: return "CNTP_CTL_EL0";
    case KVM_REG_ARM_PTIMER_CNT: return "CNTPCT_EL0";
    case KVM_REG_ARM_PTIMER_CVAL: return "CNTP_CVAL_EL0";
    default: break;
  }
  if ((id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SYSREG) {
    if (const auto key = arch::SysRegKey::from_one_reg_id(id)) {
      if (const auto* d = vpmu::find_pmu_sys_reg(*key)) return std::string(d->name);
      if (const int idx = cpu::sysreg::find(*key); idx >= 0) return std::string(cpu::sysreg::at(idx).name);
      std::snprintf(b, sizeof b, "S%u_%u_C%u_C%u_%u", key->op0, key->op1, key->crn, key->crm, key->op2);
      return b;
    }
  }
  return hex(id);
}

std::string format_call(int fd, int kind, unsigned vcpu_id, unsigned long req, unsigned long arg, long rc,
                        const kvm_run* run) {
  const char* name = ioctl_name(req);
  std::string who = kind == 2 ? "vcpu" + std::to_string(vcpu_id) : std::to_string(fd);
  std::string a;
  switch (req) {
    case KVM_GET_ONE_REG:
    case KVM_SET_ONE_REG: {
      kvm_one_reg r;
      if (!peek(arg, rc, r)) break;
      a = reg_name(r.id);
      const size_t size = size_t{1} << ((r.id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
      if ((req == KVM_SET_ONE_REG || rc == 0) && size <= 8 && r.addr >= 4096) {
        uint64_t v = 0;
        std::memcpy(&v, reinterpret_cast<const void*>(r.addr), size);
        a += ", " + hex(v);
      }
      break;
    }
    case KVM_CHECK_EXTENSION:
    case KVM_CREATE_VCPU:
    case KVM_CREATE_VM:
      a = std::to_string(arg);
      break;
    case KVM_ARM_VCPU_INIT: {
      kvm_vcpu_init i;
      if (peek(arg, rc, i)) a = "target " + std::to_string(i.target) + ", features " + hex(i.features[0]);
      break;
    }
    case KVM_SET_DEVICE_ATTR:
    case KVM_GET_DEVICE_ATTR:
    case KVM_HAS_DEVICE_ATTR: {
      kvm_device_attr at;
      if (!peek(arg, rc, at)) break;
      a = attr_name(kind, at.group, at.attr);
      if (req != KVM_HAS_DEVICE_ATTR && at.addr >= 4096 && (req == KVM_SET_DEVICE_ATTR || rc == 0)) {
        // The payload: an address (u64) for the vGIC's GRP_ADDR and PVTIME, else an int.
        const bool wide = (kind == 3 && at.group == 0) || (kind == 2 && at.group == 2);
        uint64_t v = 0;
        std::memcpy(&v, reinterpret_cast<const void*>(at.addr), wide ? 8 : 4);
        a += ", " + (wide ? hex(v) : std::to_string(static_cast<int32_t>(v)));
      }
      break;
    }
    case KVM_SET_USER_MEMORY_REGION: {
      kvm_userspace_memory_region m;
      if (peek(arg, rc, m))
        a = "slot " + std::to_string(m.slot) + ", flags " + hex(m.flags) + ", gpa " + hex(m.guest_phys_addr) +
            ", size " + hex(m.memory_size);
      break;
    }
    case KVM_CREATE_DEVICE: {
      kvm_create_device cd;
      if (!peek(arg, rc, cd)) break;
      a = cd.type == KVM_DEV_TYPE_ARM_VGIC_V3 ? "VGIC_V3" : std::to_string(cd.type);
      if (cd.flags & KVM_CREATE_DEVICE_TEST) a += ", TEST";
      else if (rc == 0) a += ", fd " + std::to_string(cd.fd);
      break;
    }
    case KVM_IOEVENTFD: {
      kvm_ioeventfd e;
      if (peek(arg, rc, e))
        a = "addr " + hex(e.addr) + ", len " + std::to_string(e.len) + ", fd " + std::to_string(e.fd) + ", flags " +
            hex(e.flags) + ((e.flags & KVM_IOEVENTFD_FLAG_DATAMATCH) ? ", datamatch " + hex(e.datamatch) : "");
      break;
    }
    case KVM_IRQFD: {
      kvm_irqfd f;
      if (peek(arg, rc, f))
        a = "fd " + std::to_string(f.fd) + ", gsi " + std::to_string(f.gsi) + ", flags " + hex(f.flags);
      break;
    }
    case KVM_SET_MP_STATE:
    case KVM_GET_MP_STATE: {
      kvm_mp_state s;
      if (peek(arg, rc, s) && (req == KVM_SET_MP_STATE || rc == 0)) a = std::to_string(s.mp_state);
      break;
    }
    default:
      break;
  }
  std::string line = name != nullptr ? name : hex(req);
  line = "ioctl(" + who + ", " + line + (a.empty() ? "" : "(" + a + ")") + ") = ";
  line += rc < 0 ? "-1 " + std::string(errno_name(static_cast<int>(-rc))) : std::to_string(rc);
  if (req == KVM_RUN && run != nullptr && (rc == 0 || rc == -EINTR)) {
    line += std::string(" [") + exit_name(run->exit_reason);
    if (run->exit_reason == KVM_EXIT_MMIO)
      line += std::string(run->mmio.is_write ? " write " : " read ") + hex(run->mmio.phys_addr) + " len " +
              std::to_string(run->mmio.len);
    if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT) line += " type " + std::to_string(run->system_event.type);
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
      // The suberror and its data words (for the model's exception loop: ESR, ELR, FAR of
      // the first fault), which name the guest's problem.
      line += " suberror " + std::to_string(run->internal.suberror);
      for (uint32_t i = 0; i < run->internal.ndata && i < 16; ++i) line += " " + hex(run->internal.data[i]);
    }
    line += "]";
  }
  return line;
}

}  // namespace kvm_model::abi
