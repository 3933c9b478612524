#include "emu/gdb/stub.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "cpu/arch/sysreg_key.h"
#include "cpu/mmu/walk.h"
#include "cpu/phys_mem.h"
#include "emu/common/errors.h"
#include "emu/gdb/data_access.h"
#include "emu/gdb/registers.h"
#include "kvm_model/uapi.h"

namespace pmuemu::gdb {
namespace {

// Signals of stop replies (gdb's numbering, the same as Linux's for these).
constexpr int kSigInt = 2, kSigTrap = 5;

// While gdb has nothing to check between instructions, a quantum runs in pieces of this
// many instructions, between which the socket is polled for Ctrl-C.
constexpr uint64_t kPollEvery = 1u << 16;

// The registers a stage-1 walk depends on (EL1&0 regime), by ONE_REG id.
constexpr uint64_t kSctlr = arch::sysreg(3, 0, 1, 0, 0).to_one_reg_id();
constexpr uint64_t kTtbr0 = arch::sysreg(3, 0, 2, 0, 0).to_one_reg_id();
constexpr uint64_t kTtbr1 = arch::sysreg(3, 0, 2, 0, 1).to_one_reg_id();
constexpr uint64_t kTcr = arch::sysreg(3, 0, 2, 0, 2).to_one_reg_id();
constexpr uint64_t kMair = arch::sysreg(3, 0, 10, 2, 0).to_one_reg_id();
constexpr uint64_t kMmfr0 = arch::sysreg(3, 0, 0, 7, 0).to_one_reg_id();

// ID_AA64MMFR0_EL1.PARange -> physical address bits (Arm ARM D19.2).
constexpr unsigned kPaRangeBits[] = {32, 36, 40, 42, 44, 48, 52};

std::string hex_u64(uint64_t v) {
  char b[20];
  std::snprintf(b, sizeof b, "%" PRIx64, v);
  return b;
}

// "addr,len" of m/M/X/Z packets.
bool parse_addr_len(std::string_view s, uint64_t& addr, uint64_t& len) {
  const auto comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  const auto a = parse_hex_u64(s.substr(0, comma));
  const auto l = parse_hex_u64(s.substr(comma + 1));
  if (!a || !l) return false;
  addr = *a;
  len = *l;
  return true;
}

// `monitor stop-on` names, by StopOn.
constexpr std::pair<std::string_view, StopOn> kStopOnNames[] = {
    {"reset", StopOn::kReset}, {"psci", StopOn::kPsci}, {"fail-entry", StopOn::kFailEntry},
    {"pmu-overflow", StopOn::kPmuOverflow}};

// PMOVSSET_EL0: which counters overflowed, for the PMU overflow stop's message.
constexpr uint64_t kPmovsset = arch::sysreg(3, 3, 9, 14, 3).to_one_reg_id();

constexpr const char* kErrArgs = "E01";     // malformed arguments
constexpr const char* kErrFault = "E0e";    // EFAULT: no memory there
constexpr const char* kErrNoThread = "E02"; // no such thread / register

}  // namespace

Endpoint parse_endpoint(const std::string& text) {
  Endpoint e;
  if (text.rfind("unix:", 0) == 0) {
    e.unix_socket = true;
    e.path = text.substr(5);
    if (e.path.empty() || e.path.size() >= sizeof(sockaddr_un{}.sun_path))
      throw UsageError("--gdb: unix:PATH needs a path of 1 to " + std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                       " bytes, got '" + text + "'");
    return e;
  }
  std::string port = text;
  if (port.rfind("tcp::", 0) == 0) port = port.substr(5);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    throw UsageError("--gdb: expected PORT (0..65535, 0 picks a free one), tcp::PORT or unix:PATH, got '" + text + "'");
  e.port = static_cast<uint16_t>(std::stoul(port));
  return e;
}

Stub::Stub(const Endpoint& where, std::FILE* log) : log_(log) {
  if (where.unix_socket) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, where.path.c_str(), where.path.size() + 1);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1) != 0) {
      const std::string why = std::strerror(errno);
      if (listen_fd_ >= 0) ::close(listen_fd_);
      throw InputError(where.path + ": cannot listen for gdb: " + why);
    }
    unix_path_ = where.path;
    std::fprintf(log_, "pmuemu: gdb: waiting for a connection on %s (gdb: target remote %s)\n", where.path.c_str(),
                 where.path.c_str());
  } else {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (listen_fd_ >= 0) ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(where.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      const std::string why = std::strerror(errno);
      if (listen_fd_ >= 0) ::close(listen_fd_);
      throw InputError("127.0.0.1:" + std::to_string(where.port) + ": cannot listen for gdb: " + why);
    }
    port_ = ntohs(a.sin_port);
    std::fprintf(log_, "pmuemu: gdb: waiting for a connection on 127.0.0.1:%u (gdb: target remote :%u)\n", port_, port_);
  }
  std::fflush(log_);
}

