#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "xferval/tune/sampler.hpp"

namespace xferval::tune {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Trial numbers above this are not cached (the cache is a vector indexed by number).
constexpr int64_t kMaxCachedNumber = int64_t{1} << 26;
constexpr uint32_t kNotAbove = std::numeric_limits<uint32_t>::max();
// Up to this many new values are inserted one by one into a parameter's sorted values.
constexpr size_t kFewAdded = 8;
// A parameter value not read yet: a NaN payload that arithmetic does not produce (a stored value
// that happens to carry it is only read again at every call).
const double kUnknown = std::bit_cast<double>(uint64_t{0x7ff8dead0000beef});
bool is_unknown(double value) { return std::bit_cast<uint64_t>(value) == std::bit_cast<uint64_t>(kUnknown); }

uint64_t fresh_seed() { return (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}(); }

// Optuna's (step_key, loss) score: COMPLETE ranks ahead of PRUNED, later pruning ahead of earlier.
struct Score {
  double step_key;
  double loss;
};

// COMPLETE, PRUNED and FAIL are final: what was read from such a trial stays valid.
bool is_final(TrialState s) {
  return s == TrialState::Complete || s == TrialState::Pruned || s == TrialState::Fail;
}

// What the split needs from one trial, and what identifies the trial for the cache.
struct TrialEntry {
  int64_t trial_id = -1;  // -1: nothing cached for this number
  TrialState state = TrialState::Running;
  size_t param_count = 0;
  bool scored = false;  // whether the trial takes part in the split
  Score score{};
};

TrialEntry score_of(const FrozenTrial& t, double sign, bool constant_liar) {
  TrialEntry entry{t.trial_id, t.state, t.params.size(), true, {}};
  if (t.state == TrialState::Complete) {
    if (t.value)
      entry.score = {-kInf, sign * *t.value};
    else
      entry.scored = false;
  } else if (t.state == TrialState::Pruned) {
    if (!t.intermediate_values.empty()) {
      auto [step, value] = *t.intermediate_values.rbegin();
      entry.score = {-static_cast<double>(step), std::isnan(value) ? kInf : sign * value};
    } else {
      entry.score = {1, 0.0};
    }
  } else if (t.state == TrialState::Running && constant_liar) {
    entry.score = {kInf, kInf};
  } else {
    entry.scored = false;
  }
  return entry;
}

bool is_log(const Distribution& distribution) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) return f->log;
  if (auto i = std::get_if<IntDistribution>(&distribution)) return i->log;
  return false;
}

}  // namespace

// One parameter's observations for the current call, in the form ParzenEstimator takes (one list
// per parameter of its space), and the estimators last fitted to them: kept between calls, so
// that refitting thousands of kernels every trial reuses memory instead of allocating it.
struct TpeSampler::Prepared {
  size_t n = 0;
  std::vector<std::vector<double>> below{1}, above{1};
  std::vector<std::vector<size_t>> above_order{1};  // above sorted by (mu, index); empty when not known
  std::optional<ParzenEstimator> estimator_below, estimator_above;
};

struct TpeSampler::Cache {
  using TrialEntry = xferval::tune::TrialEntry;
  struct SortedValue {
    double mu;  // transformed (log for log distributions), as the Parzen estimator computes it
    int64_t number;
  };
  struct Param {
    bool log = false;
    // By number: the internal value of the finished trial that `trials` holds for that number,
    // NaN when it lacks the parameter, kUnknown when not read yet. read_history forgets a
    // number's value when another trial (or a changed one) takes the number.
    std::vector<double> value;
    // The cached values present (all of them: clearing the cache clears this too), by (mu, number).
    std::vector<SortedValue> sorted;
    std::vector<SortedValue> added;  // scratch: values cached during this call
    Prepared prepared;
  };

  StudyDirection direction = StudyDirection::Minimize;
  std::vector<TrialEntry> trials;  // by number
  std::unordered_map<std::string, Param> params;

