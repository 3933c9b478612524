// A Linux guest as the VMM boots it: the files read and checked up front (before any KVM
// call, so bad input costs nothing and leaves no state), then, once the VM is built, the
// device tree describing it and the boot-protocol copy of kernel, DTB and initrd into RAM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emu/boot/linux_boot.h"

namespace pmuemu::boot {

struct LinuxFiles {
  std::string kernel, initrd, dtb;  // paths; initrd and dtb may be empty
};

class LinuxGuest {
 public:
  // Reads and validates the files and places them in [ram_base, ram_base + ram_size).
  // Throws InputError (exit 65) naming the file that is wrong.
  LinuxGuest(const LinuxFiles& files, uint64_t ram_base, uint64_t ram_size);

  const Placement& placement() const { return place_; }
  uint64_t entry() const { return place_.kernel; }
  uint64_t dtb_address() const { return place_.dtb; }

  // The device tree of `m` (its chosen initrd range is filled in here), or the --dtb file
  // with its /chosen updated. Kept for load().
  const std::vector<uint8_t>& build_dtb(MachineDesc m);
  const std::vector<uint8_t>& dtb() const { return dtb_; }

  // The boot protocol's memory image: kernel at its load address with its BSS zeroed, DTB,
  // initrd. At the first boot and again at every system reset (a guest may have written
  // anywhere).
  void load(uint8_t* ram, uint64_t ram_base) const;

 private:
  std::string dtb_name_;
  KernelImage kernel_;
  std::vector<uint8_t> initrd_, user_dtb_, dtb_;
  Placement place_;
};

}  // namespace pmuemu::boot
