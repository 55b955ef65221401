#pragma once
// KLL quantile sketch (Karnin, Lang and Liberty 2016) over doubles, as in Apache DataSketches:
// compactors of geometrically shrinking capacity, random halving with a seeded generator (so a
// given input order always gives the same sketch), mergeable. Exact while n <= k.
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace xferval {

class KllSketch {
 public:
  // k = 400 keeps the normalized rank error under 1% with 99% confidence.
  static constexpr uint32_t kDefaultK = 400;
  explicit KllSketch(uint32_t k = kDefaultK, uint64_t seed = 0x6b6c6c);

  void update(double value);  // NaN is ignored; +-inf are values
  void update_block(const double* values, size_t count);
  void merge(const KllSketch& other);  // k must match

  uint64_t n() const { return n_; }
  uint32_t k() const { return k_; }
  bool empty() const { return n_ == 0; }
  bool exact() const;  // no compaction has happened: every value is retained
  double min() const;
  double max() const;
  // The smallest retained value whose normalised rank is >= q, q in [0, 1]; q = 0 gives min,
  // q = 1 gives max. NaN when empty.
  double quantile(double q) const;
  // Estimated fraction of values <= x.
  double rank(double x) const;
  // Bound on |estimated rank - true rank| (as a fraction of n) at 99% confidence for this k;
  // 0 when exact().
  double normalized_rank_error() const;
  static double normalized_rank_error_for(uint32_t k);
  size_t retained() const;

  nlohmann::json to_json() const;
  static KllSketch from_json(const nlohmann::json& state);

 private:
  void compress();
  uint32_t level_capacity(size_t level) const;

  uint32_t k_;
  uint64_t seed_;
  uint64_t rng_state_;
  uint64_t n_ = 0;
  double min_;
  double max_;
  std::vector<std::vector<double>> levels_;  // levels_[h] items of weight 2^h
};

}  // namespace xferval
