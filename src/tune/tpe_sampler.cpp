#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include "xferval/tune/sampler.hpp"

namespace xferval::tune {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Trial numbers above this are not cached (the cache is a vector indexed by number).
constexpr int64_t kMaxCachedNumber = int64_t{1} << 26;

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

bool is_log(const Distribution& distribution) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) return f->log;
  if (auto i = std::get_if<IntDistribution>(&distribution)) return i->log;
  return false;
}

}  // namespace

struct TpeSampler::Cache {
  struct TrialEntry {
    int64_t trial_id = -1;  // -1: nothing cached for this number
    TrialState state = TrialState::Running;
    size_t param_count = 0;
    bool scored = false;
    Score score{};
  };
  struct SortedValue {
    double mu;  // transformed (log for log distributions), as the Parzen estimator computes it
    int64_t number;
    int64_t trial_id;
  };
  struct Param {
    bool log = false;
    std::vector<int64_t> trial_id;    // by number: the trial whose value is cached, or -1
    std::vector<double> value;        // by number: internal value, NaN when the trial lacks it
    std::vector<SortedValue> sorted;  // cached values present, by (mu, number)
    std::vector<SortedValue> added;   // scratch: values cached during this call
  };

  StudyDirection direction = StudyDirection::Minimize;
  std::vector<TrialEntry> trials;  // by number
  std::unordered_map<std::string, Param> params;

  // The last split, reused while the scored trials are the same ones (every parameter of a
  // trial asks with the same history).
  std::vector<int64_t> split_numbers;
  std::vector<char> split_below;
  bool split_valid = false;

  // Scratch, per call.
  std::vector<Score> scores;
  std::vector<int64_t> numbers;  // per scored trial; -1 when uncached
  std::vector<double> values;
  std::vector<uint32_t> above_stamp;  // by number: == generation when in this call's above set
  std::vector<uint32_t> above_position;
  uint32_t generation = 0;
};

struct TpeSampler::Prepared {
  size_t n = 0;
  std::vector<double> below, above;
  std::vector<size_t> above_order;  // above sorted by (mu, index); empty when not known
};

TpeSampler::TpeSampler(TpeOptions options)
    : options_(std::move(options)),
      rng_(options_.seed ? *options_.seed : fresh_seed()),
      // Optuna gives its startup RandomSampler(seed) a RandomState of the same seed: a second
      // generator that replays the same stream.
      startup_rng_(options_.seed ? *options_.seed : fresh_seed()),
      cache_(std::make_unique<Cache>()) {}

TpeSampler::~TpeSampler() = default;

