#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "input_options.hpp"
#include "xferval/core/error.hpp"
#include "xferval/evaluate/evaluation.hpp"
#include "xferval/evaluate/model_parameters.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/params/verify.hpp"

namespace xferval::cli {

namespace {

struct VerifyArguments {
  std::string base;
  std::string tuned;
  std::string data;
  std::string source_data;
  std::string train_data;
  std::string base_card;
  std::string tuned_card;
  std::shared_ptr<InputArguments> input = std::make_shared<InputArguments>();
  std::vector<std::string> frozen;
  std::vector<std::string> head;
  bool frozen_buffers = false;
  std::string policy;
  std::string output;
  size_t alpha_max_evals = 2048;
  bool no_alpha = false;
  unsigned threads = 0;
  bool print_policy = false;
  bool all = false;
  bool json = false;
  bool quiet = false;
};

int run_verify_command(const VerifyArguments& args) {
  params::VerifyOptions options;
  options.policy =
      args.policy.empty() ? params::VerifyPolicy::defaults() : params::VerifyPolicy::load(args.policy);
  if (args.print_policy) {
    fmt::print("{}", options.policy.to_toml());
    return 0;
  }
  if (args.base.empty() || args.tuned.empty()) {
    throw UsageError(
        "verify needs --base A.safetensors and --tuned B.safetensors (see 'xferval verify --help')");
  }
  options.base_path = args.base;
  options.tuned_path = args.tuned;
  options.frozen_patterns = args.frozen;
  options.head_prefixes = args.head;
  options.frozen_buffers = args.frozen_buffers;
  options.compare.alpha = !args.no_alpha;
  options.compare.alpha_max_evals = args.alpha_max_evals;
  options.compare.threads =
      args.threads > 0 ? args.threads : std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  const bool progress = !args.quiet && isatty(fileno(stderr));
  options.stage = [&](const std::string& name) {
    if (progress) fmt::print(stderr, "verify: {}\n", name);
  };
  options.open = open_model_or_parameters;
  if (is_torchscript_path(args.tuned)) {
    // What the tuned model's card records as frozen must still be bit-identical; its head is expected to
    // move.
    apply_tuned_card(options, args.tuned_card.empty() ? sibling_card_path(args.tuned) : args.tuned_card);
  }
  Report report = params::run_verify(options);
  if (!args.data.empty() || !args.source_data.empty() || !args.train_data.empty()) {
    if (!is_torchscript_path(args.base) || !is_torchscript_path(args.tuned)) {
      throw UsageError(
          "--data, --source-data and --train-data evaluate models: give TorchScript files to --base and "
          "--tuned");
    }
    if (args.data.empty()) {
      throw UsageError("--source-data and --train-data go with a holdout to evaluate on: add --data HOLDOUT");
    }
    EvaluationRequest request;
    request.base_model = args.base;
    request.tuned_model = args.tuned;
    request.base_card = args.base_card;
    request.tuned_card = args.tuned_card;
    request.data_path = args.data;
    request.source_data_path = args.source_data;
    const InputArguments& input = *args.input;
    if (!input.label.empty()) request.data.label = input.label;
    request.data.labels_path = input.labels_path;
    request.data.npz_member = input.member;
    request.data.format = input.format;
    request.data.csv = input.csv();
    request.train_data_path = args.train_data;
    request.train_data = request.data;
    request.policy = options.policy;
    options.stage("evaluating on " + args.data);
    add_evaluation(report, request);
  }
  if (!args.output.empty()) save_report(report, args.output);
  if (args.json) {
    fmt::print("{}\n", report_to_json(report).dump(2));
  } else {
    const auto& section = report.sections["params"];
    fmt::print("compared {} tensors ({} buffers), {:.3g} GB in {:.3g} s; missing {}, added {}, reshaped {}\n",
               section["tensors"].size(), section["buffers"].size(),
               section["bytes_compared"].get<double>() / 1e9, section["seconds"].get<double>(),
               section["missing"].size(), section["added"].size(), section["reshaped"].size());
    fmt::print("{}", render_terminal(report, isatty(fileno(stdout)), args.all));
    if (!args.output.empty()) fmt::print("report written to {}\n", args.output);
  }
  return report.verdict() == "PASS" ? 0 : 1;
}

}  // namespace

void add_verify_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<VerifyArguments>();
  CLI::App* command = root.add_subcommand(
      "verify",
      "Verify fine-tuned parameters against their base: NaN, frozen tensors, changes, power-law alpha");
  command->add_option(
      "--base", args->base,
      "Base parameters: a TorchScript model, .safetensors, model.safetensors.index.json or a folder");
  command->add_option("--tuned", args->tuned, "Fine-tuned parameters, same forms");
  command->add_option("--data", args->data,
                      "Labelled holdout of the target: evaluates the models (accuracy, macro-F1, log-loss, "
                      "calibration, confusion matrix, OOD rate)");
  command->add_option("--source-data", args->source_data, "Labelled source data: measures forgetting");
  command->add_option(
      "--train-data", args->train_data,
      "The labelled data the tuned model was fine-tuned on: the linear probe baseline is fitted on "
      "it (default: cross-validated on the holdout)");
  command->add_option("--base-card", args->base_card,
                      "Card of the base model (default: BASE.card.json beside it)");
  command->add_option("--tuned-card", args->tuned_card,
                      "Card of the tuned model (default: TUNED.card.json beside it)");
  add_input_options(*command, args->input, "Label column (CSV) or label array (.npz member) of --data");
  command->add_option("--frozen", args->frozen,
                      "Glob of tensors that must be bit-identical, e.g. 'features.*' (repeatable)");
  command->add_option(
      "--head", args->head,
      "Name prefix of the head, whose replacement is expected (default: detected from reshapes)");
  command->add_flag(
      "--frozen-buffers", args->frozen_buffers,
      "Hold BatchNorm running statistics of frozen layers to bit-identity too (eval-mode training)");
  command->add_option("--policy", args->policy, "policy.toml overriding thresholds and severities");
  command->add_option(
      "--alpha-max-evals", args->alpha_max_evals,
      "Skip alpha for matrices with more eigenvalues (the eigensolver is cubic; default 2048)");
  command->add_flag("--no-alpha", args->no_alpha, "Skip the power-law alpha of weight matrices");
  command->add_option("--threads", args->threads, "Worker threads across tensors (default 2)");
  command->add_option("-o,--output", args->output, "Write the report (xferval.report/1 JSON) to this file");
  command->add_flag("--print-policy", args->print_policy,
                    "Print every verify check with its threshold as TOML");
  command->add_flag("--all", args->all, "List every check, not only the failed ones");
  command->add_flag("--json", args->json, "Print the report as JSON on stdout");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Exit status: 0 PASS (warnings allowed), 1 FAIL (an error-severity check failed), 2 bad input.\n"
      "Examples:\n"
      "  xferval verify --base base.safetensors --tuned tuned.safetensors\n"
      "  xferval verify --base base.safetensors --tuned tuned.safetensors --frozen 'features.*' -o "
      "report.json\n"
      "  xferval verify --base base/ --tuned tuned/model.safetensors.index.json --head classifier --all\n"
      "  xferval verify --base base.pt --tuned out/model.pt --data holdout.npz --member images --label "
      "labels\n"
      "  xferval verify --base base.pt --tuned out/model.pt --data holdout.csv --train-data target.csv "
      "--label y\n"
      "  xferval verify --print-policy > policy.toml   # edit, then: --policy policy.toml");
  command->callback([args, &run]() { run = [args]() { return run_verify_command(*args); }; });
}

}  // namespace xferval::cli