Stub::~Stub() {
  if (fd_ >= 0) ::close(fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void Stub::attach(Target& target, std::function<bool()> abort) {
  target_ = &target;
  abort_ = std::move(abort);
  action_.assign(target.vcpu_count(), Action::kStop);
  skip_break_.assign(target.vcpu_count(), 0);
  breaks_.clear();
  watches_.clear();
  g_thread_ = c_thread_ = 0;
  pending_stop_.reset();
  noted_.assign(target.vcpu_count(), {});
  last_stop_ = stop_reply(0, kSigTrap);
}

bool Stub::note_event(unsigned vcpu, StopOn what, std::string text) {
  if (target_ == nullptr || detached_ || killed_ || vcpu >= noted_.size() || !stop_on_[static_cast<size_t>(what)])
    return false;
  noted_[vcpu].push_back({what, std::move(text)});
  // Only a vCPU inside KVM_RUN needs ending there; one outside it (a reset by the VMM's
  // KVM_ARM_VCPU_INIT) stops before its next instruction anyway.
  return running_ == vcpu;
}

std::string Stub::take_events(unsigned vcpu) {
  std::string m;
  for (const Noted& n : noted_[vcpu]) {
    m += "pmuemu: " + n.text;
    if (n.what == StopOn::kPmuOverflow) {
      uint64_t ovs = 0;
      if (target_->get_reg(vcpu, kPmovsset, &ovs)) m += " (PMOVSSET_EL0 0x" + hex_u64(ovs) + ")";
    }
    m += "\n";
  }
  noted_[vcpu].clear();
  if (!m.empty()) last_event_ = m;
  return m;
}

void Stub::accept_client() {
  while (fd_ < 0) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, 100);
    if (abort_ && abort_()) return;
    if (n <= 0) continue;
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on a unix socket
  // One debugger per run: the listening socket is done.
  ::close(listen_fd_);
  listen_fd_ = -1;
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
    unix_path_.clear();
  }
  std::fprintf(log_, "pmuemu: gdb: connected\n");
  std::fflush(log_);
}

void Stub::wait_for_debugger() {
  accept_client();
  if (fd_ < 0) return;  // stopped (SIGINT, --timeout) before gdb came
  serve();
}

bool Stub::send_raw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void Stub::send_packet(const std::string& payload) {
  last_sent_ = frame(payload);
  if (fd_ >= 0 && !send_raw(last_sent_)) disconnect();
}

int Stub::receive(int timeout_ms) {
  if (fd_ < 0) return -1;
  pollfd p{fd_, POLLIN, 0};
  const int n = ::poll(&p, 1, timeout_ms);
  if (n == 0 || (n < 0 && errno == EINTR)) return 0;
  char buf[4096];
  const ssize_t got = n < 0 ? -1 : ::recv(fd_, buf, sizeof buf, 0);
  if (got < 0 && errno == EINTR) return 0;
  if (got <= 0) return -1;
  reader_.feed(std::string_view(buf, static_cast<size_t>(got)), events_);
  return 1;
}

void Stub::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // gdb gone: the guest runs on, as after a detach.
  detached_ = true;
  resume_ = true;
  breaks_.clear();
  watches_.clear();
  stop_on_.fill(false);
  std::fill(action_.begin(), action_.end(), Action::kContinue);
}

void Stub::serve() {
  resume_ = false;
  while (!resume_) {
    if (events_.empty()) {
      const int r = receive(100);
      if (r < 0) {
        std::fprintf(log_, "pmuemu: gdb: connection closed; the guest runs on\n");
        std::fflush(log_);
        disconnect();
        return;
      }
      if (r == 0 && abort_ && abort_()) {
        // SIGINT, SIGTERM or --timeout: the run loop ends the run at its next check.
        std::fill(action_.begin(), action_.end(), Action::kContinue);
        resume_ = true;
        return;
      }
      continue;
    }
    const Event e = std::move(events_.front());
    events_.erase(events_.begin());
    switch (e.kind) {
      case Event::kPacket: {
        if (!no_ack_ && !send_raw("+")) {
          disconnect();
          return;
        }
        const auto reply = handle(e.payload);
        if (reply) send_packet(*reply);
        // (Unless the VMM has an exit to serve first: SYSTEM_OFF has powered every vCPU off.)
        if (resume_ && !killed_ && !detached_ && !exit_pending_) {
          // Nothing gdb resumed can run (a step of a powered-off vCPU, every thread left
          // stopped): the VM stays stopped and says so at once.
          unsigned runnable = 0, step = c_thread_;
          for (unsigned v = 0; v < action_.size(); ++v) {
            if (action_[v] == Action::kStep) step = v;
            runnable += action_[v] != Action::kStop && !target_->powered_off(v);
          }
          if (runnable == 0) {
            resume_ = false;
            last_stop_ = stop_reply(step, kSigTrap);
            std::fill(action_.begin(), action_.end(), Action::kStop);
            send_packet(last_stop_);
          }
        }
        break;
      }
      case Event::kBadPacket:
        if (!no_ack_ && !send_raw("-")) disconnect();
        break;
      case Event::kNak:
        if (!last_sent_.empty() && !send_raw(last_sent_)) disconnect();
        break;
      case Event::kAck:
      case Event::kInterrupt:  // already stopped
        break;
    }
    if (fd_ < 0) return;
  }
  if (detached_) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool Stub::interrupt_pending() {
  if (fd_ < 0) return false;
  if (receive(0) < 0) {
    disconnect();
    return false;
  }
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (it->kind == Event::kInterrupt) {
      events_.erase(it);
      return true;
    }
  }
  return false;
}