bool TpeSampler::prepare(const SamplerContext& study, const std::string& name,
                         const Distribution& distribution, Prepared& out) {
  Cache& c = *cache_;
  double sign = study.direction == StudyDirection::Minimize ? 1.0 : -1.0;
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
  pc.added.clear();
  c.scores.clear();
  c.numbers.clear();
  c.values.clear();
  bool chronological = true;  // numbers increase along study.trials, as the sorted cache assumes
  bool all_cached = true;     // every scored trial came from (or went into) the cache
  int64_t previous = -1;
  for (const FrozenTrial& t : study.trials) {
    bool cacheable = t.number >= 0 && t.number < kMaxCachedNumber;
    if (t.number <= previous) chronological = false;
    previous = std::max(previous, t.number);
    auto index = static_cast<size_t>(cacheable ? t.number : 0);
    if (cacheable && index >= c.trials.size()) c.trials.resize(index + 1);
    Cache::TrialEntry computed;
    Cache::TrialEntry* entry = &computed;
    if (cacheable) {
      Cache::TrialEntry& e = c.trials[index];
      bool hit = e.trial_id == t.trial_id && e.state == t.state && is_final(t.state) &&
                 e.param_count == t.params.size() &&
                 (t.state != TrialState::Complete || !t.value || e.score.loss == sign * *t.value);
      if (hit) entry = &e;
    }
    if (entry == &computed) {
      computed.trial_id = t.trial_id;
      computed.state = t.state;
      computed.param_count = t.params.size();
      computed.scored = true;
      if (t.state == TrialState::Complete) {
        if (t.value)
          computed.score = {-kInf, sign * *t.value};
        else
          computed.scored = false;
      } else if (t.state == TrialState::Pruned) {
        if (!t.intermediate_values.empty()) {
          auto [step, value] = *t.intermediate_values.rbegin();
          computed.score = {-static_cast<double>(step), std::isnan(value) ? kInf : sign * value};
        } else {
          computed.score = {1, 0.0};
        }
      } else if (t.state == TrialState::Running && options_.constant_liar) {
        computed.score = {kInf, kInf};
      } else {
        computed.scored = false;
      }
      if (cacheable && is_final(t.state)) c.trials[index] = computed;
    }
    if (!entry->scored) continue;

    double value;
    bool cached_value =
        cacheable && is_final(t.state) && index < pc.trial_id.size() && pc.trial_id[index] == t.trial_id;
    if (cached_value) {
      value = pc.value[index];
    } else {
      auto it = t.params.find(name);
      value = it == t.params.end() ? kNaN : it->second;
      if (cacheable && is_final(t.state)) {
        if (index >= pc.trial_id.size()) pc.trial_id.resize(index + 1, -1), pc.value.resize(index + 1, kNaN);
        if (pc.trial_id[index] != -1) pc.sorted.clear(), pc.trial_id.assign(pc.trial_id.size(), -1);
        pc.trial_id[index] = t.trial_id;
        pc.value[index] = value;
        if (!std::isnan(value)) pc.added.push_back({log ? std::log(value) : value, t.number, t.trial_id});
      } else {
        all_cached = false;
      }
    }
    c.scores.push_back(entry->score);
    c.numbers.push_back(cacheable ? t.number : -1);
    c.values.push_back(value);
  }
  if (!pc.added.empty()) {
    auto by_value = [](const Cache::SortedValue& a, const Cache::SortedValue& b) {
      return a.mu != b.mu ? a.mu < b.mu : a.number < b.number;
    };
    std::sort(pc.added.begin(), pc.added.end(), by_value);
    size_t old_size = pc.sorted.size();
    pc.sorted.insert(pc.sorted.end(), pc.added.begin(), pc.added.end());
    std::inplace_merge(pc.sorted.begin(), pc.sorted.begin() + static_cast<long>(old_size), pc.sorted.end(),
                       by_value);
  }

  size_t total = c.scores.size();
  out.n = static_cast<size_t>(
      std::count_if(c.scores.begin(), c.scores.end(), [](const Score& s) { return s.step_key < kInf; }));
  if (out.n < options_.n_startup_trials) return false;

  // Below = the gamma(n) best by (step_key, loss); ties by position, as NumPy's stable argsort.
  // Every parameter of one trial sees the same scored trials, so the split is computed once.
  bool reuse = all_cached && c.split_valid && c.split_numbers == c.numbers;
  if (!reuse) {
    size_t n_below = std::min(options_.gamma(out.n), total);
    std::vector<size_t> order(total);
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
    c.split_numbers = c.numbers;
    c.split_valid = all_cached;
  }

  // Chronological order within each set, because the weights depend on age; trials that lack
  // the parameter are dropped only after the split (conditional spaces).
  out.below.clear();
  out.above.clear();
  out.above_order.clear();
  if (++c.generation == 0) c.above_stamp.assign(c.above_stamp.size(), 0), c.generation = 1;
  if (c.above_stamp.size() < c.trials.size()) {
    c.above_stamp.resize(c.trials.size(), 0);
    c.above_position.resize(c.trials.size(), 0);
  }
  for (size_t i = 0; i < total; ++i) {
    if (std::isnan(c.values[i])) continue;
    if (c.split_below[i]) {
      out.below.push_back(c.values[i]);
    } else {
      if (c.numbers[i] >= 0) {
        auto number = static_cast<size_t>(c.numbers[i]);
        c.above_stamp[number] = c.generation;
        c.above_position[number] = static_cast<uint32_t>(out.above.size());
      }
      out.above.push_back(c.values[i]);
    }
  }
  // The above set in (mu, position) order, read off the cached sorted values: positions follow
  // trial numbers when the history is chronological.
  if (chronological && all_cached) {
    out.above_order.reserve(out.above.size());
    for (const Cache::SortedValue& v : pc.sorted) {
      auto number = static_cast<size_t>(v.number);
      if (c.above_stamp[number] == c.generation && pc.trial_id[number] == v.trial_id)
        out.above_order.push_back(c.above_position[number]);
    }
    if (out.above_order.size() != out.above.size()) out.above_order.clear();
  }
  return true;
}

std::optional<TpeSplit> TpeSampler::split(const SamplerContext& study, const std::string& name,
                                          const Distribution& distribution) {
  Prepared prepared;
  if (!prepare(study, name, distribution, prepared)) return std::nullopt;
  return TpeSplit{prepared.n, std::move(prepared.below), std::move(prepared.above)};
}

double TpeSampler::sample_independent(const SamplerContext& study, const FrozenTrial&,
                                      const std::string& name, const Distribution& distribution) {
  Prepared prepared;
  if (!prepare(study, name, distribution, prepared)) return RandomSampler::sample(startup_rng_, distribution);
  SearchSpace1 space{{name, distribution}};
  ParzenEstimator estimator_below(space, {prepared.below}, options_.parzen);
  std::vector<std::vector<size_t>> orders{std::move(prepared.above_order)};
  ParzenEstimator estimator_above(space, {prepared.above}, options_.parzen, &orders);
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
