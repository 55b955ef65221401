// Distances, categorical tests, histograms and multiple-testing corrections for two-sample drift.
#include "xferval/stats/two_sample.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "xferval/stats/distributions.hpp"

namespace xferval {

namespace {

[[noreturn]] void fail(const char* function, const std::string& message) {
  throw std::invalid_argument(std::string(function) + ": " + message);
}

void require_finite_sample(std::span<const double> values, const char* function, const char* which) {
  if (values.empty()) fail(function, std::string(which) + " sample is empty");
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail(function, std::string(which) + " sample has a non-finite value (" + std::to_string(values[i]) +
                         ") at index " + std::to_string(i));
    }
  }
}

// Validates a vector of non-negative weights (counts or probabilities) and returns its sum.
double require_weights(std::span<const double> weights, const char* function, const char* which) {
  if (weights.empty()) fail(function, std::string(which) + " is empty");
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0) {
      fail(function, std::string(which) + " has an invalid entry (" + std::to_string(weights[i]) +
                         ") at index " + std::to_string(i) + "; entries must be finite and >= 0");
    }
    total += weights[i];
  }
  if (!(total > 0)) fail(function, std::string(which) + " sums to 0");
  return total;
}

void require_same_length(std::span<const double> a, std::span<const double> b, const char* function) {
  if (a.size() != b.size()) {
    fail(function, "the two vectors differ in length (" + std::to_string(a.size()) + " and " +
                       std::to_string(b.size()) + ")");
  }
}

// SciPy's _cdf_distance for p = 1: the sum over consecutive distinct values v_t < v_{t+1} of the
// merged samples of |F_a(v_t) - F_b(v_t)| (v_{t+1} - v_t), F = cumulative weight / total weight.
template <typename ValueA, typename WeightA, typename ValueB, typename WeightB>
double weighted_cdf_distance(size_t size_a, ValueA value_a, WeightA weight_a, double total_a, size_t size_b,
                             ValueB value_b, WeightB weight_b, double total_b) {
  size_t i = 0;
  size_t j = 0;
  double cumulative_a = 0;
  double cumulative_b = 0;
  // long double: a million terms of mixed size would otherwise lose digits the 1e-9 checks see.
  long double distance = 0;
  while (i < size_a || j < size_b) {
    const double value = j >= size_b   ? value_a(i)
                         : i >= size_a ? value_b(j)
                                       : std::min(value_a(i), value_b(j));
    while (i < size_a && value_a(i) <= value) cumulative_a += weight_a(i++);
    while (j < size_b && value_b(j) <= value) cumulative_b += weight_b(j++);
    if (i == size_a && j == size_b) break;
    const double next = j >= size_b   ? value_a(i)
                        : i >= size_a ? value_b(j)
                                      : std::min(value_a(i), value_b(j));
    distance += static_cast<long double>(std::abs(cumulative_a / total_a - cumulative_b / total_b)) *
                static_cast<long double>(next - value);
  }
  return static_cast<double>(distance);
}

std::vector<double> proportions(std::span<const double> counts, double total) {
  std::vector<double> out(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) out[i] = counts[i] / total;
  return out;
}

}  // namespace

double wasserstein_distance(std::span<const double> a, std::span<const double> b) {
  require_finite_sample(a, "wasserstein_distance", "the first");
  require_finite_sample(b, "wasserstein_distance", "the second");
  const std::vector<double> sa = sorted_copy(a);
  const std::vector<double> sb = sorted_copy(b);
  return weighted_cdf_distance(
      sa.size(), [&](size_t i) { return sa[i]; }, [](size_t) { return 1.0; }, static_cast<double>(sa.size()),
      sb.size(), [&](size_t i) { return sb[i]; }, [](size_t) { return 1.0; }, static_cast<double>(sb.size()));
}