bool Stub::debugging(unsigned vcpu) const {
  return action_[vcpu] == Action::kStep || !breaks_.empty() || !watches_.empty();
}

std::string Stub::stop_reply(unsigned vcpu, int signal, const std::string& extra) const {
  char b[8];
  std::snprintf(b, sizeof b, "T%02x", signal);
  return b + extra + "thread:" + hex_u64(vcpu + 1) + ";";
}

void Stub::stop_and_serve(unsigned vcpu, const std::string& reply, const std::string& message) {
  last_stop_ = reply;
  g_thread_ = c_thread_ = vcpu;
  std::fill(action_.begin(), action_.end(), Action::kStop);
  // Console output gdb prints before it reports the stop (the O packet of a running target).
  if (!message.empty()) send_packet("O" + to_hex(message));
  send_packet(reply);
  if (fd_ < 0) return;
  serve();
}

int Stub::run_quantum(unsigned vcpu, uint64_t budget, const RunFn& run, uint64_t& retired) {
  retired = 0;
  if (pending_stop_) {
    const PendingStop p = *pending_stop_;
    pending_stop_.reset();
    stop_and_serve(p.vcpu, p.reply, p.message);
  }
  if (killed_ || (!detached_ && action_[vcpu] == Action::kStop)) {
    // Left stopped by gdb: KVM_RUN with no budget only completes a pending MMIO read.
    const RunPiece r = run(0);
    return r.rc;
  }
  uint64_t left = budget;
  RunPiece r{-EINTR, 0, true};
  while (left > 0) {
    if (detached_) {
      r = run(left);
      retired += r.retired;
      return r.rc;
    }
    if (killed_ || action_[vcpu] == Action::kStop) break;
    if (!noted_[vcpu].empty()) {
      // An event that came while the vCPU was out of KVM_RUN (a reset by the VMM).
      const std::string m = take_events(vcpu);
      stop_and_serve(vcpu, stop_reply(vcpu, kSigTrap), m);
      continue;
    }
    const bool fine = debugging(vcpu);
    if (fine && !skip_break_[vcpu] && !breaks_.empty() && breaks_.count(pc_of(vcpu))) {
      stop_and_serve(vcpu, stop_reply(vcpu, kSigTrap, "swbreak:;"));
      continue;
    }
    // Read and access watchpoints stop before the accessing instruction, as an AArch64
    // watchpoint exception does: gdb steps it itself (with the watchpoints removed) and
    // then shows the value.
    // Resumed where such a stop was made, the instruction runs (gdb removes watchpoints to
    // step over it, a client that does not must not stop there forever).
    if (fine && watching_reads() && watch_stop_at_ != std::pair{vcpu, pc_of(vcpu)})
      if (const auto access = next_access(vcpu))
        if (const Watch* w = read_watch_hit(*access)) {
          watch_stop_at_ = {vcpu, pc_of(vcpu)};
          stop_and_serve(vcpu, stop_reply(vcpu, kSigTrap, std::string(w->type == '3' ? "rwatch:" : "awatch:") +
                                                              hex_u64(std::max(w->addr, access->va)) + ";"));
          continue;
        }
    skip_break_[vcpu] = 0;
    if (!watches_.empty()) refresh_watches(vcpu);
    const uint64_t piece = fine ? 1 : std::min(left, kPollEvery);
    running_ = vcpu;
    r = run(piece);
    running_.reset();
    if (r.retired > 0 && watch_stop_at_ && watch_stop_at_->first == vcpu) watch_stop_at_.reset();
    retired += r.retired;
    left -= std::min(left, r.retired);
    since_poll_ += r.retired;
    std::string why, message;
    if (!r.interrupted && r.exit_reason == kvm_model::KVM_EXIT_FAIL_ENTRY)
      note_event(vcpu, StopOn::kFailEntry,
                 "vCPU " + std::to_string(vcpu) + ": KVM_RUN failed entry: KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED) on pCPU " +
                     std::to_string(r.fail_entry_cpu));
    if (!noted_[vcpu].empty()) {
      why = stop_reply(vcpu, kSigTrap);
      message = take_events(vcpu);
    }
    if (why.empty() && !watches_.empty())
      if (const auto a = watch_hit(vcpu)) why = stop_reply(vcpu, kSigTrap, "watch:" + hex_u64(*a) + ";");
    if (why.empty() && action_[vcpu] == Action::kStep) why = stop_reply(vcpu, kSigTrap);
    if (!why.empty()) {
      // The VMM serves an exit the guest goes on from first (semihosting, MMIO): gdb hears
      // of the stop after it. One that ends the run (FAIL_ENTRY, SYSTEM_OFF) is stopped
      // before, and served when gdb resumes.
      if (!r.interrupted && (r.exit_reason == kvm_model::KVM_EXIT_MMIO || r.exit_reason == kvm_model::KVM_EXIT_DEBUG)) {
        pending_stop_ = PendingStop{vcpu, why, message};
        return r.rc;
      }
      exit_pending_ = !r.interrupted;
      stop_and_serve(vcpu, why, message);
      if (exit_pending_) {
        exit_pending_ = false;
        return r.rc;
      }
      continue;
    }
    // Ctrl-C: looked for every kPollEvery instructions, and whenever the vCPU made no
    // progress (halted in WFI), so an idle guest can be interrupted too.
    if (r.interrupted && (since_poll_ >= kPollEvery || r.retired == 0)) {
      since_poll_ = 0;
      if (interrupt_pending()) {
        stop_and_serve(vcpu, stop_reply(vcpu, kSigInt));
        continue;
      }
    }
    if (!r.interrupted || r.retired == 0) return r.rc;
  }
  return r.rc;
}

