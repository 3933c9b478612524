// KVM_GET_STATS_FD (virt/kvm/binary_stats.c's file format): a read-only file per VM and per
// vCPU with a header, the id string ("kvm-<pid>", "kvm-<pid>/vcpu-<id>"), one descriptor per
// statistic (type, unit, base, exponent, count of u64 items, offset in the data block,
// name) and the data block, laid out as arm64 Linux 6.12 lays out struct kvm_vm_stat and
// struct kvm_vcpu_stat, so a VMM that reads the descriptors (QEMU's query-stats, Linux's
// kvm_binary_stats_test) finds every statistic Linux has.
//
// The file is a memfd the model keeps mapped; each KVM_GET_STATS_FD opens it anew (its own
// offset, read-only), so pread() and read() work on it without the model, and it stays
// readable after the VM is gone, as a stats fd keeps its VM. The model writes the data
// block after every call on the vCPU's fd (the counters change only in those calls).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "kvm_model/abi/state.h"

namespace kvm_model::abi {
namespace {

constexpr uint32_t kNameSize = 48;  // KVM_STATS_NAME_SIZE
constexpr uint32_t kHistBuckets = 32;  // HALT_POLL_HIST_COUNT

struct Desc {
  const char* name;
  uint32_t flags;
  int16_t exponent;
  uint16_t size;  // u64 items
};

constexpr uint32_t kCounter = KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10;
constexpr uint32_t kTimeNs = KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10;
constexpr uint32_t kLogHistNs = KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10;
constexpr uint32_t kInstantBool = KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN | KVM_STATS_BASE_POW10;

// KVM_GENERIC_VM_STATS(): arm64 has no VM statistics of its own.
constexpr Desc kVmDescs[] = {
    {"remote_tlb_flush", kCounter, 0, 1},
    {"remote_tlb_flush_requests", kCounter, 0, 1},
};
// KVM_GENERIC_VCPU_STATS() then arm64's kvm_vcpu_stats_desc[], in struct kvm_vcpu_stat's order.
constexpr Desc kVcpuDescs[] = {
    {"halt_successful_poll", kCounter, 0, 1},
    {"halt_attempted_poll", kCounter, 0, 1},
    {"halt_poll_invalid", kCounter, 0, 1},
    {"halt_wakeup", kCounter, 0, 1},
    {"halt_poll_success_ns", kTimeNs, -9, 1},
    {"halt_poll_fail_ns", kTimeNs, -9, 1},
    {"halt_wait_ns", kTimeNs, -9, 1},
    {"halt_poll_success_hist", kLogHistNs, -9, kHistBuckets},
    {"halt_poll_fail_hist", kLogHistNs, -9, kHistBuckets},
    {"halt_wait_hist", kLogHistNs, -9, kHistBuckets},
    {"blocking", kInstantBool, 0, 1},
    {"hvc_exit_stat", kCounter, 0, 1},
    {"wfe_exit_stat", kCounter, 0, 1},
    {"wfi_exit_stat", kCounter, 0, 1},
    {"mmio_exit_user", kCounter, 0, 1},
    {"mmio_exit_kernel", kCounter, 0, 1},
    {"signal_exits", kCounter, 0, 1},
    {"exits", kCounter, 0, 1},
};

template <size_t N>
constexpr size_t words_of(const Desc (&d)[N]) {
  size_t w = 0;
  for (const Desc& x : d) w += x.size;
  return w;
}

// The memfd with header, id, descriptors and a zeroed data block, mapped: nullptr and the
// errno in `err` when the host refuses.
template <size_t N>
std::unique_ptr<StatsFile> make_file(const char* memfd_name, const std::string& id, const Desc (&descs)[N], long& err) {
  const uint32_t desc_size = sizeof(kvm_stats_desc) + kNameSize;
  kvm_stats_header h{};
  h.name_size = kNameSize;
  h.num_desc = N;
  h.id_offset = sizeof h;
  h.desc_offset = h.id_offset + kNameSize;
  h.data_offset = h.desc_offset + N * desc_size;
  const size_t words = words_of(descs);
  std::vector<uint8_t> bytes(h.data_offset + words * sizeof(uint64_t), 0);
  std::memcpy(bytes.data(), &h, sizeof h);
  std::memcpy(bytes.data() + h.id_offset, id.c_str(), std::min<size_t>(id.size(), kNameSize - 1));
  uint32_t offset = 0;
  for (size_t i = 0; i < N; ++i) {
    uint8_t* at = bytes.data() + h.desc_offset + i * desc_size;
    kvm_stats_desc d{};
    d.flags = descs[i].flags;
    d.exponent = descs[i].exponent;
    d.size = descs[i].size;
    d.offset = offset;
    std::memcpy(at, &d, sizeof d);
    std::strncpy(reinterpret_cast<char*>(at + sizeof d), descs[i].name, kNameSize - 1);
    offset += descs[i].size * sizeof(uint64_t);
  }
  auto f = std::make_unique<StatsFile>();
  f->fd = State::new_fd(memfd_name, static_cast<off_t>(bytes.size()));
  if (f->fd < 0) {
    err = f->fd;
    return nullptr;
  }
  if (pwrite(f->fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    err = -EIO;
    return nullptr;
  }
  f->len = bytes.size();
  f->map = static_cast<uint8_t*>(sys_mmap(nullptr, f->len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0));
  if (f->map == MAP_FAILED) {
    f->map = nullptr;
    err = -ENOMEM;
    return nullptr;
  }
  f->data = reinterpret_cast<uint64_t*>(f->map + h.data_offset);
  f->words = words;
  return f;
}

// A new open file of the statistics: its own offset, read-only, close-on-exec (as
// anon_inode_getfile(..., O_RDONLY) with get_unused_fd_flags(O_CLOEXEC)).
long reopen(const StatsFile& f) {
  const std::string path = "/proc/self/fd/" + std::to_string(f.fd);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

}  // namespace

StatsFile::~StatsFile() {
  if (map != nullptr) munmap(map, len);
  if (fd >= 0) sys_close(fd);
}

long State::vm_stats_fd(VmObj& vm) {
  if (vm.stats == nullptr) {
    long err = 0;
    vm.stats = make_file("kvm-vm-stats", "kvm-" + std::to_string(getpid()), kVmDescs, err);
    if (vm.stats == nullptr) return err;
  }
  // The model does no stage-2 TLB maintenance of its own: both VM counters stay 0.
  return reopen(*vm.stats);
}

long State::vcpu_stats_fd(VcpuData& vc) {
  if (vc.stats == nullptr) {
    long err = 0;
    vc.stats = make_file(("kvm-vcpu-stats:" + std::to_string(vc.id)).c_str(),
                         "kvm-" + std::to_string(getpid()) + "/vcpu-" + std::to_string(vc.id), kVcpuDescs, err);
    if (vc.stats == nullptr) return err;
  }
  sync_stats(vc);
  return reopen(*vc.stats);
}

// struct kvm_vcpu_stat's words from the model's counters.
void State::sync_stats(VcpuData& vc) {
  if (vc.stats == nullptr) return;
  const Vcpu::Stats& s = vc.v->stats();
  uint64_t* d = vc.stats->data;
  d[3] = s.halt_wakeup;
  d[6] = s.halt_wait_ns;
  std::memcpy(d + 7 + 2 * kHistBuckets, s.halt_wait_hist.data(), kHistBuckets * sizeof(uint64_t));
  constexpr size_t kArch = 7 + 3 * kHistBuckets + 1;  // after `blocking`, which is 0 between calls
  const uint64_t arch[] = {s.hvc, s.wfe, s.wfi, s.mmio_user, s.mmio_kernel, s.signal, s.exits};
  static_assert(kArch + std::size(arch) == words_of(kVcpuDescs));
  std::memcpy(d + kArch, arch, sizeof arch);
}

}  // namespace kvm_model::abi
