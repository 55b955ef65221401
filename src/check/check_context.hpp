#pragma once
// What every check stage reads (the card, the target data and its profile, the policy) and the
// report they add results to.
#include <optional>
#include <string>

#include "xferval/card/card.hpp"
#include "xferval/check/policy.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/profile/table_loader.hpp"
#include "xferval/report/report.hpp"

namespace xferval::check {

struct Context {
  const Card& card;
  const Policy& policy;
  const Table* target = nullptr;  // tabular targets
  Profile target_profile;
  const Table* source = nullptr;  // raw source data when given
  Report& report;

  // Adds a result judged by the policy's definition of `name`; nothing when it is disabled.
  CheckResult* add(const std::string& name, const std::string& feature, double value, std::string message,
                   nlohmann::json details = nlohmann::json::object());
  // Adds a result that could not be computed, with the reason.
  void skip(const std::string& name, const std::string& feature, std::string reason);
  bool enabled(const std::string& name) const { return policy.at(name).enabled; }
};

void check_schema(Context& context);
// Returns the names of the features that drifted.
void check_univariate_drift(Context& context);
void check_multivariate(Context& context);
// Out-of-distribution and transferability checks on the model's outputs for the target.
void check_embedding(Context& context, const EmbeddingReference& reference, const ModelOutputs& outputs,
                     const std::vector<std::string>& labels);

}  // namespace xferval::check
