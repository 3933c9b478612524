// The file table of `pmuemu user`: host files, the /proc and /sys entries that describe the
// emulated machine (not the host), /proc/self/exe, descriptor numbering and bad fds.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "emu/user/files.h"
#include "tests/unit/user/fixture.h"

using namespace pmuemu::user;
using namespace pmuemu::user::test;

namespace {
struct HostFile {
  std::string path;
  explicit HostFile(const std::string& text) {
    char p[] = "/tmp/pmuemu-unit-user-file-XXXXXX";
    const int fd = mkstemp(p);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("cannot write a temporary file");
    ::close(fd);
    path = p;
  }
  ~HostFile() { ::unlink(path.c_str()); }
};

std::string read_all(Proc& t, const std::string& path) {
  const long fd = t.openat(path);
  BOOST_REQUIRE_MESSAGE(fd >= 0, path << ": openat = " << fd);
  std::string s, chunk;
  long rc = 0;
  while (!(chunk = t.read(fd, 1000, &rc)).empty()) s += chunk;
  BOOST_TEST(rc == 0);  // ends at EOF, not an error
  BOOST_TEST(t.sys(kClose, static_cast<uint64_t>(fd)) == 0);
  return s;
}

// MIDR_EL1.PartNum of the cores in configs/big-little.yaml, from Arm's TRMs.
constexpr unsigned kCortexA55Part = 0xd05, kCortexA76Part = 0xd0b;
}  // namespace

BOOST_AUTO_TEST_SUITE(files)

BOOST_AUTO_TEST_CASE(host_file_open_read_seek_close) {
  Proc t;
  HostFile f("hello, pmuemu\n");
  const long fd = t.openat(f.path, O_RDONLY);
  BOOST_TEST(fd == 3);  // the lowest free descriptor after stdin, stdout, stderr
  BOOST_TEST(t.read(fd, 5) == "hello");
  BOOST_TEST(t.read(fd, 100) == ", pmuemu\n");
  long rc = -1;
  BOOST_TEST(t.read(fd, 100, &rc).empty());
  BOOST_TEST(rc == 0);
  BOOST_TEST(t.sys(kLseek, static_cast<uint64_t>(fd), 7, SEEK_SET) == 7);
  BOOST_TEST(t.read(fd, 6) == "pmuemu");
  BOOST_TEST(t.sys(kLseek, static_cast<uint64_t>(fd), 0, SEEK_END) == 14);
  BOOST_TEST(t.sys(kClose, static_cast<uint64_t>(fd)) == 0);
  BOOST_TEST(t.sys(kClose, static_cast<uint64_t>(fd)) == -EBADF);
  BOOST_TEST(t.openat("/nonexistent/pmuemu-unit") == -ENOENT);
  BOOST_TEST(t.openat("") == -ENOENT);
}

BOOST_AUTO_TEST_CASE(relative_path_against_a_directory_fd) {
  Proc t;
  HostFile f("abc");
  const std::filesystem::path p(f.path);
  const long dir = t.openat(p.parent_path().string(), O_RDONLY | O_DIRECTORY);
  BOOST_REQUIRE_GE(dir, 0);
  const long fd = t.openat(p.filename().string(), O_RDONLY, dir);
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_TEST(t.read(fd) == "abc");
}

BOOST_AUTO_TEST_CASE(descriptors_are_reused_lowest_first) {
  Proc t;
  HostFile f("x");
  const long a = t.openat(f.path), b = t.openat(f.path), c = t.openat(f.path);
  BOOST_TEST(a == 3);
  BOOST_TEST(b == 4);
  BOOST_TEST(c == 5);
  BOOST_REQUIRE_EQUAL(t.sys(kClose, 4), 0);
  BOOST_TEST(t.openat(f.path) == 4);  // POSIX: the lowest unused number
  BOOST_REQUIRE_EQUAL(t.sys(kClose, 3), 0);
  BOOST_TEST(t.sys(kDup, 5) == 3);
  // dup shares the file offset (one open file description).
  BOOST_TEST(t.read(5) == "x");
  long rc = -1;
  t.read(3, 10, &rc);
  BOOST_TEST(rc == 0);
}

BOOST_AUTO_TEST_CASE(bad_descriptors_are_ebadf) {
  Proc t;
  for (uint64_t fd : {uint64_t{3}, uint64_t{99}, ~uint64_t{0}}) {
    BOOST_TEST(t.sys(kClose, fd) == -EBADF);
    BOOST_TEST(t.sys(kRead, fd, Proc::kScratch, 1) == -EBADF);
    BOOST_TEST(t.sys(kLseek, fd, 0, SEEK_SET) == -EBADF);
    BOOST_TEST(t.sys(kFstat, fd, Proc::kScratch) == -EBADF);
    BOOST_TEST(t.sys(kDup, fd) == -EBADF);
  }
}

