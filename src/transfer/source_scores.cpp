// LEEP and NCE: transferability from the source model's own head.
#include <cmath>
#include <stdexcept>
#include <string>

#include "validation.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {
namespace {

constexpr double kLogGuard = 1e-20;  // tllib / LogME NCE.py add it inside the log

int check_source_inputs(const Eigen::MatrixXd& probabilities, const std::vector<int>& labels,
                        const std::string& who) {
  transfer_detail::require_non_empty(probabilities, who, "source probabilities");
  transfer_detail::require_finite(probabilities, who, "source probabilities");
  const int classes = transfer_detail::require_labels(labels, probabilities.rows(), who);
  if ((probabilities.array() < 0).any())
    throw std::invalid_argument(who + ": source probabilities must be >= 0");
  for (Eigen::Index i = 0; i < probabilities.rows(); ++i) {
    if (!(probabilities.row(i).sum() > 0)) {
      throw std::invalid_argument(who + ": source probabilities of sample " + std::to_string(i) +
                                  " sum to 0");
    }
  }
  return classes;
}

}  // namespace

double leep(const Eigen::MatrixXd& source_probabilities, const std::vector<int>& labels) {
  const int target_classes = check_source_inputs(source_probabilities, labels, "leep");
  const Eigen::Index n = source_probabilities.rows();
  Eigen::MatrixXd joint = Eigen::MatrixXd::Zero(target_classes, source_probabilities.cols());
  for (Eigen::Index i = 0; i < n; ++i)
    joint.row(labels[static_cast<size_t>(i)]) += source_probabilities.row(i);
  joint /= static_cast<double>(n);
  const Eigen::RowVectorXd source_marginal = joint.colwise().sum();
  Eigen::MatrixXd target_given_source = Eigen::MatrixXd::Zero(target_classes, source_probabilities.cols());
  for (Eigen::Index z = 0; z < joint.cols(); ++z) {
    if (source_marginal(z) > 0) target_given_source.col(z) = joint.col(z) / source_marginal(z);
  }
  double total = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    total +=
        std::log(source_probabilities.row(i).dot(target_given_source.row(labels[static_cast<size_t>(i)])));
  }
  return total / static_cast<double>(n);
}

double nce(const Eigen::MatrixXd& source_probabilities, const std::vector<int>& labels) {
  const int target_classes = check_source_inputs(source_probabilities, labels, "nce");
  const Eigen::Index n = source_probabilities.rows();
  Eigen::MatrixXd joint = Eigen::MatrixXd::Zero(target_classes, source_probabilities.cols());
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::Index predicted = 0;
    for (Eigen::Index z = 1; z < source_probabilities.cols(); ++z) {
      if (source_probabilities(i, z) > source_probabilities(i, predicted)) predicted = z;
    }
    joint(labels[static_cast<size_t>(i)], predicted) += 1.0 / static_cast<double>(n);
  }
  double conditional_entropy = 0;
  for (Eigen::Index z = 0; z < joint.cols(); ++z) {
    const double marginal = joint.col(z).sum();
    if (marginal == 0) continue;
    const Eigen::ArrayXd conditional = joint.col(z).array() / marginal + kLogGuard;
    conditional_entropy += marginal * -(conditional * conditional.log()).sum();
  }
  return -conditional_entropy;
}

Eigen::MatrixXd softmax_rows(const Eigen::MatrixXd& logits) {
  Eigen::MatrixXd out(logits.rows(), logits.cols());
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    Eigen::RowVectorXd row = (logits.row(i).array() - logits.row(i).maxCoeff()).exp();
    out.row(i) = row / row.sum();
  }
  return out;
}

}  // namespace xferval
