#include "emu/user/process.h"
#include "emu/user/elf_load.h"
#include "emu/user/files.h"
#include "emu/user/hwcaps.h"
#include "emu/user/uffd.h"

#include <elf.h>
#include <unistd.h>

#include <chrono>
#include <utility>
#include <cinttypes>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "emu/common/errors.h"
#include "emu/vmm/host_model.h"

namespace pmuemu::user {
namespace {

// The HVC immediate of the vector stubs: the host recognises its own trap by it.
constexpr uint16_t kTrapImm = 0x5553;
constexpr uint32_t kHvcTrap = 0xd4000002u | (uint32_t{kTrapImm} << 5);
constexpr uint32_t kEret = 0xd69f03e0u;

// Signal numbers (Linux arm64 = generic).
constexpr int kSigIll = 4, kSigTrap = 5, kSigBus = 7, kSigFpe = 8, kSigSegv = 11;

// Exception classes the stubs see (ESR_EL1.EC).
constexpr unsigned kEcUnknown = 0x00, kEcFp = 0x07, kEcSvc = 0x15, kEcSys = 0x18, kEcIabtLow = 0x20,
                   kEcPcAlign = 0x22, kEcDabtLow = 0x24, kEcSpAlign = 0x26, kEcBrk = 0x3c;

// SCTLR_EL1 as Linux runs user space: MMU, caches, SP alignment checks at EL0, and the EL0
// controls (DC ZVA, CTR_EL0, cache maintenance, WFI/WFE not trapped) enabled.
constexpr uint64_t kSctlr = (1ull << 0) | (1ull << 2) | (1ull << 4) | (1ull << 12) | (1ull << 14) | (1ull << 15) |
                            (1ull << 16) | (1ull << 18) | (1ull << 26) | (3ull << 28) | (1ull << 11) |
                            (1ull << 20) | (1ull << 22) | (1ull << 23);
// TCR_EL1: 48-bit TTBR0 region, 4 KiB granule, write-back walks, inner shareable; TTBR1
// walks disabled (EPD1); 48-bit IPS; 16-bit ASIDs.
constexpr uint64_t kTcr = 16 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) | (5ull << 32) | (1ull << 36);
constexpr uint64_t kMair = 0xff;  // attr 0: Normal, inner/outer write-back

// A file's bytes; nullopt if it cannot be opened.
std::optional<std::vector<uint8_t>> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

OpenFile::~OpenFile() {
  if (kind == Kind::kHost && host_fd > 2) ::close(host_fd);
  if (kind == Kind::kPipe && pipe != nullptr) --(pipe_write ? pipe->writers : pipe->readers);
}

Process::Process(const config::Host& host, UserOptions opts, std::unique_ptr<KvmBackend> kvm)
    : host_(host), opts_(std::move(opts)), kvm_(kvm ? std::move(kvm) : std::make_unique<KvmBackend>()),
      rng_(opts_.seed * 0x9e3779b97f4a7c15ull + 0x243f6a8885a308d3ull) {
  if (opts_.vmm_cpu >= host.num_pcpus())
    throw UsageError("--vmm-cpu " + std::to_string(opts_.vmm_cpu) + ": the host has pCPUs 0-" +
                     std::to_string(host.num_pcpus() - 1));
  auto main_thread = std::make_unique<Thread>();
  main_thread->tid = opts_.pid;
  main_thread->pcpu = opts_.vmm_cpu;
  for (const auto& [name, cpu] : opts_.thread_cpus)
    if (cpu >= host.num_pcpus())
      throw UsageError("--thread-cpu " + name + "=" + std::to_string(cpu) + ": the host has pCPUs 0-" +
                       std::to_string(host.num_pcpus() - 1));
  // A process starts with its program's file name, cut to TASK_COMM_LEN - 1 characters.
  main_thread->comm = opts_.program.filename().string().substr(0, 15);
  uffd_ = std::make_unique<UserFaults>();
  kvm_->set_host_page_gate(uffd_.get());
  kvm_->set_pending_signals([this] { return pending(thread()); });
  kvm_->set_eventfds(*this);
  main_thread->core = make_core(opts_.vmm_cpu);
  main_thread->sched.timeslices = 1;  // switched in once, to start
  core_ = main_thread->core.get();
  threads_.push_back(std::move(main_thread));
  load();
  // The signal return trampoline (`mov x8, #__NR_rt_sigreturn; svc #0`) in a page of its
  // own, the vDSO's __kernel_rt_sigreturn: arm64 Linux returns a handler there unless the
  // program gave an sa_restorer with SA_RESTORER, and glibc on arm64 gives none.
  sigtramp_ = mem_.find_free(0x1000);
  if (sigtramp_ == 0 || !mem_.map(sigtramp_, 0x1000, kProtRead | kProtWrite))
    throw std::runtime_error("user mode: no room for the signal trampoline page");
  cpu::guest_store<uint32_t>(mem_.host(sigtramp_), 0xd2801168u);      // mov x8, #139
  cpu::guest_store<uint32_t>(mem_.host(sigtramp_ + 4), 0xd4000001u);  // svc #0
  mem_.protect(sigtramp_, 0x1000, kProtRead | kProtExec);
  // Standard streams are the host's.
  for (int fd = 0; fd < 3; ++fd) {
    auto f = std::make_shared<OpenFile>();
    f->host_fd = fd;
    f->path = fd == 0 ? "<stdin>" : fd == 1 ? "<stdout>" : "<stderr>";
    files_[fd] = f;
  }
  // Vectors: every entry of the "lower EL, AArch64" group is HVC + ERET; the current-EL
  // groups too (an exception in the stub itself is a pmuemu bug, caught by the imm check).
  for (uint64_t off = 0; off < 0x800; off += 0x80) {
    cpu::guest_store<uint32_t>(mem_.host(mem_.vectors() + off), kHvcTrap);
    cpu::guest_store<uint32_t>(mem_.host(mem_.vectors() + off + 4), kEret);
  }
  core_->reset(mem_.vectors() + 4);  // start at an ERET: it drops to EL0 at the entry point
  using cpu::SysSlot;
  core_->set_sysreg(SysSlot::MAIR_EL1, kMair);
  core_->set_sysreg(SysSlot::TCR_EL1, kTcr);
  core_->set_sysreg(SysSlot::TTBR0_EL1, mem_.ttbr0());
  core_->set_sysreg(SysSlot::SCTLR_EL1, kSctlr);
  core_->set_sysreg(SysSlot::VBAR_EL1, mem_.vectors());
  core_->set_sysreg(SysSlot::CPACR_EL1, 3ull << 20);  // FP/SIMD enabled at EL0 (Linux enables it lazily)
  core_->set_sysreg(SysSlot::CNTKCTL_EL1, 3);          // EL0 may read the counters
  core_->sync_translation_regs();
  setup_stack();
  core_->set_sysreg(SysSlot::ELR_EL1, entry_);
  core_->set_sysreg(SysSlot::SPSR_EL1, 0);  // EL0t, nothing masked
}

Process::~Process() = default;

std::unique_ptr<cpu::Core> Process::make_core(uint32_t pcpu) {
  return std::make_unique<cpu::Core>(mem_.phys(), vmm::id_regs(host_.cluster_of(pcpu).core));
}

uint64_t Process::total_retired() const {
  uint64_t n = retired_exited_ + retired_guest_;
  for (const auto& t : threads_)
    if (t->core) n += t->core->retired_total();
  return n;
}

void Process::load() {
  const std::string name = opts_.program.string();
  const auto prog_bytes = read_bytes(opts_.program);
  if (!prog_bytes) throw InputError(name + ": cannot open the program");
  const LoadedElf prog = load_elf(mem_, *prog_bytes, name, ElfRole::kProgram);
  phdr_ = prog.phdr;
  phnum_ = prog.phnum;
  prog_entry_ = entry_ = prog.entry;
  mem_.brk_start = mem_.brk_cur = prog.end;
  if (prog.interp.empty()) return;
  // A dynamically linked program starts in its interpreter (the dynamic linker), which
  // finds the program through AT_PHDR and AT_ENTRY and loads its libraries itself.
  const std::string interp = host_path(opts_, prog.interp);
  const auto interp_bytes = read_bytes(interp);
  if (!interp_bytes)
    throw InputError(name + ": its interpreter " + prog.interp + " is not found" +
                     (opts_.sysroot.empty() ? std::string(" (give --sysroot DIR, the root its libraries are under)")
                                            : " under --sysroot " + opts_.sysroot.string() + " or on the host"));
  const LoadedElf ld = load_elf(mem_, *interp_bytes, interp, ElfRole::kInterpreter);
  interp_base_ = ld.bias;
  entry_ = ld.entry;
}

void Process::setup_stack() {
  const uint64_t base = kStackTop - kStackSize;
  mem_.map(base, kStackSize, kProtRead | kProtWrite);
  uint64_t sp = kStackTop;
  auto push_bytes = [&](const void* p, size_t n) {
    sp -= n;
    std::memcpy(mem_.host(sp), p, n);
    return sp;
  };
  auto push_str = [&](const std::string& s) { return push_bytes(s.c_str(), s.size() + 1); };
  // AT_EXECFN is the file name the program was executed by (execve's path), not argv[0].
  const std::string execfn = opts_.program.string();
  const uint64_t execfn_va = push_str(execfn);
  std::vector<uint64_t> argv_va, envp_va;
  for (const auto& a : opts_.argv) argv_va.push_back(push_str(a));
  for (const auto& e : opts_.envp) envp_va.push_back(push_str(e));
  uint8_t rnd[16];
  for (int i = 0; i < 2; ++i) {
    const uint64_t r = random_u64();
    std::memcpy(rnd + 8 * i, &r, 8);
  }
  const uint64_t random_va = push_bytes(rnd, 16);
  const std::string platform = "aarch64";
  const uint64_t platform_va = push_str(platform);
  hwcaps_ = hwcaps_of(core_->ids());
  std::vector<std::pair<uint64_t, uint64_t>> aux = {
      {AT_PHDR, phdr_},    {AT_PHENT, sizeof(Elf64_Phdr)}, {AT_PHNUM, phnum_}, {AT_PAGESZ, 4096},
      {AT_BASE, interp_base_}, {AT_FLAGS, 0}, {AT_ENTRY, prog_entry_},  {AT_UID, 0},   {AT_EUID, 0},
      {AT_GID, 0},         {AT_EGID, 0},    {AT_SECURE, 0},      {AT_HWCAP, hwcaps_.hwcap},
      {AT_HWCAP2, hwcaps_.hwcap2},    {AT_CLKTCK, 100}, {AT_RANDOM, random_va}, {AT_EXECFN, execfn_va},
      {AT_PLATFORM, platform_va}, {AT_NULL, 0}};
  const size_t words = 1 + argv_va.size() + 1 + envp_va.size() + 1 + 2 * aux.size();
  sp = (sp - words * 8) & ~0xfull;  // SP 16-byte aligned at entry (AAPCS64, Linux ABI)
  uint64_t w = sp;
  auto put = [&](uint64_t v) {
    cpu::guest_store<uint64_t>(mem_.host(w), v);
    w += 8;
  };
  put(argv_va.size());
  for (uint64_t a : argv_va) put(a);
  put(0);
  for (uint64_t e : envp_va) put(e);
  put(0);
  for (auto [k, v] : aux) {
    put(k);
    put(v);
  }
  core_->state().sp_el0 = sp;
}

int Process::new_fd(std::shared_ptr<OpenFile> f, int min_fd) {
  int fd = min_fd;
  while (files_.count(fd) != 0) ++fd;
  files_[fd] = std::move(f);
  return fd;
}

uint64_t Process::random_u64() {
  // splitmix64: reproducible from --seed.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Process::now_ns() const {
  // Emulated time: instructions at the clock of the pCPU that ran them (one cycle each), so
  // runs repeat. The instructions since the last switch of thread or pCPU are at the
  // current thread's clock; those before are in clock_base_ns_, so a switch to a cluster of
  // another frequency never steps the clock (a sleeping thread would otherwise wake far
  // too late, or at once).
  const uint64_t mhz = host_.cluster_of(threads_[cur_]->pcpu).core.timing.frequency_mhz;
  return clock_base_ns_ + (total_retired() - clock_base_insns_) * 1000 / (mhz == 0 ? 1000 : mhz) + skipped_ns_;
}

bool Process::wake_due() const {
  uint64_t next = UINT64_MAX;
  for (const auto& t : threads_)
    if (t->state == Thread::State::kSleeping || t->state == Thread::State::kFutexWait ||
        t->state == Thread::State::kIoWait)
      next = std::min(next, t->wake_ns);
  return next != UINT64_MAX && next <= now_ns();
}

void Process::rebase_clock() {
  clock_base_ns_ = now_ns() - skipped_ns_;
  clock_base_insns_ = total_retired();
}

Thread* Process::thread_by_tid(int tid) {
  for (const auto& t : threads_)
    if (t->tid == tid && t->state != Thread::State::kExited) return t.get();
  return nullptr;
}

void Process::set_thread_pcpu(Thread& t, uint32_t p) {
  if (&t == threads_[cur_].get()) return set_pcpu(p);
  if (p == t.pcpu) return;
  t.pcpu = p;
  t.core->set_ids(vmm::id_regs(host_.cluster_of(p).core));
  t.rseq_event = true;  // migrated: its rseq area is rewritten before it runs again
}

void Process::set_thread_name(const std::string& name) {
  Thread& t = thread();
  t.comm = name;
  for (const auto& [n, cpu] : opts_.thread_cpus) {
    if (n != name) continue;
    t.affinity = uint64_t{1} << cpu;
    set_thread_pcpu(t, cpu);
  }
}

void Process::rseq_resume() {
  Thread& t = *threads_[cur_];
  if (t.rseq == 0) return;
  // Linux's struct rseq: u32 cpu_id_start, u32 cpu_id, u64 rseq_cs, u32 flags, u32 node_id,
  // u32 mm_cid. The last two exist when the registered length covers them (6.3+).
  constexpr uint64_t kCpuIdStart = 0, kCpuId = 4, kCs = 8, kNodeId = 20, kMmCid = 24;
  if (!t.rseq_event && t.rseq_shown == t.pcpu) return;
  const bool event = std::exchange(t.rseq_event, false);
  // The program's PC: ELR_EL1 while the core sits in the exception vector (a system call
  // or fault being handled), else the core's own.
  const bool in_vector = core_->state().el != 0;
  const uint64_t pc = in_vector ? core_->sysreg(cpu::SysSlot::ELR_EL1) : core_->state().pc;
  uint64_t cs = 0;
  if (event && read(t.rseq + kCs, &cs, 8) && cs != 0) {
    // struct rseq_cs: u32 version, u32 flags, u64 start_ip, u64 post_commit_offset,
    // u64 abort_ip. Inside [start_ip, start_ip + post_commit_offset) the thread was
    // preempted or migrated in its critical section: it resumes at abort_ip, whose
    // preceding word must be the registered signature (else SIGSEGV, as Linux does).
    uint64_t d[4];
    if (!read(cs, d, sizeof d)) {
      fatal_signal_ = 11;  // SIGSEGV, ended here rather than through a handler
      fatal_reason_ = "rseq: unreadable rseq_cs";
      return;
    }
    const uint64_t start = d[1], len = d[2], abort_ip = d[3];
    if (pc - start < len) {
      uint32_t sig = 0;
      if (abort_ip < 4 || !read(abort_ip - 4, &sig, 4) || sig != t.rseq_sig || abort_ip - start < len) {
        fatal_signal_ = 11;
        fatal_reason_ = "rseq: abort handler without the registered signature";
        return;
      }
      if (in_vector) core_->set_sysreg(cpu::SysSlot::ELR_EL1, abort_ip);
      else core_->state().pc = abort_ip;
    }
    const uint64_t zero = 0;
    write(t.rseq + kCs, &zero, 8);
  }
  if (t.rseq_shown == t.pcpu) return;
  const uint32_t cpu = t.pcpu, node = 0;
  // mm_cid: a concurrency id, unique among the process's threads and below their number
  // (Linux compacts it among the threads running now; the thread's slot is such an id).
  const uint32_t cid = static_cast<uint32_t>(cur_);
  write(t.rseq + kCpuIdStart, &cpu, 4);
  write(t.rseq + kCpuId, &cpu, 4);
  if (t.rseq_len >= kNodeId + 4) write(t.rseq + kNodeId, &node, 4);
  if (t.rseq_len >= kMmCid + 4) write(t.rseq + kMmCid, &cid, 4);
  t.rseq_shown = cpu;
}

void Process::set_pcpu(uint32_t p) {
  if (p == threads_[cur_]->pcpu) return;
  rebase_clock();
  threads_[cur_]->pcpu = p;
  threads_[cur_]->rseq_event = true;  // rseq_migrate()
  // Moving to another cluster: the core now reports that cluster's identification.
  cpu::IdRegs ids = vmm::id_regs(host_.cluster_of(p).core);
  core_->set_ids(ids);
  sched_clock_ = now_ns();  // the clock now runs at the new pCPU's frequency
}

bool Process::read(uint64_t va, void* out, uint64_t len) const {
  if (!mem_.accessible(va, len, kProtRead)) return false;
  cpu::guest_copy(out, mem_.host(va), len);
  return true;
}

bool Process::write(uint64_t va, const void* in, uint64_t len) {
  if (!mem_.accessible(va, len, kProtWrite)) return false;
  cpu::guest_copy(mem_.host(va), in, len);
  if (len != 0) mem_.phys().note_write(va, len);
  return true;
}

std::optional<std::string> Process::read_string(uint64_t va, size_t max) const {
  std::string s;
  for (size_t i = 0; i < max; ++i) {
    char c;
    if (!read(va + i, &c, 1)) return std::nullopt;
    if (c == 0) return s;
    s.push_back(c);
  }
  return std::nullopt;
}

bool Process::handle_exception() {
  using cpu::SysSlot;
  const uint64_t esr = core_->sysreg(SysSlot::ESR_EL1);
  const uint64_t elr = core_->sysreg(SysSlot::ELR_EL1);
  const uint64_t far = core_->sysreg(SysSlot::FAR_EL1);
  const unsigned ec = static_cast<unsigned>(esr >> 26) & 0x3f;
  const uint64_t spsr = core_->sysreg(SysSlot::SPSR_EL1);
  if (((spsr >> 2) & 3) != 0)
    throw std::runtime_error("user mode: exception taken from EL1 (ESR " + std::to_string(esr) + ")");
  char where[96];
  std::snprintf(where, sizeof where, " at pc 0x%" PRIx64, elr);
  char addr[64];
  std::snprintf(addr, sizeof addr, " accessing 0x%" PRIx64, far);
  switch (ec) {
    case kEcSvc: {
      const uint64_t nr = core_->x(8);
      std::array<uint64_t, 6> a{};
      for (unsigned i = 0; i < 6; ++i) a[i] = core_->x(i);
      const long r = dispatch_syscall(*this, nr, a, opts_.trace_syscall);
      if (exit_code) return false;
      if (r == kRestartSyscall) {
        // The thread waits; when woken it executes the SVC again with the same arguments,
        // unless a signal interrupts the call first (deliver_signals()).
        core_->set_sysreg(SysSlot::ELR_EL1, elr - 4);
        thread().restarting = true;
        break;
      }
      thread().restarting = false;
      thread().io_deadline = 0;  // the call completed: a later wait starts afresh
      if (nr != 139) core_->set_x(0, static_cast<uint64_t>(r));  // rt_sigreturn restored X0 itself
      break;
    }
    case kEcDabtLow:
    case kEcIabtLow: {
      // DFSC/IFSC: a translation, access-flag or permission fault on a page its region
      // allows is demand paging (the descriptor is filled in and the access retried, ELR
      // still at the instruction); otherwise translation and permission faults are
      // SIGSEGV and alignment faults SIGBUS.
      const unsigned fsc = static_cast<unsigned>(esr) & 0x3f;
      const bool paging_fault = (fsc >= 0x04 && fsc <= 0x0f);  // translation, access flag, permission, levels 0-3
      const bool is_write = ec == kEcDabtLow && ((esr >> 6) & 1) != 0;
      if (paging_fault) {
        // A missing page of a userfaultfd-registered range: the thread waits for the handler
        // (handle_userfault()); ELR stays at the instruction, which runs again when woken.
        if (auto ctx = uffd_->missing_at(far); ctx != nullptr && mem_.accessible(far, 1, is_write ? kProtWrite : ec == kEcIabtLow ? kProtExec : 0)) {
          user_fault(ctx, far, is_write);
          break;
        }
        if (mem_.fault_in(far, is_write, ec == kEcIabtLow)) break;
      }
      const int sig = fsc == 0x21 ? kSigBus : kSigSegv;
      raise_signal(sig, std::string(sig == kSigBus ? "alignment fault" : "segmentation fault") + where + addr);
      break;
    }
    case kEcPcAlign:
    case kEcSpAlign:
      raise_signal(kSigBus, std::string(ec == kEcPcAlign ? "PC alignment fault" : "SP alignment fault") + where);
      break;
    case kEcBrk:
      raise_signal(kSigTrap, std::string("breakpoint (BRK)") + where);
      break;
    case kEcFp:
      raise_signal(kSigFpe, std::string("FP/SIMD access trapped") + where);
      break;
    case kEcUnknown:
    case kEcSys:
      if (emulate_id_read(elr)) {
        core_->set_sysreg(SysSlot::ELR_EL1, elr + 4);
        break;
      }
      [[fallthrough]];
    default:
      raise_signal(kSigIll, std::string("illegal instruction") + where);
      break;
  }
  return !fatal_signal_;
}

// Linux traps EL0 reads of the ID registers (MRS in the op0=3, op1=0, CRn=0 space; UNDEFINED
// at EL0) and emulates them when it advertises HWCAP_CPUID: MIDR and REVIDR as they are,
// MPIDR as 0x80000000, the AArch64 feature registers with only the fields user space may
// see, everything else in the space as zero.
bool Process::emulate_id_read(uint64_t pc) {
  uint32_t insn;
  if (!mem_.accessible(pc, 4, kProtExec)) return false;
  std::memcpy(&insn, mem_.host(pc), 4);
  // MRS Xt, S3_0_C0_Cm_op2: 1101 0101 0011 1000 0000 mmmm ppp ttttt
  if ((insn & 0xfffff000u) != 0xd5380000u) return false;
  const unsigned crm = (insn >> 8) & 0xf, op2 = (insn >> 5) & 7, rt = insn & 31;
  const cpu::IdRegs& ids = core_->ids();
  struct Visible {
    unsigned crm, op2;
    uint64_t value;
  };
  // User-visible fields: PFR0 keeps FP, AdvSIMD and EL0..EL3 ("AArch64 only"); ISAR0/ISAR1
  // are the instruction-set fields, all visible; the rest of the space reads as zero.
  const Visible table[] = {
      {0, 0, ids.midr},
      {0, 5, 0x80000000ull},
      {0, 6, ids.revidr},
      {4, 0, ids.id_aa64pfr0 & 0x0000000000ff0000ull},
      {6, 0, ids.id_aa64isar0},
      {6, 1, ids.id_aa64isar1},
  };
  uint64_t v = 0;
  if (crm == 0 && op2 != 0 && op2 != 5 && op2 != 6) return false;  // CTR-like neighbours stay UNDEFINED
  for (const Visible& e : table)
    if (e.crm == crm && e.op2 == op2) v = e.value;
  core_->set_x(rt, v);
  return true;
}

void Process::account_sched() {
  const uint64_t now = now_ns();
  // now_ns() runs at the current thread's clock: a switch to another cluster may step it
  // back, and nothing is charged for that step.
  const uint64_t delta = now > sched_clock_ ? now - sched_clock_ : 0;
  sched_clock_ = now;
  if (delta == 0) return;
  const Thread& running = *threads_[cur_];
  for (const auto& t : threads_) {
    if (t.get() == &running) t->sched.on_cpu_ns += delta;
    else if (t->state == Thread::State::kRunnable && t->pcpu == running.pcpu) t->sched.run_delay_ns += delta;
  }
}

std::optional<SchedStat> Process::sched_stat(int tid) const {
  // Charged up to the last switch point; the time since then (the calling thread's own
  // syscall, nothing else runs) goes the same way.
  const uint64_t now = now_ns();
  const uint64_t delta = now > sched_clock_ ? now - sched_clock_ : 0;
  const Thread& running = *threads_[cur_];
  for (const auto& t : threads_) {
    if (t->tid != tid || t->state == Thread::State::kExited) continue;
    SchedStat st = t->sched;
    if (t.get() == &running) st.on_cpu_ns += delta;
    else if (t->state == Thread::State::kRunnable && t->pcpu == running.pcpu) st.run_delay_ns += delta;
    return st;
  }
  return std::nullopt;
}

uint64_t Process::quantum_left() const {
  if (threads_.size() < 2) return UINT64_MAX;
  return kQuantum - std::min(kQuantum, total_retired() - turn_start_);
}

bool Process::contender() const {
  for (size_t i = 0; i < threads_.size(); ++i)
    if (i != cur_ && threads_[i]->state == Thread::State::kRunnable && !threads_[i]->yielded) return true;
  return false;
}

bool Process::schedule(bool preempt) {
  const size_t n = threads_.size();
  const size_t prev = cur_;
  const bool prev_runs_on = threads_[prev]->state == Thread::State::kRunnable;
  for (;;) {
    for (size_t k = 1; k <= n; ++k) {
      const size_t i = (cur_ + k) % n;
      Thread& t = *threads_[i];
      if (t.state == Thread::State::kSleeping && t.wake_ns <= now_ns()) {
        t.state = Thread::State::kRunnable;
      }
      // A waiting system call whose deadline passed runs again and times out.
      if (t.state == Thread::State::kIoWait && t.wake_ns <= now_ns()) t.state = Thread::State::kRunnable;
      if (t.state == Thread::State::kFutexWait && t.wake_ns <= now_ns()) {
        t.state = Thread::State::kRunnable;
        t.core->set_x(0, static_cast<uint64_t>(-110));  // -ETIMEDOUT
      }
      if (t.state == Thread::State::kRunnable && !(preempt && t.yielded && i != prev)) {
        t.yielded = false;
        rebase_clock();
        cur_ = i;
        core_ = t.core.get();
        // Switched in (sched_info.pcount); a thread that keeps its pCPU is not.
        if (i != prev || !prev_runs_on) ++t.sched.timeslices;
        if (i != prev) threads_[prev]->rseq_event = true;  // rseq_preempt() at the switch
        sched_clock_ = now_ns();  // at the new thread's clock from here on
        turn_start_ = total_retired();
        return true;
      }
    }
    // Every thread waits: emulated time jumps to the earliest deadline, as an idle CPU
    // would sleep until its timer fires.
    uint64_t next = UINT64_MAX;
    for (const auto& t : threads_)
      if (t->state == Thread::State::kSleeping || t->state == Thread::State::kFutexWait ||
          t->state == Thread::State::kIoWait)
        next = std::min(next, t->wake_ns);
    if (next == UINT64_MAX) return false;
    skipped_ns_ += next - now_ns();
  }
}

Outcome Process::run() {
  Outcome out;
  const auto start = std::chrono::steady_clock::now();
  auto hex = [](uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return std::string(b);
  };
  // The outcome of a process a signal ended: the status a shell shows, and why.
  auto killed = [&] {
    out.signal = fatal_signal_;
    out.exit_status = 128 + *fatal_signal_;
    out.reason = fatal_reason_;
  };
  for (;;) {
    rseq_resume();
    if (fatal_signal_) {  // an rseq abort handler the kernel would refuse
      killed();
      break;
    }
    // The quantum is the thread's turn, not one stretch between system calls: a thread
    // that makes a call every few thousand instructions (a vCPU thread in a KVM_RUN loop)
    // would otherwise never use one up, and a runnable thread beside it on the same
    // pCPU would never run. The guest instructions its KVM_RUN calls retired count too.
    bool turn_over = threads_.size() > 1 && total_retired() - turn_start_ >= kQuantum;
    // A sched_yield passes its thread over for a scheduler slice (Linux's is milliseconds,
    // many quanta here): a thread that yields while another spins (a vCPU thread in
    // KVM_RUN) competes for the pCPU again after kYieldSliceNs, instead of starving.
    if (turn_over)
      for (auto& t : threads_)
        if (t->yielded && now_ns() - t->yielded_at_ns >= kYieldSliceNs) t->yielded = false;
    if (turn_over && !contender()) {
      turn_start_ = total_retired();  // nobody else wants the pCPU: a new quantum
      turn_over = false;
    }
    if (threads_.size() > 1 && (turn_over || wake_due())) {
      // A sleeping thread whose time has come preempts the running one (Linux's wakeup
      // preemption), so a thread in usleep() wakes on time rather than a quantum later.
      account_sched();
      if (!schedule(true)) {
        out.signal = 9;
        out.exit_status = 128 + 9;
        out.reason = "every thread is blocked for ever (futex, file or userfault wait with no waker)";
        break;
      }
    }
    // Threads take turns in kQuantum instructions (deterministic round robin).
    uint64_t budget = threads_.size() > 1 ? quantum_left() : (1u << 22);
    if (budget == 0) budget = kQuantum;  // never a zero bound: Core::run(0) retires nothing
    if (opts_.max_insns != 0) {
      const uint64_t done = total_retired();
      if (done >= opts_.max_insns) {
        out.exit_status = kExitGuestFault;
        out.reason = "instruction limit (--max-insns " + std::to_string(opts_.max_insns) + ") reached at pc " +
                     hex(core_->state().pc);
        break;
      }
      budget = std::min(budget, opts_.max_insns - done);
    }
    deliver_signals();
    if (fatal_signal_) {  // a signal whose default action ends the process
      killed();
      break;
    }
    const cpu::RunResult r = core_->run(budget);
    account_sched();
    if (opts_.timeout_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > opts_.timeout_seconds) {
      out.exit_status = kExitGuestFault;
      out.reason = "wall-clock limit (--timeout) reached at pc " + hex(core_->state().pc);
      break;
    }
    bool ended = false;
    if (r.reason == cpu::ExitReason::kBudget || r.reason == cpu::ExitReason::kStopRequested) {
      // The quantum ran out: the top of the loop decides whether another thread wants it.
    } else if (r.reason == cpu::ExitReason::kHvc && core_->exit_imm() == kTrapImm) {
      ended = !handle_exception();
    } else {
      // Anything else (an access outside the program's memory that the MMU let through, an
      // exception loop) is a fault Linux would report as SIGSEGV.
      fatal_signal_ = kSigSegv;
      fatal_reason_ = "segmentation fault at pc " + hex(core_->state().pc);
      ended = true;
    }
    if (ended) {
      if (exit_code) out.exit_status = *exit_code & 0xff;
      else killed();
      break;
    }
    if (switch_now_) {
      switch_now_ = false;
      if (!schedule()) {
        out.signal = 9;
        out.exit_status = 128 + 9;
        out.reason = "every thread is blocked for ever (futex, file or userfault wait with no waker)";
        break;
      }
    }
  }
  out.instructions = total_retired();
  return out;
}

}  // namespace pmuemu::user
