#include "xferval/stats/kll.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;

std::vector<double> grid_of_quantiles() {
  std::vector<double> qs;
  for (int i = 1; i <= 99; ++i) qs.push_back(i / 100.0);
  return qs;
}

json to_json_array(const std::vector<double>& values) {
  json out = json::array();
  for (double v : values) out.push_back(v);
  return out;
}

TEST(Kll, ExactWhileAtMostKMatchesNumpyInvertedCdf) {
  // 400 values with ties: the sketch retains all of them and answers exactly like NumPy's
  // 'inverted_cdf' (the smallest x with ECDF(x) >= q) and the ECDF for rank.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(10.0, 4.0);
  std::vector<double> values;
  for (int i = 0; i < 400; ++i) values.push_back(i % 5 == 0 ? std::round(normal(rng)) : normal(rng));
  KllSketch sketch;
  sketch.update_block(values.data(), values.size());
  ASSERT_TRUE(sketch.exact());
  EXPECT_EQ(sketch.n(), 400u);
  EXPECT_EQ(sketch.retained(), 400u);
  EXPECT_EQ(sketch.normalized_rank_error(), 0.0);

  std::vector<double> qs = {0.0,       0.001, 0.0025, 0.01, 0.07, 0.1,  0.25,   0.3,
                            1.0 / 3.0, 0.5,   0.7,    0.75, 0.9,  0.99, 0.9975, 1.0};
  std::vector<double> probes = {-100.0, 0.0, 5.0, 10.0, 10.5, 12.0, 100.0};
  for (int i = 0; i < 400; i += 37) probes.push_back(values[static_cast<size_t>(i)]);
  const std::string code =
      "import json, numpy as np\n"
      "x = np.array(json.loads('" +
      to_json_array(values).dump() +
      "'))\n"
      "q = json.loads('" +
      to_json_array(qs).dump() +
      "')\n"
      "p = json.loads('" +
      to_json_array(probes).dump() +
      "')\n"
      "print(json.dumps({'quantiles': [float(np.quantile(x, v, method='inverted_cdf')) for v in q],\n"
      "                  'ranks': [float(np.mean(x <= v)) for v in p]}))\n";
  json reference = json::parse(run_python(code));
  for (size_t i = 0; i < qs.size(); ++i) {
    EXPECT_EQ(sketch.quantile(qs[i]), reference["quantiles"][i].get<double>()) << "q = " << qs[i];
  }
  for (size_t i = 0; i < probes.size(); ++i) {
    EXPECT_EQ(sketch.rank(probes[i]), reference["ranks"][i].get<double>()) << "x = " << probes[i];
  }
  EXPECT_EQ(sketch.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(sketch.max(), *std::max_element(values.begin(), values.end()));

  // One more value and the sketch compacts.
  sketch.update(0.5);
  EXPECT_FALSE(sketch.exact());
  EXPECT_LT(sketch.retained(), 401u);
  EXPECT_GT(sketch.normalized_rank_error(), 0.0);
}

TEST(Kll, NormalizedRankErrorIsDataSketchesFormula) {
  // DataSketches documents a 1.33% single-rank error (99% confidence) at k = 200.
  EXPECT_NEAR(KllSketch::normalized_rank_error_for(200), 0.0133, 0.0001);
  EXPECT_NEAR(KllSketch::normalized_rank_error_for(400), 0.00675, 0.00005);
  EXPECT_LT(KllSketch::normalized_rank_error_for(400), 0.01);
}

struct TrueRanks {
  std::vector<double> sorted;
  // Fractions of values < x and <= x.
  std::pair<double, double> of(double x) const {
    const double n = static_cast<double>(sorted.size());
    auto low = std::lower_bound(sorted.begin(), sorted.end(), x);
    auto high = std::upper_bound(sorted.begin(), sorted.end(), x);
    return {static_cast<double>(low - sorted.begin()) / n, static_cast<double>(high - sorted.begin()) / n};
  }
};

void expect_rank_accuracy(const KllSketch& sketch, const std::vector<double>& values) {
  TrueRanks truth{values};
  std::sort(truth.sorted.begin(), truth.sorted.end());
  const double eps = sketch.normalized_rank_error();
  ASSERT_GT(eps, 0.0);
  ASSERT_LT(eps, 0.0068);
  EXPECT_EQ(sketch.n(), values.size());
  EXPECT_EQ(sketch.min(), truth.sorted.front());
  EXPECT_EQ(sketch.max(), truth.sorted.back());
  EXPECT_EQ(sketch.quantile(0.0), truth.sorted.front());
  EXPECT_EQ(sketch.quantile(1.0), truth.sorted.back());
  double worst = 0.0;
  for (double q : grid_of_quantiles()) {
    const double x = sketch.quantile(q);
    auto [below, at_most] = truth.of(x);
    // The true rank of the answer is within eps of q.
    EXPECT_GE(q, below - eps) << "q = " << q;
    EXPECT_LE(q, at_most + eps) << "q = " << q;
    worst = std::max(worst, std::max(below - q, q - at_most));
    // rank() of a true quantile is within eps of its true rank.
    const double probe = truth.sorted[static_cast<size_t>(q * static_cast<double>(truth.sorted.size()))];
    auto [probe_below, probe_at_most] = truth.of(probe);
    EXPECT_NEAR(sketch.rank(probe), probe_at_most, eps) << "x = " << probe;
    (void)probe_below;
  }
  ::testing::Test::RecordProperty("worst_rank_error", std::to_string(worst));
}

std::vector<double> normal_values(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(5.0, 2.0);
  std::vector<double> out(n);
  for (double& v : out) v = dist(rng);
  return out;
}

std::vector<double> lognormal_values(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(0.0, 2.0);
  std::vector<double> out(n);
  for (double& v : out) v = dist(rng);
  return out;
}

TEST(Kll, MillionNormalValuesWithinRankError) {
  std::vector<double> values = normal_values(1000000, 1);
  KllSketch sketch;
  for (size_t i = 0; i < values.size(); i += 4096) {
    sketch.update_block(values.data() + i, std::min<size_t>(4096, values.size() - i));
  }
  EXPECT_FALSE(sketch.exact());
  EXPECT_LT(sketch.retained(), 3u * KllSketch::kDefaultK + 100);
  expect_rank_accuracy(sketch, values);
}

TEST(Kll, MillionLognormalValuesWithinRankError) {
  std::vector<double> values = lognormal_values(1000000, 2);
  KllSketch sketch;
  for (double v : values) sketch.update(v);
  expect_rank_accuracy(sketch, values);
}

TEST(Kll, UpdateAndUpdateBlockBuildTheSameSketch) {
  std::vector<double> values = lognormal_values(100000, 5);
  KllSketch one_by_one;
  for (double v : values) one_by_one.update(v);
  KllSketch blocks;
  for (size_t i = 0, size = 1; i < values.size(); i += size, size = size * 3 + 1) {
    blocks.update_block(values.data() + i, std::min(size, values.size() - i));
  }
  EXPECT_EQ(one_by_one.to_json(), blocks.to_json());
}

// The profile's path: each chunk sorted, then taken whole by update_sorted.
KllSketch sketch_of_sorted_chunks(std::vector<double> values, size_t chunk, uint64_t seed = 0x6b6c6c) {
  KllSketch sketch(KllSketch::kDefaultK, seed);
  for (size_t i = 0; i < values.size(); i += chunk) {
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(i);
    const auto end = values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), i + chunk));
    std::sort(begin, end);
    sketch.update_sorted(&*begin, static_cast<size_t>(end - begin));
  }
  return sketch;
}

