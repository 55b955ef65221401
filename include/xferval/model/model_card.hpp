#pragma once
// The model sections of a card (`model` in xferval.card/1): the model file and its hash, the
// features method and head, the label names in the head's order, the embedding summary
// (per-class means and a shrunk tied covariance of the source embeddings, with the OOD scores of
// held-out source rows to calibrate against), the per-tensor parameter fingerprints and the
// lineage.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "xferval/card/card.hpp"
#include "xferval/model/model_inputs.hpp"
#include "xferval/model/torch_model.hpp"
#include "xferval/transfer/ood.hpp"

namespace xferval {

struct ModelCardOptions {
  uint64_t seed = 0;
  double holdout_fraction = 0.2;
  uint64_t max_holdout_rows = 2000;
  std::string shrinkage = "ledoit-wolf";
};

// Runs the model on the card's source data and writes card.model.
void attach_model(Card& card, const TorchModel& model, const ModelInputs& source, const ModelCardOptions& options,
                  const std::function<void(uint64_t, uint64_t)>& progress = {});

// The embedding summary read back from card.model.
struct EmbeddingReference {
  ClassConditionalGaussian gaussian;
  Eigen::VectorXd calibration_scores;           // min-class squared distances of held-out rows
  Eigen::VectorXd calibration_relative_scores;  // relative Mahalanobis of the same rows
  std::vector<std::string> head_labels;         // label names in the head's order (may be empty)
};
// InputError naming `origin` when card.model is absent or malformed.
EmbeddingReference embedding_reference(const Card& card, const std::string& origin);

// MODEL.card.json beside MODEL.pt, or "" when there is none.
std::string sibling_card_path(const std::string& model_path);

// InputError when the model file is not the one the card was made for (content hash).
void require_card_model(const Card& card, const std::string& card_path, const TorchModel& model);

}  // namespace xferval
