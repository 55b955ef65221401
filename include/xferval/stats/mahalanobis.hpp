#pragma once
// Squared Mahalanobis distances to a fixed mean under a fixed covariance, as scikit-learn's
// EmpiricalCovariance.mahalanobis, computed with triangular solves instead of an explicit precision.
#include <Eigen/Core>
#include <cstddef>

namespace xferval {

class MahalanobisScorer {
 public:
  // Cholesky of the covariance (LLT); when it is not positive definite (e.g. pinv method on a singular S)
  // falls back to the symmetric pseudo-inverse (scipy.linalg.pinvh cutoff rule: eigenvalues with
  // |s| <= p * eps * max|s| are dropped) and says so via used_pseudo_inverse(). A Cholesky pivot below
  // that same cutoff counts as not positive definite, so a numerically singular matrix does not produce
  // distances dominated by rounding. The pseudo-inverse ignores the null space: a shift confined to it is
  // invisible. Throws std::invalid_argument on a non-square, mismatched or non-finite input.
  MahalanobisScorer(Eigen::VectorXd mean, const Eigen::MatrixXd& covariance,
                    bool force_pseudo_inverse = false);

  // Squared distances of each row (n x p) to the mean, as sklearn EmpiricalCovariance.mahalanobis;
  // blocks of rows solved with triangular solves, 2 threads for large inputs.
  Eigen::VectorXd squared_distances(const Eigen::MatrixXd& rows) const;

  bool used_pseudo_inverse() const { return used_pseudo_inverse_; }
  size_t dimensions() const { return static_cast<size_t>(mean_.size()); }
  // Number of directions that count: p on the Cholesky path, the kept eigenvalues on the pinv path.
  size_t rank() const { return rank_; }

 private:
  // Squared distances of rows [first, first + count) into out.
  void score_range(const Eigen::MatrixXd& rows, Eigen::Index first, Eigen::Index count,
                   Eigen::VectorXd& out) const;

  Eigen::VectorXd mean_;
  Eigen::MatrixXd cholesky_lower_;  // L with L L' = covariance (Cholesky path)
  Eigen::MatrixXd whitening_;       // U_kept diag(1/sqrt(s_kept)), p x rank (pinv path)
  bool used_pseudo_inverse_ = false;
  size_t rank_ = 0;
};

}  // namespace xferval
