#pragma once
// `xferval tune` as a library call: an Optuna-compatible study whose trials fine-tune a parent
// TorchScript model on target data (xferval/model/fine_tune.hpp). The best trial's model is kept
// as OUTDIR/model.pt with a card (OUTDIR/model.card.json) that carries its lineage.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "xferval/model/fine_tune.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/tune/frozen_trial.hpp"
#include "xferval/tune/search_space.hpp"

namespace xferval::tune {

struct TuneOptions {
  std::string model_path;
  std::string card_path;   // the parent's card: how inputs are standardised, its label set
  std::string data_path;   // labelled target data
  ProfileOptions data;     // label column, .npz member, format, CSV options of the target
  std::string space_path;  // "" takes default_fine_tuning_space()
  int64_t trials = 20;     // the study's total budget, shared by every worker
  std::string storage;     // "" is sqlite:///OUTDIR/study.db
  std::string study_name = "xferval-tune";
  std::string sampler = "tpe";    // tpe | random
  std::string pruner = "median";  // median | asha | hyperband | none
  std::optional<uint64_t> seed;   // samplers; training and the validation split use seed or 0
  std::string output_dir = "tune-out";
  double validation_fraction = 0.2;
  // Fixed settings that the space may override by naming them (see docs/tune.md).
  FineTuneConfig base;
  ModelOptions model;
  double heartbeat_grace_seconds = 120.0;
  // A running trial's heartbeat interval: a thread beats this often, besides every epoch.
  double heartbeat_seconds = 30.0;
  // Re-queue a trial failed for a stale heartbeat or a dead worker as WAITING with the same
  // parameters, at most this many times per original trial (Optuna's RetryFailedTrialCallback).
  std::optional<int64_t> retry_failed;
  std::function<void(const std::string&)> log;  // progress lines (no newline)
};

struct TuneResult {
  std::string study_name;
  std::string storage;
  int64_t budget = 0;
  std::vector<FrozenTrial> best;       // up to 5 COMPLETE trials, best first
  std::optional<int64_t> saved_trial;  // the trial whose model OUTDIR/model.pt holds
  std::string model_path;
  std::string card_path;
  std::vector<std::string> space;  // parameter names, in space order
};

// Runs trials until the study holds `trials` of them. UsageError for bad options (an unknown
// sampler, pruner, storage scheme or space parameter, a study with the other direction); InputError
// for unusable data (one class, fewer training rows than the largest batch size).
TuneResult run_tune(const TuneOptions& options);

// The training settings of one trial: `base` with the space's parameters applied.
FineTuneConfig trial_config(const FineTuneConfig& base, const std::map<std::string, ParamValue>& params);
// The space parameters trial_config understands.
const std::vector<std::string>& tunable_parameters();

}  // namespace xferval::tune
