#pragma once
// Element types of binary arrays and their conversion to double, shared by the npy, npz and idx
// readers: any integer, bool or float (half included) in either byte order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xferval::io {

enum class ElementKind { Bool, Signed, Unsigned, Float };

struct ElementType {
  ElementKind kind = ElementKind::Float;
  int size = 8;  // bytes per element: 1, 2, 4 or 8 (bool 1; float 2, 4 or 8)
  bool big_endian = false;
  // NumPy's name: "bool", "int8".."int64", "uint8".."uint64", "float16".."float64".
  std::string name() const;
};

// IEEE 754 binary16 to double; exact for every value, subnormals, infinities and NaN included.
double half_to_double(uint16_t bits);

// Appends count elements stored at bytes (count * type.size bytes) to out as doubles.
void append_as_double(const ElementType& type, const char* bytes, size_t count, std::vector<double>& out);

// Reorders a Fortran-order (column-major) array's bytes into C order (row-major).
std::vector<char> fortran_to_c_order(std::string_view bytes, const std::vector<int64_t>& shape,
                                     size_t item_size);

// "(60000, 28, 28)": a shape the way NumPy prints it.
std::string shape_text(const std::vector<int64_t>& shape);

// Bytes of an array of this shape and item size; nullopt when a dimension is negative or the
// product overflows 64 bits.
std::optional<uint64_t> array_bytes(const std::vector<int64_t>& shape, size_t item_size);

}  // namespace xferval::io
