#include "projected_spectrum.hpp"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>

namespace xferval::transfer_detail {
namespace {

constexpr int kMaxSweepsPerEigenvalue = 60;

// tql2 (EISPACK, as in the public-domain JAMA port) on the tridiagonal (diagonal, subdiagonal), where
// subdiagonal(i) = T(i + 1, i) and subdiagonal(n - 1) = 0. Each rotation of eigenvector columns i, i + 1
// becomes a rotation of rows i, i + 1 of `projected` (stored transposed: column i = row i of Vᵀ B).
// Returns false when an eigenvalue does not converge.
bool tridiagonal_ql(Eigen::VectorXd& diagonal, Eigen::VectorXd& subdiagonal, Eigen::MatrixXd& projected_t) {
  const Eigen::Index n = diagonal.size();
  const double epsilon = std::numeric_limits<double>::epsilon();
  double shift_total = 0, largest = 0;
  for (Eigen::Index l = 0; l < n; ++l) {
    largest = std::max(largest, std::abs(diagonal(l)) + std::abs(subdiagonal(l)));
    Eigen::Index m = l;
    while (m < n - 1 && std::abs(subdiagonal(m)) > epsilon * largest) ++m;
    if (m > l) {
      int sweeps = 0;
      do {
        if (++sweeps > kMaxSweepsPerEigenvalue) return false;
        double g = diagonal(l);
        double p = (diagonal(l + 1) - g) / (2.0 * subdiagonal(l));
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        diagonal(l) = subdiagonal(l) / (p + r);
        diagonal(l + 1) = subdiagonal(l) * (p + r);
        const double next_diagonal = diagonal(l + 1);
        double h = g - diagonal(l);
        for (Eigen::Index i = l + 2; i < n; ++i) diagonal(i) -= h;
        shift_total += h;
        p = diagonal(m);
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double next_subdiagonal = subdiagonal(l + 1);
        for (Eigen::Index i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * subdiagonal(i);
          h = c * p;
          r = std::hypot(p, subdiagonal(i));
          subdiagonal(i + 1) = s * r;
          s = subdiagonal(i) / r;
          c = p / r;
          p = c * diagonal(i) - s * g;
          diagonal(i + 1) = h + s * (c * g + s * diagonal(i));
          auto lower = projected_t.col(i);
          auto upper = projected_t.col(i + 1);
          for (Eigen::Index k = 0; k < projected_t.rows(); ++k) {
            const double upper_value = upper(k);
            upper(k) = s * lower(k) + c * upper_value;
            lower(k) = c * lower(k) - s * upper_value;
          }
        }
        p = -s * s2 * c3 * next_subdiagonal * subdiagonal(l) / next_diagonal;
        subdiagonal(l) = s * p;
        diagonal(l) = c * p;
      } while (std::abs(subdiagonal(l)) > epsilon * largest);
    }
    diagonal(l) += shift_total;
    subdiagonal(l) = 0;
  }
  return true;
}

}  // namespace

ProjectedSpectrum projected_spectrum(const Eigen::MatrixXd& symmetric, const Eigen::MatrixXd& vectors) {
  const Eigen::Index n = symmetric.rows();
  if (n <= 2) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(symmetric);
    return {solver.eigenvalues(), solver.eigenvectors().transpose() * vectors};
  }
  Eigen::Tridiagonalization<Eigen::MatrixXd> reduction(symmetric);
  Eigen::VectorXd diagonal = reduction.diagonal();
  Eigen::VectorXd subdiagonal = Eigen::VectorXd::Zero(n);
  subdiagonal.head(n - 1) = reduction.subDiagonal();
  Eigen::MatrixXd reduced = reduction.matrixQ().adjoint() * vectors;  // Qᵀ B, n x k
  Eigen::MatrixXd projected_t = reduced.transpose();
  if (!tridiagonal_ql(diagonal, subdiagonal, projected_t)) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(symmetric);
    return {solver.eigenvalues(), solver.eigenvectors().transpose() * vectors};
  }
  return {diagonal, projected_t.transpose()};
}

}  // namespace xferval::transfer_detail
