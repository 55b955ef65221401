#include "xferval/stats/hyperloglog.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "xferval/core/hash.hpp"

namespace xferval {
namespace {

using nlohmann::json;

constexpr double kStandardError = 1.04 / 128.0;

// Distinct doubles offset*1e7 + i, i < count (all exactly representable, so all distinct).
void add_range(DistinctCounter& counter, uint64_t offset, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i)
    counter.add_hash(hash_number(static_cast<double>(offset * 10000000 + i)));
}

void expect_within_bounds(const DistinctCounter& counter, double truth) {
  EXPECT_FALSE(counter.exact());
  EXPECT_DOUBLE_EQ(counter.relative_error(), kStandardError);
  const double relative = std::fabs(counter.estimate() / truth - 1.0);
  EXPECT_LE(relative, 0.02) << "estimate " << counter.estimate() << " for " << truth;
  EXPECT_LE(relative, 3.0 * counter.relative_error());
}

TEST(DistinctCounter, ExactBelowTheLimit) {
  for (uint64_t n : {0u, 1u, 17u, 1023u, 1024u, 1025u, 4000u, 4095u, 4096u}) {
    DistinctCounter counter;
    // Every value three times, interleaved.
    for (int round = 0; round < 3; ++round) add_range(counter, 1, n);
    EXPECT_TRUE(counter.exact()) << n;
    EXPECT_EQ(counter.estimate(), static_cast<double>(n));
    EXPECT_EQ(counter.relative_error(), 0.0);
  }
}

TEST(DistinctCounter, DuplicatesDoNotCount) {
  DistinctCounter counter;
  for (int i = 0; i < 100000; ++i) counter.add_hash(hash_number(static_cast<double>(i % 10)));
  EXPECT_TRUE(counter.exact());
  EXPECT_EQ(counter.estimate(), 10.0);
  // -0.0 and 0.0 are one value, every NaN is one value.
  DistinctCounter zeros;
  zeros.add_hash(hash_number(0.0));
  zeros.add_hash(hash_number(-0.0));
  zeros.add_hash(hash_number(std::nan("1")));
  zeros.add_hash(hash_number(std::nan("2")));
  EXPECT_EQ(zeros.estimate(), 2.0);
  // And once approximate, repeating the same values changes nothing.
  DistinctCounter big;
  add_range(big, 2, 200000);
  const double once = big.estimate();
  add_range(big, 2, 200000);
  EXPECT_EQ(big.estimate(), once);
}

TEST(DistinctCounter, SwitchesToRegistersAboveTheLimit) {
  DistinctCounter counter;
  add_range(counter, 3, 6000);
  EXPECT_FALSE(counter.exact());
  EXPECT_NEAR(counter.estimate(), 6000.0, 6000.0 * 3 * kStandardError);
}

class DistinctCounterAccuracy : public ::testing::TestWithParam<uint64_t> {};

TEST_P(DistinctCounterAccuracy, WithinTwoPercentAndThreeStandardErrors) {
  const uint64_t n = GetParam();
  for (uint64_t offset : {10u, 20u, 30u}) {
    DistinctCounter counter;
    add_range(counter, offset + n, n);
    SCOPED_TRACE("offset " + std::to_string(offset));
    expect_within_bounds(counter, static_cast<double>(n));
  }
}

// 10^5 and 10^6 as asked, and the range around 2.5 * 2^14 where the classic estimator is biased.
INSTANTIATE_TEST_SUITE_P(Cardinalities, DistinctCounterAccuracy,
                         ::testing::Values(10000u, 30000u, 41000u, 50000u, 80000u, 100000u, 1000000u));

TEST(DistinctCounter, MergedShardsEqualTheWhole) {
  DistinctCounter whole;
  add_range(whole, 40, 1000000);
  DistinctCounter merged;
  for (uint64_t shard = 0; shard < 4; ++shard) {
    DistinctCounter part;
    for (uint64_t i = shard * 250000; i < (shard + 1) * 250000; ++i) {
      part.add_hash(hash_number(static_cast<double>(40 * 10000000 + i)));
    }
    merged.merge(part);
  }
  EXPECT_EQ(merged.to_json(), whole.to_json());  // the same registers
  EXPECT_EQ(merged.estimate(), whole.estimate());
  expect_within_bounds(merged, 1e6);
}

TEST(DistinctCounter, MergeOverlappingShards) {
  // Shards [0, 60000), [40000, 100000): the union has 100000 values.
  DistinctCounter a;
  DistinctCounter b;
  for (uint64_t i = 0; i < 60000; ++i) a.add_hash(hash_number(static_cast<double>(i)));
  for (uint64_t i = 40000; i < 100000; ++i) b.add_hash(hash_number(static_cast<double>(i)));
  DistinctCounter ab = a;
  ab.merge(b);
  DistinctCounter ba = b;
  ba.merge(a);
  EXPECT_EQ(ab.to_json(), ba.to_json());
  expect_within_bounds(ab, 100000.0);
}

TEST(DistinctCounter, MergeExactAndApproximate) {
  // Exact + exact stays exact while small, and is the union.
  DistinctCounter a;
  DistinctCounter b;
  for (int i = 0; i < 2000; ++i) a.add_hash(hash_number(i));
  for (int i = 1000; i < 3000; ++i) b.add_hash(hash_number(i));
  a.merge(b);
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.estimate(), 3000.0);
  // Over the limit it switches.
  DistinctCounter c;
  for (int i = 3000; i < 5000; ++i) c.add_hash(hash_number(i));
  a.merge(c);
  EXPECT_FALSE(a.exact());
  EXPECT_NEAR(a.estimate(), 5000.0, 5000.0 * 3 * kStandardError);
  // Exact into approximate and approximate into exact agree.
  DistinctCounter big;
  for (int i = 0; i < 100000; ++i) big.add_hash(hash_number(i));
  DistinctCounter small;
  for (int i = 99000; i < 101000; ++i) small.add_hash(hash_number(i));
  DistinctCounter big_small = big;
  big_small.merge(small);
  DistinctCounter small_big = small;
  small_big.merge(big);
  EXPECT_EQ(big_small.to_json(), small_big.to_json());
  expect_within_bounds(big_small, 101000.0);
  // Merging an empty counter changes nothing.
  DistinctCounter empty;
  big_small.merge(empty);
  EXPECT_EQ(big_small.to_json(), small_big.to_json());
}

