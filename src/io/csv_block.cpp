// The CSV reader's vector path: eight records at a time, one column at a time. The structural
// index gives every field's end; field c of the eight records is found by gathering entries
// k * fields + c, its first 16 bytes by gathering from the mapped file, and the short plain
// decimals among them ("-0.544517", "259.792", "95") are parsed in the eight 64-bit lanes with the
// same steps as parse_short_decimal in csv_text.hpp (the point cut out of the word, the digits
// summed, one division by an exact power of ten: Clinger's fast path, so the correctly rounded
// double). Lanes holding anything else are reported back for the scalar path.
//
// Everything here is compiled for AVX-512 (F, DQ, CD, BW and VL: Skylake-SP and later) by
// function attributes and runs only after plain_block_available() said so; the structural index
// uses VBMI2's byte compress where the CPU has it too (Ice Lake, Zen 4 and later).
#include <cstring>

#include "core/avx512_intrinsics.hpp"
#include "io/csv_text.hpp"
#include "xferval/core/cpu_features.hpp"

#define XV_AVX512 __attribute__((target("avx512f,avx512dq,avx512cd,avx512bw,avx512vl,popcnt")))
#define XV_VBMI2 \
  __attribute__((target("avx512f,avx512dq,avx512cd,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")))

namespace xferval::csv_detail {

bool plain_block_available() { return vector_isa_available(VectorIsa::Avx512); }

namespace {

using Lanes = __m512i;

XV_AVX512 inline Lanes broadcast(uint64_t value) { return _mm512_set1_epi64(static_cast<long long>(value)); }

// Bits of the lanes' short decimals (see parse_short_decimal): `word` holds the bytes after an
// optional '-', `length` their count. `ok` receives the lanes that are short plain decimals and
// `points` those of them with a decimal point.
XV_AVX512 inline __m512d parse_lanes(Lanes word, Lanes length, __mmask8& ok, __mmask8& points) {
  const Lanes ones = broadcast(~uint64_t{0});
  const Lanes byte_ones = broadcast(0x0101010101010101ULL);
  const Lanes highs = broadcast(0x8080808080808080ULL);
  const Lanes zeros = broadcast(0x3030303030303030ULL);  // '0' in every byte
  ok = _mm512_cmpge_epi64_mask(length, broadcast(1)) & _mm512_cmple_epi64_mask(length, broadcast(8));
  const Lanes inside = _mm512_srlv_epi64(ones, _mm512_sub_epi64(broadcast(64), _mm512_slli_epi64(length, 3)));
  word = _mm512_and_si512(word, inside);
  const Lanes x = _mm512_xor_si512(word, _mm512_and_si512(broadcast(0x2E2E2E2E2E2E2E2EULL), inside));
  const Lanes point_bits = _mm512_and_si512(_mm512_andnot_si512(x, _mm512_sub_epi64(x, byte_ones)),
                                            _mm512_and_si512(highs, inside));
  const __mmask8 point = _mm512_test_epi64_mask(point_bits, point_bits);
  // The lowest point bit is bit 8 * at + 7 of the word.
  const Lanes lowest = _mm512_and_si512(point_bits, _mm512_sub_epi64(_mm512_setzero_si512(), point_bits));
  const Lanes at_bits = _mm512_sub_epi64(broadcast(56), _mm512_lzcnt_epi64(lowest));  // 8 * at
  const Lanes below =
      _mm512_mask_sub_epi64(ones, point, _mm512_sllv_epi64(broadcast(1), at_bits), broadcast(1));
  const Lanes joined =
      _mm512_or_si512(_mm512_and_si512(word, below), _mm512_andnot_si512(below, _mm512_srli_epi64(word, 8)));
  const Lanes digits = _mm512_mask_sub_epi64(length, point, length, broadcast(1));
  ok &= _mm512_test_epi64_mask(digits, digits);
  const Lanes digit_bytes =
      _mm512_srlv_epi64(ones, _mm512_sub_epi64(broadcast(64), _mm512_slli_epi64(digits, 3)));
  const Lanes padded = _mm512_or_si512(joined, _mm512_andnot_si512(digit_bytes, zeros));
  const Lanes not_digit =
      _mm512_and_si512(_mm512_or_si512(_mm512_add_epi64(padded, broadcast(0x4646464646464646ULL)),
                                       _mm512_sub_epi64(padded, zeros)),
                       highs);
  ok &= _mm512_testn_epi64_mask(not_digit, not_digit);
  Lanes v = _mm512_sllv_epi64(_mm512_sub_epi64(joined, _mm512_and_si512(zeros, digit_bytes)),
                              _mm512_slli_epi64(_mm512_sub_epi64(broadcast(8), digits), 3));
  v = _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(v, 3), _mm512_slli_epi64(v, 1)),
                       _mm512_srli_epi64(v, 8));
  const Lanes pairs = broadcast(0x000000FF000000FFULL);
  v = _mm512_srli_epi64(
      _mm512_add_epi64(_mm512_mullo_epi64(_mm512_and_si512(v, pairs), broadcast(0x000F424000000064ULL)),
                       _mm512_mullo_epi64(_mm512_and_si512(_mm512_srli_epi64(v, 16), pairs),
                                          broadcast(0x0000271000000001ULL))),
      32);
  const __m512d magnitude = _mm512_cvtepi64_pd(_mm512_and_si512(v, broadcast(0xFFFFFFFFULL)));
  // Digits after the point: length - 1 - at, at most 7; none for an integer (divided by 1).
  const Lanes after =
      _mm512_maskz_sub_epi64(point, _mm512_sub_epi64(length, broadcast(1)), _mm512_srli_epi64(at_bits, 3));
  const __m512d powers = _mm512_setr_pd(1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7);
  points = point & ok;
  return _mm512_div_pd(magnitude, _mm512_permutexvar_pd(after, powers));
}

