#pragma once
// Pruners as in Optuna 3.1 (optuna/pruners): median/percentile, asynchronous successive halving,
// Hyperband and patient, plus "none". Fed by the per-step values a trial reports.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xferval/tune/frozen_trial.hpp"

namespace xferval::tune {

// The part of a study a pruner reads, and the one write it may make (successive halving records
// each rung it passes as the trial system attribute completed_rung_N).
struct PrunerContext {
  const std::vector<FrozenTrial>& trials;  // every trial of the study (or bracket), number order
  StudyDirection direction;
  std::string study_name;
  std::function<void(const std::string& key, double value)> set_trial_system_attr;
};

class Pruner {
 public:
  virtual ~Pruner() = default;
  // `trial` is the current trial as stored, with its intermediate values.
  virtual bool prune(const PrunerContext& study, FrozenTrial& trial) = 0;
  // Trials are compared (and sampled) only within their group; Hyperband's brackets.
  virtual int group_of(const PrunerContext&, int64_t /*trial_number*/) { return 0; }
  virtual bool has_groups() const { return false; }
};

class NopPruner : public Pruner {
 public:
  bool prune(const PrunerContext&, FrozenTrial&) override { return false; }
};

class PercentilePruner : public Pruner {
 public:
  PercentilePruner(double percentile, int n_startup_trials = 5, int64_t n_warmup_steps = 0,
                   int64_t interval_steps = 1, int n_min_trials = 1);
  bool prune(const PrunerContext& study, FrozenTrial& trial) override;

 private:
  double percentile_;
  int n_startup_trials_;
  int64_t n_warmup_steps_;
  int64_t interval_steps_;
  int n_min_trials_;
};

class MedianPruner : public PercentilePruner {
 public:
  explicit MedianPruner(int n_startup_trials = 5, int64_t n_warmup_steps = 0, int64_t interval_steps = 1,
                        int n_min_trials = 1)
      : PercentilePruner(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials) {}
};

class SuccessiveHalvingPruner : public Pruner {
 public:
  // min_resource: nullopt means "auto" (max last step of COMPLETE trials / 100, at least 1).
  explicit SuccessiveHalvingPruner(std::optional<int64_t> min_resource = std::nullopt,
                                   int64_t reduction_factor = 4, int64_t min_early_stopping_rate = 0,
                                   int64_t bootstrap_count = 0);
  bool prune(const PrunerContext& study, FrozenTrial& trial) override;

 private:
  std::optional<int64_t> min_resource_;
  int64_t reduction_factor_;
  int64_t min_early_stopping_rate_;
  int64_t bootstrap_count_;
};

class HyperbandPruner : public Pruner {
 public:
  // max_resource: nullopt means "auto" (max last step of COMPLETE trials + 1).
  explicit HyperbandPruner(int64_t min_resource = 1, std::optional<int64_t> max_resource = std::nullopt,
                           int64_t reduction_factor = 3, int64_t bootstrap_count = 0);
  bool prune(const PrunerContext& study, FrozenTrial& trial) override;
  int group_of(const PrunerContext& study, int64_t trial_number) override;
  bool has_groups() const override { return true; }
  int n_brackets() const { return n_brackets_; }

 private:
  void try_initialise(const PrunerContext& study);
  int64_t min_resource_;
  std::optional<int64_t> max_resource_;
  int64_t reduction_factor_;
  int64_t bootstrap_count_;
  int n_brackets_ = 0;
  int64_t total_budget_ = 0;
  std::vector<int64_t> budgets_;
  std::vector<SuccessiveHalvingPruner> pruners_;
};

class PatientPruner : public Pruner {
 public:
  PatientPruner(std::unique_ptr<Pruner> wrapped, int64_t patience, double min_delta = 0.0);
  bool prune(const PrunerContext& study, FrozenTrial& trial) override;

 private:
  std::unique_ptr<Pruner> wrapped_;
  int64_t patience_;
  double min_delta_;
};

// numpy.nanpercentile with linear interpolation; NaN when every value is NaN.
double nan_percentile(std::vector<double> values, double percentile);
uint32_t crc32(const std::string& bytes);  // zlib's CRC-32, as binascii.crc32

}  // namespace xferval::tune
