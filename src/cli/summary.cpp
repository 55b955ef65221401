#include "summary.hpp"

#include <fmt/format.h>

#include <cmath>

#include "xferval/profile/profile_json.hpp"

namespace xferval::cli {

namespace {

std::string cell(double value) {
  if (std::isnan(value)) return "-";
  return fmt::format("{:.6g}", value);
}

void strip_state(nlohmann::json& node) {
  if (node.is_object()) {
    node.erase("state");
    for (auto& [key, child] : node.items()) strip_state(child);
  } else if (node.is_array()) {
    for (auto& child : node) strip_state(child);
  }
}

std::string feature_rows(const Profile& profile) {
  std::string out =
      fmt::format("{:<28} {:<11} {:>9} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9}\n", "feature", "kind",
                  "count", "missing", "mean", "std", "min", "median", "max", "distinct");
  for (const FeatureState& feature : profile.features) {
    std::string name = feature.name.size() > 28 ? feature.name.substr(0, 27) + "~" : feature.name;
    double distinct = feature.distinct.estimate();
    std::string distinct_text =
        fmt::format("{}{}", feature.distinct.exact() ? "" : "~", std::llround(distinct));
    uint64_t missing = feature.missing + feature.nan;
    if (feature.storage == Storage::Text) {
      auto top = feature.top_texts.top(1);
      std::string mode = top.empty() ? "-" : fmt::format("top: {} ({})", top[0].first, top[0].second);
      out += fmt::format("{:<28} {:<11} {:>9} {:>8} {:<59} {:>9}\n", name, to_string(feature.kind()),
                         feature.present(), missing, mode.substr(0, 59), distinct_text);
    } else {
      const Moments& m = feature.moments;
      out +=
          fmt::format("{:<28} {:<11} {:>9} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9}\n", name,
                      to_string(feature.kind()), feature.present(), missing, cell(m.mean()),
                      cell(m.stddev(1)), cell(m.count() ? m.min() : NAN),
                      cell(feature.quantiles.quantile(0.5)), cell(m.count() ? m.max() : NAN), distinct_text);
    }
    if (feature.inf > 0) out += fmt::format("{:<28}   {} infinite values\n", "", feature.inf);
  }
  return out;
}

std::string tensor_rows(const TensorState& tensor) {
  std::string out = fmt::format("{} samples of shape {} ({}), {} channel(s)\n", tensor.samples,
                                fmt::join(tensor.sample_shape, "x"), tensor.dtype, tensor.channels.size());
  out += fmt::format("{:<10} {:>14} {:>12} {:>12} {:>10} {:>10}\n", "channel", "values", "mean", "std", "min",
                     "max");
  for (size_t c = 0; c < tensor.channels.size(); ++c) {
    const Moments& m = tensor.channels[c];
    out += fmt::format("{:<10} {:>14} {:>12} {:>12} {:>10} {:>10}\n", c, m.count(), cell(m.mean()),
                       cell(m.stddev(1)), cell(m.min()), cell(m.max()));
  }
  if (tensor.nan + tensor.inf > 0)
    out += fmt::format("non-finite values: {} NaN, {} infinite\n", tensor.nan, tensor.inf);
  return out;
}

std::string label_rows(const LabelState& label) {
  auto items = label.ordered_counts();
  std::string out = fmt::format("label '{}': {} classes", label.name, items.size());
  if (label.missing > 0) out += fmt::format(", {} missing", label.missing);
  constexpr size_t kShown = 12;
  std::vector<std::string> cells;
  for (size_t i = 0; i < items.size() && i < kShown; ++i)
    cells.push_back(fmt::format("{}: {}", items[i].first, items[i].second));
  if (items.size() > kShown) cells.push_back(fmt::format("... ({} more)", items.size() - kShown));
  return fmt::format("{}\n  {}\n", out, fmt::join(cells, "  "));
}

std::string cleaning_rows(const CleaningLog& log) {
  std::string out =
      fmt::format("cleaning ({}): {} rows in, {} rows out\n", log.policy, log.rows_in, log.rows_out);
  for (const auto& entry : log.entries) {
    out += fmt::format("  {:<10} {:<16} {:<24} {:>8}  first rows: {}\n", entry.reason, entry.action,
                       entry.feature.empty() ? "-" : entry.feature, entry.count,
                       fmt::join(entry.first_rows, ", "));
  }
  return out;
}

}  // namespace

std::string profile_summary(const Profile& profile) {
  std::string shard =
      profile.source.shard_count > 0
          ? fmt::format(" (shard {}/{})", profile.source.shard_index, profile.source.shard_count)
          : "";
  std::string out =
      fmt::format("{}: {}{}, {} rows, {} features, {}\n", profile.source.path, profile.source.format, shard,
                  profile.rows, profile.tensor ? 1 : profile.features.size(), profile.source.content_hash);
  auto section = [&out](const std::string& text) {
    out += '\n';
    out += text;
  };
  if (!profile.features.empty()) section(feature_rows(profile));
  if (profile.tensor) section(tensor_rows(*profile.tensor));
  if (profile.label) section(label_rows(*profile.label));
  if (profile.covariance) {
    out += fmt::format("\ncovariance of {} numeric features over {} complete rows (ddof 1)\n",
                       profile.covariance_features.size(), profile.covariance->count());
  }
  if (profile.cleaning.applied) section(cleaning_rows(profile.cleaning));
  return out;
}

nlohmann::json profile_summary_json(const Profile& profile) {
  nlohmann::json document = profile_to_json(profile);
  strip_state(document);
  return document;
}

}  // namespace xferval::cli
