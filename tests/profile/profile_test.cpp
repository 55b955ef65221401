// Unit tests of the profile subsystem: kinds, shards, JSON round trips, merge errors, policies.
// The statistics themselves are checked against pandas and NumPy in tests/e2e.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace xferval