double wasserstein_distance(const KllSketch& a, const KllSketch& b) {
  if (a.empty() || b.empty()) fail("wasserstein_distance", "a sketch is empty");
  const auto items_a = a.weighted_items();
  const auto items_b = b.weighted_items();
  for (const auto* items : {&items_a, &items_b}) {
    if (!std::isfinite(items->front().first) || !std::isfinite(items->back().first)) {
      fail("wasserstein_distance", "a sketch holds an infinite value");
    }
  }
  return weighted_cdf_distance(
      items_a.size(), [&](size_t i) { return items_a[i].first; },
      [&](size_t i) { return static_cast<double>(items_a[i].second); }, static_cast<double>(a.n()),
      items_b.size(), [&](size_t i) { return items_b[i].first; },
      [&](size_t i) { return static_cast<double>(items_b[i].second); }, static_cast<double>(b.n()));
}

TestResult chi2_homogeneity(std::span<const double> counts_a, std::span<const double> counts_b) {
  constexpr const char* kName = "chi2_homogeneity";
  require_same_length(counts_a, counts_b, kName);
  const double total_a = require_weights(counts_a, kName, "the first count vector");
  const double total_b = require_weights(counts_b, kName, "the second count vector");
  const double total = total_a + total_b;
  double statistic = 0;
  size_t categories = 0;
  for (size_t i = 0; i < counts_a.size(); ++i) {
    const double column = counts_a[i] + counts_b[i];
    if (column == 0) continue;  // SciPy rejects an all-zero column; it carries no information
    ++categories;
    const double expected_a = total_a * column / total;
    const double expected_b = total_b * column / total;
    statistic += (counts_a[i] - expected_a) * (counts_a[i] - expected_a) / expected_a;
    statistic += (counts_b[i] - expected_b) * (counts_b[i] - expected_b) / expected_b;
  }
  if (categories <= 1) return {0.0, 1.0};
  return {statistic, dist::chi2_sf(statistic, static_cast<double>(categories - 1))};
}

TestResult z_test_proportions(double successes_a, double n_a, double successes_b, double n_b) {
  constexpr const char* kName = "z_test_proportions";
  for (double value : {successes_a, n_a, successes_b, n_b}) {
    if (!std::isfinite(value)) fail(kName, "arguments must be finite");
  }
  if (!(n_a > 0 && n_b > 0)) fail(kName, "sample sizes must be positive");
  if (successes_a < 0 || successes_a > n_a || successes_b < 0 || successes_b > n_b) {
    fail(kName, "successes must lie in [0, n]");
  }
  const double p_a = successes_a / n_a;
  const double p_b = successes_b / n_b;
  const double pooled = (p_a * n_a + p_b * n_b) / (n_a + n_b);
  const double variance = pooled * (1 - pooled) * (1.0 / n_a + 1.0 / n_b);
  if (!(variance > 0)) return {0.0, 1.0};
  const double z = (p_a - p_b) / std::sqrt(variance);
  return {z, std::min(1.0, 2 * dist::normal_sf(std::abs(z)))};
}

double jensen_shannon_distance(std::span<const double> p, std::span<const double> q) {
  constexpr const char* kName = "jensen_shannon_distance";
  require_same_length(p, q, kName);
  const std::vector<double> pn = proportions(p, require_weights(p, kName, "p"));
  const std::vector<double> qn = proportions(q, require_weights(q, kName, "q"));
  // rel_entr(x, m) = x ln(x / m), 0 when x = 0.
  double divergence = 0;
  for (size_t i = 0; i < pn.size(); ++i) {
    const double m = (pn[i] + qn[i]) / 2.0;
    if (pn[i] > 0) divergence += pn[i] * std::log(pn[i] / m);
    if (qn[i] > 0) divergence += qn[i] * std::log(qn[i] / m);
  }
  return std::sqrt(std::max(divergence, 0.0) / 2.0);
}

double population_stability_index(std::span<const double> reference_counts,
                                  std::span<const double> current_counts) {
  constexpr const char* kName = "population_stability_index";
  require_same_length(reference_counts, current_counts, kName);
  const std::vector<double> p =
      proportions(reference_counts, require_weights(reference_counts, kName, "reference"));
  const std::vector<double> q =
      proportions(current_counts, require_weights(current_counts, kName, "current"));
  // Evidently's rule: an empty bin counts as 0.01% so that the logarithm stays finite.
  constexpr double kEmpty = 1e-4;
  double psi = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double pi = p[i] == 0 ? kEmpty : p[i];
    const double qi = q[i] == 0 ? kEmpty : q[i];
    psi += (pi - qi) * std::log(pi / qi);
  }
  return psi;
}

