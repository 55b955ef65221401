#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "input_options.hpp"
#include "xferval/core/error.hpp"
#include "xferval/tune/study.hpp"
#include "xferval/tune/tune_run.hpp"

namespace xferval::cli {

namespace {

struct TuneArguments {
  std::string model;
  std::string card;
  std::string data;
  std::shared_ptr<InputArguments> input = std::make_shared<InputArguments>();
  std::string space;
  int64_t trials = 20;
  std::string storage;
  std::string study = "xferval-tune";
  std::string sampler = "tpe";
  std::string pruner = "median";
  std::optional<uint64_t> seed;
  std::string output = "tune-out";
  double validation = 0.2;
  int64_t patience = 5;
  int threads = 0;
  double heartbeat_grace = 120.0;
  std::optional<double> heartbeat;
  std::optional<int64_t> retry_failed;
  std::string features_method;
  std::string head;
  bool cpu = false;
  bool quiet = false;
};

std::string params_text(const tune::FrozenTrial& trial, const std::vector<std::string>& order) {
  std::string text;
  for (const std::string& name : order) {
    if (!trial.params.count(name)) continue;
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, tune::to_string(trial.param(name)));
  }
  return text;
}

int run_tune_command(const TuneArguments& args) {
  const InputArguments& input = *args.input;
  tune::TuneOptions options;
  options.model_path = args.model;
  options.card_path = args.card;
  options.data_path = args.data;
  if (!input.label.empty()) options.data.label = input.label;
  options.data.labels_path = input.labels_path;
  options.data.npz_member = input.member;
  options.data.format = input.format;
  options.data.csv = input.csv();
  options.space_path = args.space;
  options.trials = args.trials;
  options.storage = args.storage;
  options.study_name = args.study;
  options.sampler = args.sampler;
  options.pruner = args.pruner;
  options.seed = args.seed;
  options.output_dir = args.output;
  options.validation_fraction = args.validation;
  options.base.patience = args.patience;
  options.base.allow_cuda = !args.cpu;
  options.model = {args.features_method, args.head};
  options.model.allow_cuda = !args.cpu;
  options.heartbeat_grace_seconds = args.heartbeat_grace;
  // Without --heartbeat, a beat every 30 s, or four per grace period when that is shorter.
  options.heartbeat_seconds = args.heartbeat.value_or(std::min(30.0, args.heartbeat_grace / 4));
  options.retry_failed = args.retry_failed;
  if (options.heartbeat_seconds <= 0 || args.heartbeat_grace <= 0)
    throw UsageError("--heartbeat and --heartbeat-grace must be positive numbers of seconds");
  if (args.heartbeat_grace <= options.heartbeat_seconds)
    throw UsageError(
        fmt::format("--heartbeat-grace ({:g} s) must be longer than --heartbeat ({:g} s), or "
                    "live trials would be failed",
                    args.heartbeat_grace, options.heartbeat_seconds));
  if (args.retry_failed && *args.retry_failed < 0)
    throw UsageError(fmt::format("--retry-failed must be >= 0, not {}", *args.retry_failed));
  if (!args.quiet) options.log = [](const std::string& line) { fmt::print(stderr, "tune: {}\n", line); };
  set_training_threads(args.threads);

  tune::TuneResult result = tune::run_tune(options);

  fmt::print("study '{}' in {}: best {} of {} trials\n", result.study_name, result.storage,
             result.best.size(), result.budget);
  if (result.best.empty()) {
    fmt::print("no trial completed; nothing saved\n");
    return 1;
  }
  fmt::print("{:>6}  {:>10}  {}\n", "trial", "val. acc.", "parameters");
  for (const tune::FrozenTrial& trial : result.best) {
    fmt::print("{:>6}  {:>10.4f}  {}\n", trial.number, *trial.value, params_text(trial, result.space));
  }
  if (result.saved_trial) {
    fmt::print("tuned model: {} (trial {}), card: {}\n", result.model_path, *result.saved_trial,
               result.card_path);
    if (*result.saved_trial != result.best.front().number) {
      fmt::print(
          stderr,
          "tune: warning: the best trial {} ran in a worker that did not save its model; {} holds trial {}\n",
          result.best.front().number, result.model_path, *result.saved_trial);
    }
  }
  fmt::print("next: xferval check --card {} --model {} --data NEW_DATA\n", result.card_path,
             result.model_path);
  return 0;
}

}  // namespace