  // The last history read. Its caller-given version, and where it was, identify it: the next
  // call with the same ones skips the read (the parameters of one trial share one history).
  std::optional<uint64_t> history_version;
  const FrozenTrial* history_data = nullptr;
  size_t history_size = 0;
  bool chronological = true;  // numbers increase along the history, as the sorted values assume
  size_t n = 0;               // finished trials among the scored ones
  // Per trial that takes part in the split, in history order: its number (-1 when not
  // cacheable), whether it is finished (its values cacheable), its position in the history.
  std::vector<int64_t> scored_numbers;
  std::vector<char> scored_final;
  std::vector<size_t> scored_positions;
  std::vector<Score> scores;

  // The split of the scored trials, reused while they are the same ones with the same scores.
  std::vector<int64_t> split_numbers;
  std::vector<char> split_below;
  bool split_valid = false;

  // Scratch, per call.
  std::vector<uint32_t> above_position;  // by number: position in this call's above set, or kNotAbove
  std::vector<size_t> order;
};

TpeSampler::TpeSampler(TpeOptions options)
    : options_(std::move(options)),
      rng_(options_.seed ? *options_.seed : fresh_seed()),
      // Optuna gives its startup RandomSampler(seed) a RandomState of the same seed: a second
      // generator that replays the same stream.
      startup_rng_(options_.seed ? *options_.seed : fresh_seed()),
      cache_(std::make_unique<Cache>()) {}

TpeSampler::~TpeSampler() = default;

void TpeSampler::read_history(const SamplerContext& study) {
  Cache& c = *cache_;
  double sign = study.direction == StudyDirection::Minimize ? 1.0 : -1.0;
  c.history_version = study.history_version;
  c.history_data = study.trials.data();
  c.history_size = study.trials.size();
  c.chronological = true;
  bool scores_cached = true;  // every scored trial's score came from the cache
  int64_t previous = -1;
  // Written by index rather than pushed: this loop runs over the whole history.
  size_t count = study.trials.size(), total = 0;
  c.scored_numbers.resize(count);
  c.scored_final.resize(count);
  c.scored_positions.resize(count);
  c.scores.resize(count);
  for (size_t position = 0; position < count; ++position) {
    const FrozenTrial& t = study.trials[position];
    bool cacheable = t.number >= 0 && t.number < kMaxCachedNumber;
    if (t.number <= previous) c.chronological = false;
    previous = std::max(previous, t.number);
    auto index = static_cast<size_t>(cacheable ? t.number : 0);
    if (cacheable && index >= c.trials.size()) c.trials.resize(index + 1);
    const TrialEntry* entry = cacheable ? &c.trials[index] : nullptr;
    bool hit = entry && entry->trial_id == t.trial_id && entry->state == t.state && is_final(t.state) &&
               entry->param_count == t.params.size() &&
               (t.state != TrialState::Complete || !t.value || entry->score.loss == sign * *t.value);
    TrialEntry computed;
    if (!hit) {
      computed = score_of(t, sign, options_.constant_liar);
      if (cacheable && is_final(t.state)) {
        // Values cached for this number came from another trial, or from this one as it was.
        if (c.trials[index].trial_id != -1) forget_values(index);
        c.trials[index] = computed;
      }
      entry = &computed;
      if (computed.scored) scores_cached = false;
    }
    if (!entry->scored) continue;
    c.scored_numbers[total] = cacheable ? t.number : -1;
    c.scored_final[total] = is_final(t.state);
    c.scored_positions[total] = position;
    c.scores[total] = entry->score;
    ++total;
  }
  c.scored_numbers.resize(total);
  c.scored_final.resize(total);
  c.scored_positions.resize(total);
  c.scores.resize(total);
  c.n = static_cast<size_t>(
      std::count_if(c.scores.begin(), c.scores.end(), [](const Score& s) { return s.step_key < kInf; }));
  if (!scores_cached) c.split_valid = false;
  if (c.n < options_.n_startup_trials) return;

  // Below = the gamma(n) best by (step_key, loss); ties by position, as NumPy's stable argsort.
  // Reused when every score came from the cache and the trials are the same ones.
  bool reuse = c.split_valid && c.split_numbers == c.scored_numbers;
  if (reuse) return;
  size_t n_below = std::min(options_.gamma(c.n), total);
  std::vector<size_t>& order = c.order;
  order.resize(total);
  std::iota(order.begin(), order.end(), 0);
  const std::vector<Score>& scores = c.scores;
  auto better = [&](size_t a, size_t b) {
    if (scores[a].step_key != scores[b].step_key) return scores[a].step_key < scores[b].step_key;
    if (scores[a].loss != scores[b].loss) return scores[a].loss < scores[b].loss;
    return a < b;
  };
  if (n_below < total)
    std::nth_element(order.begin(), order.begin() + static_cast<long>(n_below), order.end(), better);
  c.split_below.assign(total, 0);
  for (size_t i = 0; i < n_below; ++i) c.split_below[order[i]] = 1;
  c.split_numbers = c.scored_numbers;
  // Numbers identify the trials when every one is cached (a final trial with a number).
  c.split_valid =
      std::none_of(c.scored_numbers.begin(), c.scored_numbers.end(), [](int64_t v) { return v < 0; }) &&
      std::all_of(c.scored_final.begin(), c.scored_final.end(), [](char f) { return f != 0; });
}

