// Unit tests of the profile subsystem: kinds, shards, JSON round trips, merge errors, policies.
// The statistics themselves are checked against pandas and NumPy in tests/e2e.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/profile/cleaning.hpp"
#include "xferval/profile/merge.hpp"
#include "xferval/profile/profile_json.hpp"

namespace xferval {
namespace {

using testing::TempDir;

Profile profile_of(const TempDir& dir, const std::string& name, const std::string& csv,
                   std::optional<std::string> label = std::nullopt) {
  ProfileOptions options;
  options.label = std::move(label);
  return build_profile(dir.write(name, csv).string(), options);
}

TEST(ShardRange, ShardsCoverEveryRowExactlyOnce) {
  for (uint64_t rows : {0ull, 1ull, 7ull, 150ull, 1000003ull}) {
    uint64_t next = 0;
    for (uint32_t i = 1; i <= 4; ++i) {
      auto [first, last] = shard_range(rows, i, 4);
      EXPECT_EQ(first, next);
      EXPECT_LE(first, last);
      next = last;
    }
    EXPECT_EQ(next, rows);
  }
}

TEST(DetectFormat, BySuffixAndFolder) {
  TempDir dir;
  EXPECT_EQ(detect_format("a/train.npy"), "npy");
  EXPECT_EQ(detect_format("a/train.NPZ"), "npz");
  EXPECT_EQ(detect_format("train-images-idx3-ubyte.gz"), "idx");
  EXPECT_EQ(detect_format("x.csv"), "csv");
  EXPECT_EQ(detect_format(dir.path().string()), "image-folder");
}

TEST(FeatureKinds, InferredOverTheWholeColumn) {
  TempDir dir;
  Profile profile = profile_of(dir, "kinds.csv",
                               "i,f,b,c,t,late\n"
                               "1,1.5,true,red,alpha one,1\n"
                               "2,2,false,red,beta two,2\n"
                               "3,3e1,true,blue,gamma three,3\n"
                               "4,4,true,red,delta four,x\n");
  ASSERT_EQ(profile.features.size(), 6u);
  EXPECT_EQ(profile.features[0].kind(), FeatureKind::Integer);
  EXPECT_EQ(profile.features[1].kind(), FeatureKind::Numeric);
  EXPECT_EQ(profile.features[2].kind(), FeatureKind::Boolean);
  EXPECT_EQ(profile.features[3].kind(), FeatureKind::Categorical);
  EXPECT_EQ(profile.features[5].storage, Storage::Text)
      << "a text token in the last row makes the column text";
  EXPECT_EQ(profile.features[5].present(), 4u);
  EXPECT_EQ(profile.rows, 4u);
}

TEST(ProfileJson, RoundTripIsIdentical) {
  TempDir dir;
  Profile profile = profile_of(dir, "x.csv", "a,b,y\n1,x,0\n2.5,y,1\nNA,x,1\ninf,,0\n", "y");
  nlohmann::json first = profile_to_json(profile);
  Profile loaded = profile_from_json(first, "x.json");
  EXPECT_EQ(profile_to_json(loaded).dump(), first.dump());
  EXPECT_EQ(first["features"][0]["missing"], 1);
  EXPECT_EQ(first["features"][0]["inf"], 1);
  EXPECT_EQ(first["features"][1]["missing"], 1);
  EXPECT_EQ(first["label"]["classes"], 2);
}

TEST(ProfileJson, AnotherFormatVersionIsRejectedByName) {
  nlohmann::json document = {{"format", "xferval.profile/2"}};
  try {
    profile_from_json(document, "old.json");
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("old.json"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("xferval.profile/2"), std::string::npos);
  }
  EXPECT_THROW(profile_from_json(nlohmann::json{{"format", kProfileFormat}}, "broken.json"), InputError);
}

TEST(Merge, DifferentSchemasNameTheDifference) {
  TempDir dir;
  Profile a = profile_of(dir, "a.csv", "x,y\n1,2\n");
  Profile b = profile_of(dir, "b.csv", "x,z\n1,2\n");
  Profile c = profile_of(dir, "c.csv", "x,y\n1,two\n");
  try {
    merge_profiles({a, b}, {"a.json", "b.json"});
    FAIL();
  } catch (const InputError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("b.json"), std::string::npos) << message;
    EXPECT_NE(message.find("'z'"), std::string::npos) << message;
  }
  try {
    merge_profiles({a, c}, {"a.json", "c.json"});
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("holds text here"), std::string::npos) << error.what();
  }
}

TEST(Merge, PartsOfDifferentInputsRecordTheirHashes) {
  TempDir dir;
  Profile a = profile_of(dir, "a.csv", "x\n1\n2\n");
  Profile b = profile_of(dir, "b.csv", "x\n3\n");
  Profile merged = merge_profiles({a, b}, {"a", "b"});
  EXPECT_EQ(merged.rows, 3u);
  EXPECT_DOUBLE_EQ(merged.features[0].moments.mean(), 2.0);
  ASSERT_EQ(merged.source.merged_from.size(), 2u);
  EXPECT_EQ(merged.source.merged_from[0], a.source.content_hash);
  EXPECT_NE(merged.source.content_hash, a.source.content_hash);
}

