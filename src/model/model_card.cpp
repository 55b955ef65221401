#include "xferval/model/model_card.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "xferval/core/clock.hpp"
#include "xferval/core/error.hpp"
#include "xferval/stats/shrinkage.hpp"
#include "xferval/version.hpp"

namespace xferval {

namespace {

std::vector<double> as_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

nlohmann::json fingerprints_json(const TorchModel& model) {
  nlohmann::json out = nlohmann::json::array();
  for (const ParameterFingerprint& p : model.fingerprints()) {
    out.push_back(
        {{"name", p.name}, {"shape", p.shape}, {"dtype", p.dtype}, {"l2_norm", p.l2_norm}, {"hash", p.hash}});
  }
  return out;
}

}  // namespace

void attach_model(Card& card, const TorchModel& model, const ModelInputs& source,
                  const ModelCardOptions& options, const std::function<void(uint64_t, uint64_t)>& progress) {
  auto method = shrinkage_method_from_string(options.shrinkage);
  if (!method)
    throw UsageError(fmt::format("--shrinkage '{}': use ledoit-wolf, oas or pinv", options.shrinkage));
  ModelOutputs outputs = model.run(source.values, source.count, source.sample_shape, progress);

  // Classes: the card's label set for classification (rows with other or missing labels left out
  // of the fit); one class otherwise.
  const bool classification = card.output.task == "classification" && !source.labels.empty();
  std::vector<int> classes =
      classification ? label_indices(source.labels, card.output.labels) : std::vector<int>(source.count, 0);
  std::vector<size_t> usable;
  for (size_t i = 0; i < source.count; ++i) {
    if (classes[i] >= 0) usable.push_back(i);
  }
  std::mt19937_64 generator(options.seed);
  std::shuffle(usable.begin(), usable.end(), generator);
  const size_t holdout = std::min<size_t>(
      static_cast<size_t>(std::llround(options.holdout_fraction * static_cast<double>(usable.size()))),
      options.max_holdout_rows);
  std::vector<size_t> fit(usable.begin(), usable.end() - static_cast<std::ptrdiff_t>(holdout));
  std::vector<size_t> held(usable.end() - static_cast<std::ptrdiff_t>(holdout), usable.end());
  std::sort(fit.begin(), fit.end());
  std::sort(held.begin(), held.end());
  if (fit.size() < 2)
    throw InputError(source.content_hash, "",
                     "fewer than 2 labelled source samples to fit the embedding summary");
  std::vector<int> fit_classes;
  for (size_t i : fit) fit_classes.push_back(classes[i]);
  ClassConditionalGaussian gaussian =
      ClassConditionalGaussian::fit(outputs.embeddings(fit, Eigen::all), fit_classes, *method);
  Eigen::MatrixXd held_embeddings = outputs.embeddings(held, Eigen::all);
  Eigen::VectorXd calibration =
      held.empty() ? Eigen::VectorXd() : gaussian.ood_scores(held_embeddings, false);
  Eigen::VectorXd relative = held.empty() ? Eigen::VectorXd() : gaussian.ood_scores(held_embeddings, true);

  nlohmann::json output = {{"labels", nullptr}, {"source_accuracy", nullptr}};
  if (classification && model.head_outputs() == static_cast<int64_t>(card.output.labels.size())) {
    output["labels"] = card.output.labels;
    size_t correct = 0, counted = 0;
    for (size_t i = 0; i < source.count; ++i) {
      if (classes[i] < 0) continue;
      Eigen::Index predicted = 0;
      outputs.logits.row(static_cast<Eigen::Index>(i)).maxCoeff(&predicted);
      correct += predicted == classes[i];
      ++counted;
    }
    output["source_accuracy"] = counted ? static_cast<double>(correct) / static_cast<double>(counted) : 0.0;
  }
  card.model = {
      {"file", {{"path", model.path()}, {"content_hash", model.content_hash()}}},
      {"features_method", model.features_method()},
      {"head",
       {{"name", model.head_name()}, {"inputs", model.head_inputs()}, {"outputs", model.head_outputs()}}},
      {"input_shape", source.sample_shape},
      {"output", output},
      {"embedding",
       {{"dimensions", outputs.embeddings.cols()},
        {"fit_rows", fit.size()},
        {"shrinkage_method", options.shrinkage},
        {"gaussian", gaussian.to_json()},
        {"calibration",
         {{"rows", held.size()},
          {"scores", as_vector(calibration)},
          {"relative_scores", as_vector(relative)}}},
        {"split",
         {{"seed", options.seed},
          {"holdout_fraction", options.holdout_fraction},
          {"max_holdout_rows", options.max_holdout_rows}}}}},
      {"parameters", fingerprints_json(model)},
      {"lineage",
       {{"model_hash", model.content_hash()},
        {"data_hash", source.content_hash},
        {"xferval_version", kVersion},
        {"created", utc_timestamp()}}}};
}

EmbeddingReference embedding_reference(const Card& card, const std::string& origin) {
  if (card.model.is_null()) {
    throw InputError(origin, "member \"model\"",
                     "the card has no model sections; write it with 'xferval card --model M.pt'");
  }
  try {
    const nlohmann::json& embedding = card.model.at("embedding");
    EmbeddingReference reference{ClassConditionalGaussian::from_json(embedding.at("gaussian")), {}, {}, {}};
    auto scores = embedding.at("calibration").at("scores").get<std::vector<double>>();
    auto relative = embedding.at("calibration").at("relative_scores").get<std::vector<double>>();
    reference.calibration_scores =
        Eigen::Map<Eigen::VectorXd>(scores.data(), static_cast<Eigen::Index>(scores.size()));
    reference.calibration_relative_scores =
        Eigen::Map<Eigen::VectorXd>(relative.data(), static_cast<Eigen::Index>(relative.size()));
    const nlohmann::json& labels = card.model.at("output").at("labels");
    if (!labels.is_null()) reference.head_labels = labels.get<std::vector<std::string>>();
    return reference;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(origin, "member \"model\"", fmt::format("invalid model section: {}", error.what()));
  } catch (const std::invalid_argument& error) {
    throw InputError(origin, "member \"model\"", fmt::format("invalid model section: {}", error.what()));
  }
}

std::string sibling_card_path(const std::string& model_path) {
  std::filesystem::path path(model_path);
  std::filesystem::path card = path.parent_path() / (path.stem().string() + ".card.json");
  return std::filesystem::exists(card) ? card.string() : "";
}

void require_card_model(const Card& card, const std::string& card_path, const TorchModel& model) {
  std::string expected;
  if (!card.model.is_null())
    expected = card.model.value("file", nlohmann::json::object()).value("content_hash", "");
  if (expected != model.content_hash()) {
    throw InputError(
        card_path, "member \"model\"",
        fmt::format("this card was made for another model ({}, not {} of {}); write a card for this "
                    "model with 'xferval card --model {} --data SOURCE'",
                    expected.empty() ? "none" : expected, model.content_hash(), model.path(), model.path()));
  }
}

}  // namespace xferval
