#pragma once
// Fixed-width integers read from unaligned bytes in a given byte order (zip, npy and idx headers).
#include <cstdint>
#include <cstring>

namespace xferval::io {

template <typename T>
T load_le(const char* bytes) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<T>(static_cast<unsigned char>(bytes[i])) << (8 * i));
  }
  return value;
}

template <typename T>
T load_be(const char* bytes) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value = static_cast<T>((value << 8) | static_cast<unsigned char>(bytes[i]));
  }
  return value;
}

}  // namespace xferval::io
