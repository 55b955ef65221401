#pragma once
// Every artifact is written to a temporary file in the destination folder and renamed into
// place on commit(), so a crash or an error never leaves half a file behind.
#include <filesystem>
#include <string_view>

namespace xferval {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path destination);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  void write(const void* data, size_t size);
  // Flushes, fsyncs and renames the temporary file onto the destination.
  void commit();
  const std::filesystem::path& destination() const { return destination_; }

 private:
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes the whole content atomically.
void write_file_atomically(const std::filesystem::path& destination, std::string_view content);

}  // namespace xferval
