#include "xferval/check/policy.hpp"
#include "xferval/check/policy_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <toml++/toml.h>

#include "xferval/core/error.hpp"
#include "xferval/stats/shrinkage.hpp"

namespace xferval {

namespace {

using When = FailsWhen;
using S = Severity;

std::vector<CheckDefinition> default_checks() {
  return {
      {"schema.missing_feature", "1 when a feature of the card is absent", "the data lacks a feature the model takes",
       0, When::Above, S::Error, true},
      {"schema.unexpected_feature", "1 when a column is not in the card", "the data has a column the model ignores", 0,
       When::Above, S::Warn, true},
      {"schema.type_mismatch", "1 when numbers and text disagree", "a numeric feature holds text, or the reverse", 0,
       When::Above, S::Error, true},
      {"schema.out_of_domain", "share of values outside the source domain",
       "categorical values the source never had (its complete domain)", 0.01, When::Above, S::Warn, true},
      {"schema.out_of_range", "share of values outside [source min, source max]",
       "numeric values beyond the source's range", 0.05, When::Above, S::Warn, true},
      {"schema.non_finite", "share of NaN and infinite values", "NaN or infinity in a numeric feature", 0,
       When::Above, S::Warn, true},
      {"schema.missing_rate_change", "|target missing share - source missing share|",
       "the share of missing values moved", 0.05, When::Above, S::Warn, true},
      {"schema.new_labels", "label values not in the card", "labels the source model never saw", 0, When::Above,
       S::Warn, true},
      {"schema.missing_labels", "card labels absent from the data", "source labels the data lacks", 0, When::Above,
       S::Info, true},
      {"schema.tensor_shape", "1 when the sample shape differs", "samples not of the shape the model takes", 0,
       When::Above, S::Error, true},
      {"schema.row_count", "rows in the data", "too few rows for the drift checks to have power", 20, When::Below,
       S::Warn, true},
      {"drift.ks", "two-sample KS p-value, adjusted", "numeric drift, reference <= 1000 rows", 0.05, When::Below,
       S::Warn, true},
      {"drift.chi2", "chi-square homogeneity p-value, adjusted", "categorical drift, reference <= 1000 rows", 0.05,
       When::Below, S::Warn, true},
      {"drift.z", "two-proportion Z-test p-value, adjusted", "binary drift, reference <= 1000 rows", 0.05,
       When::Below, S::Warn, true},
      {"drift.wasserstein", "Wasserstein distance / reference std (ddof 0)", "numeric drift, reference > 1000 rows",
       0.1, When::AtLeast, S::Warn, true},
      {"drift.jensen_shannon", "Jensen-Shannon distance (natural log, square root)",
       "categorical drift, reference > 1000 rows", 0.1, When::AtLeast, S::Warn, true},
      {"drift.psi", "population stability index (ln; empty bins 1e-4)", "on request", 0.1, When::AtLeast, S::Warn,
       false},
      {"drift.hellinger", "Hellinger distance", "on request", 0.1, When::AtLeast, S::Warn, false},
      {"drift.tensor", "Wasserstein distance / std of all image or tensor values",
       "the value distribution of images or tensors moved (inverted, rescaled, noisy)", 0.5, When::AtLeast,
       S::Error, true},
      {"drift.share", "share of drifted features", "dataset drift (Evidently's drift share)", 0.5, When::AtLeast,
       S::Error, true},
      {"multivariate.mahalanobis_ks", "KS p-value, target vs held-out source distances",
       "the distribution of Mahalanobis distances moved", 0.01, When::Below, S::Error, true},
      {"multivariate.mahalanobis_exceedance", "target share above the chi-square quantile minus held-out share",
       "more rows far from the source than expected", 0.1, When::Above, S::Warn, true},
      {"multivariate.hotelling", "Hotelling T-squared F p-value", "the mean moved", 0.01, When::Below, S::Error,
       true},
      {"multivariate.mmd", "MMD permutation p-value (RBF, median heuristic)", "the joint distribution moved", 0.01,
       When::Below, S::Error, true},
      {"ood.rate", "share of samples above the 95% quantile of held-out source OOD scores",
       "samples out of the model's source distribution (class-conditional Mahalanobis, embedding space)", 0.5,
       When::Above, S::Warn, true},
      {"ood.ks", "KS p-value, target vs held-out source OOD scores", "the embedding distribution moved", 0.01,
       When::Below, S::Warn, true},
      {"transfer.logme", "LogME minus its permuted-label control", "the embedding carries no label information",
       0, When::Below, S::Info, true},
      {"transfer.leep", "LEEP minus its permuted-label control", "the source head carries no label information", 0,
       When::Below, S::Info, true},
      {"transfer.nce", "NCE minus its permuted-label control", "the source head carries no label information", 0,
       When::Below, S::Info, true},
      {"transfer.h_score", "shrinkage H-score minus its permuted-label control",
       "the embedding carries no label information", 0, When::Below, S::Info, true},
  };
}

std::optional<Correction> correction_from_string(std::string_view text) {
  if (text == "bonferroni") return Correction::Bonferroni;
  if (text == "bh" || text == "fdr") return Correction::BenjaminiHochberg;
  if (text == "none") return Correction::None;
  return std::nullopt;
}

std::string where(const toml::source_region& region) {
  return fmt::format("line {}, column {}", region.begin.line, region.begin.column);
}

}  // namespace

std::string_view to_string(Correction correction) {
  switch (correction) {
    case Correction::Bonferroni: return "bonferroni";
    case Correction::BenjaminiHochberg: return "bh";
    case Correction::None: return "none";
  }
  return "?";
}

Policy Policy::defaults() {
  Policy policy;
  policy.checks = default_checks();
  return policy;
}

const CheckDefinition& Policy::at(const std::string& name) const { return find_check(checks, name); }

Policy Policy::load(const std::string& path) {
  Policy policy = defaults();
  policy.origin = path;
  toml::table document = parse_policy_file(path);
  for (const auto& [key, node] : document) {
    if (key == "options") {
      const toml::table* options = node.as_table();
      if (!options) throw InputError(path, where(node.source()), "[options] must be a table");
      for (const auto& [name, value] : *options) {
        std::string option(name.str());
        auto bad = [&](const std::string& expected) {
          return InputError(path, where(value.source()), fmt::format("option '{}' must be {}", option, expected));
        };
        auto positive_integer = [&]() -> uint64_t {
          auto number = value.value<int64_t>();
          if (!number || *number < 0) throw bad("a non-negative integer");
          return static_cast<uint64_t>(*number);
        };
        if (option == "correction") {
          auto text = value.value<std::string>();
          auto parsed = text ? correction_from_string(*text) : std::nullopt;
          if (!parsed) throw bad("\"bonferroni\", \"bh\" or \"none\"");
          policy.correction = *parsed;
        } else if (option == "shrinkage") {
          auto text = value.value<std::string>();
          if (!text || !shrinkage_method_from_string(*text)) throw bad("\"ledoit-wolf\", \"oas\" or \"pinv\"");
          policy.shrinkage = *text;
        } else if (option == "distance_quantile") {
          auto number = value.value<double>();
          if (!number || !(*number > 0 && *number < 1)) throw bad("a number in (0, 1)");
          policy.distance_quantile = *number;
        } else if (option == "large_reference_rows") {
          policy.large_reference_rows = positive_integer();
        } else if (option == "mmd_permutations") {
          policy.mmd_permutations = positive_integer();
        } else if (option == "mmd_max_rows") {
          policy.mmd_max_rows = positive_integer();
          if (policy.mmd_max_rows < 2) throw bad("at least 2");
        } else if (option == "seed") {
          policy.seed = positive_integer();
        } else if (option == "ood_score") {
          auto text = value.value<std::string>();
          if (!text || (*text != "mahalanobis" && *text != "relative")) throw bad("\"mahalanobis\" or \"relative\"");
          policy.relative_ood = *text == "relative";
        } else {
          throw InputError(path, where(value.source()),
                           fmt::format("unknown option '{}'; see 'xferval check --print-policy'", option));
        }
      }
    } else if (key == "checks") {
      apply_check_overrides(node, policy.checks, path, "check");
    } else {
      throw InputError(path, where(node.source()), fmt::format("unknown section '{}'; use [options] and [checks.\"NAME\"]", key.str()));
    }
  }
  return policy;
}

std::string Policy::to_toml() const {
  std::string out = fmt::format(
      "# xferval policy ({}). Copy, edit, and pass with --policy.\n\n"
      "[options]\n"
      "correction = \"{}\"          # across features: bonferroni, bh (Benjamini-Hochberg), none\n"
      "shrinkage = \"{}\"         # Mahalanobis covariance: ledoit-wolf, oas, pinv\n"
      "distance_quantile = {}         # chi-square quantile for the exceedance share\n"
      "large_reference_rows = {}    # above: distances (Wasserstein, Jensen-Shannon), not p-values\n"
      "mmd_permutations = {}\n"
      "mmd_max_rows = {}            # per sample; larger samples are subsampled\n"
      "seed = {}\n"
      "ood_score = \"{}\"       # embedding OOD: mahalanobis (Lee et al.) or relative (Ren et al.)\n",
      origin, to_string(correction), shrinkage, distance_quantile, large_reference_rows, mmd_permutations,
      mmd_max_rows, seed, relative_ood ? "relative" : "mahalanobis");
  out += checks_to_toml(checks);
  return out;
}

}  // namespace xferval
