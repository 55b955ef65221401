#pragma once
// The .npy preamble and header dict, shared by the .npy and .npz readers.
#include <string>

#include "io/byte_stream.hpp"
#include "io/streamed_array.hpp"

namespace xferval::io {

struct NpyHeader {
  ArrayLayout layout;          // shape {1} for a 0-d array; data_offset is the header's length
  uint64_t element_count = 0;  // product of the shape
  uint64_t data_bytes = 0;     // element_count * item size (checked for overflow)
};

// Reads the magic string, version (1.0, 2.0 or 3.0), header length and header dict of an .npy
// stream at its first byte; leaves the stream at the first data byte. Errors name the byte.
NpyHeader read_npy_header(ByteStream& stream, const std::string& file);

// "header claims 1000 elements (8000 bytes of data from byte 128) but the file holds 800 bytes
// after the header"; `container` is "file" or "member".
std::string npy_size_mismatch(const NpyHeader& header, uint64_t available, const std::string& container);

}  // namespace xferval::io
