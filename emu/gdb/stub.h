// A gdb remote-serial-protocol stub for `pmuemu run --gdb` (docs/gdb.md): all-stop mode,
// each vCPU a thread, registers through the VMM's ONE_REG calls, memory by guest virtual
// address through the vCPU's own stage-1 translation, breakpoints and watchpoints checked
// by the emulator between instructions (guest memory is never patched).
//
// The VMM keeps its scheduler: it hands each KVM_RUN quantum to run_quantum(), which runs it
// whole when nothing is being debugged, or in single instructions while breakpoints,
// watchpoints or a step are pending, and stops the VM (serving gdb) where one hits.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "emu/gdb/data_access.h"
#include "emu/gdb/packet.h"

namespace cpu {
class PhysMem;
}

namespace pmuemu::gdb {

// Exit status of a run gdb killed (k, vKill): 128 + SIGKILL, as a shell reports a process
// killed that way (docs/cli.md).
inline constexpr int kExitDebuggerKill = 137;

// What the stub needs of the VMM. Register ids are KVM ONE_REG ids; values have
// one_reg_size(id) bytes, little-endian. false: the call was refused.
class Target {
 public:
  virtual ~Target() = default;
  virtual unsigned vcpu_count() const = 0;
  virtual bool get_reg(unsigned vcpu, uint64_t id, void* value) = 0;
  virtual bool set_reg(unsigned vcpu, uint64_t id, const void* value) = 0;
  virtual bool powered_off(unsigned vcpu) = 0;
  // Guest physical memory (RAM only); writes drop decoded code of the pages they touch.
  virtual const cpu::PhysMem& phys() = 0;
  virtual void write_phys(uint64_t pa, const void* src, uint64_t len) = 0;
};

// One KVM_RUN of a quantum's piece: its result and what it retired.
struct RunPiece {
  int rc = 0;              // KVM_RUN's return value
  uint64_t retired = 0;    // instructions retired
  bool interrupted = true; // exit reason KVM_EXIT_INTR: nothing for the VMM to serve
  uint32_t exit_reason = 0;   // kvm_run's exit_reason
  uint32_t fail_entry_cpu = 0;  // KVM_EXIT_FAIL_ENTRY: the pCPU the entry failed on
};

// The project's events gdb can stop on (`monitor stop-on EVENT on|off`, docs/gdb.md).
enum class StopOn : uint8_t { kReset, kPsci, kFailEntry, kPmuOverflow, kCount };
using RunFn = std::function<RunPiece(uint64_t budget)>;

// Where gdb connects: "PORT" or "tcp::PORT" (127.0.0.1; 0 picks a free port) or
// "unix:PATH". Throws UsageError for anything else.
struct Endpoint {
  bool unix_socket = false;
  uint16_t port = 0;
  std::string path;
};
Endpoint parse_endpoint(const std::string& text);

class Stub {
 public:
  // Binds and listens (before the VM is built, so a busy port costs no guest time) and
  // prints where on `log`. Throws InputError when the socket cannot be bound.
  Stub(const Endpoint& where, std::FILE* log);
  ~Stub();
  Stub(const Stub&) = delete;
  Stub& operator=(const Stub&) = delete;

  // The port bound (TCP), for the message and tests.
  uint16_t port() const { return port_; }

  // The VM exists: registers and memory can be served. `abort` is polled while waiting for
  // gdb, so SIGINT/SIGTERM/--timeout still end the run.
  void attach(Target& target, std::function<bool()> abort);
  // Before the first instruction: waits for gdb to connect and serves it until it resumes.
  void wait_for_debugger();
  // Runs vCPU `vcpu`'s quantum of `budget` instructions through `run`. Returns the last
  // piece's KVM_RUN result; `retired` receives the quantum's total.
  int run_quantum(unsigned vcpu, uint64_t budget, const RunFn& run, uint64_t& retired);
  // An event of the VM on `vcpu` (emu/gdb/events.h reports them from the KVM model's
  // tracepoint). true: gdb asked to stop on it, and the vCPU stops at its next instruction
  // boundary, so the caller ends the vCPU's KVM_RUN there (request_immediate_exit).
  bool note_event(unsigned vcpu, StopOn what, std::string text);
  // gdb asked to kill the VM (k, vKill): the run ends with kExitDebuggerKill.
  bool killed() const { return killed_; }
  // The run is over with this exit status: tells gdb (W packet) and closes the connection.
  void guest_exited(int status);

  // The protocol layer alone (tests, and the run loop through serve()): handles one packet
  // and returns the reply payload; resumes when it sets resume. No reply for nullopt.
  std::optional<std::string> handle(const std::string& packet);
  bool resumed() const { return resume_; }