void Stub::guest_exited(int status) {
  if (fd_ < 0) return;
  if (!killed_) {
    char b[8];
    std::snprintf(b, sizeof b, "W%02x", status & 0xff);
    send_packet(b);
  }
  ::close(fd_);
  fd_ = -1;
}

// ---------------- packets ----------------

std::optional<std::string> Stub::handle(const std::string& p) {
  if (p.empty()) return std::string();
  switch (p[0]) {
    case '?': return last_stop_;
    case 'q': return query(p);
    case 'Q':
      if (p == "QStartNoAckMode") {
        no_ack_ = true;
        return std::string("OK");
      }
      return std::string();
    case 'H': return set_thread(p);
    case 'g': return read_all_regs();
    case 'G': return write_all_regs(p);
    case 'p': return read_reg(p);
    case 'P': return write_reg(p);
    case 'm': return read_mem(p);
    case 'M': return write_mem(p, false);
    case 'X': return write_mem(p, true);
    case 'Z': return breakpoint(p, true);
    case 'z': return breakpoint(p, false);
    case 'c': case 'C': return resume_all(Action::kContinue, p);
    case 's': case 'S': return resume_all(Action::kStep, p);
    case 'v': return vcont(p);
    case 'T': {
      const auto t = parse_hex_u64(p.substr(1));
      return std::string(t && *t >= 1 && *t <= target_->vcpu_count() ? "OK" : kErrNoThread);
    }
    case 'D':
      breaks_.clear();
      watches_.clear();
      std::fill(action_.begin(), action_.end(), Action::kContinue);
      stop_on_.fill(false);
      detached_ = true;
      resume_ = true;
      std::fprintf(log_, "pmuemu: gdb: detached; the guest runs on\n");
      std::fflush(log_);
      return std::string("OK");
    case 'k':
      killed_ = true;
      resume_ = true;
      return std::nullopt;
    default: return std::string();  // not supported: the empty reply
  }
}

