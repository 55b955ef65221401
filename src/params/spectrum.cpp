#include "xferval/params/spectrum.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace xferval::params {

std::vector<double> spectrum_eigenvalues(const TensorView& matrix) {
  const Eigen::Index rows = static_cast<Eigen::Index>(matrix.shape.at(0));
  const Eigen::Index cols = static_cast<Eigen::Index>(matrix.shape.at(1));
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> values(rows, cols);
  decode_values(matrix.dtype, matrix.bytes.data(), 0, static_cast<size_t>(rows * cols), values.data());
  // X = W^T W with N >= M keeps X at the smaller size M x M.
  const Eigen::Index m = std::min(rows, cols);
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(m, m);
  if (rows >= cols) {
    gram.selfadjointView<Eigen::Lower>().rankUpdate(values.transpose());
  } else {
    gram.selfadjointView<Eigen::Lower>().rankUpdate(values);
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::EigenvaluesOnly);
  const Eigen::VectorXd& eigenvalues = solver.eigenvalues();
  return {eigenvalues.data(), eigenvalues.data() + eigenvalues.size()};
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
