#include "check_context.hpp"

#include <cmath>

namespace xferval::check {

CheckResult* Context::add(const std::string& name, const std::string& feature, double value, std::string message,
                          nlohmann::json details) {
  const CheckDefinition& definition = policy.at(name);
  if (!definition.enabled) return nullptr;
  CheckResult result;
  result.name = name;
  result.feature = feature;
  result.metric = definition.metric;
  result.value = value;
  result.threshold = definition.threshold;
  result.fails_when = definition.fails_when;
  result.severity = definition.severity;
  result.outcome = judge(value, definition.threshold, definition.fails_when);
  result.message = std::move(message);
  result.details = std::move(details);
  report.checks.push_back(std::move(result));
  return &report.checks.back();
}

void Context::skip(const std::string& name, const std::string& feature, std::string reason) {
  const CheckDefinition& definition = policy.at(name);
  if (!definition.enabled) return;
  CheckResult result;
  result.name = name;
  result.feature = feature;
  result.metric = definition.metric;
  result.value = std::nan("");
  result.threshold = definition.threshold;
  result.fails_when = definition.fails_when;
  result.severity = definition.severity;
  result.outcome = Outcome::Skipped;
  result.message = std::move(reason);
  report.checks.push_back(std::move(result));
}

}  // namespace xferval::check
