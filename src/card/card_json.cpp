#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "xferval/card/card.hpp"
#include "xferval/core/atomic_file.hpp"
#include "xferval/core/error.hpp"
#include "xferval/profile/profile_json.hpp"

namespace xferval {

using nlohmann::json;

namespace {

json matrix_to_json(const Eigen::MatrixXd& matrix) {
  json rows = json::array();
  for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
    json row = json::array();
    for (Eigen::Index j = 0; j < matrix.cols(); ++j) row.push_back(matrix(i, j));
    rows.push_back(std::move(row));
  }
  return rows;
}

Eigen::MatrixXd matrix_from_json(const json& rows, size_t columns) {
  Eigen::MatrixXd matrix(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(columns));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != columns) throw std::invalid_argument(fmt::format("row {} has {} values, not {}", i, rows[i].size(), columns));
    for (size_t j = 0; j < columns; ++j) {
      matrix(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j].get<double>();
    }
  }
  return matrix;
}

json reference_to_json(const GaussianReference& reference) {
  std::vector<double> mean(reference.mean.data(), reference.mean.data() + reference.mean.size());
  return {{"features", reference.features},
          {"space", "standardised with input.features mean and scale"},
          {"fit_rows", reference.fit_rows},
          {"mean", mean},
          {"covariance", matrix_to_json(reference.ml_covariance)},
          {"covariance_divisor", "n (maximum likelihood)"},
          {"shrinkage", {{"ledoit-wolf", reference.ledoit_wolf}, {"oas", reference.oas}}},
          {"holdout", matrix_to_json(reference.holdout)},
          {"fit_sample", matrix_to_json(reference.fit_sample)},
          {"incomplete_rows", reference.incomplete_rows},
          {"split",
           {{"seed", reference.seed},
            {"holdout_fraction", reference.holdout_fraction},
            {"max_holdout_rows", reference.max_holdout_rows},
            {"max_sample_rows", reference.max_sample_rows}}}};
}

GaussianReference reference_from_json(const json& document) {
  GaussianReference reference;
  reference.features = document.at("features").get<std::vector<std::string>>();
  const size_t p = reference.features.size();
  reference.fit_rows = document.at("fit_rows").get<uint64_t>();
  auto mean = document.at("mean").get<std::vector<double>>();
  if (mean.size() != p) throw std::invalid_argument("mean has the wrong length");
  reference.mean = Eigen::Map<Eigen::VectorXd>(mean.data(), static_cast<Eigen::Index>(p));
  reference.ml_covariance = matrix_from_json(document.at("covariance"), p);
  if (static_cast<size_t>(reference.ml_covariance.rows()) != p) throw std::invalid_argument("covariance is not square");
  reference.ledoit_wolf = document.at("shrinkage").at("ledoit-wolf").get<double>();
  reference.oas = document.at("shrinkage").at("oas").get<double>();
  reference.holdout = matrix_from_json(document.at("holdout"), p);
  reference.fit_sample = matrix_from_json(document.at("fit_sample"), p);
  reference.incomplete_rows = document.at("incomplete_rows").get<uint64_t>();
  reference.seed = document.at("split").at("seed").get<uint64_t>();
  reference.holdout_fraction = document.at("split").at("holdout_fraction").get<double>();
  reference.max_holdout_rows = document.at("split").at("max_holdout_rows").get<uint64_t>();
  reference.max_sample_rows = document.at("split").at("max_sample_rows").get<uint64_t>();
  return reference;
}

json input_to_json(const InputSpec& input) {
  json features = json::array();
  for (const FeatureSpec& spec : input.features) {
    json feature = {{"name", spec.name}, {"kind", to_string(spec.kind)}};
    if (is_numeric_kind(spec.kind)) {
      feature["mean"] = spec.mean;
      feature["scale"] = spec.scale;
    }
    features.push_back(std::move(feature));
  }
  json out = {{"kind", input.kind}, {"features", features}, {"tensor", nullptr}};
  if (input.tensor) {
    const TensorSpec& t = *input.tensor;
    out["tensor"] = {{"sample_shape", t.sample_shape}, {"dtype", t.dtype},       {"channel_axis", t.channel_axis},
                     {"channel_mean", t.channel_mean}, {"channel_std", t.channel_std}};
  }
  return out;
}

