#include <fmt/format.h>

#include "commands.hpp"
#include "input_options.hpp"
#include "progress.hpp"
#include "xferval/card/card.hpp"
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
  fmt::print("next: xferval check --card {} --data NEW_DATA\n", output);
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
      "  xferval card --data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \\\n"
      "      --labels /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz -o fmnist.card.json");
  command->callback([args, &run]() { run = [args]() { return run_card(*args); }; });
}

}  // namespace xferval::cli
