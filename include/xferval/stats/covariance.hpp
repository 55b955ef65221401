#pragma once
// Mean vector and co-moment matrix of d-dimensional rows, mergeable exactly (the pairwise
// update of Chan et al. generalised to matrices). Rows arrive in blocks, row-major or as one
// array per column; each block is centred on its own mean and its co-moments computed with one
// matrix product.
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace xferval {

class CovarianceAccumulator {
 public:
  CovarianceAccumulator() = default;
  explicit CovarianceAccumulator(size_t dimensions);

  // rows: count x dimensions, row-major, every value finite.
  void add_rows(const double* rows, size_t count);
  // columns[j]: the count values of dimension j (a table's column, read in place), every value
  // finite.
  void add_columns(const std::vector<const double*>& columns, size_t count);
  void merge(const CovarianceAccumulator& other);  // dimensions must match

  size_t dimensions() const { return static_cast<size_t>(mean_.size()); }
  uint64_t count() const { return count_; }
  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::MatrixXd& comoments() const { return comoments_; }  // sum of outer products of deviations
  // Covariance with delta degrees of freedom ddof (1 as pandas' DataFrame.cov and np.cov).
  Eigen::MatrixXd covariance(int ddof) const;

  nlohmann::json to_json() const;
  static CovarianceAccumulator from_json(const nlohmann::json& state);

 private:
  uint64_t count_ = 0;
  Eigen::VectorXd mean_;
  Eigen::MatrixXd comoments_;
  Eigen::MatrixXd centred_;  // the block being added, centred (kept to avoid reallocations)
};

}  // namespace xferval
