#include "xferval/tune/study.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tune/study_state.hpp"
#include "xferval/core/error.hpp"

namespace xferval::tune {

const char* state_name(TrialState state) {
  switch (state) {
    case TrialState::Running:
      return "RUNNING";
    case TrialState::Complete:
      return "COMPLETE";
    case TrialState::Pruned:
      return "PRUNED";
    case TrialState::Fail:
      return "FAIL";
    case TrialState::Waiting:
      return "WAITING";
  }
  return "FAIL";
}

TrialState parse_state(const std::string& name) {
  if (name == "RUNNING") return TrialState::Running;
  if (name == "COMPLETE") return TrialState::Complete;
  if (name == "PRUNED") return TrialState::Pruned;
  if (name == "FAIL") return TrialState::Fail;
  if (name == "WAITING") return TrialState::Waiting;
  throw std::invalid_argument("unknown trial state '" + name + "'");
}

const char* direction_name(StudyDirection direction) {
  return direction == StudyDirection::Minimize ? "MINIMIZE" : "MAXIMIZE";
}

StudyDirection parse_direction(const std::string& name) {
  if (name == "MINIMIZE" || name == "minimize") return StudyDirection::Minimize;
  if (name == "MAXIMIZE" || name == "maximize") return StudyDirection::Maximize;
  throw UsageError("unknown study direction '" + name + "' (expected minimize or maximize)");
}

namespace detail {

void StudyState::sync() {
  std::vector<FrozenTrial> loaded = storage->load_trials(study_id, reread_from_trial_id);
  if (!loaded.empty()) history_version = next_history_version();
  for (FrozenTrial& t : loaded) {
    auto number = static_cast<size_t>(t.number);
    if (number >= cache.size()) cache.resize(number + 1);
    cache[number] = std::move(t);
  }
  // Advance past the finished prefix: those trials will never be read again.
  int64_t next = reread_from_trial_id;
  bool all_finished = true;
  for (const FrozenTrial& t : cache) {
    if (t.trial_id < reread_from_trial_id) continue;
    if (!is_finished(t.state)) {
      next = t.trial_id;
      all_finished = false;
      break;
    }
    next = t.trial_id + 1;
  }
  if (all_finished && !cache.empty()) next = std::max(next, cache.back().trial_id + 1);
  reread_from_trial_id = next;
}

PrunerContext StudyState::pruner_context(const std::vector<FrozenTrial>& trials, int64_t trial_id) {
  Storage* s = storage.get();
  return PrunerContext{trials, direction, name, [s, trial_id](const std::string& key, double value) {
                         s->set_trial_system_attr(trial_id, key, python_float_repr(value));
                       }};
}

const std::vector<FrozenTrial>& StudyState::group_of(const FrozenTrial& trial,
                                                     std::vector<FrozenTrial>& members) {
  if (!pruner || !pruner->has_groups()) return cache;
  PrunerContext context = pruner_context(cache, trial.trial_id);
  int group = pruner->group_of(context, trial.number);
  members.clear();
  for (const FrozenTrial& t : cache)
    if (pruner->group_of(context, t.number) == group) members.push_back(t);
  return members;
}

}  // namespace detail

Study Study::create_or_load(const std::string& storage_url, const std::string& name, StudyDirection direction,
                            std::unique_ptr<Sampler> sampler, std::unique_ptr<Pruner> pruner) {
  auto state = std::make_shared<detail::StudyState>();
  state->storage = std::make_unique<Storage>(storage_url);
  state->study_id = state->storage->create_or_load_study(name, direction);
  state->name = name;
  state->direction = direction;
  state->sampler = sampler ? std::move(sampler) : std::make_unique<TpeSampler>();
  state->pruner = pruner ? std::move(pruner) : std::make_unique<NopPruner>();
  return Study(state);
}

Study Study::load(const std::string& storage_url, const std::string& name, std::unique_ptr<Sampler> sampler,
                  std::unique_ptr<Pruner> pruner) {
  Storage probe(storage_url);
  auto id = probe.find_study(name);
  if (!id) {
    std::string known;
    for (const auto& n : probe.study_names()) known += (known.empty() ? "" : ", ") + n;
    throw UsageError(
        fmt::format("no study '{}' in {} (studies: {})", name, probe.path(), known.empty() ? "none" : known));
  }
  StudyDirection direction = probe.study_direction(*id);
  return create_or_load(storage_url, name, direction, std::move(sampler), std::move(pruner));
}

Trial Study::make_trial(FrozenTrial frozen, const SearchSpace* space) {
  state_->sync();
  Trial trial(state_, std::move(frozen));
  if (space)
    for (const auto& [name, distribution] : space->params) trial.suggest(name, distribution);
  return trial;
}

Trial Study::ask() { return make_trial(*state_->storage->start_trial(state_->study_id), nullptr); }

Trial Study::ask(const SearchSpace& space) {
  return make_trial(*state_->storage->start_trial(state_->study_id), &space);
}

std::optional<Trial> Study::ask_within_budget(int64_t budget, const SearchSpace* space) {
  auto frozen = state_->storage->start_trial(state_->study_id, budget);
  if (!frozen) return std::nullopt;
  return make_trial(std::move(*frozen), space);
}

TrialState Study::tell(Trial& trial, double value) {
  if (std::isnan(value)) return tell(trial, TrialState::Fail);
  if (!state_->storage->finish_trial(trial.trial_id(), TrialState::Complete, value))
    throw std::runtime_error(fmt::format("trial {} has already finished", trial.number()));
  trial.frozen_.state = TrialState::Complete;
  trial.frozen_.value = value;
  return TrialState::Complete;
}

TrialState Study::tell(Trial& trial, TrialState state) {
  if (state != TrialState::Pruned && state != TrialState::Fail)
    throw std::invalid_argument("tell(trial, state) takes PRUNED or FAIL; COMPLETE needs a value");
  std::optional<double> value;
  if (state == TrialState::Pruned && !trial.frozen_.intermediate_values.empty()) {
    double last = trial.frozen_.intermediate_values.rbegin()->second;
    if (!std::isnan(last)) value = last;
  }
  if (!state_->storage->finish_trial(trial.trial_id(), state, value))
    throw std::runtime_error(fmt::format("trial {} has already finished", trial.number()));
  trial.frozen_.state = state;
  trial.frozen_.value = value;
  return state;
}

void Study::enqueue_trial(const std::map<std::string, ParamValue>& params) {
  std::string json = "{";
  for (const auto& [name, value] : params) {
    if (json.size() > 1) json += ", ";
    json += nlohmann::json(name).dump(-1, ' ', true) + ": ";
    json += std::visit(
        [](const auto& v) -> std::string {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>)
            return "null";
          else if constexpr (std::is_same_v<T, bool>)
            return v ? "true" : "false";
          else if constexpr (std::is_same_v<T, int64_t>)
            return std::to_string(v);
          else if constexpr (std::is_same_v<T, double>)
            return python_float_repr(v);
          else
            return nlohmann::json(v).dump(-1, ' ', true);
        },
        value);
  }
  state_->storage->enqueue_trial(state_->study_id, json + "}");
}

std::vector<int64_t> Study::fail_stale_trials(double grace_seconds) {
  return state_->storage->fail_stale_trials(state_->study_id, grace_seconds);
}

FrozenTrial Study::best_trial() {
  state_->sync();
  const FrozenTrial* best = nullptr;
  bool maximize = state_->direction == StudyDirection::Maximize;
  for (const FrozenTrial& t : state_->cache) {
    if (t.state != TrialState::Complete || !t.value) continue;
    if (!best || (maximize ? *t.value > *best->value : *t.value < *best->value)) best = &t;
  }
  if (!best) throw std::runtime_error(fmt::format("study '{}' has no completed trial yet", state_->name));
  return *best;
}

std::vector<FrozenTrial> Study::trials() {
  state_->sync();
  return state_->cache;
}

const std::string& Study::name() const { return state_->name; }
StudyDirection Study::direction() const { return state_->direction; }
int64_t Study::study_id() const { return state_->study_id; }
Storage& Study::storage() { return *state_->storage; }

}  // namespace xferval::tune