// The delimiters, line ends and quotes among 64 bytes, as bit masks.
struct StructuralBytes {
  uint64_t all;
  uint64_t line_ends;
  uint64_t quotes;
};

XV_AVX512 inline StructuralBytes structural_bytes(const char* p, char delimiter) {
  const __m512i bytes = _mm512_loadu_si512(p);
  const uint64_t line_ends = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\n'));
  const uint64_t quotes = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"'));
  return {_mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(delimiter)) | line_ends | quotes, line_ends, quotes};
}

// The offsets of a block's structural bytes are compressed out of 0..63 in one instruction
// (VBMI2) and widened sixteen at a time; pext maps the line ends onto the structural entries.
XV_VBMI2 bool index_blocks_compressed(const char* from, size_t blocks, char delimiter, uint32_t* out,
                                      size_t& count, uint32_t* newlines, size_t& newline_count) {
  alignas(64) static constexpr uint8_t kOffsets[64] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
      44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  const __m512i offsets = _mm512_load_si512(kOffsets);
  uint64_t any_quote = 0;
  for (size_t block = 0; block < blocks; ++block) {
    const StructuralBytes found = structural_bytes(from + 64 * block, delimiter);
    any_quote |= found.quotes;
    for (uint64_t rest = _pext_u64(found.line_ends, found.all); rest != 0; rest &= rest - 1) {
      newlines[newline_count++] = static_cast<uint32_t>(count + static_cast<size_t>(__builtin_ctzll(rest)));
    }
    const __m512i packed = _mm512_maskz_compress_epi8(found.all, offsets);
    const __m512i base = _mm512_set1_epi32(static_cast<int>(64 * block));
    _mm512_storeu_si512(out + count,
                        _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(packed)), base));
    const auto entries = static_cast<size_t>(__builtin_popcountll(found.all));
    if (entries > 16) {
      _mm512_storeu_si512(out + count + 16,
                          _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(packed, 1)), base));
      _mm512_storeu_si512(out + count + 32,
                          _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(packed, 2)), base));
      _mm512_storeu_si512(out + count + 48,
                          _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(packed, 3)), base));
    }
    count += entries;
  }
  return any_quote != 0;
}

