#include "xferval/model/fine_tune.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>
#include <sstream>

#include "test_support.hpp"
#include "xferval/core/error.hpp"

namespace xferval {
namespace {

using testing::run_python;
using testing::source_path;
using testing::TempDir;

const std::string kCnn = source_path("examples/models/fmnist_cnn_0-4.pt").string();
const std::string kMlp = source_path("examples/models/breast_cancer_mlp.pt").string();

// Deterministic images that Python can rebuild exactly: sin(i * 0.37) in double, then float.
ModelInputs synthetic_images(size_t count, int classes) {
  ModelInputs inputs;
  inputs.count = count;
  inputs.sample_shape = {1, 28, 28};
  inputs.values.resize(count * 784);
  for (size_t i = 0; i < inputs.values.size(); ++i) inputs.values[i] = static_cast<float>(std::sin(i * 0.37));
  for (size_t i = 0; i < count; ++i) inputs.labels.push_back(std::to_string(i % classes));
  return inputs;
}

std::vector<int> classes_of(const ModelInputs& inputs) {
  std::vector<int> classes;
  for (const std::string& label : inputs.labels) classes.push_back(std::stoi(label));
  return classes;
}

FineTuneConfig small_config() {
  FineTuneConfig config;
  config.epochs = 2;
  config.batch_size = 16;
  config.learning_rate = 1e-2;
  config.allow_cuda = false;
  return config;
}

ModelOptions cpu_only() {
  ModelOptions options;
  options.allow_cuda = false;
  return options;
}

FineTuner trained(const FineTuneConfig& config, const ModelInputs& inputs, int classes) {
  FineTuner tuner(kCnn, classes, false, config, cpu_only());
  auto labels = classes_of(inputs);
  tuner.train(inputs, labels, stratified_split(labels, 0.2, config.seed));
  return tuner;
}

TEST(FineTune, HeadSurgeryGivesTheTargetNumberOfOutputs) {
  FineTuner tuner(kCnn, 3, false, small_config(), cpu_only());
  EXPECT_TRUE(tuner.head_was_reset());
  EXPECT_EQ(tuner.head_name(), "classifier");
  EXPECT_EQ(tuner.head_outputs(), 3);
  auto parameters = tuner.parameters();
  EXPECT_EQ(parameters.at("classifier.weight").size(), 3u * 64u);
  EXPECT_EQ(parameters.at("classifier.bias").size(), 3u);
  // nn.Linear's init: |w| <= 1/sqrt(fan_in).
  for (float w : parameters.at("classifier.weight")) EXPECT_LE(std::abs(w), 1.0 / 8.0 + 1e-7);
  ModelInputs inputs = synthetic_images(10, 3);
  EXPECT_EQ(tuner.predict(inputs).size(), 30u);
}

TEST(FineTune, KeepsThePretrainedHeadForTheSameLabelSet) {
  FineTuner kept(kCnn, 5, false, small_config(), cpu_only());
  FineTuner reset(kCnn, 5, true, small_config(), cpu_only());
  EXPECT_FALSE(kept.head_was_reset());
  EXPECT_TRUE(reset.head_was_reset());
  EXPECT_NE(kept.parameters().at("classifier.weight"), reset.parameters().at("classifier.weight"));
  EXPECT_EQ(kept.parameters().at("features.0.weight"), reset.parameters().at("features.0.weight"));
}

TEST(FineTune, FrozenParametersAreUnchangedBitForBit) {
  ModelInputs inputs = synthetic_images(80, 3);
  FineTuner pretrained(kCnn, 3, false, small_config(), cpu_only());
  const auto before = pretrained.parameters();
  for (const std::string& freeze : {std::string("features.0.*"), std::string("backbone")}) {
    FineTuneConfig config = small_config();
    config.freeze = freeze;
    config.l2sp_alpha = 0.1;  // a frozen tensor must stay put even with a penalty on the backbone
    config.weight_decay = 0.01;
    FineTuner tuner = trained(config, inputs, 3);
    const auto after = tuner.parameters();
    std::set<std::string> frozen;
    for (const std::string& name : tuner.frozen_parameters()) frozen.insert(name);
    if (freeze == "backbone") {
      EXPECT_EQ(frozen.size(), before.size() - 2) << freeze;
    } else {
      EXPECT_EQ(frozen, (std::set<std::string>{"features.0.weight", "features.0.bias"}));
    }
    for (const auto& [name, values] : after) {
      if (frozen.count(name)) {
        ASSERT_EQ(std::memcmp(values.data(), before.at(name).data(), values.size() * sizeof(float)), 0)
            << name;
      } else {
        EXPECT_NE(values, before.at(name)) << name << " did not train";
      }
    }
  }
}

TEST(FineTune, L2SpTermMatchesAHandComputation) {
  ModelInputs inputs = synthetic_images(80, 3);
  FineTuneConfig config = small_config();
  config.l2sp_alpha = 0.3;
  config.l2sp_beta = 0.05;
  config.freeze = "features.3.*";  // frozen tensors are outside the penalty
  const auto start = FineTuner(kCnn, 3, false, config, cpu_only()).parameters();
  FineTuner tuner = trained(config, inputs, 3);
  const auto now = tuner.parameters();
  double backbone = 0, head = 0;
  for (const auto& [name, values] : now) {
    if (name.rfind("features.3.", 0) == 0) continue;
    for (size_t i = 0; i < values.size(); ++i) {
      if (name.rfind("classifier.", 0) == 0) {
        head += static_cast<double>(values[i]) * values[i];
      } else {
        const double d = static_cast<double>(values[i]) - start.at(name)[i];
        backbone += d * d;
      }
    }
  }
  const double expected = 0.5 * 0.3 * backbone + 0.5 * 0.05 * head;
  EXPECT_GT(backbone, 0.0);
  EXPECT_NEAR(tuner.l2sp_penalty(), expected, 1e-4 * expected);
}

TEST(FineTune, SeedsReproduceTheSameWeights) {
  ModelInputs inputs = synthetic_images(80, 3);
  FineTuneConfig config = small_config();
  config.optimizer = "sgd";
  config.nesterov = true;
  config.schedule = "cosine";
  config.warmup_fraction = 0.2;
  config.label_smoothing = 0.1;
  config.seed = 7;
  const auto first = trained(config, inputs, 3).parameters();
  const auto second = trained(config, inputs, 3).parameters();
  EXPECT_EQ(first, second);
  config.seed = 8;
  EXPECT_NE(trained(config, inputs, 3).parameters(), first);
}

TEST(FineTune, SchedulesEndWhereTheyShould) {
  ModelInputs inputs = synthetic_images(80, 3);
  auto labels = classes_of(inputs);
  DataSplit split = stratified_split(labels, 0.2, 0);
  for (const std::string schedule : {"constant", "cosine", "step"}) {
    FineTuneConfig config = small_config();
    config.optimizer = "adamw";
    config.weight_decay = 0.01;
    config.epochs = 4;
    config.schedule = schedule;
    FineTuner tuner(kCnn, 3, false, config, cpu_only());
    FineTuneResult result = tuner.train(inputs, labels, split);
    ASSERT_EQ(result.epochs.size(), 4u);
    const double last = result.epochs.back().learning_rate;
    if (schedule == "constant") {
      EXPECT_DOUBLE_EQ(last, 1e-2);
    } else if (schedule == "cosine") {
      EXPECT_LT(last, 1e-3);
    } else {
      EXPECT_NEAR(last, 1e-4, 1e-12);
    }
  }
}

TEST(FineTune, StopsWhenTheCallerSaysSoAndKeepsTheBestEpoch) {
  ModelInputs inputs = synthetic_images(80, 3);
  auto labels = classes_of(inputs);
  FineTuneConfig config = small_config();
  config.epochs = 6;
  FineTuner tuner(kCnn, 3, false, config, cpu_only());
  int64_t seen = 0;
  FineTuneResult result =
      tuner.train(inputs, labels, stratified_split(labels, 0.25, 0), [&](const EpochMetrics& m) {
        ++seen;
        EXPECT_GE(m.validation_accuracy, 0.0);
        return m.epoch < 2;
      });
  EXPECT_EQ(seen, 3);
  EXPECT_TRUE(result.stopped_by_caller);
  EXPECT_EQ(result.epochs.size(), 3u);
  EXPECT_GE(result.best_epoch, 0);
}

TEST(FineTune, StratifiedSplitKeepsClassProportions) {
  std::vector<int> classes;
  for (int i = 0; i < 100; ++i) classes.push_back(i < 80 ? 0 : 1);
  classes.push_back(-1);
  DataSplit split = stratified_split(classes, 0.2, 3);
  EXPECT_EQ(split.validation.size(), 20u);
  EXPECT_EQ(split.train.size(), 80u);
  size_t minority = 0;
  for (size_t i : split.validation) minority += classes[i] == 1;
  EXPECT_EQ(minority, 4u);
  EXPECT_EQ(stratified_split(classes, 0.2, 3).validation, split.validation);
  EXPECT_NE(stratified_split(classes, 0.2, 4).validation, split.validation);
}

TEST(FineTune, TrainsATabularMlp) {
  ModelInputs inputs;
  inputs.count = 300;
  inputs.sample_shape = {30};
  std::vector<int> classes;
  for (size_t i = 0; i < inputs.count; ++i) {
    for (int j = 0; j < 30; ++j) inputs.values.push_back(static_cast<float>(std::sin(i * 1.7 + j * 0.9)));
    classes.push_back(inputs.values[i * 30] + inputs.values[i * 30 + 1] > 0 ? 1 : 0);
  }
  FineTuneConfig config = small_config();
  config.epochs = 30;
  config.learning_rate = 3e-3;
  config.patience = 10;
  FineTuner tuner(kMlp, 2, true, config, cpu_only());
  FineTuneResult result = tuner.train(inputs, classes, stratified_split(classes, 0.2, 0));
  EXPECT_GT(result.best_validation_accuracy, 0.85);
}

TEST(FineTune, RejectsBadSettings) {
  FineTuneConfig config = small_config();
  config.optimizer = "rmsprop";
  EXPECT_THROW(FineTuner(kCnn, 3, false, config, cpu_only()), UsageError);
  config = small_config();
  config.freeze = "no_such_layer.*";
  EXPECT_THROW(FineTuner(kCnn, 3, false, config, cpu_only()), UsageError);
  EXPECT_THROW(FineTuner(kCnn, 1, false, small_config(), cpu_only()), UsageError);
  ModelInputs inputs = synthetic_images(20, 2);
  FineTuneConfig big = small_config();
  big.batch_size = 64;
  FineTuner tuner(kCnn, 2, false, big, cpu_only());
  auto labels = classes_of(inputs);
  EXPECT_THROW(tuner.train(inputs, labels, stratified_split(labels, 0.2, 0)), InputError);
}

TEST(FineTune, SavedModelReloadsInLibTorchAndPythonWithTheSamePredictions) {
  ModelInputs inputs = synthetic_images(24, 3);
  FineTuner tuner = trained(small_config(), inputs, 3);
  const std::vector<float> expected = tuner.predict(inputs);
  TempDir dir;
  const std::string path = (dir / "tuned.pt").string();
  tuner.save(path);
  EXPECT_EQ(dir.entry_count(), 1u);  // no temporary file left behind

  TorchModel reloaded(path, cpu_only());
  EXPECT_EQ(reloaded.head_outputs(), 3);
  ModelOutputs outputs = reloaded.run(inputs.values, inputs.count, inputs.sample_shape);
  ASSERT_EQ(outputs.logits.rows(), 24);
  for (Eigen::Index i = 0; i < 24; ++i) {
    for (Eigen::Index j = 0; j < 3; ++j) EXPECT_NEAR(outputs.logits(i, j), expected[i * 3 + j], 1e-5);
  }

  std::string printed = run_python(
      "import torch\n"
      "m = torch.jit.load('" +
      path +
      "')\n"
      "assert m.classifier.weight.shape == (3, 64), m.classifier.weight.shape\n"
      "x = torch.sin(torch.arange(24 * 784, dtype=torch.float64) * 0.37).float().reshape(24, 1, 28, 28)\n"
      "with torch.no_grad():\n"
      "    print(' '.join(repr(v) for v in m(x).flatten().tolist()))\n");
  std::istringstream stream(printed);
  std::vector<double> python;
  for (double v; stream >> v;) python.push_back(v);
  ASSERT_EQ(python.size(), expected.size());
  for (size_t i = 0; i < python.size(); ++i) EXPECT_NEAR(python[i], expected[i], 1e-5) << i;
}

}  // namespace
}  // namespace xferval
