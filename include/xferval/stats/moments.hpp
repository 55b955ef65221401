#pragma once
// Count, mean, sum of squared deviations, min and max of a stream of doubles, mergeable
// exactly (Chan, Golub and LeVeque's pairwise update). Blocks are folded in with a two-pass
// mean/deviation over the block, then merged, which is both fast and accurate.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json_fwd.hpp>

namespace xferval {

class Moments {
 public:
  void add(double value);
  void add_block(const double* values, size_t count);  // every value finite
  void merge(const Moments& other);

  uint64_t count() const { return count_; }
  double mean() const { return mean_; }  // NaN when empty
  double min() const { return min_; }    // +inf when empty
  double max() const { return max_; }    // -inf when empty
  double sum_squared_deviations() const { return m2_; }
  // Variance with the given delta degrees of freedom (1: the unbiased sample variance, as
  // pandas; 0: the population variance, as NumPy's default). NaN when count <= ddof.
  double variance(int ddof) const;
  double stddev(int ddof) const;

  nlohmann::json to_json() const;
  static Moments from_json(const nlohmann::json& state);

 private:
  uint64_t count_ = 0;
  double mean_ = std::numeric_limits<double>::quiet_NaN();
  double m2_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace xferval
