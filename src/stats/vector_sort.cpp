// The AVX-512 quicksort of number_sort.hpp. Doubles map to signed 64-bit keys of the same order,
//
//   key = bits ^ ((bits >> 63) & 0x7fffffffffffffff)   (arithmetic shift; its own inverse),
//
// which puts -0.0 (key -1) just before +0.0 (key 0). The keys are sorted by a quicksort whose
// partition is vectorized as in x86-simd-sort, in place, from both ends (a permutation-table
// vpermq and two masked stores instead of vpcompressq, whose side branch mispredicted), and whose
// leaves of up to 128 keys are sorted inside zmm registers by bitonic networks.
//
// Everything here is compiled for AVX-512F by function attributes and runs only after
// vector_sort_available() said the CPU has it; the rest of the project stays portable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/avx512_intrinsics.hpp"
#include "xferval/core/cpu_features.hpp"
#include "xferval/stats/number_sort.hpp"

#define XV_AVX512 __attribute__((target("avx512f")))
#define XV_INLINE inline __attribute__((always_inline))

namespace xferval {
namespace {

using V = __m512i;
constexpr int kLanes = 8;
constexpr size_t kLeaf = 128;  // ranges this small are sorted by the network

// ---------------------------------------------------------------- in-register sorting network

// Lanes selected by hi_mask get max(x, p), the others min(x, p).
XV_AVX512 XV_INLINE V cmp_blend(V x, V p, __mmask8 hi_mask) {
  const V mn = _mm512_min_epi64(x, p);
  return _mm512_mask_max_epi64(mn, hi_mask, x, p);
}
XV_AVX512 XV_INLINE V swap1(V x) { return _mm512_shuffle_epi32(x, (_MM_PERM_ENUM)0x4E); }
XV_AVX512 XV_INLINE V swap2(V x) { return _mm512_permutex_epi64(x, 0x4E); }
XV_AVX512 XV_INLINE V rev4(V x) { return _mm512_permutex_epi64(x, 0x1B); }
XV_AVX512 XV_INLINE V rev8(V x) {
  return _mm512_permutexvar_epi64(_mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7), x);
}

// Sorts the 8 lanes of one register ascending (bitonic sort, "flip" form: no directions).
XV_AVX512 XV_INLINE V sort8(V x) {
  x = cmp_blend(x, swap1(x), 0xAA);
  x = cmp_blend(x, rev4(x), 0xCC);
  x = cmp_blend(x, swap1(x), 0xAA);
  x = cmp_blend(x, rev8(x), 0xF0);
  x = cmp_blend(x, swap2(x), 0xCC);
  x = cmp_blend(x, swap1(x), 0xAA);
  return x;
}

// Sorts two bitonic registers (half-cleaners at lane distances 4, 2, 1) at once: the lanes are
// regrouped so that each min/max pair does 8 useful comparisons (instead of 4 with half the lanes
// duplicated, one register at a time): fewer ops on port 0.
XV_AVX512 XV_INLINE void clean8x2(V& x, V& y) {
  const V a1 = _mm512_shuffle_i64x2(x, y, 0x44), b1 = _mm512_shuffle_i64x2(x, y, 0xEE);
  const V l1 = _mm512_min_epi64(a1, b1), h1 = _mm512_max_epi64(a1, b1);
  const V a2 = _mm512_permutex2var_epi64(l1, _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), h1);
  const V b2 = _mm512_permutex2var_epi64(l1, _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15), h1);
  const V l2 = _mm512_min_epi64(a2, b2), h2 = _mm512_max_epi64(a2, b2);
  const V a3 = _mm512_unpacklo_epi64(l2, h2), b3 = _mm512_unpackhi_epi64(l2, h2);
  const V l3 = _mm512_min_epi64(a3, b3), h3 = _mm512_max_epi64(a3, b3);
  x = _mm512_permutex2var_epi64(l3, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), h3);
  y = _mm512_permutex2var_epi64(l3, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), h3);
}

// Merges runs of M sorted registers, pairwise, at r[0..2M), r[2M..4M), ... (N registers in all).
template <int N, int M>
XV_AVX512 XV_INLINE void merge_level(V* r) {
#pragma GCC unroll 16
  for (int b = 0; b < N; b += 2 * M) {
    V rv[M];
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) rv[i] = rev8(r[b + 2 * M - 1 - i]);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const V a = r[b + i];
      r[b + i] = _mm512_min_epi64(a, rv[i]);
      r[b + M + i] = _mm512_max_epi64(a, rv[i]);
    }
    // Both halves are bitonic now: half-cleaners across registers, then within each.
