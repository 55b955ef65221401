#include "xferval/stats/mmd.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace xferval {
namespace {

// splitmix64: a fully specified generator, so a seed gives the same subsample and permutations with
// every standard library (std::uniform_int_distribution is implementation-defined).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), by rejection so there is no modulo bias.
  uint64_t below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value;
    do value = next();
    while (value >= limit);
    return value % bound;
  }

 private:
  uint64_t state_;
};

// The first count entries of a uniformly random permutation of 0..size-1 (partial Fisher-Yates).
std::vector<Eigen::Index> random_prefix(std::vector<Eigen::Index> indices, size_t count, SplitMix64& rng) {
  for (size_t i = 0; i < count; ++i) {
    const size_t j = i + static_cast<size_t>(rng.below(indices.size() - i));
    std::swap(indices[i], indices[j]);
  }
  indices.resize(count);
  return indices;
}

Eigen::MatrixXd subsample(const Eigen::MatrixXd& rows, size_t limit, SplitMix64& rng, bool& subsampled) {
  if (static_cast<size_t>(rows.rows()) <= limit) return rows;
  subsampled = true;
  std::vector<Eigen::Index> all(static_cast<size_t>(rows.rows()));
  std::iota(all.begin(), all.end(), Eigen::Index{0});
  std::vector<Eigen::Index> chosen = random_prefix(std::move(all), limit, rng);
  std::sort(chosen.begin(), chosen.end());  // keep the original order of the rows kept
  Eigen::MatrixXd out(static_cast<Eigen::Index>(limit), rows.cols());
  for (size_t i = 0; i < chosen.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = rows.row(chosen[i]);
  return out;
}

// Pairwise squared Euclidean distances of the rows, ||a||² + ||b||² - 2 a·b with the product as one GEMM;
// rounding can leave tiny negatives, which are clamped, and the diagonal is exactly 0.
Eigen::MatrixXd pairwise_squared_distances(const Eigen::MatrixXd& rows) {
  const Eigen::VectorXd norms = rows.rowwise().squaredNorm();
  Eigen::MatrixXd distances(rows.rows(), rows.rows());
  distances.setZero();
  distances.selfadjointView<Eigen::Lower>().rankUpdate(rows, -2.0);
  distances = distances.selfadjointView<Eigen::Lower>();
  distances.colwise() += norms;
  distances.rowwise() += norms.transpose();
  distances = distances.cwiseMax(0.0);
  distances.diagonal().setZero();
  return distances;
}

// Alibi Detect's sigma_median with x = y = reference: the element at index n + (n² - n)/2 - 1 of the sorted
// full distance matrix, i.e. the lower median of the n(n-1)/2 distinct off-diagonal pairs.
double median_heuristic_sigma(const Eigen::MatrixXd& reference_distances) {
  const Eigen::Index n = reference_distances.rows();
  std::vector<double> pairs;
  pairs.reserve(static_cast<size_t>(n * (n - 1) / 2));
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = j + 1; i < n; ++i) pairs.push_back(reference_distances(i, j));
  }
  const size_t rank = (pairs.size() - 1) / 2;
  std::nth_element(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(rank), pairs.end());
  return std::sqrt(0.5 * pairs[rank]);
}

// The kernel matrix with a zero diagonal, so sums over index sets exclude i = j by construction.
struct PooledKernel {
  Eigen::MatrixXd kernel;
  Eigen::VectorXd row_sums;
  double total = 0;
};

// Unbiased MMD² for the split where `members` (size k, the smaller side is cheapest) form one sample and the
// rest the other. Only the within-members sum costs O(k²); the other two sums follow from the row sums:
// S_mo = m'r - S_mm, S_oo = T - 2 m'r + S_mm (m the membership indicator, r the row sums, T the total).
double unbiased_mmd2(const PooledKernel& pooled, const std::vector<Eigen::Index>& members,
                     bool members_are_reference, size_t reference_rows, size_t test_rows) {
  double within = 0.0;
  double member_row_sums = 0.0;
  for (size_t a = 0; a < members.size(); ++a) {
    const Eigen::Index i = members[a];
    member_row_sums += pooled.row_sums[i];
    const double* column = pooled.kernel.col(i).data();
    double partial = 0.0;
    for (size_t b = 0; b < a; ++b) partial += column[members[b]];
    within += 2.0 * partial;
  }
  const double cross = member_row_sums - within;
  const double others = pooled.total - 2.0 * member_row_sums + within;
  const double n = static_cast<double>(reference_rows);
  const double m = static_cast<double>(test_rows);
  const double reference_sum = members_are_reference ? within : others;
  const double test_sum = members_are_reference ? others : within;
  return reference_sum / (n * (n - 1.0)) + test_sum / (m * (m - 1.0)) - 2.0 * cross / (n * m);
}