std::string Stub::query(const std::string& p) {
  if (p.rfind("qSupported", 0) == 0)
    return "PacketSize=" + hex_u64(kMaxPacket) +
           ";qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+";
  if (p == "qAttached") return "1";
  if (p == "qC") return "QC" + hex_u64(g_thread_ + 1);
  if (p == "qfThreadInfo") {
    std::string s = "m";
    for (unsigned v = 0; v < target_->vcpu_count(); ++v) s += (v ? "," : "") + hex_u64(v + 1);
    return s;
  }
  if (p == "qsThreadInfo") return "l";
  if (p.rfind("qThreadExtraInfo,", 0) == 0) {
    const auto t = parse_hex_u64(p.substr(17));
    if (!t || *t < 1 || *t > target_->vcpu_count()) return kErrNoThread;
    const unsigned v = static_cast<unsigned>(*t - 1);
    return to_hex("vCPU " + std::to_string(v) + (target_->powered_off(v) ? " (powered off)" : ""));
  }
  static constexpr std::string_view kXfer = "qXfer:features:read:";
  if (p.rfind(kXfer, 0) == 0) {
    // qXfer:features:read:ANNEX:OFFSET,LENGTH
    const std::string rest = p.substr(kXfer.size());
    const auto colon = rest.find(':');
    uint64_t off = 0, len = 0;
    if (colon == std::string::npos || !parse_addr_len(rest.substr(colon + 1), off, len)) return kErrArgs;
    const auto doc = target_description(rest.substr(0, colon));
    if (!doc) return "E00";
    if (off >= doc->size()) return "l";
    const uint64_t n = std::min<uint64_t>({len, doc->size() - off, kMaxPacket / 2});
    return (off + n >= doc->size() ? "l" : "m") + doc->substr(off, n);
  }
  if (p.rfind("qSymbol", 0) == 0) return "OK";
  if (p.rfind("qRcmd,", 0) == 0) {
    const auto cmd = from_hex(std::string_view(p).substr(6));
    if (!cmd) return kErrArgs;
    // gdb prints a reply other than OK or an error as the command's output.
    return to_hex(monitor(std::string(cmd->begin(), cmd->end())));
  }
  return std::string();
}

std::string Stub::monitor(const std::string& command) {
  std::vector<std::string> w;
  for (size_t at = 0; at < command.size();) {
    const size_t b = command.find_first_not_of(" \t", at);
    if (b == std::string::npos) break;
    const size_t e = std::min(command.find_first_of(" \t", b), command.size());
    w.push_back(command.substr(b, e - b));
    at = e;
  }
  const auto state = [this] {
    std::string s;
    for (const auto& [name, what] : kStopOnNames)
      s += "stop-on " + std::string(name) + " " + (stop_on_[static_cast<size_t>(what)] ? "on" : "off") + "\n";
    return s;
  };
  if (w.empty() || w[0] == "help")
    return "pmuemu monitor commands:\n"
           "  stop-on                      show which events stop the VM\n"
           "  stop-on EVENT|all on|off     stop (SIGTRAP) when EVENT happens on a vCPU; EVENT is\n"
           "                               reset (KVM_ARM_VCPU_INIT, PSCI CPU_ON), psci (a PSCI call),\n"
           "                               fail-entry (KVM_EXIT_FAIL_ENTRY), pmu-overflow (the PMU's\n"
           "                               overflow interrupt request rising)\n"
           "  stop-reason                  what the last event stop was\n";
  if (w[0] == "stop-reason" && w.size() == 1) return last_event_.empty() ? "no event stop yet\n" : last_event_;
  if (w[0] == "stop-on" && w.size() == 1) return state();
  if (w[0] == "stop-on" && w.size() == 3 && (w[2] == "on" || w[2] == "off")) {
    const bool on = w[2] == "on";
    bool found = false;
    for (const auto& [name, what] : kStopOnNames)
      if (w[1] == "all" || w[1] == name) {
        stop_on_[static_cast<size_t>(what)] = on;
        found = true;
      }
    if (found) {
      // Events of a kind no longer stopped on are not reported later either.
      for (auto& n : noted_)
        std::erase_if(n, [this](const Noted& e) { return !stop_on_[static_cast<size_t>(e.what)]; });
      return state();
    }
    return "stop-on: unknown event '" + w[1] + "' (reset, psci, fail-entry, pmu-overflow or all)\n";
  }
  return "unknown monitor command '" + command + "'; 'monitor help' lists them\n";
}

std::string Stub::set_thread(const std::string& p) {
  if (p.size() < 3 || (p[1] != 'g' && p[1] != 'c')) return kErrArgs;
  const std::string id = p.substr(2);
  unsigned v = 0;
  if (id == "-1" || id == "0") {
    v = id == "0" ? (p[1] == 'g' ? g_thread_ : c_thread_) : 0;  // "any": keep; "all": the first
  } else {
    const auto t = parse_hex_u64(id);
    if (!t || *t < 1 || *t > target_->vcpu_count()) return kErrNoThread;
    v = static_cast<unsigned>(*t - 1);
  }
  (p[1] == 'g' ? g_thread_ : c_thread_) = v;
  return "OK";
}

uint64_t Stub::pc_of(unsigned vcpu) {
  uint64_t pc = 0;
  target_->get_reg(vcpu, kvm_model::kRegPc, &pc);
  return pc;
}

