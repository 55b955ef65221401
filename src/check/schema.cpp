// Schema anomalies after TFDV's taxonomy: features missing, unexpected or retyped, values outside
// the source domain or range, non-finite values, moved missing rates, label sets, tensor shapes
// and too few rows.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>

#include "check_context.hpp"
#include "xferval/profile/accumulate.hpp"

namespace xferval::check {

namespace {

double missing_share(const FeatureState& feature) {
  return feature.rows == 0 ? 0.0 : static_cast<double>(feature.missing + feature.nan) / static_cast<double>(feature.rows);
}

std::string cell_text(const ColumnChunk& column, size_t row) {
  return column.is_text ? column.texts[row] : number_label(column.numbers[row]);
}

void check_domain(Context& context, const FeatureState& source, const ColumnChunk& column) {
  std::unordered_set<std::string> domain;
  if (source.storage == Storage::Text) {
    for (const auto& [value, count] : source.top_texts.items()) domain.insert(value);
  } else {
    for (const auto& [value, count] : source.top_numbers.items()) domain.insert(number_label(value));
  }
  uint64_t present = 0, outside = 0;
  std::set<std::string> examples;
  for (size_t r = 0; r < column.missing.size(); ++r) {
    if (column.missing[r]) continue;
    ++present;
    std::string value = cell_text(column, r);
    if (!domain.count(value)) {
      ++outside;
      if (examples.size() < 5) examples.insert(value);
    }
  }
  double share = present ? static_cast<double>(outside) / static_cast<double>(present) : 0.0;
  context.add("schema.out_of_domain", source.name, share,
              outside ? fmt::format("{} of {} values outside the source domain, e.g. {}", outside, present,
                                    fmt::join(examples, ", "))
                      : "",
              {{"outside", outside}, {"present", present}, {"examples", examples}, {"domain_size", domain.size()}});
}

void check_range(Context& context, const FeatureState& source, const ColumnChunk& column) {
  const double low = source.quantiles.min(), high = source.quantiles.max();
  uint64_t finite = 0, below = 0, above = 0;
  for (size_t r = 0; r < column.numbers.size(); ++r) {
    double value = column.numbers[r];
    if (column.missing[r] || !std::isfinite(value)) continue;
    ++finite;
    below += value < low;
    above += value > high;
  }
  double share = finite ? static_cast<double>(below + above) / static_cast<double>(finite) : 0.0;
  context.add("schema.out_of_range", source.name, share,
              below + above ? fmt::format("{} below {} and {} above {} (of {} values)", below, low, above, high, finite)
                            : "",
              {{"source_min", low}, {"source_max", high}, {"below", below}, {"above", above}, {"finite", finite}});
}

void check_feature(Context& context, const FeatureSpec& spec, const ColumnChunk& column) {
  const FeatureState* source = context.card.profile.find_feature(spec.name);
  const FeatureState* target = context.target_profile.find_feature(spec.name);
  if (!source || !target) return;
  const bool source_numeric = source->storage == Storage::Numbers;
  const bool target_numeric = !column.is_text;
  if (source_numeric != target_numeric) {
    context.add("schema.type_mismatch", spec.name, 1,
                fmt::format("the card has {} values, the data {}", to_string(spec.kind), to_string(target->kind())),
                {{"card_kind", to_string(spec.kind)}, {"data_kind", to_string(target->kind())}});
    return;
  }
  if (spec.kind == FeatureKind::Categorical || spec.kind == FeatureKind::Boolean) {
    const bool complete = source_numeric ? source->top_numbers.exact() : source->top_texts.exact();
    if (complete) {
      check_domain(context, *source, column);
    } else {
      context.skip("schema.out_of_domain", spec.name, "the source has more distinct values than the profile keeps");
    }
  } else if (source_numeric && !source->quantiles.empty()) {
    check_range(context, *source, column);
  }
  if (target_numeric) {
    const uint64_t non_finite = target->nan + target->inf;
    double share = target->rows ? static_cast<double>(non_finite) / static_cast<double>(target->rows) : 0.0;
    context.add("schema.non_finite", spec.name, share,
                non_finite ? fmt::format("{} NaN and {} infinite values", target->nan, target->inf) : "",
                {{"nan", target->nan}, {"inf", target->inf}, {"source_nan", source->nan}, {"source_inf", source->inf}});
  }
  double change = std::fabs(missing_share(*target) - missing_share(*source));
  context.add("schema.missing_rate_change", spec.name, change,
              fmt::format("missing share {:.3f} in the data, {:.3f} in the source", missing_share(*target),
                          missing_share(*source)),
              {{"data", missing_share(*target)}, {"source", missing_share(*source)}});
}

void check_columns(Context& context) {
  const Table& table = *context.target;
  const InputSpec& input = context.card.input;
  size_t missing = 0, mismatched_before = context.report.checks.size();
  for (const FeatureSpec& spec : input.features) {
    int column = table.column_index(spec.name);
    if (column < 0 || column == table.label_column) {
      ++missing;
      context.add("schema.missing_feature", spec.name, 1,
                  fmt::format("the model takes '{}' ({}); the data has no such column", spec.name, to_string(spec.kind)));
      continue;
    }
    check_feature(context, spec, table.data.columns[static_cast<size_t>(column)]);
  }
  if (missing == 0) context.add("schema.missing_feature", "", 0, "", {{"features", input.features.size()}});
  bool any_mismatch = std::any_of(context.report.checks.begin() + static_cast<std::ptrdiff_t>(mismatched_before),
                                  context.report.checks.end(),
                                  [](const CheckResult& c) { return c.name == "schema.type_mismatch"; });
  if (!any_mismatch) context.add("schema.type_mismatch", "", 0, "");

  size_t unexpected = 0;
  for (size_t c = 0; c < table.names.size(); ++c) {
    if (static_cast<int>(c) == table.label_column || input.find(table.names[c])) continue;
    ++unexpected;
    context.add("schema.unexpected_feature", table.names[c], 1,
                fmt::format("'{}' is not in the card; the model will not see it (renamed?)", table.names[c]));
  }
  if (unexpected == 0) context.add("schema.unexpected_feature", "", 0, "");
}

}  // namespace

void check_labels(Context& context, const LabelState* target_labels) {
  const OutputSpec& output = context.card.output;
  if (output.task != "classification" || !target_labels) return;
  std::set<std::string> known(output.labels.begin(), output.labels.end());
  std::vector<std::string> added, absent;
  std::set<std::string> seen;
  for (const auto& [value, count] : target_labels->ordered_counts()) {
    seen.insert(value);
    if (!known.count(value)) added.push_back(value);
  }
  for (const std::string& label : output.labels) {
    if (!seen.count(label)) absent.push_back(label);
  }
  context.add("schema.new_labels", output.label, static_cast<double>(added.size()),
              added.empty() ? "" : fmt::format("labels not in the card: {}", fmt::join(added, ", ")), {{"labels", added}});
  context.add("schema.missing_labels", output.label, static_cast<double>(absent.size()),
              absent.empty() ? "" : fmt::format("card labels absent from the data: {}", fmt::join(absent, ", ")),
              {{"labels", absent}});
}

void check_schema(Context& context) {
  const Profile& target = context.target_profile;
  if (context.card.input.kind == "tensor") {
    const TensorSpec& expected = *context.card.input.tensor;
    if (!target.tensor) {
      context.add("schema.tensor_shape", "", 1,
                  fmt::format("the model takes samples of shape {}; the data is tabular",
                              fmt::join(expected.sample_shape, "x")));
    } else {
      bool same = target.tensor->sample_shape == expected.sample_shape;
      context.add("schema.tensor_shape", "", same ? 0 : 1,
                  same ? "" : fmt::format("samples have shape {}; the model takes {}",
                                          fmt::join(target.tensor->sample_shape, "x"),
                                          fmt::join(expected.sample_shape, "x")),
                  {{"expected", expected.sample_shape}, {"actual", target.tensor->sample_shape}});
    }
  } else if (context.target) {
    check_columns(context);
  } else {
    context.add("schema.tensor_shape", "", 1, "the model takes tabular features; the data holds tensors");
  }
  check_labels(context, target.label ? &*target.label : nullptr);
  context.add("schema.row_count", "", static_cast<double>(target.rows),
              fmt::format("{} rows; drift tests on so few rows miss real shifts", target.rows),
              {{"rows", target.rows}});
}

}  // namespace xferval::check