#pragma GCC unroll 16
    for (int d = M / 2; d >= 1; d /= 2) {
#pragma GCC unroll 16
      for (int j = b; j < b + 2 * M; j += 2 * d) {
#pragma GCC unroll 16
        for (int i = j; i < j + d; ++i) {
          const V lo = _mm512_min_epi64(r[i], r[i + d]);
          const V hi = _mm512_max_epi64(r[i], r[i + d]);
          r[i] = lo;
          r[i + d] = hi;
        }
      }
    }
#pragma GCC unroll 16
    for (int i = b; i < b + 2 * M; i += 2) clean8x2(r[i], r[i + 1]);
  }
}

XV_AVX512 XV_INLINE void cswap(V& a, V& b) {
  const V lo = _mm512_min_epi64(a, b);
  b = _mm512_max_epi64(a, b);
  a = lo;
}

// Sorts 8 registers' worth of keys into 8 sorted registers: the 19-comparator network for 8
// inputs across registers (each lane a column), then an 8x8 transpose. Fewer min/max than eight
// sort8 calls, since every lane of every min/max is useful.
XV_AVX512 XV_INLINE void sort8_columns(V* r) {
  cswap(r[0], r[2]);
  cswap(r[1], r[3]);
  cswap(r[4], r[6]);
  cswap(r[5], r[7]);
  cswap(r[0], r[4]);
  cswap(r[1], r[5]);
  cswap(r[2], r[6]);
  cswap(r[3], r[7]);
  cswap(r[0], r[1]);
  cswap(r[2], r[3]);
  cswap(r[4], r[5]);
  cswap(r[6], r[7]);
  cswap(r[2], r[4]);
  cswap(r[3], r[5]);
  cswap(r[1], r[4]);
  cswap(r[3], r[6]);
  cswap(r[1], r[2]);
  cswap(r[3], r[4]);
  cswap(r[5], r[6]);
  V t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm512_unpacklo_epi64(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi64(r[2 * i], r[2 * i + 1]);
  }
  for (int odd = 0; odd < 2; ++odd) {
    const V u0 = _mm512_shuffle_i64x2(t[odd], t[2 + odd], 0x88);
    const V u1 = _mm512_shuffle_i64x2(t[odd], t[2 + odd], 0xDD);
    const V u2 = _mm512_shuffle_i64x2(t[4 + odd], t[6 + odd], 0x88);
    const V u3 = _mm512_shuffle_i64x2(t[4 + odd], t[6 + odd], 0xDD);
    r[0 + odd] = _mm512_shuffle_i64x2(u0, u2, 0x88);
    r[4 + odd] = _mm512_shuffle_i64x2(u0, u2, 0xDD);
    r[2 + odd] = _mm512_shuffle_i64x2(u1, u3, 0x88);
    r[6 + odd] = _mm512_shuffle_i64x2(u1, u3, 0xDD);
  }
}

template <int N>
XV_AVX512 XV_INLINE void sort_regs(V* r) {
  if constexpr (N >= 8) {
#pragma GCC unroll 2
    for (int g = 0; g < N; g += 8) sort8_columns(r + g);
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i) r[i] = sort8(r[i]);
  }
  if constexpr (N >= 2) merge_level<N, 1>(r);
  if constexpr (N >= 4) merge_level<N, 2>(r);
  if constexpr (N >= 8) merge_level<N, 4>(r);
  if constexpr (N >= 16) merge_level<N, 8>(r);
}

XV_AVX512 XV_INLINE __mmask8 first_lanes(size_t k) {
  return k >= 8 ? __mmask8(0xFF) : __mmask8((1u << k) - 1);
}

// Sorts n <= 8N keys: masked loads padded with INT64_MAX, network, masked stores.
template <int N>
XV_AVX512 __attribute__((noinline)) void sort_leaf_n(int64_t* a, size_t n) {
  V r[N];
  const V pad = _mm512_set1_epi64(std::numeric_limits<int64_t>::max());
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const size_t left = n > size_t(8 * i) ? n - 8 * i : 0;
    r[i] = _mm512_mask_loadu_epi64(pad, first_lanes(left), a + 8 * i);
  }
  sort_regs<N>(r);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const size_t left = n > size_t(8 * i) ? n - 8 * i : 0;
    _mm512_mask_storeu_epi64(a + 8 * i, first_lanes(left), r[i]);
  }
}

