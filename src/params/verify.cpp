#include "xferval/params/verify.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>

#include <chrono>
#include <cmath>
#include <set>

#include "xferval/core/clock.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/version.hpp"

namespace xferval::params {

namespace {

using nlohmann::json;

class Judge {
 public:
  Judge(const VerifyPolicy& policy, Report& report) : policy_(policy), report_(report) {}

  void add(const std::string& name, const std::string& tensor, double value, std::string message,
           json details = json::object()) {
    const CheckDefinition& definition = policy_.at(name);
    if (!definition.enabled) return;
    CheckResult result = base_result(definition, tensor);
    result.value = value;
    result.outcome = judge(value, definition.threshold, definition.fails_when);
    result.message = std::move(message);
    result.details = std::move(details);
    report_.checks.push_back(std::move(result));
  }
  void skip(const std::string& name, const std::string& tensor, std::string reason) {
    const CheckDefinition& definition = policy_.at(name);
    if (!definition.enabled) return;
    CheckResult result = base_result(definition, tensor);
    result.value = std::nan("");
    result.outcome = Outcome::Skipped;
    result.message = std::move(reason);
    report_.checks.push_back(std::move(result));
  }

 private:
  static CheckResult base_result(const CheckDefinition& definition, const std::string& tensor) {
    CheckResult result;
    result.name = definition.name;
    result.feature = tensor;
    result.metric = definition.metric;
    result.threshold = definition.threshold;
    result.fails_when = definition.fails_when;
    result.severity = definition.severity;
    return result;
  }
  const VerifyPolicy& policy_;
  Report& report_;
};

json finite_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json fit_json(const std::optional<PowerLawFit>& fit) {
  if (!fit) return nullptr;
  if (!fit->fitted) return {{"fitted", false}, {"reason", fit->reason}, {"eigenvalues", fit->eigenvalues}};
  return {{"fitted", true},
          {"alpha", fit->alpha},
          {"xmin", fit->xmin},
          {"D", fit->D},
          {"sigma", fit->sigma},
          {"eigenvalues", fit->eigenvalues},
          {"used", fit->used},
          {"tail", fit->tail},
          {"log_norm", finite_or_null(fit->log_norm)},
          {"log_spectral_norm", finite_or_null(fit->log_spectral_norm)},
          {"alpha_weighted", finite_or_null(fit->alpha_weighted)},
          {"stable_rank", finite_or_null(fit->stable_rank)}};
}

json delta_json(const TensorDelta& delta) {
  return {{"name", delta.name},
          {"layer", delta.layer},
          {"dtype", to_string(delta.tuned_dtype)},
          {"base_dtype", to_string(delta.base_dtype)},
          {"shape", delta.shape},
          {"values", delta.values},
          {"mse", finite_or_null(delta.mse)},
          {"max_abs_delta", finite_or_null(delta.max_abs_delta)},
          {"relative_l2", finite_or_null(delta.relative_l2)},
          {"cosine", finite_or_null(delta.cosine)},
          {"base_norm", finite_or_null(delta.base_norm)},
          {"tuned_norm", finite_or_null(delta.tuned_norm)},
          {"delta_norm", finite_or_null(delta.delta_norm)},
          {"tuned_nan", delta.tuned_nan},
          {"tuned_inf", delta.tuned_inf},
          {"base_nan", delta.base_nan},
          {"base_inf", delta.base_inf},
          {"bit_identical", delta.bit_identical},
          {"base_alpha", fit_json(delta.base_alpha)},
          {"tuned_alpha", fit_json(delta.tuned_alpha)}};
}

std::string list_names(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < 5; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > 5) text += fmt::format(", ... ({} in all)", names.size());
  return text;
}

// The auto-detected head: one layer holding every reshaped tensor, in each only dimension 0 changed.
std::set<std::string> detect_head(const Comparison& comparison) {
  std::set<std::string> layers;
  for (const TunedOnly& tensor : comparison.reshaped) {
    const bool outputs_only =
        tensor.shape.size() == tensor.base_shape.size() && !tensor.shape.empty() &&
        std::equal(tensor.shape.begin() + 1, tensor.shape.end(), tensor.base_shape.begin() + 1);
    if (!outputs_only) return {};
    layers.insert(tensor.layer);
  }
  if (layers.size() != 1) return {};
  return layers;
}

void judge_alpha(Judge& judge, const std::string& name, const std::optional<PowerLawFit>& fit,
                 const std::string& skipped) {
  if (!fit) {
    if (!skipped.empty()) {
      judge.skip("params.alpha_over_trained", name, skipped);
      judge.skip("params.alpha_under_trained", name, skipped);
    }
    return;
  }
  if (!fit->fitted) {
    judge.skip("params.alpha_over_trained", name, fit->reason);
    judge.skip("params.alpha_under_trained", name, fit->reason);
    return;
  }
  json details = fit_json(fit);
  judge.add("params.alpha_over_trained", name, fit->alpha,
            fmt::format("alpha {:.3g} < 2: WeightWatcher calls the layer over-trained", fit->alpha), details);
  judge.add("params.alpha_under_trained", name, fit->alpha,
            fmt::format("alpha {:.3g} > 6: WeightWatcher calls the layer under-trained", fit->alpha),
            details);
}

}  // namespace

