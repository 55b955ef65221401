// Dataset-level OOD figures and rank statistics over two samples of scores.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "xferval/stats/distributions.hpp"
#include "xferval/stats/two_sample.hpp"
#include "xferval/transfer/ood.hpp"

namespace xferval {
namespace {

void require_sample(const std::vector<double>& values, const std::string& who, const std::string& what) {
  if (values.empty()) throw std::invalid_argument(who + ": " + what + " is empty");
  for (double value : values) {
    if (!std::isfinite(value))
      throw std::invalid_argument(who + ": " + what + " contains a NaN or infinite value");
  }
}

std::vector<double> as_vector(const Eigen::VectorXd& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

// Sum of the midranks of x in the pooled sample, and Σ (t³ - t) over tie groups.
struct RankSums {
  double rank_sum_x = 0;
  double tie_term = 0;
};

RankSums pooled_ranks(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::pair<double, bool>> pooled;  // value, is from x
  pooled.reserve(x.size() + y.size());
  for (double value : x) pooled.emplace_back(value, true);
  for (double value : y) pooled.emplace_back(value, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  RankSums sums;
  for (size_t first = 0; first < pooled.size();) {
    size_t last = first;
    while (last + 1 < pooled.size() && pooled[last + 1].first == pooled[first].first) ++last;
    const double midrank = (static_cast<double>(first + last) + 2) / 2;  // 1-based ranks first+1..last+1
    const double ties = static_cast<double>(last - first + 1);
    sums.tie_term += ties * ties * ties - ties;
    for (size_t i = first; i <= last; ++i) sums.rank_sum_x += pooled[i].second ? midrank : 0;
    first = last + 1;
  }
  return sums;
}

// np.quantile(values, q) with the default linear interpolation.
double linear_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  if (below + 1 >= values.size()) return values.back();
  const double fraction = position - static_cast<double>(below);
  const double a = values[below], b = values[below + 1];
  // NumPy's _lerp, which interpolates from the nearer end.
  return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction;
}

double share_above(const std::vector<double>& values, double threshold) {
  const auto above = std::count_if(values.begin(), values.end(), [&](double v) { return v > threshold; });
  return static_cast<double>(above) / static_cast<double>(values.size());
}

}  // namespace

double mann_whitney_p_value(const std::vector<double>& x, const std::vector<double>& y) {
  require_sample(x, "mann_whitney_p_value", "x");
  require_sample(y, "mann_whitney_p_value", "y");
  const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size()), n = n1 + n2;
  const RankSums sums = pooled_ranks(x, y);
  const double u1 = sums.rank_sum_x - n1 * (n1 + 1) / 2;
  const double u = std::max(u1, n1 * n2 - u1);
  const double sd = std::sqrt(n1 * n2 / 12 * ((n + 1) - sums.tie_term / (n * (n - 1))));
  if (!(sd > 0)) return 1;  // all values tied: SciPy's z is NaN; no evidence of a difference
  const double z = (u - n1 * n2 / 2 - 0.5) / sd;
  return std::clamp(2 * dist::normal_sf(z), 0.0, 1.0);
}

double auroc(const std::vector<double>& negative_scores, const std::vector<double>& positive_scores) {
  require_sample(negative_scores, "auroc", "negative scores");
  require_sample(positive_scores, "auroc", "positive scores");
  const double n_positive = static_cast<double>(positive_scores.size());
  const double n_negative = static_cast<double>(negative_scores.size());
  const RankSums sums = pooled_ranks(positive_scores, negative_scores);
  return (sums.rank_sum_x - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative);
}

OodSummary summarize_ood(const Eigen::VectorXd& calibration_scores, const Eigen::VectorXd& target_scores,
                         double quantile) {
  if (!(quantile > 0 && quantile < 1)) {
    throw std::invalid_argument("summarize_ood: quantile must be in (0, 1), got " + std::to_string(quantile));
  }
  const std::vector<double> calibration = as_vector(calibration_scores), target = as_vector(target_scores);
  require_sample(calibration, "summarize_ood", "calibration scores");
  require_sample(target, "summarize_ood", "target scores");
  OodSummary summary;
  summary.threshold = linear_quantile(calibration, quantile);
  summary.target_rate = share_above(target, summary.threshold);
  summary.calibration_rate = share_above(calibration, summary.threshold);
  const TestResult ks = ks_2samp(target, calibration);
  summary.ks_statistic = ks.statistic;
  summary.ks_p_value = ks.p_value;
  summary.mann_whitney_p_value = mann_whitney_p_value(target, calibration);
  return summary;
}

}  // namespace xferval
