#include "emu/user/kvm_bridge.h"

namespace pmuemu::user {

std::unique_ptr<KvmBackend> make_kvm_backend(const config::Host&, const std::string&, const UserOptions&) {
  // Until the /dev/kvm ABI layer is connected, the program sees a machine without KVM.
  return std::make_unique<KvmBackend>();
}

}  // namespace pmuemu::user
