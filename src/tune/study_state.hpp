#pragma once
// Shared state of a Study and its Trials: storage, sampler, pruner, and a cache of the trial
// history that is refreshed incrementally (finished trials never change, so only the tail from
// the oldest unfinished trial is re-read), as Optuna's _CachedStorage does.
#include <memory>
#include <string>
#include <vector>

#include "xferval/tune/pruner.hpp"
#include "xferval/tune/sampler.hpp"
#include "xferval/tune/storage.hpp"

namespace xferval::tune::detail {

struct StudyState {
  std::unique_ptr<Storage> storage;
  int64_t study_id = -1;
  std::string name;
  StudyDirection direction = StudyDirection::Minimize;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<Pruner> pruner;
  std::vector<FrozenTrial> cache;  // index = trial number
  // Replaced whenever sync() loads anything into `cache` (SamplerContext::history_version).
  uint64_t history_version = next_history_version();
  int64_t reread_from_trial_id = 0;

  void sync();
  PrunerContext pruner_context(const std::vector<FrozenTrial>& trials, int64_t trial_id);
  // The trials the sampler and pruner may compare with `trial`: Hyperband's bracket, copied into
  // `members`, else the whole cache itself (no copy per suggestion).
  const std::vector<FrozenTrial>& group_of(const FrozenTrial& trial, std::vector<FrozenTrial>& members);
};

}  // namespace xferval::tune::detail
