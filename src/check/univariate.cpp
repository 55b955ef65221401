// Univariate drift per feature with the test chosen by kind and reference size (Evidently's rules):
// up to `large_reference_rows` reference values, p-values (KS for numeric features with more than 5
// distinct values, chi-square for categories, the two-proportion Z-test for two), corrected across
// features; above it, effect sizes (Wasserstein distance over the reference std, Jensen-Shannon
// distance). Every result carries both an effect size and a p-value. The reference is the raw
// source data when given, else the card's sketches (KS then widened by the sketches' rank error).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "check_context.hpp"
#include "xferval/profile/accumulate.hpp"
#include "xferval/stats/kll.hpp"
#include "xferval/stats/two_sample.hpp"

namespace xferval::check {

namespace {

constexpr uint64_t kCategoricalMaxDistinct = 5;  // numeric features with at most 5 values: counts

// One feature's reference: raw values or the card's profile state.
struct Reference {
  const FeatureState* state = nullptr;
  const ColumnChunk* raw = nullptr;
};

std::vector<double> finite_sorted(const ColumnChunk& column) {
  std::vector<double> values;
  values.reserve(column.numbers.size());
  for (size_t r = 0; r < column.numbers.size(); ++r) {
    if (!column.missing[r] && std::isfinite(column.numbers[r])) values.push_back(column.numbers[r]);
  }
  std::sort(values.begin(), values.end());
  return values;
}

std::map<std::string, double> category_counts(const ColumnChunk& column) {
  std::map<std::string, double> counts;
  for (size_t r = 0; r < column.missing.size(); ++r) {
    if (column.missing[r]) continue;
    if (!column.is_text && !std::isfinite(column.numbers[r])) continue;
    counts[column.is_text ? column.texts[r] : number_label(column.numbers[r])] += 1;
  }
  return counts;
}

// Reference counts from the profile: exact when its frequent-items summary is; otherwise the
// untracked remainder is one "(other)" category.
std::map<std::string, double> category_counts(const FeatureState& state) {
  std::map<std::string, double> counts;
  double tracked = 0;
  if (state.storage == Storage::Text) {
    for (const auto& [value, count] : state.top_texts.items()) counts[value] += static_cast<double>(count), tracked += static_cast<double>(count);
  } else {
    for (const auto& [value, count] : state.top_numbers.items()) counts[number_label(value)] += static_cast<double>(count), tracked += static_cast<double>(count);
  }
  double total = static_cast<double>(state.storage == Storage::Text ? state.present() : state.finite());
  if (total > tracked) counts["(other)"] += total - tracked;
  return counts;
}

// A pending decision whose p-value is corrected across features before it is judged.
struct PValueDecision {
  std::string check;
  std::string feature;
  double p_value;
  std::string message;
  nlohmann::json details;
};

struct Drift {
  Context& context;
  std::vector<PValueDecision> pending;
  std::vector<std::string> tested;
  std::vector<std::pair<std::string, const CheckResult*>> decided;  // distance decisions

  void add_distance(const std::string& check, const std::string& feature, double value, nlohmann::json details,
                    const std::string& what) {
    context.add(check, feature, value, fmt::format("{} {:.4g}", what, value), std::move(details));
  }

  void optional_binned(const std::string& feature, const std::vector<double>& reference_counts,
                       const std::vector<double>& target_counts, nlohmann::json& details) {
    if (context.enabled("drift.psi")) {
      double psi = population_stability_index(reference_counts, target_counts);
      details["psi"] = psi;
      context.add("drift.psi", feature, psi, fmt::format("PSI {:.4g} over {} bins", psi, reference_counts.size()),
                  {{"bins", reference_counts.size()}, {"empty_bin_rule", "proportion 0 replaced by 1e-4"}});
    }
    if (context.enabled("drift.hellinger")) {
      double distance = hellinger_distance(reference_counts, target_counts);
      details["hellinger"] = distance;
      context.add("drift.hellinger", feature, distance, fmt::format("Hellinger distance {:.4g}", distance),
                  {{"bins", reference_counts.size()}});
    }
  }

