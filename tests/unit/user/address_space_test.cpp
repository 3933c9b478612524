// The address space of `pmuemu user` against Linux's mmap(2), munmap(2), mprotect(2) and
// brk(2) semantics: placement, MAP_FIXED replacement, splitting, permissions and errnos.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "tests/unit/user/fixture.h"

using namespace pmuemu::user;
using namespace pmuemu::user::test;

namespace {
constexpr uint64_t kPage = 0x1000;
constexpr uint64_t kRw = kProtRead | kProtWrite;
long mmap_anon(Proc& t, uint64_t addr, uint64_t len, uint64_t prot, uint64_t extra_flags = 0) {
  return t.sys(kMmap, addr, len, prot, kMapPrivate | kMapAnon | extra_flags, ~0ull, 0);
}
bool can_write(Proc& t, uint64_t va) {
  const uint8_t b = 0x5a;
  return t.p.write(va, &b, 1);
}
bool can_read(Proc& t, uint64_t va) {
  uint8_t b;
  return t.p.read(va, &b, 1);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(address_space)

BOOST_AUTO_TEST_CASE(mmap_without_fixed_is_page_aligned_top_down_and_zero) {
  Proc t;
  const long a = mmap_anon(t, 0, 3 * kPage + 1, kRw);  // a length is rounded up to pages
  BOOST_REQUIRE_GT(a, 0);
  const uint64_t va = static_cast<uint64_t>(a);
  BOOST_TEST(va % kPage == 0);
  BOOST_TEST(va + 4 * kPage <= kMmapTop);
  BOOST_TEST(t.p.mem().accessible(va, 4 * kPage, kRw));
  std::vector<uint8_t> bytes(4 * kPage, 0xff);
  BOOST_REQUIRE(t.p.read(va, bytes.data(), bytes.size()));
  BOOST_TEST(std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; }));
  // Linux's default (top-down) layout: the next mapping goes below the previous one.
  const long b = mmap_anon(t, 0, kPage, kRw);
  BOOST_REQUIRE_GT(b, 0);
  BOOST_TEST(static_cast<uint64_t>(b) + kPage <= va);
  // Both stay far above the heap, so brk can grow.
  BOOST_TEST(static_cast<uint64_t>(b) > t.p.mem().brk_cur);
}

BOOST_AUTO_TEST_CASE(mmap_hint_without_fixed_does_not_replace) {
  Proc t;
  // The scratch page is mapped at Proc::kScratch: a plain hint there must not clobber it.
  BOOST_REQUIRE(can_write(t, Proc::kScratch));
  const long a = mmap_anon(t, Proc::kScratch, kPage, kRw);
  BOOST_REQUIRE_GT(a, 0);
  BOOST_TEST(static_cast<uint64_t>(a) != Proc::kScratch);
  uint8_t b = 0;
  BOOST_REQUIRE(t.p.read(Proc::kScratch, &b, 1));
  BOOST_TEST(b == 0x5a);
}

BOOST_AUTO_TEST_CASE(unaligned_hint_without_fixed_is_accepted) {
  Proc t;
  // Linux rounds a plain hint down to a page (do_mmap's round_hint_to_min); only MAP_FIXED
  // and MAP_FIXED_NOREPLACE need an aligned address.
  const long a = mmap_anon(t, 0x30000123, kPage, kRw);
  BOOST_REQUIRE_GT(a, 0);
  BOOST_TEST(static_cast<uint64_t>(a) % kPage == 0);
  BOOST_TEST(can_write(t, static_cast<uint64_t>(a)));
  BOOST_TEST(mmap_anon(t, 0x30000123, kPage, kRw, kMapFixedNoreplace) == -EINVAL);
}