TEST(CleaningPolicy, ParsesEveryPartAndRejectsTheRest) {
  CleaningPolicy defaults = CleaningPolicy::parse("");
  EXPECT_EQ(defaults.to_string(), "missing=drop,duplicates=drop,constant=flag");
  CleaningPolicy policy = CleaningPolicy::parse("constant=drop,missing=median,duplicates=keep");
  EXPECT_EQ(policy.to_string(), "missing=median,duplicates=keep,constant=drop");
  EXPECT_THROW(CleaningPolicy::parse("missing=sometimes"), UsageError);
  EXPECT_THROW(CleaningPolicy::parse("typo=drop"), UsageError);
}

TEST(Cleaning, EmptiedDataIsAnErrorAndWritesNothing) {
  TempDir dir;
  auto path = dir.write("holes.csv", "a,b\n1,NA\nNA,2\n");
  ProfileOptions options;
  CleaningRequest request{CleaningPolicy::parse("missing=drop"), (dir / "out.npy").string(), ""};
  EXPECT_THROW(clean_and_profile(path.string(), options, request), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "out.npy"));
}

// A file read in many small segments (as a large file is in 32 MiB ones) against the same file
// read in one piece: exact fields equal to rounding, sketches within their bounds of the truth.
TEST(SegmentedCsv, SameStatisticsAsOnePieceWithinTheSketchBounds) {
  TempDir dir;
  std::mt19937_64 random(11);
  std::normal_distribution<double> normal(3.0, 2.0);
  std::vector<double> xs;
  std::string csv = "x,count,colour,label\n";
  for (int r = 0; r < 20000; ++r) {
    const double x = std::round(normal(random) * 1e4) / 1e4;
    xs.push_back(x);
    csv += fmt::format("{},{},{},{}\n", x, random() % 100, r % 7 == 0 ? "" : (r % 3 == 0 ? "red" : "blue"),
                       r % 2 == 0 ? "a" : "b");
  }
  const std::string path = dir.write("segments.csv", csv).string();
  ProfileOptions options;
  options.label = "label";
  const Profile whole = build_profile(path, options);
  options.csv_segment_bytes = 16 << 10;  // about 20 segments
  const Profile parts = build_profile(path, options);

  EXPECT_EQ(parts.rows, whole.rows);
  EXPECT_EQ(parts.source.content_hash, whole.source.content_hash);
  // The segments were read apart: their quantile sketches drew other random bits.
  EXPECT_NE(parts.features[0].quantiles.to_json(), whole.features[0].quantiles.to_json());
  ASSERT_EQ(parts.features.size(), 3u);
  for (size_t f = 0; f < 3; ++f) {
    const FeatureState& a = whole.features[f];
    const FeatureState& b = parts.features[f];
    EXPECT_EQ(b.kind(), a.kind()) << a.name;
    EXPECT_EQ(b.missing, a.missing) << a.name;
    EXPECT_EQ(b.moments.count(), a.moments.count()) << a.name;
    EXPECT_NEAR(b.moments.mean(), a.moments.mean(), 1e-12 * std::abs(a.moments.mean())) << a.name;
    EXPECT_NEAR(b.moments.stddev(1), a.moments.stddev(1), 1e-12 * a.moments.stddev(1)) << a.name;
    EXPECT_EQ(b.moments.min(), a.moments.min()) << a.name;
    EXPECT_EQ(b.moments.max(), a.moments.max()) << a.name;
  }
  EXPECT_EQ(parts.features[2].storage, Storage::Text);
  EXPECT_EQ(parts.features[2].top_texts.items(), whole.features[2].top_texts.items());
  EXPECT_EQ(parts.features[1].top_numbers.items(), whole.features[1].top_numbers.items());
  EXPECT_EQ(parts.label->counts.items(), whole.label->counts.items());
  ASSERT_TRUE(parts.covariance && whole.covariance);
  EXPECT_LT((parts.covariance->covariance(1) - whole.covariance->covariance(1)).cwiseAbs().maxCoeff(), 1e-10);

  std::sort(xs.begin(), xs.end());
  const KllSketch& sketch = parts.features[0].quantiles;
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) {
    const double estimate = sketch.quantile(q);
    const double below =
        static_cast<double>(std::lower_bound(xs.begin(), xs.end(), estimate) - xs.begin()) / 20000;
    const double at_most =
        static_cast<double>(std::upper_bound(xs.begin(), xs.end(), estimate) - xs.begin()) / 20000;
    EXPECT_LE(below - sketch.normalized_rank_error(), q) << q;
    EXPECT_GE(at_most + sketch.normalized_rank_error(), q) << q;
  }
  const double distinct = static_cast<double>(std::unique(xs.begin(), xs.end()) - xs.begin());
  EXPECT_NEAR(parts.features[0].distinct.estimate(), distinct, 0.02 * distinct);
}

}  // namespace
}  // namespace xferval
