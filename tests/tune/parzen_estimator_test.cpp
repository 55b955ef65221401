// The Parzen estimator against Optuna 3.1's own numbers (tests/tune/fixtures/tpe_vectors.json, a copy of
// the project reference shared/reference/tpe_vectors.json).
#include "xferval/tune/parzen_estimator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_support.hpp"
#include "xferval/tune/sampler.hpp"

namespace xferval::tune {
namespace {

// Vectors were generated with Optuna's estimator; the spec's formulas reproduce them to 2e-15.
constexpr double kTolerance = 1e-12;

nlohmann::json vectors() {
  std::ifstream in(xferval::testing::source_path("tests/tune/fixtures/tpe_vectors.json"));
  EXPECT_TRUE(in) << "tpe_vectors.json";
  return nlohmann::json::parse(in);
}

// "FloatDistribution(high=5.0, log=False, low=-5.0, step=None)" and friends.
Distribution parse_repr(const std::string& repr) {
  auto field = [&](const std::string& key) {
    std::smatch m;
    std::regex re(key + "=([^,)]+)");
    if (!std::regex_search(repr, m, re)) return std::string();
    return m[1].str();
  };
  if (repr.rfind("FloatDistribution", 0) == 0) {
    std::string step = field("step");
    std::optional<double> s;
    if (step != "None") s = std::stod(step);
    return make_float(std::stod(field("low")), std::stod(field("high")), field("log") == "True", s);
  }
  if (repr.rfind("IntDistribution", 0) == 0)
    return make_int(std::stoll(field("low")), std::stoll(field("high")), field("log") == "True",
                    std::stoll(field("step")));
  std::vector<ParamValue> choices;
  std::regex quoted("'([^']*)'");
  for (std::sregex_iterator it(repr.begin(), repr.end(), quoted), end; it != end; ++it)
    choices.emplace_back((*it)[1].str());
  return make_categorical(choices);
}

void expect_near_all(const std::vector<double>& actual, const nlohmann::json& expected,
                     const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i].get<double>(), kTolerance * std::max(1.0, std::fabs(actual[i])))
        << what << "[" << i << "]";
}

TEST(TpeVectors, GammaAndWeights) {
  auto v = vectors();
  for (const auto& [n, gamma] : v["gamma"].items())
    EXPECT_EQ(default_gamma(std::stoul(n)), gamma.get<size_t>()) << n;
  expect_near_all(default_weights(30), v["default_weights_30"], "default_weights(30)");
}

TEST(TpeVectors, EveryCaseBothDensities) {
  auto v = vectors();
  ASSERT_EQ(v["cases"].size(), 11u);
  for (const auto& c : v["cases"]) {
    std::string name = c["name"];
    SCOPED_TRACE(name);
    SearchSpace1 space;
    std::vector<std::vector<double>> observations, points;
    for (const auto& [param, repr] : c["space"].items()) {
      space.emplace_back(param, parse_repr(repr.get<std::string>()));
      observations.push_back(c["observations_internal"][param].get<std::vector<double>>());
      points.push_back(c["eval_points_external"][param].get<std::vector<double>>());
    }
    for (bool optuna_3_1 : {true, false}) {
      ParzenParameters parameters;
      parameters.consider_prior = c["params"]["consider_prior"];
      parameters.prior_weight = c["params"]["prior_weight"];
      parameters.consider_magic_clip = c["params"]["consider_magic_clip"];
      parameters.consider_endpoints = c["params"]["consider_endpoints"];
      parameters.multivariate = c["params"]["multivariate"];
      parameters.optuna_3_1_density = optuna_3_1;
      ParzenEstimator estimator(space, observations, parameters);
      expect_near_all(estimator.weights(), c["mixture_weights"], "mixture_weights");
      for (size_t p = 0; p < space.size(); ++p) {
        const std::string& param = space[p].first;
        const auto& k = estimator.kernels(p);
        if (c["mus"][param].is_null()) {
          const auto& rows = c["categorical_weights"][param];
          ASSERT_EQ(k.categorical_weights.size(), rows.size());
          for (size_t r = 0; r < rows.size(); ++r) expect_near_all(k.categorical_weights[r], rows[r], "row");
          continue;
        }
        EXPECT_NEAR(k.low, c["low"][param].get<double>(), kTolerance);
        EXPECT_NEAR(k.high, c["high"][param].get<double>(), kTolerance);
        EXPECT_EQ(k.q, c["q"][param].is_null() ? 0.0 : c["q"][param].get<double>());
        expect_near_all(k.mus, c["mus"][param], "mus");
        expect_near_all(k.sigmas, c["sigmas"][param], "sigmas");
      }
      expect_near_all(estimator.log_pdf(points),
                      c[optuna_3_1 ? "log_pdf_optuna_3_1" : "log_pdf_with_v3_5_scale_fix"],
                      optuna_3_1 ? "log_pdf 3.1" : "log_pdf fixed");
    }
  }
}

