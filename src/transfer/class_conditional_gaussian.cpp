#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "validation.hpp"
#include "xferval/transfer/ood.hpp"

namespace xferval {
namespace {

constexpr const char* kFormat = "xferval.class_conditional_gaussian/1";

// Same rule as MahalanobisScorer and scipy.linalg.pinvh: eigenvalues <= p * eps * max|eigenvalue| are null.
ClassConditionalGaussian::Whitener make_whitener(const Eigen::MatrixXd& covariance,
                                                 bool force_pseudo_inverse) {
  const Eigen::Index p = covariance.rows();
  const double epsilon = std::numeric_limits<double>::epsilon();
  ClassConditionalGaussian::Whitener whitener;
  if (!force_pseudo_inverse) {
    Eigen::LLT<Eigen::MatrixXd> llt(covariance);
    if (llt.info() == Eigen::Success) {
      Eigen::MatrixXd lower = llt.matrixL();
      const double largest = covariance.diagonal().cwiseAbs().maxCoeff();
      // A pivot at rounding level means numerically singular: distances would be noise there.
      if ((lower.diagonal().array().square() > static_cast<double>(p) * epsilon * largest).all()) {
        whitener.cholesky_lower = std::move(lower);
        return whitener;
      }
    }
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  const Eigen::VectorXd& values = solver.eigenvalues();
  const double cutoff = static_cast<double>(p) * epsilon * values.cwiseAbs().maxCoeff();
  Eigen::Index kept = 0;
  for (Eigen::Index i = 0; i < p; ++i) kept += values(i) > cutoff;
  whitener.pinv_root.resize(kept, p);
  Eigen::Index row = 0;
  for (Eigen::Index i = 0; i < p; ++i) {
    if (values(i) > cutoff)
      whitener.pinv_root.row(row++) = solver.eigenvectors().col(i).transpose() / std::sqrt(values(i));
  }
  return whitener;
}

Eigen::MatrixXd matrix_from_json(const nlohmann::json& rows, Eigen::Index expected_rows,
                                 Eigen::Index expected_cols, const std::string& name) {
  if (!rows.is_array() || static_cast<Eigen::Index>(rows.size()) != expected_rows) {
    throw std::invalid_argument("ClassConditionalGaussian::from_json: \"" + name + "\" must have " +
                                std::to_string(expected_rows) + " rows");
  }
  Eigen::MatrixXd out(expected_rows, expected_cols);
  for (Eigen::Index i = 0; i < expected_rows; ++i) {
    const auto row = rows[static_cast<size_t>(i)].get<std::vector<double>>();
    if (static_cast<Eigen::Index>(row.size()) != expected_cols) {
      throw std::invalid_argument("ClassConditionalGaussian::from_json: row " + std::to_string(i) + " of \"" +
                                  name + "\" has " + std::to_string(row.size()) + " values, expected " +
                                  std::to_string(expected_cols));
    }
    for (Eigen::Index j = 0; j < expected_cols; ++j) out(i, j) = row[static_cast<size_t>(j)];
  }
  transfer_detail::require_finite(out, "ClassConditionalGaussian::from_json", "\"" + name + "\"");
  return out;
}

nlohmann::json matrix_to_json(const Eigen::MatrixXd& matrix) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
    std::vector<double> row(static_cast<size_t>(matrix.cols()));
    for (Eigen::Index j = 0; j < matrix.cols(); ++j) row[static_cast<size_t>(j)] = matrix(i, j);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Eigen::MatrixXd ClassConditionalGaussian::Whitener::whiten(const Eigen::MatrixXd& columns) const {
  if (cholesky_lower.size() > 0) return cholesky_lower.triangularView<Eigen::Lower>().solve(columns);
  return pinv_root * columns;
}

ClassConditionalGaussian ClassConditionalGaussian::fit(const Eigen::MatrixXd& embeddings,
                                                       const std::vector<int>& labels,
                                                       ShrinkageMethod method) {
  const std::string who = "ClassConditionalGaussian::fit";
  transfer_detail::require_non_empty(embeddings, who, "embeddings");
  transfer_detail::require_finite(embeddings, who, "embeddings");
  if (embeddings.rows() < 2) throw std::invalid_argument(who + ": needs at least 2 samples");
  const int classes = transfer_detail::require_labels(labels, embeddings.rows(), who, 1);
  ClassConditionalGaussian model;
  model.method_ = method;
  model.class_counts_.assign(static_cast<size_t>(classes), 0);
  model.means_ = Eigen::MatrixXd::Zero(classes, embeddings.cols());
  for (Eigen::Index i = 0; i < embeddings.rows(); ++i) {
    model.means_.row(labels[static_cast<size_t>(i)]) += embeddings.row(i);
    ++model.class_counts_[static_cast<size_t>(labels[static_cast<size_t>(i)])];
  }
  for (int c = 0; c < classes; ++c) {
    if (model.class_counts_[static_cast<size_t>(c)] == 0) {
      throw std::invalid_argument(who + ": class " + std::to_string(c) +
                                  " has no samples (labels must be 0..C-1)");
    }
    model.means_.row(c) /= static_cast<double>(model.class_counts_[static_cast<size_t>(c)]);
  }
  Eigen::MatrixXd centred = embeddings;
  for (Eigen::Index i = 0; i < embeddings.rows(); ++i)
    centred.row(i) -= model.means_.row(labels[static_cast<size_t>(i)]);
  // fit_gaussian re-centres (the class-centred mean is 0 up to rounding), as sklearn with
  // assume_centered=False.
  const GaussianFit tied = fit_gaussian(centred);
  model.tied_covariance_ = tied.covariance(method);
  model.shrinkage_ = tied.shrinkage(method);
  const GaussianFit background = fit_gaussian(embeddings);
  model.background_mean_ = background.mean;
  model.background_covariance_ = background.covariance(method);
  model.background_shrinkage_ = background.shrinkage(method);
  model.prepare();
  return model;
}

void ClassConditionalGaussian::prepare() {
  const bool pinv = method_ == ShrinkageMethod::PseudoInverse;
  tied_ = make_whitener(tied_covariance_, pinv);
  background_ = make_whitener(background_covariance_, pinv);
  whitened_means_ = tied_.whiten(means_.transpose());
}

Eigen::MatrixXd ClassConditionalGaussian::class_squared_distances(const Eigen::MatrixXd& embeddings) const {
  if (means_.size() == 0) throw std::invalid_argument("ClassConditionalGaussian: not fitted");
  if (embeddings.cols() != dimensions()) {
    throw std::invalid_argument("ClassConditionalGaussian: embeddings have " +
                                std::to_string(embeddings.cols()) + " dimensions, the fit has " +
                                std::to_string(dimensions()));
  }
  transfer_detail::require_finite(embeddings, "ClassConditionalGaussian::ood_scores", "embeddings");
  // Whiten once (O(N D²)); each class is then a Euclidean distance (O(N D) per class).
  const Eigen::MatrixXd whitened = tied_.whiten(embeddings.transpose());
  Eigen::MatrixXd distances(embeddings.rows(), classes());
  for (Eigen::Index c = 0; c < classes(); ++c) {
    distances.col(c) = (whitened.colwise() - whitened_means_.col(c)).colwise().squaredNorm().transpose();
  }
  return distances;
}

Eigen::VectorXd ClassConditionalGaussian::background_squared_distances(
    const Eigen::MatrixXd& embeddings) const {
  if (embeddings.cols() != dimensions()) {
    throw std::invalid_argument("ClassConditionalGaussian: embeddings have " +
                                std::to_string(embeddings.cols()) + " dimensions, the fit has " +
                                std::to_string(dimensions()));
  }
  const Eigen::MatrixXd centred = (embeddings.rowwise() - background_mean_.transpose()).transpose();
  return background_.whiten(centred).colwise().squaredNorm().transpose();
}

Eigen::VectorXd ClassConditionalGaussian::ood_scores(const Eigen::MatrixXd& embeddings, bool relative) const {
  Eigen::VectorXd scores = class_squared_distances(embeddings).rowwise().minCoeff();
  // min_c [D²_c - D²_0] = min_c D²_c - D²_0: the background term does not depend on the class.
  if (relative) scores -= background_squared_distances(embeddings);
  return scores;
}

nlohmann::json ClassConditionalGaussian::to_json() const {
  return {{"format", kFormat},
          {"shrinkage_method", std::string(to_string(method_))},
          {"shrinkage", shrinkage_},
          {"class_counts", class_counts_},
          {"means", matrix_to_json(means_)},
          {"tied_covariance", matrix_to_json(tied_covariance_)},
          {"background_mean",
           std::vector<double>(background_mean_.data(), background_mean_.data() + background_mean_.size())},
          {"background_covariance", matrix_to_json(background_covariance_)},
          {"background_shrinkage", background_shrinkage_}};
}

ClassConditionalGaussian ClassConditionalGaussian::from_json(const nlohmann::json& state) {
  const std::string who = "ClassConditionalGaussian::from_json";
  if (!state.is_object() || state.value("format", std::string()) != kFormat) {
    throw std::invalid_argument(who + ": not a " + std::string(kFormat) + " object");
  }
  ClassConditionalGaussian model;
  const auto method = shrinkage_method_from_string(state.at("shrinkage_method").get<std::string>());
  if (!method) throw std::invalid_argument(who + ": unknown shrinkage_method");
  model.method_ = *method;
  model.shrinkage_ = state.at("shrinkage").get<double>();
  model.background_shrinkage_ = state.at("background_shrinkage").get<double>();
  model.class_counts_ = state.at("class_counts").get<std::vector<uint64_t>>();
  const auto background_mean = state.at("background_mean").get<std::vector<double>>();
  const Eigen::Index classes = static_cast<Eigen::Index>(model.class_counts_.size());
  const Eigen::Index dimensions = static_cast<Eigen::Index>(background_mean.size());
  if (classes < 1 || dimensions < 1) throw std::invalid_argument(who + ": no classes or no dimensions");
  model.background_mean_ = Eigen::Map<const Eigen::VectorXd>(background_mean.data(), dimensions);
  transfer_detail::require_finite(model.background_mean_, who, "\"background_mean\"");
  model.means_ = matrix_from_json(state.at("means"), classes, dimensions, "means");
  model.tied_covariance_ =
      matrix_from_json(state.at("tied_covariance"), dimensions, dimensions, "tied_covariance");
  model.background_covariance_ =
      matrix_from_json(state.at("background_covariance"), dimensions, dimensions, "background_covariance");
  model.prepare();
  return model;
}

}  // namespace xferval
