#include "xferval/stats/sorted_runs.hpp"

#include "core/avx512_intrinsics.hpp"
#include "xferval/core/cpu_features.hpp"
#include "xferval/core/hash.hpp"

#define XV_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl")))

namespace xferval {

namespace {

bool vector_runs_available() { return vector_isa_available(VectorIsa::Avx512); }

// Runs of sorted[first, n), the one before ending at first - 1; appends to out.
void scalar_runs(const double* sorted, size_t first, size_t n, std::pair<double, uint64_t>* runs,
                 uint64_t* hashes, SortedRuns& out) {
  for (size_t i = first; i < n;) {
    const double value = sorted[i];
    size_t end = i + 1;
    while (end < n && sorted[end] == value) ++end;
    if (value == 0.0) out.zeros += end - i;
    if (end - i > 1) ++out.repeated;
    runs[out.count] = {value, end - i};
    hashes[out.count] = hash_number(value);
    ++out.count;
    i = end;
  }
}

// hash_number of eight finite values: -0.0 hashes as +0.0, then MurmurHash3's fmix64.
XV_AVX512 inline __m512i hash_lanes(__m512d values) {
  __m512i bits = _mm512_castpd_si512(values);
  bits = _mm512_maskz_mov_epi64(_mm512_cmp_pd_mask(values, _mm512_setzero_pd(), _CMP_NEQ_UQ), bits);
  bits = _mm512_xor_si512(bits, _mm512_srli_epi64(bits, 33));
  bits = _mm512_mullo_epi64(bits, _mm512_set1_epi64(static_cast<long long>(0xff51afd7ed558ccdULL)));
  bits = _mm512_xor_si512(bits, _mm512_srli_epi64(bits, 33));
  bits = _mm512_mullo_epi64(bits, _mm512_set1_epi64(static_cast<long long>(0xc4ceb93fe5ae53cdULL)));
  return _mm512_xor_si512(bits, _mm512_srli_epi64(bits, 33));
}

XV_AVX512 SortedRuns vector_runs(const double* sorted, size_t n, std::pair<double, uint64_t>* runs,
                                 uint64_t* hashes) {
  SortedRuns out;
  auto* words = reinterpret_cast<uint64_t*>(runs);  // (value, count) pairs as 64-bit words
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i previous_lane = _mm512_setr_epi64(0, 0, 1, 2, 3, 4, 5, 6);
  const __m512i low_pairs = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
  const __m512i high_pairs = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  __m512i zeros = _mm512_setzero_si512();
  int64_t last_end = -1;  // position of the last value of the previous run
  size_t i = 0;
  // A run ends where a value differs from the next one; the last vector stops one short of n, so
  // that the final run (whose end has no next value) is left to the scalar tail.
  for (; i + 9 <= n; i += 8) {
    const __m512d values = _mm512_loadu_pd(sorted + i);
    const __mmask8 ends = _mm512_cmp_pd_mask(values, _mm512_loadu_pd(sorted + i + 1), _CMP_NEQ_UQ);
    if (ends == 0) continue;
    const auto runs_here = static_cast<unsigned>(__builtin_popcount(ends));
    const __m512i end_positions = _mm512_maskz_compress_epi64(
        ends, _mm512_add_epi64(lane, _mm512_set1_epi64(static_cast<long long>(i))));
    const __m512i before =
        _mm512_mask_permutexvar_epi64(_mm512_set1_epi64(last_end), 0xFE, previous_lane, end_positions);
    const __m512i counts = _mm512_sub_epi64(end_positions, before);
    const __mmask8 valid = static_cast<__mmask8>((1u << runs_here) - 1);
    __m512d run_values = _mm512_maskz_compress_pd(ends, values);
    const __mmask8 zero_runs = _mm512_cmp_pd_mask(run_values, _mm512_setzero_pd(), _CMP_EQ_OQ) & valid;
    zeros = _mm512_mask_add_epi64(zeros, zero_runs, zeros, counts);
    out.repeated += static_cast<size_t>(
        __builtin_popcount(_mm512_mask_cmpgt_epu64_mask(valid, counts, _mm512_set1_epi64(1))));
    // A run holds the value of its first element: only -0.0 and +0.0 differ in their bits while
    // equal, and -0.0 sorts first.
    if (zero_runs != 0) {  // rare: a gather costs even with no lane selected
      run_values = _mm512_mask_i64gather_pd(run_values, zero_runs,
                                            _mm512_add_epi64(before, _mm512_set1_epi64(1)), sorted, 8);
    }
    const __m512i value_bits = _mm512_castpd_si512(run_values);
    _mm512_storeu_si512(words + 2 * out.count, _mm512_permutex2var_epi64(value_bits, low_pairs, counts));
    _mm512_storeu_si512(words + 2 * out.count + 8, _mm512_permutex2var_epi64(value_bits, high_pairs, counts));
    _mm512_storeu_si512(hashes + out.count, hash_lanes(run_values));
    out.count += runs_here;
    last_end = static_cast<int64_t>(i) + 31 - __builtin_clz(static_cast<unsigned>(ends));
  }
  out.zeros = static_cast<uint64_t>(_mm512_reduce_add_epi64(zeros));
  scalar_runs(sorted, static_cast<size_t>(last_end + 1), n, runs, hashes, out);
  return out;
}

}  // namespace

SortedRuns sorted_runs_scalar(const double* sorted, size_t n, std::pair<double, uint64_t>* runs,
                              uint64_t* hashes) {
  SortedRuns out;
  scalar_runs(sorted, 0, n, runs, hashes, out);
  return out;
}

SortedRuns sorted_runs(const double* sorted, size_t n, std::pair<double, uint64_t>* runs, uint64_t* hashes) {
  if (vector_runs_available()) return vector_runs(sorted, n, runs, hashes);
  return sorted_runs_scalar(sorted, n, runs, hashes);
}

}  // namespace xferval
