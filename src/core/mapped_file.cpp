#include "xferval/core/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "xferval/core/error.hpp"

namespace xferval {

MappedFile::MappedFile(std::string path) : path_(std::move(path)) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string reason = errno == ENOENT ? "no such file; check the path" : std::strerror(errno);
    throw InputError(path_, "", "cannot open: " + reason);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    throw InputError(path_, "", std::string("cannot read: ") + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw InputError(path_, "", "is a folder, expected a file");
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) {
      int saved = errno;
      ::close(fd);
      throw InputError(path_, "", std::string("cannot read: ") + std::strerror(saved));
    }
    ::madvise(mapped, size_, MADV_SEQUENTIAL);
    data_ = static_cast<const char*>(mapped);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

}  // namespace xferval
