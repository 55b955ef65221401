#include "xferval/card/card.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "test_support.hpp"
#include "xferval/core/error.hpp"

namespace xferval {
namespace {

using testing::source_path;
using testing::TempDir;

Card wine_card() {
  CardOptions options;
  options.label = "cultivar";
  return build_data_card(source_path("data/wine.csv").string(), options);
}

TEST(Card, WineCardHasSpecsLabelsAndASplitReference) {
  Card card = wine_card();
  EXPECT_EQ(card.input.kind, "tabular");
  ASSERT_EQ(card.input.features.size(), 13u);
  EXPECT_EQ(card.output.task, "classification");
  EXPECT_EQ(card.output.labels, (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  EXPECT_EQ(card.output.label_counts, (std::vector<uint64_t>{59, 71, 48}));
  ASSERT_TRUE(card.reference);
  EXPECT_EQ(card.reference->fit_rows + static_cast<uint64_t>(card.reference->holdout.rows()), 178u);
  EXPECT_EQ(card.reference->holdout.rows(), 36);  // round(0.2 * 178)
  EXPECT_GT(card.reference->ledoit_wolf, 0.0);
  EXPECT_EQ(card.lineage.content_hash, card.profile.source.content_hash);
}

TEST(Card, StandardisationIsTheSourceMeanAndPopulationStd) {
  Card card = wine_card();
  testing::NumericColumns columns = testing::read_numeric_columns("data/wine.csv");
  for (size_t j = 0; j < columns.names.size(); ++j) {
    const FeatureSpec* spec = card.input.find(columns.names[j]);
    ASSERT_NE(spec, nullptr) << columns.names[j];
    double mean = 0, square = 0;
    for (double v : columns.values[j]) mean += v;
    mean /= static_cast<double>(columns.values[j].size());
    for (double v : columns.values[j]) square += (v - mean) * (v - mean);
    EXPECT_NEAR(spec->mean, mean, 1e-12 * std::fabs(mean));
    EXPECT_NEAR(spec->scale, std::sqrt(square / static_cast<double>(columns.values[j].size())), 1e-10 * spec->scale);
  }
}

TEST(Card, JsonRoundTripIsExact) {
  Card card = wine_card();
  TempDir dir;
  std::string path = (dir / "wine.card.json").string();
  save_card(card, path);
  Card back = load_card(path);
  EXPECT_EQ(card_to_json(back).dump(), card_to_json(card).dump());
  EXPECT_EQ(back.reference->ml_covariance, card.reference->ml_covariance);
}

TEST(Card, RegressionLabelIsInferredAndHasNoLabelSet) {
  CardOptions options;
  options.label = "progression";
  Card card = build_data_card(source_path("data/diabetes.csv").string(), options);
  EXPECT_EQ(card.output.task, "regression");
  EXPECT_TRUE(card.output.labels.empty());
}

TEST(Card, OtherVersionsAndBrokenMembersAreInputErrors) {
  nlohmann::json document = card_to_json(wine_card());
  document["format"] = "xferval.card/0";
  EXPECT_THROW(card_from_json(document, "c.json"), InputError);
  document["format"] = "xferval.card/1";
  document["reference"]["covariance"][0].erase(0);
  try {
    card_from_json(document, "c.json");
    FAIL() << "a short covariance row was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("reference"), std::string::npos) << error.what();
  }
}

TEST(Card, BadOptionsAreUsageErrors) {
  CardOptions options;
  options.holdout_fraction = 1.0;
  EXPECT_THROW(build_data_card(source_path("data/wine.csv").string(), options), UsageError);
  options.holdout_fraction = 0.2;
  options.task = "ranking";
  EXPECT_THROW(build_data_card(source_path("data/wine.csv").string(), options), UsageError);
}

}  // namespace
}  // namespace xferval
