// The host shape the KVM-API tests drive the model with: two clusters of two pCPUs each
// (little = pCPUs 0-1, big = pCPUs 2-3) with their own PMU and counter count, the shape
// of configs/big-little.yaml without a YAML file.
#pragma once

#include <cstdint>

#include "kvm_model/kvm.h"

namespace test_support {

inline kvm_model::HostDesc two_cluster_host(uint32_t little_counters, uint32_t big_counters) {
  kvm_model::HostDesc d;
  for (uint32_t c = 0; c < 2; ++c) {
    kvm_model::vpmu::ClusterPmuDesc pmu;
    pmu.name = c ? "big" : "little";
    pmu.num_counters = c ? big_counters : little_counters;
    pmu.pmuver = 4;
    pmu.pmceid0 = 0x4adf07db;
    for (uint32_t i = 0; i < 2; ++i) {
      kvm_model::HostCpu cpu;
      cpu.cluster = c;
      pmu.cpus.push_back(c * 2 + i);
      d.cpus.push_back(cpu);
    }
    d.pmus.push_back(pmu);
  }
  return d;
}

}  // namespace test_support
