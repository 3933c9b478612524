// Building an emulated /dev/kvm from a host file and an era name, for the C library and the
// preload shim: the same host description pmuemu's own VMM uses.
#pragma once

#include <memory>
#include <string>

#include "kvm_model/abi/abi.h"

namespace kvm_model::abi {

// Throws std::runtime_error with one line naming the input and what is wrong. *errno_out:
// ENOENT (no such host file), EINVAL (bad era or pCPU), EIO (the file does not parse).
std::unique_ptr<Dev> make_dev(const std::string& host_file, const std::string& era, int vmm_cpu, int* errno_out);

}  // namespace kvm_model::abi
