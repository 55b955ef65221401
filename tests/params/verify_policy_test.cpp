// The verify policy: defaults, overrides from TOML, and errors naming the line.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/params/verify.hpp"

namespace xferval::params {
namespace {

TEST(VerifyPolicy, DefaultsFollowTheReference) {
  const VerifyPolicy policy = VerifyPolicy::defaults();
  EXPECT_EQ(policy.at("params.non_finite").severity, Severity::Error);
  EXPECT_EQ(policy.at("params.frozen_changed").severity, Severity::Error);
  EXPECT_EQ(policy.at("params.relative_change").threshold, 0.5);
  EXPECT_EQ(policy.at("params.alpha_over_trained").threshold, 2.0);
  EXPECT_EQ(policy.at("params.alpha_over_trained").fails_when, FailsWhen::Below);
  EXPECT_EQ(policy.at("params.alpha_under_trained").threshold, 6.0);
  EXPECT_NE(policy.to_toml().find("[checks.\"params.head_surgery\"]"), std::string::npos);
}

TEST(VerifyPolicy, LoadsOverridesAndNamesTheLineOfAnError) {
  testing::TempDir folder;
  const auto good =
      folder.write("p.toml", "[checks.\"params.relative_change\"]\nthreshold = 0.25\nseverity = \"error\"\n");
  const VerifyPolicy policy = VerifyPolicy::load(good.string());
  EXPECT_EQ(policy.at("params.relative_change").threshold, 0.25);
  EXPECT_EQ(policy.at("params.relative_change").severity, Severity::Error);
  const auto bad = folder.write("q.toml", "[checks.\"params.relative_change\"]\nseverity = \"fatal\"\n");
  try {
    VerifyPolicy::load(bad.string());
    ADD_FAILURE() << "accepted";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().rfind("line 2", 0), 0u) << error.what();
  }
  const auto unknown = folder.write("r.toml", "[checks.\"params.nope\"]\nthreshold = 1\n");
  EXPECT_THROW(VerifyPolicy::load(unknown.string()), InputError);
}

TEST(VerifyPolicy, FrozenGlobsMatchAcrossDots) {
  EXPECT_TRUE(matches_pattern("features.*", "features.0.weight"));
  EXPECT_FALSE(matches_pattern("features.*", "classifier.weight"));
  EXPECT_TRUE(matches_pattern("*.bias", "layer1.0.conv.bias"));
}

}  // namespace
}  // namespace xferval::params
