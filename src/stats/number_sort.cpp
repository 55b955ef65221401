#include "xferval/stats/number_sort.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace xferval {

namespace {

// Three 11-bit digits sort by the top 33 bits of the key (sign, exponent and 20 bits of the
// mantissa); what is left out of order after them is only within groups that share those bits,
// which are small for real data and sorted directly. Five more passes for the low bits would
// cost twice as much.
constexpr int kDigitBits = 11;
constexpr size_t kBuckets = size_t{1} << kDigitBits;
constexpr int kDigits = 3;
constexpr int kUnsortedBits = 64 - kDigits * kDigitBits;
constexpr size_t kInsertionSortLimit = 16;

// The IEEE-754 bits as an unsigned key with the same order: negative numbers have every bit
// flipped (a larger magnitude is smaller), positive ones only the sign bit.
inline uint64_t order_key(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const auto negative_mask = static_cast<uint64_t>(static_cast<int64_t>(bits) >> 63);
  return bits ^ (negative_mask | (uint64_t{1} << 63));
}

inline double from_order_key(uint64_t key) {
  const auto negative_mask = static_cast<uint64_t>(static_cast<int64_t>(~key) >> 63);
  const uint64_t bits = key ^ (negative_mask | (uint64_t{1} << 63));
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

void sort_group(uint64_t* begin, uint64_t* end) {
  if (std::is_sorted(begin, end)) return;  // e.g. a run of one repeated value
  if (static_cast<size_t>(end - begin) > kInsertionSortLimit) return std::sort(begin, end);
  for (uint64_t* next = begin + 1; next < end; ++next) {
    const uint64_t key = *next;
    uint64_t* slot = next;
    for (; slot > begin && slot[-1] > key; --slot) *slot = slot[-1];
    *slot = key;
  }
}

// Integer values within a span of at most this many (a coded or count column) sort by counting.
constexpr int64_t kCountingSpan = 4096;

// Sorts by counting when every value is an integer (no -0.0, whose sign counting would lose) and
// they span fewer than kCountingSpan; returns false, having changed nothing, otherwise. Real-valued
// data fails on its first values.
bool counting_sort(double* values, size_t count, std::vector<uint64_t>& scratch) {
  constexpr double kExact = 9007199254740992.0;  // 2^53: every integer below converts exactly
  int64_t low = std::numeric_limits<int64_t>::max();
  int64_t high = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < count; ++i) {
    const double value = values[i];
    if (!(value > -kExact && value < kExact)) return false;
    const auto integer = static_cast<int64_t>(value);
    if (static_cast<double>(integer) != value || (integer == 0 && std::signbit(value))) return false;
    low = std::min(low, integer);
    high = std::max(high, integer);
    if ((i & 63) == 63 && high - low >= kCountingSpan) return false;
  }
  if (high - low >= kCountingSpan) return false;
  scratch.assign(static_cast<size_t>(high - low) + 1, 0);
  for (size_t i = 0; i < count; ++i) ++scratch[static_cast<size_t>(static_cast<int64_t>(values[i]) - low)];
  size_t out = 0;
  for (size_t slot = 0; slot < scratch.size(); ++slot) {
    const auto value = static_cast<double>(low + static_cast<int64_t>(slot));
    for (uint64_t n = scratch[slot]; n > 0; --n) values[out++] = value;
  }
  return true;
}

// Sorts values (count >= 2) by three radix passes and then the groups that share their top bits.
void radix_passes(double* values, size_t count, std::vector<uint64_t>& scratch) {
  scratch.resize(2 * count);
  uint64_t* from = scratch.data();
  uint64_t* to = from + count;
  uint32_t histograms[kDigits][kBuckets] = {};
  for (size_t i = 0; i < count; ++i) {
    const uint64_t key = order_key(values[i]);
    from[i] = key;
    for (int d = 0; d < kDigits; ++d)
      ++histograms[d][(key >> (kUnsortedBits + d * kDigitBits)) & (kBuckets - 1)];
  }
  for (int d = 0; d < kDigits; ++d) {
    uint32_t* histogram = histograms[d];
    const int shift = kUnsortedBits + d * kDigitBits;
    // A digit shared by every key leaves the order as it is.
    if (histogram[(from[0] >> shift) & (kBuckets - 1)] == count) continue;
    uint32_t offset = 0;
    for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
      const uint32_t size = histogram[bucket];
      histogram[bucket] = offset;
      offset += size;
    }
    for (size_t i = 0; i < count; ++i) {
      const uint64_t key = from[i];
      to[histogram[(key >> shift) & (kBuckets - 1)]++] = key;
    }
    std::swap(from, to);
  }
  for (size_t i = 0; i < count;) {
    const uint64_t prefix = from[i] >> kUnsortedBits;
    size_t end = i + 1;
    while (end < count && (from[end] >> kUnsortedBits) == prefix) ++end;
    if (end - i > 1) sort_group(from + i, from + end);
    i = end;
  }
  for (size_t i = 0; i < count; ++i) values[i] = from_order_key(from[i]);
}

}  // namespace

void sort_numbers(double* values, size_t count, std::vector<uint64_t>& scratch) {
  if (count < 2 || counting_sort(values, count, scratch)) return;
  if (vector_sort_available()) return vector_sort(values, count, scratch);
  radix_passes(values, count, scratch);
}

void radix_sort(double* values, size_t count, std::vector<uint64_t>& scratch) {
  if (count < 2 || counting_sort(values, count, scratch)) return;
  radix_passes(values, count, scratch);
}

}  // namespace xferval
