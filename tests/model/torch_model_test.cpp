#include "xferval/model/torch_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/model/model_inputs.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::run_python;
using testing::shell_quote;
using testing::source_path;
using testing::TempDir;

const double kMean = 80.0, kStd = 92.5;

InputSpec image_spec() {
  InputSpec spec;
  spec.kind = "tensor";
  TensorSpec tensor;
  tensor.sample_shape = {28, 28};
  tensor.dtype = "uint8";
  tensor.channel_mean = {kMean};
  tensor.channel_std = {kStd};
  spec.tensor = tensor;
  return spec;
}

ModelInputs test_images() {
  ProfileOptions options;
  options.npz_member = "images";
  options.label = "labels";
  return assemble_model_inputs(source_path("examples/models/fmnist_test_0-4.npz").string(), options, image_spec(), "");
}

void expect_matrix_near(const Eigen::MatrixXd& actual, const json& expected, double tolerance, const char* what) {
  ASSERT_EQ(static_cast<size_t>(actual.rows()), expected.size()) << what;
  for (Eigen::Index i = 0; i < actual.rows(); ++i) {
    ASSERT_EQ(static_cast<size_t>(actual.cols()), expected[static_cast<size_t>(i)].size()) << what;
    for (Eigen::Index j = 0; j < actual.cols(); ++j) {
      double e = expected[static_cast<size_t>(i)][static_cast<size_t>(j)].get<double>();
      ASSERT_NEAR(actual(i, j), e, tolerance * std::max(1.0, std::fabs(e))) << what << " at " << i << "," << j;
    }
  }
}

TEST(TorchModel, EmbeddingsAndLogitsEqualPythonTorch) {
  TorchModel model(source_path("examples/models/fmnist_cnn_0-4.pt").string());
  EXPECT_EQ(model.features_method(), "forward_features");
  EXPECT_EQ(model.head_name(), "classifier");
  EXPECT_EQ(model.head_outputs(), 5);
  EXPECT_EQ(model.head_inputs(), 64);
  ModelInputs inputs = test_images();
  ASSERT_EQ(inputs.count, 2000u);
  EXPECT_EQ(inputs.sample_shape, (std::vector<int64_t>{1, 28, 28}));
  ModelOutputs outputs = model.run(inputs.values, 300, inputs.sample_shape);
  json expected = json::parse(run_python(
      "import json, numpy as np, torch\n"
      "torch.set_num_threads(1)\n"
      "d = np.load(" + shell_quote(source_path("examples/models/fmnist_test_0-4.npz").string()) + ")\n"
      "x = (torch.tensor(d['images'][:300], dtype=torch.float64).unsqueeze(1) - 80.0) / 92.5\n"
      "m = torch.jit.load(" + shell_quote(source_path("examples/models/fmnist_cnn_0-4.pt").string()) + ")\n"
      "with torch.no_grad():\n"
      "    x = x.float()\n"
      "    print(json.dumps({'e': m.forward_features(x).tolist(), 'l': m(x).tolist(),\n"
      "                      'labels': d['labels'][:300].tolist()}))\n"));
  expect_matrix_near(outputs.embeddings, expected["e"], 1e-5, "embeddings");
  expect_matrix_near(outputs.logits, expected["l"], 1e-5, "logits");
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(inputs.labels[i], std::to_string(expected["labels"][i].get<int>()));
}

TEST(TorchModel, FingerprintsMatchPythonTorch) {
  TorchModel model(source_path("examples/models/breast_cancer_mlp.pt").string());
  auto fingerprints = model.fingerprints();
  json expected = json::parse(run_python(
      "import json, torch\n"
      "m = torch.jit.load(" + shell_quote(source_path("examples/models/breast_cancer_mlp.pt").string()) + ")\n"
      "print(json.dumps([[n, list(p.shape), p.double().norm().item()] for n, p in m.named_parameters()]))\n"));
  ASSERT_EQ(fingerprints.size(), expected.size());
  for (size_t i = 0; i < fingerprints.size(); ++i) {
    EXPECT_EQ(fingerprints[i].name, expected[i][0].get<std::string>());
    EXPECT_EQ(fingerprints[i].shape, expected[i][1].get<std::vector<int64_t>>());
    EXPECT_NEAR(fingerprints[i].l2_norm, expected[i][2].get<double>(), 1e-12 * expected[i][2].get<double>());
    EXPECT_EQ(fingerprints[i].dtype, "Float");
    EXPECT_EQ(fingerprints[i].hash.substr(0, 5), "xxh3:");
  }
  EXPECT_NE(fingerprints[0].hash, fingerprints[2].hash);
}