std::vector<uint8_t> Stub::get_gdb_reg(unsigned vcpu, unsigned regno) {
  const auto regs = registers();
  if (regno >= regs.size()) return {};
  const RegDesc& d = regs[regno];
  uint64_t id = d.one_reg;
  if (d.kind == RegKind::kSp) {
    uint64_t pstate = 0;
    if (!target_->get_reg(vcpu, kvm_model::kRegPstate, &pstate)) return {};
    // PSTATE.M[3:2] is the EL, M[0] SPSel: at EL1 with SPSel set the stack pointer is SP_EL1.
    if (((pstate >> 2) & 3) != 0 && (pstate & 1)) id = kvm_model::kRegSpEl1;
  }
  uint8_t buf[16] = {};
  if (!target_->get_reg(vcpu, id, buf)) return {};
  return std::vector<uint8_t>(buf, buf + d.bits / 8);
}

bool Stub::set_gdb_reg(unsigned vcpu, unsigned regno, const uint8_t* bytes, size_t n) {
  const auto regs = registers();
  if (regno >= regs.size() || n != regs[regno].bits / 8) return false;
  const RegDesc& d = regs[regno];
  uint64_t id = d.one_reg;
  if (d.kind == RegKind::kSp) {
    uint64_t pstate = 0;
    if (!target_->get_reg(vcpu, kvm_model::kRegPstate, &pstate)) return false;
    if (((pstate >> 2) & 3) != 0 && (pstate & 1)) id = kvm_model::kRegSpEl1;
  }
  // gdb's cpsr is 32 bits; the ONE_REG PSTATE is 64: the upper half is kept.
  uint8_t buf[16] = {};
  const size_t size = kvm_model::one_reg_size(id);
  if (size > n && !target_->get_reg(vcpu, id, buf)) return false;
  std::memcpy(buf, bytes, n);
  return target_->set_reg(vcpu, id, buf);
}

std::string Stub::read_all_regs() {
  std::string s;
  for (unsigned r = 0; r < g_register_count(); ++r) {
    const auto b = get_gdb_reg(g_thread_, r);
    if (b.empty()) return kErrNoThread;
    s += to_hex(b.data(), b.size());
  }
  return s;
}

std::string Stub::write_all_regs(const std::string& p) {
  const auto bytes = from_hex(std::string_view(p).substr(1));
  if (!bytes) return kErrArgs;
  size_t need = 0;
  for (unsigned r = 0; r < g_register_count(); ++r) need += registers()[r].bits / 8;
  if (bytes->size() != need) return kErrArgs;
  size_t off = 0;
  for (unsigned r = 0; r < g_register_count(); ++r) {
    const size_t n = registers()[r].bits / 8;
    if (!set_gdb_reg(g_thread_, r, bytes->data() + off, n)) return kErrNoThread;
    off += n;
  }
  return "OK";
}

std::string Stub::read_reg(const std::string& p) {
  const auto n = parse_hex_u64(std::string_view(p).substr(1));
  if (!n) return kErrArgs;
  if (*n >= registers().size()) return kErrNoThread;
  const auto b = get_gdb_reg(g_thread_, static_cast<unsigned>(*n));
  // A system register this vCPU does not have (no PMU): "unavailable", which gdb shows as
  // such instead of failing the whole `info registers`.
  if (b.empty() && *n >= g_register_count()) return std::string(registers()[*n].bits / 4, 'x');
  if (b.empty()) return kErrNoThread;
  return to_hex(b.data(), b.size());
}

std::string Stub::write_reg(const std::string& p) {
  const auto eq = p.find('=');
  if (eq == std::string::npos) return kErrArgs;
  const auto n = parse_hex_u64(std::string_view(p).substr(1, eq - 1));
  const auto bytes = from_hex(std::string_view(p).substr(eq + 1));
  if (!n || !bytes) return kErrArgs;
  if (*n >= registers().size()) return kErrNoThread;
  if (!set_gdb_reg(g_thread_, static_cast<unsigned>(*n), bytes->data(), bytes->size())) return kErrArgs;
  return "OK";
}

std::optional<uint64_t> Stub::translate(unsigned vcpu, uint64_t va) {
  cpu::mmu::Regime r;
  uint64_t mmfr0 = 0;
  if (!target_->get_reg(vcpu, kSctlr, &r.sctlr) || !target_->get_reg(vcpu, kTcr, &r.tcr) ||
      !target_->get_reg(vcpu, kTtbr0, &r.ttbr0) || !target_->get_reg(vcpu, kTtbr1, &r.ttbr1) ||
      !target_->get_reg(vcpu, kMair, &r.mair))
    return std::nullopt;
  if (target_->get_reg(vcpu, kMmfr0, &mmfr0)) {
    const unsigned pa_range = mmfr0 & 0xf;
    if (pa_range < std::size(kPaRangeBits)) r.parange_bits = kPaRangeBits[pa_range];
  }
  // The walk the vCPU's own MMU would make (no TLB: a debugger read changes nothing).
  const uint64_t cva = cpu::mmu::canonical_va(r, va);
  const cpu::mmu::Walk w = r.enabled() ? cpu::mmu::walk(target_->phys(), r, cva) : cpu::mmu::identity(r, cva);
  if (!w.fault.ok()) return std::nullopt;
  const uint64_t pa = w.leaf.pa_of(cva);
  if (!target_->phys().contains(pa, 1)) return std::nullopt;
  return pa;
}

