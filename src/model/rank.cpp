#include "xferval/model/rank.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "xferval/card/card.hpp"
#include "xferval/core/error.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/model/model_inputs.hpp"
#include "xferval/transfer/logme.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {

namespace {

}  // namespace

std::vector<RankedModel> rank_models(const std::string& data_path, const std::vector<std::string>& model_paths,
                                     const RankOptions& options) {
  if (!options.data.label && options.data.labels_path.empty()) {
    throw UsageError("rank needs the target's labels: --label COL (or --labels FILE for arrays)");
  }
  if (model_paths.empty()) throw UsageError("rank needs at least one model: xferval rank --data T --label Y A.pt B.pt");
  // The target's own card supplies the input spec for models that come without one.
  CardOptions own;
  own.label = options.data.label;
  own.labels_path = options.data.labels_path;
  own.npz_member = options.data.npz_member;
  own.format = options.data.format;
  own.csv = options.data.csv;
  own.max_holdout_rows = 0;
  own.max_sample_rows = 0;
  if (options.stage) options.stage("reading " + data_path);
  Card target_card = build_data_card(data_path, own);

  std::vector<RankedModel> ranking;
  for (const std::string& path : model_paths) {
    if (options.stage) options.stage("embedding with " + path);
    RankedModel ranked;
    ranked.path = path;
    ranked.card = sibling_card_path(path);
    Card card = ranked.card.empty() ? target_card : load_card(ranked.card);
    TorchModel model(path, options.model);
    ranked.content_hash = model.content_hash();
    ModelInputs inputs = assemble_model_inputs(data_path, options.data, card.input, target_card.output.label);
    ModelOutputs outputs = model.run(inputs.values, inputs.count, inputs.sample_shape);
    std::vector<std::string> names = ordered_label_set(inputs.labels);
    std::vector<int> labels = label_indices(inputs.labels, names);
    if (names.size() < 2) throw InputError(data_path, "", "rank needs labels of at least 2 classes");
    if (std::count(labels.begin(), labels.end(), -1) > 0) {
      throw InputError(data_path, "", "some samples have no label; rank needs every sample labelled");
    }
    std::vector<int> control = labels;
    std::mt19937_64 generator(options.seed);
    std::shuffle(control.begin(), control.end(), generator);
    Eigen::MatrixXd probabilities = softmax_rows(outputs.logits);
    ranked.logme = logme_classification(outputs.embeddings, labels).score;
    ranked.logme_control = logme_classification(outputs.embeddings, control).score;
    ranked.leep = leep(probabilities, labels);
    ranked.nce = nce(probabilities, labels);
    ranked.h_score = shrinkage_h_score(outputs.embeddings, labels);
    ranked.embedding_dimensions = outputs.embeddings.cols();
    ranking.push_back(std::move(ranked));
  }
  std::stable_sort(ranking.begin(), ranking.end(), [](const RankedModel& a, const RankedModel& b) { return a.logme > b.logme; });
  return ranking;
}

nlohmann::json ranking_to_json(const std::vector<RankedModel>& ranking, const std::string& data_path) {
  nlohmann::json models = nlohmann::json::array();
  for (size_t i = 0; i < ranking.size(); ++i) {
    const RankedModel& m = ranking[i];
    models.push_back({{"rank", i + 1},
                      {"path", m.path},
                      {"content_hash", m.content_hash},
                      {"card", m.card.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.card)},
                      {"logme", m.logme},
                      {"logme_permuted_control", m.logme_control},
                      {"leep", m.leep},
                      {"nce", m.nce},
                      {"shrinkage_h_score", m.h_score},
                      {"embedding_dimensions", m.embedding_dimensions}});
  }
  return {{"format", "xferval.rank/1"}, {"data", data_path}, {"ranked_by", "logme"}, {"models", models}};
}

}  // namespace xferval
