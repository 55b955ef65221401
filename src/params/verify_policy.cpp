#include "xferval/params/verify_policy.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "xferval/core/error.hpp"
#include "xferval/params/spectrum.hpp"

namespace xferval::params {

namespace {

using When = FailsWhen;
using S = Severity;

std::vector<CheckDefinition> default_checks() {
  return {
      {"params.non_finite", "NaN and infinite values in the tuned tensor",
       "the tuned tensor holds NaN or infinity", 0, When::Above, S::Error, true},
      {"params.frozen_changed", "1 when the tensor is not bit-identical to base",
       "a tensor declared frozen (--frozen) changed", 0, When::Above, S::Error, true},
      {"params.missing_tensor", "base tensors absent from tuned, head aside",
       "tuned lost tensors of the base", 0, When::Above, S::Error, true},
      {"params.shape_changed", "tensors whose shape changed, head aside",
       "a tensor outside the head changed shape", 0, When::Above, S::Error, true},
      {"params.unexpected_tensor", "tuned tensors absent from base, head aside",
       "tuned has tensors the base lacks", 0, When::Above, S::Warn, true},
      {"params.dtype_changed", "tensors whose dtype changed", "a tensor was stored in another dtype", 0,
       When::Above, S::Warn, true},
      {"params.head_surgery", "head tensors replaced or reshaped",
       "the head was replaced (expected when the label "
       "set changed)",
       0, When::Above, S::Info, true},
      {"params.relative_change", "||W' - W|| / (||W|| + 1e-12)",
       "a layer outside the head moved far from the base (r near 1 means re-initialised)", 0.5, When::Above,
       S::Warn, true},
      {"params.alpha_over_trained", "power-law alpha of W^T W (fast WW fit)",
       "WeightWatcher's over-trained warning (alpha < 2)", kOverTrainedAlpha, When::Below, S::Warn, true},
      {"params.alpha_under_trained", "power-law alpha of W^T W (fast WW fit)",
       "WeightWatcher's under-trained warning (alpha > 6)", kUnderTrainedAlpha, When::Above, S::Warn, true},
      {"eval.accuracy", "tuned accuracy on the holdout",
       "the tuned model misses the target accuracy (set a minimum here; 0 never fails)", 0, When::Below, S::Error,
       true},
      {"eval.improvement", "tuned minus base accuracy on the holdout", "the tuned model is no better than the base",
       0, When::Below, S::Warn, true},
      {"eval.forgetting", "source accuracy drop (or source LogME drop when the head was replaced)",
       "fine-tuning forgot the source task", 0.05, When::Above, S::Warn, true},
      {"eval.ood_rate", "share of holdout samples above the tuned card's 95% OOD quantile",
       "the holdout is out of the tuned model's distribution", 0.5, When::Above, S::Warn, true},
      {"eval.calibration", "expected calibration error, 15 equal-width bins",
       "the tuned model's confidences are off", 0.15, When::Above, S::Info, true},
  };
}

std::string where(const toml::source_region& region) {
  return fmt::format("line {}, column {}", region.begin.line, region.begin.column);
}

}  // namespace

VerifyPolicy VerifyPolicy::defaults() {
  VerifyPolicy policy;
  policy.checks = default_checks();
  return policy;
}

const CheckDefinition& VerifyPolicy::at(const std::string& name) const {
  auto found =
      std::find_if(checks.begin(), checks.end(), [&](const CheckDefinition& c) { return c.name == name; });
  if (found == checks.end()) throw std::logic_error("no verify check named " + name);
  return *found;
}

VerifyPolicy VerifyPolicy::load(const std::string& path) {
  VerifyPolicy policy = defaults();
  policy.origin = path;
  toml::table document;
  try {
    document = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    if (error.source().begin.line == 0) {
      throw InputError(path, "", fmt::format("cannot read the policy: {}", error.description()));
    }
    throw InputError(path, where(error.source()), fmt::format("not valid TOML: {}", error.description()));
  }
  for (const auto& [key, node] : document) {
    if (key != "checks") {
      throw InputError(path, where(node.source()),
                       fmt::format("unknown section '{}'; use [checks.\"NAME\"]", key.str()));
    }
    const toml::table* checks = node.as_table();
    if (!checks) throw InputError(path, where(node.source()), "[checks] must be a table");
    for (const auto& [name, entry] : *checks) {
      const std::string check_name(name.str());
      auto found = std::find_if(policy.checks.begin(), policy.checks.end(),
                                [&](const CheckDefinition& c) { return c.name == check_name; });
      if (found == policy.checks.end()) {
        throw InputError(path, where(entry.source()),
                         fmt::format("unknown check '{}'; see 'xferval verify --print-policy'", check_name));
      }
      const toml::table* settings = entry.as_table();
      if (!settings) {
        throw InputError(path, where(entry.source()),
                         fmt::format("[checks.\"{}\"] must be a table", check_name));
      }
      for (const auto& [field_key, value] : *settings) {
        const std::string field(field_key.str());
        if (field == "threshold") {
          auto number = value.value<double>();
          if (!number || !std::isfinite(*number)) {
            throw InputError(path, where(value.source()), "threshold must be a number");
          }
          found->threshold = *number;
        } else if (field == "severity") {
          auto text = value.value<std::string>();
          auto severity = text ? severity_from_string(*text) : std::nullopt;
          if (!severity) {
            throw InputError(path, where(value.source()), "severity must be \"error\", \"warn\" or \"info\"");
          }
          found->severity = *severity;
        } else if (field == "enabled") {
          auto flag = value.value<bool>();
          if (!flag) throw InputError(path, where(value.source()), "enabled must be true or false");
          found->enabled = *flag;
        } else {
          throw InputError(
              path, where(value.source()),
              fmt::format("unknown setting '{}' for check '{}'; use threshold, severity or enabled", field,
                          check_name));
        }
      }
    }
  }
  return policy;
}

std::string VerifyPolicy::to_toml() const {
  std::string out =
      fmt::format("# xferval verify policy ({}). Copy, edit, and pass with --policy.\n", origin);
  for (const CheckDefinition& check : checks) {
    out += fmt::format(
        "\n# {}.\n# value: {}; fails when value {} threshold\n[checks.\"{}\"]\nthreshold = {}\nseverity = "
        "\"{}\"\nenabled = {}\n",
        check.description, check.metric, to_string(check.fails_when), check.name, check.threshold,
        to_string(check.severity), check.enabled ? "true" : "false");
  }
  return out;
}

}  // namespace xferval::params