BOOST_AUTO_TEST_CASE(private_file_mapping_reads_the_file_at_the_offset) {
  Proc t;
  char path[] = "/tmp/pmuemu-unit-user-map-XXXXXX";
  const int hfd = mkstemp(path);
  BOOST_REQUIRE_GE(hfd, 0);
  std::vector<uint8_t> data(kPage + 100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  BOOST_REQUIRE(::write(hfd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(hfd);
  const long fd = t.openat(path);
  ::unlink(path);
  BOOST_REQUIRE_GE(fd, 0);
  // The second page of the file: 100 bytes of data, then zeros to the end of the page.
  const long a = t.sys(kMmap, 0, kPage, kProtRead, kMapPrivate, static_cast<uint64_t>(fd), kPage);
  BOOST_REQUIRE_GT(a, 0);
  std::vector<uint8_t> got(kPage);
  BOOST_REQUIRE(t.p.read(static_cast<uint64_t>(a), got.data(), got.size()));
  BOOST_TEST(std::equal(got.begin(), got.begin() + 100, data.begin() + kPage));
  BOOST_TEST(std::all_of(got.begin() + 100, got.end(), [](uint8_t b) { return b == 0; }));
  BOOST_TEST(!can_write(t, static_cast<uint64_t>(a)));  // PROT_READ
  // Closing the fd keeps the mapping (it holds its own reference to the data).
  BOOST_REQUIRE_EQUAL(t.sys(kClose, static_cast<uint64_t>(fd)), 0);
  BOOST_TEST(can_read(t, static_cast<uint64_t>(a)));
}

BOOST_AUTO_TEST_CASE(map_fixed_replaces_contents_and_protection) {
  Proc t;
  const uint64_t va = 0x30000000;
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va, 4 * kPage, kRw, kMapFixed), static_cast<long>(va));
  const uint32_t word = 0xdeadbeef;
  BOOST_REQUIRE(t.p.write(va + kPage, &word, 4));
  // Replace the middle two pages read-only: old contents gone, new protection in force.
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va + kPage, 2 * kPage, kProtRead, kMapFixed), static_cast<long>(va + kPage));
  uint32_t got = 1;
  BOOST_REQUIRE(t.p.read(va + kPage, &got, 4));
  BOOST_TEST(got == 0u);
  BOOST_TEST(!can_write(t, va + kPage));
  BOOST_TEST(!can_write(t, va + 2 * kPage));
  BOOST_TEST(can_write(t, va));              // the pages around keep their protection
  BOOST_TEST(can_write(t, va + 3 * kPage));
  // MAP_FIXED_NOREPLACE over any mapped page: EEXIST, and nothing changes.
  BOOST_TEST(mmap_anon(t, va + 3 * kPage, 2 * kPage, kRw, kMapFixedNoreplace) == -EEXIST);
  BOOST_TEST(can_write(t, va + 3 * kPage));
  BOOST_TEST(!t.p.mem().mapped(va + 4 * kPage));
  // ... and over a free range it maps exactly there.
  BOOST_TEST(mmap_anon(t, va + 4 * kPage, kPage, kRw, kMapFixedNoreplace) == static_cast<long>(va + 4 * kPage));
}

BOOST_AUTO_TEST_CASE(huge_lengths_are_answered_at_once) {
  // The fuzzer's timeout: MAP_FIXED_NOREPLACE of a range of many GiB looked at every page.
  // Now one lookup answers, and ranges Linux refuses before looking are ENOMEM.
  Proc t;
  const uint64_t va = 0x30000000;
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va + 64 * kPage, kPage, kRw, kMapFixed), static_cast<long>(va + 64 * kPage));
  // 512 MiB of program pages (in every build's address space) with one mapped page inside.
  BOOST_TEST(mmap_anon(t, va, 512ull << 20, kRw, kMapFixedNoreplace) == -EEXIST);
  // A mapping that starts below the range and reaches into it.
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va + 100 * kPage, 2 * kPage, kRw, kMapFixed), static_cast<long>(va + 100 * kPage));
  BOOST_TEST(mmap_anon(t, va + 101 * kPage, 4 * kPage, kRw, kMapFixedNoreplace) == -EEXIST);
  // Right after it, clear of every mapping: mapped there.
  BOOST_TEST(mmap_anon(t, va + 102 * kPage, 4 * kPage, kRw, kMapFixedNoreplace) ==
             static_cast<long>(va + 102 * kPage));
  // Beyond the program's pages, and a length that wraps the address space: ENOMEM first.
  BOOST_TEST(mmap_anon(t, va, ~uint64_t{0} - va, kRw, kMapFixedNoreplace) == -ENOMEM);
  BOOST_TEST(mmap_anon(t, va, ~uint64_t{0} - va, kRw, kMapFixed) == -ENOMEM);
  // A length that rounds up past 2^64 (Linux: PAGE_ALIGN gives 0): ENOMEM, nothing mapped
  // (a fixed one used to return its address with nothing mapped).
  BOOST_TEST(mmap_anon(t, 0, ~uint64_t{0} - 16, kRw, 0) == -ENOMEM);
  BOOST_TEST(mmap_anon(t, va, ~uint64_t{0} - 16, kRw, kMapFixed) == -ENOMEM);
  BOOST_TEST(!t.p.mem().mapped(va));
}