 private:
  enum class Action : uint8_t { kStop, kContinue, kStep };
  struct Watch {
    uint64_t addr, len;
    char type;  // '2' write, '3' read, '4' access
    std::vector<uint8_t> last;  // contents when last looked (write watchpoints)
  };

  void accept_client();
  void send_packet(const std::string& payload);
  bool send_raw(const std::string& bytes);
  // Reads what gdb sent: 1 bytes arrived, 0 nothing within timeout_ms, -1 the connection
  // is gone.
  int receive(int timeout_ms);
  // Stops the VM on `vcpu` with this stop reply and serves gdb until it resumes.
  // `message`, when given, goes to gdb's console first (an O packet): what the stop is.
  void stop_and_serve(unsigned vcpu, const std::string& reply, const std::string& message = {});
  // The events noted on `vcpu` since it last stopped, as one console message ("" if none).
  std::string take_events(unsigned vcpu);
  std::string monitor(const std::string& command);
  void serve();
  void disconnect();
  bool interrupt_pending();  // a 0x03 arrived while the guest ran
  bool debugging(unsigned vcpu) const;
  std::string stop_reply(unsigned vcpu, int signal, const std::string& extra = {}) const;

  // Packet handlers.
  std::string query(const std::string& p);
  std::string set_thread(const std::string& p);
  std::string read_all_regs();
  std::string write_all_regs(const std::string& p);
  std::string read_reg(const std::string& p);
  std::string write_reg(const std::string& p);
  std::string read_mem(const std::string& p);
  std::string write_mem(const std::string& p, bool binary);
  std::string breakpoint(const std::string& p, bool insert);
  std::optional<std::string> vcont(const std::string& p);
  std::optional<std::string> resume_all(Action a, const std::string& p);

  // Registers by gdb number (the order of target.xml): value bytes, empty if unknown.
  std::vector<uint8_t> get_gdb_reg(unsigned vcpu, unsigned regno);
  bool set_gdb_reg(unsigned vcpu, unsigned regno, const uint8_t* bytes, size_t n);
  // Guest virtual memory of `vcpu` as its stage-1 translation maps it; bytes read or
  // written before the first unmapped one.
  template <class CopyChunk>
  size_t walk_virt(unsigned vcpu, uint64_t va, size_t n, CopyChunk copy);
  size_t read_virt(unsigned vcpu, uint64_t va, uint8_t* out, size_t n);
  size_t write_virt(unsigned vcpu, uint64_t va, const uint8_t* in, size_t n);
  std::optional<uint64_t> translate(unsigned vcpu, uint64_t va);
  uint64_t pc_of(unsigned vcpu);
  // A write watchpoint whose bytes changed: its address.
  std::optional<uint64_t> watch_hit(unsigned vcpu);
  void refresh_watches(unsigned vcpu);
  // Read and access watchpoints: the data access of the instruction at the vCPU's PC, and
  // the watchpoint it touches.
  bool watching_reads() const;
  std::optional<DataAccess> next_access(unsigned vcpu);
  const Watch* read_watch_hit(const DataAccess& a) const;

  int listen_fd_ = -1, fd_ = -1;
  uint16_t port_ = 0;
  std::string unix_path_;
  std::FILE* log_;
  Target* target_ = nullptr;
  std::function<bool()> abort_;
  Reader reader_;
  std::vector<Event> events_;
  bool no_ack_ = false;
  std::string last_sent_;
  bool resume_ = false;
  bool killed_ = false;
  bool detached_ = false;
  unsigned g_thread_ = 0, c_thread_ = 0;  // vCPUs selected by Hg and Hc
  std::vector<Action> action_;            // per vCPU, from the last resume
  std::vector<uint8_t> skip_break_;       // per vCPU: resuming from a stop at a breakpoint
  std::map<uint64_t, unsigned> breaks_;   // address -> insertions (Z0 and Z1)
  std::vector<Watch> watches_;
  std::string last_stop_;                 // the reply to '?'
  struct PendingStop {
    unsigned vcpu;
    std::string reply, message;
  };
  std::optional<PendingStop> pending_stop_;  // to report before running on
  std::optional<unsigned> running_;          // the vCPU inside a KVM_RUN piece now
  std::optional<std::pair<unsigned, uint64_t>> watch_stop_at_;  // vCPU, PC of the last read/access watch stop
  bool exit_pending_ = false;                // stopped before the VMM serves an exit (FAIL_ENTRY, SYSTEM_OFF)
  uint64_t since_poll_ = 0;               // instructions since the socket was last polled
  std::array<bool, static_cast<size_t>(StopOn::kCount)> stop_on_{};  // monitor stop-on
  struct Noted {
    StopOn what;
    std::string text;
  };
  std::vector<std::vector<Noted>> noted_;  // per vCPU: events to stop on, not yet reported
  std::string last_event_;                 // the message of the last event stop (monitor stop-reason)
};

}  // namespace pmuemu::gdb
