// libpmuemu-kvm-preload.so: LD_PRELOAD it and an unmodified program's open("/dev/kvm"),
// ioctl, mmap and close on the descriptors that came from it land in the KVM model.
//
//   PMUEMU_HOST     host file (required)
//   PMUEMU_KVM      KVM era, any of pmuemu kvm eras (required)
//   PMUEMU_VMM_CPU  pCPU of the program's threads (default 0)
//
// A missing or bad value is one line on stderr and exit status 78 (EX_CONFIG) at the
// first open of /dev/kvm: never a fall-back to the host's real /dev/kvm.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "kvm_model/abi/host.h"
#include "kvm_model/vpmu/era.h"

namespace {

constexpr int kExitConfig = 78;  // sysexits.h EX_CONFIG

// The emulated kernel of this process (see capi.cpp): a function-local static.
struct Shim {
  std::once_flag once;
  std::unique_ptr<kvm_model::abi::Dev> dev;

  kvm_model::abi::Dev& get() {
    std::call_once(once, [this] {
      const char* host = std::getenv("PMUEMU_HOST");
      const char* era = std::getenv("PMUEMU_KVM");
      const char* cpu = std::getenv("PMUEMU_VMM_CPU");
      auto die = [](const std::string& msg) {
        std::fprintf(stderr, "pmuemu-kvm-preload: %s\n", msg.c_str());
        std::_Exit(kExitConfig);
      };
      if (host == nullptr || *host == '\0') die("PMUEMU_HOST is not set (the host file /dev/kvm emulates)");
      if (era == nullptr || *era == '\0') die("PMUEMU_KVM is not set (the KVM era: one of " + kvm_model::vpmu::known_era_names() + ")");
      long vmm_cpu = 0;
      if (cpu != nullptr) {
        char* end = nullptr;
        errno = 0;
        vmm_cpu = std::strtol(cpu, &end, 10);
        if (*cpu == '\0' || *end != '\0' || errno != 0 || vmm_cpu < 0)
          die(std::string("PMUEMU_VMM_CPU='") + cpu + "' is not a pCPU number");
      }
      int err = 0;
      try {
        dev = kvm_model::abi::make_dev(host, era, static_cast<int>(vmm_cpu), &err);
      } catch (const std::exception& ex) {
        die(std::string("PMUEMU_HOST/PMUEMU_KVM/PMUEMU_VMM_CPU: ") + ex.what());
      }
    });
    return *dev;
  }
  bool owns(int fd) { return dev != nullptr && dev->owns(fd); }
};
Shim& shim() {
  static Shim s;
  return s;
}

template <typename Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

bool is_kvm(const char* path) { return path != nullptr && std::strcmp(path, "/dev/kvm") == 0; }

int open_kvm() {
  const int fd = shim().get().open_dev();
  if (fd < 0) {
    errno = -fd;
    return -1;
  }
  return fd;
}

}  // namespace

#define EXPORT extern "C" __attribute__((visibility("default")))

EXPORT int open(const char* path, int flags, ...) {
  if (is_kvm(path)) return open_kvm();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  static const auto real = next<int (*)(const char*, int, ...)>("open");
  return real(path, flags, mode);
}
EXPORT int open64(const char* path, int flags, ...) {
  if (is_kvm(path)) return open_kvm();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  static const auto real = next<int (*)(const char*, int, ...)>("open64");
  return real(path, flags, mode);
}
EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  if (is_kvm(path)) return open_kvm();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  static const auto real = next<int (*)(int, const char*, int, ...)>("openat");
  return real(dirfd, path, flags, mode);
}
EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  if (is_kvm(path)) return open_kvm();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  static const auto real = next<int (*)(int, const char*, int, ...)>("openat64");
  return real(dirfd, path, flags, mode);
}
// _FORTIFY_SOURCE's checked variants.
EXPORT int __open_2(const char* path, int flags) {
  if (is_kvm(path)) return open_kvm();
  static const auto real = next<int (*)(const char*, int)>("__open_2");
  return real(path, flags);
}
EXPORT int __open64_2(const char* path, int flags) {
  if (is_kvm(path)) return open_kvm();
  static const auto real = next<int (*)(const char*, int)>("__open64_2");
  return real(path, flags);
}
EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  if (is_kvm(path)) return open_kvm();
  static const auto real = next<int (*)(int, const char*, int)>("__openat_2");
  return real(dirfd, path, flags);
}

EXPORT int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  const unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  if (shim().owns(fd)) {
    const long rc = shim().dev->ioctl(fd, request, arg);
    if (rc < 0) {
      errno = static_cast<int>(-rc);
      return -1;
    }
    return static_cast<int>(rc);
  }
  static const auto real = next<int (*)(int, unsigned long, ...)>("ioctl");
  return real(fd, request, arg);
}

EXPORT void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (fd >= 0 && shim().owns(fd)) {
    int err = 0;
    void* p = shim().dev->mmap(addr, len, prot, flags, fd, off, &err);
    if (p == MAP_FAILED) errno = err;
    return p;
  }
  static const auto real = next<void* (*)(void*, size_t, int, int, int, off_t)>("mmap");
  return real(addr, len, prot, flags, fd, off);
}
EXPORT void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}

EXPORT int close(int fd) {
  if (shim().owns(fd)) {
    const int rc = shim().dev->close(fd);
    if (rc < 0) {
      errno = -rc;
      return -1;
    }
    return 0;
  }
  static const auto real = next<int (*)(int)>("close");
  return real(fd);
}