bool matches_pattern(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

Report run_verify(const VerifyOptions& options) {
  auto stage = [&](const std::string& text) {
    if (options.stage) options.stage(text);
  };
  Report report;
  report.verb = "verify";
  report.created = utc_timestamp();
  report.xferval_version = kVersion;
  stage("reading " + options.base_path);
  auto base = options.open(options.base_path);
  stage("reading " + options.tuned_path);
  auto tuned = options.open(options.tuned_path);
  report.inputs["base"] = {
      {"path", options.base_path}, {"tensors", base->tensors().size()}, {"bytes", base->total_bytes()}};
  report.inputs["tuned"] = {
      {"path", options.tuned_path}, {"tensors", tuned->tensors().size()}, {"bytes", tuned->total_bytes()}};
  report.inputs["policy"] = options.policy.origin;
  report.inputs["frozen"] = options.frozen_patterns;
  report.inputs["head"] = options.head_prefixes;

  stage("comparing");
  const auto started = std::chrono::steady_clock::now();
  const Comparison comparison = compare_parameters(*base, *tuned, options.compare);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const bool explicit_head = !options.head_prefixes.empty();
  const std::set<std::string> auto_head = explicit_head ? std::set<std::string>{} : detect_head(comparison);
  auto in_head = [&](const std::string& name) {
    for (const std::string& prefix : options.head_prefixes) {
      if (name == prefix || name.starts_with(prefix + ".")) return true;
    }
    return auto_head.count(layer_of(name)) > 0;
  };
  auto frozen = [&](const std::string& name) {
    for (const std::string& pattern : options.frozen_patterns) {
      if (matches_pattern(pattern, name)) return true;
    }
    return false;
  };

  Judge judge(options.policy, report);
  // Structure.
  std::vector<std::string> missing, added, reshaped, head, dtype_changed;
  json head_details = json::array();
  for (const std::string& name : comparison.missing) {
    if (in_head(name)) {
      head.push_back(name);
      head_details.push_back({{"name", name}, {"change", "removed"}});
    } else {
      missing.push_back(name);
    }
  }
  for (const TunedOnly& tensor : comparison.added) {
    if (in_head(tensor.name)) {
      head.push_back(tensor.name);
      head_details.push_back({{"name", tensor.name}, {"change", "added"}, {"shape", tensor.shape}});
    } else {
      added.push_back(tensor.name);
    }
  }
  for (const TunedOnly& tensor : comparison.reshaped) {
    const std::string text =
        fmt::format("{} {} -> {}", tensor.name, json(tensor.base_shape).dump(), json(tensor.shape).dump());
    if (in_head(tensor.name)) {
      head.push_back(text);
      head_details.push_back({{"name", tensor.name},
                              {"change", "reshaped"},
                              {"base_shape", tensor.base_shape},
                              {"shape", tensor.shape}});
    } else {
      reshaped.push_back(text);
    }
  }
  for (const TensorDelta& delta : comparison.compared) {
    if (delta.base_dtype != delta.tuned_dtype) {
      dtype_changed.push_back(
          fmt::format("{} {} -> {}", delta.name, to_string(delta.base_dtype), to_string(delta.tuned_dtype)));
    }
  }
  judge.add("params.missing_tensor", "", static_cast<double>(missing.size()),
            missing.empty() ? "" : "missing in tuned: " + list_names(missing), {{"tensors", missing}});
  judge.add("params.shape_changed", "", static_cast<double>(reshaped.size()),
            reshaped.empty() ? "" : "shape changed outside the head: " + list_names(reshaped),
            {{"tensors", reshaped}});
  judge.add("params.unexpected_tensor", "", static_cast<double>(added.size()),
            added.empty() ? "" : "only in tuned: " + list_names(added), {{"tensors", added}});
  judge.add("params.dtype_changed", "", static_cast<double>(dtype_changed.size()),
            dtype_changed.empty() ? "" : "dtype changed: " + list_names(dtype_changed),
            {{"tensors", dtype_changed}});
  std::set<std::string> head_layers(auto_head);
  for (const std::string& prefix : options.head_prefixes) head_layers.insert(prefix);
  judge.add(
      "params.head_surgery", "", static_cast<double>(head.size()),
      head.empty() ? "" : fmt::format("head {} replaced: {}", fmt::join(head_layers, ", "), list_names(head)),
      {{"head", head_layers}, {"tensors", head_details}});

  // Per tensor.
  for (const TensorDelta& delta : comparison.compared) {
    const uint64_t non_finite = delta.tuned_nan + delta.tuned_inf;
    judge.add(
        "params.non_finite", delta.name, static_cast<double>(non_finite),
        fmt::format("{} NaN and {} infinite values in the tuned tensor", delta.tuned_nan, delta.tuned_inf),
        {{"nan", delta.tuned_nan}, {"inf", delta.tuned_inf}});
  }
  for (const auto* list : {&comparison.added, &comparison.reshaped}) {
    for (const TunedOnly& tensor : *list) {
      judge.add("params.non_finite", tensor.name, static_cast<double>(tensor.nan + tensor.inf),
                fmt::format("{} NaN and {} infinite values in the tuned tensor", tensor.nan, tensor.inf),
                {{"nan", tensor.nan}, {"inf", tensor.inf}});
    }
  }
  for (const TensorDelta& delta : comparison.compared) {
    if (!frozen(delta.name) || (delta.buffer && !options.frozen_buffers)) continue;
    judge.add("params.frozen_changed", delta.name, delta.bit_identical ? 0.0 : 1.0,
              fmt::format("frozen tensor changed: max |delta| {:.3g}, relative L2 {:.3g}",
                          delta.max_abs_delta, delta.relative_l2),
              {{"max_abs_delta", finite_or_null(delta.max_abs_delta)},
               {"relative_l2", finite_or_null(delta.relative_l2)}});
  }
  for (const std::string& name : comparison.missing) {
    if (frozen(name)) judge.add("params.frozen_changed", name, 1.0, "frozen tensor is missing in tuned");
  }
  for (const TunedOnly& tensor : comparison.reshaped) {
    if (frozen(tensor.name))
      judge.add("params.frozen_changed", tensor.name, 1.0, "frozen tensor changed shape");
  }
  for (const TensorDelta& delta : comparison.compared) {
    if (delta.buffer || in_head(delta.name)) continue;
    if (delta.tuned_nan + delta.tuned_inf + delta.base_nan + delta.base_inf > 0) {
      judge.skip("params.relative_change", delta.name, "not finite");
    } else if (delta.base_norm == 0) {
      judge.skip("params.relative_change", delta.name, "the base tensor is all zeros: no relative change");
    } else {
      judge.add("params.relative_change", delta.name, delta.relative_l2,
                fmt::format("moved {:.3g} of its norm from the base (cosine {:.4g})", delta.relative_l2,
                            delta.cosine),
                {{"mse", delta.mse}, {"max_abs_delta", delta.max_abs_delta}, {"cosine", delta.cosine}});
    }
  }
  for (const TensorDelta& delta : comparison.compared)
    judge_alpha(judge, delta.name, delta.tuned_alpha, delta.alpha_skipped);
  for (const auto* list : {&comparison.added, &comparison.reshaped}) {
    for (const TunedOnly& tensor : *list) judge_alpha(judge, tensor.name, tensor.alpha, tensor.alpha_skipped);
  }

  // Sections: parameters and buffers apart, layers, structure, throughput.
  json tensors = json::array(), buffers = json::array(), layers = json::array();
  for (const TensorDelta& delta : comparison.compared) {
    json entry = delta_json(delta);
    entry["frozen"] = frozen(delta.name);
    entry["head"] = in_head(delta.name);
    (delta.buffer ? buffers : tensors).push_back(std::move(entry));
  }
  for (const LayerSummary& layer : comparison.layers) {
    layers.push_back({{"layer", layer.layer},
                      {"tensors", layer.tensors},
                      {"values", layer.values},
                      {"delta_squared", finite_or_null(layer.delta_squared)},
                      {"relative_l2", finite_or_null(layer.relative_l2)},
                      {"max_abs_delta", finite_or_null(layer.max_abs_delta)},
                      {"bit_identical", layer.bit_identical},
                      {"non_finite", layer.non_finite}});
  }
  json added_json = json::array(), reshaped_json = json::array();
  for (const TunedOnly& tensor : comparison.added) {
    added_json.push_back({{"name", tensor.name},
                          {"dtype", to_string(tensor.dtype)},
                          {"shape", tensor.shape},
                          {"nan", tensor.nan},
                          {"inf", tensor.inf},
                          {"alpha", fit_json(tensor.alpha)}});
  }
  for (const TunedOnly& tensor : comparison.reshaped) {
    reshaped_json.push_back({{"name", tensor.name},
                             {"dtype", to_string(tensor.dtype)},
                             {"base_shape", tensor.base_shape},
                             {"shape", tensor.shape},
                             {"nan", tensor.nan},
                             {"inf", tensor.inf},
                             {"alpha", fit_json(tensor.alpha)}});
  }
  report.sections["params"] = {
      {"tensors", tensors},
      {"buffers", buffers},
      {"layers", layers},
      {"missing", comparison.missing},
      {"added", added_json},
      {"reshaped", reshaped_json},
      {"head", head_layers},
      {"task_vector_norm", finite_or_null(comparison.task_vector_norm)},
      {"bytes_compared", comparison.bytes_read},
      {"seconds", seconds},
      {"gigabytes_per_second",
       seconds > 0 ? json(static_cast<double>(comparison.bytes_read) / seconds / 1e9) : json(nullptr)}};
  return report;
}

}  // namespace xferval::params
