#pragma once
// Byte-level helpers of the CSV reader: the field-end scan, the structural index's bit scan,
// plain-decimal parsers that work on the mapped bytes, space trimming and UTF-8 validation.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace xferval::csv_detail {

// The first byte in [p, end) that is the delimiter or '\n', or end when there is none.
inline const char* scan_unquoted(const char* p, const char* end, char delimiter) {
#if defined(__SSE2__)
  const __m128i delimiters = _mm_set1_epi8(delimiter);
  const __m128i newlines = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(block, delimiters), _mm_cmpeq_epi8(block, newlines));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && *p != delimiter && *p != '\n') ++p;
  return p;
}

// Short plain decimals, the bulk of numeric CSV: [b, e) is an optional '-' and at most 8 bytes
// of digits with at most one point ("-0.544517", "259.792", "95"). The point is cut out of the
// word, the digits convert eight at a time (SWAR), and one division by an exact power of ten
// gives the correctly rounded double (Clinger's fast path: both operands are exact doubles), the
// same bits as fast_float and strtod. Reads 9 bytes at b. Returns false for anything else.
inline bool parse_short_decimal(const char* b, const char* e, double& value, bool& has_point) {
  static constexpr double kPow10[9] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  constexpr uint64_t kZeros = 0x3030303030303030ULL;  // '0' in every byte
  if constexpr (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) return false;
  const bool negative = *b == '-';
  const char* s = b + negative;
  const long length = e - s;
  if (length <= 0 || length > 8) return false;
  uint64_t word;
  std::memcpy(&word, s, sizeof word);
  const uint64_t inside = ~uint64_t{0} >> (64 - 8 * length);
  word &= inside;
  const uint64_t x = word ^ (0x2E2E2E2E2E2E2E2EULL & inside);      // zero bytes where '.'
  const uint64_t point_bits = (x - kOnes) & ~x & kHighs & inside;  // the lowest one is exact
  const bool point = point_bits != 0;
  const unsigned at = point ? static_cast<unsigned>(__builtin_ctzll(point_bits)) / 8 : 0;
  const uint64_t below = point ? (uint64_t{1} << (8 * at)) - 1 : ~uint64_t{0};
  const uint64_t joined = (word & below) | ((word >> 8) & ~below);  // the point cut out
  const unsigned digits = static_cast<unsigned>(length) - point;
  if (digits == 0) return false;
  const uint64_t digit_bytes = ~uint64_t{0} >> (64 - 8 * digits);
  const uint64_t padded = joined | (~digit_bytes & kZeros);
  if ((((padded + 0x4646464646464646ULL) | (padded - kZeros)) & kHighs) != 0) return false;
  uint64_t v = (joined - (kZeros & digit_bytes)) << (8 * (8 - digits));  // right-aligned digits
  v = v * 10 + (v >> 8);
  v = (((v & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
       (((v >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
      32;
  const unsigned after = point ? static_cast<unsigned>(length) - 1 - at : 0;
  double magnitude = static_cast<double>(static_cast<int32_t>(v));
  if (point) magnitude /= kPow10[after];  // integers skip the division's latency
  uint64_t bits;
  std::memcpy(&bits, &magnitude, sizeof bits);
  bits ^= static_cast<uint64_t>(negative) << 63;
  std::memcpy(&value, &bits, sizeof bits);
  has_point = point;
  return true;
}

#if defined(__SSE2__)
// Plain decimals of up to 16 bytes after an optional '-' and 15 digits in all (no exponent),
// with SSE2: the integer digits move one byte up over the point, so the 16 byte lanes hold one
// 15-digit number that multiply-adds sum up; then one exact division as above. Reads 17 bytes
// at b. Returns false for anything else.
inline bool parse_plain_decimal(const char* b, const char* e, double& value, bool& has_point) {
  static constexpr double kPow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const bool negative = *b == '-';
  const char* s = b + negative;
  const long length = e - s;
  if (length <= 0 || length > 16) return false;
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i inside = _mm_cmplt_epi8(iota, _mm_set1_epi8(static_cast<char>(length)));
  const __m128i shifted = _mm_sub_epi8(block, _mm_set1_epi8('0'));
  const __m128i is_digit =
      _mm_and_si128(_mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(9)), shifted), inside);
  const __m128i is_point = _mm_and_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('.')), inside);
  const unsigned digits = static_cast<unsigned>(_mm_movemask_epi8(is_digit));
  const unsigned points = static_cast<unsigned>(_mm_movemask_epi8(is_point));
  const unsigned all = (1u << length) - 1;
  if ((digits | points) != all || digits == 0 || (points & (points - 1)) != 0) return false;
  const unsigned before = static_cast<unsigned>(__builtin_ctz(points | (1u << length)));
  if (before > 15) return false;  // 16 digits may not fit a double exactly
  const __m128i d = _mm_and_si128(shifted, is_digit);
  const __m128i up_to_point = _mm_cmplt_epi8(iota, _mm_set1_epi8(static_cast<char>(before + 1)));
  const __m128i lanes =
      _mm_or_si128(_mm_and_si128(_mm_slli_si128(d, 1), up_to_point), _mm_andnot_si128(up_to_point, d));
  const __m128i zero = _mm_setzero_si128();
  const __m128i tens = _mm_set1_epi32(0x0001000A);  // 10 * first + second
  const __m128i pairs_low = _mm_madd_epi16(_mm_unpacklo_epi8(lanes, zero), tens);
  const __m128i pairs_high = _mm_madd_epi16(_mm_unpackhi_epi8(lanes, zero), tens);
  const __m128i quads = _mm_madd_epi16(_mm_packs_epi32(pairs_low, pairs_high), _mm_set1_epi32(0x00010064));
  const __m128i octets = _mm_madd_epi16(_mm_packs_epi32(quads, quads), _mm_set1_epi32(0x00012710));
  const uint64_t high = static_cast<uint32_t>(_mm_cvtsi128_si32(octets));
  const uint64_t low = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(octets, 4)));
  const auto mantissa = static_cast<int64_t>(high * 100000000 + low);  // below 10^15
  double magnitude = static_cast<double>(mantissa) / kPow10[15 - before];
  uint64_t bits;
  std::memcpy(&bits, &magnitude, sizeof bits);
  bits ^= static_cast<uint64_t>(negative) << 63;
  std::memcpy(&value, &bits, sizeof bits);
  has_point = points != 0;
  return true;
}