BOOST_AUTO_TEST_CASE(partial_munmap_splits_a_mapping) {
  Proc t;
  const uint64_t va = 0x30000000;
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va, 5 * kPage, kRw, kMapFixed), static_cast<long>(va));
  const uint8_t tail_byte = 0x77;
  BOOST_REQUIRE(t.p.write(va + 4 * kPage, &tail_byte, 1));
  BOOST_REQUIRE_EQUAL(t.sys(kMunmap, va + kPage, 2 * kPage), 0);
  BOOST_TEST(t.p.mem().mapped(va));
  BOOST_TEST(!t.p.mem().mapped(va + kPage));
  BOOST_TEST(!t.p.mem().mapped(va + 2 * kPage));
  BOOST_TEST(t.p.mem().mapped(va + 3 * kPage));
  BOOST_TEST(!can_read(t, va + kPage));  // the hole faults (EFAULT for a system call)
  uint8_t b = 0;
  BOOST_REQUIRE(t.p.read(va + 4 * kPage, &b, 1));
  BOOST_TEST(b == tail_byte);  // the surviving pieces keep their data
  // An access range spanning the hole is not accessible as a whole.
  BOOST_TEST(!t.p.mem().accessible(va, 4 * kPage, kProtRead));
  // Unmapping pages that are not mapped is not an error (Linux: munmap of a hole is 0).
  BOOST_TEST(t.sys(kMunmap, va + kPage, kPage) == 0);
  // A remap of the hole reads zero, not the old bytes.
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va + kPage, kPage, kRw, kMapFixed), static_cast<long>(va + kPage));
  BOOST_REQUIRE(t.p.read(va + kPage, &b, 1));
  BOOST_TEST(b == 0);
}

BOOST_AUTO_TEST_CASE(mprotect_changes_and_splits_permissions) {
  Proc t;
  const uint64_t va = 0x30000000;
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va, 3 * kPage, kRw, kMapFixed), static_cast<long>(va));
  BOOST_REQUIRE_EQUAL(t.sys(kMprotect, va + kPage, kPage, kProtRead), 0);
  BOOST_TEST(can_write(t, va));
  BOOST_TEST(!can_write(t, va + kPage));
  BOOST_TEST(can_read(t, va + kPage));
  BOOST_TEST(can_write(t, va + 2 * kPage));
  // PROT_NONE: neither readable nor writable, but still mapped (a later mprotect works).
  BOOST_REQUIRE_EQUAL(t.sys(kMprotect, va, kPage, 0), 0);
  BOOST_TEST(!can_read(t, va));
  BOOST_TEST(t.p.mem().mapped(va));
  BOOST_REQUIRE_EQUAL(t.sys(kMprotect, va, 3 * kPage, kRw), 0);
  BOOST_TEST(t.p.mem().accessible(va, 3 * kPage, kRw));
  // The length is rounded up to pages.
  BOOST_REQUIRE_EQUAL(t.sys(kMprotect, va, 1, kProtRead), 0);
  BOOST_TEST(!can_write(t, va + kPage - 1));
  BOOST_TEST(can_write(t, va + kPage));
}

BOOST_AUTO_TEST_CASE(mprotect_errnos) {
  Proc t;
  const uint64_t va = 0x30000000;
  BOOST_REQUIRE_EQUAL(mmap_anon(t, va, 2 * kPage, kRw, kMapFixed), static_cast<long>(va));
  BOOST_TEST(t.sys(kMprotect, va + 1, kPage, kProtRead) == -EINVAL);          // unaligned start
  BOOST_TEST(t.sys(kMprotect, va, 3 * kPage, kProtRead) == -ENOMEM);          // runs past the mapping
  BOOST_TEST(t.sys(kMprotect, va + 4 * kPage, kPage, kProtRead) == -ENOMEM);  // nothing mapped
  // arch_validate_prot(): bits beyond read/write/exec/PROT_SEM are EINVAL (PROT_BTI only
  // with BTI, which these cores lack; PROT_MTE never), as is PROT_GROWSUP.
  BOOST_TEST(t.sys(kMprotect, va, kPage, kProtRead | 0x40) == -EINVAL);
  BOOST_TEST(t.sys(kMprotect, va, kPage, kProtRead | 0x10) == -EINVAL);        // PROT_BTI
  BOOST_TEST(t.sys(kMprotect, va, kPage, kProtRead | 0x20) == -EINVAL);        // PROT_MTE
  BOOST_TEST(t.sys(kMprotect, va, kPage, kProtRead | 0x02000000) == -EINVAL);  // PROT_GROWSUP
  BOOST_TEST(t.sys(kMprotect, va, kPage, kProtRead | 0x80000000ull) == -EINVAL);
  // A failed mprotect changes nothing.
  BOOST_TEST(can_write(t, va));
  BOOST_TEST(can_write(t, va + kPage));
  BOOST_TEST(t.sys(kMprotect, va, kPage, kProtRead | 0x8) == 0);  // PROT_SEM is accepted
  BOOST_TEST(!can_write(t, va));
}

