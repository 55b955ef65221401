#include "xferval/check/policy.hpp"

#include <gtest/gtest.h>

#include <set>

#include "test_support.hpp"
#include "xferval/core/error.hpp"

namespace xferval {
namespace {

using testing::TempDir;

TEST(Policy, DefaultsNameEveryCheckOnceWithAThreshold) {
  Policy policy = Policy::defaults();
  std::set<std::string> names;
  for (const CheckDefinition& check : policy.checks) {
    EXPECT_TRUE(names.insert(check.name).second) << check.name;
    EXPECT_FALSE(check.metric.empty()) << check.name;
  }
  EXPECT_EQ(policy.at("drift.share").severity, Severity::Error);
  EXPECT_EQ(policy.at("drift.share").threshold, 0.5);
  EXPECT_FALSE(policy.at("drift.psi").enabled);
  EXPECT_EQ(policy.correction, Correction::Bonferroni);
}

TEST(Policy, FileOverridesThresholdSeverityAndOptions) {
  TempDir dir;
  auto path = dir.write("p.toml",
                        "[options]\ncorrection = \"bh\"\nshrinkage = \"oas\"\nmmd_permutations = 50\n\n"
                        "[checks.\"drift.ks\"]\nthreshold = 0.01\nseverity = \"error\"\n"
                        "[checks.\"drift.psi\"]\nenabled = true\nthreshold = 0\n");
  Policy policy = Policy::load(path.string());
  EXPECT_EQ(policy.correction, Correction::BenjaminiHochberg);
  EXPECT_EQ(policy.shrinkage, "oas");
  EXPECT_EQ(policy.mmd_permutations, 50u);
  EXPECT_EQ(policy.at("drift.ks").threshold, 0.01);
  EXPECT_EQ(policy.at("drift.ks").severity, Severity::Error);
  EXPECT_TRUE(policy.at("drift.psi").enabled);
  EXPECT_EQ(policy.at("drift.psi").threshold, 0.0);  // an integer in TOML is a number too
  EXPECT_EQ(policy.at("drift.chi2").threshold, 0.05);  // untouched
}

TEST(Policy, PrintedPolicyLoadsBackToTheSameSettings) {
  TempDir dir;
  Policy defaults = Policy::defaults();
  Policy loaded = Policy::load(dir.write("all.toml", defaults.to_toml()).string());
  ASSERT_EQ(loaded.checks.size(), defaults.checks.size());
  for (size_t i = 0; i < defaults.checks.size(); ++i) {
    EXPECT_EQ(loaded.checks[i].threshold, defaults.checks[i].threshold) << defaults.checks[i].name;
    EXPECT_EQ(loaded.checks[i].severity, defaults.checks[i].severity) << defaults.checks[i].name;
    EXPECT_EQ(loaded.checks[i].enabled, defaults.checks[i].enabled) << defaults.checks[i].name;
  }
  EXPECT_EQ(loaded.distance_quantile, defaults.distance_quantile);
}

void expect_input_error(const std::string& text, const std::string& needle) {
  TempDir dir;
  auto path = dir.write("bad.toml", text);
  try {
    Policy::load(path.string());
    FAIL() << "no error for " << text;
  } catch (const InputError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("bad.toml"), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
}

TEST(Policy, BadFilesNameTheLine) {
  expect_input_error("[checks.\"drift.nope\"]\n", "line 1");
  expect_input_error("\n[checks.\"drift.ks\"]\nseverity = \"loud\"\n", "line 3");
  expect_input_error("[checks.\"drift.ks\"]\nthreshold = \"high\"\n", "threshold must be a number");
  expect_input_error("[checks.\"drift.ks\"]\ncolour = 1\n", "unknown setting 'colour'");
  expect_input_error("[options]\ncorrection = \"holm\"\n", "correction");
  expect_input_error("[options]\nshrinkage = \"none\"\n", "shrinkage");
  expect_input_error("[options]\ndistance_quantile = 1.5\n", "distance_quantile");
  expect_input_error("[option]\n", "unknown section 'option'");
  expect_input_error("[options\n", "line 1");
  expect_input_error("threshold = nan\n", "unknown section");
}

TEST(Policy, MissingFileIsAnInputError) {
  EXPECT_THROW(Policy::load("/nonexistent/policy.toml"), InputError);
}

}  // namespace
}  // namespace xferval
