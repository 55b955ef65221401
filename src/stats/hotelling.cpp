#include "xferval/stats/hotelling.hpp"

#include <boost/math/distributions/fisher_f.hpp>
#include <stdexcept>
#include <string>

#include "xferval/stats/mahalanobis.hpp"
#include "xferval/stats/shrinkage.hpp"

namespace xferval {

HotellingResult hotelling_two_sample(const Eigen::VectorXd& mean1, const Eigen::MatrixXd& cov1, uint64_t n1,
                                     const Eigen::VectorXd& mean2, const Eigen::MatrixXd& cov2, uint64_t n2,
                                     double shrinkage) {
  const Eigen::Index p = mean1.size();
  if (p == 0) throw std::invalid_argument("hotelling_two_sample: empty mean");
  if (mean2.size() != p || cov1.rows() != p || cov1.cols() != p || cov2.rows() != p || cov2.cols() != p) {
    throw std::invalid_argument("hotelling_two_sample: means and covariances must all have dimension " +
                                std::to_string(p));
  }
  if (!mean1.allFinite() || !mean2.allFinite() || !cov1.allFinite() || !cov2.allFinite()) {
    throw std::invalid_argument(
        "hotelling_two_sample: a mean or covariance contains a NaN or infinite value");
  }
  if (!(shrinkage >= 0.0 && shrinkage <= 1.0)) {
    throw std::invalid_argument("hotelling_two_sample: shrinkage must lie in [0, 1]");
  }
  const double total = static_cast<double>(n1) + static_cast<double>(n2);
  const double dimensions = static_cast<double>(p);
  const double df2 = total - dimensions - 1.0;
  if (n1 < 1 || n2 < 1 || df2 < 1.0) {
    throw std::invalid_argument(
        "hotelling_two_sample: needs n1 + n2 - p - 1 >= 1 (n1 = " + std::to_string(n1) +
        ", n2 = " + std::to_string(n2) + ", p = " + std::to_string(p) + ")");
  }
  Eigen::MatrixXd pooled =
      ((static_cast<double>(n1) - 1.0) * cov1 + (static_cast<double>(n2) - 1.0) * cov2) / (total - 2.0);
  if (shrinkage > 0.0) pooled = shrink(pooled, shrinkage);

  // d' S_p^-1 d is the squared Mahalanobis distance of mean2 from mean1 under S_p.
  const MahalanobisScorer scorer(mean1, pooled);
  const double distance = scorer.squared_distances(mean2.transpose())[0];

  HotellingResult result;
  result.shrinkage = shrinkage;
  result.t_squared = static_cast<double>(n1) * static_cast<double>(n2) / total * distance;
  result.df1 = dimensions;
  result.df2 = df2;
  result.f_statistic = df2 / (dimensions * (total - 2.0)) * result.t_squared;
  const boost::math::fisher_f distribution(result.df1, result.df2);
  result.p_value = boost::math::cdf(boost::math::complement(distribution, result.f_statistic));
  return result;
}

}  // namespace xferval
