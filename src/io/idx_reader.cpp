// IDX files (MNIST and its relatives), raw or gzipped: big-endian dimensions, then the data.
#include <cstdio>

#include "io/byte_order.hpp"
#include "io/streamed_array.hpp"
#include "xferval/core/error.hpp"
#include "xferval/io/array.hpp"

namespace xferval {

namespace {

io::ElementType idx_type(unsigned code, const std::string& path) {
  using io::ElementKind;
  switch (code) {
    case 0x08:
      return {ElementKind::Unsigned, 1, true};
    case 0x09:
      return {ElementKind::Signed, 1, true};
    case 0x0B:
      return {ElementKind::Signed, 2, true};
    case 0x0C:
      return {ElementKind::Signed, 4, true};
    case 0x0D:
      return {ElementKind::Float, 4, true};
    case 0x0E:
      return {ElementKind::Float, 8, true};
  }
  char text[16];
  std::snprintf(text, sizeof text, "0x%02X", code);
  throw InputError(
      path, "byte 2",
      std::string("unknown IDX type code ") + text +
          "; expected 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32 or 0x0E float64");
}

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string truncated(uint64_t end, const std::string& inside) {
  return "truncated header: the data ends at byte " + std::to_string(end) + ", inside the " + inside;
}

}  // namespace

std::unique_ptr<ArraySource> open_idx(const std::string& path) {
  auto file = std::make_shared<const MappedFile>(path);
  std::string_view bytes = file->view();
  bool gzip = is_gzip(bytes);
  auto stream = gzip ? io::inflate_stream(bytes, 0, io::Compression::Gzip, path) : io::memory_stream(bytes);
  std::string magic = io::read_string(*stream, 4);
  if (magic.size() < 4)
    throw InputError(path, stream->where(magic.size()), truncated(magic.size(), "magic number"));
  if (magic[0] != 0 || magic[1] != 0) {
    throw InputError(path, stream->where(0),
                     "not an IDX file: the magic number must start with two zero bytes (00 00 TYPE NDIM)");
  }
  io::ArrayLayout layout;
  layout.type = idx_type(static_cast<unsigned char>(magic[2]), path);
  size_t rank = static_cast<unsigned char>(magic[3]);
  if (rank == 0)
    throw InputError(path, stream->where(3), "the IDX header declares 0 dimensions; expected 1 or more");
  std::string dims = io::read_string(*stream, 4 * rank);
  if (dims.size() < 4 * rank) {
    uint64_t end = 4 + dims.size();
    throw InputError(path, stream->where(end),
                     truncated(end, "sizes of the " + std::to_string(rank) + " dimensions"));
  }
  for (size_t axis = 0; axis < rank; ++axis)
    layout.shape.push_back(io::load_be<uint32_t>(dims.data() + 4 * axis));
  layout.data_offset = 4 + 4 * rank;
  layout.size_claim = "dims say";
  auto data_bytes = io::array_bytes(layout.shape, static_cast<size_t>(layout.type.size));
  if (!data_bytes) {
    throw InputError(path, stream->where(4), "dimensions " + io::shape_text(layout.shape) + " are too large");
  }
  if (!gzip && bytes.size() - layout.data_offset != *data_bytes) {
    // A gzipped file's size is checked as it is decompressed.
    throw InputError(path, "byte " + std::to_string(layout.data_offset),
                     io::data_size_message(bytes.size() - layout.data_offset, *data_bytes, layout));
  }
  return io::streamed_array(path, file, bytes, std::move(stream), std::move(layout));
}

}  // namespace xferval
