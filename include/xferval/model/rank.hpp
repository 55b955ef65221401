#pragma once
// `xferval rank`: candidate pretrained models ranked by how well their embeddings fit the target
// labels before any fine-tuning: LogME first (the most robust single estimator), with LEEP, NCE
// and the shrinkage H-score beside it, and LogME with permuted labels as the control.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "xferval/model/torch_model.hpp"
#include "xferval/profile/builder.hpp"

namespace xferval {

struct RankedModel {
  std::string path;
  std::string content_hash;
  std::string card;  // the card whose input spec prepared the data, or "" (the target's own statistics)
  double logme = 0, logme_control = 0, leep = 0, nce = 0, h_score = 0;
  int64_t embedding_dimensions = 0;
};

struct RankOptions {
  ProfileOptions data;  // the target, with its label
  ModelOptions model;
  uint64_t seed = 0;
  std::function<void(const std::string&)> stage;
};

// Models sorted by LogME, best first. Each model's inputs are prepared as its card says (MODEL.card.json
// beside MODEL.pt); without a card, tabular data is standardised with the target's own statistics
// and images with the target's per-channel mean and std.
std::vector<RankedModel> rank_models(const std::string& data_path, const std::vector<std::string>& model_paths,
                                     const RankOptions& options);

nlohmann::json ranking_to_json(const std::vector<RankedModel>& ranking, const std::string& data_path);

}  // namespace xferval
