#include "xferval/io/npy_writer.hpp"

#include <fmt/format.h>

#include <cstring>

namespace xferval {

std::string npy_float64_matrix(const double* values, uint64_t rows, uint64_t columns) {
  std::string header =
      fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", rows, columns);
  // Magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64 bytes.
  size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  size_t data_size = static_cast<size_t>(rows * columns) * sizeof(double);
  size_t offset = bytes.size();
  bytes.resize(offset + data_size);
  if (data_size > 0) std::memcpy(bytes.data() + offset, values, data_size);  // x86-64: little endian
  return bytes;
}

}  // namespace xferval
