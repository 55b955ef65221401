#pragma once
// 64-bit xxh3 hashes: sketch keys and content hashes of inputs.
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace xferval {

inline uint64_t hash_bytes(const void* data, size_t size, uint64_t seed = 0) {
  return XXH3_64bits_withSeed(data, size, seed);
}
inline uint64_t hash_string(std::string_view text) { return hash_bytes(text.data(), text.size()); }
// Equal doubles hash equally: -0.0 and 0.0 are one value, and every NaN is one value.
// The bits go through the murmur3 64-bit finaliser: a full avalanche at a fraction of a
// general hash's cost, which matters on the profiling hot path (one hash per value).
inline uint64_t hash_number(double value) {
  if (value == 0.0) value = 0.0;
  if (value != value) value = __builtin_nan("");
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits ^= bits >> 33;
  bits *= 0xff51afd7ed558ccdULL;
  bits ^= bits >> 33;
  bits *= 0xc4ceb93fe5ae53cdULL;
  bits ^= bits >> 33;
  return bits;
}

// Streaming xxh3-64 of a file's bytes: the profile's content hash.
class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;
  void update(const void* data, size_t size);
  uint64_t digest() const;
  std::string hex_digest() const;  // 16 lower-case hex digits

 private:
  XXH3_state_t* state_;
};

// "xxh3:0123456789abcdef" for a whole file.
std::string hash_file(const std::string& path);

}  // namespace xferval
