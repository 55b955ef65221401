#pragma once
// `xferval check`: does new data fit the model's metadata? Schema anomalies, univariate drift per
// feature, and multivariate drift (Mahalanobis distances, Hotelling's T-squared, MMD), each judged
// by the policy, gathered in a report whose verdict gates CI.
#include <functional>
#include <optional>
#include <string>

#include "xferval/card/card.hpp"
#include "xferval/check/policy.hpp"
#include "xferval/io/csv.hpp"
#include "xferval/model/torch_model.hpp"
#include "xferval/report/report.hpp"

namespace xferval {

struct CheckOptions {
  std::string data_path;
  std::string format;                // "" detects
  std::optional<std::string> label;  // default: the card's label column when the data has it
  std::string labels_path;
  std::string npz_member;
  std::string source_data_path;  // raw source data for the univariate tests; "" uses the card's sketches
  CsvOptions csv;
  std::string model_path;  // with a model: OOD and transferability in its embedding space
  ModelOptions model;
  Policy policy = Policy::defaults();
  std::function<void(const std::string&)> stage;  // progress: called as each stage starts
};

Report run_check(const Card& card, const std::string& card_path, const CheckOptions& options);

}  // namespace xferval