BOOST_AUTO_TEST_CASE(mmap_and_munmap_errnos) {
  Proc t;
  BOOST_TEST(mmap_anon(t, 0, 0, kRw) == -EINVAL);                                  // zero length
  BOOST_TEST(mmap_anon(t, 0x30000001, kPage, kRw, kMapFixed) == -EINVAL);          // unaligned MAP_FIXED
  BOOST_TEST(t.sys(kMmap, 0, kPage, kRw, kMapAnon, ~0ull, 0) == -EINVAL);          // neither SHARED nor PRIVATE
  BOOST_TEST(t.sys(kMmap, 0, kPage, kRw, kMapPrivate, 77, 0) == -EBADF);           // file mapping, no such fd
  BOOST_TEST(t.sys(kMmap, 0, kPage, kRw, kMapPrivate, 3, 1) == -EINVAL);           // unaligned offset
  BOOST_TEST(mmap_anon(t, 0, kMmapTop, kRw) == -ENOMEM);                           // larger than the space
  BOOST_TEST(t.sys(kMunmap, 0x30000001, kPage) == -EINVAL);                        // unaligned
  BOOST_TEST(t.sys(kMunmap, 0x30000000, 0) == -EINVAL);                            // zero length
  // The "kernel" half is out of reach: neither mappable nor unmappable by the program.
  BOOST_TEST(mmap_anon(t, kKernelBase, kPage, kRw, kMapFixed) == -ENOMEM);
  BOOST_TEST(t.sys(kMunmap, kKernelBase, kPage) == -EINVAL);
  BOOST_TEST(!t.p.mem().accessible(t.p.mem().vectors(), 4, kProtRead));
}

BOOST_AUTO_TEST_CASE(brk_grows_shrinks_and_refuses) {
  Proc t;
  // The break starts at the end of the highest loaded segment.
  const long start = t.sys(kBrk, 0);
  BOOST_TEST(start == static_cast<long>(kLoadEnd));
  BOOST_TEST(!t.p.mem().mapped(kLoadEnd));
  // Growth (not page-aligned): brk returns the new break, the pages up to it are zeroed RW.
  const uint64_t grown = kLoadEnd + 2 * kPage + 0x10;
  BOOST_REQUIRE_EQUAL(t.sys(kBrk, grown), static_cast<long>(grown));
  BOOST_TEST(t.p.mem().accessible(kLoadEnd, grown - kLoadEnd, kRw));
  BOOST_TEST(t.p.mem().mapped(grown));  // the rest of the last page belongs to the heap
  uint8_t b = 0xff;
  BOOST_REQUIRE(t.p.read(grown - 1, &b, 1));
  BOOST_TEST(b == 0);
  BOOST_TEST(t.sys(kBrk, 0) == static_cast<long>(grown));
  // Shrinking releases the pages above the new break.
  BOOST_REQUIRE_EQUAL(t.sys(kBrk, kLoadEnd + kPage), static_cast<long>(kLoadEnd + kPage));
  BOOST_TEST(t.p.mem().mapped(kLoadEnd));
  BOOST_TEST(!t.p.mem().mapped(kLoadEnd + kPage));
  BOOST_TEST(!t.p.mem().mapped(kLoadEnd + 2 * kPage));
  // Growing again hands out zeroed pages, not what was there before the shrink.
  BOOST_REQUIRE(can_write(t, kLoadEnd));
  BOOST_REQUIRE_EQUAL(t.sys(kBrk, kLoadEnd + 3 * kPage), static_cast<long>(kLoadEnd + 3 * kPage));
  BOOST_REQUIRE(t.p.read(kLoadEnd + kPage, &b, 1));
  BOOST_TEST(b == 0);
  // Failure returns the current break unchanged (Linux's brk never returns an errno):
  // below the start,
  BOOST_TEST(t.sys(kBrk, kLoadVa) == static_cast<long>(kLoadEnd + 3 * kPage));
  // and into an existing mapping.
  const uint64_t blocker = kLoadEnd + 5 * kPage;
  BOOST_REQUIRE_EQUAL(mmap_anon(t, blocker, kPage, kRw, kMapFixed), static_cast<long>(blocker));
  BOOST_TEST(t.sys(kBrk, blocker + kPage) == static_cast<long>(kLoadEnd + 3 * kPage));
  BOOST_TEST(!t.p.mem().mapped(kLoadEnd + 4 * kPage));
  BOOST_TEST(t.sys(kBrk, 0) == static_cast<long>(kLoadEnd + 3 * kPage));
}

