#include "xferval/stats/frequent_items.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "test_support.hpp"
#include "xferval/core/hash.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::source_path;

// One column of a data/ CSV, as text.
std::vector<std::string> read_column(const std::string& relative, const std::string& name) {
  std::ifstream in(source_path(relative));
  EXPECT_TRUE(in) << relative;
  std::string line;
  std::getline(in, line);
  std::stringstream head(line);
  size_t index = 0;
  bool found = false;
  for (std::string cell; std::getline(head, cell, ','); ++index) {
    if (cell == name) {
      found = true;
      break;
    }
  }
  EXPECT_TRUE(found) << name;
  std::vector<std::string> out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream row(line);
    std::string cell;
    for (size_t c = 0; c <= index; ++c) std::getline(row, cell, ',');
    out.push_back(cell);
  }
  return out;
}

// pandas' value_counts of a column as {"key": count} (keys as pandas prints them with str()).
json pandas_value_counts(const std::string& relative, const std::string& name) {
  return json::parse(
      run_python("import json, pandas as pd\n"
                 "s = pd.read_csv('" +
                 source_path(relative).string() + "')['" + name +
                 "']\n"
                 "print(json.dumps({str(k): int(v) for k, v in s.value_counts().items()}))\n"));
}

TEST(FrequentItems, LabelsMatchPandasValueCounts) {
  for (auto [file, column] : {std::pair{"data/iris.csv", "species"}, std::pair{"data/wine.csv", "cultivar"},
                              std::pair{"data/breast_cancer.csv", "diagnosis"}}) {
    SCOPED_TRACE(file);
    FrequentItems<std::string> items;
    for (const std::string& label : read_column(file, column)) items.update(label);
    json reference = pandas_value_counts(file, column);
    EXPECT_TRUE(items.exact());
    EXPECT_EQ(items.max_error(), 0u);
    ASSERT_EQ(items.size(), reference.size());
    uint64_t total = 0;
    std::vector<std::pair<std::string, uint64_t>> expected;
    for (auto it = reference.begin(); it != reference.end(); ++it) {
      expected.emplace_back(it.key(), it.value().get<uint64_t>());
      total += it.value().get<uint64_t>();
    }
    EXPECT_EQ(items.total(), total);
    // items(): the domain sorted by key (json objects iterate sorted by key).
    EXPECT_EQ(items.items(), expected);
    // top(): by decreasing count, ties by increasing key.
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    EXPECT_EQ(items.top(10), expected);
    using Items = std::vector<std::pair<std::string, uint64_t>>;
    EXPECT_EQ(items.top(1), (Items(expected.begin(), expected.begin() + 1)));
  }
}

TEST(FrequentItems, NumericColumnMatchesPandasValueCounts) {
  // wine's magnesium: integers with repeats; as doubles.
  FrequentItems<double> items;
  for (const std::string& cell : read_column("data/wine.csv", "magnesium"))
    items.update(std::strtod(cell.c_str(), nullptr));
  json reference = pandas_value_counts("data/wine.csv", "magnesium");
  EXPECT_TRUE(items.exact());
  ASSERT_EQ(items.size(), reference.size());
  for (const auto& [key, count] : items.items()) {
    std::ostringstream name;
    name.precision(1);
    name << std::fixed << key;  // pandas prints 127.0
    ASSERT_TRUE(reference.contains(name.str())) << name.str();
    EXPECT_EQ(count, reference[name.str()].get<uint64_t>()) << key;
  }
  const auto top = items.top(5);
  for (size_t i = 1; i < top.size(); ++i) {
    EXPECT_TRUE(top[i - 1].second > top[i].second ||
                (top[i - 1].second == top[i].second && top[i - 1].first < top[i].first));
  }
}

// Zipf(s = 1.2) over 50000 ranks, drawn with mt19937_64.
std::vector<uint32_t> zipf_stream(size_t n, uint64_t seed) {
  std::vector<double> weights(50000);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / std::pow(static_cast<double>(i + 1), 1.2);
  std::discrete_distribution<uint32_t> dist(weights.begin(), weights.end());
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> out(n);
  for (uint32_t& v : out) v = dist(rng);
  // Shuffle the rank-to-key mapping so that keys are not ordered by frequency.
  std::vector<uint32_t> keys(weights.size());
  for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i * 7919u % 50000u;
  for (uint32_t& v : out) v = keys[v];
  return out;
}

