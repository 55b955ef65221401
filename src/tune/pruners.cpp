#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "xferval/tune/pruner.hpp"

namespace xferval::tune {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

double best_intermediate(const FrozenTrial& trial, StudyDirection direction) {
  double best = kNaN;
  for (const auto& [step, value] : trial.intermediate_values) {
    if (std::isnan(value)) continue;
    if (std::isnan(best) || (direction == StudyDirection::Maximize ? value > best : value < best))
      best = value;
  }
  return best;
}

// Optuna's _is_first_in_interval_step.
bool is_first_in_interval_step(int64_t step, const FrozenTrial& trial, int64_t warmup, int64_t interval) {
  int64_t nearest_lower = (step - warmup) / interval * interval + warmup;
  int64_t second_last = -1;
  for (const auto& [s, value] : trial.intermediate_values)
    if (s > second_last && s != step) second_last = s;
  return second_last < nearest_lower;
}

}  // namespace

double nan_percentile(std::vector<double> values, double percentile) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  // numpy's _compute_virtual_index for the linear method (alpha = beta = 1), term for term.
  double q = percentile / 100.0;
  double n = static_cast<double>(values.size());
  double rank = n * q + (1.0 + q * (1.0 - 1.0 - 1.0)) - 1.0;
  rank = std::clamp(rank, 0.0, n - 1);
  auto lower = static_cast<size_t>(std::floor(rank));
  size_t upper = std::min(lower + 1, values.size() - 1);
  double fraction = rank - static_cast<double>(lower);
  // numpy's _lerp: a + (b - a) t, evaluated from the nearer end for t >= 0.5
  double a = values[lower], b = values[upper];
  double diff = b - a;
  return fraction >= 0.5 ? b - diff * (1 - fraction) : a + diff * fraction;
}

uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

PercentilePruner::PercentilePruner(double percentile, int n_startup_trials, int64_t n_warmup_steps,
                                   int64_t interval_steps, int n_min_trials)
    : percentile_(percentile),
      n_startup_trials_(n_startup_trials),
      n_warmup_steps_(n_warmup_steps),
      interval_steps_(interval_steps),
      n_min_trials_(n_min_trials) {
  if (!(percentile >= 0 && percentile <= 100))
    throw std::invalid_argument("Percentile must be between 0 and 100 inclusive.");
  if (n_startup_trials < 0) throw std::invalid_argument("Number of startup trials cannot be negative.");
  if (n_warmup_steps < 0) throw std::invalid_argument("Number of warmup steps cannot be negative.");
  if (interval_steps < 1) throw std::invalid_argument("Pruning interval steps must be at least 1.");
  if (n_min_trials < 1) throw std::invalid_argument("Number of trials for pruning must be at least 1.");
}

bool PercentilePruner::prune(const PrunerContext& study, FrozenTrial& trial) {
  std::vector<const FrozenTrial*> completed;
  for (const auto& t : study.trials)
    if (t.state == TrialState::Complete) completed.push_back(&t);
  if (completed.empty() || static_cast<int>(completed.size()) < n_startup_trials_) return false;
  auto step = trial.last_step();
  if (!step || *step < n_warmup_steps_) return false;
  if (!is_first_in_interval_step(*step, trial, n_warmup_steps_, interval_steps_)) return false;
  double best = best_intermediate(trial, study.direction);
  if (std::isnan(best)) return true;
  std::vector<double> at_step;
  for (const FrozenTrial* t : completed) {
    auto it = t->intermediate_values.find(*step);
    if (it != t->intermediate_values.end()) at_step.push_back(it->second);
  }
  if (static_cast<int>(at_step.size()) < n_min_trials_) return false;
  double p = study.direction == StudyDirection::Maximize ? 100 - percentile_ : percentile_;
  double threshold = nan_percentile(at_step, p);
  if (std::isnan(threshold)) return false;
  return study.direction == StudyDirection::Maximize ? best < threshold : best > threshold;
}

SuccessiveHalvingPruner::SuccessiveHalvingPruner(std::optional<int64_t> min_resource,
                                                 int64_t reduction_factor, int64_t min_early_stopping_rate,
                                                 int64_t bootstrap_count)
    : min_resource_(min_resource),
      reduction_factor_(reduction_factor),
      min_early_stopping_rate_(min_early_stopping_rate),
      bootstrap_count_(bootstrap_count) {
  if (min_resource && *min_resource < 1) throw std::invalid_argument("min_resource must be at least 1");
  if (reduction_factor < 2) throw std::invalid_argument("reduction_factor must be at least 2");
  if (min_early_stopping_rate < 0) throw std::invalid_argument("min_early_stopping_rate cannot be negative");
  if (bootstrap_count < 0) throw std::invalid_argument("bootstrap_count cannot be negative");
  if (bootstrap_count > 0 && !min_resource)
    throw std::invalid_argument("bootstrap_count > 0 needs an integer min_resource, not auto");
}

