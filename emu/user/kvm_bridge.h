// The /dev/kvm a `pmuemu user` program sees.
#pragma once

#include <memory>
#include <string>

#include "emu/config/host_config.h"
#include "emu/user/process.h"

namespace pmuemu::user {

// The KVM model behind the program's /dev/kvm, in kernel era `era`. Throws UsageError for an
// unknown era.
std::unique_ptr<KvmBackend> make_kvm_backend(const config::Host& host, const std::string& era,
                                             const UserOptions& opts);

}  // namespace pmuemu::user