BOOST_AUTO_TEST_CASE(program_segment_has_its_elf_permissions) {
  Proc t;
  // PF_R | PF_X: readable, not writable; the entry page holds the program's instruction.
  uint32_t insn = 0;
  BOOST_REQUIRE(t.p.read(kEntry, &insn, 4));
  BOOST_TEST(insn == 0x14000000u);
  BOOST_TEST(!can_write(t, kEntry));
  BOOST_TEST(t.p.mem().accessible(kLoadVa, kLoadEnd - kLoadVa, kProtRead | kProtExec));
  BOOST_TEST(!t.p.mem().mapped(kLoadVa - kPage));
}

// Translation faults are filled in on demand only where the region allows the access.
BOOST_AUTO_TEST_CASE(fault_in_follows_region_permissions) {
  Proc t;
  AddressSpace& m = t.p.mem();
  const uint64_t ro = 0x30000000, rw = ro + kPage, none = ro + 2 * kPage, rx = ro + 3 * kPage;
  BOOST_REQUIRE(m.map(ro, kPage, kProtRead));
  BOOST_REQUIRE(m.map(rw, kPage, kRw));
  BOOST_REQUIRE(m.map(none, kPage, 0));
  BOOST_REQUIRE(m.map(rx, kPage, kProtRead | kProtExec));
  BOOST_TEST(m.fault_in(ro, false, false));
  BOOST_TEST(!m.fault_in(ro, false, false));  // already filled: a second fault is a real one
  BOOST_TEST(!m.fault_in(ro, true, false));   // write to read-only
  BOOST_TEST(!m.fault_in(ro, false, true));   // execute without PROT_EXEC
  BOOST_TEST(m.fault_in(rw + 8, true, false));
  BOOST_TEST(!m.fault_in(none, false, false));
  BOOST_TEST(m.fault_in(rx, false, true));
  BOOST_TEST(!m.fault_in(ro + 16 * kPage, false, false));  // unmapped
  BOOST_TEST(!m.fault_in(m.vectors(), false, false));      // kernel page
  // After mprotect the descriptor is rebuilt: a write fault on the now-writable page succeeds.
  BOOST_REQUIRE_EQUAL(m.protect(ro, kPage, kRw), 0);
  BOOST_TEST(m.fault_in(ro, true, false));
}

BOOST_AUTO_TEST_CASE(find_free_is_below_mmap_top_and_above_heap_room) {
  Proc t;
  AddressSpace& m = t.p.mem();
  const uint64_t a = m.find_free(3 * kPage);
  BOOST_REQUIRE_NE(a, 0u);
  BOOST_TEST(a % kPage == 0);
  BOOST_TEST(a + 3 * kPage <= kMmapTop);
  BOOST_TEST(!m.mapped(a));
  BOOST_TEST(!m.mapped(a + 2 * kPage));
  BOOST_TEST(m.find_free(0) == 0u);
  BOOST_TEST(m.find_free(kMmapTop) == 0u);
  // A mapping just below kMmapTop pushes the next choice below it.
  BOOST_REQUIRE(m.map(kMmapTop - 4 * kPage, 4 * kPage, kRw));
  const uint64_t b = m.find_free(kPage);
  BOOST_TEST(b + kPage <= kMmapTop - 4 * kPage);
}

BOOST_AUTO_TEST_SUITE_END()
