#include "xferval/tune/trial.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tune/study_state.hpp"

namespace xferval::tune {

namespace {

// A fixed parameter of an enqueued trial, from its system attribute fixed_params.
std::optional<ParamValue> fixed_param(const FrozenTrial& trial, const std::string& name) {
  auto it = trial.system_attrs.find("fixed_params");
  if (it == trial.system_attrs.end()) return std::nullopt;
  auto document = nlohmann::json::parse(it->second, nullptr, false);
  if (!document.is_object() || !document.contains(name)) return std::nullopt;
  const auto& v = document[name];
  if (v.is_null()) return ParamValue{std::monostate{}};
  if (v.is_boolean()) return ParamValue{v.get<bool>()};
  if (v.is_number_integer()) return ParamValue{v.get<int64_t>()};
  if (v.is_number()) return ParamValue{v.get<double>()};
  if (v.is_string()) return ParamValue{v.get<std::string>()};
  return std::nullopt;
}

}  // namespace

ParamValue Trial::suggest(const std::string& name, const Distribution& distribution) {
  auto existing = frozen_.params.find(name);
  if (existing != frozen_.params.end()) {
    check_compatible(frozen_.distributions.at(name), distribution);
    return to_external(frozen_.distributions.at(name), existing->second);
  }
  // Every trial of a study must use a compatible distribution for a name (Optuna raises too).
  for (const FrozenTrial& t : study_->cache) {
    auto d = t.distributions.find(name);
    if (d != t.distributions.end()) {
      check_compatible(d->second, distribution);
      break;
    }
  }
  double internal;
  std::optional<ParamValue> fixed = fixed_param(frozen_, name);
  if (fixed && contains(distribution, to_internal(distribution, *fixed))) {
    internal = to_internal(distribution, *fixed);
  } else if (is_single(distribution)) {
    internal = std::visit(
        [](const auto& d) -> double {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, CategoricalDistribution>)
            return 0.0;
          else
            return static_cast<double>(d.low);
        },
        distribution);
  } else {
    std::vector<FrozenTrial> bracket;
    const std::vector<FrozenTrial>& trials = study_->group_of(frozen_, bracket);
    // The whole history is versioned; a Hyperband bracket is a fresh copy at every call.
    std::optional<uint64_t> version;
    if (&trials == &study_->cache) version = study_->history_version;
    SamplerContext context{trials, study_->direction, version};
    internal = study_->sampler->sample_independent(context, frozen_, name, distribution);
  }
  study_->storage->set_param(frozen_.trial_id, name, internal, distribution);
  frozen_.params[name] = internal;
  frozen_.distributions.emplace(name, distribution);
  return to_external(distribution, internal);
}

double Trial::suggest_float(const std::string& name, double low, double high, bool log,
                            std::optional<double> step) {
  return std::get<double>(suggest(name, make_float(low, high, log, step)));
}

int64_t Trial::suggest_int(const std::string& name, int64_t low, int64_t high, int64_t step, bool log) {
  return std::get<int64_t>(suggest(name, make_int(low, high, log, step)));
}

ParamValue Trial::suggest_categorical(const std::string& name, std::vector<ParamValue> choices) {
  return suggest(name, make_categorical(std::move(choices)));
}

void Trial::report(double value, int64_t step) {
  if (step < 0)
    throw std::invalid_argument(fmt::format("The `step` argument is {} but cannot be negative.", step));
  if (frozen_.intermediate_values.count(step)) return;  // Optuna warns and keeps the first value
  study_->storage->set_intermediate_value(frozen_.trial_id, step, value);
  frozen_.intermediate_values[step] = value;
}

bool Trial::should_prune() {
  study_->sync();
  std::vector<FrozenTrial> trials = study_->cache;
  // The pruner sees this trial as stored, including rungs written by earlier checks.
  FrozenTrial& self = trials.at(static_cast<size_t>(frozen_.number));
  self.intermediate_values = frozen_.intermediate_values;
  FrozenTrial current = self;
  PrunerContext context = study_->pruner_context(trials, frozen_.trial_id);
  bool prune = study_->pruner->prune(context, current);
  frozen_.system_attrs = current.system_attrs;
  return prune;
}

void Trial::set_user_attr(const std::string& key, const std::string& value_json) {
  study_->storage->set_trial_user_attr(frozen_.trial_id, key, value_json);
  frozen_.user_attrs[key] = value_json;
}

void Trial::heartbeat() { study_->storage->record_heartbeat(frozen_.trial_id); }

std::map<std::string, ParamValue> Trial::params() const {
  std::map<std::string, ParamValue> out;
  for (const auto& [name, internal] : frozen_.params)
    out[name] = to_external(frozen_.distributions.at(name), internal);
  return out;
}

}  // namespace xferval::tune
