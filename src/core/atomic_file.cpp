#include "xferval/core/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "xferval/core/error.hpp"

namespace xferval {

namespace {
[[noreturn]] void fail(const std::filesystem::path& path, const std::string& action) {
  throw InputError(path.string(), "", action + " failed: " + std::strerror(errno));
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination) : destination_(std::move(destination)) {
  std::filesystem::path folder = destination_.parent_path();
  if (folder.empty()) folder = ".";
  std::string pattern = (folder / fmt::format(".{}.tmp-XXXXXX", destination_.filename().string())).string();
  fd_ = ::mkstemp(pattern.data());
  if (fd_ < 0) fail(destination_, "creating a temporary file in " + folder.string());
  temporary_ = pattern;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temporary_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

void AtomicFile::write(const void* data, size_t size) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(fd_, cursor, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(destination_, "writing");
    }
    cursor += written;
    size -= static_cast<size_t>(written);
  }
}

void AtomicFile::commit() {
  if (::fchmod(fd_, 0644) != 0) fail(destination_, "setting permissions");
  if (::fsync(fd_) != 0) fail(destination_, "flushing");
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail(destination_, "closing");
  }
  fd_ = -1;
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) fail(destination_, "renaming into place");
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& destination, std::string_view content) {
  AtomicFile file(destination);
  file.write(content);
  file.commit();
}

}  // namespace xferval