TEST(Kll, SortedChunksWithinRankError) {
  for (size_t chunk : {size_t{8192}, size_t{1000}, size_t{65536}}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    std::vector<double> normal = normal_values(1000000, 31);
    KllSketch sketch = sketch_of_sorted_chunks(normal, chunk);
    EXPECT_LT(sketch.retained(), 3u * KllSketch::kDefaultK + 100);
    expect_rank_accuracy(sketch, normal);
    std::vector<double> lognormal = lognormal_values(1000000, 32);
    expect_rank_accuracy(sketch_of_sorted_chunks(lognormal, chunk), lognormal);
  }
}

TEST(Kll, SortedChunksNoLessAccurateThanValueByValue) {
  // The worst error over the 99 percentiles, averaged over 20 seeds: halving a sorted chunk once
  // per level does fewer compactions below the chunk's level than the value-by-value path.
  double sorted_total = 0.0;
  double stream_total = 0.0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<double> values = lognormal_values(200000, 1000 + seed);
    std::vector<double> truth = values;
    std::sort(truth.begin(), truth.end());
    auto worst = [&](const KllSketch& sketch) {
      double out = 0.0;
      for (double q : grid_of_quantiles()) {
        const double x = sketch.quantile(q);
        const double n = static_cast<double>(truth.size());
        const double below =
            static_cast<double>(std::lower_bound(truth.begin(), truth.end(), x) - truth.begin()) / n;
        const double at_most =
            static_cast<double>(std::upper_bound(truth.begin(), truth.end(), x) - truth.begin()) / n;
        out = std::max({out, below - q, q - at_most});
      }
      return out;
    };
    KllSketch stream(KllSketch::kDefaultK, seed);
    stream.update_block(values.data(), values.size());
    stream_total += worst(stream);
    sorted_total += worst(sketch_of_sorted_chunks(values, 8192, seed));
  }
  ::testing::Test::RecordProperty("sorted_mean_worst", std::to_string(sorted_total / 20));
  ::testing::Test::RecordProperty("stream_mean_worst", std::to_string(stream_total / 20));
  EXPECT_LE(sorted_total, stream_total * 1.1) << sorted_total / 20 << " against " << stream_total / 20;
}

