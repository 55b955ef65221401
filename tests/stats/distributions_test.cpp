#include "xferval/stats/distributions.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;

// Relative difference, with an absolute floor for values that are (nearly) zero.
void expect_close(double actual, double expected, double relative, const std::string& what,
                  double absolute = 1e-300) {
  const double tolerance = std::max(relative * std::abs(expected), absolute);
  EXPECT_NEAR(actual, expected, tolerance) << what;
}

TEST(Distributions, ContinuousFamiliesMatchScipy) {
  const std::vector<double> zs = {-8.0, -3.0, -1.0, 0.0, 0.5, 1.96, 3.0, 8.0, 20.0, 37.5};
  const std::vector<std::pair<double, double>> chi2_points = {{0.5, 1},  {3.84, 1}, {10, 4},   {93.217, 64},
                                                              {150, 64}, {1e-3, 3}, {400, 30}, {57.3, 2.5}};
  const std::vector<double> ps = {1e-12, 0.001, 0.05, 0.5, 0.95, 0.99, 0.999999};
  const std::vector<double> dofs = {1, 2, 4.5, 64, 1000};
  struct FPoint {
    double x, d1, d2;
  };
  const std::vector<FPoint> f_points = {{0.5, 3, 10}, {2.5, 5, 20}, {10, 2, 100}, {1.0, 64, 500}, {30, 4, 7}};

  json input = {{"z", zs}, {"ps", ps}, {"dofs", dofs}};
  for (auto [x, k] : chi2_points) input["chi2"].push_back({x, k});
  for (auto [x, a, b] : f_points) input["f"].push_back({x, a, b});
  const std::string out = run_python(
      "import json, sys\n"
      "from scipy import stats\n"
      "d = json.loads('" +
      input.dump() +
      "')\n"
      "r = {'z': [stats.norm.sf(z) for z in d['z']],\n"
      "     'chi2': [stats.chi2.sf(x, k) for x, k in d['chi2']],\n"
      "     'q': [[stats.chi2.ppf(p, k) for k in d['dofs']] for p in d['ps']],\n"
      "     'f': [stats.f.sf(x, a, b) for x, a, b in d['f']]}\n"
      "print(json.dumps(r))\n");
  const json expected = json::parse(out);
  for (size_t i = 0; i < zs.size(); ++i) {
    expect_close(dist::normal_sf(zs[i]), expected["z"][i].get<double>(), 1e-12,
                 "normal_sf " + std::to_string(zs[i]));
  }
  for (size_t i = 0; i < chi2_points.size(); ++i) {
    expect_close(dist::chi2_sf(chi2_points[i].first, chi2_points[i].second),
                 expected["chi2"][i].get<double>(), 1e-11, "chi2_sf #" + std::to_string(i));
  }
  for (size_t i = 0; i < ps.size(); ++i) {
    for (size_t j = 0; j < dofs.size(); ++j) {
      expect_close(dist::chi2_quantile(ps[i], dofs[j]), expected["q"][i][j].get<double>(), 1e-11,
                   "chi2_quantile p=" + std::to_string(ps[i]) + " dof=" + std::to_string(dofs[j]));
    }
  }
  for (size_t i = 0; i < f_points.size(); ++i) {
    expect_close(dist::f_sf(f_points[i].x, f_points[i].d1, f_points[i].d2), expected["f"][i].get<double>(),
                 1e-11, "f_sf #" + std::to_string(i));
  }
  // The figure quoted in the header, independently of SciPy.
  EXPECT_NEAR(dist::chi2_quantile(0.99, 64), 93.217, 5e-4);
}

TEST(Distributions, KolmogorovAndSmirnovMatchScipySpecial) {
  std::vector<double> xs;
  for (double x = 0.02; x < 3.5; x += 0.0373) xs.push_back(x);
  xs.push_back(0.82);
  xs.push_back(0.8200001);
  struct Point {
    long long n;
    double x;
  };
  std::vector<Point> smirnov_points;
  for (long long n : {2LL, 5LL, 10LL, 37LL, 140LL, 1000LL, 6667LL, 50000LL, 500000LL, 2000000LL}) {
    for (double x : {0.001, 0.01, 0.03, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.95})
      smirnov_points.push_back({n, x});
    smirnov_points.push_back({n, 1.0 / static_cast<double>(n)});
    smirnov_points.push_back({n, 2.0 / static_cast<double>(n)});
  }
  json input = {{"x", xs}};
  for (const auto& p : smirnov_points) input["s"].push_back({p.n, p.x});
  const json expected =
      json::parse(run_python("import json\n"
                             "from scipy import special\n"
                             "d = json.loads('" +
                             input.dump() +
                             "')\n"
                             "print(json.dumps({'k': [special.kolmogorov(x) for x in d['x']],\n"
                             "                  's': [special.smirnov(int(n), x) for n, x in d['s']]}))\n"));
  for (size_t i = 0; i < xs.size(); ++i) {
    expect_close(dist::kolmogorov_sf(xs[i]), expected["k"][i].get<double>(), 1e-12,
                 "kolmogorov_sf " + std::to_string(xs[i]), 1e-300);
  }
  for (size_t i = 0; i < smirnov_points.size(); ++i) {
    const auto& p = smirnov_points[i];
    expect_close(dist::smirnov_sf(p.n, p.x), expected["s"][i].get<double>(), 1e-10,
                 "smirnov n=" + std::to_string(p.n) + " x=" + std::to_string(p.x), 1e-300);
  }
}

