#pragma once
// Thresholds and severities of every check (policy.toml). Each check has a name, the metric its
// value measures, a threshold with the direction that fails, a severity and an on/off switch; the
// defaults below are documented in docs/checks.md and printed by `xferval check --print-policy`.
// A policy file overrides any of them:
//
//   [options]
//   correction = "bh"            # bonferroni (default), bh, none
//   shrinkage = "oas"            # ledoit-wolf (default), oas, pinv
//
//   [checks."drift.ks"]
//   threshold = 0.01
//   severity = "error"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "xferval/report/report.hpp"

namespace xferval {

struct CheckDefinition {
  std::string name;
  std::string metric;
  std::string description;
  double threshold = 0.0;
  FailsWhen fails_when = FailsWhen::Above;
  Severity severity = Severity::Warn;
  bool enabled = true;
};

enum class Correction { Bonferroni, BenjaminiHochberg, None };

struct Policy {
  std::string origin = "built-in defaults";
  std::vector<CheckDefinition> checks;  // in report order
  Correction correction = Correction::Bonferroni;
  std::string shrinkage = "ledoit-wolf";
  double distance_quantile = 0.99;       // chi-square quantile for the Mahalanobis exceedance share
  uint64_t large_reference_rows = 1000;  // above: distances instead of p-values (Evidently's rule)
  uint64_t mmd_permutations = 200;
  uint64_t mmd_max_rows = 1000;
  uint64_t seed = 0;
  bool relative_ood = false;  // OOD score: class-conditional Mahalanobis, or relative (Ren et al.)

  static Policy defaults();
  // The defaults with the overrides of a policy.toml; InputError naming the line and column of a
  // syntax error, an unknown check or option, or a bad value.
  static Policy load(const std::string& path);
  const CheckDefinition& at(const std::string& name) const;
  std::string to_toml() const;  // every check and option, as a policy file
};

std::string_view to_string(Correction correction);

}  // namespace xferval
