// Distributions: validation and the JSON text that storage holds, byte for byte against Optuna.
#include "xferval/tune/distribution.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/tune/search_space.hpp"

namespace xferval::tune {
namespace {

using xferval::testing::run_python;

TEST(Distribution, JsonIsByteIdenticalToOptuna) {
  std::vector<Distribution> ours = {
      make_float(-5, 5),
      make_float(1e-5, 0.1, true),
      make_float(0, 1, false, 0.1),
      make_float(0, 2, false, 0.25),
      make_float(1e-300, 1e16, true),
      make_int(1, 9, false, 2),
      make_int(16, 256, true),
      make_categorical(
          {std::string("sgd"), std::string("adam\"w\u00e9"), int64_t{3}, 2.5, true, std::monostate{}}),
  };
  std::string python = R"(
import optuna.distributions as d
dists = [d.FloatDistribution(-5, 5), d.FloatDistribution(1e-5, 0.1, log=True),
         d.FloatDistribution(0, 1, step=0.1), d.FloatDistribution(0, 2, step=0.25),
         d.FloatDistribution(1e-300, 1e16, log=True), d.IntDistribution(1, 9, step=2),
         d.IntDistribution(16, 256, log=True),
         d.CategoricalDistribution(["sgd", "adam\"w\u00e9", 3, 2.5, True, None])]
for x in dists: print(d.distribution_to_json(x))
)";
  std::string out = run_python(python);
  std::string expected;
  for (const auto& dist : ours) expected += distribution_to_json(dist) + "\n";
  EXPECT_EQ(out, expected);
  for (const auto& dist : ours) EXPECT_TRUE(json_to_distribution(distribution_to_json(dist)) == dist);
}

TEST(Distribution, ReadsLegacyAndAbbreviatedForms) {
  auto uniform =
      json_to_distribution(R"({"name": "UniformDistribution", "attributes": {"low": -1, "high": 1}})");
  EXPECT_TRUE(uniform == Distribution(make_float(-1, 1)));
  auto log_uniform =
      json_to_distribution(R"({"name": "LogUniformDistribution", "attributes": {"low": 1e-3, "high": 1}})");
  EXPECT_TRUE(std::get<FloatDistribution>(log_uniform).log);
  auto discrete = json_to_distribution(
      R"({"name": "DiscreteUniformDistribution", "attributes": {"low": 0, "high": 1, "q": 0.5}})");
  EXPECT_EQ(*std::get<FloatDistribution>(discrete).step, 0.5);
  auto int_log = json_to_distribution(
      R"({"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 8, "step": 1}})");
  EXPECT_TRUE(std::get<IntDistribution>(int_log).log);
  auto abbreviated = json_to_distribution(R"({"type": "float", "low": -5, "high": 5})");
  EXPECT_TRUE(abbreviated == Distribution(make_float(-5, 5)));
  EXPECT_THROW(json_to_distribution(R"({"name": "Weird", "attributes": {}})"), std::invalid_argument);
}

TEST(Distribution, OptunaRulesAndSnapping) {
  EXPECT_THROW(make_float(2, 1), std::invalid_argument);
  EXPECT_THROW(make_float(0, 1, true), std::invalid_argument);
  EXPECT_THROW(make_float(1e-3, 1, true, 0.1), std::invalid_argument);
  EXPECT_THROW(make_int(0, 10, true), std::invalid_argument);
  EXPECT_THROW(make_categorical({}), std::invalid_argument);
  // Decimal arithmetic as Optuna: 0.1 divides [0, 1] exactly, 0.3 does not ([0, 0.9]).
  EXPECT_EQ(make_float(0, 1, false, 0.1).high, 1.0);
  EXPECT_EQ(make_float(0, 1, false, 0.3).high, 0.9);
  EXPECT_EQ(make_int(0, 10, false, 3).high, 9);
  Distribution c = make_categorical({std::string("a"), int64_t{1}, std::monostate{}});
  EXPECT_EQ(to_internal(c, ParamValue{true}), 1.0);  // Python: True == 1
  EXPECT_EQ(to_internal(c, ParamValue{std::monostate{}}), 2.0);
  EXPECT_EQ(std::get<std::string>(to_external(c, 0.0)), "a");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(5), "5.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(python_float_repr(-0.5), "-0.5");
}

std::string error_of(const std::string& toml) {
  try {
    parse_search_space(toml, "space.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SearchSpace, ParsesInFileOrder) {
  auto space = parse_search_space(R"(
[params.lr]
type = "float"
low = 1e-5
high = 1e-1
log = true
[params.batch_size]
type = "int"
low = 16
high = 256
log = true
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "adamw"]
[params.dropout]
type = "float"
low = 0.0
high = 0.5
step = 0.1
)",
                                  "space.toml");
  ASSERT_EQ(space.params.size(), 4u);
  EXPECT_EQ(space.params[0].first, "lr");
  EXPECT_EQ(space.params[1].first, "batch_size");
  EXPECT_EQ(space.params[2].first, "optimizer");
  EXPECT_TRUE(std::get<FloatDistribution>(space.params[0].second).log);
  EXPECT_EQ(std::get<IntDistribution>(space.params[1].second).high, 256);
  EXPECT_EQ(std::get<CategoricalDistribution>(space.params[2].second).choices.size(), 3u);
  EXPECT_EQ(*std::get<FloatDistribution>(space.params[3].second).step, 0.1);
  EXPECT_EQ(default_fine_tuning_space().params.size(), 10u);
}

TEST(SearchSpace, BadInputNamesFileAndLine) {
  EXPECT_EQ(error_of("[params.x]\ntype = \"float\"\nlow = 2.0\nhigh = 1.0\n"),
            "space.toml: line 3: params.x: low (2.0) is greater than high (1.0)");
  EXPECT_NE(error_of("[params.x]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\nlog = true\n")
                .find("space.toml: line 1: params.x: The `low` value must be larger than 0"),
            std::string::npos);
  EXPECT_EQ(error_of("[params.c]\ntype = \"categorical\"\nchoices = []\n"),
            "space.toml: line 3: params.c: choices must not be empty");
  EXPECT_EQ(error_of("[params.x]\ntype = \"int\"\nlow = 1\nhigh = 4\nlgo = true\n"),
            "space.toml: line 5: params.x: unknown key 'lgo' (expected type, low, high, log, step, choices)");
  EXPECT_EQ(error_of("[params.x]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\nstep = 0.3\n"),
            "space.toml: line 5: params.x: step 0.3 does not divide [0.0, 1.0]; Optuna would use [0.0, 0.9]");
  EXPECT_EQ(error_of("[params.x]\ntype = \"int\"\nlow = 0\nhigh = 10\nstep = 3\n"),
            "space.toml: line 5: params.x: step 3 does not divide [0, 10]; Optuna would use [0, 9]");
  EXPECT_EQ(error_of("[params.x]\ntype = \"uniform\"\nlow = 0\nhigh = 10\n"),
            "space.toml: line 2: params.x: unknown type 'uniform' (expected float, int or categorical)");
  EXPECT_EQ(error_of("[space]\nx = 1\n"),
            "space.toml: line 1: unknown key 'space' (expected [params.NAME] tables)");
  EXPECT_NE(error_of("[params.x\n").find("space.toml: line 1"), std::string::npos);
}

}  // namespace
}  // namespace xferval::tune
