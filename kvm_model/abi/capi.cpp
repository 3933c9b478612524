// libpmuemu-kvm: the C API of include/pmuemu/kvm.h over kvm_model::abi::Dev.
#include <cerrno>
#include <cstdarg>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/mman.h>

#include "kvm_model/abi/host.h"
#include "pmuemu/kvm.h"

namespace {

// The emulated kernel of this process: one Dev per (host file, era), created on first open
// and living as long as the process, as /dev/kvm does. Process-wide by nature (a C API over
// file descriptors has no handle to carry it), so it is a function-local static.
struct Registry {
  std::mutex m;
  std::map<std::string, std::unique_ptr<kvm_model::abi::Dev>> devs;
  std::string last_error;

  kvm_model::abi::Dev* owner(int fd) {
    std::lock_guard lk(m);
    for (auto& [k, d] : devs)
      if (d->owns(fd)) return d.get();
    return nullptr;
  }
};
Registry& registry() {
  static Registry r;
  return r;
}

long fail(long rc) {
  if (rc >= 0) return rc;
  errno = static_cast<int>(-rc);
  return -1;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pmuemu_kvm_open(const char* host_file, const char* era) {
  Registry& r = registry();
  if (host_file == nullptr || era == nullptr) {
    errno = EINVAL;
    return -1;
  }
  kvm_model::abi::Dev* dev;
  {
    std::lock_guard lk(r.m);
    const std::string key = std::string(host_file) + '\0' + era;
    auto it = r.devs.find(key);
    if (it == r.devs.end()) {
      int err = EINVAL;
      try {
        it = r.devs.emplace(key, kvm_model::abi::make_dev(host_file, era, 0, &err)).first;
      } catch (const std::exception& ex) {
        r.last_error = ex.what();
        errno = err;
        return -1;
      }
    }
    dev = it->second.get();
  }
  return static_cast<int>(fail(dev->open_dev()));
}

__attribute__((visibility("default"))) long pmuemu_kvm_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  const unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  kvm_model::abi::Dev* d = registry().owner(fd);
  if (d == nullptr) return fail(-EBADF);
  return fail(d->ioctl(fd, request, arg));
}

__attribute__((visibility("default"))) void* pmuemu_kvm_mmap(void* addr, size_t length, int prot, int flags, int fd,
                                                             off_t offset) {
  kvm_model::abi::Dev* d = registry().owner(fd);
  if (d == nullptr) {
    errno = EBADF;
    return MAP_FAILED;
  }
  int err = 0;
  void* p = d->mmap(addr, length, prot, flags, fd, offset, &err);
  if (p == MAP_FAILED) errno = err;
  return p;
}

__attribute__((visibility("default"))) int pmuemu_kvm_close(int fd) {
  kvm_model::abi::Dev* d = registry().owner(fd);
  if (d == nullptr) return static_cast<int>(fail(-EBADF));
  return static_cast<int>(fail(d->close(fd)));
}

__attribute__((visibility("default"))) int pmuemu_kvm_owns(int fd) { return registry().owner(fd) != nullptr; }

__attribute__((visibility("default"))) int pmuemu_kvm_set_vmm_cpu(int kvm_fd, unsigned pcpu) {
  kvm_model::abi::Dev* d = registry().owner(kvm_fd);
  if (d == nullptr) return static_cast<int>(fail(-EBADF));
  if (pcpu >= d->options().host.cpus.size()) return static_cast<int>(fail(-EINVAL));
  d->set_vmm_pcpu(pcpu);
  return 0;
}

__attribute__((visibility("default"))) const char* pmuemu_kvm_error(void) { return registry().last_error.c_str(); }

}  // extern "C"
