// `pmuemu user`: an aarch64 Linux program (static, or dynamically linked with --sysroot) runs at EL0 on one emulated physical CPU of
// a host, with a Linux system-call layer in place of the kernel. The exception vectors of
// the emulated core hold `HVC #kTrapImm; ERET`: every exception the program takes (SVC,
// aborts, UNDEFINED) reaches the host through the HVC exit, which reads ESR/FAR/ELR_EL1,
// does what Linux would (a system call, a signal), and lets the ERET return to EL0.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpu/core.h"
#include "emu/config/host_config.h"
#include "emu/user/address_space.h"
#include "emu/user/hwcaps.h"

namespace pmuemu::user {

struct UserOptions {
  std::filesystem::path program;
  // --sysroot: the directory an absolute path the program opens is looked up in first
  // (its dynamic linker and libraries), as qemu-user's -L; empty: the host's paths only.
  std::filesystem::path sysroot;
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> envp;
  uint32_t vmm_cpu = 0;           // the pCPU the program starts on
  // --thread-cpu NAME=CPU: a thread that names itself NAME (prctl PR_SET_NAME, as
  // pthread_setname_np does for the calling thread) moves to that pCPU and stays there
  // (its affinity becomes that pCPU alone): taskset for a program, such as QEMU, that has
  // no option to place its vCPU threads.
  std::vector<std::pair<std::string, uint32_t>> thread_cpus;
  uint64_t max_insns = 0;         // 0: no limit
  double timeout_seconds = 0;     // wall clock; 0: none
  bool trace_syscall = false;
  bool trace_vmm = false;
  bool newest_uapi = false;      // --kvm-uapi newest (kvm_model::abi::Options::newest_uapi)
  std::FILE* trace = stderr;
  uint64_t seed = 0;              // getrandom / AT_RANDOM
  // execve: the command line that starts pmuemu user again on another program (the
  // options above, without the program); filled by the CLI.
  std::vector<std::string> reexec;
  int pid = 1;                    // the program's process id as it sees it
  // For the syscall fuzzer: no fork/execve, no host file opened for writing.
  bool sandbox = false;
};

// What a process ended with, as a shell reports it.
struct Outcome {
  int exit_status = 0;         // exit code, or 128 + signal
  std::optional<int> signal;   // set when a signal killed it
  std::string reason;          // for a signal or a limit: what happened, where
  uint64_t instructions = 0;
};

class Process;
struct Pipe;
struct Epoll;
struct Uffd;
class UserFaults;

// A system call that must wait (an empty pipe or uffd, epoll_pwait/ppoll with nothing
// ready, a vCPU's KVM_RUN stopped at a missing page): the calling thread blocks and
// executes its SVC again when woken (Linux's ERESTARTNOINTR; never seen by the program).
inline constexpr long kRestartSyscall = -513;
// KvmBackend::ioctl's KVM_RUN result when the guest touched a memory-slot page the
// program has registered with a userfaultfd and not filled (kvm_model::kRunWaitHostPage).
inline constexpr long kWaitHostPage = -512;

long dispatch_syscall(Process& p, uint64_t nr, const std::array<uint64_t, 6>& a, bool trace);

// A file descriptor's object. Host files wrap a host fd; pseudo files (/proc, /sys) are
// byte strings; /dev/kvm and its descendants are handled by a backend.
struct OpenFile {
  enum class Kind { kHost, kBytes, kKvm, kPipe, kEpoll, kUffd, kEventfd, kSignalfd } kind = Kind::kHost;
  bool nonblock = false;       // O_NONBLOCK (pipes, uffds)
  std::shared_ptr<Pipe> pipe;  // kPipe: the pipe, and which end this is
  bool pipe_write = false;
  std::shared_ptr<Epoll> epoll;  // kEpoll
  std::shared_ptr<Uffd> uffd;    // kUffd
  int host_fd = -1;            // kHost: owned unless it is 0/1/2
  std::string bytes;           // kBytes
  uint64_t offset = 0;         // kBytes
  int kvm_fd = -1;             // kKvm: the backend's descriptor
  uint64_t event_count = 0;    // kEventfd: the counter (dup'd descriptors share the object)
  bool event_semaphore = false;  // kEventfd: EFD_SEMAPHORE
  uint64_t signal_mask = 0;      // kSignalfd: the signals it reads
  const Process* signal_owner = nullptr;  // kSignalfd: whose pending signals it sees
  std::string path;
  ~OpenFile();
};

// Where /dev/kvm goes. The default backend refuses to open it (-ENOENT), so a program sees
// a machine without KVM.
class Process;

struct KvmBackend {
  virtual ~KvmBackend() = default;
  virtual int open_system() { return -2; }  // -ENOENT
  virtual long ioctl(int fd, unsigned long request, uint64_t arg) { return -25; }  // -ENOTTY
  // mmap of a KVM fd (the vCPU's kvm_run page) at the program address va, shared with the
  // model: false if the fd cannot be mapped there.
  // copy_on_write: a MAP_PRIVATE mapping (the page as it is until the program writes it).
  virtual bool map_shared(int fd, uint64_t va, uint64_t len, uint64_t offset, int prot, bool copy_on_write = false) {
    return false;
  }
  virtual void close(int fd) {}
  // Which of the program's pages are there (its userfaultfd registrations): the model's
  // memory slots ask it (cpu::HostPageGate). Not owned.
  virtual void set_host_page_gate(cpu::HostPageGate* gate) {}
  // The program dropped [va, va+len) of its memory (MADV_DONTNEED, munmap): the model
  // forgets what it derived from those pages, as Linux's MMU notifier makes KVM do.
  virtual void host_pages_dropped(uint64_t va, uint64_t len) {}
  // The pCPU the calling thread runs on (the VMM thread's placement matters to KVM).
  virtual void set_caller_pcpu(uint32_t pcpu) {}
  // The calling thread's run delay (its sched_info.run_delay, which KVM's stolen time
  // reports to the guest).
  virtual void set_caller_run_delay(uint64_t ns) {}
  // The instructions the guest retired inside the calling thread's KVM_RUN calls since the
  // last call of this (the pCPU time those calls took).
  virtual uint64_t take_guest_instructions() { return 0; }
  // The instructions the guest may retire in the calling thread's next KVM_RUN before the
  // thread's turn on its pCPU is over (UINT64_MAX: no bound), and whether the last KVM_RUN
  // stopped there rather than at an exit of its own.
  virtual void set_caller_budget(uint64_t insns) {}
  // The calling thread's pending signals (bit n-1: signal n), which KVM_RUN checks against
  // the vCPU's KVM_SET_SIGNAL_MASK.
  virtual void set_pending_signals(std::function<uint64_t()> pending) {}
  virtual bool take_preempted() { return false; }
  // The process whose eventfds KVM_IOEVENTFD and KVM_IRQFD name.
  virtual void set_eventfds(Process& p) {}
};

// A thread's scheduler statistics, the three fields of Linux's /proc/<tid>/schedstat:
// time on a pCPU, time runnable but waiting for its pCPU (sched_info.run_delay), and how
// many times it was switched in (sched_info.pcount). Emulated nanoseconds.
struct SchedStat {
  uint64_t on_cpu_ns = 0;
  uint64_t run_delay_ns = 0;
  uint64_t timeslices = 0;
};

// One thread of the program: its own core on the shared memory.
struct Thread {
  // kIoWait: in a system call that waits for a file (pipe, uffd, epoll, ppoll), retried
  // when any such file changes or at wake_ns; kPageWait: in a userfault on page wait_page,
  // until a UFFDIO_COPY/ZEROPAGE/WAKE or an unregistration covers it.
  enum class State : uint8_t { kRunnable, kFutexWait, kSleeping, kExited, kIoWait, kPageWait };
  int tid = 1;
  std::unique_ptr<cpu::Core> core;
  State state = State::kRunnable;
  uint64_t futex_addr = 0;
  uint64_t wake_ns = UINT64_MAX;  // kFutexWait with a timeout, kSleeping: when it wakes
  uint64_t clear_tid = 0;         // CLONE_CHILD_CLEARTID / set_tid_address
  uint64_t wait_page = 0;         // kPageWait
  // The deadline of the waiting system call being restarted (0: none in progress).
  uint64_t io_deadline = 0;
  uint32_t pcpu = 0;
  uint64_t affinity = ~0ull;
  std::string comm;  // the thread's name (at most 15 characters), as /proc/<tid>/comm
  SchedStat sched;
  // rseq(2) registration: the struct rseq's address (0: none), length and signature.
  uint64_t rseq = 0;
  uint32_t rseq_len = 0, rseq_sig = 0;
  // The CPU the registered area last showed (its cpu_id), UINT32_MAX when it must be
  // rewritten before the thread returns to the program.
  uint32_t rseq_shown = UINT32_MAX;
  bool rseq_event = false;  // switched out or migrated since it last ran (RSEQ_EVENT_PREEMPT)
  // It called sched_yield (at yielded_at_ns) and has not run since: the end of another
  // thread's quantum does not hand the pCPU back to it within a scheduler slice
  // (kYieldSliceNs), only that thread blocking, yielding or ending does.
  bool yielded = false;
  uint64_t yielded_at_ns = 0;
  // Signals: the thread's mask, and those sent to it (tgkill) not yet delivered; bit n-1
  // is signal n. A thread created by clone inherits the mask and has nothing pending.
  uint64_t sigmask = 0;
  uint64_t pending = 0;
  // Its last system call returned kRestartSyscall and runs again when the thread does:
  // a signal that arrives meanwhile interrupts it instead (EINTR, or the restart after
  // the handler with SA_RESTART).
  bool restarting = false;
};

class Process {
 public:
  Process(const config::Host& host, UserOptions opts, std::unique_ptr<KvmBackend> kvm = nullptr);
  ~Process();