void TpeSampler::forget_values(size_t number) {
  for (auto& [name, pc] : cache_->params) {
    if (number >= pc.value.size() || is_unknown(pc.value[number])) continue;
    // Rare (a history replaced under the same numbers): start this parameter's values over.
    pc.value.assign(pc.value.size(), kUnknown);
    pc.sorted.clear();
  }
}

TpeSampler::Prepared* TpeSampler::prepare(const SamplerContext& study, const std::string& name,
                                          const Distribution& distribution) {
  Cache& c = *cache_;
  if (study.direction != c.direction) {  // another study: nothing cached applies
    *cache_ = Cache{};
    c.direction = study.direction;
  }
  Cache::Param& pc = c.params[name];
  bool log = is_log(distribution);
  if (pc.log != log) {  // the sorted values are in the other transform
    pc = Cache::Param{};
    pc.log = log;
  }
  bool same_history = study.history_version && c.history_version == study.history_version &&
                      c.history_data == study.trials.data() && c.history_size == study.trials.size();
  if (!same_history) read_history(study);
  Prepared& out = pc.prepared;
  out.n = c.n;
  if (out.n < options_.n_startup_trials) return nullptr;

  // This parameter's values, chronological within each set because the weights depend on age;
  // trials that lack the parameter are dropped only after the split (conditional spaces).
  std::vector<double>& below = out.below[0];
  std::vector<double>& above = out.above[0];
  std::vector<size_t>& above_order = out.above_order[0];
  below.clear();
  above.clear();
  above_order.clear();
  pc.added.clear();
  c.above_position.assign(c.trials.size(), kNotAbove);
  bool all_cached = true;  // every value came from (or went into) the cache
  for (size_t i = 0; i < c.scored_numbers.size(); ++i) {
    int64_t number = c.scored_numbers[i];
    auto index = static_cast<size_t>(number);
    bool cacheable = number >= 0 && c.scored_final[i];
    double value = cacheable && index < pc.value.size() ? pc.value[index] : kUnknown;
    if (is_unknown(value)) {
      const FrozenTrial& t = study.trials[c.scored_positions[i]];
      auto it = t.params.find(name);
      value = it == t.params.end() ? kNaN : it->second;
      if (cacheable) {
        if (index >= pc.value.size()) pc.value.resize(index + 1, kUnknown);
        pc.value[index] = value;
        if (!std::isnan(value)) pc.added.push_back({log ? std::log(value) : value, number});
      } else {
        all_cached = false;
      }
    }
    if (std::isnan(value)) continue;
    if (c.split_below[i]) {
      below.push_back(value);
    } else {
      if (number >= 0) c.above_position[index] = static_cast<uint32_t>(above.size());
      above.push_back(value);
    }
  }
  if (!pc.added.empty()) {
    auto by_value = [](const Cache::SortedValue& a, const Cache::SortedValue& b) {
      return a.mu != b.mu ? a.mu < b.mu : a.number < b.number;
    };
    std::sort(pc.added.begin(), pc.added.end(), by_value);
    if (pc.added.size() <= kFewAdded) {  // usually one value a call: insert, no merge buffer
      for (const Cache::SortedValue& v : pc.added)
        pc.sorted.insert(std::upper_bound(pc.sorted.begin(), pc.sorted.end(), v, by_value), v);
    } else {
      size_t old_size = pc.sorted.size();
      pc.sorted.insert(pc.sorted.end(), pc.added.begin(), pc.added.end());
      std::inplace_merge(pc.sorted.begin(), pc.sorted.begin() + static_cast<long>(old_size), pc.sorted.end(),
                         by_value);
    }
  }
  // The above set in (mu, position) order, read off the cached sorted values: positions follow
  // trial numbers when the history is chronological.
  if (c.chronological && all_cached) {
    above_order.reserve(above.size());
    for (const Cache::SortedValue& v : pc.sorted) {
      uint32_t position = c.above_position[static_cast<size_t>(v.number)];
      if (position != kNotAbove) above_order.push_back(position);
    }
    if (above_order.size() != above.size()) above_order.clear();
  }
  return &out;
}

