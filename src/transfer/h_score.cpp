// H-score and its Ledoit-Wolf shrinkage variant.
#include <Eigen/Eigenvalues>
#include <cmath>
#include <vector>

#include "validation.hpp"
#include "xferval/stats/shrinkage.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {
namespace {

constexpr double kPinvRcond = 1e-15;  // np.linalg.pinv(cov, rcond=1e-15)

// np.cov(g, rowvar=False) of g = each row replaced by its class mean.
Eigen::MatrixXd class_mean_covariance(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                                      int classes) {
  const Eigen::Index n = features.rows();
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(classes, features.cols());
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(classes);
  for (Eigen::Index i = 0; i < n; ++i) {
    sums.row(labels[static_cast<size_t>(i)]) += features.row(i);
    counts(labels[static_cast<size_t>(i)]) += 1;
  }
  const Eigen::RowVectorXd overall = features.colwise().mean();
  // cov(g) = Σ_c n_c (μ_c - μ)(μ_c - μ)ᵀ / (N - 1): C rows instead of N.
  Eigen::MatrixXd weighted(classes, features.cols());
  for (int c = 0; c < classes; ++c) {
    weighted.row(c) = counts(c) > 0
                          ? Eigen::RowVectorXd((sums.row(c) / counts(c) - overall) * std::sqrt(counts(c)))
                          : Eigen::RowVectorXd::Zero(features.cols());
  }
  return weighted.transpose() * weighted / static_cast<double>(n - 1);
}

// tr(pinv(a) b) for symmetric a, pinv as numpy (singular values <= rcond * largest dropped). Exactly
// constant features give exactly zero rows and columns in both matrices; they are removed first so that
// rounding in the eigensolver cannot turn them into tiny kept eigenvalues.
double trace_pinv_product(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  std::vector<Eigen::Index> live;
  for (Eigen::Index j = 0; j < a.rows(); ++j) {
    if (a(j, j) != 0) live.push_back(j);
  }
  if (live.empty()) return 0;
  const Eigen::MatrixXd a_live = a(live, live), b_live = b(live, live);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(a_live);
  const Eigen::VectorXd& values = solver.eigenvalues();
  const double cutoff = kPinvRcond * values.cwiseAbs().maxCoeff();
  const Eigen::MatrixXd rotated = solver.eigenvectors().transpose() * b_live * solver.eigenvectors();
  double trace = 0;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (std::abs(values(i)) > cutoff) trace += rotated(i, i) / values(i);
  }
  return trace;
}

int check_feature_inputs(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                         const std::string& who) {
  transfer_detail::require_non_empty(features, who, "features");
  transfer_detail::require_finite(features, who, "features");
  return transfer_detail::require_labels(labels, features.rows(), who);
}

}  // namespace

double h_score(const Eigen::MatrixXd& features, const std::vector<int>& labels) {
  const int classes = check_feature_inputs(features, labels, "h_score");
  const Eigen::MatrixXd centred = features.rowwise() - features.colwise().mean();
  const Eigen::MatrixXd covariance = centred.transpose() * centred / static_cast<double>(features.rows() - 1);
  return trace_pinv_product(covariance, class_mean_covariance(features, labels, classes));
}

double shrinkage_h_score(const Eigen::MatrixXd& features, const std::vector<int>& labels) {
  const int classes = check_feature_inputs(features, labels, "shrinkage_h_score");
  const GaussianFit fit = fit_gaussian(features);
  const double rho = fit.ledoit_wolf;
  return trace_pinv_product(fit.covariance(ShrinkageMethod::LedoitWolf),
                            (1 - rho) * class_mean_covariance(features, labels, classes));
}

}  // namespace xferval
