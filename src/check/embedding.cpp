// Checks in the model's embedding space: out-of-distribution scores of the target against the
// card's held-out source scores, and how well the embedding transfers to the target labels
// (LogME, LEEP, NCE, shrinkage H-score, each next to a permuted-label control).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "check_context.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/transfer/logme.hpp"
#include "xferval/transfer/ood.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval::check {

namespace {

std::vector<int> permuted(const std::vector<int>& labels, uint64_t seed) {
  std::vector<int> out = labels;
  std::mt19937_64 generator(seed);
  std::shuffle(out.begin(), out.end(), generator);
  return out;
}

void check_ood(Context& context, const EmbeddingReference& reference, const Eigen::MatrixXd& embeddings) {
  const bool relative = context.policy.relative_ood;
  Eigen::VectorXd scores = reference.gaussian.ood_scores(embeddings, relative);
  const Eigen::VectorXd& calibration = relative ? reference.calibration_relative_scores : reference.calibration_scores;
  if (calibration.size() < 5) {
    context.skip("ood.ks", "", "fewer than 5 held-out source scores in the card");
    context.skip("ood.rate", "", "fewer than 5 held-out source scores in the card");
    return;
  }
  OodSummary summary = summarize_ood(calibration, scores, 0.95);
  nlohmann::json details = {{"threshold", summary.threshold},
                            {"target_rate", summary.target_rate},
                            {"calibration_rate", summary.calibration_rate},
                            {"ks_statistic", summary.ks_statistic},
                            {"ks_p_value", summary.ks_p_value},
                            {"mann_whitney_p_value", summary.mann_whitney_p_value},
                            {"target_mean_score", scores.mean()},
                            {"calibration_mean_score", calibration.mean()},
                            {"score", relative ? "relative Mahalanobis" : "class-conditional Mahalanobis"},
                            {"target_rows", scores.size()},
                            {"calibration_rows", calibration.size()}};
  context.add("ood.rate", "", summary.target_rate,
              fmt::format("{:.1f}% of samples score above the 95% quantile {:.4g} of held-out source samples "
                          "({} in the embedding space)",
                          100 * summary.target_rate, summary.threshold,
                          relative ? "relative Mahalanobis" : "class-conditional Mahalanobis"),
              details);
  context.add("ood.ks", "", summary.ks_p_value,
              fmt::format("mean OOD score {:.4g} against {:.4g} on held-out source samples; KS D {:.3f}",
                          scores.mean(), calibration.mean(), summary.ks_statistic),
              details);
  Eigen::VectorXd sorted = scores;
  std::sort(sorted.data(), sorted.data() + sorted.size());
  context.report.sections["ood"] = {{"target_scores_deciles", nlohmann::json::array()},
                                    {"threshold", summary.threshold}};
  for (int q = 0; q <= 10; ++q) {
    context.report.sections["ood"]["target_scores_deciles"].push_back(
        sorted[static_cast<Eigen::Index>(std::llround(q / 10.0 * static_cast<double>(sorted.size() - 1)))]);
  }
}

void add_score(Context& context, const std::string& name, double score, double control, const std::string& what) {
  context.add(name, "", score - control,
              fmt::format("{} {:.4g}, {:.4g} with permuted labels (margin {:.4g})", what, score, control, score - control),
              {{"score", score}, {"permuted_control", control}});
}

void check_transferability(Context& context, const ModelOutputs& outputs, const std::vector<std::string>& labels,
                           uint64_t seed) {
  std::vector<std::string> names = ordered_label_set(labels);
  std::vector<int> classes = label_indices(labels, names);
  std::vector<size_t> rows;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] >= 0) rows.push_back(i);
  }
  if (names.size() < 2 || rows.size() < 3) {
    for (const char* name : {"transfer.logme", "transfer.leep", "transfer.nce", "transfer.h_score"})
      context.skip(name, "", "needs labelled target samples of at least 2 classes");
    return;
  }
  Eigen::MatrixXd embeddings(static_cast<Eigen::Index>(rows.size()), outputs.embeddings.cols());
  Eigen::MatrixXd probabilities(static_cast<Eigen::Index>(rows.size()), outputs.logits.cols());
  std::vector<int> y;
  for (size_t i = 0; i < rows.size(); ++i) {
    embeddings.row(static_cast<Eigen::Index>(i)) = outputs.embeddings.row(static_cast<Eigen::Index>(rows[i]));
    probabilities.row(static_cast<Eigen::Index>(i)) = outputs.logits.row(static_cast<Eigen::Index>(rows[i]));
    y.push_back(classes[rows[i]]);
  }
  probabilities = softmax_rows(probabilities);
  std::vector<int> control = permuted(y, seed);
  add_score(context, "transfer.logme", logme_classification(embeddings, y).score,
            logme_classification(embeddings, control).score, "LogME");
  add_score(context, "transfer.leep", leep(probabilities, y), leep(probabilities, control), "LEEP");
  add_score(context, "transfer.nce", nce(probabilities, y), nce(probabilities, control), "NCE");
  add_score(context, "transfer.h_score", shrinkage_h_score(embeddings, y), shrinkage_h_score(embeddings, control),
            "shrinkage H-score");
}

}  // namespace

void check_embedding(Context& context, const EmbeddingReference& reference, const ModelOutputs& outputs,
                     const std::vector<std::string>& labels) {
  check_ood(context, reference, outputs.embeddings);
  check_transferability(context, outputs, labels, context.policy.seed);
}

}  // namespace xferval::check