TEST(Kll, SortedChunksKeepEveryWeightAndTheExtremes) {
  std::vector<double> values = normal_values(100003, 41);
  KllSketch sketch = sketch_of_sorted_chunks(values, 777);
  uint64_t weight = 0;
  for (const auto& [value, w] : sketch.weighted_items()) weight += w;
  EXPECT_EQ(weight, values.size());
  EXPECT_EQ(sketch.n(), values.size());
  EXPECT_EQ(sketch.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(sketch.max(), *std::max_element(values.begin(), values.end()));
  // A chunk that fits the young sketch goes in value by value: still exact.
  KllSketch young;
  std::vector<double> few = {3.0, 1.0, 2.0};
  std::sort(few.begin(), few.end());
  young.update_sorted(few.data(), few.size());
  EXPECT_TRUE(young.exact());
  EXPECT_EQ(young.quantile(0.5), 2.0);
}

TEST(Kll, DeterministicForAGivenSeed) {
  std::vector<double> values = normal_values(200000, 7);
  KllSketch a;
  KllSketch b;
  KllSketch other_seed(KllSketch::kDefaultK, 12345);
  a.update_block(values.data(), values.size());
  b.update_block(values.data(), values.size());
  other_seed.update_block(values.data(), values.size());
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
  EXPECT_NE(a.to_json()["levels"], other_seed.to_json()["levels"]);
  expect_rank_accuracy(other_seed, values);
}

TEST(Kll, MergedShardsWithinRankError) {
  for (int dataset = 0; dataset < 2; ++dataset) {
    SCOPED_TRACE(dataset == 0 ? "normal" : "lognormal");
    std::vector<double> values = dataset == 0 ? normal_values(1000000, 21) : lognormal_values(1000000, 22);
    KllSketch merged;
    const size_t n = values.size();
    for (size_t shard = 0; shard < 4; ++shard) {
      KllSketch part(KllSketch::kDefaultK, 100 + shard);
      const size_t begin = shard * n / 4;
      part.update_block(values.data() + begin, (shard + 1) * n / 4 - begin);
      merged.merge(part);
    }
    EXPECT_FALSE(merged.exact());
    EXPECT_LT(merged.retained(), 3u * KllSketch::kDefaultK + 100);
    expect_rank_accuracy(merged, values);
  }
}

TEST(Kll, MergingUnevenSketches) {
  // A big sketch into a small one and the reverse, and exact sketches staying exact.
  std::vector<double> values = normal_values(300000, 31);
  KllSketch small;
  small.update_block(values.data(), 1000);
  KllSketch big;
  big.update_block(values.data() + 1000, values.size() - 1000);
  KllSketch small_into = small;
  small_into.merge(big);
  KllSketch big_into = big;
  big_into.merge(small);
  expect_rank_accuracy(small_into, values);
  expect_rank_accuracy(big_into, values);

  KllSketch a;
  KllSketch b;
  a.update_block(values.data(), 150);
  b.update_block(values.data() + 150, 250);
  a.merge(b);
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.n(), 400u);
  std::vector<double> first(values.begin(), values.begin() + 400);
  std::sort(first.begin(), first.end());
  EXPECT_EQ(a.quantile(0.5), first[199]);
  EXPECT_EQ(a.quantile(0.25), first[99]);

  KllSketch empty;
  a.merge(empty);
  EXPECT_EQ(a.n(), 400u);
  empty.merge(a);
  EXPECT_EQ(empty.n(), 400u);
  EXPECT_EQ(empty.quantile(0.5), first[199]);

  KllSketch other_k(200);
  EXPECT_THROW(a.merge(other_k), std::invalid_argument);
}