template <class CopyChunk>
size_t Stub::walk_virt(unsigned vcpu, uint64_t va, size_t n, CopyChunk copy) {
  // Page by page, each through the vCPU's own translation: a range may cross into an
  // unmapped page or out of RAM, and then only what came before it is moved.
  size_t done = 0;
  while (done < n) {
    const uint64_t at = va + done;
    const auto pa = translate(vcpu, at);
    if (!pa) break;
    const size_t chunk = std::min<uint64_t>(n - done, cpu::kPageSize - (at & (cpu::kPageSize - 1)));
    if (!target_->phys().contains(*pa, chunk)) break;
    copy(*pa, done, chunk);
    done += chunk;
  }
  return done;
}

size_t Stub::read_virt(unsigned vcpu, uint64_t va, uint8_t* out, size_t n) {
  return walk_virt(vcpu, va, n, [&](uint64_t pa, size_t off, size_t chunk) {
    cpu::guest_copy(out + off, target_->phys().ptr(pa), chunk);
  });
}

size_t Stub::write_virt(unsigned vcpu, uint64_t va, const uint8_t* in, size_t n) {
  return walk_virt(vcpu, va, n, [&](uint64_t pa, size_t off, size_t chunk) { target_->write_phys(pa, in + off, chunk); });
}

std::string Stub::read_mem(const std::string& p) {
  uint64_t addr = 0, len = 0;
  if (!parse_addr_len(std::string_view(p).substr(1), addr, len)) return kErrArgs;
  len = std::min<uint64_t>(len, kMaxPacket / 2);
  std::vector<uint8_t> buf(len);
  const size_t got = read_virt(g_thread_, addr, buf.data(), len);
  if (got == 0 && len != 0) return kErrFault;
  return to_hex(buf.data(), got);
}

std::string Stub::write_mem(const std::string& p, bool binary) {
  const auto colon = p.find(':');
  uint64_t addr = 0, len = 0;
  if (colon == std::string::npos || !parse_addr_len(std::string_view(p).substr(1, colon - 1), addr, len))
    return kErrArgs;
  std::vector<uint8_t> data;
  if (binary) {
    data.assign(p.begin() + static_cast<long>(colon) + 1, p.end());  // escapes were undone by the reader
  } else {
    auto h = from_hex(std::string_view(p).substr(colon + 1));
    if (!h) return kErrArgs;
    data = std::move(*h);
  }
  if (data.size() != len) return kErrArgs;
  if (len == 0) return "OK";
  return write_virt(g_thread_, addr, data.data(), len) == len ? "OK" : kErrFault;
}

std::string Stub::breakpoint(const std::string& p, bool insert) {
  // Z/z TYPE,ADDR,KIND
  if (p.size() < 4 || p[2] != ',') return kErrArgs;
  const char type = p[1];
  uint64_t addr = 0, kind = 0;
  if (!parse_addr_len(std::string_view(p).substr(3), addr, kind)) {
    // KIND may be followed by ";cond" lists we do not take: parse up to it.
    const auto semi = p.find(';');
    if (semi == std::string::npos || !parse_addr_len(std::string_view(p).substr(3, semi - 3), addr, kind)) return kErrArgs;
  }
  switch (type) {
    case '0':  // software breakpoint: the emulator compares the PC, memory is untouched
    case '1':  // hardware breakpoint: the same check
      if (kind != 4) return kErrArgs;  // A64 instructions are 4 bytes
      if (insert) {
        ++breaks_[addr];
      } else if (auto it = breaks_.find(addr); it != breaks_.end() && --it->second == 0) {
        breaks_.erase(it);
      }
      return "OK";
    case '2':    // write watchpoint: the watched bytes compared after each instruction
    case '3':    // read watchpoint: the data address of each load compared before it runs
    case '4': {  // access watchpoint: the same for loads and stores
      if (kind == 0 || kind > 4096) return kErrArgs;
      if (insert) {
        watches_.push_back({addr, kind, type, {}});
      } else {
        for (auto it = watches_.begin(); it != watches_.end(); ++it)
          if (it->addr == addr && it->len == kind && it->type == type) {
            watches_.erase(it);
            break;
          }
      }
      return "OK";
    }
    default: return std::string();  // not a breakpoint type gdb has
  }
}

bool Stub::watching_reads() const {
  return std::any_of(watches_.begin(), watches_.end(), [](const Watch& w) { return w.type != '2'; });
}

