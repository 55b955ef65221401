#include "io/array_convert.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace xferval::io {

namespace {

template <typename Bits>
Bits byte_swap(Bits bits) {
  if constexpr (sizeof(Bits) == 1) {
    return bits;
  } else if constexpr (sizeof(Bits) == 2) {
    return __builtin_bswap16(bits);
  } else if constexpr (sizeof(Bits) == 4) {
    return __builtin_bswap32(bits);
  } else {
    return __builtin_bswap64(bits);
  }
}

template <size_t Size>
struct BitsOf;
template <>
struct BitsOf<1> {
  using type = uint8_t;
};
template <>
struct BitsOf<2> {
  using type = uint16_t;
};
template <>
struct BitsOf<4> {
  using type = uint32_t;
};
template <>
struct BitsOf<8> {
  using type = uint64_t;
};

// Value is the stored type; Half marks binary16 stored in a uint16_t.
template <typename Value, bool Swap, bool Half = false>
void convert(const char* bytes, size_t count, double* out) {
  using Bits = typename BitsOf<sizeof(Value)>::type;
  for (size_t i = 0; i < count; ++i) {
    Bits bits;
    std::memcpy(&bits, bytes + i * sizeof(Value), sizeof bits);
    if constexpr (Swap) bits = byte_swap(bits);
    if constexpr (Half) {
      out[i] = half_to_double(bits);
    } else {
      Value value;
      std::memcpy(&value, &bits, sizeof value);
      out[i] = static_cast<double>(value);
    }
  }
}

template <bool Swap>
void convert_any(const ElementType& type, const char* bytes, size_t count, double* out) {
  switch (type.kind) {
    case ElementKind::Bool:
      for (size_t i = 0; i < count; ++i) out[i] = bytes[i] != 0 ? 1.0 : 0.0;
      return;
    case ElementKind::Signed:
      switch (type.size) {
        case 1:
          return convert<int8_t, Swap>(bytes, count, out);
        case 2:
          return convert<int16_t, Swap>(bytes, count, out);
        case 4:
          return convert<int32_t, Swap>(bytes, count, out);
        default:
          return convert<int64_t, Swap>(bytes, count, out);
      }
    case ElementKind::Unsigned:
      switch (type.size) {
        case 1:
          return convert<uint8_t, Swap>(bytes, count, out);
        case 2:
          return convert<uint16_t, Swap>(bytes, count, out);
        case 4:
          return convert<uint32_t, Swap>(bytes, count, out);
        default:
          return convert<uint64_t, Swap>(bytes, count, out);
      }
    case ElementKind::Float:
      switch (type.size) {
        case 2:
          return convert<uint16_t, Swap, true>(bytes, count, out);
        case 4:
          return convert<float, Swap>(bytes, count, out);
        default:
          return convert<double, Swap>(bytes, count, out);
      }
  }
}

}  // namespace

std::string ElementType::name() const {
  switch (kind) {
    case ElementKind::Bool:
      return "bool";
    case ElementKind::Signed:
      return "int" + std::to_string(size * 8);
    case ElementKind::Unsigned:
      return "uint" + std::to_string(size * 8);
    case ElementKind::Float:
      return "float" + std::to_string(size * 8);
  }
  return "unknown";
}

double half_to_double(uint16_t bits) {
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);  // zero or subnormal
  } else if (exponent == 0x1f) {
    magnitude =
        mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else {
    magnitude = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return (bits & 0x8000) != 0 ? -magnitude : magnitude;
}

void append_as_double(const ElementType& type, const char* bytes, size_t count, std::vector<double>& out) {
  size_t start = out.size();
  out.resize(start + count);
  bool swap = type.size > 1 && type.big_endian != (std::endian::native == std::endian::big);
  if (swap) {
    convert_any<true>(type, bytes, count, out.data() + start);
  } else {
    convert_any<false>(type, bytes, count, out.data() + start);
  }
}

std::vector<char> fortran_to_c_order(std::string_view bytes, const std::vector<int64_t>& shape,
                                     size_t item_size) {
  std::vector<char> out(bytes.size());
  size_t count = item_size == 0 ? 0 : bytes.size() / item_size;
  if (count == 0) return out;
  size_t rank = shape.size();
  // Fortran strides (in elements) of each axis, and the C-order odometer over the axes.
  std::vector<size_t> stride(rank, 1), index(rank, 0);
  for (size_t axis = 1; axis < rank; ++axis)
    stride[axis] = stride[axis - 1] * static_cast<size_t>(shape[axis - 1]);
  size_t source = 0;
  for (size_t target = 0; target < count; ++target) {
    std::memcpy(out.data() + target * item_size, bytes.data() + source * item_size, item_size);
    for (size_t axis = rank; axis-- > 0;) {
      source += stride[axis];
      if (++index[axis] < static_cast<size_t>(shape[axis])) break;
      source -= stride[axis] * index[axis];
      index[axis] = 0;
    }
  }
  return out;
}

std::optional<uint64_t> array_bytes(const std::vector<int64_t>& shape, size_t item_size) {
  uint64_t bytes = item_size;
  for (int64_t dimension : shape) {
    if (dimension < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(dimension), &bytes))
      return std::nullopt;
  }
  return bytes;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis > 0) text += ", ";
    text += std::to_string(shape[axis]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

}  // namespace xferval::io
