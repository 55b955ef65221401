#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {
namespace {

using nlohmann::json;

TEST(WeightedKendallTau, MatchesScipyOnRandomAndTiedVectors) {
  json cases = json::parse(testing::run_python(R"(
import json, numpy as np
from scipy.stats import weightedtau
rs = np.random.RandomState(3)
cases = []
for n in [2, 3, 10, 50, 200]:
    cases.append((rs.randn(n), rs.randn(n)))
for n in [10, 40, 120]:
    cases.append((rs.randint(0, 4, n).astype(float), rs.randint(0, 3, n).astype(float)))
    x = rs.randn(n); cases.append((x, np.round(x + 0.5 * rs.randn(n))))
x = rs.randn(30); cases.append((x, -x)); cases.append((x, x))
cases.append((np.array([1., 1., 2., 2., 3.]), np.array([5., 5., 4., 4., 1.])))
print(json.dumps([dict(x=a.tolist(), y=b.tolist(), tau=float(weightedtau(a, b).correlation)) for a, b in cases]))
)"));
  ASSERT_GT(cases.size(), 10u);
  for (const json& c : cases) {
    double tau = weighted_kendall_tau(c["x"].get<std::vector<double>>(), c["y"].get<std::vector<double>>());
    EXPECT_NEAR(tau, c["tau"].get<double>(), 1e-10) << c["x"].size();
  }
}

TEST(WeightedKendallTau, ConstantInputIsNaNAndBadInputThrows) {
  EXPECT_TRUE(std::isnan(weighted_kendall_tau({1, 1, 1}, {1, 2, 3})));
  EXPECT_THROW(weighted_kendall_tau({1, 2}, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(weighted_kendall_tau({1}, {1}), std::invalid_argument);
  EXPECT_THROW(weighted_kendall_tau({1, NAN}, {1, 2}), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