// Without VBMI2: one count of trailing zeros per structural offset (append_bit_offsets).
XV_AVX512 bool index_blocks_by_bits(const char* from, size_t blocks, char delimiter, uint32_t* out,
                                    size_t& count, uint32_t* newlines, size_t& newline_count) {
  uint64_t any_quote = 0;
  for (size_t block = 0; block < blocks; ++block) {
    const StructuralBytes found = structural_bytes(from + 64 * block, delimiter);
    any_quote |= found.quotes;
    for (uint64_t rest = found.line_ends; rest != 0; rest &= rest - 1) {
      const uint64_t before = (rest & (0 - rest)) - 1;  // the bits below this line end
      newlines[newline_count++] = static_cast<uint32_t>(count + popcount(found.all & before));
    }
    count = append_bit_offsets(found.all, static_cast<uint32_t>(64 * block), out, count);
  }
  return any_quote != 0;
}

}  // namespace

bool index_blocks(const char* from, size_t blocks, char delimiter, uint32_t* out, size_t& count,
                  uint32_t* newlines, size_t& newline_count) {
  static const bool compress = vector_isa_available(VectorIsa::Avx512Vbmi2);
  return compress ? index_blocks_compressed(from, blocks, delimiter, out, count, newlines, newline_count)
                  : index_blocks_by_bits(from, blocks, delimiter, out, count, newlines, newline_count);
}

XV_AVX512 void parse_plain_block(const PlainBlock& block, double* const* numbers, uint8_t* const* missing,
                                 uint8_t* fallback, uint8_t* points) {
  const auto* entries = reinterpret_cast<const int*>(block.entries);
  const __m256i record_entries = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                    _mm256_set1_epi32(static_cast<int>(block.fields)));
  // Each field starts one byte past the previous field's end; record 0's first field at first_start.
  __m256i previous_end =
      _mm256_mmask_i32gather_epi32(_mm256_set1_epi32(static_cast<int>(block.first_start - 1)), 0xFE,
                                   _mm256_sub_epi32(record_entries, _mm256_set1_epi32(1)), entries, 4);
  size_t next_numeric = 0;
  for (size_t c = 0; c < block.fields && next_numeric < block.numeric_count; ++c) {
    const __m256i field_end = _mm256_i32gather_epi32(
        entries, _mm256_add_epi32(record_entries, _mm256_set1_epi32(static_cast<int>(c))), 4);
    const __m256i field_start = _mm256_add_epi32(previous_end, _mm256_set1_epi32(1));
    previous_end = field_end;
    if (block.numeric_columns[next_numeric] != c) continue;
    const size_t i = next_numeric++;
    const Lanes start = _mm512_cvtepu32_epi64(field_start);
    const Lanes length = _mm512_cvtepu32_epi64(_mm256_sub_epi32(field_end, field_start));
    const Lanes first = _mm512_i64gather_epi64(start, block.base, 1);
    const Lanes second = _mm512_i64gather_epi64(_mm512_add_epi64(start, broadcast(8)), block.base, 1);
    const __mmask8 negative =
        _mm512_cmpeq_epi64_mask(_mm512_and_si512(first, broadcast(0xFF)), broadcast('-'));
    const Lanes word =
        _mm512_mask_or_epi64(first, negative, _mm512_srli_epi64(first, 8), _mm512_slli_epi64(second, 56));
    const Lanes digits_length = _mm512_mask_sub_epi64(length, negative, length, broadcast(1));
    __mmask8 ok;
    __mmask8 with_point;
    const __m512d magnitude = parse_lanes(word, digits_length, ok, with_point);
    const __m512d value = _mm512_castsi512_pd(_mm512_mask_xor_epi64(_mm512_castpd_si512(magnitude), negative,
                                                                    _mm512_castpd_si512(magnitude),
                                                                    broadcast(uint64_t{1} << 63)));
    _mm512_storeu_pd(numbers[i], value);
    std::memset(missing[i], 0, 8);
    fallback[i] = static_cast<uint8_t>(~ok);
    points[i] = with_point;
  }
}

}  // namespace xferval::csv_detail
