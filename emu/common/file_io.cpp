#include "emu/common/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "emu/common/errors.h"

namespace pmuemu {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw InputError(file.string() + ": " + what);
}

template <typename Buffer>
Buffer read_all(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) fail(file, "cannot read: is a directory");
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(file.c_str(), "rb"));
  if (!f) fail(file, std::string("cannot read: ") + std::strerror(errno));
  Buffer out;
  // Read in chunks rather than trusting the file size: pipes and /proc files report 0.
  // The size is only a hint for the first allocation (a kernel Image is tens of MiB).
  if (const auto size = std::filesystem::file_size(file, ec); !ec && size <= kMaxInputFileBytes) out.reserve(size);
  // The chunk has the buffer's element type, so appending it is one memmove.
  typename Buffer::value_type chunk[64 * 1024];
  for (;;) {
    const std::size_t n = std::fread(chunk, 1, sizeof chunk, f.get());
    if (n > 0) {
      if (out.size() + n > kMaxInputFileBytes) fail(file, "cannot read: file is larger than 1 GiB");
      out.insert(out.end(), chunk, chunk + n);
    }
    if (n < sizeof chunk) {
      if (std::ferror(f.get())) fail(file, std::string("cannot read: ") + std::strerror(errno));
      break;
    }
  }
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& file) {
  return read_all<std::vector<uint8_t>>(file);
}

std::string read_file_text(const std::filesystem::path& file) {
  return read_all<std::string>(file);
}

}  // namespace pmuemu
