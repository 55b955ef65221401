#include "xferval/params/verify_policy.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "xferval/check/policy_file.hpp"
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
       "the tuned model misses the target accuracy (set a minimum here; 0 never fails)", 0, When::Below,
       S::Error, true},
      {"eval.r2", "tuned R-squared on the holdout (regression)",
       "the tuned regression model predicts worse than the holdout's mean", 0, When::Below, S::Warn, true},
      {"eval.improvement", "tuned minus base accuracy (R-squared for regression) on the holdout",
       "the tuned model is no better than the base", 0, When::Below, S::Warn, true},
      {"eval.linear_probe",
       "tuned accuracy (R-squared) minus a linear probe's on the base embedding, 5-fold CV on the holdout",
       "the tuned model is no better than a linear probe on the base model's frozen embedding", 0,
       When::Below, S::Warn, true},
      {"eval.forgetting",
       "source accuracy drop (R-squared for regression; source LogME drop when the head was replaced)",
       "fine-tuning forgot the source task", 0.05, When::Above, S::Warn, true},
      {"eval.ood_rate", "share of holdout samples above the tuned card's 95% OOD quantile",
       "the holdout is out of the tuned model's distribution", 0.5, When::Above, S::Warn, true},
      {"eval.calibration", "expected calibration error, 15 equal-width bins",
       "the tuned model's confidences are off", 0.15, When::Above, S::Info, true},
  };
}

}  // namespace

VerifyPolicy VerifyPolicy::defaults() {
  VerifyPolicy policy;
  policy.checks = default_checks();
  return policy;
}

const CheckDefinition& VerifyPolicy::at(const std::string& name) const { return find_check(checks, name); }

VerifyPolicy VerifyPolicy::load(const std::string& path) {
  VerifyPolicy policy = defaults();
  policy.origin = path;
  toml::table document = parse_policy_file(path);
  for (const auto& [key, node] : document) {
    if (key != "checks") {
      throw InputError(path, policy_location(node),
                       fmt::format("unknown section '{}'; use [checks.\"NAME\"]", key.str()));
    }
    apply_check_overrides(node, policy.checks, path, "verify");
  }
  return policy;
}

std::string VerifyPolicy::to_toml() const {
  std::string out =
      fmt::format("# xferval verify policy ({}). Copy, edit, and pass with --policy.\n", origin);
  out += checks_to_toml(checks);
  return out;
}

}  // namespace xferval::params
