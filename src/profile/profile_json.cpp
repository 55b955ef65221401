#include "xferval/profile/profile_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "xferval/core/atomic_file.hpp"
#include "xferval/core/error.hpp"
#include "xferval/version.hpp"

namespace xferval {

using nlohmann::json;

namespace {

// JSON has no NaN or infinity: they are written as null.
json number(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json quantiles_json(const KllSketch& sketch) {
  json out = json::object();
  const std::vector<double> qs(std::begin(kProfileQuantiles), std::end(kProfileQuantiles));
  const std::vector<double> values = sketch.quantiles(qs);
  for (size_t i = 0; i < qs.size(); ++i) out[fmt::format("{}", qs[i])] = number(values[i]);
  return out;
}

// Equal-width bins over [min, max]; counts from the quantile sketch's ranks, exact while the
// sketch is exact. Bin i holds values in (edge_i, edge_i+1], the first bin also its left edge.
json histogram_from_sketch(const KllSketch& sketch, size_t bins) {
  json out = {{"edges", json::array()}, {"counts", json::array()}, {"exact", sketch.exact()}};
  if (sketch.empty()) return out;
  double low = sketch.min();
  double high = sketch.max();
  if (!(high > low)) bins = 1;
  const double n = static_cast<double>(sketch.n());
  uint64_t previous = 0;
  for (size_t i = 0; i <= bins; ++i) {
    double edge = i == bins ? high : low + (high - low) * static_cast<double>(i) / static_cast<double>(bins);
    out["edges"].push_back(edge);
    if (i == 0) continue;
    uint64_t cumulative = i == bins ? sketch.n() : static_cast<uint64_t>(std::llround(n * sketch.rank(edge)));
    cumulative = std::max(cumulative, previous);
    out["counts"].push_back(cumulative - previous);
    previous = cumulative;
  }
  return out;
}

json distinct_json(const DistinctCounter& counter) {
  return {{"estimate", std::llround(counter.estimate())},
          {"exact", counter.exact()},
          {"relative_error", counter.relative_error()}};
}

template <typename Key>
json top_json(const FrequentItems<Key>& items, size_t limit) {
  json out = json::array();
  for (const auto& [key, count] : items.top(limit)) {
    out.push_back({{"value", key}, {"count", count}});
  }
  return out;
}

json feature_json(const FeatureState& feature) {
  json out = {{"name", feature.name},
              {"kind", to_string(feature.kind())},
              {"count", feature.present()},
              {"missing", feature.missing},
              {"nan", feature.nan},
              {"inf", feature.inf},
              {"distinct", distinct_json(feature.distinct)}};
  json state = {{"storage", feature.storage == Storage::Text ? "text" : "numbers"},
                {"rows", feature.rows},
                {"all_integral", feature.all_integral},
                {"saw_bool_literal", feature.saw_bool_literal},
                {"saw_number", feature.saw_number},
                {"moments", feature.moments.to_json()},
                {"distinct", feature.distinct.to_json()}};
  if (feature.storage == Storage::Text) {
    out["length"] = {{"min", number(feature.moments.min())},
                     {"max", number(feature.moments.max())},
                     {"mean", number(feature.moments.mean())}};
    out["top_values"] = top_json(feature.top_texts, kTopValues);
    out["top_values_exact"] = feature.top_texts.exact();
    state["top"] = feature.top_texts.to_json();
  } else {
    const Moments& m = feature.moments;
    out["zeros"] = feature.zeros;
    out["min"] = number(m.min());
    out["max"] = number(m.max());
    out["mean"] = number(m.mean());
    out["std"] = number(m.stddev(1));
    out["quantiles"] = quantiles_json(feature.quantiles);
    out["quantile_rank_error"] = feature.quantiles.normalized_rank_error();
    out["histogram"] = histogram_from_sketch(feature.quantiles, kHistogramBins);
    out["top_values"] = top_json(feature.top_numbers, kTopValues);
    out["top_values_exact"] = feature.top_numbers.exact();
    state["quantiles"] = feature.quantiles.to_json();
    state["top"] = feature.top_numbers.to_json();
  }
  out["state"] = std::move(state);
  return out;
}

json schema_feature_json(const FeatureState& feature, uint64_t rows) {
  FeatureKind kind = feature.kind();
  json out = {
      {"name", feature.name},
      {"kind", to_string(kind)},
      {"presence", rows == 0 ? 0.0 : static_cast<double>(feature.present()) / static_cast<double>(rows)}};
  if (is_numeric_kind(kind)) {
    out["range"] = {number(feature.moments.min()), number(feature.moments.max())};
  } else if (kind == FeatureKind::Categorical && feature.top_texts.exact() &&
             feature.top_texts.size() <= kDomainLimit) {
    json domain = json::array();
    for (const auto& [value, count] : feature.top_texts.items()) domain.push_back(value);
    out["domain"] = std::move(domain);
  }
  return out;
}

json tensor_json(const TensorState& tensor) {
  Moments overall;
  json channels = json::array();
  for (const Moments& channel : tensor.channels) {
    overall.merge(channel);
    channels.push_back({{"count", channel.count()},
                        {"mean", number(channel.mean())},
                        {"std", number(channel.stddev(1))},
                        {"min", number(channel.min())},
                        {"max", number(channel.max())}});
  }
  json histogram;
  if (!tensor.byte_histogram.empty()) {
    json edges = json::array();
    for (int edge = 0; edge <= 256; ++edge) edges.push_back(edge - 0.5);
    histogram = {{"edges", edges}, {"counts", tensor.byte_histogram}, {"exact", true}};
  } else {
    histogram = histogram_from_sketch(tensor.values, 32);
  }
  json state = {
      {"channels", json::array()}, {"values", tensor.values.to_json()}, {"samples", tensor.samples}};
  for (const Moments& channel : tensor.channels) state["channels"].push_back(channel.to_json());
  if (!tensor.byte_histogram.empty()) state["byte_histogram"] = tensor.byte_histogram;
  return {{"kind", tensor.is_image ? "image" : "tensor"},
          {"sample_shape", tensor.sample_shape},
          {"dtype", tensor.dtype},
          {"channel_axis", tensor.channel_axis},
          {"samples", tensor.samples},
          {"values", overall.count()},
          {"nan", tensor.nan},
          {"inf", tensor.inf},
          {"zeros", tensor.zeros},
          {"min", number(overall.min())},
          {"max", number(overall.max())},
          {"mean", number(overall.mean())},
          {"std", number(overall.stddev(1))},
          {"channels", std::move(channels)},
          {"quantiles", quantiles_json(tensor.values)},
          {"histogram", std::move(histogram)},
          {"state", std::move(state)}};
}

json label_json(const LabelState& label) {
  json counts = json::array();
  for (const auto& [value, count] : label.ordered_counts())
    counts.push_back({{"value", value}, {"count", count}});
  return {{"name", label.name},
          {"missing", label.missing},
          {"classes", label.counts.size()},
          {"exact", label.counts.exact()},
          {"counts", std::move(counts)},
          {"state", label.counts.to_json()}};
}

json cleaning_json(const CleaningLog& log) {
  json entries = json::array();
  for (const auto& entry : log.entries) {
    entries.push_back({{"reason", entry.reason},
                       {"action", entry.action},
                       {"feature", entry.feature},
                       {"count", entry.count},
                       {"first_rows", entry.first_rows}});
  }
  return {{"applied", log.applied},
          {"policy", log.policy},
          {"rows_in", log.rows_in},
          {"rows_out", log.rows_out},
          {"entries", std::move(entries)}};
}

json covariance_json(const Profile& profile) {
  const CovarianceAccumulator& covariance = *profile.covariance;
  Eigen::MatrixXd matrix = covariance.covariance(1);
  json rows = json::array();
  for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
    json row = json::array();
    for (Eigen::Index j = 0; j < matrix.cols(); ++j) row.push_back(number(matrix(i, j)));
    rows.push_back(std::move(row));
  }
  return {{"features", profile.covariance_features},
          {"rows", covariance.count()},
          {"ddof", 1},
          {"matrix", std::move(rows)},
          {"state", covariance.to_json()}};
}

[[noreturn]] void invalid(const std::string& origin, const std::string& what) {
  throw InputError(origin, "", "not a valid xferval.profile/1 document: " + what);
}

}  // namespace

json profile_to_json(const Profile& profile) {
  json source = {{"path", profile.source.path},
                 {"format", profile.source.format},
                 {"content_hash", profile.source.content_hash},
                 {"shard", nullptr},
                 {"merged_from", profile.source.merged_from}};
  if (profile.source.shard_count > 0) {
    source["shard"] = {{"index", profile.source.shard_index}, {"count", profile.source.shard_count}};
  }
  json features = json::array();
  json schema_features = json::array();
  for (const FeatureState& feature : profile.features) {
    features.push_back(feature_json(feature));
    schema_features.push_back(schema_feature_json(feature, profile.rows));
  }
  json schema = {{"features", schema_features}, {"label", nullptr}, {"tensor", nullptr}};
  json out = {{"format", kProfileFormat},
              {"xferval_version", kVersion},
              {"source", std::move(source)},
              {"rows", profile.rows},
              {"std_ddof", 1},
              {"schema", nullptr},
              {"features", std::move(features)},
              {"covariance", nullptr},
              {"label", nullptr},
              {"tensor", nullptr},
              {"cleaning", cleaning_json(profile.cleaning)}};
  if (profile.covariance) out["covariance"] = covariance_json(profile);
  if (profile.label) {
    out["label"] = label_json(*profile.label);
    json domain = json::array();
    if (profile.label->counts.exact() && profile.label->counts.size() <= 4096) {
      for (const auto& [value, count] : profile.label->ordered_counts()) domain.push_back(value);
    }
    schema["label"] = {{"name", profile.label->name}, {"domain", domain}};
  }
  if (profile.tensor) {
    out["tensor"] = tensor_json(*profile.tensor);
    schema["tensor"] = {{"kind", profile.tensor->is_image ? "image" : "tensor"},
                        {"sample_shape", profile.tensor->sample_shape},
                        {"dtype", profile.tensor->dtype}};
  }
  out["schema"] = std::move(schema);
  return out;
}

Profile profile_from_json(const json& document, const std::string& origin) {
  if (!document.is_object()) invalid(origin, "expected a JSON object");
  std::string format = document.value("format", "");
  if (format != kProfileFormat) {
    throw InputError(origin, "",
                     fmt::format("format is '{}', expected '{}'; write it again with this xferval", format,
                                 kProfileFormat));
  }
  Profile profile;
  try {
    const json& source = document.at("source");
    profile.source.path = source.at("path").get<std::string>();
    profile.source.format = source.at("format").get<std::string>();
    profile.source.content_hash = source.at("content_hash").get<std::string>();
    profile.source.merged_from = source.at("merged_from").get<std::vector<std::string>>();
    if (!source.at("shard").is_null()) {
      profile.source.shard_index = source["shard"].at("index").get<uint32_t>();
      profile.source.shard_count = source["shard"].at("count").get<uint32_t>();
    }
    profile.rows = document.at("rows").get<uint64_t>();
    for (const json& item : document.at("features")) {
      const json& state = item.at("state");
      FeatureState feature;
      feature.name = item.at("name").get<std::string>();
      feature.storage = state.at("storage").get<std::string>() == "text" ? Storage::Text : Storage::Numbers;
      feature.rows = state.at("rows").get<uint64_t>();
      feature.missing = item.at("missing").get<uint64_t>();
      feature.nan = item.at("nan").get<uint64_t>();
      feature.inf = item.at("inf").get<uint64_t>();
      feature.all_integral = state.at("all_integral").get<bool>();
      feature.saw_bool_literal = state.at("saw_bool_literal").get<bool>();
      feature.saw_number = state.at("saw_number").get<bool>();
      feature.moments = Moments::from_json(state.at("moments"));
      feature.distinct = DistinctCounter::from_json(state.at("distinct"));
      if (feature.storage == Storage::Text) {
        feature.top_texts = FrequentItems<std::string>::from_json(state.at("top"));
      } else {
        feature.zeros = item.at("zeros").get<uint64_t>();
        feature.quantiles = KllSketch::from_json(state.at("quantiles"));
        feature.top_numbers = FrequentItems<double>::from_json(state.at("top"));
      }
      profile.features.push_back(std::move(feature));
    }
    if (!document.at("covariance").is_null()) {
      profile.covariance = CovarianceAccumulator::from_json(document["covariance"].at("state"));
      profile.covariance_features = document["covariance"].at("features").get<std::vector<std::string>>();
    }
    if (!document.at("label").is_null()) {
      LabelState label;
      label.name = document["label"].at("name").get<std::string>();
      label.missing = document["label"].at("missing").get<uint64_t>();
      label.counts = FrequentItems<std::string>::from_json(document["label"].at("state"));
      profile.label = std::move(label);
    }
    if (!document.at("tensor").is_null()) {
      const json& item = document["tensor"];
      const json& state = item.at("state");
      TensorState tensor;
      tensor.sample_shape = item.at("sample_shape").get<std::vector<int64_t>>();
      tensor.dtype = item.at("dtype").get<std::string>();
      tensor.channel_axis = item.at("channel_axis").get<int>();
      tensor.is_image = item.at("kind").get<std::string>() == "image";
      tensor.samples = state.at("samples").get<uint64_t>();
      tensor.nan = item.at("nan").get<uint64_t>();
      tensor.inf = item.at("inf").get<uint64_t>();
      tensor.zeros = item.at("zeros").get<uint64_t>();
      for (const json& channel : state.at("channels")) tensor.channels.push_back(Moments::from_json(channel));
      tensor.values = KllSketch::from_json(state.at("values"));
      if (state.contains("byte_histogram"))
        tensor.byte_histogram = state["byte_histogram"].get<std::vector<uint64_t>>();
      profile.tensor = std::move(tensor);
    }
    const json& cleaning = document.at("cleaning");
    profile.cleaning.applied = cleaning.at("applied").get<bool>();
    profile.cleaning.policy = cleaning.at("policy").get<std::string>();
    profile.cleaning.rows_in = cleaning.at("rows_in").get<uint64_t>();
    profile.cleaning.rows_out = cleaning.at("rows_out").get<uint64_t>();
    for (const json& item : cleaning.at("entries")) {
      profile.cleaning.entries.push_back(
          {item.at("reason").get<std::string>(), item.at("action").get<std::string>(),
           item.at("feature").get<std::string>(), item.at("count").get<uint64_t>(),
           item.at("first_rows").get<std::vector<uint64_t>>()});
    }
  } catch (const json::exception& error) {
    invalid(origin, error.what());
  } catch (const std::invalid_argument& error) {
    invalid(origin, error.what());
  }
  return profile;
}

Profile load_profile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the profile; check the path");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& error) {
    throw InputError(path, fmt::format("byte {}", error.byte), "not valid JSON");
  }
  return profile_from_json(document, path);
}

void save_profile(const Profile& profile, const std::string& path) {
  write_file_atomically(path, profile_to_json(profile).dump(1) + "\n");
}

}  // namespace xferval
