// Permuted-label controls: the score a model gets when its features cannot know the labels.
#include <random>
#include <stdexcept>
#include <utility>

#include "xferval/transfer/logme.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {

std::vector<int> permuted_labels(const std::vector<int>& labels, uint64_t seed) {
  std::vector<int> out = labels;
  std::mt19937_64 generator(seed);
  for (size_t i = out.size(); i > 1; --i) {
    // Unbiased draw from 0..i-1 by rejection, so the result does not depend on the library's distributions.
    const uint64_t bound = static_cast<uint64_t>(i);
    const uint64_t limit = generator.max() - generator.max() % bound;
    uint64_t draw = generator();
    while (draw >= limit) draw = generator();
    std::swap(out[i - 1], out[static_cast<size_t>(draw % bound)]);
  }
  return out;
}

ScoreWithControl with_permuted_control(const LabelScore& score, const std::vector<int>& labels, uint64_t seed,
                                       int repeats) {
  if (repeats < 1) throw std::invalid_argument("with_permuted_control: repeats must be >= 1");
  ScoreWithControl result;
  result.score = score(labels);
  for (int r = 0; r < repeats; ++r) result.permuted_control += score(permuted_labels(labels, seed + r));
  result.permuted_control /= repeats;
  return result;
}

ScoreWithControl logme_with_control(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                                    uint64_t seed, int repeats) {
  return with_permuted_control(
      [&](const std::vector<int>& y) { return logme_classification(features, y).score; }, labels, seed,
      repeats);
}

ScoreWithControl leep_with_control(const Eigen::MatrixXd& source_probabilities,
                                   const std::vector<int>& labels, uint64_t seed, int repeats) {
  return with_permuted_control([&](const std::vector<int>& y) { return leep(source_probabilities, y); },
                               labels, seed, repeats);
}

ScoreWithControl nce_with_control(const Eigen::MatrixXd& source_probabilities, const std::vector<int>& labels,
                                  uint64_t seed, int repeats) {
  return with_permuted_control([&](const std::vector<int>& y) { return nce(source_probabilities, y); },
                               labels, seed, repeats);
}

ScoreWithControl h_score_with_control(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                                      uint64_t seed, int repeats) {
  return with_permuted_control([&](const std::vector<int>& y) { return h_score(features, y); }, labels, seed,
                               repeats);
}

ScoreWithControl shrinkage_h_score_with_control(const Eigen::MatrixXd& features,
                                                const std::vector<int>& labels, uint64_t seed, int repeats) {
  return with_permuted_control([&](const std::vector<int>& y) { return shrinkage_h_score(features, y); },
                               labels, seed, repeats);
}

}  // namespace xferval
