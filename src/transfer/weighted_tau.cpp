// Weighted Kendall tau (Vigna 2015) as scipy.stats.weightedtau with its defaults. SciPy's O(n log n)
// merge sort sums, over pairs, the additive weight w_ij = 1/(r_i + 1) + 1/(r_j + 1) of concordant,
// discordant and tied pairs; the same sums are taken here pair by pair, which is exact and plenty fast
// for rankings of a few hundred models.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "xferval/transfer/scores.hpp"

namespace xferval {
namespace {

int sign(double value) { return (value > 0) - (value < 0); }

// SciPy's _weightedrankedtau(primary, secondary) with rank=None: ranks from the decreasing lexicographic
// order of (primary, secondary), joint ties by decreasing index (the reversed stable np.lexsort).
double ranked_tau(const std::vector<double>& primary, const std::vector<double>& secondary) {
  const size_t n = primary.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (primary[a] != primary[b]) return primary[a] > primary[b];
    if (secondary[a] != secondary[b]) return secondary[a] > secondary[b];
    return a > b;
  });
  std::vector<double> weight(n);
  for (size_t position = 0; position < n; ++position) weight[order[position]] = 1.0 / (1.0 + position);
  double agreement = 0, primary_untied = 0, secondary_untied = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const double w = weight[i] + weight[j];
      const int sign_primary = sign(primary[i] - primary[j]);
      const int sign_secondary = sign(secondary[i] - secondary[j]);
      agreement += w * sign_primary * sign_secondary;
      primary_untied += sign_primary != 0 ? w : 0;
      secondary_untied += sign_secondary != 0 ? w : 0;
    }
  }
  if (primary_untied == 0 || secondary_untied == 0) return std::numeric_limits<double>::quiet_NaN();
  return std::clamp(agreement / std::sqrt(primary_untied) / std::sqrt(secondary_untied), -1.0, 1.0);
}

}  // namespace

double weighted_kendall_tau(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    throw std::invalid_argument("weighted_kendall_tau: " + std::to_string(x.size()) + " values against " +
                                std::to_string(y.size()));
  }
  if (x.size() < 2) throw std::invalid_argument("weighted_kendall_tau: needs at least 2 values");
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      throw std::invalid_argument("weighted_kendall_tau: value " + std::to_string(i) + " is NaN or infinite");
    }
  }
  return (ranked_tau(x, y) + ranked_tau(y, x)) / 2;
}

}  // namespace xferval