bool SuccessiveHalvingPruner::prune(const PrunerContext& study, FrozenTrial& trial) {
  auto step = trial.last_step();
  if (!step) return false;
  int64_t rung = 0;
  while (trial.system_attrs.count("completed_rung_" + std::to_string(rung))) ++rung;
  double value = trial.intermediate_values.at(*step);
  while (true) {
    if (!min_resource_) {
      std::optional<int64_t> last;
      for (const auto& t : study.trials)
        if (t.state == TrialState::Complete && t.last_step())
          last = std::max(last.value_or(0), *t.last_step());
      if (!last) return false;
      min_resource_ = std::max<int64_t>(*last / 100, 1);
    }
    int64_t promotion_step = *min_resource_;
    for (int64_t e = 0; e < min_early_stopping_rate_ + rung; ++e) promotion_step *= reduction_factor_;
    if (*step < promotion_step) return false;
    if (std::isnan(value)) return true;
    std::string key = "completed_rung_" + std::to_string(rung);
    if (study.set_trial_system_attr) study.set_trial_system_attr(key, value);
    trial.system_attrs[key] = python_float_repr(value);
    std::vector<double> competing;
    for (const auto& t : study.trials) {
      if (t.number == trial.number) continue;  // the snapshot predates this rung's write
      auto it = t.system_attrs.find(key);
      if (it != t.system_attrs.end()) competing.push_back(std::strtod(it->second.c_str(), nullptr));
    }
    competing.push_back(value);
    if (static_cast<int64_t>(competing.size()) <= bootstrap_count_) return true;
    auto promotable = static_cast<int64_t>(competing.size()) / reduction_factor_ - 1;
    if (promotable == -1) promotable = 0;
    std::sort(competing.begin(), competing.end());
    bool promoted = study.direction == StudyDirection::Maximize
                        ? value >= competing[competing.size() - 1 - static_cast<size_t>(promotable)]
                        : value <= competing[static_cast<size_t>(promotable)];
    if (!promoted) return true;
    ++rung;
  }
}

HyperbandPruner::HyperbandPruner(int64_t min_resource, std::optional<int64_t> max_resource,
                                 int64_t reduction_factor, int64_t bootstrap_count)
    : min_resource_(min_resource),
      max_resource_(max_resource),
      reduction_factor_(reduction_factor),
      bootstrap_count_(bootstrap_count) {
  if (min_resource < 1) throw std::invalid_argument("min_resource must be at least 1");
  if (max_resource && *max_resource < min_resource)
    throw std::invalid_argument("max_resource must be at least min_resource");
}

void HyperbandPruner::try_initialise(const PrunerContext& study) {
  if (!max_resource_) {
    std::optional<int64_t> last;
    for (const auto& t : study.trials)
      if (t.state == TrialState::Complete && t.last_step()) last = std::max(last.value_or(0), *t.last_step());
    if (!last) return;
    max_resource_ = *last + 1;
  }
  n_brackets_ = static_cast<int>(std::floor(std::log(static_cast<double>(*max_resource_) / min_resource_) /
                                            std::log(static_cast<double>(reduction_factor_)))) +
                1;
  for (int bracket = 0; bracket < n_brackets_; ++bracket) {
    int s = n_brackets_ - 1 - bracket;
    auto budget = static_cast<int64_t>(
        std::ceil(n_brackets_ * std::pow(static_cast<double>(reduction_factor_), s) / (s + 1)));
    budgets_.push_back(budget);
    total_budget_ += budget;
    pruners_.emplace_back(min_resource_, reduction_factor_, bracket, bootstrap_count_);
  }
}

int HyperbandPruner::group_of(const PrunerContext& study, int64_t trial_number) {
  if (pruners_.empty()) return 0;
  auto n = static_cast<int64_t>(crc32(study.study_name + "_" + std::to_string(trial_number)) %
                                static_cast<uint64_t>(total_budget_));
  for (int bracket = 0; bracket < n_brackets_; ++bracket) {
    n -= budgets_[static_cast<size_t>(bracket)];
    if (n < 0) return bracket;
  }
  return n_brackets_ - 1;
}

bool HyperbandPruner::prune(const PrunerContext& study, FrozenTrial& trial) {
  if (pruners_.empty()) {
    try_initialise(study);
    if (pruners_.empty()) return false;
  }
  int bracket = group_of(study, trial.number);
  std::vector<FrozenTrial> members;
  for (const auto& t : study.trials)
    if (group_of(study, t.number) == bracket) members.push_back(t);
  PrunerContext bracket_study{members, study.direction, study.study_name, study.set_trial_system_attr};
  return pruners_[static_cast<size_t>(bracket)].prune(bracket_study, trial);
}

PatientPruner::PatientPruner(std::unique_ptr<Pruner> wrapped, int64_t patience, double min_delta)
    : wrapped_(std::move(wrapped)), patience_(patience), min_delta_(min_delta) {
  if (patience < 0) throw std::invalid_argument("patience cannot be negative");
  if (min_delta < 0) throw std::invalid_argument("min_delta cannot be negative");
}

bool PatientPruner::prune(const PrunerContext& study, FrozenTrial& trial) {
  if (!trial.last_step()) return false;
  const auto& values = trial.intermediate_values;  // ordered by step
  if (static_cast<int64_t>(values.size()) <= patience_ + 1) return false;
  size_t split = values.size() - static_cast<size_t>(patience_ + 1);
  bool maximize = study.direction == StudyDirection::Maximize;
  double before = kNaN, after = kNaN;
  size_t index = 0;
  for (const auto& [step, value] : values) {
    double& target = index++ < split ? before : after;
    if (std::isnan(value)) continue;
    if (std::isnan(target) || (maximize ? value > target : value < target)) target = value;
  }
  bool maybe_prune = maximize ? before - min_delta_ > after : before + min_delta_ < after;
  if (!maybe_prune) return false;
  return wrapped_ ? wrapped_->prune(study, trial) : true;
}

}  // namespace xferval::tune