void check_sample(const Eigen::MatrixXd& rows, const char* name) {
  if (rows.rows() < 2) {
    throw std::invalid_argument(std::string("mmd_test: the ") + name + " sample needs at least 2 rows, got " +
                                std::to_string(rows.rows()));
  }
  if (!rows.allFinite()) {
    throw std::invalid_argument(std::string("mmd_test: the ") + name +
                                " sample contains a NaN or infinite value");
  }
}

}  // namespace

MmdResult mmd_test(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& test, const MmdOptions& options) {
  check_sample(reference, "reference");
  check_sample(test, "test");
  if (reference.cols() != test.cols()) {
    throw std::invalid_argument("mmd_test: reference has " + std::to_string(reference.cols()) +
                                " columns, test has " + std::to_string(test.cols()));
  }
  if (options.max_rows_per_sample < 2)
    throw std::invalid_argument("mmd_test: max_rows_per_sample must be >= 2");

  MmdResult result;
  SplitMix64 rng(options.seed);
  const Eigen::MatrixXd x = subsample(reference, options.max_rows_per_sample, rng, result.subsampled);
  const Eigen::MatrixXd y = subsample(test, options.max_rows_per_sample, rng, result.subsampled);
  const size_t n = static_cast<size_t>(x.rows());
  const size_t m = static_cast<size_t>(y.rows());
  result.reference_rows = n;
  result.test_rows = m;

  Eigen::MatrixXd pooled_rows(x.rows() + y.rows(), x.cols());
  pooled_rows << x, y;
  PooledKernel pooled;
  pooled.kernel = pairwise_squared_distances(pooled_rows);
  result.sigma = median_heuristic_sigma(pooled.kernel.topLeftCorner(x.rows(), x.rows()));
  const double bandwidth = result.sigma > 0.0 ? result.sigma : 1.0;
  pooled.kernel = (pooled.kernel * (-0.5 / (bandwidth * bandwidth))).array().exp().matrix();
  pooled.kernel.diagonal().setZero();
  pooled.row_sums = pooled.kernel.rowwise().sum();
  pooled.total = pooled.row_sums.sum();

  // Index the smaller side: the within-sample sum is the only quadratic term.
  const bool members_are_reference = n <= m;
  const size_t member_count = members_are_reference ? n : m;
  std::vector<Eigen::Index> observed(member_count);
  std::iota(observed.begin(), observed.end(),
            members_are_reference ? Eigen::Index{0} : static_cast<Eigen::Index>(n));
  result.mmd2 = unbiased_mmd2(pooled, observed, members_are_reference, n, m);

  // Draw every permutation up front, in order, so the result does not depend on the threading.
  const size_t permutations = options.permutations;
  std::vector<std::vector<Eigen::Index>> draws(permutations);
  std::vector<Eigen::Index> all(n + m);
  std::iota(all.begin(), all.end(), Eigen::Index{0});
  for (auto& draw : draws) draw = random_prefix(all, member_count, rng);
  std::vector<double> statistics(permutations);
  auto evaluate = [&](size_t first, size_t last) {
    for (size_t b = first; b < last; ++b) {
      statistics[b] = unbiased_mmd2(pooled, draws[b], members_are_reference, n, m);
    }
  };
  const double work = static_cast<double>(permutations) * static_cast<double>(member_count * member_count);
  if (permutations >= 2 && work > 1e7) {
    std::thread worker(evaluate, permutations / 2, permutations);
    evaluate(0, permutations / 2);
    worker.join();
  } else {
    evaluate(0, permutations);
  }
  const size_t at_least_as_large = static_cast<size_t>(std::count_if(
      statistics.begin(), statistics.end(), [&](double value) { return value >= result.mmd2; }));
  result.permutations = permutations;
  result.p_value = static_cast<double>(1 + at_least_as_large) / static_cast<double>(permutations + 1);
  return result;
}

}  // namespace xferval
