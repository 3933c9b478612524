#include "emu/boot/linux_guest.h"

#include <cstring>

#include "emu/common/file_io.h"

namespace pmuemu::boot {

LinuxGuest::LinuxGuest(const LinuxFiles& files, uint64_t ram_base, uint64_t ram_size) : dtb_name_(files.dtb) {
  kernel_ = parse_kernel(read_file_bytes(files.kernel), files.kernel);
  if (!files.initrd.empty()) {
    initrd_ = read_file_bytes(files.initrd);
    check_initrd(initrd_, files.initrd);
  }
  if (!files.dtb.empty()) {
    user_dtb_ = read_file_bytes(files.dtb);
    check_dtb(user_dtb_, files.dtb);
  }
  place_ = place(kernel_.header, ram_base, ram_size, initrd_.size(), files.kernel);
}

const std::vector<uint8_t>& LinuxGuest::build_dtb(MachineDesc m) {
  m.initrd = place_.initrd;
  m.initrd_size = place_.initrd_size;
  dtb_ = user_dtb_.empty() ? make_dtb(m) : patch_dtb(user_dtb_, m, dtb_name_);
  return dtb_;
}

void LinuxGuest::load(uint8_t* ram, uint64_t ram_base) const {
  uint8_t* k = ram + (place_.kernel - ram_base);
  std::memcpy(k, kernel_.bytes.data(), kernel_.bytes.size());
  std::memset(k + kernel_.bytes.size(), 0, kernel_.header.image_size - kernel_.bytes.size());
  std::memcpy(ram + (place_.dtb - ram_base), dtb_.data(), dtb_.size());
  if (!initrd_.empty()) std::memcpy(ram + (place_.initrd - ram_base), initrd_.data(), initrd_.size());
}

}  // namespace pmuemu::boot
