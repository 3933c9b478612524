// The console input: non-blocking reads from a descriptor, end of file, and the terminal
// mode that applies only to a terminal.
#include <fcntl.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "emu/devices/host_input.h"

namespace pmuemu::devices {
namespace {

struct Pipe {
  Pipe() { BOOST_REQUIRE_EQUAL(::pipe(fd), 0); }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_write() {
    ::close(fd[1]);
    fd[1] = -1;
  }
  int fd[2];
};

BOOST_AUTO_TEST_SUITE(host_input)

BOOST_AUTO_TEST_CASE(reads_what_is_there_and_does_not_wait_when_asked_not_to) {
  Pipe p;
  HostInput in(p.fd[0]);
  uint8_t buf[8] = {};
  BOOST_TEST(in.read(buf, sizeof buf, 0) == 0u);  // nothing typed yet
  BOOST_TEST(!in.at_eof());
  BOOST_REQUIRE_EQUAL(::write(p.fd[1], "abc", 3), 3);
  BOOST_TEST(in.read(buf, 2, 0) == 2u);  // no more than asked
  BOOST_TEST(buf[0] == 'a');
  BOOST_TEST(buf[1] == 'b');
  BOOST_TEST(in.read(buf, sizeof buf, 100) == 1u);
  BOOST_TEST(buf[0] == 'c');
  BOOST_TEST(in.read(buf, 0, 0) == 0u);
  BOOST_TEST(!in.at_eof());
}

BOOST_AUTO_TEST_CASE(end_of_file_and_no_descriptor) {
  Pipe p;
  HostInput in(p.fd[0]);
  p.close_write();
  uint8_t b;
  BOOST_TEST(in.read(&b, 1, -1) == 0u);  // returns at EOF even when told to wait
  BOOST_TEST(in.at_eof());
  BOOST_TEST(in.read(&b, 1, -1) == 0u);
  BOOST_TEST(HostInput(-1).at_eof());
}

BOOST_AUTO_TEST_CASE(terminal_mode_leaves_a_pipe_alone) {
  Pipe p;
  const int flags = ::fcntl(p.fd[0], F_GETFL);
  TerminalMode t(p.fd[0]);
  BOOST_TEST(!t.active());
  t.restore();
  BOOST_TEST(::fcntl(p.fd[0], F_GETFL) == flags);
  BOOST_TEST(!TerminalMode(-1).active());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::devices