template <typename Key>
Key make_key(uint32_t v);
template <>
double make_key<double>(uint32_t v) {
  return static_cast<double>(v) * 0.5 - 1000.0;
}
template <>
std::string make_key<std::string>(uint32_t v) {
  return "item-" + std::to_string(v);
}

template <typename Key>
void expect_misra_gries_bounds(const FrequentItems<Key>& items, const std::vector<uint32_t>& stream) {
  std::unordered_map<uint32_t, uint64_t> truth;
  for (uint32_t v : stream) ++truth[v];
  std::vector<std::pair<uint64_t, uint32_t>> by_count;
  for (const auto& [key, count] : truth) by_count.emplace_back(count, key);
  std::sort(by_count.rbegin(), by_count.rend());

  EXPECT_EQ(items.total(), stream.size());
  EXPECT_FALSE(items.exact());
  EXPECT_GT(items.max_error(), 0u);
  EXPECT_LE(items.max_error(), stream.size() / (items.capacity() + 1));
  EXPECT_LE(items.size(), 2 * items.capacity());
  std::map<Key, uint64_t> reported;
  for (const auto& [key, count] : items.items()) reported[key] = count;
  // Every tracked count is a lower bound within max_error.
  std::unordered_map<std::string, uint64_t> truth_by_key;
  for (const auto& [key, count] : truth) {
    auto it = reported.find(make_key<Key>(key));
    if (it == reported.end()) {
      // Untracked keys occur at most max_error times.
      EXPECT_LE(count, items.max_error());
      continue;
    }
    EXPECT_LE(it->second, count);
    EXPECT_GE(it->second + items.max_error(), count);
  }
  // The true top 10 are tracked within max_error, and where the true counts around a rank are
  // more than max_error apart, the reported top 10 has the same key at that rank.
  const auto top = items.top(10);
  ASSERT_EQ(top.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    const Key key = make_key<Key>(by_count[i].second);
    ASSERT_TRUE(reported.count(key)) << i;
    EXPECT_LE(by_count[i].first - reported[key], items.max_error());
    const bool above_apart = i == 0 || by_count[i - 1].first - by_count[i].first > items.max_error();
    if (above_apart && by_count[i].first - by_count[i + 1].first > items.max_error()) {
      EXPECT_EQ(top[i].first, key) << i;
    }
  }
}

template <typename Key>
class FrequentItemsZipf : public ::testing::Test {};
using KeyTypes = ::testing::Types<double, std::string>;
TYPED_TEST_SUITE(FrequentItemsZipf, KeyTypes);

TYPED_TEST(FrequentItemsZipf, TopItemsOfAMillionWithinMaxError) {
  const std::vector<uint32_t> stream = zipf_stream(1000000, 1);
  FrequentItems<TypeParam> items(128);
  for (uint32_t v : stream) items.update(make_key<TypeParam>(v));
  expect_misra_gries_bounds(items, stream);
}

TYPED_TEST(FrequentItemsZipf, MergedShardsWithinMaxError) {
  const std::vector<uint32_t> stream = zipf_stream(1000000, 2);
  FrequentItems<TypeParam> merged(128);
  for (size_t shard = 0; shard < 4; ++shard) {
    FrequentItems<TypeParam> part(128);
    for (size_t i = shard * stream.size() / 4; i < (shard + 1) * stream.size() / 4; ++i) {
      part.update(make_key<TypeParam>(stream[i]));
    }
    merged.merge(part);
  }
  expect_misra_gries_bounds(merged, stream);
}

TYPED_TEST(FrequentItemsZipf, WeightedUpdates) {
  // update(key, count) on aggregated counts gives the same bounds.
  const std::vector<uint32_t> stream = zipf_stream(300000, 3);
  std::map<uint32_t, uint64_t> counts;
  for (uint32_t v : stream) ++counts[v];
  FrequentItems<TypeParam> items(128);
  for (const auto& [key, count] : counts) items.update(make_key<TypeParam>(key), count);
  expect_misra_gries_bounds(items, stream);
}