BOOST_AUTO_TEST_CASE(bad_buffers_are_efault) {
  Proc t;
  HostFile f("data");
  const long fd = t.openat(f.path);
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_TEST(t.sys(kRead, static_cast<uint64_t>(fd), 0x50000000, 4) == -EFAULT);  // unmapped
  BOOST_TEST(t.sys(kRead, static_cast<uint64_t>(fd), kEntry, 4) == -EFAULT);      // read-only
  BOOST_TEST(t.sys(kOpenat, static_cast<uint64_t>(kAtFdcwd), 0x50000000, 0) == -EFAULT);
}

BOOST_AUTO_TEST_CASE(sys_cpu_lists_describe_the_emulated_host) {
  Proc t;
  const uint32_t n = host().num_pcpus();
  BOOST_REQUIRE_EQUAL(n, 8u);  // big-little: 4 + 4
  // The kernel's cpulist format (Documentation/ABI/testing/sysfs-devices-system-cpu).
  for (const char* p : {"/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible",
                        "/sys/devices/system/cpu/present"})
    BOOST_TEST(read_all(t, p) == "0-7\n", p);
}

// Linux prints the program's capabilities on every processor's Features line: one name
// per AT_HWCAP and AT_HWCAP2 bit, AT_HWCAP's in bit order first.
BOOST_AUTO_TEST_CASE(proc_cpuinfo_features_match_at_hwcap) {
  {
    Proc t;
    const std::string s = read_all(t, "/proc/cpuinfo");
    // AT_HWCAP bits 0-31 by name (arm64 uapi hwcap.h, the kernel's cpuinfo names).
    const std::vector<std::string> names = {
        "fp",    "asimd",  "evtstrm", "aes",    "pmull",  "sha1",  "sha2",  "crc32",  "atomics", "fphp", "asimdhp",
        "cpuid", "asimdrdm", "jscvt", "fcma",   "lrcpc",  "dcpop", "sha3",  "sm3",    "sm4",     "asimddp", "sha512",
        "sve",   "asimdfhm", "dit",   "uscat",  "ilrcpc", "flagm", "ssbs",  "sb",     "paca",    "pacg"};
    std::string want;
    for (unsigned b = 0; b < 32; ++b)
      if ((t.p.hwcaps().hwcap >> b) & 1) want += (want.empty() ? "" : " ") + names[b];
    BOOST_TEST(t.p.hwcaps().hwcap2 == 0u);  // none of these cores has an AT_HWCAP2 feature
    std::istringstream in(s);
    std::string line;
    unsigned lines = 0;
    while (std::getline(in, line)) {
      if (line.rfind("Features", 0) != 0) continue;
      ++lines;
      BOOST_TEST(line.substr(line.find(':') + 2) == want);
    }
    BOOST_TEST(lines == 8u);
    BOOST_TEST(want.rfind("fp asimd evtstrm ", 0) == 0u);
  }
}

// /proc/<id>/schedstat as Linux prints it: on-CPU ns, run delay ns, timeslices. The
// program's only thread was switched in once and never waited for its pCPU.
BOOST_AUTO_TEST_CASE(proc_schedstat_of_the_program_threads) {
  Proc t;
  const std::string self = read_all(t, "/proc/self/schedstat");
  unsigned long long on = 0, delay = 1, slices = 0;
  char nl = 0;
  BOOST_REQUIRE(std::sscanf(self.c_str(), "%llu %llu %llu%c", &on, &delay, &slices, &nl) == 4);
  BOOST_TEST(nl == '\n');
  BOOST_TEST(delay == 0u);
  BOOST_TEST(slices == 1u);
  const std::string pid = std::to_string(t.p.pid());
  for (const std::string& path : std::vector<std::string>{"/proc/" + pid + "/schedstat", "/proc/thread-self/schedstat",
                                   "/proc/self/task/" + pid + "/schedstat", "/proc/" + pid + "/task/" + pid + "/schedstat"})
    BOOST_TEST(read_all(t, path) == self, path);
  // Another process's, a thread that does not exist, malformed names: not there.
  for (const std::string& path : std::vector<std::string>{"/proc/9999/schedstat", "/proc/self/task/9999/schedstat",
                                   "/proc/9999/task/" + pid + "/schedstat", "/proc/x1/schedstat", "/proc//schedstat",
                                   "/proc/self/task/schedstat", "/proc/self/sched"})
    BOOST_TEST(t.openat(path) == -ENOENT, path);
}

BOOST_AUTO_TEST_CASE(proc_cpuinfo_lists_each_emulated_cpu) {
  Proc t;
  const std::string s = read_all(t, "/proc/cpuinfo");
  std::istringstream in(s);
  std::string line;
  std::vector<unsigned> processors, parts;
  std::vector<std::string> implementers;
  while (std::getline(in, line)) {
    auto value = [&] { return line.substr(line.find(':') + 2); };
    if (line.rfind("processor", 0) == 0) processors.push_back(std::stoul(value()));
    if (line.rfind("CPU part", 0) == 0) parts.push_back(std::stoul(value(), nullptr, 16));
    if (line.rfind("CPU implementer", 0) == 0) implementers.push_back(value());
  }
  BOOST_REQUIRE_EQUAL(processors.size(), 8u);
  BOOST_REQUIRE_EQUAL(parts.size(), 8u);
  for (unsigned c = 0; c < 8; ++c) {
    BOOST_TEST(processors[c] == c);
    BOOST_TEST(parts[c] == (c < 4 ? kCortexA55Part : kCortexA76Part), "cpu " << c);
    BOOST_TEST(implementers[c] == "0x41");  // Arm Limited
  }
}