std::optional<DataAccess> Stub::next_access(unsigned vcpu) {
  const uint64_t pc = pc_of(vcpu);
  uint32_t insn = 0;
  if (read_virt(vcpu, pc, reinterpret_cast<uint8_t*>(&insn), 4) != 4) return std::nullopt;
  return data_access(insn, pc, [&](unsigned n) {
    uint64_t v = 0;
    if (n < 31) {
      target_->get_reg(vcpu, kvm_model::kRegX(n), &v);
    } else {
      const auto sp = get_gdb_reg(vcpu, 31);
      if (sp.size() == 8) std::memcpy(&v, sp.data(), 8);
    }
    return v;
  });
}

const Stub::Watch* Stub::read_watch_hit(const DataAccess& a) const {
  for (const Watch& w : watches_) {
    const bool kind = w.type == '3' ? a.read : w.type == '4' && (a.read || a.write);
    if (kind && a.va < w.addr + w.len && w.addr < a.va + a.len) return &w;
  }
  return nullptr;
}

void Stub::refresh_watches(unsigned vcpu) {
  for (Watch& w : watches_) {
    if (w.type != '2') continue;
    w.last.resize(w.len);
    if (read_virt(vcpu, w.addr, w.last.data(), w.len) != w.len) w.last.clear();
  }
}

std::optional<uint64_t> Stub::watch_hit(unsigned vcpu) {
  std::vector<uint8_t> now;
  for (const Watch& w : watches_) {
    if (w.type != '2') continue;
    now.resize(w.len);
    const bool readable = read_virt(vcpu, w.addr, now.data(), w.len) == w.len;
    if (readable && !w.last.empty() && now != w.last) return w.addr;
  }
  return std::nullopt;
}

std::optional<std::string> Stub::resume_all(Action a, const std::string& p) {
  // c [ADDR] / s [ADDR]; C SIG[;ADDR] / S SIG[;ADDR]: the signal means nothing to a VM.
  std::string addr;
  if (p[0] == 'c' || p[0] == 's') addr = p.substr(1);
  else if (const auto semi = p.find(';'); semi != std::string::npos) addr = p.substr(semi + 1);
  if (!addr.empty()) {
    const auto pc = parse_hex_u64(addr);
    if (!pc) return std::string(kErrArgs);
    target_->set_reg(c_thread_, kvm_model::kRegPc, &*pc);
  }
  // Continue resumes every vCPU; a step runs the selected one alone.
  for (unsigned v = 0; v < action_.size(); ++v)
    action_[v] = a == Action::kStep ? (v == c_thread_ ? Action::kStep : Action::kStop) : Action::kContinue;
  std::fill(skip_break_.begin(), skip_break_.end(), 1);
  resume_ = true;
  return std::nullopt;
}

std::optional<std::string> Stub::vcont(const std::string& p) {
  if (p == "vCont?") return std::string("vCont;c;C;s;S;t");
  if (p == "vMustReplyEmpty") return std::string();
  if (p.rfind("vKill", 0) == 0) {
    killed_ = true;
    resume_ = true;
    return std::string("OK");
  }
  if (p.rfind("vCont;", 0) != 0) return std::string();
  // vCont;ACTION[:TID];...: for each vCPU the leftmost action naming it (or no thread) applies.
  std::vector<std::optional<Action>> chosen(action_.size());
  size_t at = 6;
  while (at <= p.size()) {
    const size_t end = std::min(p.find(';', at), p.size());
    const std::string item = p.substr(at, end - at);
    at = end + 1;
    if (item.empty()) return std::string(kErrArgs);
    Action a;
    switch (item[0]) {
      case 'c': case 'C': a = Action::kContinue; break;
      case 's': case 'S': a = Action::kStep; break;
      case 't': a = Action::kStop; break;
      default: return std::string(kErrArgs);
    }
    std::optional<unsigned> only;
    if (const auto colon = item.find(':'); colon != std::string::npos) {
      std::string tid = item.substr(colon + 1);
      if (const auto dot = tid.find('.'); dot != std::string::npos) tid = tid.substr(dot + 1);  // pPID.TID
      if (tid != "-1") {
        const auto t = parse_hex_u64(tid);
        if (!t || *t < 1 || *t > action_.size()) return std::string(kErrNoThread);
        only = static_cast<unsigned>(*t - 1);
      }
    } else if ((item[0] == 'C' || item[0] == 'S') && (item.size() != 3 || !parse_hex_u64(item.substr(1)))) {
      return std::string(kErrArgs);
    }
    for (unsigned v = 0; v < chosen.size(); ++v)
      if (!chosen[v] && (!only || *only == v)) chosen[v] = a;
  }
  for (unsigned v = 0; v < action_.size(); ++v) action_[v] = chosen[v].value_or(Action::kStop);
  std::fill(skip_break_.begin(), skip_break_.end(), 1);
  resume_ = true;
  return std::nullopt;
}

}  // namespace pmuemu::gdb
