#include "xferval/stats/sorted_runs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "test_support.hpp"
#include "xferval/core/hash.hpp"

namespace xferval {
namespace {

using testing::bits_of;

// The runs as a plain loop finds them: each run's first value (bit for bit) and its length.
std::vector<std::pair<double, uint64_t>> expected_runs(const std::vector<double>& sorted) {
  std::vector<std::pair<double, uint64_t>> runs;
  for (double value : sorted) {
    if (!runs.empty() && runs.back().first == value) {
      ++runs.back().second;
    } else {
      runs.emplace_back(value, 1);
    }
  }
  return runs;
}

void expect_runs(std::vector<double> values) {
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (a == b) return std::signbit(a) && !std::signbit(b);
    return a < b;
  });
  const auto expected = expected_runs(values);
  uint64_t zeros = 0;
  for (double value : values) zeros += value == 0.0 ? 1 : 0;
  for (auto* find_runs : {&sorted_runs, &sorted_runs_scalar}) {
    std::vector<std::pair<double, uint64_t>> runs(values.size() + 8);
    std::vector<uint64_t> hashes(values.size() + 8);
    const SortedRuns found = (*find_runs)(values.data(), values.size(), runs.data(), hashes.data());
    ASSERT_EQ(found.count, expected.size()) << "n = " << values.size();
    EXPECT_EQ(found.zeros, zeros);
    size_t repeated = 0;
    for (const auto& run : expected) repeated += run.second > 1 ? 1 : 0;
    EXPECT_EQ(found.repeated, repeated);
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(bits_of(runs[i].first), bits_of(expected[i].first))
          << "run " << i << " of n = " << values.size();
      ASSERT_EQ(runs[i].second, expected[i].second) << "run " << i << " of n = " << values.size();
      ASSERT_EQ(hashes[i], hash_number(expected[i].first)) << "run " << i;
    }
  }
}

TEST(SortedRuns, EveryRunLengthAcrossTheVectorBoundaries) {
  std::mt19937_64 rng(9);
  for (size_t n = 0; n <= 70; ++n) {
    for (unsigned distinct : {1u, 2u, 3u, 5u, 40u, 1000000u}) {
      std::vector<double> values(n);
      for (double& v : values) v = static_cast<double>(rng() % distinct) * 0.25 - 1.0;
      expect_runs(values);
    }
  }
}

TEST(SortedRuns, ZerosOfBothSignsAndChunksOfRealData) {
  std::mt19937_64 rng(10);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t n : {size_t{8191}, size_t{8192}, size_t{8193}}) {
    std::vector<double> values(n);
    for (double& v : values) v = std::round(normal(rng) * 100.0) / 100.0;  // many repeats
    for (size_t i = 0; i < n; i += 97) values[i] = (i / 97) % 2 ? 0.0 : -0.0;
    expect_runs(values);
    for (double& v : values) v = normal(rng);  // nearly all distinct
    values[5] = 0.0;
    values[6] = -0.0;
    expect_runs(values);
    std::fill(values.begin(), values.end(), 0.0);  // one run of zeros, its first -0.0
    values[n - 1] = -0.0;
    expect_runs(values);
  }
}

}  // namespace
}  // namespace xferval
