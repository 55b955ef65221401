#pragma once
// Samplers: Optuna 3.1's RandomSampler and univariate TPESampler. Both keep no state between
// trials that affects results other than their random stream: everything follows from the trial
// history, which is what lets several workers (or Optuna itself) share one study. (TPE caches what
// it read from finished trials, which only saves time.)
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xferval/tune/frozen_trial.hpp"
#include "xferval/tune/parzen_estimator.hpp"
#include "xferval/tune/rng.hpp"

namespace xferval::tune {

// The part of a study a sampler reads.
struct SamplerContext {
  const std::vector<FrozenTrial>& trials;  // in trial-number order
  StudyDirection direction;
  // Optional, from a caller that knows when `trials` changes: a value from next_history_version()
  // that it replaces whenever a trial in `trials` changes or trials are added or removed. Equal
  // values at two calls then promise the same history, which a sampler need not read again (the
  // parameters of one trial are sampled one call each, against one history).
  std::optional<uint64_t> history_version = std::nullopt;
};

// A value never returned before in this process (thread-safe): see SamplerContext.
uint64_t next_history_version();

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Returns the internal representation of a value of `distribution` for `trial`.
  virtual double sample_independent(const SamplerContext& study, const FrozenTrial& trial,
                                    const std::string& name, const Distribution& distribution) = 0;
  virtual std::string name() const = 0;
};

class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(std::optional<uint64_t> seed = std::nullopt);
  double sample_independent(const SamplerContext& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  std::string name() const override { return "RandomSampler"; }
  // Uniform in the transformed box (Optuna's _SearchSpaceTransform), mapped back.
  static double sample(Rng& rng, const Distribution& distribution);

 private:
  Rng rng_;
};

struct TpeOptions {
  ParzenParameters parzen;  // consider_prior, prior_weight, magic clip, endpoints, density variant
  size_t n_startup_trials = 10;
  size_t n_ei_candidates = 24;
  std::function<size_t(size_t)> gamma = default_gamma;
  bool constant_liar = false;
  std::optional<uint64_t> seed;
};

// The observations that one TPE step fits l(x) (below) and g(x) (above) to, in the internal
// representation and chronological order, as Optuna 3.1's _split_observation_pairs leaves them.
struct TpeSplit {
  size_t n = 0;  // finished trials counted against n_startup_trials and gamma
  std::vector<double> below, above;
};

class TpeSampler : public Sampler {
 public:
  explicit TpeSampler(TpeOptions options = {});
  ~TpeSampler() override;
  double sample_independent(const SamplerContext& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  std::string name() const override { return "TPESampler"; }
  const TpeOptions& options() const { return options_; }
  // The split sample_independent would use, or nullopt while it would still sample at random.
  // For diagnostics and the comparison with Optuna (bench/tpe_bench inspect).
  std::optional<TpeSplit> split(const SamplerContext& study, const std::string& name,
                                const Distribution& distribution);

 private:
  // Finished trials never change, so what was read from them (score, parameter values, the
  // sorted order of each parameter's values) is kept between calls, keyed by trial number and
  // checked against the trial id: a call then costs O(n) cheap steps instead of O(n) map
  // look-ups and an O(n log n) sort per parameter. The history itself is read once per version
  // (SamplerContext::history_version), not once per parameter. The two estimators of each
  // parameter are kept too and refitted in place. Results are the same as without any of it.
  struct Cache;
  struct Prepared;
  // Scores the history and splits it (what does not depend on the parameter).
  void read_history(const SamplerContext& study);
  void forget_values(size_t number);  // of every parameter, for a trial number that changed trial
  // This parameter's observations split for the call, or nullptr while still sampling at random.
  Prepared* prepare(const SamplerContext& study, const std::string& name, const Distribution& distribution);

  TpeOptions options_;
  Rng rng_;
  Rng startup_rng_;  // Optuna's TPE has its own RandomSampler(seed) for the startup trials
  std::unique_ptr<Cache> cache_;
};

std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      std::optional<uint64_t> seed);  // "tpe", "random"

}  // namespace xferval::tune