  void categorical(const std::string& feature, const std::map<std::string, double>& reference,
                   const std::map<std::string, double>& target, double reference_rows, const std::string& source_kind) {
    std::map<std::string, std::pair<double, double>> table;
    for (const auto& [value, count] : reference) table[value].first = count;
    for (const auto& [value, count] : target) table[value].second = count;
    std::vector<double> a, b;
    for (const auto& [value, counts] : table) a.push_back(counts.first), b.push_back(counts.second);
    double target_rows = 0;
    for (double count : b) target_rows += count;
    double js = jensen_shannon_distance(a, b);
    nlohmann::json details = {{"reference", source_kind},
                              {"reference_rows", reference_rows},
                              {"target_rows", target_rows},
                              {"categories", table.size()},
                              {"jensen_shannon", js}};
    optional_binned(feature, a, b, details);
    tested.push_back(feature);
    const bool two = table.size() <= 2;
    TestResult test = two ? z_test_proportions(a[0], reference_rows, b[0], target_rows) : chi2_homogeneity(a, b);
    details["test"] = two ? "z" : "chi2";
    details["statistic"] = test.statistic;
    details["p_value"] = test.p_value;
    if (reference_rows > static_cast<double>(context.policy.large_reference_rows)) {
      add_distance("drift.jensen_shannon", feature, js, std::move(details), "Jensen-Shannon distance");
    } else {
      pending.push_back({two ? "drift.z" : "drift.chi2", feature, test.p_value,
                         fmt::format("{} p-value {:.3g}, Jensen-Shannon distance {:.3f}", two ? "Z-test" : "chi-square",
                                     test.p_value, js),
                         std::move(details)});
    }
  }

  void numeric(const std::string& feature, const Reference& reference, const std::vector<double>& target) {
    nlohmann::json details;
    SketchKsResult ks;
    double wasserstein = 0, std_ref = 0, reference_rows = 0;
    std::vector<double> reference_counts, target_counts;
    if (reference.raw) {
      std::vector<double> values = finite_sorted(*reference.raw);
      TestResult exact = ks_2samp_sorted(values, target);
      ks = {exact.statistic, 0.0, exact.p_value};
      wasserstein = wasserstein_distance(values, target);
      double mean = 0, square = 0;
      for (double v : values) mean += v;
      mean /= static_cast<double>(values.size());
      for (double v : values) square += (v - mean) * (v - mean);
      std_ref = std::sqrt(square / static_cast<double>(values.size()));
      reference_rows = static_cast<double>(values.size());
      if (context.enabled("drift.psi") || context.enabled("drift.hellinger")) {
        std::vector<double> edges = sturges_bin_edges(values, target);
        reference_counts = histogram_counts(values, edges);
        target_counts = histogram_counts(target, edges);
      }
      details["reference"] = "source data";
    } else {
      const KllSketch& sketch = reference.state->quantiles;
      ks = ks_sketch_vs_sample(sketch, target);
      KllSketch target_sketch(static_cast<uint32_t>(std::max<size_t>(KllSketch::kDefaultK, target.size())));
      target_sketch.update_block(target.data(), target.size());
      wasserstein = wasserstein_distance(sketch, target_sketch);
      std_ref = std::sqrt(reference.state->moments.variance(0));
      reference_rows = static_cast<double>(sketch.n());
      if (context.enabled("drift.psi") || context.enabled("drift.hellinger")) {
        binned_from_sketch(sketch, target, reference_counts, target_counts);
      }
      details["reference"] = "card sketch";
      details["ks_error_bound"] = ks.error_bound;
    }
    double normalised = std_ref > 0 ? wasserstein / std_ref : (wasserstein > 0 ? INFINITY : 0.0);
    details["reference_rows"] = reference_rows;
    details["target_rows"] = target.size();
    details["ks_statistic"] = ks.statistic;
    details["p_value"] = ks.p_value;
    details["wasserstein"] = wasserstein;
    details["wasserstein_normalised"] = normalised;
    details["reference_std"] = std_ref;
    details["test"] = "ks";
    if (!reference_counts.empty()) optional_binned(feature, reference_counts, target_counts, details);
    tested.push_back(feature);
    if (reference_rows > static_cast<double>(context.policy.large_reference_rows)) {
      add_distance("drift.wasserstein", feature, normalised, std::move(details), "Wasserstein distance / std");
    } else {
      pending.push_back({"drift.ks", feature, ks.p_value,
                         fmt::format("KS D {:.3f}, p-value {:.3g}; Wasserstein / std {:.3f}", ks.statistic,
                                     ks.p_value, normalised),
                         std::move(details)});
    }
  }

