#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "input_options.hpp"
#include "xferval/core/atomic_file.hpp"
#include "xferval/core/error.hpp"
#include "xferval/model/rank.hpp"

namespace xferval::cli {

namespace {

struct RankArguments {
  std::string data;
  std::shared_ptr<InputArguments> input = std::make_shared<InputArguments>();
  std::vector<std::string> models;
  std::string features_method;
  std::string head;
  std::string output;
  bool json = false;
  bool quiet = false;
};

int run_rank(const RankArguments& args) {
  const InputArguments& input = *args.input;
  RankOptions options;
  if (!input.label.empty()) options.data.label = input.label;
  options.data.labels_path = input.labels_path;
  options.data.npz_member = input.member;
  options.data.format = input.format;
  options.data.csv = input.csv();
  options.model = {args.features_method, args.head};
  const bool progress = !args.quiet && isatty(fileno(stderr));
  options.stage = [&](const std::string& stage) {
    if (progress) fmt::print(stderr, "rank: {}\n", stage);
  };
  std::vector<RankedModel> ranking = rank_models(args.data, args.models, options);
  nlohmann::json document = ranking_to_json(ranking, args.data);
  if (!args.output.empty()) write_file_atomically(args.output, document.dump(1) + "\n");
  if (args.json) {
    fmt::print("{}\n", document.dump(2));
    return 0;
  }
  size_t width = 5;
  for (const auto& m : ranking) width = std::max(width, m.path.size());
  fmt::print("{:>4}  {:<{}}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}\n", "rank", "model", width, "LogME", "control",
             "LEEP", "NCE", "H-score");
  for (size_t i = 0; i < ranking.size(); ++i) {
    const RankedModel& m = ranking[i];
    fmt::print("{:>4}  {:<{}}  {:>9.4f}  {:>9.4f}  {:>9.4f}  {:>9.4f}  {:>9.4f}\n", i + 1, m.path, width, m.logme,
               m.logme_control, m.leep, m.nce, m.h_score);
  }
  fmt::print("ranked by LogME (higher is better); control: LogME with the labels permuted\n");
  if (!args.output.empty()) fmt::print("ranking written to {}\n", args.output);
  return 0;
}

}  // namespace

void add_rank_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<RankArguments>();
  CLI::App* command = root.add_subcommand(
      "rank", "Rank candidate pretrained models by transferability to labelled target data (LogME)");
  command->add_option("--data", args->data, "Labelled target data: CSV, .npy, .npz, IDX or image folder")->required();
  add_input_options(*command, args->input, "Label column (CSV) or label array (.npz member)");
  command->add_option("models", args->models, "TorchScript models (a MODEL.card.json beside each prepares its inputs)")
      ->required();
  command->add_option("--features-method", args->features_method, "Method returning the embedding");
  command->add_option("--head", args->head, "Module of the head (default: the last Linear layer)");
  command->add_option("-o,--output", args->output, "Write the ranking (xferval.rank/1 JSON) to this file");
  command->add_flag("--json", args->json, "Print the ranking as JSON on stdout");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Examples:\n"
      "  xferval rank --data examples/models/fmnist_target_5-9.npz --member images --label labels \\\n"
      "      examples/models/fmnist_cnn_*.pt");
  command->callback([args, &run]() { run = [args]() { return run_rank(*args); }; });
}

}  // namespace xferval::cli
