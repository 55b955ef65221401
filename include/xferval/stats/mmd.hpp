#pragma once
// Kernel two-sample test: unbiased MMD² with a Gaussian RBF kernel and a permutation p-value, following
// Alibi Detect's MMDDrift defaults (median-heuristic bandwidth, 100 permutations).
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>

namespace xferval {

struct MmdOptions {
  size_t permutations = 100;
  size_t max_rows_per_sample = 2000;
  uint64_t seed = 0;
};

struct MmdResult {
  double mmd2 = 0;
  double p_value = 1;
  double sigma = 0;
  size_t permutations = 0;
  size_t reference_rows = 0;  // rows actually used (after subsampling)
  size_t test_rows = 0;
  bool subsampled = false;
};

// Unbiased MMD² with the Gaussian RBF kernel k = exp(-||x-y||² / (2 sigma²)), sigma from the median
// heuristic of Alibi Detect: sigma = sqrt(0.5 * median of the off-diagonal pairwise squared distances of
// the reference rows), where, as Alibi's sorted-index rule gives, the median of an even count is the
// lower middle value. Permutation p-value (1 + #{perm >= obs}) / (B + 1), never 0 (Alibi omits the +1).
// When a sample has more than max_rows_per_sample rows, a seeded random subsample of that size is used
// (reported by subsampled and the row counts). The kernel matrix of the pooled rows is computed once
// (Eigen products), permutations re-index it; 2 threads. Memory: (n + m)² doubles.
// A reference whose rows are all identical has sigma 0; sigma is then taken as 1 so the kernel is defined.
// Throws std::invalid_argument for fewer than 2 rows in a sample, mismatched widths, non-finite values or
// max_rows_per_sample < 2. Results depend only on the inputs and the seed.
MmdResult mmd_test(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& test,
                   const MmdOptions& options = {});

}  // namespace xferval
