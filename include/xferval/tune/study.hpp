#pragma once
// The library entry point: an Optuna-compatible study in SQLite, driven by ask/tell.
//
//   auto study = Study::create_or_load("sqlite:///study.db", "lr-search", StudyDirection::Minimize,
//                                      std::make_unique<TpeSampler>(), std::make_unique<MedianPruner>());
//   while (auto trial = study.ask_within_budget(50)) {
//     double lr = trial->suggest_float("lr", 1e-5, 1e-1, /*log=*/true);
//     ... trial->report(loss, epoch); if (trial->should_prune()) { study.tell(*trial, TrialState::Pruned);
//     ... } study.tell(*trial, loss);
//   }
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xferval/tune/pruner.hpp"
#include "xferval/tune/sampler.hpp"
#include "xferval/tune/search_space.hpp"
#include "xferval/tune/storage.hpp"
#include "xferval/tune/trial.hpp"

namespace xferval::tune {

class Study {
 public:
  // Opens (creating when needed) the study `name` in the storage. sampler defaults to TPE with
  // a random seed, pruner to none. A study of that name with the other direction: UsageError.
  static Study create_or_load(const std::string& storage_url, const std::string& name,
                              StudyDirection direction, std::unique_ptr<Sampler> sampler = nullptr,
                              std::unique_ptr<Pruner> pruner = nullptr);
  // Opens an existing study with its stored direction; UsageError when there is none.
  static Study load(const std::string& storage_url, const std::string& name,
                    std::unique_ptr<Sampler> sampler = nullptr, std::unique_ptr<Pruner> pruner = nullptr);

  // A new RUNNING trial (or an enqueued WAITING one).
  Trial ask();
  // ask(), then suggests every parameter of the space in order.
  Trial ask(const SearchSpace& space);
  // ask() unless the study already holds `budget` running or finished trials; the budget is
  // checked and the trial created in one transaction, so concurrent workers never overshoot.
  std::optional<Trial> ask_within_budget(int64_t budget, const SearchSpace* space = nullptr);

  // Completes the trial with its objective value; NaN makes it FAIL (as Optuna). Returns the
  // state written.
  TrialState tell(Trial& trial, double value);
  // PRUNED (stores the last reported value when there is one, as Optuna does) or FAIL.
  TrialState tell(Trial& trial, TrialState state);

  // Enqueues a trial with fixed parameters (external values), as Optuna's enqueue_trial.
  void enqueue_trial(const std::map<std::string, ParamValue>& params);
  // FAILs RUNNING trials whose heartbeat is older than the grace period; returns their numbers.
  std::vector<int64_t> fail_stale_trials(double grace_seconds);

  // The COMPLETE trial with the best value (lowest number on ties); std::runtime_error if none.
  FrozenTrial best_trial();
  std::vector<FrozenTrial> trials();
  const std::string& name() const;
  StudyDirection direction() const;
  int64_t study_id() const;
  Storage& storage();

 private:
  explicit Study(std::shared_ptr<detail::StudyState> state) : state_(std::move(state)) {}
  Trial make_trial(FrozenTrial frozen, const SearchSpace* space);
  std::shared_ptr<detail::StudyState> state_;
};

}  // namespace xferval::tune
