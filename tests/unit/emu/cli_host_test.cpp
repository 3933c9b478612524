// cli_host_show: the `pmuemu host` command as a user runs it: output, exit statuses and the
// single `pmuemu: error:` line for bad input.
#define BOOST_TEST_MODULE cli_host_show
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Run {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string capture(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_TEST_REQUIRE(p != nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int raw = ::pclose(p);
  if (status) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// Runs pmuemu twice (once per stream) because popen gives one pipe; the command is pure.
Run pmuemu(const std::vector<std::string>& args) {
  std::string cmd = shell_quote(PMUEMU_EXE);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  Run r;
  r.out = capture(cmd + " 2>/dev/null", &r.status);
  r.err = capture(cmd + " 2>&1 >/dev/null", nullptr);
  return r;
}

std::string source(const std::string& rel) { return std::string(PMUEMU_SOURCE_DIR) + "/" + rel; }

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(host_show_big_little_lists_8_pcpus_with_n_4_and_6) {
  const auto r = pmuemu({"host", "show", source("configs/big-little.yaml")});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.err.empty());
  BOOST_TEST(r.out.find("host big-little") == 0u, r.out);

  // The pCPU table: a header starting "pCPU", then one row per pCPU up to a blank line.
  const auto ls = lines(r.out);
  std::size_t i = 0;
  while (i < ls.size() && ls[i].rfind("pCPU", 0) != 0) ++i;
  BOOST_TEST_REQUIRE(i < ls.size(), r.out);
  const auto header = words(ls[i]);
  const auto n_column = std::find(header.begin(), header.end(), "N") - header.begin();
  BOOST_TEST_REQUIRE(n_column < static_cast<long>(header.size()));
  int rows = 0;
  for (++i; i < ls.size() && !ls[i].empty(); ++i, ++rows) {
    const auto w = words(ls[i]);
    BOOST_TEST_REQUIRE(w.size() == header.size(), ls[i]);
    BOOST_TEST(w[0] == std::to_string(rows));
    BOOST_TEST(w[n_column] == (rows < 4 ? "4" : "6"), ls[i]);
    BOOST_TEST(w[2] == (rows < 4 ? "cortex-a55" : "cortex-a76"));
  }
  BOOST_TEST(rows == 8);
  BOOST_TEST(r.out.find("N=4") != std::string::npos);
  BOOST_TEST(r.out.find("N=6") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_host_file_exits_65_with_one_error_line_naming_the_file) {
  const std::string file = source("tests/data/configs/bad-counters.yaml");
  const auto r = pmuemu({"host", "show", file});
  BOOST_TEST(r.status == 65);
  BOOST_TEST(r.out.empty());
  const auto ls = lines(r.err);
  BOOST_TEST_REQUIRE(ls.size() == 1u, r.err);
  BOOST_TEST(ls[0].rfind("pmuemu: error: " + file + ":5: clusters[1].pmu.counters: ", 0) == 0u,
             ls[0]);
}

BOOST_AUTO_TEST_CASE(missing_and_malformed_files_exit_65) {
  for (const std::string rel :
       {"tests/data/configs/no-such-file.yaml", "tests/data/configs/malformed.yaml"}) {
    const auto r = pmuemu({"host", "show", source(rel)});
    BOOST_TEST(r.status == 65, rel);
    BOOST_TEST(lines(r.err).size() == 1u, r.err);
    BOOST_TEST(r.err.rfind("pmuemu: error: " + source(rel), 0) == 0u, r.err);
  }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_64_and_help_exits_0) {
  BOOST_TEST(pmuemu({"host"}).status == 64);
  BOOST_TEST(pmuemu({"host", "show"}).status == 64);
  BOOST_TEST(pmuemu({"host", "show", "a.yaml", "b.yaml"}).status == 64);
  BOOST_TEST(pmuemu({"host", "show", "--frob"}).status == 64);
  BOOST_TEST(pmuemu({"host", "frob"}).status == 64);
  const auto help = pmuemu({"host", "--help"});
  BOOST_TEST(help.status == 0);
  BOOST_TEST(help.out.find("usage: pmuemu host show FILE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(host_schema_prints_the_key_reference) {
  const auto r = pmuemu({"host", "schema"});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out.find("| `pmu.counters` | integer 0..31 |") != std::string::npos, r.out);
}
