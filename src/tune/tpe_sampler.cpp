#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "xferval/tune/sampler.hpp"

namespace xferval::tune {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

uint64_t fresh_seed() { return (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}(); }

// Optuna's (step_key, loss) score: COMPLETE ranks ahead of PRUNED, later pruning ahead of earlier.
struct Score {
  double step_key;
  double loss;
};

}  // namespace

TpeSampler::TpeSampler(TpeOptions options)
    : options_(std::move(options)),
      rng_(options_.seed ? *options_.seed : fresh_seed()),
      // Optuna seeds its startup RandomSampler with the same seed but a separate stream.
      startup_rng_(options_.seed ? *options_.seed ^ 0x5DEECE66Dull : fresh_seed()) {}

double TpeSampler::sample_independent(const SamplerContext& study, const FrozenTrial&,
                                      const std::string& name, const Distribution& distribution) {
  double sign = study.direction == StudyDirection::Minimize ? 1.0 : -1.0;
  std::vector<Score> scores;
  std::vector<double> values;  // NaN where the trial lacks the parameter
  scores.reserve(study.trials.size());
  values.reserve(study.trials.size());
  for (const FrozenTrial& t : study.trials) {
    Score score;
    if (t.state == TrialState::Complete) {
      if (!t.value) continue;
      score = {-kInf, sign * *t.value};
    } else if (t.state == TrialState::Pruned) {
      if (!t.intermediate_values.empty()) {
        auto [step, value] = *t.intermediate_values.rbegin();
        score = {-static_cast<double>(step), std::isnan(value) ? kInf : sign * value};
      } else {
        score = {1, 0.0};
      }
    } else if (t.state == TrialState::Running && options_.constant_liar) {
      score = {kInf, kInf};
    } else {
      continue;
    }
    scores.push_back(score);
    auto it = t.params.find(name);
    values.push_back(it == t.params.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
  }
  size_t n = static_cast<size_t>(
      std::count_if(scores.begin(), scores.end(), [](const Score& s) { return s.step_key < kInf; }));
  if (n < options_.n_startup_trials) return RandomSampler::sample(startup_rng_, distribution);

  size_t n_below = std::min(options_.gamma(n), scores.size());
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  // Only the best n_below matter. Breaking ties by index makes the order total and equal to
  // NumPy's stable argsort, so a selection (O(n)) replaces the full sort.
  auto better = [&](size_t a, size_t b) {
    if (scores[a].step_key != scores[b].step_key) return scores[a].step_key < scores[b].step_key;
    if (scores[a].loss != scores[b].loss) return scores[a].loss < scores[b].loss;
    return a < b;
  };
  if (n_below < order.size())
    std::nth_element(order.begin(), order.begin() + static_cast<long>(n_below), order.end(), better);
  std::vector<char> is_below(scores.size(), 0);
  for (size_t i = 0; i < n_below; ++i) is_below[order[i]] = 1;
  // Chronological order within each set, because the weights depend on age; trials that lack
  // the parameter are dropped only after the split (conditional spaces).
  std::vector<double> below, above;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(values[i])) continue;
    (is_below[i] ? below : above).push_back(values[i]);
  }
  SearchSpace1 space{{name, distribution}};
  ParzenEstimator estimator_below(space, {below}, options_.parzen);
  ParzenEstimator estimator_above(space, {above}, options_.parzen);
  auto candidates = estimator_below.sample(rng_, options_.n_ei_candidates);
  auto log_l = estimator_below.log_pdf(candidates);
  auto log_g = estimator_above.log_pdf(candidates);
  size_t best = 0;
  double best_score = -kInf;
  for (size_t i = 0; i < log_l.size(); ++i) {
    double score = log_l[i] - log_g[i];
    if (score > best_score || (i == 0)) {
      if (i == 0 || score > best_score) best_score = score, best = i;
    }
  }
  return candidates[0][best];
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, std::optional<uint64_t> seed) {
  if (name == "tpe") {
    TpeOptions options;
    options.seed = seed;
    return std::make_unique<TpeSampler>(options);
  }
  if (name == "random") return std::make_unique<RandomSampler>(seed);
  throw std::invalid_argument("unknown sampler '" + name + "' (expected tpe or random)");
}

}  // namespace xferval::tune
