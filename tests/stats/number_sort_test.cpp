#include "xferval/stats/number_sort.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using testing::bits_of;

using Sorter = std::function<void(double*, size_t, std::vector<uint64_t>&)>;

// Every sort this CPU can run: the dispatcher, the portable radix sort and, with AVX-512, the
// vector quicksort on its own (without the counting sort in front).
std::vector<std::pair<std::string, Sorter>> sorters() {
  std::vector<std::pair<std::string, Sorter>> out = {{"sort_numbers", sort_numbers},
                                                     {"radix_sort", radix_sort}};
  if (vector_sort_available()) out.emplace_back("vector_sort", vector_sort);
  return out;
}

// std::sort's order, with -0.0 before +0.0, compared bit for bit, for every sorter.
void expect_sorted_like_std(const std::vector<double>& input, const std::string& what = "") {
  std::vector<double> expected = input;
  std::sort(expected.begin(), expected.end(), [](double a, double b) {
    if (a == b) return std::signbit(a) && !std::signbit(b);
    return a < b;
  });
  std::vector<uint64_t> scratch;
  for (const auto& [name, sort] : sorters()) {
    std::vector<double> values = input;
    sort(values.data(), values.size(), scratch);
    ASSERT_EQ(values.size(), expected.size());
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(bits_of(values[i]), bits_of(expected[i]))
          << name << ", " << what << " (n = " << input.size() << ") at " << i << ": " << values[i] << " vs "
          << expected[i];
    }
  }
}

TEST(NumberSort, RandomDoublesOfEverySignAndScale) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{17}, size_t{8192}, size_t{100000}}) {
    std::vector<double> values(n);
    for (double& v : values) v = std::ldexp(normal(rng), exponent(rng));
    expect_sorted_like_std(values);
  }
}

TEST(NumberSort, SpecialValuesAndRepeats) {
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

TEST(NumberSort, ValuesThatShareTheirTopBits) {
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

TEST(NumberSort, IntegersLikeACategoricalColumn) {
  std::mt19937_64 rng(3);
  std::vector<double> values(8192);
  for (double& v : values) v = static_cast<double>(rng() % 100);
  expect_sorted_like_std(values);
}

TEST(NumberSort, SmallIntegerSpansAndWhatLeavesThemToTheRadixPasses) {
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

TEST(NumberSort, EveryShapeAtTheSizesWhereTheQuicksortChangesPath) {
  // Leaves of 8, 16, 32, 64 and 128 keys sort in registers; larger ranges partition around the
  // median of 16 (or, from 2048 keys, 64) samples; a pivot equal to the range's minimum or maximum
  // takes the paths for repeated keys.
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> specials = {0.0,
                                        -0.0,
                                        inf,
                                        -inf,
                                        1.0,
                                        -1.0,
                                        5e-324,
                                        -5e-324,
                                        1e-310,
                                        -1e-310,
                                        std::numeric_limits<double>::max(),
                                        std::numeric_limits<double>::lowest(),
                                        std::numeric_limits<double>::min(),
                                        -std::numeric_limits<double>::min()};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  for (size_t n : {3,   7,   8,   9,   15,  16,  17,   31,   32,   33,   63,   64,   65,   127,
                   128, 129, 130, 255, 256, 257, 1000, 2047, 2048, 2049, 8191, 8192, 8193, 40000}) {
    std::vector<double> random(n);
    for (double& x : random) x = std::ldexp(normal(rng), exponent(rng));
    expect_sorted_like_std(random, "random");
    std::vector<double> special(n);
    for (double& x : special) x = specials[rng() % specials.size()];
    expect_sorted_like_std(special, "special values");
    std::vector<double> mixed = random;
    for (size_t i = 0; i < n; i += 3) mixed[i] = specials[rng() % specials.size()];
    expect_sorted_like_std(mixed, "random and special values");
    std::vector<double> few(n);
    for (double& x : few) x = rng() % 3 == 0 ? -0.0 : (rng() % 2 ? 0.0 : -inf);
    expect_sorted_like_std(few, "signed zeros and -inf");
    expect_sorted_like_std(std::vector<double>(n, 3.5), "all equal");
    expect_sorted_like_std(std::vector<double>(n, -0.0), "all -0.0");
    std::vector<double> sorted = random;
    std::sort(sorted.begin(), sorted.end());
    expect_sorted_like_std(sorted, "sorted");
    std::reverse(sorted.begin(), sorted.end());
    expect_sorted_like_std(sorted, "reverse sorted");
    std::vector<double> organ_pipe(n);
    for (size_t i = 0; i < n; ++i) organ_pipe[i] = 0.5 + static_cast<double>(i < n / 2 ? i : n - i);
    expect_sorted_like_std(organ_pipe, "organ pipe");
    std::vector<double> mostly(n);
    for (double& x : mostly) x = rng() % 50 == 0 ? 2.5 + static_cast<double>(rng() % 5) : 1.5;
    expect_sorted_like_std(mostly, "mostly the minimum");
    for (double& x : mostly) x = rng() % 50 == 0 ? -2.5 - static_cast<double>(rng() % 5) : 1.5;
    expect_sorted_like_std(mostly, "mostly the maximum");
    std::vector<double> printed(n);  // what a CSV of %.6g numbers holds
    for (double& x : printed) {
      char text[32];
      std::snprintf(text, sizeof text, "%.6g", std::exp(normal(rng)));
      x = std::strtod(text, nullptr);
    }
    expect_sorted_like_std(printed, "lognormal printed with %.6g");
  }
}

}  // namespace
}  // namespace xferval