void add_tune_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<TuneArguments>();
  CLI::App* command = root.add_subcommand(
      "tune", "Fine-tune a pretrained model on target data with an Optuna-compatible hyperparameter search");
  command->add_option("--model", args->model, "Parent TorchScript model (forward -> logits)")->required();
  command->add_option("--card", args->card, "The parent's card (xferval card --model ...)")->required();
  command->add_option("--data", args->data, "Labelled target data: CSV, .npy, .npz, IDX or image folder")
      ->required();
  add_input_options(*command, args->input, "Label column (CSV) or label array (.npz member) of the target");
  command->add_option("--space", args->space,
                      "Search space TOML (default: the fine-tuning space in docs/tune.md)");
  command->add_option("--trials", args->trials,
                      "The study's total trial budget, shared by every worker (default 20)");
  command->add_option("--storage", args->storage,
                      "Study storage URL: sqlite:///PATH.db (default sqlite:///OUTDIR/study.db) or "
                      "postgresql://USER@HOST:PORT/DB, shared by workers on many machines (docs/studies.md)");
  command->add_option("--study", args->study, "Study name (default xferval-tune)");
  command->add_option("--sampler", args->sampler, "tpe or random (default tpe)");
  command->add_option("--pruner", args->pruner, "median, asha, hyperband or none (default median)");
  command->add_option("--seed", args->seed, "Seed of the sampler, the validation split and training");
  command->add_option("-o,--output", args->output,
                      "Output folder: model.pt, model.card.json (default tune-out)");
  command->add_option("--validation", args->validation,
                      "Stratified validation share of the target (default 0.2)");
  command->add_option("--patience", args->patience,
                      "Early stopping: epochs without a better validation accuracy (default 5; 0 never)");
  command->add_option("--threads", args->threads, "LibTorch threads (default: LibTorch's choice)");
  command->add_option(
      "--heartbeat-grace", args->heartbeat_grace,
      "Seconds without a heartbeat after which another worker fails a RUNNING trial (default 120)");
  command->add_option("--heartbeat", args->heartbeat,
                      "Seconds between a running trial's heartbeats (default 30, or a quarter of the grace "
                      "period when shorter; also one per epoch)");
  command->add_option("--retry-failed", args->retry_failed,
                      "Re-queue a trial failed by a dead worker with the same parameters, at most N times "
                      "per trial (Optuna's RetryFailedTrialCallback)");
  command->add_option("--features-method", args->features_method, "Method returning the embedding");
  command->add_option("--head", args->head, "Module of the head (default: the last Linear layer)");
  command->add_flag("--cpu", args->cpu, "Train on the CPU even when a GPU is available");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Exit status: 0 done, 1 no trial completed, 2 bad input.\n"
      "Examples:\n"
      "  xferval card --model examples/models/fmnist_cnn_0-4.pt --data examples/models/fmnist_source_0-4.npz "
      "\\\n"
      "      --member images --label labels -o fmnist.card.json\n"
      "  xferval tune --model examples/models/fmnist_cnn_0-4.pt --card fmnist.card.json \\\n"
      "      --data examples/models/fmnist_target_5-9.npz --member images --label labels --trials 20 -o "
      "tuned\n"
      "  python3 -c \"import optuna; print(optuna.load_study(study_name='xferval-tune', \\\n"
      "      storage='sqlite:///tuned/study.db').best_trial)\"");
  command->callback([args, &run]() { run = [args]() { return run_tune_command(*args); }; });
}

}  // namespace xferval::cli