TEST(Distributions, KstwoSurvivalMatchesScipyInEveryRegion) {
  // Points chosen to reach every branch of SciPy's kolmogn: Ruben-Gambino at both ends, Durbin's
  // matrix, Pomeranz, 2 * smirnov, Pelz-Good, and the n > 100000 cut-offs.
  struct Point {
    long long n;
    double x;
  };
  std::vector<Point> points;
  for (long long n :
       {1LL, 3LL, 10LL, 50LL, 100LL, 140LL, 141LL, 1000LL, 6667LL, 50000LL, 100000LL, 100001LL, 500000LL}) {
    const double nd = static_cast<double>(n);
    for (double c : {0.3, 0.7, 0.85, 1.0, 1.2, 1.5, 1.9, 2.1, 2.4, 3.0, 5.0}) {
      const double x = c / std::sqrt(nd);  // n x^2 = c^2 spans the algorithm cut-offs
      if (x < 1) points.push_back({n, x});
    }
    for (double x : {0.6 / nd, 0.9 / nd, 1.0 - 1.5 / nd, 0.55, 0.97}) {
      if (x > 0 && x < 1) points.push_back({n, x});
    }
  }
  json input = json::array();
  for (const auto& p : points) input.push_back({p.n, p.x});
  const json expected =
      json::parse(run_python("import json\n"
                             "from scipy import stats\n"
                             "d = json.loads('" +
                             input.dump() +
                             "')\n"
                             "print(json.dumps([stats.kstwo.sf(x, n) for n, x in d]))\n"));
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    expect_close(dist::kstwo_sf(p.x, p.n), expected[i].get<double>(), 1e-10,
                 "kstwo n=" + std::to_string(p.n) + " x=" + std::to_string(p.x), 1e-300);
  }
}

TEST(Distributions, EdgesOfTheSupport) {
  EXPECT_EQ(dist::normal_sf(std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_EQ(dist::normal_sf(-std::numeric_limits<double>::infinity()), 1.0);
  EXPECT_EQ(dist::chi2_sf(0.0, 3), 1.0);
  EXPECT_EQ(dist::chi2_sf(-1.0, 3), 1.0);
  EXPECT_EQ(dist::chi2_quantile(0.0, 3), 0.0);
  EXPECT_EQ(dist::f_sf(0.0, 3, 4), 1.0);
  EXPECT_EQ(dist::kolmogorov_sf(0.0), 1.0);
  EXPECT_EQ(dist::kstwo_sf(0.0, 10), 1.0);
  EXPECT_EQ(dist::kstwo_sf(1.0, 10), 0.0);
  EXPECT_EQ(dist::smirnov_sf(10, 0.0), 1.0);
  EXPECT_EQ(dist::smirnov_sf(10, 1.0), 0.0);
}

TEST(Distributions, BadArgumentsThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(dist::normal_sf(nan), std::invalid_argument);
  EXPECT_THROW(dist::chi2_sf(1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(dist::chi2_sf(1.0, -2.0), std::invalid_argument);
  EXPECT_THROW(dist::chi2_sf(nan, 2.0), std::invalid_argument);
  EXPECT_THROW(dist::chi2_quantile(1.5, 2.0), std::invalid_argument);
  EXPECT_THROW(dist::chi2_quantile(nan, 2.0), std::invalid_argument);
  EXPECT_THROW(dist::f_sf(1.0, 0.0, 3.0), std::invalid_argument);
  EXPECT_THROW(dist::kolmogorov_sf(nan), std::invalid_argument);
  EXPECT_THROW(dist::smirnov_sf(0, 0.5), std::invalid_argument);
  EXPECT_THROW(dist::smirnov_sf(5, 1.5), std::invalid_argument);
  EXPECT_THROW(dist::kstwo_sf(0.5, 0), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
