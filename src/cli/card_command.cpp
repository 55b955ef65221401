#include <fmt/format.h>

#include "commands.hpp"
#include "input_options.hpp"
#include "progress.hpp"
#include "xferval/card/card.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/core/error.hpp"

namespace xferval::cli {

namespace {

struct CardArguments {
  std::string data;
  std::shared_ptr<InputArguments> input = std::make_shared<InputArguments>();
  std::string output;
  std::string task;
  double holdout = 0.2;
  uint64_t max_holdout = 2000;
  uint64_t max_sample = 1000;
  uint64_t seed = 0;
  std::string model;
  std::string features_method;
  std::string head;
  std::string shrinkage = "ledoit-wolf";
  bool quiet = false;
};

int run_card(const CardArguments& args) {
  const InputArguments& input = *args.input;
  CardOptions options;
  if (!input.label.empty()) options.label = input.label;
  options.labels_path = input.labels_path;
  options.npz_member = input.member;
  options.format = input.format;
  options.csv = input.csv();
  options.task = args.task;
  options.holdout_fraction = args.holdout;
  options.max_holdout_rows = args.max_holdout;
  options.max_sample_rows = args.max_sample;
  options.seed = args.seed;
  Progress progress("reading " + args.data, !args.quiet);
  options.progress = [&](uint64_t done, uint64_t total) { progress.update(done, total); };
  Card card = build_data_card(args.data, options);
  progress.finish();
  if (!args.model.empty()) {
    TorchModel model(args.model, {args.features_method, args.head});
    ProfileOptions data_options;
    data_options.label = options.label;
    data_options.labels_path = options.labels_path;
    data_options.npz_member = options.npz_member;
    data_options.format = options.format;
    data_options.csv = options.csv;
    ModelInputs inputs = assemble_model_inputs(args.data, data_options, card.input, card.output.label);
    Progress embedding("embedding " + args.data + " with " + args.model, !args.quiet);
    ModelCardOptions model_options{args.seed, args.holdout, args.max_holdout, args.shrinkage};
    attach_model(card, model, inputs, model_options,
                 [&](uint64_t done, uint64_t total) { embedding.update(done, total); });
    embedding.finish();
  }
  std::string output = args.output.empty() ? "model.card.json" : args.output;
  save_card(card, output);
  fmt::print("card written to {}\n", output);
  fmt::print("  input: {} ({} rows)", card.input.kind, card.profile.rows);
  if (card.input.kind == "tabular") fmt::print(", {} features", card.input.features.size());
  fmt::print("\n  output: {}", card.output.task);
  if (!card.output.label.empty()) fmt::print(" of '{}'", card.output.label);
  if (!card.output.labels.empty()) fmt::print(", {} labels", card.output.labels.size());
  fmt::print("\n");
  if (card.reference && card.reference->fit_rows > 0) {
    fmt::print("  reference: {} numeric features, {} fit rows, {} held-out rows (Ledoit-Wolf shrinkage {:.3g})\n",
               card.reference->features.size(), card.reference->fit_rows, card.reference->holdout.rows(),
               card.reference->ledoit_wolf);
  }
  if (!card.model.is_null()) {
    const auto& model = card.model;
    fmt::print("  model: {} ({}), head '{}' {} -> {}, embedding {} dimensions on {}",
               model["file"]["path"].get<std::string>(), model["file"]["content_hash"].get<std::string>(),
               model["head"]["name"].get<std::string>(), model["head"]["inputs"].get<int64_t>(),
               model["head"]["outputs"].get<int64_t>(), model["embedding"]["dimensions"].get<int64_t>(),
               model["embedding"]["fit_rows"].get<uint64_t>());
    if (!model["output"]["source_accuracy"].is_null()) {
      fmt::print(", source accuracy {:.4f}", model["output"]["source_accuracy"].get<double>());
    }
    fmt::print("\nnext: xferval check --card {} --model {} --data NEW_DATA\n", output,
               model["file"]["path"].get<std::string>());
  } else {
    fmt::print("next: xferval check --card {} --data NEW_DATA\n", output);
  }
  return 0;
}

}  // namespace

void add_card_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<CardArguments>();
  CLI::App* command = root.add_subcommand(
      "card", "Write a model card (xferval.card/1) describing the data a model was built on");
  command->add_option("--data", args->data, "Source data: CSV, .npy, .npz, IDX (raw or .gz) or image folder")
      ->required();
  add_input_options(*command, args->input, "Label column (CSV) or label array (.npz member)");
  command->add_option("-o,--output", args->output, "Card file to write (default model.card.json)");
  command->add_option("--model", args->model,
                      "TorchScript model (forward -> logits, forward_features -> embedding): adds its sections");
  command->add_option("--features-method", args->features_method,
                      "Method returning the embedding (default: forward_features, then features)");
  command->add_option("--head", args->head, "Module of the head (default: the last Linear layer)");
  command->add_option("--shrinkage", args->shrinkage, "Covariance of the embedding: ledoit-wolf, oas or pinv");
  command->add_option("--task", args->task, "classification or regression (default: from the label)");
  command->add_option("--holdout", args->holdout,
                      "Share of complete source rows held out to calibrate distances (default 0.2)");
  command->add_option("--max-holdout", args->max_holdout, "At most this many held-out rows (default 2000)");
  command->add_option("--max-sample", args->max_sample,
                      "Fit rows kept in the card as the source sample of two-sample tests (default 1000)");
  command->add_option("--seed", args->seed, "Seed of the fit/held-out split (default 0)");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Examples:\n"
      "  xferval card --data data/wine.csv --label cultivar -o wine.card.json\n"
      "  xferval card --data train.csv --label price --task regression -o model.card.json\n"
      "  xferval card --model examples/models/fmnist_cnn_0-4.pt --data examples/models/fmnist_source_0-4.npz \\\n"
      "      --member images --label labels -o fmnist.card.json\n"
      "  xferval card --data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \\\n"
      "      --labels /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz -o fmnist.card.json");
  command->callback([args, &run]() { run = [args]() { return run_card(*args); }; });
}

}  // namespace xferval::cli
