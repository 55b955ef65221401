#pragma once
// The ArraySource behind .npy, .npz members and IDX files: a header already parsed, then the
// data pulled sample by sample from a ByteStream and converted to double.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/array_convert.hpp"
#include "io/byte_stream.hpp"
#include "xferval/core/mapped_file.hpp"
#include "xferval/io/array.hpp"

namespace xferval::io {

struct ArrayLayout {
  std::vector<int64_t> shape;  // full shape, at least one axis ({1} for a 0-d array)
  ElementType type;
  bool fortran_order = false;
  uint64_t data_offset = 0;                    // stream bytes before the data (the header)
  std::string size_claim = "the header says";  // what promised the size, for messages ("dims say")
};

// Reads the data that follows the header in `stream`: too little data is an InputError when it
// runs out, too much once the last sample was read (then the stream's own end checks run).
// content_hash() hashes `hashed_bytes`, a region of `file`, which the source keeps mapped.
std::unique_ptr<ArraySource> streamed_array(std::string path, std::shared_ptr<const MappedFile> file,
                                            std::string_view hashed_bytes, std::unique_ptr<ByteStream> stream,
                                            ArrayLayout layout);

// "holds 800 bytes of data, dims say 784 (shape (1, 28, 28) of uint8)".
std::string data_size_message(uint64_t held, uint64_t expected, const ArrayLayout& layout);

}  // namespace xferval::io
