#include "validation.hpp"

#include <algorithm>
#include <stdexcept>

namespace xferval::transfer_detail {

void require_finite(const Eigen::MatrixXd& values, const std::string& who, const std::string& what) {
  if (!values.allFinite())
    throw std::invalid_argument(who + ": " + what + " contains a NaN or infinite value");
}

void require_non_empty(const Eigen::MatrixXd& values, const std::string& who, const std::string& what) {
  if (values.rows() == 0 || values.cols() == 0) {
    throw std::invalid_argument(who + ": " + what + " is empty (" + std::to_string(values.rows()) + " x " +
                                std::to_string(values.cols()) + ")");
  }
}

int require_labels(const std::vector<int>& labels, Eigen::Index rows, const std::string& who,
                   int minimum_classes) {
  if (static_cast<Eigen::Index>(labels.size()) != rows) {
    throw std::invalid_argument(who + ": " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(rows) + " samples");
  }
  int classes = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      throw std::invalid_argument(who + ": label " + std::to_string(labels[i]) + " at sample " +
                                  std::to_string(i) + " is out of range (labels must be 0..C-1)");
    }
    classes = std::max(classes, labels[i] + 1);
  }
  if (minimum_classes > 1) {
    std::vector<char> seen(static_cast<size_t>(classes), 0);
    int distinct = 0;
    for (int label : labels)
      distinct += seen[static_cast<size_t>(label)] ? 0 : (seen[static_cast<size_t>(label)] = 1);
    if (distinct < minimum_classes) {
      throw std::invalid_argument(who + ": needs at least " + std::to_string(minimum_classes) +
                                  " distinct classes, got " + std::to_string(distinct));
    }
  }
  return classes;
}

}  // namespace xferval::transfer_detail
