#pragma once
// Two-sample Hotelling T² test of equal means from summary statistics.
#include <Eigen/Core>
#include <cstdint>

namespace xferval {

struct HotellingResult {
  double t_squared = 0, f_statistic = 0, df1 = 0, df2 = 0, p_value = 1;
  double shrinkage = 0;  // the intensity applied to the pooled covariance (0: exact F reference)
};

// Two-sample Hotelling T² from summary statistics (means, unbiased covariances ddof=1, sizes):
// pooled S_p = ((n1-1) S1 + (n2-1) S2) / (n1+n2-2), T² = n1 n2/(n1+n2) d' S_p^-1 d,
// F = (n1+n2-p-1)/(p(n1+n2-2)) T² ~ F(p, n1+n2-p-1) under equal means and covariances (Gaussian).
// When shrinkage > 0, S_p is shrunk toward (tr/p) I first; the F reference is then only approximate
// (calibrate by permutation where it matters). A singular S_p (shrinkage 0) is inverted with the
// pseudo-inverse of MahalanobisScorer, so the statistic ignores directions without variance.
// Throws std::invalid_argument when n1 + n2 - p - 1 < 1 (the caller reports "not applicable"), on
// mismatched dimensions, shrinkage outside [0, 1] or non-finite input.
HotellingResult hotelling_two_sample(const Eigen::VectorXd& mean1, const Eigen::MatrixXd& cov1, uint64_t n1,
                                     const Eigen::VectorXd& mean2, const Eigen::MatrixXd& cov2, uint64_t n2,
                                     double shrinkage = 0.0);

}  // namespace xferval
