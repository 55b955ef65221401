#pragma once
// Samplers: Optuna 3.1's RandomSampler and univariate TPESampler. Both keep no state between
// trials other than their random stream: everything is recomputed from the trial history, which
// is what lets several workers (or Optuna itself) share one study.
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
};

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

class TpeSampler : public Sampler {
 public:
  explicit TpeSampler(TpeOptions options = {});
  double sample_independent(const SamplerContext& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  std::string name() const override { return "TPESampler"; }
  const TpeOptions& options() const { return options_; }

 private:
  TpeOptions options_;
  Rng rng_;
  Rng startup_rng_;  // Optuna's TPE has its own RandomSampler(seed) for the startup trials
};

std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      std::optional<uint64_t> seed);  // "tpe", "random"

}  // namespace xferval::tune
