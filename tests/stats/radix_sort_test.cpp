#include "xferval/stats/radix_sort.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace xferval {
namespace {

uint64_t bits_of(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// std::sort's order, with -0.0 before +0.0, compared bit for bit.
void expect_sorted_like_std(std::vector<double> values) {
  std::vector<double> expected = values;
  std::sort(expected.begin(), expected.end(), [](double a, double b) {
    if (a == b) return std::signbit(a) && !std::signbit(b);
    return a < b;
  });
  std::vector<uint64_t> scratch;
  radix_sort(values.data(), values.size(), scratch);
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(bits_of(values[i]), bits_of(expected[i]))
        << "at " << i << ": " << values[i] << " vs " << expected[i];
  }
}

TEST(RadixSort, RandomDoublesOfEverySignAndScale) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{17}, size_t{8192}, size_t{100000}}) {
    std::vector<double> values(n);
    for (double& v : values) v = std::ldexp(normal(rng), exponent(rng));
    expect_sorted_like_std(values);
  }
}

TEST(RadixSort, SpecialValuesAndRepeats) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0.0,
                                -0.0,
                                inf,
                                -inf,
                                1.0,
                                -1.0,
                                0.0,
                                -0.0,
                                inf,
                                5e-324,
                                -5e-324,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest()};
  for (int i = 0; i < 1000; ++i) values.push_back(static_cast<double>(i % 7));
  expect_sorted_like_std(values);
}

TEST(RadixSort, ValuesThatShareTheirTopBits) {
  // Neighbours a few ulps apart agree on the three digits the radix passes sort by, so their
  // order comes from the group sort: small groups and one of 5000.
  std::mt19937_64 rng(2);
  std::vector<double> values;
  for (int group = 0; group < 200; ++group) {
    const double base = 1.0 + group;
    for (int j = 0; j < 1 + group % 20; ++j)
      values.push_back(std::nextafter(base, 2e9 * (rng() % 2)) + (rng() % 5) * 1e-15);
  }
  for (int j = 0; j < 5000; ++j) values.push_back(1e6 + static_cast<double>(rng() % 100000) * 1e-10);
  std::shuffle(values.begin(), values.end(), rng);
  expect_sorted_like_std(values);
}

TEST(RadixSort, IntegersLikeACategoricalColumn) {
  std::mt19937_64 rng(3);
  std::vector<double> values(8192);
  for (double& v : values) v = static_cast<double>(rng() % 100);
  expect_sorted_like_std(values);
}

TEST(RadixSort, SmallIntegerSpansAndWhatLeavesThemToTheRadixPasses) {
  std::mt19937_64 rng(4);
  std::vector<double> counted(8192);  // negative and positive integers: sorted by counting
  for (double& v : counted) v = static_cast<double>(static_cast<int64_t>(rng() % 3000) - 1500);
  expect_sorted_like_std(counted);
  std::vector<double> signed_zero = counted;  // -0.0 keeps its place before +0.0
  signed_zero[17] = -0.0;
  signed_zero[4000] = 0.0;
  expect_sorted_like_std(signed_zero);
  std::vector<double> late_fraction = counted;  // integral for 8000 values, then a fraction
  late_fraction[8000] = 0.5;
  expect_sorted_like_std(late_fraction);
  std::vector<double> wide = counted;  // a span too wide to count
  wide[5000] = 1e9;
  expect_sorted_like_std(wide);
}

}  // namespace
}  // namespace xferval
