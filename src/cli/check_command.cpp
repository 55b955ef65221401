#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "input_options.hpp"
#include "xferval/check/check.hpp"
#include "xferval/core/error.hpp"

namespace xferval::cli {

namespace {

struct CheckArguments {
  std::string card;
  std::string data;
  std::shared_ptr<InputArguments> input = std::make_shared<InputArguments>();
  std::string source_data;
  std::string model;
  std::string features_method;
  std::string head;
  std::string policy;
  std::string output;
  bool print_policy = false;
  bool all = false;
  bool json = false;
  bool quiet = false;
};

int run_check_command(const CheckArguments& args) {
  Policy policy = args.policy.empty() ? Policy::defaults() : Policy::load(args.policy);
  if (args.print_policy) {
    fmt::print("{}", policy.to_toml());
    return 0;
  }
  if (args.card.empty() || args.data.empty()) {
    throw UsageError("check needs --card CARD and --data DATA (see 'xferval check --help')");
  }
  Card card = load_card(args.card);
  const InputArguments& input = *args.input;
  CheckOptions options;
  options.data_path = args.data;
  options.format = input.format;
  if (!input.label.empty()) options.label = input.label;
  options.labels_path = input.labels_path;
  options.npz_member = input.member;
  options.csv = input.csv();
  options.source_data_path = args.source_data;
  options.model_path = args.model;
  options.model = {args.features_method, args.head};
  options.policy = std::move(policy);
  const bool progress = !args.quiet && isatty(fileno(stderr));
  options.stage = [&](const std::string& name) {
    if (progress) fmt::print(stderr, "check: {}\n", name);
  };
  Report report = run_check(card, args.card, options);
  if (!args.output.empty()) save_report(report, args.output);
  if (args.json) {
    fmt::print("{}\n", report_to_json(report).dump(2));
  } else {
    fmt::print("{}", render_terminal(report, isatty(fileno(stdout)), args.all));
    if (!args.output.empty()) fmt::print("report written to {}\n", args.output);
  }
  return report.verdict() == "PASS" ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<CheckArguments>();
  CLI::App* command = root.add_subcommand(
      "check", "Check new data against a model card: schema anomalies, drift, Mahalanobis distance");
  command->add_option("--card", args->card, "Model card (xferval.card/1), written by 'xferval card'");
  command->add_option("--data", args->data, "Target data: CSV, .npy, .npz, IDX or image folder");
  add_input_options(*command, args->input, "Label column of the target (default: the card's label column)");
  command->add_option("--source-data", args->source_data,
                      "Raw source data for the univariate tests (default: the card's sketches)");
  command->add_option("--model", args->model,
                      "The card's TorchScript model: adds OOD and transferability checks in its embedding space");
  command->add_option("--features-method", args->features_method, "Method returning the embedding");
  command->add_option("--head", args->head, "Module of the head (default: the last Linear layer)");
  command->add_option("--policy", args->policy, "policy.toml overriding thresholds and severities");
  command->add_option("-o,--output", args->output, "Write the report (xferval.report/1 JSON) to this file");
  command->add_flag("--print-policy", args->print_policy,
                    "Print every check with its threshold and severity (the defaults, or --policy) as TOML");
  command->add_flag("--all", args->all, "List every check, not only the failed ones");
  command->add_flag("--json", args->json, "Print the report as JSON on stdout");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Exit status: 0 PASS (warnings allowed), 1 FAIL (an error-severity check failed), 2 bad input.\n"
      "Examples:\n"
      "  xferval card --data data/wine.csv --label cultivar -o wine.card.json\n"
      "  xferval check --card wine.card.json --data new_wine.csv -o report.json\n"
      "  xferval check --card wine.card.json --data new_wine.csv --source-data data/wine.csv --all\n"
      "  xferval check --card fmnist.card.json --model examples/models/fmnist_cnn_0-4.pt \\\n"
      "      --data examples/models/fmnist_target_5-9.npz --member images --label labels\n"
      "  xferval check --print-policy > policy.toml   # edit, then: --policy policy.toml");
  command->callback([args, &run]() { run = [args]() { return run_check_command(*args); }; });
}

}  // namespace xferval::cli
