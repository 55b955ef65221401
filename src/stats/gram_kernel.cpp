#include "stats/gram_kernel.hpp"

#include <algorithm>
#include <cstring>

#include "xferval/core/cpu_features.hpp"

namespace xferval::detail {

namespace {

typedef double Lanes __attribute__((vector_size(64)));  // 8 doubles: one AVX-512 register

__attribute__((target("avx512f"))) inline Lanes load(const double* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((target("avx512f"))) inline double sum(Lanes v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

constexpr size_t kBlock = 4;  // 4 x 4 columns: 16 accumulators and 8 loads fit the 32 registers

// Columns [i0, i0 + 4) against [j0, j0 + 4), rows [0, rows8) in steps of 8.
__attribute__((target("avx512f"))) void full_block(const double* x, size_t n, size_t rows8, size_t i0,
                                                   size_t j0, size_t d, double* out) {
  Lanes acc[kBlock][kBlock] = {};
  const double* a = x + i0 * n;
  const double* b = x + j0 * n;
  for (size_t r = 0; r < rows8; r += 8) {
    Lanes left[kBlock], right[kBlock];
#pragma GCC unroll 4
    for (size_t p = 0; p < kBlock; ++p) left[p] = load(a + p * n + r);
#pragma GCC unroll 4
    for (size_t q = 0; q < kBlock; ++q) right[q] = load(b + q * n + r);
#pragma GCC unroll 4
    for (size_t p = 0; p < kBlock; ++p) {
#pragma GCC unroll 4
      for (size_t q = 0; q < kBlock; ++q) acc[p][q] += left[p] * right[q];
    }
  }
  for (size_t p = 0; p < kBlock; ++p) {
    for (size_t q = 0; q < kBlock; ++q) {
      if (i0 + p >= j0 + q) out[(i0 + p) + (j0 + q) * d] += sum(acc[p][q]);
    }
  }
}

// One pair of columns, rows [0, rows8).
__attribute__((target("avx512f"))) double column_pair(const double* a, const double* b, size_t rows8) {
  Lanes acc = {};
  for (size_t r = 0; r < rows8; r += 8) acc += load(a + r) * load(b + r);
  return sum(acc);
}

}  // namespace

bool gram_kernel_available() { return vector_isa_available(VectorIsa::Avx512F); }

__attribute__((target("avx512f"))) void add_lower_gram(const double* x, size_t n, size_t d, double* out) {
  const size_t rows8 = n / 8 * 8;
  const size_t blocked = d / kBlock * kBlock;
  for (size_t i0 = 0; i0 < blocked; i0 += kBlock) {
    for (size_t j0 = 0; j0 <= i0; j0 += kBlock) full_block(x, n, rows8, i0, j0, d, out);
  }
  for (size_t i = blocked; i < d; ++i) {  // the columns past the last whole block
    for (size_t j = 0; j <= i; ++j) out[i + j * d] += column_pair(x + i * n, x + j * n, rows8);
  }
  for (size_t r = rows8; r < n; ++r) {  // the rows past the last whole vector
    for (size_t j = 0; j < d; ++j) {
      const double xj = x[r + j * n];
      for (size_t i = j; i < d; ++i) out[i + j * d] += x[r + i * n] * xj;
    }
  }
}

}  // namespace xferval::detail