  // Runs to exit, a fatal signal or a limit.
  Outcome run();

  // Runs one system call as if the current thread had executed SVC (the fuzzer's entry).
  long do_syscall(uint64_t nr, const std::array<uint64_t, 6>& a) { return dispatch_syscall(*this, nr, a, false); }
  bool ended() const { return exit_code.has_value() || fatal_signal_.has_value(); }

  // For the system-call layer.
  cpu::Core& core() { return *core_; }
  Thread& thread() { return *threads_[cur_]; }
  const Thread& thread() const { return *threads_[cur_]; }
  AddressSpace& mem() { return mem_; }
  const UserOptions& options() const { return opts_; }
  const config::Host& host() const { return host_; }
  KvmBackend& kvm() { return *kvm_; }
  std::map<int, std::shared_ptr<OpenFile>>& files() { return files_; }
  const std::map<int, std::shared_ptr<OpenFile>>& files() const { return files_; }
  int new_fd(std::shared_ptr<OpenFile> f, int min_fd = 0);
  uint64_t random_u64();
  uint64_t now_ns() const;  // emulated time since start
  uint32_t pcpu() const { return threads_[cur_]->pcpu; }
  // AT_HWCAP/AT_HWCAP2 as given at start (/proc/cpuinfo's Features line prints the same).
  const Hwcaps& hwcaps() const { return hwcaps_; }
  // The scheduler statistics of thread tid of this process (nullopt: no such thread), up
  // to now. Threads take turns on one emulated timeline: while one runs, every other
  // runnable thread placed on the same pCPU waits for it (run delay); a thread on another
  // pCPU would run in parallel on the real machine and accrues neither.
  std::optional<SchedStat> sched_stat(int tid) const;
  // sched_yield: the calling thread gives its pCPU to the next runnable thread.
  // What is left of the current thread's quantum (UINT64_MAX when it runs alone).
  uint64_t quantum_left() const;
  void yield() {
    threads_[cur_]->yielded = true;
    threads_[cur_]->yielded_at_ns = now_ns();
    switch_now_ = threads_.size() > 1;
  }
  void set_pcpu(uint32_t p);
  // The thread of this process with that tid, or null.
  Thread* thread_by_tid(int tid);
  // Every thread that has not exited.
  std::vector<Thread*> live_threads() {
    std::vector<Thread*> v;
    for (auto& t : threads_)
      if (t->state != Thread::State::kExited) v.push_back(t.get());
    return v;
  }
  // Moves a thread that is not running now to pCPU p (sched_setaffinity of another thread).
  void set_thread_pcpu(Thread& t, uint32_t p);
  // prctl(PR_SET_NAME) of the calling thread: its name, and the pCPU --thread-cpu gives it.
  void set_thread_name(const std::string& name);
  // rseq: before the current thread returns to the program, after it was switched in or
  // moved: the registered area's cpu_id_start, cpu_id, node_id and mm_cid show where it
  // runs, and a critical section it was in is aborted (rseq_handle_notify_resume).
  void rseq_resume();
  // Time the current thread spent in KVM_RUN, as instructions the guest retired on its pCPU:
  // emulated time passes while a vCPU thread runs its guest, as on the real machine (a VMM
  // thread that sleeps while its vCPU thread runs wakes after the guest's time, not after
  // the vCPU thread's own few instructions between runs).
  void add_guest_instructions(uint64_t n) { retired_guest_ += n; }
  // Waiting system calls (uffd.cpp). block_io: the calling thread waits until a file
  // changes (wake_io) or the deadline (UINT64_MAX: none); returns kRestartSyscall.
  long block_io(uint64_t deadline_ns);
  void wake_io();
  // A userfault of the calling thread at va in a range registered with ctx: the message is
  // queued and the thread waits for the page (its faulting instruction, or the SVC of its
  // KVM_RUN, runs again when woken).
  void user_fault(const std::shared_ptr<Uffd>& ctx, uint64_t va, bool write);
  // Wakes the threads waiting for a page of [va, va+len).
  void wake_pages(uint64_t va, uint64_t len);
  UserFaults& user_faults() { return *uffd_; }
  // Every thread's TLB (page-table edits that other threads' cores may have cached).
  void flush_tlbs();
  // MADV_DONTNEED: the pages of [va, va+len) are dropped (read as zero, or are missing to a
  // userfaultfd), for the program's threads and the KVM model alike.
  void drop_pages(uint64_t va, uint64_t len);
  // Threads (process_control.cpp): futex, sleeping in emulated time, thread exit.
  long futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout_va, uint64_t uaddr2, uint64_t val3);
  long sleep_ns(uint64_t ns);  // blocks the calling thread; 0
  void exit_thread(int code);
  struct SigAction {
    uint64_t handler = 0, flags = 0, restorer = 0, mask = 0;
  };
  std::array<SigAction, 65> sigactions{};
  uint64_t shared_pending = 0;  // sent to the process (kill), for any thread that accepts it
  // Sends signal sig (1..64) to thread t, or to the process when t is null (any thread
  // that does not block it takes it). A thread that waits (futex, sleep, file, a
  // preempted KVM_RUN) and accepts the signal is woken to take it.
  void send_signal(Thread* t, int sig);
  // The signals pending for thread t: sent to it or to the process.
  uint64_t pending(const Thread& t) const { return t.pending | shared_pending; }
  // The signals thread t would take now: pending and not blocked.
  uint64_t deliverable(const Thread& t) const { return pending(t) & ~t.sigmask; }
  uint64_t tid_address = 0;

