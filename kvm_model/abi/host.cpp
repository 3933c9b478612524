#include "kvm_model/abi/host.h"

#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/vmm/host_model.h"

namespace kvm_model::abi {

std::unique_ptr<Dev> make_dev(const std::string& host_file, const std::string& era, int vmm_cpu, int* errno_out) {
  const auto e = vpmu::parse_era(era);
  if (!e) {
    *errno_out = EINVAL;
    throw std::runtime_error("KVM era '" + era + "' is not one of " + vpmu::known_era_names());
  }
  if (!std::filesystem::exists(host_file)) {
    *errno_out = ENOENT;
    throw std::runtime_error("host file '" + host_file + "' does not exist");
  }
  pmuemu::config::Host host;
  try {
    host = pmuemu::config::load_host_file(host_file);
  } catch (const std::exception& ex) {
    *errno_out = EIO;
    throw std::runtime_error(ex.what());
  }
  if (vmm_cpu < 0 || static_cast<uint32_t>(vmm_cpu) >= host.num_pcpus()) {
    *errno_out = EINVAL;
    throw std::runtime_error("VMM pCPU " + std::to_string(vmm_cpu) + ": host '" + host.name + "' has pCPUs 0.." +
                             std::to_string(host.num_pcpus() - 1));
  }
  Options o;
  o.host = pmuemu::vmm::host_desc(host, false);
  o.era = *e;
  o.vmm_pcpu = static_cast<uint32_t>(vmm_cpu);
  return std::make_unique<Dev>(std::move(o));
}

}  // namespace kvm_model::abi
