#pragma once
// The co-moment kernel of CovarianceAccumulator: the lower triangle of X^T X for a column-major
// block X, with AVX-512 where the CPU has it (chosen at run time; Eigen's build here uses SSE2).
#include <cstddef>

namespace xferval::detail {

// Whether add_lower_gram can run on this CPU.
bool gram_kernel_available();

// out[i + j * d] += sum_r x[r + i * n] * x[r + j * n] for every i >= j (d columns of n rows).
void add_lower_gram(const double* x, size_t n, size_t d, double* out);

}  // namespace xferval::detail