std::optional<TpeSplit> TpeSampler::split(const SamplerContext& study, const std::string& name,
                                          const Distribution& distribution) {
  Prepared* prepared = prepare(study, name, distribution);
  if (!prepared) return std::nullopt;
  return TpeSplit{prepared->n, prepared->below[0], prepared->above[0]};
}

namespace {

// `estimator` fitted to `observations`: refitted in place when it was made for this distribution
// (its arrays are reused), else made anew.
const ParzenEstimator& fit(std::optional<ParzenEstimator>& estimator, const std::string& name,
                           const Distribution& distribution, const ParzenParameters& parameters,
                           const std::vector<std::vector<double>>& observations,
                           const std::vector<std::vector<size_t>>* sorted_orders = nullptr) {
  if (estimator && estimator->space()[0].second == distribution)
    estimator->refit(observations, sorted_orders);
  else
    estimator.emplace(SearchSpace1{{name, distribution}}, observations, parameters, sorted_orders);
  return *estimator;
}

}  // namespace

double TpeSampler::sample_independent(const SamplerContext& study, const FrozenTrial&,
                                      const std::string& name, const Distribution& distribution) {
  Prepared* prepared = prepare(study, name, distribution);
  if (!prepared) return RandomSampler::sample(startup_rng_, distribution);
  const ParzenEstimator& estimator_below =
      fit(prepared->estimator_below, name, distribution, options_.parzen, prepared->below);
  const ParzenEstimator& estimator_above = fit(prepared->estimator_above, name, distribution, options_.parzen,
                                               prepared->above, &prepared->above_order);
  auto candidates = estimator_below.sample(rng_, options_.n_ei_candidates);
  auto log_l = estimator_below.log_pdf(candidates);
  auto log_g = estimator_above.log_pdf(candidates);
  // argmax of log l - log g, the first on ties (numpy.argmax).
  size_t best = 0;
  double best_score = -kInf;
  for (size_t i = 0; i < log_l.size(); ++i) {
    double score = log_l[i] - log_g[i];
    if (i == 0 || score > best_score) best_score = score, best = i;
  }
  return candidates[0][best];
}

uint64_t next_history_version() {
  static std::atomic<uint64_t> last{0};
  return ++last;
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