  // Sturges bins over the union range, the reference's counts from its sketch's weighted items.
  static void binned_from_sketch(const KllSketch& sketch, const std::vector<double>& target,
                                 std::vector<double>& reference_counts, std::vector<double>& target_counts) {
    double low = std::min(sketch.min(), target.front()), high = std::max(sketch.max(), target.back());
    double n = static_cast<double>(sketch.n() + target.size());
    size_t bins = static_cast<size_t>(std::ceil(std::log2(n) + 1.0));
    std::vector<double> edges(bins + 1);
    for (size_t i = 0; i <= bins; ++i) edges[i] = low + (high - low) * static_cast<double>(i) / static_cast<double>(bins);
    if (high == low) edges = {low - 0.5, low + 0.5};
    reference_counts.assign(edges.size() - 1, 0.0);
    for (const auto& [value, weight] : sketch.weighted_items()) {
      size_t bin = static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), value) - edges.begin());
      bin = std::clamp<size_t>(bin, 1, edges.size() - 1) - 1;
      reference_counts[bin] += static_cast<double>(weight);
    }
    target_counts = histogram_counts(target, edges);
  }

  void judge_pending() {
    std::vector<double> p_values;
    for (const auto& decision : pending) p_values.push_back(decision.p_value);
    std::vector<double> adjusted = p_values;
    if (!p_values.empty()) {
      if (context.policy.correction == Correction::Bonferroni) adjusted = bonferroni_adjust(p_values);
      if (context.policy.correction == Correction::BenjaminiHochberg) adjusted = benjamini_hochberg_adjust(p_values);
    }
    for (size_t i = 0; i < pending.size(); ++i) {
      PValueDecision& decision = pending[i];
      decision.details["p_value_adjusted"] = adjusted[i];
      decision.details["correction"] = to_string(context.policy.correction);
      decision.details["tests_corrected"] = pending.size();
      context.add(decision.check, decision.feature, adjusted[i], decision.message, std::move(decision.details));
    }
  }
};

bool is_drift_check(const std::string& name) {
  return name == "drift.ks" || name == "drift.chi2" || name == "drift.z" || name == "drift.wasserstein" ||
         name == "drift.jensen_shannon";
}

