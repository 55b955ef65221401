#include "xferval/stats/mahalanobis.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace xferval {
namespace {

// Rows solved per triangular solve: large enough for a blocked TRSM, small enough to stay in cache.
constexpr Eigen::Index kBlockRows = 1024;
// Below this many multiply-adds the second thread costs more than it saves.
constexpr double kParallelWork = 2e7;

}  // namespace

MahalanobisScorer::MahalanobisScorer(Eigen::VectorXd mean, const Eigen::MatrixXd& covariance,
                                     bool force_pseudo_inverse)
    : mean_(std::move(mean)) {
  const Eigen::Index p = mean_.size();
  if (p == 0) throw std::invalid_argument("MahalanobisScorer: empty mean");
  if (covariance.rows() != p || covariance.cols() != p) {
    throw std::invalid_argument("MahalanobisScorer: covariance is " + std::to_string(covariance.rows()) +
                                " x " + std::to_string(covariance.cols()) + " but the mean has " +
                                std::to_string(p) + " dimensions");
  }
  if (!mean_.allFinite() || !covariance.allFinite()) {
    throw std::invalid_argument("MahalanobisScorer: mean or covariance contains a NaN or infinite value");
  }
  const double epsilon = std::numeric_limits<double>::epsilon();
  const double max_diagonal = covariance.diagonal().cwiseAbs().maxCoeff();
  if (!force_pseudo_inverse) {
    Eigen::LLT<Eigen::MatrixXd> llt(covariance);
    if (llt.info() == Eigen::Success) {
      Eigen::MatrixXd lower = llt.matrixL();
      // A pivot L_ii^2 bounds the smallest eigenvalue from above; one under pinvh's cutoff (with the largest
      // diagonal standing in for the largest eigenvalue) means the matrix is singular up to rounding.
      const double smallest_pivot = lower.diagonal().array().square().minCoeff();
      if (smallest_pivot > static_cast<double>(p) * epsilon * max_diagonal) {
        cholesky_lower_ = std::move(lower);
        rank_ = static_cast<size_t>(p);
        return;
      }
    }
  }
  used_pseudo_inverse_ = true;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(covariance);
  if (eigen.info() != Eigen::Success) {
    throw std::invalid_argument("MahalanobisScorer: eigendecomposition of the covariance did not converge");
  }
  const Eigen::VectorXd& values = eigen.eigenvalues();
  const double cutoff = static_cast<double>(p) * epsilon * values.cwiseAbs().maxCoeff();
  std::vector<Eigen::Index> kept;
  for (Eigen::Index i = 0; i < p; ++i) {
    if (std::fabs(values[i]) > cutoff) kept.push_back(i);
  }
  rank_ = kept.size();
  // Negative eigenvalues above the cutoff (an indefinite input) would need a signed form; distances of
  // such a matrix are not meaningful, so they are refused rather than silently made complex.
  whitening_.resize(p, static_cast<Eigen::Index>(kept.size()));
  for (size_t k = 0; k < kept.size(); ++k) {
    const double value = values[kept[k]];
    if (value < 0.0)
      throw std::invalid_argument("MahalanobisScorer: covariance is not positive semi-definite");
    whitening_.col(static_cast<Eigen::Index>(k)) = eigen.eigenvectors().col(kept[k]) / std::sqrt(value);
  }
}

void MahalanobisScorer::score_range(const Eigen::MatrixXd& rows, Eigen::Index first, Eigen::Index count,
                                    Eigen::VectorXd& out) const {
  Eigen::MatrixXd deviations;  // p x block, one column per row
  Eigen::MatrixXd whitened;
  for (Eigen::Index start = first; start < first + count; start += kBlockRows) {
    const Eigen::Index size = std::min(kBlockRows, first + count - start);
    deviations = (rows.middleRows(start, size).rowwise() - mean_.transpose()).transpose();
    if (used_pseudo_inverse_) {
      whitened.noalias() = whitening_.transpose() * deviations;
      out.segment(start, size) = whitened.colwise().squaredNorm().transpose();
    } else {
      cholesky_lower_.triangularView<Eigen::Lower>().solveInPlace(deviations);
      out.segment(start, size) = deviations.colwise().squaredNorm().transpose();
    }
  }
}

Eigen::VectorXd MahalanobisScorer::squared_distances(const Eigen::MatrixXd& rows) const {
  if (rows.cols() != mean_.size()) {
    throw std::invalid_argument("MahalanobisScorer: rows have " + std::to_string(rows.cols()) +
                                " columns, the fit has " + std::to_string(mean_.size()));
  }
  if (!rows.allFinite())
    throw std::invalid_argument("MahalanobisScorer: rows contain a NaN or infinite value");
  const Eigen::Index n = rows.rows();
  Eigen::VectorXd out(n);
  const double p = static_cast<double>(mean_.size());
  if (static_cast<double>(n) * p * p < kParallelWork || n < 2 * kBlockRows) {
    score_range(rows, 0, n, out);
    return out;
  }
  // Each thread writes a disjoint segment of out.
  const Eigen::Index half = n / 2;
  std::thread worker([&] { score_range(rows, half, n - half, out); });
  score_range(rows, 0, half, out);
  worker.join();
  return out;
}

}  // namespace xferval