BOOST_AUTO_TEST_CASE(pseudo_files_seek_and_stat_like_regular_files) {
  Proc t;
  const long fd = t.openat("/sys/devices/system/cpu/online");
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_TEST(t.sys(kLseek, static_cast<uint64_t>(fd), 2, SEEK_SET) == 2);
  BOOST_TEST(t.read(fd) == "7\n");
  BOOST_TEST(t.sys(kLseek, static_cast<uint64_t>(fd), -1, SEEK_END) == 3);
  BOOST_TEST(t.sys(kLseek, static_cast<uint64_t>(fd), -5, SEEK_SET) == -EINVAL);
  BOOST_REQUIRE_EQUAL(t.sys(kFstat, static_cast<uint64_t>(fd), Proc::kScratch + 0x1000), 0);
  LinuxStat st{};
  BOOST_REQUIRE(t.p.read(Proc::kScratch + 0x1000, &st, sizeof st));
  BOOST_TEST(S_ISREG(st.st_mode));
  BOOST_TEST(st.st_size == 4);
  // newfstatat by path: a regular file too.
  BOOST_REQUIRE_EQUAL(t.sys(kNewfstatat, static_cast<uint64_t>(kAtFdcwd), t.str("/proc/cpuinfo"),
                            Proc::kScratch + 0x1000, 0),
                      0);
  BOOST_REQUIRE(t.p.read(Proc::kScratch + 0x1000, &st, sizeof st));
  BOOST_TEST(S_ISREG(st.st_mode));
}

BOOST_AUTO_TEST_CASE(host_proc_and_sys_are_not_visible) {
  Proc t;
  // The host's would describe the wrong machine.
  for (const char* p : {"/proc/self/maps", "/proc/meminfo", "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1",
                        "/proc", "/sys"})
    BOOST_TEST(t.openat(p) == -ENOENT, p);
  BOOST_TEST(t.sys(kNewfstatat, static_cast<uint64_t>(kAtFdcwd), t.str("/proc/meminfo"), Proc::kScratch + 0x1000, 0) ==
             -ENOENT);
}

BOOST_AUTO_TEST_CASE(proc_self_exe_is_the_program) {
  Proc t;
  const std::string want = std::filesystem::absolute(t.prog.path).string();
  // readlinkat returns the length without a terminating NUL and truncates to the buffer.
  const uint64_t buf = Proc::kScratch + 0x1000;
  const long n = t.sys(kReadlinkat, static_cast<uint64_t>(kAtFdcwd), t.str("/proc/self/exe"), buf, 4096);
  BOOST_REQUIRE_EQUAL(n, static_cast<long>(want.size()));
  std::string got(static_cast<size_t>(n), '\0');
  BOOST_REQUIRE(t.p.read(buf, got.data(), got.size()));
  BOOST_TEST(got == want);
  BOOST_TEST(t.sys(kReadlinkat, static_cast<uint64_t>(kAtFdcwd), t.str("/proc/self/exe"), buf, 4) == 4);
  // A buffer size of 0 (or negative as an int) is EINVAL (readlink(2)).
  BOOST_TEST(t.sys(kReadlinkat, static_cast<uint64_t>(kAtFdcwd), t.str("/proc/self/exe"), buf, 0) == -EINVAL);
  BOOST_TEST(t.sys(kReadlinkat, static_cast<uint64_t>(kAtFdcwd), t.str("/proc/self/exe"), buf, 0xffffffff) == -EINVAL);
  // Opening it opens the program's ELF image.
  const long fd = t.openat("/proc/self/exe");
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_TEST(t.read(fd, 4) == "\x7f" "ELF");
}

BOOST_AUTO_TEST_CASE(dev_kvm_without_a_backend_is_enoent) {
  Proc t;
  BOOST_TEST(t.openat("/dev/kvm", O_RDWR) == -ENOENT);
}

BOOST_AUTO_TEST_CASE(sandbox_refuses_host_writes) {
  Proc t;
  HostFile f("keep");
  BOOST_TEST(t.openat(f.path, O_WRONLY) == -EACCES);
  BOOST_TEST(t.openat(f.path, O_RDWR | O_TRUNC) == -EACCES);
  std::ifstream in(f.path);
  std::string s;
  std::getline(in, s);
  BOOST_TEST(s == "keep");
}

BOOST_AUTO_TEST_CASE(stdio_is_shown_as_a_pipe) {
  Proc t;
  LinuxStat st{};
  for (uint64_t fd : {0, 1, 2}) {
    BOOST_REQUIRE_EQUAL(t.sys(kFstat, fd, Proc::kScratch + 0x1000), 0);
    BOOST_REQUIRE(t.p.read(Proc::kScratch + 0x1000, &st, sizeof st));
    BOOST_TEST(S_ISFIFO(st.st_mode), "fd " << fd);
  }
}

BOOST_AUTO_TEST_SUITE_END()
