#include "xferval/stats/moments.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

using testing::NumericColumns;
using testing::read_numeric_columns;

bool bit_equal(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

void expect_relative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), tolerance * std::fabs(expected))
      << what << ": " << actual << " vs " << expected;
}

Moments of_block(const std::vector<double>& values) {
  Moments m;
  m.add_block(values.data(), values.size());
  return m;
}

void expect_same_state(const Moments& a, const Moments& b) {
  EXPECT_EQ(a.count(), b.count());
  EXPECT_TRUE(bit_equal(a.mean(), b.mean())) << a.mean() << " " << b.mean();
  EXPECT_TRUE(bit_equal(a.sum_squared_deviations(), b.sum_squared_deviations()));
  EXPECT_TRUE(bit_equal(a.min(), b.min()));
  EXPECT_TRUE(bit_equal(a.max(), b.max()));
}

class MomentsOnDataset : public ::testing::TestWithParam<const char*> {};

TEST_P(MomentsOnDataset, MatchesPandasOnEveryNumericColumn) {
  const std::string relative = GetParam();
  NumericColumns data = read_numeric_columns(relative);
  ASSERT_GE(data.names.size(), 10u);
  json reference =
      json::parse(run_python("import json, pandas as pd\n"
                             "df = pd.read_csv('" +
                             source_path(relative).string() +
                             "')\n"
                             "out = {}\n"
                             "for c in df.select_dtypes('number').columns:\n"
                             "    s = df[c]\n"
                             "    out[c] = [int(s.count()), float(s.mean()), float(s.min()), float(s.max()), "
                             "float(s.std(ddof=1)), float(s.var(ddof=0))]\n"
                             "print(json.dumps(out))\n"));
  ASSERT_EQ(reference.size(), data.names.size());
  for (size_t c = 0; c < data.names.size(); ++c) {
    const std::string& name = data.names[c];
    SCOPED_TRACE(relative + " " + name);
    ASSERT_TRUE(reference.contains(name));
    const json& ref = reference[name];
    Moments m = of_block(data.values[c]);
    EXPECT_EQ(m.count(), ref[0].get<uint64_t>());
    expect_relative(m.mean(), ref[1].get<double>(), 1e-12, "mean");
    expect_relative(m.min(), ref[2].get<double>(), 1e-12, "min");
    expect_relative(m.max(), ref[3].get<double>(), 1e-12, "max");
    expect_relative(m.stddev(1), ref[4].get<double>(), 1e-12, "std");
    expect_relative(m.variance(0), ref[5].get<double>(), 1e-12, "var ddof 0");
  }
}

TEST_P(MomentsOnDataset, FourContiguousPartsMergeToTheWhole) {
  NumericColumns data = read_numeric_columns(GetParam());
  for (size_t c = 0; c < data.names.size(); ++c) {
    SCOPED_TRACE(data.names[c]);
    const std::vector<double>& v = data.values[c];
    Moments whole = of_block(v);
    Moments merged;
    const size_t n = v.size();
    for (size_t part = 0; part < 4; ++part) {
      const size_t begin = part * n / 4;
      const size_t end = (part + 1) * n / 4;
      Moments piece;
      piece.add_block(v.data() + begin, end - begin);
      merged.merge(piece);
    }
    EXPECT_EQ(merged.count(), whole.count());
    expect_relative(merged.mean(), whole.mean(), 1e-12, "mean");
    expect_relative(merged.sum_squared_deviations(), whole.sum_squared_deviations(), 1e-12, "m2");
    EXPECT_EQ(merged.min(), whole.min());
    EXPECT_EQ(merged.max(), whole.max());
  }
}

