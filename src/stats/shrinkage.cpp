#include "xferval/stats/shrinkage.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

namespace xferval {
namespace {

// Below this many multiply-adds the second thread costs more than it saves.
constexpr double kParallelWork = 2e7;

// Ledoit-Wolf intensity from S (divisor n), the sum over rows of ||x_k||^4 and n, in the form of
// scikit-learn's ledoit_wolf_shrinkage: beta_ and delta_ there are sum_k ||x_k||^4 and ||S||_F^2 here.
double ledoit_wolf_from_moments(const Eigen::MatrixXd& ml_covariance, double sum_fourth_powers, uint64_t n) {
  const double p = static_cast<double>(ml_covariance.rows());
  const double samples = static_cast<double>(n);
  if (n <= 1 || ml_covariance.rows() <= 1) return 0.0;
  const double trace = ml_covariance.trace();
  const double mu = trace / p;
  const double frobenius_squared = ml_covariance.squaredNorm();
  double beta = (sum_fourth_powers / samples - frobenius_squared) / (p * samples);
  // ||S - mu I||_F^2 / p, expanded as scikit-learn does.
  const double delta = (frobenius_squared - 2.0 * mu * trace + p * mu * mu) / p;
  // delta = 0 means S is already a multiple of I: shrinking changes nothing, and 0 avoids 0/0.
  if (!(delta > 0.0)) return 0.0;
  beta = std::min(beta, delta);
  if (!(beta > 0.0)) return 0.0;
  return beta / delta;
}

void require_finite(const Eigen::MatrixXd& m, const char* what) {
  if (!m.allFinite()) throw std::invalid_argument(std::string(what) + " contains a NaN or infinite value");
}

// X'X / n of centred rows, the row range split over two threads when large.
Eigen::MatrixXd scatter_over_n(const Eigen::MatrixXd& centered) {
  const Eigen::Index n = centered.rows();
  const Eigen::Index p = centered.cols();
  auto lower_scatter = [&](Eigen::Index first, Eigen::Index count) {
    Eigen::MatrixXd part = Eigen::MatrixXd::Zero(p, p);
    part.selfadjointView<Eigen::Lower>().rankUpdate(centered.middleRows(first, count).transpose());
    return part;
  };
  Eigen::MatrixXd scatter;
  if (static_cast<double>(n) * static_cast<double>(p) * static_cast<double>(p) < kParallelWork || n < 4) {
    scatter = lower_scatter(0, n);
  } else {
    const Eigen::Index half = n / 2;
    Eigen::MatrixXd second;
    std::thread worker([&] { second = lower_scatter(half, n - half); });
    scatter = lower_scatter(0, half);
    worker.join();
    scatter += second;
  }
  Eigen::MatrixXd full = scatter.selfadjointView<Eigen::Lower>();
  return full / static_cast<double>(n);
}

}  // namespace

std::string_view to_string(ShrinkageMethod method) {
  switch (method) {
    case ShrinkageMethod::LedoitWolf:
      return "ledoit-wolf";
    case ShrinkageMethod::Oas:
      return "oas";
    case ShrinkageMethod::PseudoInverse:
      return "pinv";
  }
  return "unknown";
}

std::optional<ShrinkageMethod> shrinkage_method_from_string(std::string_view name) {
  if (name == "ledoit-wolf") return ShrinkageMethod::LedoitWolf;
  if (name == "oas") return ShrinkageMethod::Oas;
  if (name == "pinv") return ShrinkageMethod::PseudoInverse;
  return std::nullopt;
}

double ledoit_wolf_shrinkage(const Eigen::MatrixXd& centered_rows) {
  if (centered_rows.rows() == 0 || centered_rows.cols() == 0) {
    throw std::invalid_argument("ledoit_wolf_shrinkage: no rows or no columns");
  }
  require_finite(centered_rows, "ledoit_wolf_shrinkage: input");
  const Eigen::MatrixXd ml_covariance = scatter_over_n(centered_rows);
  const double sum_fourth_powers = centered_rows.rowwise().squaredNorm().squaredNorm();
  return ledoit_wolf_from_moments(ml_covariance, sum_fourth_powers,
                                  static_cast<uint64_t>(centered_rows.rows()));
}

double oas_shrinkage(const Eigen::MatrixXd& ml_covariance, uint64_t n) {
  if (ml_covariance.rows() == 0 || ml_covariance.rows() != ml_covariance.cols()) {
    throw std::invalid_argument("oas_shrinkage: covariance must be square and non-empty");
  }
  if (n == 0) throw std::invalid_argument("oas_shrinkage: n must be positive");
  require_finite(ml_covariance, "oas_shrinkage: covariance");
  const double p = static_cast<double>(ml_covariance.rows());
  if (ml_covariance.rows() == 1) return 0.0;
  const double mu = ml_covariance.trace() / p;
  const double alpha = ml_covariance.squaredNorm() / (p * p);
  const double numerator = alpha + mu * mu;
  const double denominator = (static_cast<double>(n) + 1.0) * (alpha - mu * mu / p);
  // alpha >= mu^2/p exactly (Cauchy-Schwarz on the eigenvalues); rounding can flip the sign when S is
  // a multiple of I, where scikit-learn's den == 0 rule gives 1.
  if (!(denominator > 0.0)) return 1.0;
  return std::clamp(numerator / denominator, 0.0, 1.0);
}

Eigen::MatrixXd shrink(const Eigen::MatrixXd& ml_covariance, double rho) {
  if (ml_covariance.rows() != ml_covariance.cols())
    throw std::invalid_argument("shrink: covariance not square");
  if (!(rho >= 0.0 && rho <= 1.0)) throw std::invalid_argument("shrink: intensity must lie in [0, 1]");
  const Eigen::Index p = ml_covariance.rows();
  Eigen::MatrixXd shrunk = (1.0 - rho) * ml_covariance;
  if (p == 0) return shrunk;
  shrunk.diagonal().array() += rho * ml_covariance.trace() / static_cast<double>(p);
  return shrunk;
}

Eigen::MatrixXd GaussianFit::covariance(ShrinkageMethod method) const {
  return shrink(ml_covariance, shrinkage(method));
}

double GaussianFit::shrinkage(ShrinkageMethod method) const {
  switch (method) {
    case ShrinkageMethod::LedoitWolf:
      return ledoit_wolf;
    case ShrinkageMethod::Oas:
      return oas;
    case ShrinkageMethod::PseudoInverse:
      return 0.0;
  }
  return 0.0;
}

GaussianFit fit_gaussian(const Eigen::MatrixXd& rows) {
  if (rows.rows() < 2) {
    throw std::invalid_argument("fit_gaussian: need at least 2 rows, got " + std::to_string(rows.rows()));
  }
  if (rows.cols() == 0) throw std::invalid_argument("fit_gaussian: rows have no columns");
  require_finite(rows, "fit_gaussian: rows");
  GaussianFit fit;
  fit.n = static_cast<uint64_t>(rows.rows());
  fit.mean = rows.colwise().mean().transpose();
  const Eigen::MatrixXd centered = rows.rowwise() - fit.mean.transpose();
  fit.ml_covariance = scatter_over_n(centered);
  const double sum_fourth_powers = centered.rowwise().squaredNorm().squaredNorm();
  fit.ledoit_wolf = ledoit_wolf_from_moments(fit.ml_covariance, sum_fourth_powers, fit.n);
  fit.oas = oas_shrinkage(fit.ml_covariance, fit.n);
  return fit;
}

}  // namespace xferval