TEST(Kll, NanIgnoredInfinitiesAreValues) {
  KllSketch sketch;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {1.0, nan, inf, 2.0, -inf, nan, 3.0};
  sketch.update_block(values.data(), values.size());
  sketch.update(nan);
  EXPECT_EQ(sketch.n(), 5u);
  EXPECT_EQ(sketch.min(), -inf);
  EXPECT_EQ(sketch.max(), inf);
  EXPECT_EQ(sketch.quantile(0.5), 2.0);
  EXPECT_EQ(sketch.quantile(1.0), inf);
  EXPECT_EQ(sketch.rank(2.0), 0.6);
  KllSketch back = KllSketch::from_json(json::parse(sketch.to_json().dump()));
  EXPECT_EQ(back.quantile(1.0), inf);
  EXPECT_EQ(back.quantile(0.0), -inf);
}

TEST(Kll, EmptySketch) {
  KllSketch sketch;
  EXPECT_TRUE(sketch.empty());
  EXPECT_TRUE(std::isnan(sketch.quantile(0.5)));
  EXPECT_TRUE(std::isnan(sketch.min()));
  EXPECT_TRUE(std::isnan(sketch.max()));
  EXPECT_TRUE(std::isnan(sketch.rank(1.0)));
  EXPECT_THROW(sketch.quantile(1.5), std::invalid_argument);
  EXPECT_THROW(KllSketch(4), std::invalid_argument);
  KllSketch back = KllSketch::from_json(json::parse(sketch.to_json().dump()));
  EXPECT_TRUE(back.empty());
  EXPECT_EQ(back.to_json(), sketch.to_json());
}

TEST(Kll, JsonRoundTripGivesIdenticalQuantilesAndFuture) {
  std::vector<double> values = lognormal_values(500000, 41);
  KllSketch sketch;
  sketch.update_block(values.data(), 400000);
  const std::string text = sketch.to_json().dump();
  KllSketch back = KllSketch::from_json(json::parse(text));
  EXPECT_EQ(back.n(), sketch.n());
  EXPECT_EQ(back.retained(), sketch.retained());
  EXPECT_EQ(back.to_json().dump(), text);
  for (int i = 0; i <= 1000; ++i) {
    const double q = i / 1000.0;
    EXPECT_EQ(back.quantile(q), sketch.quantile(q)) << q;
  }
  for (size_t i = 0; i < values.size(); i += 9973) EXPECT_EQ(back.rank(values[i]), sketch.rank(values[i]));
  // The generator state travels too: both continue identically.
  sketch.update_block(values.data() + 400000, 100000);
  back.update_block(values.data() + 400000, 100000);
  EXPECT_EQ(back.to_json().dump(), sketch.to_json().dump());
}

TEST(Kll, MalformedStateThrows) {
  std::vector<double> values = normal_values(5000, 51);
  KllSketch sketch;
  sketch.update_block(values.data(), values.size());
  const json good = sketch.to_json();
  EXPECT_NO_THROW(KllSketch::from_json(good));
  for (const char* key : {"k", "seed", "rng_state", "n", "min", "max", "levels"}) {
    json bad = good;
    bad.erase(key);
    EXPECT_THROW(KllSketch::from_json(bad), std::invalid_argument) << key;
  }
  json bad = good;
  bad["n"] = good["n"].get<uint64_t>() + 1;  // weights no longer add up
  EXPECT_THROW(KllSketch::from_json(bad), std::invalid_argument);
  bad = good;
  bad["k"] = 2;
  EXPECT_THROW(KllSketch::from_json(bad), std::invalid_argument);
  bad = good;
  bad["levels"] = json::array();
  EXPECT_THROW(KllSketch::from_json(bad), std::invalid_argument);
  bad = good;
  bad["levels"][0].push_back(1e300);  // outside [min, max] (and the weights break)
  EXPECT_THROW(KllSketch::from_json(bad), std::invalid_argument);
  bad = good;
  bad["levels"][1] = "x";
  EXPECT_THROW(KllSketch::from_json(bad), std::invalid_argument);
  EXPECT_THROW(KllSketch::from_json(json(3)), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