InputSpec input_from_json(const json& document) {
  InputSpec input;
  input.kind = document.at("kind").get<std::string>();
  if (input.kind != "tabular" && input.kind != "tensor") throw std::invalid_argument("input.kind must be tabular or tensor");
  for (const json& feature : document.at("features")) {
    FeatureSpec spec;
    spec.name = feature.at("name").get<std::string>();
    auto kind = feature_kind_from_string(feature.at("kind").get<std::string>());
    if (!kind) throw std::invalid_argument(fmt::format("feature '{}' has an unknown kind", spec.name));
    spec.kind = *kind;
    if (is_numeric_kind(spec.kind)) {
      spec.mean = feature.at("mean").get<double>();
      spec.scale = feature.at("scale").get<double>();
      if (!(spec.scale > 0)) throw std::invalid_argument(fmt::format("feature '{}' has a scale that is not positive", spec.name));
    }
    input.features.push_back(std::move(spec));
  }
  const json& tensor = document.at("tensor");
  if (!tensor.is_null()) {
    TensorSpec t;
    t.sample_shape = tensor.at("sample_shape").get<std::vector<int64_t>>();
    t.dtype = tensor.at("dtype").get<std::string>();
    t.channel_axis = tensor.at("channel_axis").get<int>();
    t.channel_mean = tensor.at("channel_mean").get<std::vector<double>>();
    t.channel_std = tensor.at("channel_std").get<std::vector<double>>();
    input.tensor = std::move(t);
  }
  return input;
}

}  // namespace

json card_to_json(const Card& card) {
  json output = {{"task", card.output.task},
                 {"label", card.output.label.empty() ? json(nullptr) : json(card.output.label)},
                 {"labels", card.output.labels},
                 {"label_counts", card.output.label_counts}};
  json lineage = {{"data", {{"path", card.lineage.path}, {"content_hash", card.lineage.content_hash}}},
                  {"xferval_version", card.lineage.xferval_version},
                  {"created", card.lineage.created}};
  return {{"format", kCardFormat},
          {"input", input_to_json(card.input)},
          {"output", output},
          {"reference", card.reference ? reference_to_json(*card.reference) : json(nullptr)},
          {"lineage", lineage},
          {"model", card.model},
          {"profile", profile_to_json(card.profile)}};
}

Card card_from_json(const json& document, const std::string& origin) {
  if (!document.is_object() || !document.contains("format")) {
    throw InputError(origin, "", "not an xferval card: no \"format\" member; write one with 'xferval card'");
  }
  const json& format = document.at("format");
  if (!format.is_string() || format.get<std::string>() != kCardFormat) {
    throw InputError(origin, "member \"format\"",
                     fmt::format("format {} is not {}; rebuild the card with this xferval's 'xferval card'",
                                 format.dump(), kCardFormat));
  }
  Card card;
  std::string member;
  try {
    member = "input";
    card.input = input_from_json(document.at("input"));
    member = "output";
    const json& output = document.at("output");
    card.output.task = output.at("task").get<std::string>();
    if (!output.at("label").is_null()) card.output.label = output.at("label").get<std::string>();
    card.output.labels = output.at("labels").get<std::vector<std::string>>();
    card.output.label_counts = output.at("label_counts").get<std::vector<uint64_t>>();
    member = "reference";
    if (!document.at("reference").is_null()) card.reference = reference_from_json(document.at("reference"));
    member = "lineage";
    const json& lineage = document.at("lineage");
    card.lineage.path = lineage.at("data").at("path").get<std::string>();
    card.lineage.content_hash = lineage.at("data").at("content_hash").get<std::string>();
    card.lineage.xferval_version = lineage.at("xferval_version").get<std::string>();
    card.lineage.created = lineage.at("created").get<std::string>();
    card.model = document.value("model", json(nullptr));
  } catch (const json::exception& error) {
    throw InputError(origin, fmt::format("member \"{}\"", member), fmt::format("invalid card: {}", error.what()));
  } catch (const std::invalid_argument& error) {
    throw InputError(origin, fmt::format("member \"{}\"", member), fmt::format("invalid card: {}", error.what()));
  }
  if (!document.contains("profile")) throw InputError(origin, "member \"profile\"", "missing");
  card.profile = profile_from_json(document.at("profile"), origin);
  return card;
}

Card load_card(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the card; check the path (write one with 'xferval card')");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& error) {
    throw InputError(path, fmt::format("byte {}", error.byte), "not valid JSON; is this a card?");
  }
  return card_from_json(document, path);
}

void save_card(const Card& card, const std::string& path) {
  write_file_atomically(path, card_to_json(card).dump(1) + "\n");
}

}  // namespace xferval