TYPED_TEST(FrequentItemsZipf, ChunksOfDistinctCounts) {
  // The profile's path: each chunk's distinct keys with their counts through update_distinct.
  const std::vector<uint32_t> stream = zipf_stream(300000, 4);
  FrequentItems<TypeParam> items(128);
  for (size_t begin = 0; begin < stream.size(); begin += 8192) {
    std::map<uint32_t, uint64_t> counts;
    for (size_t i = begin; i < std::min(stream.size(), begin + 8192); ++i) ++counts[stream[i]];
    std::vector<std::pair<TypeParam, uint64_t>> counted;
    std::vector<uint64_t> hashes;
    for (const auto& [key, count] : counts) {
      counted.emplace_back(make_key<TypeParam>(key), count);
      if constexpr (std::is_same_v<TypeParam, double>) {
        hashes.push_back(hash_number(counted.back().first));
      } else {
        hashes.push_back(hash_string(counted.back().first));
      }
    }
    items.update_distinct(counted.data(), hashes.data(), counted.size());
  }
  expect_misra_gries_bounds(items, stream);
}

TEST(FrequentItems, DistinctCountsStayExactWhileTheUnionFits) {
  FrequentItems<double> items(4);
  const std::vector<std::pair<double, uint64_t>> first = {{1.0, 3}, {2.0, 1}, {3.0, 2}};
  const std::vector<std::pair<double, uint64_t>> second = {{2.0, 4}, {9.0, 1}};
  for (const auto* block : {&first, &second}) {
    std::vector<uint64_t> hashes;
    for (const auto& [key, count] : *block) hashes.push_back(hash_number(key));
    items.update_distinct(block->data(), hashes.data(), block->size());
  }
  using Items = std::vector<std::pair<double, uint64_t>>;
  EXPECT_TRUE(items.exact());
  EXPECT_EQ(items.total(), 11u);
  EXPECT_EQ(items.items(), (Items{{1.0, 3}, {2.0, 5}, {3.0, 2}, {9.0, 1}}));
}

TEST(FrequentItems, ExactMergeAddsCounts) {
  FrequentItems<std::string> a(4);
  FrequentItems<std::string> b(4);
  for (int i = 0; i < 5; ++i) a.update("x");
  a.update("y", 3);
  b.update("y", 2);
  b.update("z");
  a.merge(b);
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.total(), 11u);
  using Items = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(a.items(), (Items{{"x", 5}, {"y", 5}, {"z", 1}}));
  EXPECT_EQ(a.top(2), (Items{{"x", 5}, {"y", 5}}));
  FrequentItems<std::string> other_capacity(8);
  EXPECT_THROW(a.merge(other_capacity), std::invalid_argument);
}

TEST(FrequentItems, ExactUpToTwiceTheCapacityThenReduced) {
  // Up to 2 * capacity distinct keys are kept exactly, whether in one stream or merged shards.
  FrequentItems<double> whole(4);
  FrequentItems<double> left(4);
  FrequentItems<double> right(4);
  for (int i = 0; i < 8; ++i) {
    whole.update(i, static_cast<uint64_t>(i + 1));
    (i < 5 ? left : right).update(i, static_cast<uint64_t>(i + 1));
  }
  left.merge(right);
  EXPECT_TRUE(whole.exact());
  EXPECT_TRUE(left.exact());
  EXPECT_EQ(whole.items(), left.items());
  EXPECT_EQ(whole.size(), 8u);
  // A ninth key: counts 1..9, the 5th largest (5) is subtracted; 6..9 remain as 1..4.
  whole.update(8, 9);
  EXPECT_FALSE(whole.exact());
  EXPECT_EQ(whole.max_error(), 5u);
  using Items = std::vector<std::pair<double, uint64_t>>;
  EXPECT_EQ(whole.items(), (Items{{5.0, 1}, {6.0, 2}, {7.0, 3}, {8.0, 4}}));
  EXPECT_EQ(whole.total(), 45u);
}

TEST(FrequentItems, ContinuousValuesKeepTheBound) {
  // Every value new: the summary keeps cycling through reductions.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> dist;
  FrequentItems<double> items(128);
  const size_t n = 200000;
  for (size_t i = 0; i < n; ++i) items.update(dist(rng));
  EXPECT_EQ(items.total(), n);
  EXPECT_FALSE(items.exact());
  EXPECT_LE(items.max_error(), n / 129);
  EXPECT_LE(items.size(), 256u);
  for (const auto& [key, count] : items.items()) EXPECT_EQ(count, 1u);
}

