#pragma once
// The element types of the safetensors format (reference §6.3), in the format's enum order
// (increasing alignment), and their conversion to double for statistics.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xferval::params {

enum class Dtype {
  BOOL,
  F4,
  F6_E2M3,
  F6_E3M2,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  F8_E8M0,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  C64,
  F64,
  I64,
  U64
};

std::string_view to_string(Dtype dtype);
std::optional<Dtype> dtype_from_string(std::string_view name);
// Bits per element (4 for F4, 6 for the F6 types, 64 for C64).
unsigned dtype_bits(Dtype dtype);
// True for the floating-point types (whose values can be NaN or infinite, and whose 2-D tensors
// are weight matrices for the spectrum).
bool is_floating(Dtype dtype);
// Doubles per element: 2 for C64 (real and imaginary part), else 1.
unsigned values_per_element(Dtype dtype);

// Decodes `count` values starting at value index `first` of a little-endian buffer of `dtype`
// into `out`. Value indices count the doubles of values_per_element(). Sub-byte types are packed
// as a little-endian bit stream: value i occupies bits [i*b, i*b + b), so F4 holds value 0 in the
// low nibble of byte 0 (the PyTorch float4_e2m1fn_x2 layout).
void decode_values(Dtype dtype, const std::byte* data, uint64_t first, size_t count, double* out);

}  // namespace xferval::params
