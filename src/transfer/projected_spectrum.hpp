#pragma once
// Eigenvalues of a symmetric matrix together with the projections of a few vectors on its
// eigenvectors, without forming the eigenvectors: LogME needs only (vᵢᵀ b)² per target.
#include <Eigen/Core>

namespace xferval::transfer_detail {

struct ProjectedSpectrum {
  Eigen::VectorXd eigenvalues;  // n, unsorted
  Eigen::MatrixXd projections;  // n x k: row i is vᵢᵀ B for the eigenvector vᵢ of eigenvalues(i)
};

// symmetric: n x n; vectors: n x k. Householder tridiagonalisation (Eigen), then implicit QL with
// Wilkinson shifts (EISPACK tql2) whose rotations are applied to the k projected vectors instead of an
// n x n eigenvector matrix: O(n³) for the reduction but only O(n² k) after it, against O(n³) more for
// the eigenvectors. Falls back to Eigen's SelfAdjointEigenSolver if QL does not converge.
ProjectedSpectrum projected_spectrum(const Eigen::MatrixXd& symmetric, const Eigen::MatrixXd& vectors);

}  // namespace xferval::transfer_detail
