// .npy files: the header parsed from the memory map, then the data streamed from it.
#include "io/npy_header.hpp"
#include "io/streamed_array.hpp"
#include "xferval/core/error.hpp"
#include "xferval/io/array.hpp"

namespace xferval {

std::unique_ptr<ArraySource> open_npy(const std::string& path) {
  auto file = std::make_shared<const MappedFile>(path);
  std::string_view bytes = file->view();
  auto header_stream = io::memory_stream(bytes);
  io::NpyHeader header = io::read_npy_header(*header_stream, path);
  uint64_t offset = header.layout.data_offset;
  uint64_t available = bytes.size() - offset;
  if (available < header.data_bytes) {
    throw InputError(path, "byte " + std::to_string(offset),
                     io::npy_size_mismatch(header, available, "file"));
  }
  // Bytes after the data are ignored, as numpy.load does.
  auto data = io::memory_stream(bytes.substr(0, static_cast<size_t>(offset + header.data_bytes)));
  return io::streamed_array(path, file, bytes, std::move(data), std::move(header.layout));
}

}  // namespace xferval
