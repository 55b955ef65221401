#include "xferval/stats/covariance.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "stats/base64.hpp"
#include "stats/gram_kernel.hpp"

namespace xferval {

namespace {
constexpr const char* kName = "CovarianceAccumulator";
}  // namespace

CovarianceAccumulator::CovarianceAccumulator(size_t dimensions)
    : mean_(Eigen::VectorXd::Zero(static_cast<Eigen::Index>(dimensions))),
      comoments_(Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(dimensions),
                                       static_cast<Eigen::Index>(dimensions))) {}

void CovarianceAccumulator::add_rows(const double* rows, size_t count) {
  if (count == 0) return;
  const auto d = static_cast<Eigen::Index>(dimensions());
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::MatrixXd by_column =
      Eigen::Map<const RowMajorMatrix>(rows, static_cast<Eigen::Index>(count), d);
  std::vector<const double*> columns(static_cast<size_t>(d));
  for (Eigen::Index j = 0; j < d; ++j) columns[static_cast<size_t>(j)] = by_column.col(j).data();
  add_columns(columns, count);
}

void CovarianceAccumulator::add_columns(const std::vector<const double*>& columns, size_t count) {
  if (count == 0) return;
  const auto d = static_cast<Eigen::Index>(dimensions());
  if (static_cast<Eigen::Index>(columns.size()) != d) {
    throw std::invalid_argument("CovarianceAccumulator::add_columns: " + std::to_string(columns.size()) +
                                " columns for " + std::to_string(d) + " dimensions");
  }
  const auto n = static_cast<Eigen::Index>(count);
  // Centre the block on its own mean (corrected two-pass: the residual mean of the centred
  // block is folded back in), then its co-moments are one symmetric rank-n update.
  CovarianceAccumulator part;
  part.count_ = count;
  part.mean_.resize(d);
  centred_.resize(n, d);
  Eigen::VectorXd residual(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const Eigen::Map<const Eigen::VectorXd> column(columns[static_cast<size_t>(j)], n);
    part.mean_[j] = column.mean();
    centred_.col(j) = column.array() - part.mean_[j];
    residual[j] = centred_.col(j).mean();
  }
  part.comoments_ = Eigen::MatrixXd::Zero(d, d);
  if (detail::gram_kernel_available()) {
    detail::add_lower_gram(centred_.data(), count, static_cast<size_t>(d), part.comoments_.data());
  } else {
    part.comoments_.selfadjointView<Eigen::Lower>().rankUpdate(centred_.transpose());
  }
  part.comoments_.triangularView<Eigen::StrictlyUpper>() = part.comoments_.transpose();
  part.comoments_.noalias() -= static_cast<double>(count) * residual * residual.transpose();
  part.mean_ += residual;
  merge(part);
}

void CovarianceAccumulator::merge(const CovarianceAccumulator& other) {
  if (other.count_ == 0) {
    if (count_ == 0 && mean_.size() == 0) *this = other;
    return;
  }
  if (count_ == 0 && (mean_.size() == 0 || mean_.size() == other.mean_.size())) {
    *this = other;
    return;
  }
  if (other.mean_.size() != mean_.size()) {
    throw std::invalid_argument("CovarianceAccumulator::merge: dimensions differ (" +
                                std::to_string(mean_.size()) + " and " + std::to_string(other.mean_.size()) +
                                ")");
  }
  const double na = static_cast<double>(count_);
  const double nb = static_cast<double>(other.count_);
  const double n = na + nb;
  const Eigen::VectorXd delta = other.mean_ - mean_;
  comoments_ += other.comoments_;
  comoments_.noalias() += (na * nb / n) * delta * delta.transpose();
  mean_ += (nb / n) * delta;
  count_ += other.count_;
}

Eigen::MatrixXd CovarianceAccumulator::covariance(int ddof) const {
  const Eigen::Index d = mean_.size();
  if (static_cast<double>(count_) <= static_cast<double>(ddof)) {
    return Eigen::MatrixXd::Constant(d, d, std::numeric_limits<double>::quiet_NaN());
  }
  return comoments_ / (static_cast<double>(count_) - static_cast<double>(ddof));
}

nlohmann::json CovarianceAccumulator::to_json() const {
  nlohmann::json mean = nlohmann::json::array();
  for (Eigen::Index i = 0; i < mean_.size(); ++i) mean.push_back(detail::encode_double(mean_[i]));
  nlohmann::json matrix = nlohmann::json::array();
  for (Eigen::Index i = 0; i < comoments_.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index j = 0; j < comoments_.cols(); ++j)
      row.push_back(detail::encode_double(comoments_(i, j)));
    matrix.push_back(std::move(row));
  }
  return {{"dimensions", mean_.size()},
          {"count", count_},
          {"mean", std::move(mean)},
          {"comoments", std::move(matrix)}};
}

CovarianceAccumulator CovarianceAccumulator::from_json(const nlohmann::json& state) {
  const uint64_t dims = detail::decode_count(detail::member(state, "dimensions", kName),
                                             "CovarianceAccumulator state: dimensions");
  if (dims > (uint64_t{1} << 20))
    throw std::invalid_argument("CovarianceAccumulator state: dimensions too large");
  const auto d = static_cast<Eigen::Index>(dims);
  CovarianceAccumulator out(static_cast<size_t>(dims));
  out.count_ =
      detail::decode_count(detail::member(state, "count", kName), "CovarianceAccumulator state: count");
  const nlohmann::json& mean = detail::member(state, "mean", kName);
  if (!mean.is_array() || static_cast<Eigen::Index>(mean.size()) != d) {
    throw std::invalid_argument("CovarianceAccumulator state: mean must be an array of " + std::to_string(d) +
                                " numbers");
  }
  for (Eigen::Index i = 0; i < d; ++i) {
    out.mean_[i] = detail::decode_double(mean[static_cast<size_t>(i)], "CovarianceAccumulator state: mean");
  }
  const nlohmann::json& matrix = detail::member(state, "comoments", kName);
  if (!matrix.is_array() || static_cast<Eigen::Index>(matrix.size()) != d) {
    throw std::invalid_argument("CovarianceAccumulator state: comoments must be a " + std::to_string(d) +
                                " x " + std::to_string(d) + " array of rows");
  }
  for (Eigen::Index i = 0; i < d; ++i) {
    const nlohmann::json& row = matrix[static_cast<size_t>(i)];
    if (!row.is_array() || static_cast<Eigen::Index>(row.size()) != d) {
      throw std::invalid_argument("CovarianceAccumulator state: comoments row " + std::to_string(i) +
                                  " must have " + std::to_string(d) + " numbers");
    }
    for (Eigen::Index j = 0; j < d; ++j) {
      out.comoments_(i, j) =
          detail::decode_double(row[static_cast<size_t>(j)], "CovarianceAccumulator state: comoments");
    }
  }
  for (Eigen::Index i = 0; i < d; ++i) {
    if (out.comoments_(i, i) < 0.0) {
      throw std::invalid_argument("CovarianceAccumulator state: negative diagonal co-moment");
    }
  }
  return out;
}

}  // namespace xferval
