// The run observer (emu/vmm/run_observer.h) fed by hand, without a guest: what each quantum
// adds to --json and --timeline, what it reads of the VM, and the documents of a run that
// ended before a VM existed.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/vmm/run_observer.h"
#include "kvm_model/uapi.h"

namespace cfg = pmuemu::config;
namespace vm = pmuemu::vmm;
namespace fs = std::filesystem;

namespace {

const uint64_t kPmcntenset = arch::SysRegKey{3, 3, 9, 12, 1}.to_one_reg_id();
const uint64_t kPmccntr = arch::SysRegKey{3, 3, 9, 13, 0}.to_one_reg_id();
const uint64_t kPmevcntr2 = arch::SysRegKey{3, 3, 14, 8, 2}.to_one_reg_id();
const uint64_t kPmcr = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();
const uint64_t kCntvCtl = arch::SysRegKey{3, 3, 14, 3, 1}.to_one_reg_id();  // the timer, not the PMU

// A VM of plain values: registers per vCPU, no timing models (functional timing).
struct FakeVm : vm::ObservedVm {
  std::vector<std::map<uint64_t, uint64_t>> regs;
  std::vector<uint64_t> reg_reads;  // ids read, in order
  bool observed_reg(unsigned vcpu, uint64_t id, uint64_t& value) override {
    reg_reads.push_back(id);
    const auto it = regs.at(vcpu).find(id);
    if (it == regs.at(vcpu).end()) return false;
    value = it->second;
    return true;
  }
  bool observed_reg_list(unsigned vcpu, std::vector<uint64_t>& ids) override {
    ids.clear();
    for (const auto& [id, v] : regs.at(vcpu)) ids.push_back(id);
    return true;
  }
  const cpu::timing::TimingModel* observed_timing(uint32_t) const override { return nullptr; }
};

struct Fixture {
  fs::path dir;
  cfg::Host host;
  vm::RunOptions opts;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "pmuemu_unit_vmm_XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    host = cfg::load_host_file(std::string(PMUEMU_SOURCE_DIR) + "/configs/big-little.yaml");
    opts.kvm_era = "6.7";
    opts.timing = vm::Timing::kFunctional;
    opts.json_path = (dir / "run.json").string();
    opts.timeline_path = (dir / "run.trace.json").string();
  }
  ~Fixture() { fs::remove_all(dir); }
  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string json() const { return read(opts.json_path); }
  std::string timeline() const { return read(opts.timeline_path); }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Two vCPUs: vCPU 0 counts on PMCCNTR and PMEVCNTR2 (PMCNTENSET bits 31 and 2), vCPU 1 on none.
FakeVm two_vcpus() {
  FakeVm f;
  f.regs.resize(2);
  f.regs[0] = {{kvm_model::kRegPc, 0x40001000}, {kPmcntenset, (1ull << 31) | 4}, {kPmccntr, 777},
               {kPmevcntr2, 55}, {kPmcr, 0x41002000}, {kCntvCtl, 1}, {kvm_model::kRegX(0), 9}};
  f.regs[1] = {{kvm_model::kRegPc, 0x40002000}, {kPmcntenset, 0}};
  return f;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(run_observer, Fixture)

BOOST_AUTO_TEST_CASE(quanta_add_up_per_vcpu_with_pcpus_in_first_use_order) {
  FakeVm f = two_vcpus();
  vm::RunObserver o(host, opts);
  o.set_vcpus(2);
  o.quantum(f, 0, 4, 1000, std::nullopt);
  o.quantum(f, 1, 1, 300, std::nullopt);
  o.quantum(f, 0, 5, 24, std::nullopt);
  o.quantum(f, 0, 4, 6, std::nullopt);
  vm::RunOutcome r;
  BOOST_TEST(o.write_reports(&f, r, "guest-exit", 1) == "");
  const std::string j = json();
  // Functional timing: one cycle per instruction.
  BOOST_TEST(has(j, R"j({"id":0,"pcpus":[4,5],"instructions":1030,"cycles":1030,"pc":"0x40001000")j"), j);
  BOOST_TEST(has(j, R"j({"id":1,"pcpus":[1],"instructions":300,"cycles":300,"pc":"0x40002000")j"), j);
  BOOST_TEST(has(j, R"j("exit":{"reason":"guest-exit","status":0,"message":""})j"), j);
  BOOST_TEST(has(j, R"j("timing":"functional")j"), j);
}

BOOST_AUTO_TEST_CASE(the_json_lists_the_pmu_registers_of_the_reg_list_only) {
  FakeVm f = two_vcpus();
  vm::RunObserver o(host, opts);
  o.set_vcpus(2);
  BOOST_TEST(o.write_reports(&f, vm::RunOutcome{}, "", 1) == "");
  const std::string j = json();
  BOOST_TEST(has(j, R"j("PMCR_EL0":"0x41002000")j"), j);
  BOOST_TEST(has(j, R"j("PMCCNTR_EL0":"0x309")j"), j);
  BOOST_TEST(has(j, R"j("PMEVCNTR2_EL0":"0x37")j"), j);
  // Neither the timer's register (CRn 14, CRm 3) nor a core register.
  BOOST_TEST(!has(j, "CNTV"), j);
  BOOST_TEST(!has(j, "\"X0\""), j);
}

BOOST_AUTO_TEST_CASE(the_timeline_has_slices_migrations_fail_entry_and_enabled_counters) {
  FakeVm f = two_vcpus();
  vm::RunObserver o(host, opts);
  o.set_vcpus(2);
  o.quantum(f, 0, 4, 1500, std::nullopt);
  o.quantum(f, 0, 5, 2000, 3u);
  BOOST_TEST(o.write_reports(&f, vm::RunOutcome{}, "", 1) == "");
  const std::string t = timeline();
  // Guest time is 1 ns per instruction, written in microseconds.
  BOOST_TEST(has(t, R"j({"name":"vCPU 0","ph":"X","pid":1,"tid":4,"ts":0.000,"dur":1.500,"args":{"vcpu":0,"instructions":1500}})j"), t);
  BOOST_TEST(has(t, R"j({"name":"vCPU 0 migrated from pCPU 4 to pCPU 5","ph":"i","s":"t","pid":1,"tid":5,"ts":1.500})j"), t);
  BOOST_TEST(has(t, R"j({"name":"vCPU 0","ph":"X","pid":1,"tid":5,"ts":1.500,"dur":2.000,)j"), t);
  BOOST_TEST(has(t, R"j({"name":"vCPU 0 FAIL_ENTRY (CPU_UNSUPPORTED)","ph":"i","s":"t","pid":1,"tid":3,"ts":3.500})j"), t);
  // PMCNTENSET has bits 31 and 2: those two counters, sampled after each quantum.
  BOOST_TEST(has(t, R"j({"name":"vCPU 0 PMCCNTR","ph":"C","pid":1,"ts":3.500,"args":{"value":777}})j"), t);
  BOOST_TEST(has(t, R"j({"name":"vCPU 0 PMEVCNTR2","ph":"C","pid":1,"ts":1.500,"args":{"value":55}})j"), t);
  BOOST_TEST(!has(t, "PMEVCNTR0"), t);
  // The pCPU tracks that have events are named after their core type.
  BOOST_TEST(has(t, R"j("args":{"name":"pCPU 5 (cortex-a76)"})j"), t);
  BOOST_TEST(has(t, R"j("args":{"name":"pCPU 3 (cortex-a55)"})j"), t);
  BOOST_TEST(!has(t, "pCPU 0 ("), t);
}

BOOST_AUTO_TEST_CASE(without_timeline_no_counters_are_read_per_quantum) {
  opts.timeline_path.clear();
  FakeVm f = two_vcpus();
  vm::RunObserver o(host, opts);
  o.set_vcpus(2);
  o.quantum(f, 0, 4, 10, std::nullopt);
  BOOST_TEST(f.reg_reads.empty());
  BOOST_TEST(!fs::exists(dir / "run.trace.json"));
}

BOOST_AUTO_TEST_CASE(inactive_observer_records_nothing) {
  opts.timeline_path.clear();
  opts.json_path.clear();
  FakeVm f = two_vcpus();
  vm::RunObserver o(host, opts);
  BOOST_TEST(!o.active());
  o.set_vcpus(2);
  o.quantum(f, 0, 4, 10, std::nullopt);
  BOOST_TEST(o.write_reports(&f, vm::RunOutcome{}, "", 1) == "");
  BOOST_TEST(fs::is_empty(dir));
}

BOOST_AUTO_TEST_CASE(a_run_without_a_vm_still_writes_both_documents) {
  vm::RunOutcome r;
  r.exit_status = pmuemu::kExitKvmRefused;
  r.error = "KVM_ARM_VCPU_INIT failed: EINVAL";
  BOOST_TEST(vm::write_reports_without_vm(host, opts, r) == "");
  const std::string j = json();
  BOOST_TEST(has(j, R"j("exit":{"reason":"kvm-refused","status":5,"message":"KVM_ARM_VCPU_INIT failed: EINVAL"})j"), j);
  BOOST_TEST(has(j, "\n\"vcpus\":[]"), j);
  // Every pCPU of the host is listed, with no totals.
  BOOST_TEST(has(j, R"j({"id":7,"cluster":1,"core":"cortex-a76","pmu_totals":{}})j"), j);
  BOOST_TEST(timeline() == "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
                           "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"pmuemu VM on big-little\"}}\n"
                           "]}\n");
}

BOOST_AUTO_TEST_CASE(a_write_error_names_the_file) {
  opts.json_path = (dir / "missing" / "run.json").string();
  vm::RunObserver o(host, opts);
  const std::string err = o.write_reports(nullptr, vm::RunOutcome{}, "", 1);
  BOOST_TEST(err.rfind(opts.json_path + ": cannot write", 0) == 0, err);
  // The timeline is still written.
  BOOST_TEST(fs::exists(opts.timeline_path));
}

BOOST_AUTO_TEST_CASE(the_same_observations_give_the_same_bytes) {
  std::string first[2];
  for (auto& out : first) {
    FakeVm f = two_vcpus();
    vm::RunObserver o(host, opts);
    o.set_vcpus(2);
    o.instant(0, "vCPU 0 reset (KVM_ARM_VCPU_INIT)j");
    o.quantum(f, 0, 0, 100, std::nullopt);
    o.quantum(f, 1, 1, 50, std::nullopt);
    BOOST_TEST(o.write_reports(&f, vm::RunOutcome{}, "", 2) == "");
    out = json() + timeline();
  }
  BOOST_TEST(first[0] == first[1]);
  BOOST_TEST(has(first[0], R"j("runs":2)j"), first[0]);
}

BOOST_AUTO_TEST_SUITE_END()
