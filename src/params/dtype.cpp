#include "xferval/params/dtype.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace xferval::params {

namespace {

struct DtypeInfo {
  Dtype dtype;
  std::string_view name;
  unsigned bits;
  bool floating;
};

constexpr std::array<DtypeInfo, 22> kDtypes{{
    {Dtype::BOOL, "BOOL", 8, false},
    {Dtype::F4, "F4", 4, true},
    {Dtype::F6_E2M3, "F6_E2M3", 6, true},
    {Dtype::F6_E3M2, "F6_E3M2", 6, true},
    {Dtype::U8, "U8", 8, false},
    {Dtype::I8, "I8", 8, false},
    {Dtype::F8_E5M2, "F8_E5M2", 8, true},
    {Dtype::F8_E4M3, "F8_E4M3", 8, true},
    {Dtype::F8_E8M0, "F8_E8M0", 8, true},
    {Dtype::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8, true},
    {Dtype::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8, true},
    {Dtype::I16, "I16", 16, false},
    {Dtype::U16, "U16", 16, false},
    {Dtype::F16, "F16", 16, true},
    {Dtype::BF16, "BF16", 16, true},
    {Dtype::I32, "I32", 32, false},
    {Dtype::U32, "U32", 32, false},
    {Dtype::F32, "F32", 32, true},
    {Dtype::C64, "C64", 64, true},
    {Dtype::F64, "F64", 64, true},
    {Dtype::I64, "I64", 64, false},
    {Dtype::U64, "U64", 64, false},
}};

const DtypeInfo& info(Dtype dtype) { return kDtypes[static_cast<size_t>(dtype)]; }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// How the all-ones exponent and the sign-only pattern are read, which is where the small float
// formats differ from each other.
enum class Specials { Ieee, FiniteAllOnesNaN, UnsignedZeroNaN, None };

// A minifloat with `exponent_bits`, `mantissa_bits` and `bias`; the sign is the top bit.
double decode_minifloat(unsigned bits, int exponent_bits, int mantissa_bits, int bias, Specials specials) {
  const unsigned width = 1 + exponent_bits + mantissa_bits;
  const bool negative = (bits >> (width - 1)) & 1u;
  const unsigned exponent = (bits >> mantissa_bits) & ((1u << exponent_bits) - 1);
  const unsigned mantissa = bits & ((1u << mantissa_bits) - 1);
  const unsigned exponent_max = (1u << exponent_bits) - 1;
  if (specials == Specials::UnsignedZeroNaN && bits == (1u << (width - 1))) return kNaN;
  if (specials == Specials::Ieee && exponent == exponent_max)
    return mantissa == 0 ? (negative ? -kInf : kInf) : kNaN;
  if (specials == Specials::FiniteAllOnesNaN && exponent == exponent_max &&
      mantissa == (1u << mantissa_bits) - 1) {
    return kNaN;
  }
  const double fraction = std::ldexp(static_cast<double>(mantissa), -mantissa_bits);
  const double magnitude = exponent == 0 ? std::ldexp(fraction, 1 - bias)
                                         : std::ldexp(1.0 + fraction, static_cast<int>(exponent) - bias);
  return negative ? -magnitude : magnitude;
}

template <size_t N>
std::array<double, N> table(int exponent_bits, int mantissa_bits, int bias, Specials specials) {
  std::array<double, N> values{};
  for (unsigned bits = 0; bits < N; ++bits)
    values[bits] = decode_minifloat(bits, exponent_bits, mantissa_bits, bias, specials);
  return values;
}

std::array<double, 256> e8m0_table() {
  std::array<double, 256> values{};
  for (unsigned bits = 0; bits < 256; ++bits)
    values[bits] = bits == 255 ? kNaN : std::ldexp(1.0, static_cast<int>(bits) - 127);
  return values;
}

const std::array<double, 256>& byte_table(Dtype dtype) {
  static const auto e5m2 = table<256>(5, 2, 15, Specials::Ieee);
  static const auto e4m3 = table<256>(4, 3, 7, Specials::FiniteAllOnesNaN);
  static const auto e4m3fnuz = table<256>(4, 3, 8, Specials::UnsignedZeroNaN);
  static const auto e5m2fnuz = table<256>(5, 2, 16, Specials::UnsignedZeroNaN);
  static const auto e8m0 = e8m0_table();
  switch (dtype) {
    case Dtype::F8_E5M2:
      return e5m2;
    case Dtype::F8_E4M3:
      return e4m3;
    case Dtype::F8_E4M3FNUZ:
      return e4m3fnuz;
    case Dtype::F8_E5M2FNUZ:
      return e5m2fnuz;
    default:
      return e8m0;
  }
}

const std::vector<double>& half_table() {
  static const std::vector<double> values = [] {
    std::vector<double> all(65536);
    for (unsigned bits = 0; bits < 65536; ++bits)
      all[bits] = decode_minifloat(bits, 5, 10, 15, Specials::Ieee);
    return all;
  }();
  return values;
}

template <typename T>
void decode_plain(const std::byte* data, uint64_t first, size_t count, double* out) {
  const std::byte* source = data + first * sizeof(T);
  for (size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, source + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(value);
  }
}

// Values narrower than a byte, read from the little-endian bit stream.
void decode_packed(const std::byte* data, uint64_t first, size_t count, unsigned width, const double* lookup,
                   double* out) {
  for (size_t i = 0; i < count; ++i) {
    const uint64_t bit = (first + i) * width;
    const uint64_t byte = bit / 8;
    unsigned window = std::to_integer<unsigned>(data[byte]);
    if ((bit % 8) + width > 8) window |= std::to_integer<unsigned>(data[byte + 1]) << 8;
    out[i] = lookup[(window >> (bit % 8)) & ((1u << width) - 1)];
  }
}

}  // namespace

