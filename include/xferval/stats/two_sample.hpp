#pragma once
// Univariate two-sample drift statistics: does the current sample of one feature come from the
// same distribution as the reference sample? Each function names the Python reference it
// reproduces; those references are what the tests compare against.
//
// Inputs are finite values. An empty sample, a NaN or an infinity (where a statistic needs finite
// values) throws std::invalid_argument naming the function and the problem.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "xferval/stats/kll.hpp"

namespace xferval {

struct TestResult {
  double statistic = 0;
  double p_value = 1;
};

// ---- Kolmogorov-Smirnov -------------------------------------------------------------------------

// scipy.stats.ks_2samp(a, b) with its defaults (SciPy 1.10): alternative='two-sided',
// method='auto'. statistic = max_x |F_a(x) - F_b(x)| over the empirical CDFs. The p-value is exact
// when max(n_a, n_b) <= 10000 (Hodges' lattice-path counts; the statistic is then reported as
// round(D lcm(n_a, n_b)) / lcm, as SciPy does), else asymptotic: kstwo.sf(D, round(n_a n_b /
// (n_a + n_b))). When the exact computation fails numerically SciPy falls back to the asymptotic
// formula, and so does this. Values in any order (copied and sorted inside).
TestResult ks_2samp(std::span<const double> a, std::span<const double> b);
// The same for samples already sorted ascending (not checked beyond the NaN check), so that a
// caller testing many features against one reference sorts each column once.
TestResult ks_2samp_sorted(std::span<const double> sorted_a, std::span<const double> sorted_b);
// The p-value ks_2samp reports for statistic d between samples of sizes n_a and n_b (d in [0, 1]).
double ks_2samp_p_value(double d, uint64_t n_a, uint64_t n_b);

// Sorts a copy of values ascending (a radix sort for large inputs: this is the cost that
// dominates a KS test). Throws on NaN.
std::vector<double> sorted_copy(std::span<const double> values);

// KS between two KLL sketches, or a sketch and a sorted sample: statistic D = max |F_a(x) - F_b(x)|
// over the retained items (each item weighted, F = cumulative weight / n). error_bound =
// a.normalized_rank_error() + b.normalized_rank_error() (0 for an exact sketch and for a sample);
// p_value = ks_2samp_p_value(max(D - error_bound, 0), n_a, n_b), the DataSketches
// kolmogorov_smirnov approach of widening by both rank-error bounds, so that the p-value is
// conservative (too large rather than too small). Empty sketches throw.
struct SketchKsResult {
  double statistic = 0;
  double error_bound = 0;
  double p_value = 1;
};
SketchKsResult ks_from_sketches(const KllSketch& a, const KllSketch& b);
SketchKsResult ks_sketch_vs_sample(const KllSketch& a, std::span<const double> sorted_b);

// ---- Distances between samples ------------------------------------------------------------------

// scipy.stats.wasserstein_distance(a, b), unweighted: the integral of |F_a(x) - F_b(x)| dx
// (earth mover's distance in the units of the values).
double wasserstein_distance(std::span<const double> a, std::span<const double> b);
// The same between two sketches' weighted retained items (exact when both sketches are exact).
double wasserstein_distance(const KllSketch& a, const KllSketch& b);

// ---- Categorical and binned tests ---------------------------------------------------------------

// Homogeneity of two count vectors over the same k categories (a 2 x k table):
// scipy.stats.chi2_contingency([a, b], correction=False). Categories that are zero in both are
// dropped first (SciPy refuses them); with k' categories left, dof = k' - 1, and k' = 1 gives
// statistic 0 and p-value 1. Counts must be finite and >= 0 (not necessarily integers), the
// vectors the same length, and each row sum positive.
TestResult chi2_homogeneity(std::span<const double> counts_a, std::span<const double> counts_b);

// Two-proportion Z-test with pooled proportion, two-sided, as Evidently's z_stat_test:
// z = (p_a - p_b) / sqrt(P (1 - P) (1/n_a + 1/n_b)), P = (s_a + s_b) / (n_a + n_b),
// p_value = 2 P(Z > |z|) (Evidently writes 2 (1 - Phi(|z|)), identical but for rounding in the far
// tail). When P is 0 or 1 (both samples constant and equal) the result is statistic 0, p-value 1,
// as Evidently special-cases it. Requires n > 0 and 0 <= s <= n.
TestResult z_test_proportions(double successes_a, double n_a, double successes_b, double n_b);

// scipy.spatial.distance.jensenshannon(p, q): p and q (non-negative weights, same length) are
// normalised to sum 1, m = (p + q) / 2, and the result is sqrt((KL(p||m) + KL(q||m)) / 2) with
// natural logarithms, so it lies in [0, sqrt(ln 2)].
double jensen_shannon_distance(std::span<const double> p, std::span<const double> q);

// Population stability index sum_i (p_i - q_i) ln(p_i / q_i) over proportions p = reference
// counts / their sum and q = current counts / their sum, with Evidently's empty-bin rule: a
// proportion of exactly 0 is replaced by 1e-4 (without renormalising).
double population_stability_index(std::span<const double> reference_counts,
                                  std::span<const double> current_counts);

// Hellinger distance between the proportions p (reference) and q (current), as Evidently's
// hellinger_distance: sqrt(sum_i (sqrt(p_i) - sqrt(q_i))^2) / sqrt(2), which equals
// sqrt(1 - sum_i sqrt(p_i q_i)) for proportions summing to 1 but keeps its precision near 0.
// In [0, 1]; no empty-bin replacement.
double hellinger_distance(std::span<const double> reference_counts, std::span<const double> current_counts);

// np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges"): ceil(range / width) equal
// bins with width = range / (log2(n_a + n_b) + 1), edges by np.linspace; a zero range becomes
// [v - 0.5, v + 0.5] with one bin.
std::vector<double> sturges_bin_edges(std::span<const double> a, std::span<const double> b);
// np.histogram(values, edges)[0]: bin i counts edges[i] <= v < edges[i+1], the last bin also
// v == edges.back(); values outside the edges are not counted. Edges must be non-decreasing,
// at least two.
std::vector<double> histogram_counts(std::span<const double> values, std::span<const double> edges);

// ---- Multiple testing ---------------------------------------------------------------------------

// Bonferroni: min(1, p m) for m p-values.
std::vector<double> bonferroni_adjust(std::span<const double> p_values);
// Benjamini-Hochberg step-up adjusted p-values (scipy.stats.false_discovery_control(p,
// method='bh'), SciPy >= 1.11): with p_(1) <= ... <= p_(m), adjusted p_(i) =
// min(1, min_{j >= i} p_(j) m / j), returned in the input order. p-values must be in [0, 1].
std::vector<double> benjamini_hochberg_adjust(std::span<const double> p_values);

}  // namespace xferval