void expect_input_error(const std::function<void()>& action, const std::vector<std::string>& needles) {
  try {
    action();
    FAIL() << "no error";
  } catch (const InputError& error) {
    for (const auto& needle : needles) EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
  }
}

TEST(TorchModel, BadModelsAreInputErrorsThatSayWhy) {
  TempDir dir;
  std::string original = testing::read_file(source_path("examples/models/fmnist_cnn_0-4.pt"));
  auto truncated = dir.write("truncated.pt", original.substr(0, original.size() / 2));
  expect_input_error([&] { TorchModel m(truncated.string()); }, {"truncated.pt", "TorchScript"});
  auto garbage = dir.write("garbage.pt", "not a model at all");
  expect_input_error([&] { TorchModel m(garbage.string()); }, {"garbage.pt"});

  std::string no_features = (dir / "plain.pt").string();
  std::string nan_model = (dir / "nan.pt").string();
  run_python(
      "import torch\n"
      "from torch import nn\n"
      "class Plain(nn.Module):\n"
      "    def __init__(self):\n"
      "        super().__init__()\n"
      "        self.body = nn.Linear(4, 3)\n"
      "        self.head = nn.Linear(3, 2)\n"
      "    @torch.jit.export\n"
      "    def embed(self, x):\n"
      "        return self.body(x)\n"
      "    def forward(self, x):\n"
      "        return self.head(self.body(x))\n"
      "class Nan(Plain):\n"
      "    @torch.jit.export\n"
      "    def forward_features(self, x):\n"
      "        return self.body(x) * float('nan')\n"
      "torch.jit.script(Plain()).save(" + shell_quote(no_features) + ")\n"
      "torch.jit.script(Nan()).save(" + shell_quote(nan_model) + ")\n"
      "print('ok')\n");
  expect_input_error([&] { TorchModel m(no_features); }, {"plain.pt", "forward_features", "embed", "--features-method"});
  ModelOptions named;
  named.features_method = "embed";
  TorchModel plain(no_features, named);
  EXPECT_EQ(plain.head_name(), "head");
  EXPECT_EQ(plain.head_outputs(), 2);
  std::vector<float> rows(2 * 5, 0.5f);
  expect_input_error([&] { plain.run(rows, 2, {5}); }, {"plain.pt", "shape 5"});
  ModelOutputs ok = plain.run(std::vector<float>(8, 0.5f), 2, {4});
  EXPECT_EQ(ok.embeddings.cols(), 3);
  TorchModel nan(nan_model);
  expect_input_error([&] { nan.run(std::vector<float>(8, 0.5f), 2, {4}); }, {"nan.pt", "NaN"});

  TorchModel image_model(source_path("examples/models/fmnist_cnn_0-4.pt").string());
  expect_input_error([&] { image_model.run(std::vector<float>(2 * 27 * 27), 2, {1, 27, 27}); }, {"1x27x27"});
}

TEST(ModelInputs, TabularRowsAreCardZScoresInCardOrder) {
  InputSpec spec;
  spec.kind = "tabular";
  spec.features = {{"mean_texture", FeatureKind::Numeric, 19.0, 4.0}, {"mean_radius", FeatureKind::Numeric, 14.0, 3.5}};
  ProfileOptions options;
  ModelInputs inputs = assemble_model_inputs(source_path("data/breast_cancer.csv").string(), options, spec, "diagnosis");
  ASSERT_EQ(inputs.count, 569u);
  EXPECT_EQ(inputs.sample_shape, (std::vector<int64_t>{2}));
  EXPECT_FLOAT_EQ(inputs.values[0], static_cast<float>((10.38 - 19.0) / 4.0));
  EXPECT_FLOAT_EQ(inputs.values[1], static_cast<float>((17.99 - 14.0) / 3.5));
  EXPECT_EQ(inputs.labels.size(), 569u);
  spec.features.push_back({"absent", FeatureKind::Numeric, 0, 1});
  expect_input_error([&] { assemble_model_inputs(source_path("data/breast_cancer.csv").string(), options, spec, ""); },
                     {"breast_cancer.csv", "absent"});
}

TEST(ModelInputs, LabelOrderIsNumericWhenLabelsAreNumbers) {
  EXPECT_EQ(ordered_label_set({"10", "2", "1", "2"}), (std::vector<std::string>{"1", "2", "10"}));
  EXPECT_EQ(ordered_label_set({"b", "a", "c"}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(label_indices({"b", "z", "a"}, {"a", "b"}), (std::vector<int>{1, -1, 0}));
}

}  // namespace
}  // namespace xferval
