// The Parzen estimator against Optuna 3.1's own numbers (tests/tune/fixtures/tpe_vectors.json, a copy of
// the project reference shared/reference/tpe_vectors.json).
#include "xferval/tune/parzen_estimator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_support.hpp"

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

}  // namespace
}  // namespace xferval::tune