TEST_P(MomentsOnDataset, AddAndAddBlockAgree) {
  NumericColumns data = read_numeric_columns(GetParam());
  for (size_t c = 0; c < data.names.size(); ++c) {
    SCOPED_TRACE(data.names[c]);
    Moments one_by_one;
    for (double v : data.values[c]) one_by_one.add(v);
    Moments block = of_block(data.values[c]);
    // Blocks of uneven sizes through add_block too.
    Moments pieces;
    const std::vector<double>& v = data.values[c];
    for (size_t i = 0, size = 1; i < v.size(); i += size, size = size * 2 + 1) {
      pieces.add_block(v.data() + i, std::min(size, v.size() - i));
    }
    for (const Moments* m : {&block, &pieces}) {
      EXPECT_EQ(m->count(), one_by_one.count());
      expect_relative(m->mean(), one_by_one.mean(), 1e-12, "mean");
      expect_relative(m->variance(1), one_by_one.variance(1), 1e-12, "variance");
      EXPECT_EQ(m->min(), one_by_one.min());
      EXPECT_EQ(m->max(), one_by_one.max());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Datasets, MomentsOnDataset,
                         ::testing::Values("data/wine.csv", "data/breast_cancer.csv"));

TEST(Moments, LargeOffsetKeepsTheVariance) {
  // 1e9 + {4, 7, 13, 16} repeated 1000 times: the sample variance is 90000 / 3999; the textbook
  // sum-of-squares formula loses every digit here.
  std::vector<double> values;
  for (int r = 0; r < 1000; ++r) {
    for (double d : {4.0, 7.0, 13.0, 16.0}) values.push_back(1e9 + d);
  }
  json ref =
      json::parse(run_python("import json, numpy as np\n"
                             "x = np.tile(1e9 + np.array([4.0, 7.0, 13.0, 16.0]), 1000)\n"
                             "print(json.dumps([float(x.mean()), float(x.var(ddof=1))]))\n"));
  Moments block = of_block(values);
  expect_relative(block.mean(), ref[0].get<double>(), 1e-15, "mean");
  expect_relative(block.variance(1), ref[1].get<double>(), 1e-12, "variance");
  // One value at a time (Welford) is single-pass: still close, if not to the last digits.
  Moments single;
  for (double v : values) single.add(v);
  expect_relative(single.mean(), ref[0].get<double>(), 1e-14, "mean");
  expect_relative(single.variance(1), ref[1].get<double>(), 1e-9, "variance");
}

TEST(Moments, EmptyAndTinyStates) {
  Moments empty;
  EXPECT_EQ(empty.count(), 0u);
  EXPECT_TRUE(std::isnan(empty.mean()));
  EXPECT_EQ(empty.min(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(empty.max(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(empty.variance(0)));
  empty.add_block(nullptr, 0);
  EXPECT_EQ(empty.count(), 0u);

  Moments one;
  one.add(2.5);
  EXPECT_EQ(one.mean(), 2.5);
  EXPECT_EQ(one.variance(0), 0.0);
  EXPECT_TRUE(std::isnan(one.variance(1)));
  EXPECT_TRUE(std::isnan(one.stddev(1)));

  Moments merged = empty;
  merged.merge(one);
  expect_same_state(merged, one);
  one.merge(empty);
  EXPECT_EQ(one.count(), 1u);
}

TEST(Moments, JsonRoundTripIsExact) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(0.0, 3.0);
  std::vector<double> values(10007);
  for (double& v : values) v = dist(rng) * (rng() % 2 ? 1.0 : -1.0);
  Moments m = of_block(values);
  for (const Moments& state : {m, Moments{}}) {
    const std::string text = state.to_json().dump();
    Moments back = Moments::from_json(json::parse(text));
    expect_same_state(back, state);
    EXPECT_EQ(back.to_json().dump(), text);
  }
  // The empty state's NaN and infinities are strings.
  json empty = Moments{}.to_json();
  EXPECT_EQ(empty["mean"], "nan");
  EXPECT_EQ(empty["min"], "inf");
  EXPECT_EQ(empty["max"], "-inf");
}

TEST(Moments, MalformedStateThrows) {
  Moments m;
  m.add(1.0);
  m.add(3.0);
  const json good = m.to_json();
  EXPECT_NO_THROW(Moments::from_json(good));
  for (const char* key : {"count", "mean", "m2", "min", "max"}) {
    json bad = good;
    bad.erase(key);
    EXPECT_THROW(Moments::from_json(bad), std::invalid_argument) << key;
  }
  json bad = good;
  bad["count"] = -1;
  EXPECT_THROW(Moments::from_json(bad), std::invalid_argument);
  bad = good;
  bad["count"] = 1.5;
  EXPECT_THROW(Moments::from_json(bad), std::invalid_argument);
  bad = good;
  bad["mean"] = "one";
  EXPECT_THROW(Moments::from_json(bad), std::invalid_argument);
  bad = good;
  bad["m2"] = -1.0;
  EXPECT_THROW(Moments::from_json(bad), std::invalid_argument);
  bad = good;
  bad["min"] = 5.0;
  EXPECT_THROW(Moments::from_json(bad), std::invalid_argument);
  EXPECT_THROW(Moments::from_json(json::array()), std::invalid_argument);
  EXPECT_THROW(Moments::from_json(json("text")), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