TEST(FrequentItems, SpecialDoubleKeys) {
  FrequentItems<double> items;
  const double inf = std::numeric_limits<double>::infinity();
  items.update(0.0);
  items.update(-0.0);  // the same value as 0.0
  items.update(std::nan("1"));
  items.update(std::nan("2"));  // every NaN is one value
  items.update(inf, 3);
  items.update(-inf);
  EXPECT_EQ(items.size(), 4u);
  const auto all = items.items();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0], std::make_pair(-inf, uint64_t{1}));
  EXPECT_EQ(all[1].first, 0.0);
  EXPECT_EQ(all[1].second, 2u);
  EXPECT_EQ(all[2], std::make_pair(inf, uint64_t{3}));
  EXPECT_TRUE(std::isnan(all[3].first));  // NaN sorts last
  EXPECT_EQ(all[3].second, 2u);

  const std::string text = items.to_json().dump();
  FrequentItems<double> back = FrequentItems<double>::from_json(json::parse(text));
  EXPECT_EQ(back.to_json().dump(), text);
  EXPECT_NE(text.find("\"inf\""), std::string::npos);
  EXPECT_NE(text.find("\"-inf\""), std::string::npos);
  EXPECT_NE(text.find("\"nan\""), std::string::npos);
}

TYPED_TEST(FrequentItemsZipf, JsonRoundTrip) {
  const std::vector<uint32_t> stream = zipf_stream(100000, 4);
  FrequentItems<TypeParam> exact(64);
  FrequentItems<TypeParam> approximate(64);
  for (size_t i = 0; i < stream.size(); ++i) {
    if (i < 20) exact.update(make_key<TypeParam>(stream[i]));
    approximate.update(make_key<TypeParam>(stream[i]));
  }
  for (const FrequentItems<TypeParam>* items : {&exact, &approximate}) {
    const std::string text = items->to_json().dump();
    FrequentItems<TypeParam> back = FrequentItems<TypeParam>::from_json(json::parse(text));
    EXPECT_EQ(back.to_json().dump(), text);
    EXPECT_EQ(back.items(), items->items());
    EXPECT_EQ(back.top(10), items->top(10));
    EXPECT_EQ(back.total(), items->total());
    EXPECT_EQ(back.max_error(), items->max_error());
    EXPECT_EQ(back.capacity(), items->capacity());
    // Both continue identically.
    FrequentItems<TypeParam> original = *items;
    for (uint32_t v : zipf_stream(20000, 5)) {
      original.update(make_key<TypeParam>(v));
      back.update(make_key<TypeParam>(v));
    }
    EXPECT_EQ(back.items(), original.items());
    EXPECT_EQ(back.max_error(), original.max_error());
  }
}

TEST(FrequentItems, StringKeysOfAnyBytes) {
  FrequentItems<std::string> items;
  items.update("");
  items.update("caf\xc3\xa9");
  items.update(std::string("a\0b", 3));
  items.update("\"quoted\"");
  const std::string text = items.to_json().dump();
  FrequentItems<std::string> back = FrequentItems<std::string>::from_json(json::parse(text));
  EXPECT_EQ(back.items(), items.items());
}

TEST(FrequentItems, MalformedStateThrows) {
  FrequentItems<std::string> items(4);
  items.update("a", 2);
  items.update("b");
  const json good = items.to_json();
  EXPECT_NO_THROW(FrequentItems<std::string>::from_json(good));
  for (const char* key : {"capacity", "total", "max_error", "items"}) {
    json bad = good;
    bad.erase(key);
    EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument) << key;
  }
  json bad = good;
  bad["items"].push_back(json::array({"a", 1}));  // duplicate key
  bad["total"] = 4;
  EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument);
  bad = good;
  bad["items"][0][1] = 0;
  EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument);
  bad = good;
  bad["total"] = 2;  // exact but the counts add up to 3
  EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument);
  bad = good;
  bad["items"][0][0] = 5;  // not a string key
  EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument);
  bad = good;
  bad["capacity"] = 0;
  EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument);
  bad = good;
  bad["items"][0] = "a";
  EXPECT_THROW(FrequentItems<std::string>::from_json(bad), std::invalid_argument);
  EXPECT_THROW(FrequentItems<double>::from_json(good), std::invalid_argument);  // string keys
  EXPECT_THROW(FrequentItems<std::string>(0), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