// Bit i set where p[i] (0 <= i < 64) is the delimiter, '\n' or a double quote.
inline uint64_t structural_bits(const char* p, char delimiter) {
  const __m128i delimiters = _mm_set1_epi8(delimiter);
  const __m128i newlines = _mm_set1_epi8('\n');
  const __m128i quotes = _mm_set1_epi8('"');
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, delimiters), _mm_cmpeq_epi8(block, newlines)),
                     _mm_cmpeq_epi8(block, quotes));
    mask |= static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(hits))) << (16 * i);
  }
  return mask;
}
#else
inline bool parse_plain_decimal(const char*, const char*, double&, bool&) { return false; }
inline uint64_t structural_bits(const char* p, char delimiter) {
  uint64_t mask = 0;
  for (int i = 0; i < 64; ++i) {
    if (p[i] == delimiter || p[i] == '\n' || p[i] == '"') mask |= uint64_t{1} << i;
  }
  return mask;
}
#endif

inline size_t popcount(uint64_t x) {
#if defined(__POPCNT__)
  return static_cast<size_t>(__builtin_popcountll(x));
#else  // without -mpopcnt the builtin is a library call
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<size_t>((x * 0x0101010101010101ULL) >> 56);
#endif
}

// Appends the offset (base_offset + bit number) of every set bit of mask to out, which needs
// room for 16 more entries than mask has bits. Returns the new count.
inline size_t append_bit_offsets(uint64_t mask, uint32_t base_offset, uint32_t* out, size_t count) {
  if (mask == 0) return count;
  const size_t bits = popcount(mask);
  uint32_t* slot = out + count;
  constexpr uint64_t kSentinel = uint64_t{1} << 63;  // keeps ctz defined once mask runs out
  for (int i = 0; i < 8; ++i) {
    slot[i] = base_offset + static_cast<uint32_t>(__builtin_ctzll(mask | kSentinel));
    mask &= mask - 1;
  }
  if (bits > 8) {
    for (int i = 8; i < 16; ++i) {
      slot[i] = base_offset + static_cast<uint32_t>(__builtin_ctzll(mask | kSentinel));
      mask &= mask - 1;
    }
    for (size_t i = 16; i < bits; ++i) {
      slot[i] = base_offset + static_cast<uint32_t>(__builtin_ctzll(mask));
      mask &= mask - 1;
    }
  }
  return count + bits;
}

// Spaces and tabs around a cell are not part of it, unless the delimiter is one of them.
inline bool is_blank(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

inline std::string_view trim(std::string_view text, char delimiter) {
  size_t first = 0;
  size_t last = text.size();
  while (first < last && is_blank(text[first], delimiter)) ++first;
  while (last > first && is_blank(text[last - 1], delimiter)) --last;
  return text.substr(first, last - first);
}

// Offset of the first byte of the first invalid UTF-8 sequence in [data, data + size), or size
// when all of it is valid. Overlong forms, surrogates and code points past U+10FFFF are invalid.
size_t find_invalid_utf8(const char* data, size_t size);

// ASCII fast path in front of find_invalid_utf8.
inline bool is_ascii(const char* data, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, sizeof word);
    if (word & 0x8080808080808080ULL) return false;
  }
  for (; i < size; ++i) {
    if (static_cast<unsigned char>(data[i]) >= 0x80) return false;
  }
  return true;
}

// ---- the vector path (csv_block.cpp) ----------------------------------------------------------

// Whether the functions below may run: the CPU has AVX-512 F, DQ, CD, BW and VL, and
// XFERVAL_VECTOR allows them.
bool plain_block_available();

// The structural index of [from, from + 64 * blocks) as the loop in build_index makes it: the
// offset from `from` of every delimiter, '\n' and '"' goes to out[count...),
// and the position in out of every '\n' to newlines[newline_count...). Both need room for 64
// entries per block plus 64. Returns whether there was a '"'.
bool index_blocks(const char* from, size_t blocks, char delimiter, uint32_t* out, size_t& count,
                  uint32_t* newlines, size_t& newline_count);

// Eight records of `fields` unquoted fields each, laid out plainly in the structural index: the
// field c of record k ends at base + entries[k * fields + c] (the last one at its '\n'), and
// record 0 starts at base + first_start. 16 bytes past every field's start can be read.
struct PlainBlock {
  const char* base;
  const uint32_t* entries;
  uint32_t first_start;
  size_t fields;
  const uint32_t* numeric_columns;  // ascending
  size_t numeric_count;
};

// For the i-th numeric column: numbers[i][k] receives field k's value and missing[i][k] zero where
// the field is a short plain decimal (parse_short_decimal's kind), with the same bits; bit k of
// fallback[i] is set where it is something else (left to the scalar path), and bit k of points[i]
// where the parsed value had a decimal point.
void parse_plain_block(const PlainBlock& block, double* const* numbers, uint8_t* const* missing,
                       uint8_t* fallback, uint8_t* points);

}  // namespace xferval::csv_detail