XV_AVX512 void sort_leaf(int64_t* a, size_t n) {
  if (n < 2) return;
  if (n <= 8) return sort_leaf_n<1>(a, n);
  if (n <= 16) return sort_leaf_n<2>(a, n);
  if (n <= 32) return sort_leaf_n<4>(a, n);
  if (n <= 64) return sort_leaf_n<8>(a, n);
  return sort_leaf_n<16>(a, n);
}

// ---------------------------------------------------------------- partition

// For each 8-bit mask of lanes >= pivot: a permutation putting the other lanes first (in order),
// then the masked ones. 256 x 64 bytes.
struct PermTable {
  alignas(64) int64_t idx[256][8];
  constexpr PermTable() : idx{} {
    for (int m = 0; m < 256; ++m) {
      int out = 0;
      for (int i = 0; i < 8; ++i)
        if (!(m >> i & 1)) idx[m][out++] = i;
      for (int i = 0; i < 8; ++i)
        if (m >> i & 1) idx[m][out++] = i;
    }
  }
};
constexpr PermTable kPerm;

// Partitions one vector: keys below the pivot go to a[l_store...] (forward), the others to
// a[...r_store) (backward). One permute, two masked stores.
XV_AVX512 XV_INLINE void partition_vec(int64_t* a, size_t& l_store, size_t& r_store, V v, V pivot, V& min_v,
                                       V& max_v) {
  const __mmask8 ge = _mm512_cmpge_epi64_mask(v, pivot);
  const unsigned n_ge = static_cast<unsigned>(__builtin_popcount(ge));
  const unsigned n_lt = kLanes - n_ge;
  const V p = _mm512_permutexvar_epi64(_mm512_load_si512(kPerm.idx[ge]), v);
  const __mmask8 low = static_cast<__mmask8>((1u << n_lt) - 1);
  _mm512_mask_storeu_epi64(a + l_store, low, p);
  _mm512_mask_storeu_epi64(a + r_store - kLanes, static_cast<__mmask8>(~low), p);
  l_store += n_lt;
  r_store -= n_ge;
  min_v = _mm512_min_epi64(min_v, v);
  max_v = _mm512_max_epi64(max_v, v);
}

constexpr int kUnroll = 4;
// The partition keeps kUnroll vectors from each end aside: quicksort's ranges (longer than kLeaf)
// always hold that many.
static_assert(kLeaf >= 2 * kUnroll * kLanes);

// In-place partition of a[0, n), n > kLeaf: returns k with a[0, k) < pivot <= a[k, n); smallest and biggest
// receive the range's minimum and maximum.
XV_AVX512 size_t partition(int64_t* a, size_t n, int64_t pivot, int64_t& smallest, int64_t& biggest) {
  size_t left = 0, right = n;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  // Shorten to a multiple of 8 with scalar swaps.
  for (size_t i = n % kLanes; i > 0; --i) {
    const int64_t x = a[left];
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    if (x >= pivot) {
      std::swap(a[left], a[--right]);
    } else {
      ++left;
    }
  }
  const V pivot_v = _mm512_set1_epi64(pivot);
  V min_v = _mm512_set1_epi64(lo), max_v = _mm512_set1_epi64(hi);
  size_t l_store = left, r_store = right;
  const size_t vectors = (right - left) / kLanes;
  V keep_l[kUnroll], keep_r[kUnroll];
  for (int u = 0; u < kUnroll; ++u) {
    keep_l[u] = _mm512_loadu_si512(a + left + kLanes * u);
    keep_r[u] = _mm512_loadu_si512(a + right - kLanes * (kUnroll - u));
  }
  size_t read_l = left + kLanes * kUnroll, read_r = right - kLanes * kUnroll;
  // Single vectors until the rest is whole blocks; always read from the side with less free
  // room, which leaves at least 8 * kUnroll free slots on each side.
  for (size_t i = (vectors - 2 * kUnroll) % kUnroll; i > 0; --i) {
    V v;
    if (r_store - read_r < read_l - l_store) {
      read_r -= kLanes;
      v = _mm512_loadu_si512(a + read_r);
    } else {
      v = _mm512_loadu_si512(a + read_l);
      read_l += kLanes;
    }
    partition_vec(a, l_store, r_store, v, pivot_v, min_v, max_v);
  }
  while (read_l != read_r) {
    V v[kUnroll];
    if (r_store - read_r < read_l - l_store) {
      read_r -= kLanes * kUnroll;
      for (int u = 0; u < kUnroll; ++u) v[u] = _mm512_loadu_si512(a + read_r + kLanes * u);
    } else {
      for (int u = 0; u < kUnroll; ++u) v[u] = _mm512_loadu_si512(a + read_l + kLanes * u);
      read_l += kLanes * kUnroll;
    }
    for (int u = 0; u < kUnroll; ++u) partition_vec(a, l_store, r_store, v[u], pivot_v, min_v, max_v);
  }
  for (int u = 0; u < kUnroll; ++u) partition_vec(a, l_store, r_store, keep_l[u], pivot_v, min_v, max_v);
  for (int u = 0; u < kUnroll; ++u) partition_vec(a, l_store, r_store, keep_r[u], pivot_v, min_v, max_v);
  smallest = _mm512_reduce_min_epi64(min_v);
  biggest = _mm512_reduce_max_epi64(max_v);
  return l_store;
}