  std::optional<int> exit_code;  // set by exit/exit_group

  // Reads/writes program memory with Linux's access checks: false (-EFAULT) if any byte is
  // not mapped with the access needed.
  bool read(uint64_t va, void* out, uint64_t len) const;
  bool write(uint64_t va, const void* in, uint64_t len);
  std::optional<std::string> read_string(uint64_t va, size_t max = 4096) const;

  // Delivers a synchronous signal: the program's handler if it has one, else the default
  // action (termination for the signals this layer raises).
  void raise_signal(int sig, const std::string& reason);
  // rt_sigreturn: restores the state the signal frame at SP holds.
  bool sigreturn();

  // Process control (process_control.cpp). fork: a host fork of pmuemu itself, so the child
  // has a copy of everything (memory, files, the KVM model) as a forked Linux process would;
  // execve: pmuemu user started again on the new program in the same host process.
  long clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t tls, uint64_t ctid);
  long wait4(int64_t pid, uint64_t status_va, uint64_t options);
  long execve(uint64_t path_va, uint64_t argv_va, uint64_t envp_va);
  int pid() const { return opts_.pid; }
  bool is_forked_child() const { return forked_child_; }

 private:
  void load();
  void setup_stack();
  // Before the current thread returns to the program: its deliverable signals run their
  // handlers (one frame each), are ignored, or end the process (default action).
  void deliver_signals();
  // Builds the signal frame of sig on the current thread and points it at the handler.
  // False if the frame does not fit (the process is then killed with SIGSEGV).
  bool push_signal_frame(int sig, const SigAction& act, const std::string& reason);
  bool handle_exception();  // false: the process ended
  bool emulate_id_read(uint64_t pc);
  long syscall(uint64_t nr);

  const config::Host& host_;
  UserOptions opts_;
  AddressSpace mem_;
  std::vector<std::unique_ptr<Thread>> threads_;
  size_t cur_ = 0;
  cpu::Core* core_ = nullptr;  // the current thread's core
  uint64_t skipped_ns_ = 0;    // emulated time that passed while every thread waited
  uint64_t retired_exited_ = 0;
  uint64_t retired_guest_ = 0;  // add_guest_instructions
  // now_ns(): the emulated time at the last thread or pCPU switch, and total_retired() then.
  uint64_t clock_base_ns_ = 0, clock_base_insns_ = 0;
  void rebase_clock();
  bool wake_due() const;  // a sleeping or timed-out thread's wake-up time has passed
  uint64_t turn_start_ = 0;  // total_retired() when the current thread's turn began
  static constexpr uint64_t kQuantum = 1u << 16;  // threads take turns in this many instructions
  // How long a sched_yield keeps its thread off the pCPU while another thread runs: CFS's
  // slice for 8 CPUs (0.75 ms scaled by 1 + log2(8)).
  static constexpr uint64_t kYieldSliceNs = 3'000'000;
  bool switch_now_ = false;    // the current thread blocked or exited
  std::unique_ptr<cpu::Core> make_core(uint32_t pcpu);
  // Picks the next runnable thread; false if none can ever run. At the end of a quantum
  // (preempt), threads that yielded are passed over.
  bool schedule(bool preempt = false);
  bool contender() const;  // another thread is runnable and did not yield
  // Charges the emulated time since the last call: on-CPU time to the running thread, run
  // delay to the runnable threads waiting on its pCPU.
  void account_sched();
  uint64_t sched_clock_ = 0;   // now_ns() at the last account_sched()
  Hwcaps hwcaps_;
  uint64_t total_retired() const;
  std::unique_ptr<UserFaults> uffd_;  // before kvm_: the model holds it as its page gate
  std::unique_ptr<KvmBackend> kvm_;
  std::map<int, std::shared_ptr<OpenFile>> files_;
  uint64_t rng_;
  uint64_t entry_ = 0, phdr_ = 0, phnum_ = 0;
  uint64_t prog_entry_ = 0, interp_base_ = 0;  // AT_ENTRY, AT_BASE (0: no interpreter)
  uint64_t sigtramp_ = 0;  // the rt_sigreturn trampoline a handler returns to (no SA_RESTORER)
  std::optional<int> fatal_signal_;
  std::string fatal_reason_;
  int next_pid_ = 2;
  bool forked_child_ = false;
  std::map<int, int> children_;  // program pid -> host pid
};

// The system-call table (syscalls.cpp): Linux arm64 numbers to handlers.
long dispatch_syscall(Process& p, uint64_t nr, const std::array<uint64_t, 6>& a, bool trace);

}  // namespace pmuemu::user
