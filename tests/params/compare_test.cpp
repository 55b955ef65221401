// Per-tensor figures and the power-law alpha against NumPy on real (scikit-learn MLP) parameters.
#include "xferval/params/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "mlp_fixture.hpp"
#include "test_support.hpp"
#include "xferval/params/safetensors.hpp"

namespace xferval::params {
namespace {

using testing::TempDir;

void expect_relative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), tolerance * std::max(std::fabs(expected), 1e-300))
      << what << ": " << actual << " vs " << expected;
}

TEST(Compare, MatchesNumPyOnAFineTunedMlp) {
  TempDir folder;
  const std::string base_path = (folder / "base.safetensors").string();
  const std::string tuned_path = (folder / "tuned.safetensors").string();
  const std::string output = testing::run_python(testing_fixture::mlp_python(XFERVAL_SOURCE_DIR) + R"PY(
write_safetensors(")PY" + base_path + R"PY(", base)
write_safetensors(")PY" + tuned_path + R"PY(", tuned)
result = {}
for name in base:
    b = base[name].astype(np.float64).ravel(); t = tuned[name].astype(np.float64).ravel()
    d = t - b
    entry = {"mse": float(np.mean(d * d)), "max": float(np.max(np.abs(d))),
             "rel": float(np.linalg.norm(d) / (np.linalg.norm(b) + 1e-12)),
             "cos": float(b @ t / (np.linalg.norm(b) * np.linalg.norm(t)))}
    if base[name].ndim == 2:
        entry["base_alpha"] = fast_fit(base[name]); entry["tuned_alpha"] = fast_fit(tuned[name])
    result[name] = entry
print(json.dumps(result))
)PY");
  const nlohmann::json expected = nlohmann::json::parse(output);
  auto base = open_parameters(base_path);
  auto tuned = open_parameters(tuned_path);
  const Comparison comparison = compare_parameters(*base, *tuned);
  ASSERT_EQ(comparison.compared.size(), expected.size());
  EXPECT_TRUE(comparison.missing.empty());
  EXPECT_TRUE(comparison.added.empty());
  size_t alphas = 0;
  for (const TensorDelta& delta : comparison.compared) {
    const nlohmann::json& want = expected.at(delta.name);
    expect_relative(delta.mse, want["mse"], 1e-12, delta.name + " mse");
    expect_relative(delta.max_abs_delta, want["max"], 1e-12, delta.name + " max");
    expect_relative(delta.relative_l2, want["rel"], 1e-12, delta.name + " relative L2");
    expect_relative(delta.cosine, want["cos"], 1e-12, delta.name + " cosine");
    EXPECT_FALSE(delta.bit_identical) << delta.name;
    EXPECT_EQ(delta.tuned_nan + delta.tuned_inf, 0u);
    if (want.contains("tuned_alpha") && !want["tuned_alpha"].is_null()) {
      ASSERT_TRUE(delta.tuned_alpha && delta.tuned_alpha->fitted) << delta.name;
      expect_relative(delta.tuned_alpha->alpha, want["tuned_alpha"]["alpha"], 1e-9,
                      delta.name + " tuned alpha");
      expect_relative(delta.tuned_alpha->D, want["tuned_alpha"]["D"], 1e-9, delta.name + " tuned D");
      expect_relative(delta.tuned_alpha->xmin, want["tuned_alpha"]["xmin"], 1e-9, delta.name + " tuned xmin");
      ASSERT_TRUE(delta.base_alpha && delta.base_alpha->fitted);
      expect_relative(delta.base_alpha->alpha, want["base_alpha"]["alpha"], 1e-9, delta.name + " base alpha");
      ++alphas;
    }
  }
  EXPECT_GE(alphas, 2u);
  // The layer summary adds up its tensors.
  ASSERT_EQ(comparison.layers.size(), 3u);
  EXPECT_EQ(comparison.layers[0].layer, "fc1");
  EXPECT_EQ(comparison.layers[0].tensors, 2u);
}

TEST(Compare, FindsIdenticalRenamedReshapedAndNonFiniteTensors) {
  std::vector<double> ramp(12);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = 0.25 * static_cast<double>(i) - 1;
  std::vector<double> broken = ramp;
  broken[3] = std::nan("");
  broken[5] = INFINITY;
  TempDir folder;
  const std::string base_path = (folder / "a.safetensors").string(),
                    tuned_path = (folder / "b.safetensors").string();
  write_safetensors(base_path, {make_tensor("features.0.weight", Dtype::F32, {3, 4}, ramp),
                                make_tensor("features.1.running_mean", Dtype::F32, {12}, ramp),
                                make_tensor("old.weight", Dtype::F32, {12}, ramp),
                                make_tensor("fc.weight", Dtype::F32, {3, 4}, ramp),
                                make_tensor("body.weight", Dtype::BF16, {12}, ramp)});
  write_safetensors(tuned_path,
                    {make_tensor("features.0.weight", Dtype::F32, {3, 4}, ramp),
                     make_tensor("features.1.running_mean", Dtype::F32, {12}, broken),
                     make_tensor("new.weight", Dtype::F32, {12}, ramp),
                     make_tensor("fc.weight", Dtype::F32, {2, 4}, {ramp.begin(), ramp.begin() + 8}),
                     make_tensor("body.weight", Dtype::BF16, {12}, ramp)});
  auto base = open_parameters(base_path);
  auto tuned = open_parameters(tuned_path);
  const Comparison comparison = compare_parameters(*base, *tuned, {true, 2048, 1, 5});
  EXPECT_EQ(comparison.missing, std::vector<std::string>({"old.weight"}));
  ASSERT_EQ(comparison.added.size(), 1u);
  EXPECT_EQ(comparison.added[0].name, "new.weight");
  ASSERT_EQ(comparison.reshaped.size(), 1u);
  EXPECT_EQ(comparison.reshaped[0].base_shape, std::vector<uint64_t>({3, 4}));
  ASSERT_EQ(comparison.compared.size(), 3u);
  const TensorDelta& body = comparison.compared[0];
  EXPECT_TRUE(body.bit_identical);
  EXPECT_EQ(body.mse, 0);
  EXPECT_DOUBLE_EQ(body.cosine, 1);
  const TensorDelta& buffer = comparison.compared[2];
  EXPECT_TRUE(buffer.buffer);
  EXPECT_EQ(buffer.tuned_nan, 1u);
  EXPECT_EQ(buffer.tuned_inf, 1u);
  EXPECT_TRUE(std::isnan(buffer.mse));
}

}  // namespace
}  // namespace xferval::params
