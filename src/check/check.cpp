#include "xferval/check/check.hpp"

#include <fmt/format.h>

#include "check_context.hpp"
#include "xferval/core/clock.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/model/model_inputs.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/version.hpp"

namespace xferval {

namespace {

ProfileOptions profile_options(const CheckOptions& options, const std::string& format) {
  ProfileOptions profile;
  if (options.label) profile.label = options.label;
  profile.labels_path = options.labels_path;
  profile.npz_member = options.npz_member;
  profile.format = format;
  profile.csv = options.csv;
  return profile;
}

// A tabular input with the card's label column marked when it has one and none was named.
Table load_tabular(const std::string& path, const CheckOptions& options, const Card& card) {
  const std::string format = options.format.empty() ? detect_format(path) : options.format;
  Table table = load_table(path, format, profile_options(options, format), "check");
  if (table.label_column < 0 && !options.label && !card.output.label.empty()) {
    table.label_column = table.column_index(card.output.label);
  }
  return table;
}

void require_overlap(const Table& table, const Card& card) {
  for (const FeatureSpec& spec : card.input.features) {
    if (table.column_index(spec.name) >= 0) return;
  }
  throw InputError(table.path, "header",
                   fmt::format("none of the card's {} features ({}, ...) is a column here; is this the data the "
                               "card describes?",
                               card.input.features.size(), card.input.features.empty() ? "" : card.input.features[0].name));
}

}  // namespace

Report run_check(const Card& card, const std::string& card_path, const CheckOptions& options) {
  auto stage = [&](const std::string& name) {
    if (options.stage) options.stage(name);
  };
  Report report;
  report.verb = "check";
  report.created = utc_timestamp();
  report.xferval_version = kVersion;
  report.inputs["card"] = {{"path", card_path}, {"content_hash", hash_file(card_path)}};
  report.inputs["policy"] = options.policy.origin;

  stage("reading " + options.data_path);
  std::optional<Table> target, source;
  Profile target_profile;
  if (card.input.kind == "tabular") {
    target = load_tabular(options.data_path, options, card);
    require_overlap(*target, card);
    target_profile = profile_table(*target, options.format.empty() ? detect_format(options.data_path) : options.format);
    if (!options.source_data_path.empty()) {
      stage("reading " + options.source_data_path);
      source = load_tabular(options.source_data_path, options, card);
      report.inputs["source_data"] = {{"path", options.source_data_path}, {"content_hash", source->content_hash},
                                      {"rows", source->data.rows}};
    }
  } else {
    if (!options.source_data_path.empty()) {
      throw UsageError("--source-data applies to tabular cards; this card describes tensors");
    }
    target_profile = build_profile(options.data_path, profile_options(options, options.format));
    if (target_profile.rows == 0) throw InputError(options.data_path, "", "no samples");
  }
  report.inputs["data"] = {{"path", options.data_path},
                           {"content_hash", target_profile.source.content_hash},
                           {"rows", target_profile.rows}};

  check::Context context{card, options.policy, target ? &*target : nullptr, std::move(target_profile),
                         source ? &*source : nullptr, report};
  stage("schema");
  check::check_schema(context);
  stage("univariate drift");
  check::check_univariate_drift(context);
  stage("multivariate drift");
  check::check_multivariate(context);
  if (!options.model_path.empty()) {
    stage("model " + options.model_path);
    TorchModel model(options.model_path, options.model);
    require_card_model(card, card_path, model);
    EmbeddingReference reference = embedding_reference(card, card_path);
    const std::string format = options.format.empty() ? detect_format(options.data_path) : options.format;
    ModelInputs inputs = target ? tabular_model_inputs(*target, card.input)
                                : assemble_model_inputs(options.data_path, profile_options(options, format),
                                                        card.input, card.output.label);
    ModelOutputs outputs = model.run(inputs.values, inputs.count, inputs.sample_shape);
    report.inputs["model"] = {{"path", model.path()}, {"content_hash", model.content_hash()}, {"device", model.device()}};
    check::check_embedding(context, reference, outputs, inputs.labels);
  }
  return report;
}

}  // namespace xferval
