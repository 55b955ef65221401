#pragma once
// Gaussian fits of d-dimensional rows with the closed-form shrinkage intensities of scikit-learn 1.2.1
// (Ledoit-Wolf and its OAS variant), so that a precision matrix exists even when the empirical covariance
// is singular (constant columns, more features than rows). Formulas: docs/reference mahalanobis-and-drift §4.
#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xferval {

enum class ShrinkageMethod { LedoitWolf, Oas, PseudoInverse };  // PseudoInverse = empirical S, no shrinkage

// "ledoit-wolf", "oas", "pinv".
std::string_view to_string(ShrinkageMethod method);
std::optional<ShrinkageMethod> shrinkage_method_from_string(std::string_view name);

// sklearn.covariance.ledoit_wolf_shrinkage(X, assume_centered=True) for already-centred rows (n x p).
// As scikit-learn: 0 for a single row or a single column; also 0 when S is already a multiple of I.
// Throws std::invalid_argument for an empty matrix or a non-finite value.
double ledoit_wolf_shrinkage(const Eigen::MatrixXd& centered_rows);

// scikit-learn 1.2.1 OAS shrinkage from the maximum-likelihood covariance S (divisor n) and n:
// min((mean(S∘S) + mu²) / ((n + 1)(mean(S∘S) - mu²/p)), 1), mu = tr(S)/p; 1 when the denominator
// vanishes (S a multiple of I, including S = 0); 0 for p = 1 (as sklearn.covariance.oas).
double oas_shrinkage(const Eigen::MatrixXd& ml_covariance, uint64_t n);

// (1 - rho) S + rho * (tr(S)/p) I. Positive definite whenever rho > 0 and tr(S) > 0.
Eigen::MatrixXd shrink(const Eigen::MatrixXd& ml_covariance, double rho);

struct GaussianFit {
  Eigen::VectorXd mean;
  Eigen::MatrixXd ml_covariance;  // divisor n, unshrunk
  uint64_t n = 0;
  double ledoit_wolf = 0;  // both intensities, so a caller can choose later
  double oas = 0;

  // ml_covariance shrunk with the method's intensity (PseudoInverse: unshrunk).
  Eigen::MatrixXd covariance(ShrinkageMethod method) const;
  double shrinkage(ShrinkageMethod method) const;
};

// rows: n x p, finite, n >= 2 (std::invalid_argument otherwise). Large inputs use 2 threads.
GaussianFit fit_gaussian(const Eigen::MatrixXd& rows);

}  // namespace xferval
