#pragma once
// WeightWatcher's data-free layer quality metrics (reference §2): the empirical spectral density
// of a weight matrix W (N x M, transposed so that N >= M) is the set of eigenvalues of X = W^T W
// with no 1/N normalisation, and its tail is fitted with the "fast WW fit" power law of §2.2.
// Conv2D weights (4-D) are pooled as WeightWatcher's defaults do (§2.1): every kernel-position
// slice is a matrix of its own, their eigenvalues form one ESD, and conv2d_norm scales W by
// sqrt(conv2d_count / 2) with conv2d_count = 1 when pooling. That scale leaves alpha unchanged
// (the fit uses ratios of eigenvalues) but moves eigenvalues across EVALS_THRESH and the norms.
#include <cstdint>
#include <string>
#include <vector>

#include "xferval/params/parameter_set.hpp"

namespace xferval::params {

inline constexpr double kEvalsThresh = 1e-5;               // EVALS_THRESH: smaller eigenvalues are dropped
inline constexpr size_t kMinEvals = 10;                    // DEFAULT_MIN_EVALS of the current code
inline constexpr double kOverTrainedAlpha = 2.0;           // OVER_TRAINED_THRESH
inline constexpr double kUnderTrainedAlpha = 6.0;          // UNDER_TRAINED_THRESH
inline constexpr double kConv2dNormEigenvalueScale = 0.5;  // (sqrt(1/2))^2, pooled conv2d_norm

// How a 4-D weight splits into kernel-position slices: channels first is PyTorch's
// (out, in, kh, kw), channels last Keras's (kh, kw, in, out); detected as WeightWatcher does.
struct ConvSlices {
  bool channels_first = true;
  uint64_t rows = 0, cols = 0;  // each slice's shape
  uint64_t count = 0;           // kernel positions
};
ConvSlices conv_slices(const std::vector<uint64_t>& shape);

struct PowerLawFit {
  bool fitted = false;
  std::string reason;  // why not fitted
  double alpha = 0, xmin = 0, D = 0, sigma = 0;
  size_t eigenvalues = 0;        // all eigenvalues of W^T W
  size_t used = 0;               // above EVALS_THRESH
  size_t tail = 0;               // n_j at the chosen x_min
  double log_norm = 0;           // log10 sum(lambda)
  double log_spectral_norm = 0;  // log10 max(lambda)
  double alpha_weighted = 0;     // alpha * log10 max(lambda)
  double stable_rank = 0;        // sum(lambda) / max(lambda)
};

// Eigenvalues of W^T W (ascending) for a 2-D tensor, or the pooled, scaled ESD of a 4-D conv
// weight; computed in double with Eigen.
std::vector<double> spectrum_eigenvalues(const TensorView& matrix);
// The fast WW fit on eigenvalues in any order: drops those <= EVALS_THRESH, needs kMinEvals; tries
// every x_min = lambda_j but the largest (whose tail has a single value), keeps the smallest KS
// distance D (the first on ties); sigma = (alpha - 1) / sqrt(n_j).
PowerLawFit fit_power_law(std::vector<double> eigenvalues);

}  // namespace xferval::params