// ---------------------------------------------------------------- quicksort

// Median of 16 (or 64 for larger ranges) evenly spaced samples, sorted by the network.
XV_AVX512 int64_t choose_pivot(const int64_t* a, size_t n) {
  if (n >= 2048) {
    alignas(64) int64_t s[64];
    const size_t step = n / 64;
    for (int i = 0; i < 64; ++i) s[i] = a[step / 2 + i * step];
    V r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm512_load_si512(s + 8 * i);
    sort_regs<8>(r);
    return _mm_cvtsi128_si64(_mm512_castsi512_si128(r[4]));  // element 32
  }
  alignas(64) int64_t s[16];
  const size_t step = n / 16;
  for (int i = 0; i < 16; ++i) s[i] = a[step / 2 + i * step];
  V r[2] = {_mm512_load_si512(s), _mm512_load_si512(s + 8)};
  sort_regs<2>(r);
  return _mm_cvtsi128_si64(_mm512_castsi512_si128(r[1]));  // element 8
}

XV_AVX512 void quicksort(int64_t* a, size_t n, int depth_left) {
  while (n > kLeaf) {
    if (depth_left-- == 0) {  // pathological pivots: guaranteed n log n
      std::sort(a, a + n);
      return;
    }
    const int64_t pivot = choose_pivot(a, n);
    int64_t smallest, biggest;
    const size_t k = partition(a, n, pivot, smallest, biggest);
    if (smallest == biggest) return;  // all keys equal
    if (k == 0) {
      // The pivot is the minimum: split off every key equal to it (pivot < biggest, so no
      // overflow) and go on with the rest.
      int64_t s2, b2;
      const size_t equal = partition(a, n, pivot + 1, s2, b2);
      a += equal;
      n -= equal;
      continue;
    }
    if (pivot == biggest) {  // a[k, n) all equal the pivot
      n = k;
      continue;
    }
    // Recurse into the smaller side, loop on the larger one.
    if (k < n - k) {
      quicksort(a, k, depth_left);
      a += k;
      n -= k;
    } else {
      quicksort(a + k, n - k, depth_left);
      n = k;
    }
  }
  sort_leaf(a, n);
}

// Involution: double bits <-> signed-int64 key of the same order.
XV_AVX512 XV_INLINE V flip(V bits) {
  const V sign = _mm512_srai_epi64(bits, 63);
  return _mm512_xor_si512(bits, _mm512_and_si512(sign, _mm512_set1_epi64(0x7fffffffffffffffLL)));
}

// dst[i] = flip(src[i]) for i < count, as 64-bit words.
XV_AVX512 void flip_copy(void* dst, const void* src, size_t count) {
  auto* out = static_cast<int64_t*>(dst);
  const auto* in = static_cast<const int64_t*>(src);
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) _mm512_storeu_si512(out + i, flip(_mm512_loadu_si512(in + i)));
  if (i < count) {
    const __mmask8 m = first_lanes(count - i);
    _mm512_mask_storeu_epi64(out + i, m, flip(_mm512_maskz_loadu_epi64(m, in + i)));
  }
}

}  // namespace

bool vector_sort_available() { return vector_isa_available(VectorIsa::Avx512F); }

XV_AVX512 void vector_sort(double* values, size_t count, std::vector<uint64_t>& scratch) {
  if (count < 2) return;
  if (scratch.size() < count) scratch.resize(count);
  auto* keys = reinterpret_cast<int64_t*>(scratch.data());  // the signed view of the same words
  flip_copy(keys, values, count);
  int depth = 0;
  for (size_t s = count; s > 1; s >>= 1) ++depth;
  quicksort(keys, count, 2 * depth + 4);
  flip_copy(values, keys, count);
}

}  // namespace xferval