void tabular_drift(Context& context, Drift& drift) {
  const Table& table = *context.target;
  for (const FeatureSpec& spec : context.card.input.features) {
    int column_index = table.column_index(spec.name);
    const FeatureState* state = context.card.profile.find_feature(spec.name);
    if (column_index < 0 || column_index == table.label_column || !state) continue;
    const ColumnChunk& column = table.data.columns[static_cast<size_t>(column_index)];
    if ((state->storage == Storage::Numbers) == column.is_text) continue;  // a schema anomaly already
    if (spec.kind == FeatureKind::Text) continue;                          // free text: no drift test
    Reference reference{state, nullptr};
    if (context.source) {
      int source_column = context.source->column_index(spec.name);
      if (source_column >= 0 && context.source->data.columns[static_cast<size_t>(source_column)].is_text == column.is_text) {
        reference.raw = &context.source->data.columns[static_cast<size_t>(source_column)];
      }
    }
    const bool few_values = state->storage == Storage::Numbers && state->distinct.exact() &&
                            state->distinct.estimate() <= static_cast<double>(kCategoricalMaxDistinct);
    const bool categorical = spec.kind == FeatureKind::Categorical || spec.kind == FeatureKind::Boolean || few_values;
    if (categorical) {
      auto reference_counts = reference.raw ? category_counts(*reference.raw) : category_counts(*state);
      auto target_counts = category_counts(column);
      double reference_rows = 0;
      for (const auto& [value, count] : reference_counts) reference_rows += count;
      if (target_counts.empty() || reference_rows == 0) {
        context.skip("drift.chi2", spec.name, "no present values to compare");
        continue;
      }
      drift.categorical(spec.name, reference_counts, target_counts, reference_rows,
                        reference.raw ? "source data" : "card profile");
    } else {
      std::vector<double> target = finite_sorted(column);
      if (target.empty() || (reference.raw ? finite_sorted(*reference.raw).empty() : state->quantiles.empty())) {
        context.skip("drift.ks", spec.name, "no finite values to compare");
        continue;
      }
      drift.numeric(spec.name, reference, target);
    }
  }
}

// Image and tensor data: the distribution of all values, from both sketches. Values of one image
// are not independent samples, so the decision is the effect size, never a p-value; and new
// classes of the same kind of image move it by about 0.15 (Fashion-MNIST 0-4 against 5-9), so its
// default threshold is higher than a tabular feature's.
void tensor_drift(Context& context, Drift& drift) {
  const TensorState* source = context.card.profile.tensor ? &*context.card.profile.tensor : nullptr;
  const TensorState* target = context.target_profile.tensor ? &*context.target_profile.tensor : nullptr;
  if (!source || !target || source->values.empty() || target->values.empty()) return;
  double wasserstein = wasserstein_distance(source->values, target->values);
  double std_ref = 0;
  {
    Moments all;
    for (const Moments& channel : source->channels) all.merge(channel);
    std_ref = std::sqrt(all.variance(0));
  }
  double normalised = std_ref > 0 ? wasserstein / std_ref : (wasserstein > 0 ? INFINITY : 0.0);
  SketchKsResult ks = ks_from_sketches(source->values, target->values);
  drift.add_distance("drift.tensor", "values", normalised,
                     {{"reference", "card sketch"},
                      {"wasserstein", wasserstein},
                      {"reference_std", std_ref},
                      {"ks_statistic", ks.statistic},
                      {"ks_error_bound", ks.error_bound}},
                     "Wasserstein distance / std of all values");
}

}  // namespace

void check_univariate_drift(Context& context) {
  Drift drift{context, {}, {}, {}};
  if (context.target) {
    tabular_drift(context, drift);
  } else {
    tensor_drift(context, drift);
  }
  drift.judge_pending();
  size_t drifted = 0;
  std::vector<std::string> names;
  for (const CheckResult& check : context.report.checks) {
    if (is_drift_check(check.name) && check.outcome == Outcome::Fail) {
      ++drifted;
      names.push_back(check.feature);
    }
  }
  if (!context.target) return;  // tensors: one distribution, judged by drift.tensor alone
  if (drift.tested.empty()) {
    context.skip("drift.share", "", "no feature could be tested");
    return;
  }
  double share = static_cast<double>(drifted) / static_cast<double>(drift.tested.size());
  context.add("drift.share", "", share,
              fmt::format("{} of {} features drifted{}{}", drifted, drift.tested.size(), names.empty() ? "" : ": ",
                          fmt::join(names, ", ")),
              {{"drifted", names}, {"tested", drift.tested.size()}});
}

}  // namespace xferval::check
