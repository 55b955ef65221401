// Embedding-space OOD on Fashion-MNIST with the 0-4 source model: held-out test images of classes
// 0-4 are in-distribution; classes 5-9, and an inverted and a noisy copy of them, are OOD. The
// class-conditional Mahalanobis score must separate each OOD set better than the maximum softmax
// probability baseline on the same split.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "test_support.hpp"
#include "xferval/model/model_inputs.hpp"
#include "xferval/model/torch_model.hpp"
#include "xferval/stats/shrinkage.hpp"
#include "xferval/transfer/ood.hpp"

namespace xferval {
namespace {

using testing::source_path;

const double kMean = 79.9767, kStd = 92.4648;  // the card's statistics of fmnist_source_0-4.npz

ModelInputs images(const std::string& name) {
  InputSpec spec;
  spec.kind = "tensor";
  TensorSpec tensor;
  tensor.sample_shape = {28, 28};
  tensor.channel_mean = {kMean};
  tensor.channel_std = {kStd};
  spec.tensor = tensor;
  ProfileOptions options;
  options.npz_member = "images";
  options.label = "labels";
  return assemble_model_inputs(source_path("examples/models/" + name).string(), options, spec, "");
}

// Applies a corruption to normalised pixels (value = (pixel - mean) / std).
ModelInputs corrupted(ModelInputs inputs, bool invert, double noise_sd) {
  std::mt19937_64 generator(7);
  std::normal_distribution<double> noise(0.0, noise_sd);
  for (float& value : inputs.values) {
    double pixel = value * kStd + kMean;
    if (invert) pixel = 255.0 - pixel;
    if (noise_sd > 0) pixel = std::clamp(pixel + noise(generator), 0.0, 255.0);
    value = static_cast<float>((pixel - kMean) / kStd);
  }
  return inputs;
}

std::vector<double> max_softmax(const Eigen::MatrixXd& logits) {
  std::vector<double> out;
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    Eigen::RowVectorXd row = (logits.row(i).array() - logits.row(i).maxCoeff()).exp();
    out.push_back(-(1.0 / row.sum()));  // higher = more OOD, as the Mahalanobis score
  }
  return out;
}

TEST(EmbeddingOod, MahalanobisBeatsMaximumSoftmaxOnEveryOodSet) {
  TorchModel model(source_path("examples/models/fmnist_cnn_0-4.pt").string());
  ModelInputs source = images("fmnist_source_0-4.npz");
  ModelOutputs fit = model.run(source.values, source.count, source.sample_shape);
  std::vector<int> labels;
  for (const auto& label : source.labels) labels.push_back(std::stoi(label));
  ClassConditionalGaussian gaussian = ClassConditionalGaussian::fit(fit.embeddings, labels, ShrinkageMethod::LedoitWolf);

  ModelInputs in = images("fmnist_test_0-4.npz");
  ModelOutputs in_out = model.run(in.values, in.count, in.sample_shape);
  Eigen::VectorXd in_scores = gaussian.ood_scores(in_out.embeddings);
  std::vector<double> in_mahalanobis(in_scores.data(), in_scores.data() + in_scores.size());
  std::vector<double> in_msp = max_softmax(in_out.logits);

  ModelInputs new_classes = images("fmnist_test_5-9.npz");
  struct Case {
    const char* name;
    ModelInputs inputs;
  } cases[] = {{"classes 5-9", new_classes},
               {"classes 5-9 inverted", corrupted(new_classes, true, 0)},
               {"classes 5-9 noisy (sd 60)", corrupted(new_classes, false, 60)}};
  for (const Case& c : cases) {
    ModelOutputs out = model.run(c.inputs.values, c.inputs.count, c.inputs.sample_shape);
    Eigen::VectorXd scores = gaussian.ood_scores(out.embeddings);
    double mahalanobis = auroc(in_mahalanobis, std::vector<double>(scores.data(), scores.data() + scores.size()));
    double msp = auroc(in_msp, max_softmax(out.logits));
    std::printf("%-26s AUROC Mahalanobis %.4f, maximum softmax probability %.4f\n", c.name, mahalanobis, msp);
    EXPECT_GT(mahalanobis, msp) << c.name;
    EXPECT_GT(mahalanobis, 0.8) << c.name;
  }
}

}  // namespace
}  // namespace xferval
