#include "xferval/transfer/logme.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "gram.hpp"
#include "projected_spectrum.hpp"
#include "validation.hpp"

namespace xferval {
namespace {

using transfer_detail::ProjectedSpectrum;

// LogME.py's truncated_svd keeps singular values s > 1e-10, i.e. eigenvalues sigma = s² > 1e-20.
constexpr double kEigenvalueCutoff = 1e-20;
constexpr int kMaxIterations = 11;
constexpr double kDenominatorGuard = 1e-5;
constexpr double kTolerance = 1e-3;

// What the fixed point needs of the features: the kept eigenvalues sigma of FᵀF (equivalently of
// FFᵀ) and, per target, x = Uᵀ y on the kept directions and ‖y‖².
struct TargetSpectrum {
  Eigen::VectorXd sigma;          // k kept eigenvalues
  Eigen::MatrixXd coordinates;    // k x K: x for each target
  Eigen::VectorXd squared_norms;  // K: ‖y‖²
};

// targets_projected: the matrix whose eigen-projections give x: FᵀY when N > D (x = Vᵀ Fᵀ y / s) or
// Y itself when N <= D (x = Uᵀ y). Only Gram products are formed; F's singular vectors never are.
TargetSpectrum target_spectrum(const Eigen::MatrixXd& features, const Eigen::MatrixXd& targets_projected,
                               const Eigen::VectorXd& squared_norms) {
  const bool tall = features.rows() > features.cols();
  Eigen::MatrixXd gram;
  if (tall) {
    gram = transfer_detail::gram_of_columns(features);
  } else {
    gram = Eigen::MatrixXd::Zero(features.rows(), features.rows());
    gram.selfadjointView<Eigen::Lower>().rankUpdate(features);
    gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
  }
  ProjectedSpectrum spectrum = transfer_detail::projected_spectrum(gram, targets_projected);
  Eigen::Index kept = 0;
  for (Eigen::Index i = 0; i < spectrum.eigenvalues.size(); ++i)
    kept += spectrum.eigenvalues(i) > kEigenvalueCutoff;
  TargetSpectrum out{Eigen::VectorXd(kept), Eigen::MatrixXd(kept, targets_projected.cols()), squared_norms};
  Eigen::Index next = 0;
  for (Eigen::Index i = 0; i < spectrum.eigenvalues.size(); ++i) {
    const double sigma = spectrum.eigenvalues(i);
    if (!(sigma > kEigenvalueCutoff)) continue;
    out.sigma(next) = sigma;
    out.coordinates.row(next) = tall ? Eigen::RowVectorXd(spectrum.projections.row(i) / std::sqrt(sigma))
                                     : Eigen::RowVectorXd(spectrum.projections.row(i));
    ++next;
  }
  return out;
}

struct Evidence {
  double value;
  int iterations;
};

// One target's fixed point, step for step as LogME.py's _fit_fixed_point (m2 and res2 from the t
// before the update, the evidence from the updated alpha and beta), but with k/2 log alpha in place of
// D/2 log alpha: padding sigma with D - k zeros adds -(D - k)/2 log alpha to the log-determinant.
Evidence maximise_evidence(const Eigen::VectorXd& sigma, const Eigen::VectorXd& x, double squared_norm,
                           double n) {
  const Eigen::ArrayXd sigma_a = sigma.array();
  const Eigen::ArrayXd x2 = x.array().square();
  const double residual_outside_span = squared_norm - x2.sum();
  const double k = static_cast<double>(sigma.size());
  double alpha = 1, beta = 1, m2 = 0, res2 = 0;
  int iterations = 0;
  while (iterations < kMaxIterations) {
    ++iterations;
    const double t = alpha / beta;
    const double gamma = (sigma_a / (sigma_a + t)).sum();
    m2 = (sigma_a * x2 / (t + sigma_a).square()).sum();
    res2 = (x2 / (1 + sigma_a / t).square()).sum() + residual_outside_span;
    alpha = gamma / (m2 + kDenominatorGuard);
    beta = (n - gamma) / (res2 + kDenominatorGuard);
    if (std::abs(alpha / beta - t) / t <= kTolerance) break;
  }
  const double evidence = k / 2 * std::log(alpha) + n / 2 * std::log(beta) -
                          0.5 * (alpha + beta * sigma_a).log().sum() - beta / 2 * res2 - alpha / 2 * m2 -
                          n / 2 * std::log(2 * std::numbers::pi);
  return {evidence / n, iterations};
}

LogMeResult evidences(const TargetSpectrum& spectrum, Eigen::Index n) {
  LogMeResult result;
  for (Eigen::Index target = 0; target < spectrum.coordinates.cols(); ++target) {
    Evidence evidence = maximise_evidence(spectrum.sigma, spectrum.coordinates.col(target),
                                          spectrum.squared_norms(target), static_cast<double>(n));
    result.per_target.push_back(evidence.value);
    result.iterations.push_back(evidence.iterations);
    result.score += evidence.value;
  }
  result.score /= static_cast<double>(result.per_target.size());
  return result;
}

}  // namespace

LogMeResult logme_classification(const Eigen::MatrixXd& features, const std::vector<int>& labels) {
  const std::string who = "logme_classification";
  transfer_detail::require_non_empty(features, who, "features");
  transfer_detail::require_finite(features, who, "features");
  const int classes = transfer_detail::require_labels(labels, features.rows(), who);
  const Eigen::Index n = features.rows(), d = features.cols();
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(classes);
  for (int label : labels) counts(label) += 1;
  Eigen::MatrixXd projected;
  if (n > d) {
    // FᵀY for one-hot Y: per-class sums of the feature rows, O(N D).
    projected = Eigen::MatrixXd::Zero(d, classes);
    for (Eigen::Index j = 0; j < d; ++j) {
      const double* column = features.col(j).data();
      for (Eigen::Index i = 0; i < n; ++i) projected(j, labels[static_cast<size_t>(i)]) += column[i];
    }
  } else {
    projected = Eigen::MatrixXd::Zero(n, classes);
    for (Eigen::Index i = 0; i < n; ++i) projected(i, labels[static_cast<size_t>(i)]) = 1;
  }
  return evidences(target_spectrum(features, projected, counts), n);
}

LogMeResult logme_regression(const Eigen::MatrixXd& features, const Eigen::MatrixXd& targets) {
  const std::string who = "logme_regression";
  transfer_detail::require_non_empty(features, who, "features");
  transfer_detail::require_non_empty(targets, who, "targets");
  transfer_detail::require_finite(features, who, "features");
  transfer_detail::require_finite(targets, who, "targets");
  if (targets.rows() != features.rows()) {
    throw std::invalid_argument(who + ": " + std::to_string(targets.rows()) + " target rows for " +
                                std::to_string(features.rows()) + " samples");
  }
  const Eigen::Index n = features.rows(), d = features.cols();
  Eigen::MatrixXd projected = n > d ? Eigen::MatrixXd(features.transpose() * targets) : targets;
  return evidences(target_spectrum(features, projected, targets.colwise().squaredNorm().transpose()), n);
}

}  // namespace xferval