TEST(Truncnorm, PpfInvertsTheTruncatedCdf) {
  for (double a : {-30.0, -3.0, -0.5, 0.0, 0.7, 4.0}) {
    for (double width : {0.1, 1.0, 10.0}) {
      double b = a + width;
      for (double q : {1e-9, 0.01, 0.3, 0.5, 0.9, 0.999999}) {
        double x = truncnorm::ppf(q, a, b);
        EXPECT_GE(x, a - 1e-9);
        EXPECT_LE(x, b + 1e-9);
        double mass = std::exp(truncnorm::log_gauss_mass(a, x) - truncnorm::log_gauss_mass(a, b));
        EXPECT_NEAR(mass, q, 1e-7 + 1e-6 * q) << a << " " << b << " " << q;
      }
    }
  }
}

// ndtr's shortcut outside |a / sqrt 2| < 6 relies on erf saturating there exactly (glibc does).
TEST(Truncnorm, ErfSaturatesAtSix) {
  EXPECT_EQ(std::erf(6.0), 1.0);
  EXPECT_EQ(std::erf(-6.0), -1.0);
  EXPECT_EQ(std::erf(40.0), 1.0);
}

TEST(Truncnorm, FastExponentialMatchesStdExp) {
  for (double x = -707.9; x <= 0; x += 0.0137) {
    double expected = std::exp(x);
    EXPECT_NEAR(exp_nonpositive(x), expected, 4.5e-16 * expected) << x;
  }
  EXPECT_EQ(exp_nonpositive(0.0), 1.0);
  EXPECT_EQ(exp_nonpositive(-800.0), 0.0);
  EXPECT_EQ(exp_nonpositive(-std::numeric_limits<double>::infinity()), 0.0);
}

// The sampler passes its incrementally sorted order; the estimator must come out the same as
// when it sorts itself, ties (ints) included.
TEST(ParzenEstimator, GivenSortedOrderGivesTheSameEstimator) {
  std::vector<double> values;
  Rng rng(7);
  for (int i = 0; i < 300; ++i) values.push_back(std::round(rng.uniform(1, 20)));
  for (const Distribution& d : {Distribution(make_int(1, 20)), Distribution(make_float(1, 20)),
                                Distribution(make_float(0.5, 20, true))}) {
    SCOPED_TRACE(distribution_to_json(d));
    SearchSpace1 space{{"x", d}};
    bool log = std::get_if<FloatDistribution>(&d) && std::get<FloatDistribution>(d).log;
    std::vector<size_t> order(values.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto mu = [&](size_t i) { return log ? std::log(values[i]) : values[i]; };
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return mu(a) != mu(b) ? mu(a) < mu(b) : a < b; });
    std::vector<std::vector<size_t>> orders{order};
    ParzenEstimator own(space, {values}, {}), given(space, {values}, {}, &orders);
    EXPECT_EQ(own.kernels(0).sigmas, given.kernels(0).sigmas);
    std::vector<std::vector<double>> points{{1, 5, 7, 19}};
    EXPECT_EQ(own.log_pdf(points), given.log_pdf(points));
  }
}

