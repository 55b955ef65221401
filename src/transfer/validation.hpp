#pragma once
// Input checks shared by the transferability scores: each throws std::invalid_argument naming the
// function (`who`) and what is wrong.
#include <Eigen/Core>
#include <string>
#include <vector>

namespace xferval::transfer_detail {

void require_finite(const Eigen::MatrixXd& values, const std::string& who, const std::string& what);
void require_non_empty(const Eigen::MatrixXd& values, const std::string& who, const std::string& what);
// labels.size() == rows, every label >= 0, and (when minimum_classes > 1) at least that many distinct
// labels. Returns the number of classes C = max(label) + 1.
int require_labels(const std::vector<int>& labels, Eigen::Index rows, const std::string& who,
                   int minimum_classes = 2);

}  // namespace xferval::transfer_detail