double hellinger_distance(std::span<const double> reference_counts, std::span<const double> current_counts) {
  constexpr const char* kName = "hellinger_distance";
  require_same_length(reference_counts, current_counts, kName);
  const std::vector<double> p =
      proportions(reference_counts, require_weights(reference_counts, kName, "reference"));
  const std::vector<double> q =
      proportions(current_counts, require_weights(current_counts, kName, "current"));
  double squares = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double difference = std::sqrt(p[i]) - std::sqrt(q[i]);
    squares += difference * difference;
  }
  return std::min(1.0, std::sqrt(squares) / std::sqrt(2.0));
}

std::vector<double> sturges_bin_edges(std::span<const double> a, std::span<const double> b) {
  constexpr const char* kName = "sturges_bin_edges";
  require_finite_sample(a, kName, "the first");
  require_finite_sample(b, kName, "the second");
  double low = a[0];
  double high = a[0];
  for (auto sample : {a, b}) {
    for (double v : sample) {
      low = std::min(low, v);
      high = std::max(high, v);
    }
  }
  // NumPy: width from the data's range; edges from the range widened by 0.5 when it is empty.
  const double count = static_cast<double>(a.size() + b.size());
  const double width = (high - low) / (std::log2(count) + 1.0);
  double first = low;
  double last = high;
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  const size_t bins = width != 0 ? static_cast<size_t>(std::ceil((last - first) / width)) : 1;
  // np.linspace(first, last, bins + 1): i * step + first, the last edge set to last exactly.
  std::vector<double> edges(bins + 1);
  const double step = (last - first) / static_cast<double>(bins);
  for (size_t i = 0; i <= bins; ++i) edges[i] = static_cast<double>(i) * step + first;
  edges[bins] = last;
  return edges;
}

std::vector<double> histogram_counts(std::span<const double> values, std::span<const double> edges) {
  constexpr const char* kName = "histogram_counts";
  if (edges.size() < 2) fail(kName, "need at least two edges");
  for (size_t i = 0; i < edges.size(); ++i) {
    if (std::isnan(edges[i])) fail(kName, "an edge is NaN");
    if (i > 0 && edges[i] < edges[i - 1]) fail(kName, "edges must be non-decreasing");
  }
  std::vector<double> counts(edges.size() - 1, 0.0);
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) fail(kName, "value at index " + std::to_string(i) + " is NaN");
    if (v < edges.front() || v > edges.back()) continue;
    // Bin i holds edges[i] <= v < edges[i+1]; the last bin is closed on the right.
    const size_t bin =
        v == edges.back()
            ? counts.size() - 1
            : static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()) - 1;
    counts[std::min(bin, counts.size() - 1)] += 1;
  }
  return counts;
}

std::vector<double> bonferroni_adjust(std::span<const double> p_values) {
  const double m = static_cast<double>(p_values.size());
  std::vector<double> adjusted(p_values.size());
  for (size_t i = 0; i < p_values.size(); ++i) {
    if (!(p_values[i] >= 0 && p_values[i] <= 1)) {
      fail("bonferroni_adjust", "p-value at index " + std::to_string(i) + " is not in [0, 1]");
    }
    adjusted[i] = std::min(1.0, p_values[i] * m);
  }
  return adjusted;
}

std::vector<double> benjamini_hochberg_adjust(std::span<const double> p_values) {
  const size_t m = p_values.size();
  for (size_t i = 0; i < m; ++i) {
    if (!(p_values[i] >= 0 && p_values[i] <= 1)) {
      fail("benjamini_hochberg_adjust", "p-value at index " + std::to_string(i) + " is not in [0, 1]");
    }
  }
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> adjusted(m);
  double running_min = 1.0;
  for (size_t rank = m; rank >= 1; --rank) {
    const size_t index = order[rank - 1];
    running_min = std::min(running_min, p_values[index] * static_cast<double>(m) / static_cast<double>(rank));
    adjusted[index] = running_min;
  }
  return adjusted;
}

}  // namespace xferval