TEST(DistinctCounter, JsonRoundTrip) {
  std::vector<DistinctCounter> states(4);
  add_range(states[1], 50, 100);    // exact, hashes still pending
  add_range(states[2], 51, 4500);   // exact set plus an unfolded batch over the limit
  add_range(states[3], 52, 70000);  // registers
  for (size_t i = 0; i < states.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string text = states[i].to_json().dump();
    DistinctCounter back = DistinctCounter::from_json(json::parse(text));
    EXPECT_EQ(back.exact(), states[i].exact());
    EXPECT_EQ(back.estimate(), states[i].estimate());
    EXPECT_EQ(back.to_json().dump(), text);
    // Both continue identically.
    add_range(states[i], 60, 3000);
    add_range(back, 60, 3000);
    EXPECT_EQ(back.to_json(), states[i].to_json());
    EXPECT_EQ(back.estimate(), states[i].estimate());
  }
  EXPECT_EQ(states[3].to_json()["registers"].get<std::string>().size(), 16384u / 3 * 4 + 4);
}

TEST(DistinctCounter, MalformedStateThrows) {
  DistinctCounter registers;
  add_range(registers, 70, 10000);
  const json good = registers.to_json();
  EXPECT_NO_THROW(DistinctCounter::from_json(good));
  json bad = good;
  bad["registers"] = "AAAA";
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  bad = good;
  bad["registers"] = "not base64!";
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  bad = good;
  bad["precision"] = 12;
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  bad = good;
  bad["mode"] = "other";
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  bad = good;
  bad.erase("registers");
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  // A register over 51.
  std::string all_255(16384 / 3 * 4 + 4, '/');
  all_255[all_255.size() - 1] = '=';
  all_255[all_255.size() - 2] = '=';
  bad = good;
  bad["registers"] = all_255;
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);

  DistinctCounter exact;
  add_range(exact, 71, 10);
  json exact_state = exact.to_json();
  EXPECT_NO_THROW(DistinctCounter::from_json(exact_state));
  bad = exact_state;
  bad["hashes"] = "AAAA";  // 3 bytes: not whole 64-bit words
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  bad = exact_state;
  bad["hashes"] = 5;
  EXPECT_THROW(DistinctCounter::from_json(bad), std::invalid_argument);
  EXPECT_THROW(DistinctCounter::from_json(json::array()), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
