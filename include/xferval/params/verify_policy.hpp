#pragma once
// Thresholds and severities of the checks of `xferval verify` (docs/verify.md), in the format of
// `check`'s policy: a policy.toml overrides any of them.
//
//   [checks."params.relative_change"]
//   threshold = 0.3
//   severity = "error"
//
// Defaults (value, fails when, severity):
//   params.non_finite           NaN + infinite values in a tuned tensor      > 0    error
//   params.frozen_changed       1 when a frozen tensor is not bit-identical  > 0    error
//   params.missing_tensor       base tensors absent from tuned, head aside    > 0    error
//   params.shape_changed        tensors whose shape changed, head aside       > 0    error
//   params.unexpected_tensor    tuned tensors absent from base, head aside    > 0    warn
//   params.dtype_changed        tensors whose dtype changed                   > 0    warn
//   params.head_surgery         head tensors replaced or reshaped             > 0    info
//   params.relative_change      ||W' - W|| / (||W|| + 1e-12), non-head        > 0.5  warn
//   params.alpha_over_trained   power-law alpha of a tuned 2-D weight          < 2    warn
//   params.alpha_under_trained  power-law alpha of a tuned 2-D weight          > 6    warn
//   (alpha: 2-D weights and Conv2D kernels pooled over kernel positions)
//   eval.accuracy               tuned accuracy on the holdout                  < 0    error
//   eval.r2                     tuned R-squared on the holdout (regression)    < 0    warn
//   eval.improvement            tuned minus base accuracy (R-squared)          < 0    warn
//   eval.linear_probe           tuned minus a linear probe's, base embedding   < 0    warn
//   eval.forgetting             source accuracy (R-squared, LogME) drop        > 0.05 warn
//   eval.ood_rate               holdout share above the 95% OOD quantile       > 0.5  warn
//   eval.calibration            expected calibration error, 15 bins            > 0.15 info
#include <string>
#include <vector>

#include "xferval/check/policy.hpp"

namespace xferval::params {

struct VerifyPolicy {
  std::string origin = "built-in defaults";
  std::vector<CheckDefinition> checks;  // in report order

  static VerifyPolicy defaults();
  // The defaults with the overrides of a policy.toml; InputError naming the line and column of a
  // syntax error, an unknown check or setting, or a bad value.
  static VerifyPolicy load(const std::string& path);
  const CheckDefinition& at(const std::string& name) const;
  std::string to_toml() const;
};

}  // namespace xferval::params
