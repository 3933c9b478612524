// The descriptor table (its compile-time checks repeated at run time so a failure names the
// row), REG_LIST contents and order, and the ONE_REG routing rules (spec 1.2, 2.11).
#include <algorithm>
#include <map>
#include <set>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {

// Spec 2.11: the 74 ids KVM_GET_REG_LIST emits for a vCPU with a PMU, in order.
std::vector<uint64_t> expected_reg_list() {
  std::vector<uint64_t> ids = {0x603000000013C4F1, 0x603000000013C4F2, 0x603000000013DCE0, 0x603000000013DCE1,
                               0x603000000013DCE2, 0x603000000013DCE3, 0x603000000013DCE4, 0x603000000013DCE5,
                               0x603000000013DCE8, 0x603000000013DCF0, 0x603000000013DCF3};
  for (unsigned n = 0; n < 31; ++n) ids.push_back(0x603000000013DF40 + n);
  for (unsigned n = 0; n < 31; ++n) ids.push_back(0x603000000013DF60 + n);
  ids.push_back(0x603000000013DF7F);
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_table)

BOOST_AUTO_TEST_CASE(sorted_unique_complete) {
  const auto t = pmu_sys_reg_table();
  BOOST_TEST(t.size() == 79u);
  std::set<std::string_view> names;
  for (size_t i = 0; i < t.size(); ++i) {
    BOOST_TEST_CONTEXT("row " << t[i].name) {
      if (i) BOOST_TEST(t[i - 1].key.index() < t[i].key.index());
      BOOST_TEST(names.insert(t[i].name).second);
      BOOST_TEST(t[i].access != nullptr);
      BOOST_TEST(t[i].visibility != nullptr);
      if (t[i].slot != Slot::kNone) BOOST_TEST(t[i].reset != nullptr);
      BOOST_TEST(find_pmu_sys_reg(t[i].key) == &t[i]);
    }
  }
}

// Slots are shared only by the SET/CLR pairs (and nothing else aliases a slot).
BOOST_AUTO_TEST_CASE(slot_sharing_only_for_set_clr_pairs) {
  std::map<Slot, std::vector<std::string_view>> users;
  for (const auto& r : pmu_sys_reg_table())
    if (r.slot != Slot::kNone) users[r.slot].push_back(r.name);
  for (const auto& [slot, regs] : users) {
    if (regs.size() == 1) continue;
    const std::set<std::string_view> s(regs.begin(), regs.end());
    const bool ok = s == std::set<std::string_view>{"PMINTENSET_EL1", "PMINTENCLR_EL1"} ||
                    s == std::set<std::string_view>{"PMCNTENSET_EL0", "PMCNTENCLR_EL0"} ||
                    s == std::set<std::string_view>{"PMOVSSET_EL0", "PMOVSCLR_EL0"};
    BOOST_TEST(ok, "unexpected slot sharing: " << regs.front());
  }
}

// Spec 1.2 sample rows: encoding -> ONE_REG id.
BOOST_AUTO_TEST_CASE(one_reg_ids_match_spec) {
  const std::map<std::string_view, uint64_t> ids = {
      {"PMINTENSET_EL1", 0x603000000013C4F1}, {"PMMIR_EL1", 0x603000000013C4F6}, {"PMCR_EL0", 0x603000000013DCE0},
      {"PMSWINC_EL0", 0x603000000013DCE4},    {"PMCEID1_EL0", 0x603000000013DCE7}, {"PMXEVCNTR_EL0", 0x603000000013DCEA},
      {"PMUSERENR_EL0", 0x603000000013DCF0},  {"PMOVSSET_EL0", 0x603000000013DCF3}, {"PMEVCNTR30_EL0", 0x603000000013DF5E},
      {"PMEVTYPER7_EL0", 0x603000000013DF67}, {"PMCCFILTR_EL0", 0x603000000013DF7F}};
  for (const auto& r : pmu_sys_reg_table()) {
    auto it = ids.find(r.name);
    if (it != ids.end()) BOOST_TEST(r.one_reg_id() == it->second, r.name);
  }
  BOOST_TEST(find_pmu_sys_reg(reg::PMEVCNTR(31)) == nullptr);  // (3,3,14,11,7): no such row
  BOOST_TEST(find_pmu_sys_reg(arch::sysreg(3, 0, 1, 0, 0)) == nullptr);  // SCTLR_EL1: not ours
  BOOST_TEST(find_pmu_sys_reg(reg::PMCCFILTR_EL0)->name == "PMCCFILTR_EL0");
}

BOOST_DATA_TEST_CASE(reg_list_is_74_ids_in_kernel_order, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& with = f.add_vcpu(true);
  VcpuPmu& without = f.add_vcpu(false);
  std::vector<uint64_t> ids;
  append_reg_list(with, ids);
  BOOST_TEST(ids == expected_reg_list(), boost::test_tools::per_element());
  ids.clear();
  append_reg_list(without, ids);
  BOOST_TEST(ids.empty());
}

BOOST_DATA_TEST_CASE(one_reg_enoent_cases, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  VcpuPmu& nopmu = f.add_vcpu(false);
  uint64_t out = 0;
  // Registers with neither storage nor a getter are not ONE_REG-accessible.
  for (auto k : {reg::PMMIR_EL1, reg::PMCEID0_EL0, reg::PMCEID1_EL0, reg::PMXEVTYPER_EL0, reg::PMXEVCNTR_EL0}) {
    BOOST_TEST(owns_one_reg_id(id_of(k)));
    BOOST_TEST(get_one_reg(v, id_of(k), out) == -ENOENT);
    BOOST_TEST(set_one_reg(v, id_of(k), 0) == -ENOENT);
  }
  // Hidden without the PMU feature.
  BOOST_TEST(get_one_reg(nopmu, id_of(reg::PMCR_EL0), out) == -ENOENT);
  BOOST_TEST(set_one_reg(nopmu, id_of(reg::PMEVCNTR(0)), 1) == -ENOENT);
  // Malformed / foreign ids.
  BOOST_TEST(!owns_one_reg_id(0x6020000000130000 | 0xDCE0));  // 32-bit size field
  BOOST_TEST(get_one_reg(v, 0x6020000000130000 | 0xDCE0, out) == -ENOENT);
  BOOST_TEST(!owns_one_reg_id(id_of(arch::sysreg(3, 0, 1, 0, 0))));
  BOOST_TEST(get_one_reg(v, id_of(reg::PMEVCNTR(31)), out) == -ENOENT);
  // PMSWINC: listed, reads 0, writes ignored.
  BOOST_TEST(set_one_reg(v, id_of(reg::PMSWINC_EL0), 0xffffffff) == 0);
  BOOST_TEST(get_one_reg(v, id_of(reg::PMSWINC_EL0), out) == 0);
  BOOST_TEST(out == 0u);
}

// Plain-slot registers (PMSELR, PMUSERENR, PMEVTYPER<n>, PMCCFILTR) are raw in every era,
// for counters >= N too (spec 1.12).
BOOST_DATA_TEST_CASE(raw_registers_round_trip, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  uint64_t out = 0;
  for (auto k : {reg::PMSELR_EL0, reg::PMUSERENR_EL0, reg::PMEVTYPER(0), reg::PMEVTYPER(30), reg::PMCCFILTR_EL0}) {
    BOOST_TEST(set_one_reg(v, id_of(k), 0xfedcba9876543210ull) == 0);
    BOOST_TEST(get_one_reg(v, id_of(k), out) == 0);
    BOOST_TEST(out == 0xfedcba9876543210ull);
  }
}

BOOST_AUTO_TEST_SUITE_END()