std::string_view to_string(Dtype dtype) { return info(dtype).name; }

std::optional<Dtype> dtype_from_string(std::string_view name) {
  for (const DtypeInfo& entry : kDtypes) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

unsigned dtype_bits(Dtype dtype) { return info(dtype).bits; }
bool is_floating(Dtype dtype) { return info(dtype).floating; }
unsigned values_per_element(Dtype dtype) { return dtype == Dtype::C64 ? 2 : 1; }

void decode_values(Dtype dtype, const std::byte* data, uint64_t first, size_t count, double* out) {
  static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
  switch (dtype) {
    case Dtype::BOOL:
      for (size_t i = 0; i < count; ++i) out[i] = std::to_integer<unsigned>(data[first + i]) != 0 ? 1.0 : 0.0;
      return;
    case Dtype::U8:
      return decode_plain<uint8_t>(data, first, count, out);
    case Dtype::I8:
      return decode_plain<int8_t>(data, first, count, out);
    case Dtype::I16:
      return decode_plain<int16_t>(data, first, count, out);
    case Dtype::U16:
      return decode_plain<uint16_t>(data, first, count, out);
    case Dtype::I32:
      return decode_plain<int32_t>(data, first, count, out);
    case Dtype::U32:
      return decode_plain<uint32_t>(data, first, count, out);
    case Dtype::I64:
      return decode_plain<int64_t>(data, first, count, out);
    case Dtype::U64:
      return decode_plain<uint64_t>(data, first, count, out);
    case Dtype::F32:
    case Dtype::C64:
      return decode_plain<float>(data, first, count, out);
    case Dtype::F64:
      return decode_plain<double>(data, first, count, out);
    case Dtype::F16: {
      const double* lookup = half_table().data();
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, data + (first + i) * 2, 2);
        out[i] = lookup[bits];
      }
      return;
    }
    case Dtype::BF16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, data + (first + i) * 2, 2);
        out[i] = static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(bits) << 16));
      }
      return;
    case Dtype::F8_E5M2:
    case Dtype::F8_E4M3:
    case Dtype::F8_E8M0:
    case Dtype::F8_E4M3FNUZ:
    case Dtype::F8_E5M2FNUZ: {
      const double* lookup = byte_table(dtype).data();
      for (size_t i = 0; i < count; ++i) out[i] = lookup[std::to_integer<unsigned>(data[first + i])];
      return;
    }
    case Dtype::F4: {
      static const auto e2m1 = table<16>(2, 1, 1, Specials::None);
      return decode_packed(data, first, count, 4, e2m1.data(), out);
    }
    case Dtype::F6_E2M3: {
      static const auto e2m3 = table<64>(2, 3, 1, Specials::None);
      return decode_packed(data, first, count, 6, e2m3.data(), out);
    }
    case Dtype::F6_E3M2: {
      static const auto e3m2 = table<64>(3, 2, 3, Specials::None);
      return decode_packed(data, first, count, 6, e3m2.data(), out);
    }
  }
}

}  // namespace xferval::params
