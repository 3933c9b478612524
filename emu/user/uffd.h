// userfaultfd(2), pipes and readiness (epoll, ppoll) of `pmuemu user`: what a VMM needs to
// page its guest's memory in on demand, as Linux's demand_paging_test and page_fault_test
// do. A handler thread waits in epoll_pwait on the uffd and a pipe, reads struct uffd_msg
// page faults and answers each with UFFDIO_COPY; the faulting thread (the program's own
// access, or a vCPU thread's KVM_RUN whose guest touched the page through a memory slot)
// waits until the page is there.
//
// Which pages are "there" is the host's answer for the program's own memory: the program's
// memory is a host anonymous mapping at the same addresses, populated when anything touches
// it (the program, a system call, the KVM model) and dropped by MADV_DONTNEED, exactly as a
// Linux process's anonymous memory is. /proc/self/pagemap tells whether a page is populated
// (present or swapped); the zero page counts, as in Linux, where a read fault maps it and
// UFFDIO_COPY then fails with EEXIST. Registered ranges are kept out of transparent huge
// pages, so one touched page never populates its neighbours.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cpu/phys_mem.h"
#include "emu/user/process.h"

namespace pmuemu::user {

// A pipe (pipe2): a byte queue of Linux's default capacity between its two ends.
struct Pipe {
  static constexpr uint64_t kCapacity = 65536;
  std::string buf;
  int readers = 0, writers = 0;  // open ends (OpenFile objects)
};

// An epoll instance: the files it watches, by (fd, file) as Linux keys them; a file that
// is closed leaves the set.
struct Epoll {
  struct Entry {
    std::weak_ptr<OpenFile> file;
    uint32_t events = 0;
    uint64_t data = 0;
  };
  std::map<int, Entry> entries;
};

// A userfaultfd context.
struct Uffd {
  bool api = false;        // UFFDIO_API done
  uint64_t features = 0;   // the features UFFDIO_API enabled
  // A faulting thread: queued until read (its message), then until its page is woken.
  struct Waiter {
    int tid;
    uint64_t address;  // the faulting address (page-aligned unless EXACT_ADDRESS)
    uint64_t flags;    // UFFD_PAGEFAULT_FLAG_*
    bool read = false;
  };
  std::deque<Waiter> waiters;
  bool has_unread() const {
    for (const Waiter& w : waiters)
      if (!w.read) return true;
    return false;
  }
};

// The program's userfaultfd registrations, and the page gate the KVM model's memory slots
// ask (a guest access to a registered missing page stops KVM_RUN; the fault is kept here
// for the layer to report).
class UserFaults final : public cpu::HostPageGate {
 public:
  UserFaults() = default;
  ~UserFaults() override;
  UserFaults(const UserFaults&) = delete;
  UserFaults& operator=(const UserFaults&) = delete;

  bool present(const uint8_t* h, bool write) override;
  // The context whose registration holds va, if the page is missing (not populated).
  std::shared_ptr<Uffd> missing_at(uint64_t va);
  // The registration holding va, whatever the page's state.
  std::shared_ptr<Uffd> registered_at(uint64_t va) const;
  bool populated(uint64_t va);
  // What the last `present` that returned false was about.
  struct Pending {
    uint64_t address = 0;
    bool write = false;
  };
  std::optional<Pending> take_pending() { return std::exchange(pending_, std::nullopt); }

  // Registers [start, end) with ctx (pages already there stay there).
  void add(uint64_t start, uint64_t end, const std::shared_ptr<Uffd>& ctx);
  // Removes every registration of [start, end) (of any context when ctx is null).
  void remove(uint64_t start, uint64_t end, const Uffd* ctx);
  // Whether [start, end) is covered by one registration run of contexts (UFFDIO_COPY's
  // single-VMA rule: no hole).
  bool covered(uint64_t start, uint64_t end) const;
  // Whether another context holds part of [start, end) (UFFDIO_REGISTER's EBUSY).
  bool held_by_other(uint64_t start, uint64_t end, const Uffd* ctx) const;
  bool empty() const { return regs_.empty(); }

 private:
  struct Reg {
    uint64_t end;
    std::weak_ptr<Uffd> ctx;
  };
  void split_at(uint64_t va);
  std::map<uint64_t, Reg> regs_;
  int pagemap_fd_ = -1;
  int pagemap_pid_ = 0;  // the process pagemap_fd_ describes (a fork must reopen it)
  std::optional<Pending> pending_;
};

// Readiness of an open file as poll(2) reports it (POLLIN, POLLOUT, ...).
uint32_t poll_mask(const OpenFile& f);
// read(2)/write(2) of the new kinds: the result, -errno or kRestartSyscall.
long pipe_read(Process& p, OpenFile& f, uint8_t* dst, uint64_t len);
long pipe_write(Process& p, OpenFile& f, const uint8_t* src, uint64_t len);
long uffd_read(Process& p, OpenFile& f, uint64_t dst, uint64_t len);
long eventfd_read(Process& p, OpenFile& f, uint8_t* dst, uint64_t len);
long eventfd_write(Process& p, OpenFile& f, const uint8_t* src, uint64_t len);
// The KVM model's side of an eventfd (KVM_IOEVENTFD, KVM_IRQFD): eventfd_signal() adds one
// (a full count stays full); eventfd_take() empties it as a read would, false if it was 0.
void eventfd_signal(Process& p, OpenFile& f);
bool eventfd_take(Process& p, OpenFile& f);
long uffd_ioctl(Process& p, OpenFile& f, uint64_t request, uint64_t arg);
// close(2) of the last descriptor of a uffd: its ranges are unregistered and its waiting
// threads woken (userfaultfd_release()).
void uffd_release(Process& p, const std::shared_ptr<Uffd>& ctx);

using SysArgs = std::array<uint64_t, 6>;
long sys_userfaultfd(Process& p, const SysArgs& a);
long sys_pipe2(Process& p, const SysArgs& a);
long sys_epoll_create1(Process& p, const SysArgs& a);
long sys_epoll_ctl(Process& p, const SysArgs& a);
long sys_epoll_pwait(Process& p, const SysArgs& a);
long sys_ppoll(Process& p, const SysArgs& a);
long sys_eventfd2(Process& p, const SysArgs& a);

}  // namespace pmuemu::user