// TpeSampler refits its estimators in place: a refit must leave nothing of the earlier fit.
TEST(ParzenEstimator, RefitEqualsFreshFit) {
  Rng rng(11);
  auto draw = [&](size_t n) {
    std::vector<double> values(n);
    for (double& v : values) v = std::round(rng.uniform(1, 20) * 4) / 4;
    return values;
  };
  for (const Distribution& d :
       {Distribution(make_float(1, 20)), Distribution(make_float(0.5, 20, true)),
        Distribution(make_int(1, 20)), Distribution(make_float(1, 20, false, 0.25))}) {
    for (bool optuna_3_1 : {true, false}) {
      SCOPED_TRACE(distribution_to_json(d) + (optuna_3_1 ? " 3.1" : " corrected"));
      SearchSpace1 space{{"x", d}};
      ParzenParameters parameters;
      parameters.optuna_3_1_density = optuna_3_1;
      ParzenEstimator reused(space, {draw(300)}, parameters);
      for (size_t n : {40, 700, 3, 0, 120}) {
        std::vector<double> values = draw(n);
        reused.refit({values});
        ParzenEstimator fresh(space, {values}, parameters);
        EXPECT_EQ(reused.weights(), fresh.weights());
        const auto &a = reused.kernels(0), &b = fresh.kernels(0);
        EXPECT_EQ(a.mus, b.mus);
        EXPECT_EQ(a.sigmas, b.sigmas);
        EXPECT_EQ(a.log_normaliser, b.log_normaliser);
        EXPECT_EQ(a.coefficients, b.coefficients);
        EXPECT_EQ(a.shift, b.shift);
        std::vector<std::vector<double>> points{{1, 2.5, 7, 13.25, 19.5}};
        EXPECT_EQ(reused.log_pdf(points), fresh.log_pdf(points));
        Rng first(5), second(5);
        EXPECT_EQ(reused.sample(first, 8), fresh.sample(second, 8));
      }
    }
  }
}

// A sampler told that the history did not change (SamplerContext::history_version) skips reading
// it again for the next parameter: the values it draws must be those of one that reads every time.
TEST(TpeSampler, HistoryVersionGivesTheSameValues) {
  SearchSpace1 space{{"a", make_float(-5, 5)}, {"b", make_float(1e-3, 10, true)}, {"c", make_int(0, 9)}};
  TpeOptions options;
  options.seed = 3;
  TpeSampler versioned(options), unversioned(options);
  std::vector<FrozenTrial> history;
  for (int64_t number = 0; number < 80; ++number) {
    FrozenTrial trial;
    trial.number = trial.trial_id = number;
    SamplerContext with_version{history, StudyDirection::Minimize, next_history_version()};
    SamplerContext without{history, StudyDirection::Minimize};
    double loss = 0;
    for (const auto& [name, distribution] : space) {
      double value = versioned.sample_independent(with_version, trial, name, distribution);
      ASSERT_EQ(value, unversioned.sample_independent(without, trial, name, distribution)) << number << name;
      trial.params[name] = value;
      loss += value * value;
    }
    trial.state = number % 9 == 4 ? TrialState::Pruned : TrialState::Complete;
    if (trial.state == TrialState::Complete) trial.value = loss;
    if (number % 6 == 5) trial.params.erase("b");  // a conditional parameter
    history.push_back(std::move(trial));
  }
}

// What TpeSampler caches between calls is keyed by trial number and checked against the trial
// id: a sampler that has seen one history must split another exactly as a fresh one does.
TEST(TpeSampler, CachedSplitEqualsFreshSplit) {
  auto history = [](int64_t first_id, uint64_t seed, size_t n) {
    std::vector<FrozenTrial> trials(n);
    Rng rng(seed);
    for (size_t i = 0; i < n; ++i) {
      FrozenTrial& t = trials[i];
      t.trial_id = first_id + static_cast<int64_t>(i);
      t.number = static_cast<int64_t>(i);
      t.state = i % 7 == 3 ? TrialState::Pruned : TrialState::Complete;
      if (t.state == TrialState::Complete) t.value = rng.uniform();
      if (t.state == TrialState::Pruned) t.intermediate_values[static_cast<int64_t>(i % 4)] = rng.uniform();
      if (i % 5 != 1) t.params["x"] = rng.uniform(-5, 5);  // a conditional parameter
    }
    return trials;
  };
  Distribution x = make_float(-5, 5);
  for (bool versioned : {false, true}) {
    TpeSampler reused;
    for (auto [first_id, seed, n] : {std::tuple{0, 1, 60}, std::tuple{1000, 2, 80}, std::tuple{0, 3, 40}}) {
      auto trials = history(first_id, static_cast<uint64_t>(seed), static_cast<size_t>(n));
      SamplerContext context{trials, StudyDirection::Minimize};
      if (versioned) context.history_version = next_history_version();
      auto cached = reused.split(context, "x", x), fresh = TpeSampler().split(context, "x", x);
      ASSERT_TRUE(cached && fresh);
      EXPECT_EQ(cached->n, fresh->n);
      EXPECT_EQ(cached->below, fresh->below);
      EXPECT_EQ(cached->above, fresh->above);
    }
  }
}

}  // namespace
}  // namespace xferval::tune
