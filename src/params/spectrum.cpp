#include "xferval/params/spectrum.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace xferval::params {

namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Eigenvalues of W^T W, ascending; X = W^T W with N >= M keeps X at the smaller size M x M.
Eigen::VectorXd gram_eigenvalues(const RowMajor& values) {
  const Eigen::Index m = std::min(values.rows(), values.cols());
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(m, m);
  if (values.rows() >= values.cols()) {
    gram.selfadjointView<Eigen::Lower>().rankUpdate(values.transpose());
  } else {
    gram.selfadjointView<Eigen::Lower>().rankUpdate(values);
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::EigenvaluesOnly);
  return solver.eigenvalues();
}

std::vector<double> decoded(const TensorView& tensor) {
  std::vector<double> values(static_cast<size_t>(tensor.element_count()));
  decode_values(tensor.dtype, tensor.bytes.data(), 0, values.size(), values.data());
  return values;
}

}  // namespace

ConvSlices conv_slices(const std::vector<uint64_t>& shape) {
  const uint64_t s0 = shape.at(0), s1 = shape.at(1), s2 = shape.at(2), s3 = shape.at(3);
  // WeightWatcher's channel detection: the two larger axes are the channels.
  if (s0 + s1 >= s2 + s3) return {true, s0, s1, s2 * s3};
  return {false, s2, s3, s0 * s1};
}

std::vector<double> spectrum_eigenvalues(const TensorView& tensor) {
  const std::vector<double> values = decoded(tensor);
  if (tensor.shape.size() == 2) {
    Eigen::Map<const RowMajor> matrix(values.data(), static_cast<Eigen::Index>(tensor.shape[0]),
                                      static_cast<Eigen::Index>(tensor.shape[1]));
    const Eigen::VectorXd eigenvalues = gram_eigenvalues(matrix);
    return {eigenvalues.data(), eigenvalues.data() + eigenvalues.size()};
  }
  const ConvSlices slices = conv_slices(tensor.shape);
  const Eigen::Index rows = static_cast<Eigen::Index>(slices.rows),
                     cols = static_cast<Eigen::Index>(slices.cols);
  const size_t positions = static_cast<size_t>(slices.count);
  std::vector<double> out;
  RowMajor slice(rows, cols);
  for (size_t position = 0; position < positions; ++position) {
    for (Eigen::Index a = 0; a < rows; ++a) {
      for (Eigen::Index b = 0; b < cols; ++b) {
        const size_t channel = static_cast<size_t>(a) * static_cast<size_t>(cols) + static_cast<size_t>(b);
        // Channels first (out, in, kh, kw): the kernel position varies fastest; channels last
        // (kh, kw, in, out): the channel pair does.
        slice(a, b) = slices.channels_first ? values[channel * positions + position]
                                            : values[position * static_cast<size_t>(rows * cols) + channel];
      }
    }
    const Eigen::VectorXd eigenvalues = gram_eigenvalues(slice);
    // conv2d_norm with pooling scales W by sqrt(1/2), so every eigenvalue by 1/2.
    for (double value : eigenvalues) out.push_back(value * kConv2dNormEigenvalueScale);
  }
  std::sort(out.begin(), out.end());
  return out;
}

PowerLawFit fit_power_law(std::vector<double> eigenvalues) {
  PowerLawFit fit;
  fit.eigenvalues = eigenvalues.size();
  std::sort(eigenvalues.begin(), eigenvalues.end());
  if (!eigenvalues.empty()) {
    const double sum = std::accumulate(eigenvalues.begin(), eigenvalues.end(), 0.0);
    const double largest = eigenvalues.back();
    fit.log_norm = std::log10(sum);
    fit.log_spectral_norm = std::log10(largest);
    fit.stable_rank = sum / largest;
  }
  std::vector<double> lambda;
  for (double value : eigenvalues) {
    if (value > kEvalsThresh) lambda.push_back(value);
  }
  fit.used = lambda.size();
  if (lambda.size() < kMinEvals) {
    fit.reason = "fewer than 10 eigenvalues above 1e-5";
    return fit;
  }
  const size_t n = lambda.size();
  double best_d = std::numeric_limits<double>::infinity();
  for (size_t j = 0; j + 1 < n; ++j) {
    const double n_j = static_cast<double>(n - j);
    double log_sum = 0;
    for (size_t i = j; i < n; ++i) log_sum += std::log(lambda[i] / lambda[j]);
    if (!(log_sum > 0)) continue;  // a flat tail has no finite exponent
    const double alpha = 1 + n_j / log_sum;
    double d = 0;
    for (size_t i = j; i < n; ++i) {
      const double gap =
          std::fabs(1 - std::pow(lambda[i] / lambda[j], 1 - alpha) - static_cast<double>(i - j) / n_j);
      d = std::max(d, gap);
    }
    if (d < best_d) {
      best_d = d;
      fit.fitted = true;
      fit.alpha = alpha;
      fit.xmin = lambda[j];
      fit.D = d;
      fit.tail = n - j;
      fit.sigma = (alpha - 1) / std::sqrt(n_j);
    }
  }
  if (!fit.fitted) {
    fit.reason = "all eigenvalues are equal";
    return fit;
  }
  fit.alpha_weighted = fit.alpha * fit.log_spectral_norm;
  return fit;
}

}  // namespace xferval::params
